/* contract.c — handlers that fail in the ways the generated API reports (contract.yaml). */
#include "pipec_functions.h"

int ping_on_event(ping_ctx *c, const ping_event *e)
{
    ping_seen_add(c, e->what);
    ping_set_hits(c, ping_get_hits(c) + 1);
    if (prt_str_eq(e->what, PRT_STR_LIT("peek")))
        (void)ping_seen_at(c, 5); /* out of range: reported after the handler returns */
    if (prt_str_eq(e->what, PRT_STR_LIT("rally"))) {
        pong_ball b = { .hops = 0 };
        ping_send_pong_ball(c, ping_key(c), &b); /* ping -> pong -> ping ... never settles */
    }
    if (prt_str_eq(e->what, PRT_STR_LIT("refuse")))
        return ping_fail(c, "refused after %lld hits", (long long)ping_get_hits(c));
    if (prt_str_eq(e->what, PRT_STR_LIT("return")))
        return 7;
    return 0;
}

int ping_on_ball(ping_ctx *c, const ping_ball *m)
{
    pong_ball b = { .hops = m->hops + 1 };
    ping_send_pong_ball(c, ping_key(c), &b);
    return 0;
}

int pong_on_event(pong_ctx *c, const pong_event *e)
{
    return 0;
}

int pong_on_ball(pong_ctx *c, const pong_ball *m)
{
    ping_ball b = { .hops = m->hops + 1 };
    pong_send_ping_ball(c, pong_key(c), &b);
    if (m->hops == 4) {
        done d = { .who = pong_key(c), .hits = m->hops };
        pong_egress(c, &d);
    }
    return 0;
}
