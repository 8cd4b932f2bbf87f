/* cart.c — the cart function of the shopping cart (seed 004): keeps the items of each cart
 * with the price and availability the shopper saw, subscribes to their products, and egresses
 * a cart status event when a product's price or availability changes. */
#include <stdio.h>

#include "pipec_functions.h"

int cart_on_event(cart_ctx *c, const cart_event *e)
{
    if (prt_str_eq(e->action, PRT_STR_LIT("ADD"))) {
        if (e->quantity <= 0)
            return cart_fail(c, "quantity must be positive, got %lld", (long long)e->quantity);
        cart_item item = { .quantity = e->quantity, .price = e->price, .availability = e->availability };
        const cart_item *had = cart_items_get(c, e->product_id);
        if (had)
            item.quantity += had->quantity;
        cart_items_put(c, e->product_id, &item);
        product_subscribe m = { .cart_id = cart_key(c) };
        cart_send_product_subscribe(c, e->product_id, &m);
        return 0;
    }
    if (prt_str_eq(e->action, PRT_STR_LIT("REMOVE"))) {
        if (cart_items_remove(c, e->product_id)) {
            product_unsubscribe m = { .cart_id = cart_key(c) };
            cart_send_product_unsubscribe(c, e->product_id, &m);
        }
        return 0;
    }
    if (prt_str_eq(e->action, PRT_STR_LIT("DELETE"))) { /* the cart is gone: unsubscribe, forget it */
        product_unsubscribe m = { .cart_id = cart_key(c) };
        for (size_t i = 0; i < cart_items_size(c); i++)
            cart_send_product_unsubscribe(c, cart_items_key_at(c, i), &m);
        cart_delete(c);
        return 0;
    }
    return cart_fail(c, "unknown action '%.*s'", (int)e->action.n, e->action.p);
}

/* One cart status event: a CloudEvent whose id counts the cart's events. */
static void status(cart_ctx *c, const cart_product_changed *m, const cart_item *was, const char *what)
{
    char id[160];
    long long n = cart_get_statuses(c) + 1;
    cart_set_statuses(c, n);
    snprintf(id, sizeof id, "%.*s-%lld", (int)cart_key(c).n, cart_key(c).p, n);
    cart_status s = {
        .specversion = PRT_STR_LIT("1.0"),
        .type = PRT_STR_LIT("com.example.cart.status"),
        .source = PRT_STR_LIT("shopping_cart/cart"),
        .id = prt_str_c(id),
        .time = cart_time(c),
        .datacontenttype = PRT_STR_LIT("application/json"),
        .cart_id = cart_key(c),
        .product_id = m->product_id,
        .status = prt_str_c(what),
        .old_price = was->price,
        .new_price = m->price,
        .old_availability = was->availability,
        .new_availability = m->availability,
    };
    cart_egress(c, &s);
}

int cart_on_product_changed(cart_ctx *c, const cart_product_changed *m)
{
    const cart_item *had = cart_items_get(c, m->product_id);
    if (!had)
        return 0; /* removed since: the unsubscribe is on its way */
    cart_item was = *had; /* its strings stay valid until the item is put again */
    int price = was.price != m->price, avail = !prt_str_eq(was.availability, m->availability);
    if (price)
        status(c, m, &was, "PRICE_CHANGED");
    if (avail)
        status(c, m, &was, "AVAILABILITY_CHANGED");
    if (price || avail) {
        cart_item now = { .quantity = was.quantity, .price = m->price, .availability = m->availability };
        cart_items_put(c, m->product_id, &now);
    }
    return 0;
}
