/* test_wm.c — the per-partition watermark tracker: max - out_of_orderness - 1, the minimum over
 * partitions, idle exclusion and re-inclusion, never backwards. */
#include "prt_wm.h"
#include "prt_core.h"
#include "prt_test.h"

/* Returns the new watermark when it advanced, else -1 (test timestamps are positive). */
static int64_t rec(prt_wm *w, int32_t p, int64_t ts, int64_t now)
{
    int64_t wm = 0;
    return prt_wm_record(w, p, ts, now, &wm) ? wm : -1;
}

static int64_t idle(prt_wm *w, int64_t now)
{
    int64_t wm = 0;
    return prt_wm_check_idle(w, now, &wm) ? wm : -1;
}

TEST(single_partition)
{
    prt_wm *w = prt_wm_new(5000, 0);
    CHECK(prt_wm_current(w) == INT64_MIN);
    prt_wm_partition_add(w, 0, 0);
    CHECK_EQ_I(rec(w, 0, 10000, 1), 4999);  /* 10000 - 5000 - 1 */
    CHECK_EQ_I(rec(w, 0, 9000, 2), -1);     /* out of order: no change */
    CHECK_EQ_I(rec(w, 0, 10000, 3), -1);    /* equal: no change */
    CHECK_EQ_I(rec(w, 0, 10001, 4), 5000);
    CHECK_EQ_I(prt_wm_current(w), 5000);
    CHECK_EQ_I(idle(w, 1000000), -1);       /* idleness is off */
    prt_wm_free(w);
}

TEST(zero_out_of_orderness)
{
    prt_wm *w = prt_wm_new(0, 0);
    CHECK_EQ_I(rec(w, 0, 1000, 0), 999);    /* partition added on its first record */
    prt_wm_free(w);
}

TEST(min_over_partitions)
{
    prt_wm *w = prt_wm_new(0, 0);
    prt_wm_partition_add(w, 0, 0);
    prt_wm_partition_add(w, 1, 0);
    prt_wm_partition_add(w, 2, 0);
    CHECK_EQ_I(rec(w, 0, 100, 0), -1);      /* 1 and 2 have no record yet: held at -inf */
    CHECK_EQ_I(rec(w, 1, 300, 0), -1);
    CHECK(prt_wm_current(w) == INT64_MIN);
    CHECK_EQ_I(rec(w, 2, 200, 0), 99);      /* min(99, 299, 199) */
    CHECK_EQ_I(rec(w, 1, 400, 0), -1);      /* not the minimum partition */
    CHECK_EQ_I(rec(w, 0, 250, 0), 199);     /* now p2 holds it */
    CHECK_EQ_I(rec(w, 2, 500, 0), 249);
    prt_wm_partition_add(w, 3, 0);          /* a new partition cannot move it backwards */
    CHECK_EQ_I(prt_wm_current(w), 249);
    CHECK_EQ_I(rec(w, 0, 1000, 0), -1);     /* p3 (no record) holds it */
    prt_wm_partition_remove(w, 3);
    int64_t wm = 0;
    CHECK(prt_wm_recompute(w, &wm) == 1);
    CHECK_EQ_I(wm, 399);                    /* min(999, 399, 499) */
    prt_wm_free(w);
}

TEST(idle_partitions)
{
    prt_wm *w = prt_wm_new(1000, 60000);    /* out_of_orderness 1s, idle 1m */
    prt_wm_partition_add(w, 0, 0);
    prt_wm_partition_add(w, 1, 0);
    CHECK_EQ_I(rec(w, 0, 100000, 10), -1);  /* p1 never delivered: holds at -inf */
    CHECK_EQ_I(idle(w, 59999), -1);
    CHECK_EQ_I(idle(w, 60000), 98999);      /* p1 idle since it was added: excluded */
    CHECK_EQ_I(rec(w, 0, 110000, 61000), 108999);
    /* p1 comes back behind the watermark: it counts again, but nothing goes backwards */
    CHECK_EQ_I(rec(w, 1, 50000, 62000), -1);
    CHECK_EQ_I(prt_wm_current(w), 108999);
    CHECK_EQ_I(rec(w, 0, 120000, 63000), -1); /* p1 (48999) holds it now */
    CHECK_EQ_I(rec(w, 1, 115000, 64000), 113999);
    /* both idle: the watermark stays where it is */
    CHECK_EQ_I(idle(w, 200000), -1);
    CHECK_EQ_I(prt_wm_current(w), 113999);
    /* p0 delivers again while p1 stays idle: only p0 counts */
    CHECK_EQ_I(rec(w, 0, 130000, 200001), 128999);
    /* p0 idle again, then p1 returns with a later time */
    CHECK_EQ_I(idle(w, 260001), -1);
    CHECK_EQ_I(rec(w, 1, 140000, 260002), 138999);
    prt_wm_free(w);
}

TEST(idle_holder_released)
{
    prt_wm *w = prt_wm_new(0, 1000);
    CHECK_EQ_I(rec(w, 0, 5000, 0), 4999);
    CHECK_EQ_I(rec(w, 1, 2000, 0), -1);     /* p1 auto-added, holds at 1999 < 4999: stays */
    CHECK_EQ_I(rec(w, 0, 9000, 500), -1);   /* min(8999, 1999) = 1999 <= 4999 */
    CHECK_EQ_I(idle(w, 999), -1);
    CHECK_EQ_I(idle(w, 1000), 8999);        /* p1 idle (last record at 0); p0 was active at 500 */
    CHECK_EQ_I(idle(w, 1001), -1);          /* nothing more to release */
    CHECK_EQ_I(rec(w, 0, 9001, 1200), 9000);/* p0 alone */
    prt_wm_free(w);
}

/* pipec test's watermark step: moves the source watermark forward only, and records then move
 * it from there as usual. */
TEST(forced)
{
    prt_wm *w = prt_wm_new(1000, 0);
    prt_wm_partition_add(w, 0, 0);
    CHECK_EQ_I(rec(w, 0, 5000, 1), 3999);
    CHECK(prt_wm_force(w, 10000) == 1);
    CHECK_EQ_I(prt_wm_current(w), 10000);
    CHECK(prt_wm_force(w, 10000) == 0);     /* already there */
    CHECK(prt_wm_force(w, 9000) == 0);      /* never backwards */
    CHECK_EQ_I(prt_wm_current(w), 10000);
    CHECK_EQ_I(rec(w, 0, 8000, 2), -1);     /* a record behind it does not move it */
    CHECK_EQ_I(rec(w, 0, 12000, 3), 10999); /* one past it does */
    prt_wm_free(w);
}

TEST(extremes)
{
    prt_wm *w = prt_wm_new(5000, 0);
    CHECK_EQ_I(rec(w, 0, INT64_MIN + 10, 0), -1); /* saturates instead of overflowing */
    CHECK(prt_wm_current(w) == INT64_MIN);
    int64_t wm = 0;
    CHECK(prt_wm_record(w, 0, INT64_MAX, 0, &wm) == 1);
    CHECK(wm == INT64_MAX - 5001);
    prt_wm_free(w);
}

/* The inline prt_wm_record (its short way for the only counting partition, w->fast, included) against
 * prt_wm_record_any on the same random sequences: 1 to 3 partitions added and removed, idle
 * checks, times mostly rising, some behind, some near INT64_MIN. */
TEST(inline_matches_any)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int round = 0; round < 200; round++) {
        int64_t ooo = round % 4 == 0 ? 0 : 5000;
        prt_wm *a = prt_wm_new(ooo, round % 3 ? 60000 : 0), *b = prt_wm_new(ooo, round % 3 ? 60000 : 0);
        int64_t t = round % 5 == 0 ? INT64_MIN + 3 : 1000, now = 0;
        for (int i = 0; i < 3000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int32_t p = (int32_t)(x % 3 == 0 ? (x >> 8) % 3 : 0);
            unsigned op = (unsigned)(x >> 16) % 100;
            now += (int64_t)((x >> 24) % 2000);
            if (op == 0) {
                prt_wm_partition_add(a, p, now), prt_wm_partition_add(b, p, now);
            } else if (op == 1) {
                int64_t wa = 0, wb = 0;
                prt_wm_partition_remove(a, p), prt_wm_partition_remove(b, p);
                CHECK_EQ_I(prt_wm_recompute(a, &wa), prt_wm_recompute(b, &wb));
                CHECK(wa == wb);
            } else if (op == 2) {
                int64_t wa = 0, wb = 0;
                CHECK_EQ_I(prt_wm_check_idle(a, now, &wa), prt_wm_check_idle(b, now, &wb));
                CHECK(wa == wb);
            } else {
                int64_t back = (int64_t)((x >> 32) % 9000);
                int64_t ts = op < 90 ? (t += (int64_t)((x >> 32) % 7)) : t < INT64_MIN + back ? t : t - back;
                int64_t wa = 0, wb = 0;
                int ra = prt_wm_record(a, p, ts, now, &wa), rb = prt_wm_record_any(b, p, ts, now, &wb);
                int same_parts = a->nparts == b->nparts;
                for (int k = 0; same_parts && k < a->nparts; k++) /* the short way keeps the same books */
                    same_parts = a->parts[k].present == b->parts[k].present && a->parts[k].idle == b->parts[k].idle &&
                                 a->parts[k].max_ts == b->parts[k].max_ts && a->parts[k].last == b->parts[k].last;
                if (ra != rb || wa != wb || prt_wm_current(a) != prt_wm_current(b) || !same_parts) {
                    TEST_FAIL("round %d step %d: inline %d %lld, any %d %lld", round, i, ra, (long long)wa, rb,
                              (long long)wb);
                    i = 3000, round = 200;
                }
            }
        }
        prt_wm_free(a);
        prt_wm_free(b);
    }
}

int main(void)
{
    RUN(single_partition);
    RUN(zero_out_of_orderness);
    RUN(min_over_partitions);
    RUN(idle_partitions);
    RUN(idle_holder_released);
    RUN(forced);
    RUN(extremes);
    RUN(inline_matches_any);
    return test_summary();
}
