/* by_n.c — the by_n function of functions.yaml (the generated-code golden): maps, egress, sends
 * to another function and to itself. */
#include "pipec_functions.h"

int by_n_on_event(by_n_ctx *c, const by_n_event *e)
{
    const int64_t *had = by_n_per_who_get(c, e->who);
    by_n_per_who_put(c, e->who, had ? *had + 1 : 1);
    note n = { .text = e->who, .at = e->ts };
    by_n_notes_put(c, by_n_key(c), &n);
    by_n_egress(c, &n);
    counter_ping ping = { .from = e->who, .hops = 0 };
    by_n_send_counter_ping(c, e->who, &ping);
    return 0;
}

int by_n_on_pong(by_n_ctx *c, const by_n_pong *m)
{
    if (m->hops < 3) {
        by_n_pong next = { .from = m->from, .hops = m->hops + 1 };
        by_n_send_by_n_pong(c, by_n_key(c) + 1, &next);
    }
    return 0;
}
