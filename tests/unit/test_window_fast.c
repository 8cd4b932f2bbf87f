/* test_window_fast.c — the window engine's per-record fast paths against its general ones, on
 * seeded random streams (out of order, late, key changes, window boundaries, purges and slot
 * reuse, savepoints taken and restored mid-stream):
 *   - prt_winop_advance's inline test (the clock below h.due: no timer looked at) against
 *     prt_winop_advance_any, and prt_winop_added's (h.added) against prt_winop_added_any, for
 *     every kind of window;
 *   - the tumbling add (add_tumbling) against add_fixed, which assigns a sliding window whose
 *     slide is its size to the very same single window.
 * Each operator appends its firings to its own log; the logs, the add results and the
 * snapshots (what a savepoint holds) must be equal. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "prt_hash.h"
#include "prt_test.h"
#include "prt_window.h"
#include "prt_window_snap.h"

typedef struct fkey {
    prt_str s;
} fkey;

typedef struct facc {
    int64_t count, sum;
    uint64_t first_seq;
} facc;

static const prt_field fkey_fields[] = {
    { "s", offsetof(fkey, s), PRT_S_STR, PRT_V_STRING, PRT_AGG_NONE, PRT_P_VALUE, NULL },
};
static const prt_schema fkey_schema = { "fkey", sizeof(fkey), 1, fkey_fields };
static const prt_field facc_fields[] = {
    { "count", offsetof(facc, count), PRT_S_I64, PRT_V_NONE, PRT_AGG_COUNT, PRT_P_VALUE, NULL },
    { "sum", offsetof(facc, sum), PRT_S_I64, PRT_V_INT, PRT_AGG_SUM, PRT_P_VALUE, NULL },
    { "first", offsetof(facc, first_seq), PRT_S_U64, PRT_V_INT, PRT_AGG_FIRST, PRT_P_SEQ, NULL },
};
static const prt_schema facc_schema = { "facc", sizeof(facc), 3, facc_fields };

static int f_eq(const void *a, const void *b) { return prt_str_eq(((const fkey *)a)->s, ((const fkey *)b)->s); }

static void f_merge(void *dp, const void *sp)
{
    facc *d = dp;
    const facc *s = sp;
    if (!s->count)
        return;
    if (!d->count || s->first_seq < d->first_seq)
        d->first_seq = s->first_seq;
    d->count += s->count;
    d->sum += s->sum;
}

static void f_fire(void *ctx, const void *key, uint64_t hash, int64_t start, int64_t end, const void *acc,
                   int64_t ts)
{
    const facc *a = acc;
    const fkey *k = key;
    char line[160];
    int n = snprintf(line, sizeof line, "%.*s %" PRIx64 " [%" PRId64 ",%" PRId64 ") n=%" PRId64 " s=%" PRId64
                     " f=%" PRIu64 " @%" PRId64 "\n", (int)k->s.n, k->s.p, hash, start, end, a->count, a->sum,
                     a->first_seq, ts);
    prt_buf_put(ctx, line, (size_t)n);
}

static const prt_win_vt vt_merge = { &fkey_schema, &facc_schema, f_eq, f_merge, f_fire };
static const prt_win_vt vt_plain = { &fkey_schema, &facc_schema, f_eq, NULL, f_fire }; /* sliding: no panes */

/* One operator driven one way: fast (the inline functions) or general (the _any ones). */
typedef struct drv {
    prt_win_spec spec;
    const prt_win_vt *vt;
    prt_winop *w;
    prt_buf log;
    int general;
} drv;

static void drv_new(drv *d, prt_win_spec spec, const prt_win_vt *vt, int general)
{
    memset(d, 0, sizeof *d);
    d->spec = spec;
    d->vt = vt;
    d->general = general;
    d->w = prt_winop_new(&spec, vt, &d->log);
    prt_assert(d->w != NULL);
}

static int drv_rec(drv *d, const char *key, int64_t ts, int64_t v)
{
    fkey k = { prt_str_c(key) };
    int n = prt_winop_add(d->w, &k, prt_hash_finish(prt_hash_str(PRT_HASH_SEED, k.s)), ts);
    void **accs = prt_winop_accs(d->w);
    for (int i = 0; i < n; i++) {
        facc *a = accs[i];
        if (!a->count)
            a->first_seq = prt_winop_seq(d->w);
        a->count++;
        a->sum += v;
    }
    if (d->general)
        prt_winop_added_any(d->w);
    else
        prt_winop_added(d->w);
    return n;
}

static void drv_advance(drv *d, int64_t t)
{
    if (d->general)
        prt_winop_advance_any(d->w, t);
    else
        prt_winop_advance(d->w, t);
}

static void snap(const drv *d, prt_buf *out)
{
    out->n = 0;
    prt_winop_snapshot(d->w, 128, 0, 127, out);
}

/* A savepoint of d taken and restored into a fresh operator that carries on in its place. */
static void drv_reload(drv *d)
{
    prt_buf b = { 0 };
    snap(d, &b);
    prt_winop *w = prt_winop_new(&d->spec, d->vt, &d->log);
    prt_err e;
    prt_assert(w && prt_winop_load(w, prt_buf_str(&b), &e) == PRT_OK);
    prt_winop_free(d->w);
    d->w = w;
    prt_buf_free(&b);
}

static uint64_t rnd_state;
static uint64_t rnd(void)
{
    rnd_state += 0x9e3779b97f4a7c15ULL;
    return prt_hash_finish(rnd_state);
}

static int same_buf(const prt_buf *a, const prt_buf *b)
{
    return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* Drives fast, general (and ref, when given: the same results expected from another spec) with
 * one random stream; returns 0 at the first difference. */
static int run_stream(drv *fast, drv *general, drv *ref, uint64_t seed, int nrec, int64_t step)
{
    static const char *const keys[] = { "PAID", "SHIPPED", "", "x", "DELIVERED", "a-key-of-17-bytes", "abcdefgh" };
    rnd_state = seed;
    int64_t base = 0, max_ts = INT64_MIN, ooo = (int64_t)(rnd() % 40);
    int nkeys = 2 + (int)(rnd() % 6);
    const char *key = keys[0];
    prt_buf a = { 0 }, b = { 0 };
    int ok = 1;
    for (int i = 0; i < nrec && ok; i++) {
        uint64_t x = rnd();
        if (x % 4 == 0) /* a key change; else the previous record's key again */
            key = keys[(x >> 8) % (uint64_t)nkeys];
        base += (int64_t)((x >> 16) % (uint64_t)step);
        if ((x >> 56) % 64 == 0) /* a gap: every window fires and goes, the next ones start afresh */
            base += 1000;
        int64_t ts = base;
        switch ((x >> 24) % 16) {
        case 0: case 1: case 2: ts -= (int64_t)((x >> 32) % 60); break; /* out of order */
        case 3: ts -= 200 + (int64_t)((x >> 32) % 400); break;          /* late, perhaps dropped */
        case 4: ts = (ts / 100) * 100 + ((x >> 32) % 2 ? 99 : 0); break; /* window boundaries */
        }
        int64_t v = (int64_t)((x >> 40) % 100) - 20;
        int n = drv_rec(fast, key, ts, v);
        ok &= n == drv_rec(general, key, ts, v);
        if (ref)
            ok &= n == drv_rec(ref, key, ts, v);
        if (ts > max_ts)
            max_ts = ts;
        if ((x >> 48) % 8 != 0) { /* the watermark, usually after every record */
            int64_t wm = max_ts - ooo - 1;
            drv_advance(fast, wm);
            drv_advance(general, wm);
            if (ref)
                drv_advance(ref, wm);
        }
        if ((x >> 52) % 512 == 0) { /* a savepoint: the same state; then the fast one carries on restored */
            snap(fast, &a);
            snap(general, &b);
            ok &= same_buf(&a, &b);
            drv_reload(fast);
            snap(fast, &b);
            ok &= same_buf(&a, &b);
        }
        ok &= prt_winop_clock(fast->w) == prt_winop_clock(general->w);
        ok &= same_buf(&fast->log, &general->log);
        if (ref)
            ok &= same_buf(&fast->log, &ref->log);
        if (!ok)
            fprintf(stderr, "seed %" PRIu64 ": differs at record %d\n", seed, i);
    }
    drv_advance(fast, INT64_MAX);
    drv_advance(general, INT64_MAX);
    ok &= same_buf(&fast->log, &general->log);
    if (ref) {
        drv_advance(ref, INT64_MAX);
        ok &= same_buf(&fast->log, &ref->log);
    }
    prt_buf_free(&a);
    prt_buf_free(&b);
    return ok;
}

static void drv_free(drv *d)
{
    prt_winop_free(d->w);
    prt_buf_free(&d->log);
}

static int fast_vs_general(prt_win_spec spec, const prt_win_vt *vt, const prt_win_spec *ref_spec, int seeds,
                           int64_t step)
{
    int ok = 1;
    for (int s = 0; s < seeds && ok; s++) {
        drv f, g, r;
        drv_new(&f, spec, vt, 0);
        drv_new(&g, spec, vt, 1);
        if (ref_spec)
            drv_new(&r, *ref_spec, &vt_plain, 1);
        ok = run_stream(&f, &g, ref_spec ? &r : NULL, (uint64_t)s * 7919 + 1, 3000, step);
        CHECK(f.log.n > 0); /* something fired */
        drv_free(&f);
        drv_free(&g);
        if (ref_spec)
            drv_free(&r);
    }
    return ok;
}

TEST(tumbling_against_sliding_of_its_size)
{
    for (int64_t late = 0; late <= 250; late += 125) {
        prt_win_spec t = { .kind = PRT_WIN_TUMBLING, .size = 100, .offset = 7, .lateness = late };
        prt_win_spec s = { .kind = PRT_WIN_SLIDING, .size = 100, .slide = 100, .offset = 7, .lateness = late };
        CHECK(fast_vs_general(t, &vt_merge, &s, 12, 12));
    }
}

TEST(tumbling_processing_time)
{
    prt_win_spec t = { .kind = PRT_WIN_TUMBLING, .size = 50, .processing_time = 1 };
    prt_win_spec s = { .kind = PRT_WIN_SLIDING, .size = 50, .slide = 50, .processing_time = 1 };
    CHECK(fast_vs_general(t, &vt_merge, &s, 6, 5));
}

TEST(sliding_windows_and_panes)
{
    prt_win_spec s = { .kind = PRT_WIN_SLIDING, .size = 120, .slide = 40, .lateness = 90 };
    CHECK(fast_vs_general(s, &vt_plain, NULL, 8, 12)); /* a slot per window */
    CHECK(fast_vs_general(s, &vt_merge, NULL, 8, 12)); /* panes */
}

TEST(sessions)
{
    prt_win_spec s = { .kind = PRT_WIN_SESSION, .gap = 30, .lateness = 60 };
    CHECK(fast_vs_general(s, &vt_merge, NULL, 8, 12));
}

TEST(global_and_running)
{
    CHECK(fast_vs_general((prt_win_spec){ .kind = PRT_WIN_GLOBAL, .count = 5, .purge = 1 }, &vt_merge, NULL, 4, 12));
    CHECK(fast_vs_general((prt_win_spec){ .kind = PRT_WIN_RUNNING }, &vt_merge, NULL, 4, 12));
}

int main(void)
{
    RUN(tumbling_against_sliding_of_its_size);
    RUN(tumbling_processing_time);
    RUN(sliding_windows_and_panes);
    RUN(sessions);
    RUN(global_and_running);
    return test_summary();
}
