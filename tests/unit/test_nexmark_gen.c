/* test_nexmark_gen.c — the Nexmark generators as one event stream (prt_gen_spec.event_step_us):
 * per 50 events 1 person, 3 auctions, 46 bids, the event numbers of the three kinds partition
 * 0..N-1, and event times follow the configured rate. */
#include "prt_gen.h"
#include "prt_test.h"

#include <stdlib.h>

#define T0 1716465600000LL /* 2024-05-23T12:00:00Z */

TEST(event_numbers_partition_the_stream)
{
    enum { N = 5000 };
    static unsigned char seen[N];
    memset(seen, 0, sizeof seen);
    struct { const char *kind; int count; } k[] = { { "nexmark_person", N / 50 }, { "nexmark_auction", N / 50 * 3 },
                                                   { "nexmark_bid", N / 50 * 46 } };
    for (int j = 0; j < 3; j++)
        for (int i = 0; i < k[j].count; i++) {
            int64_t e = prt_gen_nexmark_event(k[j].kind, i);
            if (e < 0 || e >= N || seen[e]) {
                TEST_FAIL("%s %d maps to event %lld (taken or out of range)", k[j].kind, i, (long long)e);
                return;
            }
            seen[e] = (unsigned char)(j + 1);
        }
    for (int e = 0; e < N; e++) {
        int want = e % 50 == 0 ? 1 : e % 50 <= 3 ? 2 : 3;
        if (seen[e] != want) {
            TEST_FAIL("event %d is of kind %d, expected %d", e, seen[e], want);
            return;
        }
    }
    CHECK_EQ_I(prt_gen_nexmark_event("orders", 3), -1);
    CHECK_EQ_I(prt_gen_nexmark_event("nexmark_bid", 46), 54);
}

TEST(event_times_follow_the_rate)
{
    /* 100k events/s: 10 us per event; bid i is event i/46*50 + 4 + i%46 */
    prt_gen_spec sp = { "nexmark_bid", "csv", 1, T0, 0, 0, 10 };
    prt_err e;
    prt_gen *g = prt_gen_new(&sp, &e);
    CHECK(g != NULL);
    if (!g)
        return;
    prt_buf b = { 0 };
    for (int64_t i = 0; i < 10000; i++) {
        int64_t ts, ev = i / 46 * 50 + 4 + i % 46;
        prt_gen_next(g, &b, &ts);
        if (ts != T0 + ev * 10 / 1000) {
            TEST_FAIL("bid %lld at %lld, expected %lld", (long long)i, (long long)ts, (long long)(T0 + ev * 10 / 1000));
            break;
        }
    }
    prt_gen_free(g);
    /* orders are not Nexmark's: step_ms still rules */
    prt_gen_spec so = { "orders", "kv", 1, T0, 7, 0, 10 };
    g = prt_gen_new(&so, &e);
    CHECK(g != NULL);
    if (g) {
        int64_t ts;
        prt_gen_next(g, &b, &ts);
        prt_gen_next(g, &b, &ts);
        CHECK_EQ_I(ts, T0 + 7);
        prt_gen_free(g);
    }
    prt_buf_free(&b);
}

int main(void)
{
    RUN(event_numbers_partition_the_stream);
    RUN(event_times_follow_the_rate);
    return test_summary();
}
