/* product.c — the product function of the shopping cart (seed 004): keeps each product's
 * name, price and availability, and the carts subscribed to it; tells them when the price or
 * the availability changes. */
#include "pipec_functions.h"

/* Sends the product as it is now to one cart. */
static void tell(product_ctx *c, prt_str cart_id)
{
    cart_product_changed m = {
        .product_id = product_key(c),
        .name = product_get_name(c),
        .price = product_get_price(c),
        .availability = product_get_availability(c),
    };
    product_send_cart_product_changed(c, cart_id, &m);
}

int product_on_event(product_ctx *c, const product_event *e)
{
    if (e->price < 0)
        return product_fail(c, "negative price %g", e->price);
    int changed = !product_get_known(c) || product_get_price(c) != e->price ||
                  !prt_str_eq(product_get_availability(c), e->availability);
    product_set_known(c, 1);
    product_set_name(c, e->name);
    product_set_price(c, e->price);
    product_set_availability(c, e->availability);
    if (changed)
        for (size_t i = 0; i < product_subscribers_size(c); i++)
            tell(c, product_subscribers_at(c, i));
    return 0;
}

int product_on_subscribe(product_ctx *c, const product_subscribe *m)
{
    product_subscribers_add(c, m->cart_id);
    if (product_get_known(c))
        tell(c, m->cart_id);
    return 0;
}

int product_on_unsubscribe(product_ctx *c, const product_unsubscribe *m)
{
    product_subscribers_remove(c, m->cart_id);
    return 0;
}
