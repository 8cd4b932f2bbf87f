/* counter.c — the counter function of functions.yaml (the generated-code golden): every kind of
 * state, a send, a delayed send. Compiled by nothing in the golden test; it shows the API. */
#include "pipec_functions.h"

int counter_on_event(counter_ctx *c, const counter_event *e)
{
    counter_set_total(c, counter_get_total(c) + e->n);
    counter_set_label(c, e->who);
    note n = { .text = e->kind, .at = e->ts };
    counter_set_last(c, &n);
    counter_peers_add(c, e->who);
    counter_ids_add(c, e->n);
    by_n_pong p = { .from = e->who, .hops = 1 };
    counter_send_by_n_pong(c, e->n, &p);
    counter_send_by_n_pong_after(c, 60000, e->n, &p);
    return 0;
}

int counter_on_ping(counter_ctx *c, const counter_ping *m)
{
    return counter_peers_contains(c, m->from) ? 0 : counter_fail(c, "unknown peer");
}
