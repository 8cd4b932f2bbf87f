/* test_window.c — hand-worked sequences for the keyed window engine (prt_window.h), with exact
 * expected results. The test vt: a string key and an acc {count, sum, min, max, first, last,
 * distinct values}; every firing is appended as one line to a log the cases compare. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "prt_hash.h"
#include "prt_test.h"
#include "prt_distinct.h"
#include "prt_window.h"
#include "prt_window_snap.h"

typedef struct tkey {
    prt_str s;
} tkey;

typedef struct tacc {
    int64_t count, sum, min, max, first, last;
    uint64_t first_seq, last_seq;
    prt_distinct d;
} tacc;

static const prt_field tkey_fields[] = {
    { "s", offsetof(tkey, s), PRT_S_STR, PRT_V_STRING, PRT_AGG_NONE, PRT_P_VALUE, NULL },
};
static const prt_schema tkey_schema = { "tkey", sizeof(tkey), 1, tkey_fields };
static const prt_field tacc_fields[] = {
    { "count", offsetof(tacc, count), PRT_S_I64, PRT_V_NONE, PRT_AGG_COUNT, PRT_P_VALUE, NULL },
    { "sum", offsetof(tacc, sum), PRT_S_I64, PRT_V_INT, PRT_AGG_SUM, PRT_P_VALUE, NULL },
    { "min", offsetof(tacc, min), PRT_S_I64, PRT_V_INT, PRT_AGG_MIN, PRT_P_VALUE, NULL },
    { "max", offsetof(tacc, max), PRT_S_I64, PRT_V_INT, PRT_AGG_MAX, PRT_P_VALUE, NULL },
    { "first", offsetof(tacc, first), PRT_S_I64, PRT_V_INT, PRT_AGG_FIRST, PRT_P_VALUE, NULL },
    { "first", offsetof(tacc, first_seq), PRT_S_U64, PRT_V_INT, PRT_AGG_FIRST, PRT_P_SEQ, NULL },
    { "last", offsetof(tacc, last), PRT_S_I64, PRT_V_INT, PRT_AGG_LAST, PRT_P_VALUE, NULL },
    { "last", offsetof(tacc, last_seq), PRT_S_U64, PRT_V_INT, PRT_AGG_LAST, PRT_P_SEQ, NULL },
    { "d", offsetof(tacc, d), PRT_S_DISTINCT, PRT_V_INT, PRT_AGG_COUNT_DISTINCT, PRT_P_VALUE, NULL },
};
static const prt_schema tacc_schema = { "tacc", sizeof(tacc), 9, tacc_fields };

static int k_eq(const void *a, const void *b) { return prt_str_eq(((const tkey *)a)->s, ((const tkey *)b)->s); }
static void a_merge(void *dp, const void *sp)
{
    tacc *d = dp;
    const tacc *s = sp;
    if (!s->count)
        return;
    if (!d->count || s->first_seq < d->first_seq)
        d->first = s->first, d->first_seq = s->first_seq;
    if (!d->count || s->last_seq > d->last_seq)
        d->last = s->last, d->last_seq = s->last_seq;
    if (!d->count || s->min < d->min)
        d->min = s->min;
    if (!d->count || s->max > d->max)
        d->max = s->max;
    d->count += s->count;
    d->sum += s->sum;
    prt_distinct_merge(&d->d, &s->d);
}

static char log_buf[1 << 16];
static size_t log_n;

/* A firing log of its own, passed as the operator's ctx (NULL: the shared log above). */
typedef struct tlog {
    char buf[1 << 18];
    size_t n;
} tlog;

static uint64_t khash(const char *key);

static void t_fire(void *ctx, const void *key, uint64_t hash, int64_t start, int64_t end, const void *acc,
                   int64_t ts)
{
    const tacc *a = acc;
    const tkey *k = key;
    char kz[64];
    snprintf(kz, sizeof kz, "%.*s", (int)k->s.n, k->s.p);
    prt_assert(hash == khash(kz)); /* a result carries its key's hash, as given to prt_winop_add */
    char range[64];
    if (start == INT64_MIN && end == INT64_MAX)
        snprintf(range, sizeof range, "[global]");
    else
        snprintf(range, sizeof range, "[%" PRId64 ",%" PRId64 ")", start, end);
    char *buf = ctx ? ((tlog *)ctx)->buf : log_buf;
    size_t *n = ctx ? &((tlog *)ctx)->n : &log_n, cap = ctx ? sizeof ((tlog *)ctx)->buf : sizeof log_buf;
    *n += (size_t)snprintf(buf + *n, cap - *n,
        "%.*s%s n=%" PRId64 " s=%" PRId64 " min=%" PRId64 " max=%" PRId64 " f=%" PRId64 " l=%" PRId64
        " d=%" PRIu64 " @%" PRId64 "\n", (int)((const tkey *)key)->s.n, ((const tkey *)key)->s.p, range, a->count, a->sum, a->min,
        a->max, a->first, a->last, prt_distinct_count(&a->d), ts);
    prt_assert(*n < cap);
}

static const prt_win_vt vt = { &tkey_schema, &tacc_schema, k_eq, a_merge, t_fire };

static prt_winop *mk(prt_win_spec s)
{
    log_n = 0;
    log_buf[0] = 0;
    prt_winop *w = prt_winop_new(&s, &vt, NULL);
    if (!w) {
        fprintf(stderr, "bad spec\n");
        abort();
    }
    return w;
}

static uint64_t khash(const char *s)
{
    uint64_t h = PRT_HASH_SEED;
    for (; *s; s++)
        h = prt_hash_u64(h, (unsigned char)*s);
    return prt_hash_finish(h);
}

/* One record, exactly as generated code does it; returns prt_winop_add's result. */
static int rec(prt_winop *w, const char *key, int64_t ts, int64_t v)
{
    tkey k = { prt_str_c(key) };
    int n = prt_winop_add(w, &k, khash(key), ts);
    void **accs = prt_winop_accs(w);
    uint64_t seq = prt_winop_seq(w);
    for (int i = 0; i < n; i++) {
        tacc *a = accs[i];
        if (!a->count)
            a->first = v, a->first_seq = seq, a->min = v, a->max = v;
        a->last = v, a->last_seq = seq;
        a->count++;
        a->sum += v;
        if (v < a->min)
            a->min = v;
        if (v > a->max)
            a->max = v;
        prt_distinct_add_u64(&a->d, (uint64_t)v);
    }
    prt_winop_added(w);
    return n;
}

#define LOG_IS(s) CHECK_EQ_S(log_buf, s)
#define CLEAR() (log_n = 0, log_buf[0] = 0)
#define END INT64_MAX

static prt_winop_stats stats(prt_winop *w)
{
    prt_winop_stats s;
    prt_winop_stats_get(w, &s);
    return s;
}

TEST(bad_specs)
{
    CHECK(!prt_winop_new(&(prt_win_spec){ .kind = PRT_WIN_TUMBLING, .size = 0 }, &vt, NULL));
    CHECK(!prt_winop_new(&(prt_win_spec){ .kind = PRT_WIN_SLIDING, .size = 10, .slide = 20 }, &vt, NULL));
    CHECK(!prt_winop_new(&(prt_win_spec){ .kind = PRT_WIN_SLIDING, .size = 10, .slide = 0 }, &vt, NULL));
    CHECK(!prt_winop_new(&(prt_win_spec){ .kind = PRT_WIN_SESSION, .gap = 0 }, &vt, NULL));
    CHECK(!prt_winop_new(&(prt_win_spec){ .kind = PRT_WIN_GLOBAL, .count = 0 }, &vt, NULL));
    CHECK(!prt_winop_new(&(prt_win_spec){ .kind = PRT_WIN_TUMBLING, .size = 10, .lateness = -1 }, &vt, NULL));
}

TEST(tumbling_out_of_order)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_TUMBLING, .size = 10 });
    CHECK_EQ_I(rec(w, "a", 5, 1), 1);
    CHECK_EQ_I(rec(w, "a", 2, 2), 1);
    prt_winop_advance(w, 4);
    CHECK_EQ_I(rec(w, "a", 12, 3), 1);
    CHECK_EQ_I(rec(w, "a", 8, 4), 1); /* out of order, but the watermark (4) is before 9 */
    CHECK_EQ_I(prt_winop_next_timer(w), 9);
    prt_winop_advance(w, 8);
    LOG_IS("");
    prt_winop_advance(w, 9);
    LOG_IS("a[0,10) n=3 s=7 min=1 max=4 f=1 l=4 d=3 @9\n");
    prt_winop_advance(w, 5); /* never backwards */
    CHECK_EQ_I(prt_winop_clock(w), 9);
    CLEAR();
    prt_winop_advance(w, END);
    LOG_IS("a[10,20) n=1 s=3 min=3 max=3 f=3 l=3 d=1 @19\n");
    CHECK_EQ_I(stats(w).windows, 0);
    CHECK_EQ_I(stats(w).keys, 0);
    CHECK_EQ_I(stats(w).fired, 2);
    CHECK_EQ_I(stats(w).late_fired, 0);
    prt_winop_free(w);
}

TEST(late_firing_and_purge)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_TUMBLING, .size = 10, .lateness = 5 });
    rec(w, "a", 3, 1);
    prt_winop_advance(w, 10);
    LOG_IS("a[0,10) n=1 s=1 min=1 max=1 f=1 l=1 d=1 @9\n");
    CHECK_EQ_I(stats(w).windows, 1); /* kept for the allowed lateness */
    CLEAR();
    CHECK_EQ_I(rec(w, "a", 7, 2), 1); /* 9 + 5 > 10: accepted, fires the whole result again */
    LOG_IS("a[0,10) n=2 s=3 min=1 max=2 f=1 l=2 d=2 @9\n");
    CHECK_EQ_I(stats(w).late_fired, 1);
    CLEAR();
    rec(w, "a", 15, 9); /* an open window */
    prt_winop_advance(w, 13);
    CHECK_EQ_I(rec(w, "a", 1, 4), 1); /* 9 + 5 > 13: still accepted */
    LOG_IS("a[0,10) n=3 s=7 min=1 max=4 f=1 l=4 d=3 @9\n");
    CLEAR();
    prt_winop_advance(w, 14); /* 9 + 5 <= 14: purged, no output */
    LOG_IS("");
    CHECK_EQ_I(stats(w).purged, 1);
    CHECK_EQ_I(stats(w).windows, 1);
    CHECK_EQ_I(stats(w).keys, 1);
    CHECK_EQ_I(rec(w, "a", 8, 5), 0); /* state gone: late for its only window */
    CHECK_EQ_I(stats(w).windows, 1);
    prt_winop_advance(w, END);
    LOG_IS("a[10,20) n=1 s=9 min=9 max=9 f=9 l=9 d=1 @19\n");
    CHECK_EQ_I(stats(w).fired, 4);
    CHECK_EQ_I(stats(w).late_fired, 2);
    CHECK_EQ_I(stats(w).purged, 2);
    CHECK_EQ_I(stats(w).keys, 0);
    prt_winop_free(w);
}

TEST(dropped_late)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_TUMBLING, .size = 10 });
    rec(w, "a", 1, 1);
    prt_winop_advance(w, 20);
    LOG_IS("a[0,10) n=1 s=1 min=1 max=1 f=1 l=1 d=1 @9\n");
    CHECK_EQ_I(stats(w).purged, 1); /* lateness 0: fire, then purge, at the same time */
    CHECK_EQ_I(stats(w).keys, 0);
    CHECK_EQ_I(rec(w, "a", 5, 1), 0);
    CHECK_EQ_I(rec(w, "b", 19, 1), 0); /* a key never seen, late: no state is created */
    CHECK_EQ_I(stats(w).keys, 0);
    CHECK_EQ_I(rec(w, "b", 21, 2), 1);
    prt_winop_advance(w, END);
    LOG_IS("a[0,10) n=1 s=1 min=1 max=1 f=1 l=1 d=1 @9\n"
           "b[20,30) n=1 s=2 min=2 max=2 f=2 l=2 d=1 @29\n");
    prt_winop_free(w);
}

/* A key remembers the window it took last (no table probe while its records stay in it): when
 * that window is purged its slot may go to another key's window of the same start, which the
 * key must not take for its own. */
TEST(tumbling_remembered_window_purged)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_TUMBLING, .size = 10 });
    rec(w, "a", 25, 1); /* a[20,30) */
    rec(w, "a", 12, 2); /* a[10,20): the one a took last */
    rec(w, "a", 13, 3); /* the same, remembered */
    prt_winop_advance(w, 20); /* a[10,20) fires and goes (lateness 0) */
    LOG_IS("a[10,20) n=2 s=5 min=2 max=3 f=2 l=3 d=2 @19\n");
    CLEAR();
    rec(w, "c", 21, 10); /* c[20,30), in the freed slot */
    rec(w, "a", 26, 4);  /* a[20,30), not c's */
    rec(w, "c", 22, 20);
    CHECK_EQ_I(stats(w).windows, 2);
    prt_winop_advance(w, END);
    LOG_IS("a[20,30) n=2 s=5 min=1 max=4 f=1 l=4 d=2 @29\n"
           "c[20,30) n=2 s=30 min=10 max=20 f=10 l=20 d=2 @29\n");
    prt_winop_free(w);
}

TEST(session_merge_three)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_SESSION, .gap = 10 });
    rec(w, "a", 0, 1);  /* [0,10) */
    rec(w, "a", 16, 2); /* [16,26) */
    CHECK_EQ_I(stats(w).windows, 2);
    rec(w, "a", 8, 3);  /* [8,18) bridges both: [0,26) */
    CHECK_EQ_I(stats(w).windows, 1);
    prt_winop_advance(w, 9); /* the old [0,10) timer is stale */
    prt_winop_advance(w, 24);
    LOG_IS("");
    prt_winop_advance(w, 25);
    LOG_IS("a[0,26) n=3 s=6 min=1 max=3 f=1 l=3 d=3 @25\n");
    CHECK_EQ_I(stats(w).windows, 0);
    CHECK_EQ_I(stats(w).keys, 0);
    prt_winop_free(w);
}

TEST(session_merge_keeps_first_last_by_seq)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_SESSION, .gap = 10 });
    rec(w, "a", 30, 7); /* seq 1, latest start */
    rec(w, "a", 0, 5);  /* seq 2, earliest start: the merge target */
    rec(w, "a", 15, 6); /* [15,25) touches neither [0,10) nor [30,40) */
    CHECK_EQ_I(stats(w).windows, 3);
    rec(w, "a", 22, 8); /* [22,32) joins [15,25) and [30,40) */
    rec(w, "a", 9, 4);  /* [9,19) joins [0,10) and [15,40) */
    CHECK_EQ_I(stats(w).windows, 1);
    prt_winop_advance(w, END);
    LOG_IS("a[0,40) n=5 s=30 min=4 max=8 f=7 l=4 d=5 @39\n");
    prt_winop_free(w);
}

TEST(sessions_touching)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_SESSION, .gap = 10 });
    rec(w, "a", 0, 1);
    rec(w, "a", 10, 2); /* [10,20) touches [0,10): merged */
    rec(w, "b", 0, 3);
    rec(w, "b", 11, 4); /* [11,21) does not touch [0,10) */
    CHECK_EQ_I(stats(w).windows, 3);
    prt_winop_advance(w, END);
    LOG_IS("b[0,10) n=1 s=3 min=3 max=3 f=3 l=3 d=1 @9\n"
           "a[0,20) n=2 s=3 min=1 max=2 f=1 l=2 d=2 @19\n"
           "b[11,21) n=1 s=4 min=4 max=4 f=4 l=4 d=1 @20\n");
    prt_winop_free(w);
}

TEST(session_late)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_SESSION, .gap = 10, .lateness = 5 });
    rec(w, "a", 0, 1);                 /* [0,10) */
    prt_winop_advance(w, 12);
    LOG_IS("a[0,10) n=1 s=1 min=1 max=1 f=1 l=1 d=1 @9\n");
    CLEAR();
    CHECK_EQ_I(rec(w, "a", 1, 2), 1); /* [1,11) grows the fired session to [0,11): 10 <= 12, */
    LOG_IS("a[0,11) n=2 s=3 min=1 max=2 f=1 l=2 d=2 @10\n"); /* a late firing at once */
    CLEAR();
    CHECK_EQ_I(rec(w, "a", 5, 3), 1); /* grows it to [0,15): open again, fires at 14 */
    LOG_IS("");
    CHECK_EQ_I(rec(w, "b", -10, 9), 0); /* a lone late session is dropped */
    CHECK_EQ_I(stats(w).keys, 1);
    prt_winop_advance(w, 14);
    LOG_IS("a[0,15) n=3 s=6 min=1 max=3 f=1 l=3 d=3 @14\n");
    CLEAR();
    CHECK_EQ_I(stats(w).windows, 1);
    prt_winop_advance(w, 19); /* purged at 14 + 5 (the old purge at 9 + 5 was stale) */
    CHECK_EQ_I(stats(w).windows, 0);
    CHECK_EQ_I(stats(w).purged, 1);
    LOG_IS("");
    prt_winop_free(w);
}

/* One stream through a sliding operator kept one slot per window (panes = 0: each record
 * updates its 2 windows) or as panes (one accumulator per 5 ms pane: each record updates 1). */
static void sliding_several(int panes)
{
    if (!panes)
        setenv("PRT_WIN_PANES", "0", 1);
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_SLIDING, .size = 10, .slide = 5, .lateness = 10 });
    unsetenv("PRT_WIN_PANES");
    int per = panes ? 1 : 2;
    CHECK_EQ_I(rec(w, "a", 7, 1), per); /* [5,15) then [0,10): Flink's order */
    CHECK_EQ_I(stats(w).windows, 2);
    prt_winop_advance(w, 12);
    LOG_IS("a[0,10) n=1 s=1 min=1 max=1 f=1 l=1 d=1 @9\n");
    CLEAR();
    CHECK_EQ_I(rec(w, "a", 8, 2), per); /* late firing of [0,10) only */
    LOG_IS("a[0,10) n=2 s=3 min=1 max=2 f=1 l=2 d=2 @9\n");
    CLEAR();
    CHECK_EQ_I(rec(w, "a", 12, 3), per); /* [10,20), [5,15) */
    CHECK_EQ_I(stats(w).windows, 3);
    CHECK_EQ_I(stats(w).late_fired, 1);
    prt_winop_advance(w, 19); /* [0,10) purged at 9 + 10 */
    CHECK_EQ_I(stats(w).windows, 2);
    CHECK_EQ_I(stats(w).purged, 1);
    CHECK_EQ_I(rec(w, "a", 2, 4), 0); /* late for [0,10) and [-5,5) */
    prt_winop_advance(w, END);
    LOG_IS("a[5,15) n=3 s=6 min=1 max=3 f=1 l=3 d=3 @14\n"
           "a[10,20) n=1 s=3 min=3 max=3 f=3 l=3 d=1 @19\n");
    CHECK_EQ_I(stats(w).windows, 0);
    CHECK_EQ_I(stats(w).keys, 0);
    prt_winop_free(w);
}

TEST(sliding_several_windows) { sliding_several(0); }
TEST(sliding_panes) { sliding_several(1); }

/* Equal-time firings come in the order the windows appeared, panes or not: a window appears with
 * the first record of its key in any of its panes (a's [0,10) appears with a's third record, after
 * b's, though a had a record before b; b's [5,15) with b's record at 11, not with its pane [0,5)). */
static void sliding_order(int panes)
{
    if (!panes)
        setenv("PRT_WIN_PANES", "0", 1);
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_SLIDING, .size = 10, .slide = 5 });
    unsetenv("PRT_WIN_PANES");
    rec(w, "a", 12, 1); /* a: [10,20), [5,15) */
    rec(w, "b", 3, 2);  /* b: [0,10), [-5,5) */
    rec(w, "a", 4, 3);  /* a: [0,10) now, [-5,5) now; [0,10) after b's */
    rec(w, "b", 11, 4); /* b: [10,20) new, [5,15) new (b's pane [0,5) is not in it) */
    prt_winop_advance(w, END);
    LOG_IS("b[-5,5) n=1 s=2 min=2 max=2 f=2 l=2 d=1 @4\n"
           "a[-5,5) n=1 s=3 min=3 max=3 f=3 l=3 d=1 @4\n"
           "b[0,10) n=1 s=2 min=2 max=2 f=2 l=2 d=1 @9\n"
           "a[0,10) n=1 s=3 min=3 max=3 f=3 l=3 d=1 @9\n"
           "a[5,15) n=1 s=1 min=1 max=1 f=1 l=1 d=1 @14\n"
           "b[5,15) n=1 s=4 min=4 max=4 f=4 l=4 d=1 @14\n"
           "a[10,20) n=1 s=1 min=1 max=1 f=1 l=1 d=1 @19\n"
           "b[10,20) n=1 s=4 min=4 max=4 f=4 l=4 d=1 @19\n");
    prt_winop_free(w);
}

/* A sliding operator kept as panes restores into panes (a record updates one accumulator) and
 * goes on as the uninterrupted run; a restored window with a lateness the panes cannot register
 * (changed since the snapshot) turns the operator into windows, still exactly. */
TEST(sliding_panes_restore)
{
    prt_win_spec sp = { .kind = PRT_WIN_SLIDING, .size = 10, .slide = 5, .lateness = 10 };
    prt_winop *w = mk(sp);
    rec(w, "a", 7, 1);
    rec(w, "b", 3, 2);
    prt_winop_advance(w, 12); /* [0,10) of a and b fired, not purged */
    prt_buf snap = { 0 };
    prt_winop_snapshot(w, 128, 0, 127, &snap);
    prt_winop_free(w);
    w = mk(sp);
    prt_err e;
    CHECK(prt_winop_load(w, prt_buf_str(&snap), &e) == PRT_OK);
    CHECK_EQ_I(stats(w).windows, 4); /* a: [5,15), [0,10); b: [0,10), [-5,5) */
    CHECK_EQ_I(rec(w, "a", 8, 2), 1); /* panes still: a late firing of [0,10) with both records */
    LOG_IS("a[0,10) n=2 s=3 min=1 max=2 f=1 l=2 d=2 @9\n");
    CLEAR();
    CHECK_EQ_I(rec(w, "a", 11, 5), 1); /* [10,20) new; [5,15) restored: 1, 2, then 5 */
    prt_winop_advance(w, END);
    LOG_IS("a[5,15) n=3 s=8 min=1 max=5 f=1 l=5 d=3 @14\n"
           "a[10,20) n=1 s=5 min=5 max=5 f=5 l=5 d=1 @19\n");
    CHECK_EQ_I(stats(w).windows, 0);
    CHECK_EQ_I(stats(w).keys, 0);
    prt_winop_free(w);
    sp.lateness = 0; /* [0,10) kept a PURGE timer only: one timer doing both does not fit panes */
    w = mk(sp);
    CHECK(prt_winop_load(w, prt_buf_str(&snap), &e) == PRT_OK);
    CHECK_EQ_I(rec(w, "a", 13, 5), 2); /* windows now */
    prt_winop_free(w);
    prt_buf_free(&snap);
}

TEST(sliding_order_windows) { sliding_order(0); }
TEST(sliding_panes_order) { sliding_order(1); }

TEST(sliding_uneven_and_negative)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_SLIDING, .size = 10, .slide = 4 });
    CHECK_EQ_I(rec(w, "a", -3, 1), 3); /* starts -4, -8, -12 */
    prt_winop_advance(w, END);
    LOG_IS("a[-12,-2) n=1 s=1 min=1 max=1 f=1 l=1 d=1 @-3\n"
           "a[-8,2) n=1 s=1 min=1 max=1 f=1 l=1 d=1 @1\n"
           "a[-4,6) n=1 s=1 min=1 max=1 f=1 l=1 d=1 @5\n");
    prt_winop_free(w);
}

TEST(offset_alignment)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_TUMBLING, .size = 10, .offset = 3 });
    rec(w, "a", 2, 1);
    rec(w, "a", 3, 2);
    rec(w, "a", 12, 3);
    prt_winop_advance(w, END);
    LOG_IS("a[-7,3) n=1 s=1 min=1 max=1 f=1 l=1 d=1 @2\n"
           "a[3,13) n=2 s=5 min=2 max=3 f=2 l=3 d=2 @12\n");
    prt_winop_free(w);
}

TEST(negative_timestamps)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_TUMBLING, .size = 10 });
    rec(w, "a", -1, 1);
    rec(w, "a", -10, 2);
    rec(w, "a", -11, 3);
    rec(w, "a", 0, 4);
    prt_winop_advance(w, -2);
    LOG_IS("a[-20,-10) n=1 s=3 min=3 max=3 f=3 l=3 d=1 @-11\n");
    CLEAR();
    CHECK_EQ_I(rec(w, "a", -15, 5), 0);
    prt_winop_advance(w, END);
    LOG_IS("a[-10,0) n=2 s=3 min=1 max=2 f=1 l=2 d=2 @-1\n"
           "a[0,10) n=1 s=4 min=4 max=4 f=4 l=4 d=1 @9\n");
    prt_winop_free(w);
}

TEST(end_of_input_flush)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_TUMBLING, .size = 10, .lateness = 1000 });
    rec(w, "x", 100, 1);
    rec(w, "y", 5, 2);
    rec(w, "x", 1, 3);
    prt_winop_advance(w, 50);
    LOG_IS("y[0,10) n=1 s=2 min=2 max=2 f=2 l=2 d=1 @9\n"
           "x[0,10) n=1 s=3 min=3 max=3 f=3 l=3 d=1 @9\n");
    CLEAR();
    CHECK_EQ_I(stats(w).windows, 3);
    prt_winop_advance(w, END);
    LOG_IS("x[100,110) n=1 s=1 min=1 max=1 f=1 l=1 d=1 @109\n");
    CHECK_EQ_I(stats(w).windows, 0);
    CHECK_EQ_I(stats(w).keys, 0);
    CHECK_EQ_I(stats(w).purged, 3);
    CHECK_EQ_I(prt_winop_next_timer(w), INT64_MAX);
    prt_winop_free(w);
}

TEST(global_count_purge)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_GLOBAL, .count = 2, .purge = 1 });
    rec(w, "a", 5, 1);
    rec(w, "a", 3, 2);
    LOG_IS("a[global] n=2 s=3 min=1 max=2 f=1 l=2 d=2 @5\n");
    CLEAR();
    rec(w, "a", 1, 4);
    prt_winop_advance(w, 1000); /* no timers in a global window */
    LOG_IS("");
    prt_winop_advance(w, END);
    LOG_IS("a[global] n=1 s=4 min=4 max=4 f=4 l=4 d=1 @1\n");
    CLEAR();
    prt_winop_advance(w, END);
    LOG_IS("");
    CHECK_EQ_I(stats(w).fired, 2);
    prt_winop_free(w);
}

TEST(global_count_no_purge)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_GLOBAL, .count = 2 });
    rec(w, "a", 5, 1);
    rec(w, "a", 3, 2);
    LOG_IS("a[global] n=2 s=3 min=1 max=2 f=1 l=2 d=2 @5\n");
    CLEAR();
    rec(w, "a", 1, 4);
    prt_winop_advance(w, END);
    LOG_IS("a[global] n=3 s=7 min=1 max=4 f=1 l=4 d=3 @5\n");
    CLEAR();
    rec(w, "a", 9, 5); /* after the flush: the pane goes on counting from its last firing */
    LOG_IS("");
    rec(w, "a", 8, 6);
    LOG_IS("a[global] n=5 s=18 min=1 max=6 f=1 l=6 d=5 @9\n");
    prt_winop_free(w);
}

TEST(global_flush_order)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_GLOBAL, .count = 3, .purge = 1 });
    rec(w, "a", 1, 1);
    rec(w, "b", 2, 2);
    rec(w, "a", 3, 3);
    rec(w, "a", 4, 4);
    LOG_IS("a[global] n=3 s=8 min=1 max=4 f=1 l=4 d=3 @4\n");
    CLEAR();
    rec(w, "a", 5, 5);
    rec(w, "c", 6, 6);
    prt_winop_advance(w, END); /* by the arrival of each pane's oldest unfired record */
    LOG_IS("b[global] n=1 s=2 min=2 max=2 f=2 l=2 d=1 @2\n"
           "a[global] n=1 s=5 min=5 max=5 f=5 l=5 d=1 @5\n"
           "c[global] n=1 s=6 min=6 max=6 f=6 l=6 d=1 @6\n");
    prt_winop_free(w);
}

TEST(running_aggregate)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_RUNNING });
    CHECK_EQ_I(rec(w, "a", 5, 1), 1);
    CHECK_EQ_I(rec(w, "b", 3, 2), 1);
    prt_winop_advance(w, 100);
    CHECK_EQ_I(rec(w, "a", 1, 3), 1); /* never late */
    prt_winop_advance(w, END);
    LOG_IS("a[0,0) n=1 s=1 min=1 max=1 f=1 l=1 d=1 @5\n"
           "b[0,0) n=1 s=2 min=2 max=2 f=2 l=2 d=1 @3\n"
           "a[0,0) n=2 s=4 min=1 max=3 f=1 l=3 d=2 @1\n");
    CHECK_EQ_I(stats(w).keys, 2);
    prt_winop_free(w);
}

TEST(processing_time)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_TUMBLING, .size = 10, .lateness = 50,
                                      .processing_time = 1 });
    rec(w, "a", 3, 1);
    prt_winop_advance(w, 5);
    rec(w, "a", 8, 2);
    CHECK_EQ_I(prt_winop_next_timer(w), 9);
    prt_winop_advance(w, 9);
    LOG_IS("a[0,10) n=2 s=3 min=1 max=2 f=1 l=2 d=2 @9\n");
    CHECK_EQ_I(stats(w).windows, 0); /* no lateness on the wall clock: purged at once */
    CLEAR();
    rec(w, "a", 12, 3);
    prt_winop_advance(w, 25);
    LOG_IS("a[10,20) n=1 s=3 min=3 max=3 f=3 l=3 d=1 @19\n");
    CLEAR();
    CHECK_EQ_I(rec(w, "a", 1, 4), 1); /* nothing is late: fires at the next tick */
    LOG_IS("");
    prt_winop_advance(w, 26);
    LOG_IS("a[0,10) n=1 s=4 min=4 max=4 f=4 l=4 d=1 @9\n");
    CHECK_EQ_I(stats(w).late_fired, 0);
    prt_winop_free(w);
}

TEST(processing_time_session)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_SESSION, .gap = 10, .processing_time = 1 });
    rec(w, "a", 0, 1);
    prt_winop_advance(w, 8);
    rec(w, "a", 8, 2);
    prt_winop_advance(w, 16);
    LOG_IS("");
    prt_winop_advance(w, 17);
    LOG_IS("a[0,18) n=2 s=3 min=1 max=2 f=1 l=2 d=2 @17\n");
    prt_winop_free(w);
}

TEST(firing_order_across_keys)
{
    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_TUMBLING, .size = 10 });
    rec(w, "b", 1, 1);
    rec(w, "a", 2, 2);
    rec(w, "c", 15, 3);
    rec(w, "a", 11, 4);
    rec(w, "b", 3, 5);
    prt_winop_advance(w, END);
    LOG_IS("b[0,10) n=2 s=6 min=1 max=5 f=1 l=5 d=2 @9\n"
           "a[0,10) n=1 s=2 min=2 max=2 f=2 l=2 d=1 @9\n"
           "c[10,20) n=1 s=3 min=3 max=3 f=3 l=3 d=1 @19\n"
           "a[10,20) n=1 s=4 min=4 max=4 f=4 l=4 d=1 @19\n");
    prt_winop_free(w);
}

TEST(count_distinct)
{
    prt_distinct da = { 0 }, db = { 0 }, *a = &da, *b = &db;
    CHECK_EQ_I(prt_distinct_count(a), 0);
    prt_distinct_add_u64(a, 1);
    prt_distinct_add_u64(a, 2);
    prt_distinct_add_u64(a, 2);
    prt_distinct_add_u64(a, 0);
    prt_distinct_add_u64(a, 0);
    CHECK_EQ_I(prt_distinct_count(a), 3);
    char buf[8] = "x";
    prt_distinct_add_str(b, prt_str_c(buf));
    buf[0] = 'y'; /* the set kept its own copy */
    prt_distinct_add_str(b, prt_str_c(buf));
    prt_distinct_add_str(b, PRT_STR_LIT("x"));
    prt_distinct_add_str(b, PRT_STR_LIT(""));
    prt_distinct_add_u64(b, 2);
    prt_distinct_add_u64(b, 3);
    CHECK_EQ_I(prt_distinct_count(b), 5);
    prt_distinct_merge(a, b);
    CHECK_EQ_I(prt_distinct_count(a), 7); /* {0,1,2,3,"x","y",""} */
    prt_distinct_merge(a, b);
    CHECK_EQ_I(prt_distinct_count(a), 7);
    for (uint64_t i = 0; i < 10000; i++) /* growth */
        prt_distinct_add_u64(b, i * 0x10000);
    CHECK_EQ_I(prt_distinct_count(b), 10000 + 4 + 1); /* 0 was new too; 2 and 3 not multiples */
    prt_distinct_clear(a);
    prt_distinct_clear(b);

    prt_winop *w = mk((prt_win_spec){ .kind = PRT_WIN_SESSION, .gap = 10 });
    rec(w, "a", 0, 1);
    rec(w, "a", 30, 1);
    rec(w, "a", 31, 2);
    rec(w, "a", 15, 2); /* [15,25): alone */
    rec(w, "a", 22, 3); /* joins [15,25) and [30,41): distinct {1,2,3} */
    prt_winop_advance(w, END);
    LOG_IS("a[0,10) n=1 s=1 min=1 max=1 f=1 l=1 d=1 @9\n"
           "a[15,41) n=4 s=8 min=1 max=3 f=1 l=3 d=3 @40\n");
    prt_winop_free(w);
}

/* Many keys and windows through slot reuse, stale timers and key freeing: the invariants
 * (nothing left after the end, fired == created windows) and, under ASan, no leak. */
TEST(churn)
{
    static const prt_win_spec specs[] = {
        { .kind = PRT_WIN_TUMBLING, .size = 100, .lateness = 50 },
        { .kind = PRT_WIN_SLIDING, .size = 100, .slide = 30, .lateness = 20 },
        { .kind = PRT_WIN_SESSION, .gap = 40, .lateness = 30 },
    };
    for (size_t s = 0; s < sizeof specs / sizeof specs[0]; s++) {
        prt_winop *w = mk(specs[s]);
        uint64_t x = 88172645463325252ULL;
        int64_t maxts = INT64_MIN;
        uint64_t accepted = 0;
        for (int i = 0; i < 20000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            char key[16];
            snprintf(key, sizeof key, "k%d", (int)(x % 97));
            int64_t ts = i * 3 - (int64_t)(x >> 40) % 300 - 1000;
            accepted += rec(w, key, ts, (int64_t)(x % 10)) > 0;
            log_n = 0;
            if (ts > maxts)
                maxts = ts;
            prt_winop_advance(w, maxts - 100);
            prt_winop_stats st = stats(w);
            if (st.keys > 97 || st.windows > 97 * 40) {
                TEST_FAIL("state grows: %" PRIu64 " keys, %" PRIu64 " windows", st.keys, st.windows);
                break;
            }
        }
        prt_winop_advance(w, END);
        prt_winop_stats st = stats(w);
        CHECK_EQ_I(st.keys, 0);
        CHECK_EQ_I(st.windows, 0);
        CHECK(accepted > 10000 && accepted < 20000); /* roughly a quarter arrive too late */
        CHECK(st.fired > st.late_fired && st.late_fired > 0);
        prt_winop_free(w);
    }
}

/* ---- snapshots: walk, encode, rebuild ---- */

static const prt_win_spec snap_specs[] = {
    { .kind = PRT_WIN_TUMBLING, .size = 10, .lateness = 7 },
    { .kind = PRT_WIN_SLIDING, .size = 30, .slide = 10, .offset = 3, .lateness = 5 },
    { .kind = PRT_WIN_SESSION, .gap = 6, .lateness = 4 },
    { .kind = PRT_WIN_GLOBAL, .count = 3, .purge = 1 },
    { .kind = PRT_WIN_GLOBAL, .count = 4, .purge = 0 },
    { .kind = PRT_WIN_RUNNING },
};

/* The i-th record of a seeded out-of-order stream over 7 keys, and the watermark after it. */
static void stream_at(int i, const char **key, int64_t *ts, int64_t *v)
{
    static const char *const keys[] = { "a", "b", "c", "dd", "e", "", "longer key" };
    uint64_t x = prt_hash_finish((uint64_t)i * 0x9e3779b97f4a7c15ULL + 1);
    *key = keys[x % 7];
    *ts = i * 2 - (int64_t)((x >> 8) % 13); /* up to 12 out of order */
    *v = (int64_t)((x >> 20) % 50) - 10;
}

static void feed(prt_winop *w, int from, int to, int64_t *max_ts)
{
    for (int i = from; i < to; i++) {
        const char *key;
        int64_t ts, v;
        stream_at(i, &key, &ts, &v);
        rec(w, key, ts, v);
        if (ts > *max_ts)
            *max_ts = ts;
        prt_winop_advance(w, *max_ts - 6);
    }
}

static void snapshot_bytes(const prt_winop *w, prt_buf *out)
{
    out->n = 0;
    prt_winop_snapshot(w, 128, 0, 127, out);
}

/* Cut the stream at several points: snapshot, rebuild a fresh engine from the bytes, feed the
 * rest: the firings equal one uninterrupted run's, and the rebuilt engine snapshots to the same
 * bytes as the one it was built from. */
TEST(snapshot_rebuild)
{
    enum { NREC = 400 };
    static tlog whole, cut;
    for (size_t k = 0; k < sizeof snap_specs / sizeof snap_specs[0]; k++) {
        whole.n = 0;
        prt_winop *w = prt_winop_new(&snap_specs[k], &vt, &whole);
        int64_t max_ts = INT64_MIN;
        feed(w, 0, NREC, &max_ts);
        prt_winop_advance(w, END);
        prt_winop_free(w);
        for (int at = 1; at < NREC; at += 57) {
            cut.n = 0;
            max_ts = INT64_MIN;
            prt_winop *a = prt_winop_new(&snap_specs[k], &vt, &cut);
            feed(a, 0, at, &max_ts);
            prt_buf snap = { 0 }, again = { 0 };
            snapshot_bytes(a, &snap);
            prt_winop_free(a);
            prt_winop *b = prt_winop_new(&snap_specs[k], &vt, &cut);
            prt_err e;
            if (prt_winop_load(b, prt_buf_str(&snap), &e) != PRT_OK) {
                TEST_FAIL("spec %zu, cut at %d: %s", k, at, e.msg);
                prt_winop_free(b);
                prt_buf_free(&snap);
                return;
            }
            snapshot_bytes(b, &again);
            if (again.n != snap.n || memcmp(again.p, snap.p, snap.n) != 0)
                TEST_FAIL("spec %zu, cut at %d: the rebuilt engine snapshots differently", k, at);
            feed(b, at, NREC, &max_ts);
            prt_winop_advance(b, END);
            prt_winop_free(b);
            prt_buf_free(&snap);
            prt_buf_free(&again);
            if (cut.n != whole.n || memcmp(cut.buf, whole.buf, whole.n) != 0) {
                TEST_FAIL("spec %zu, cut at %d: firings differ from the uninterrupted run", k, at);
                return;
            }
        }
        if (whole.n < 200)
            TEST_FAIL("spec %zu fired too little (%zu bytes) to prove anything", k, whole.n);
    }
}

/* Key-group ranges partition the state: two halves loaded into one engine snapshot to the same
 * bytes as the whole; a corrupted snapshot is refused. */
TEST(snapshot_key_groups)
{
    static tlog log;
    prt_winop *w = prt_winop_new(&snap_specs[2], &vt, &log);
    int64_t max_ts = INT64_MIN;
    feed(w, 0, 100, &max_ts);
    prt_buf whole = { 0 }, lo = { 0 }, hi = { 0 }, again = { 0 };
    snapshot_bytes(w, &whole);
    prt_winop_snapshot(w, 128, 0, 63, &lo);
    prt_winop_snapshot(w, 128, 64, 127, &hi);
    prt_winop *b = prt_winop_new(&snap_specs[2], &vt, &log);
    prt_err e;
    CHECK(prt_winop_load(b, prt_buf_str(&lo), &e) == PRT_OK);
    CHECK(prt_winop_load(b, prt_buf_str(&hi), &e) == PRT_OK);
    snapshot_bytes(b, &again);
    CHECK(again.n == whole.n && memcmp(again.p, whole.p, whole.n) == 0);
    CHECK(lo.n < whole.n && hi.n < whole.n);
    prt_winop_free(b);

    b = prt_winop_new(&snap_specs[2], &vt, &log); /* the same key group twice: refused */
    CHECK(prt_winop_load(b, prt_buf_str(&lo), &e) == PRT_OK);
    CHECK(prt_winop_load(b, prt_buf_str(&lo), &e) == PRT_ERR);
    CHECK(strstr(e.msg, "appears twice or overlaps another") != NULL);
    prt_winop_free(b);
    b = prt_winop_new(&snap_specs[0], &vt, &log);
    CHECK(prt_winop_load(b, prt_buf_str(&whole), &e) == PRT_ERR); /* sessions into tumbling */
    prt_winop_free(b);
    for (size_t n = 0; n < whole.n; n += 7) {
        b = prt_winop_new(&snap_specs[2], &vt, &log);
        if (prt_winop_load(b, (prt_str){ whole.p, n }, &e) == PRT_OK)
            TEST_FAIL("a snapshot truncated to %zu of %zu bytes loaded", n, whole.n);
        prt_winop_free(b);
    }
    whole.p[0] = 9;
    b = prt_winop_new(&snap_specs[2], &vt, &log);
    CHECK(prt_winop_load(b, prt_buf_str(&whole), &e) == PRT_ERR);
    CHECK_EQ_S(e.msg, "window state version 9 is not supported (this build reads 1)");
    prt_winop_free(b);
    prt_winop_free(w);
    prt_buf_free(&whole);
    prt_buf_free(&lo);
    prt_buf_free(&hi);
    prt_buf_free(&again);
}

int main(void)
{
    RUN(bad_specs);
    RUN(tumbling_out_of_order);
    RUN(late_firing_and_purge);
    RUN(dropped_late);
    RUN(tumbling_remembered_window_purged);
    RUN(session_merge_three);
    RUN(session_merge_keeps_first_last_by_seq);
    RUN(sessions_touching);
    RUN(session_late);
    RUN(sliding_several_windows);
    RUN(sliding_panes);
    RUN(sliding_panes_restore);
    RUN(sliding_order_windows);
    RUN(sliding_panes_order);
    RUN(sliding_uneven_and_negative);
    RUN(offset_alignment);
    RUN(negative_timestamps);
    RUN(end_of_input_flush);
    RUN(global_count_purge);
    RUN(global_count_no_purge);
    RUN(global_flush_order);
    RUN(running_aggregate);
    RUN(processing_time);
    RUN(processing_time_session);
    RUN(firing_order_across_keys);
    RUN(count_distinct);
    RUN(churn);
    RUN(snapshot_rebuild);
    RUN(snapshot_key_groups);
    return test_summary();
}
