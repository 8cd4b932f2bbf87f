/* window-driver.c — drives prt_winop over a CSV stream, for tests/runtime/window_property.sh,
 * which diffs its output against tests/reference/flink_windows.py (same CLI, same format: see
 * the top of that file).
 *
 * Input (stdin): lines "key,ts,value" (ts and value are integers). Per record, event time:
 * add it at the current watermark, then watermark = max ts seen - ooo - 1 and advance. Processing
 * time (--time processing): the wall clock is the largest ts seen so far; the operator advances to
 * it before the record is added with ts = the clock. At end of input: advance to +infinity.
 * Output (stdout): one JSON object per window result, {"late":{...}} per rejected record.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prt_hash.h"
#include "prt_state.h"
#include "prt_window.h"
#include "prt_window_snap.h"

typedef struct dkey {
    prt_str s;
} dkey;

typedef struct dacc {
    int64_t count, sum, min, max, first, last;
    uint64_t first_seq, last_seq;
} dacc;

static const prt_field dkey_fields[] = {
    { "key", offsetof(dkey, s), PRT_S_STR, PRT_V_STRING, PRT_AGG_NONE, PRT_P_VALUE, NULL },
};
static const prt_schema dkey_schema = { "dkey", sizeof(dkey), 1, dkey_fields };
#define ACC(name, m, agg, part) { name, offsetof(dacc, m), m##_store, PRT_V_INT, agg, part, NULL }
enum { count_store = PRT_S_I64, sum_store = PRT_S_I64, min_store = PRT_S_I64, max_store = PRT_S_I64,
       first_store = PRT_S_I64, last_store = PRT_S_I64, first_seq_store = PRT_S_U64,
       last_seq_store = PRT_S_U64 };
static const prt_field dacc_fields[] = {
    ACC("count", count, PRT_AGG_COUNT, PRT_P_VALUE), ACC("sum", sum, PRT_AGG_SUM, PRT_P_VALUE),
    ACC("min", min, PRT_AGG_MIN, PRT_P_VALUE), ACC("max", max, PRT_AGG_MAX, PRT_P_VALUE),
    ACC("first", first, PRT_AGG_FIRST, PRT_P_VALUE), ACC("first", first_seq, PRT_AGG_FIRST, PRT_P_SEQ),
    ACC("last", last, PRT_AGG_LAST, PRT_P_VALUE), ACC("last", last_seq, PRT_AGG_LAST, PRT_P_SEQ),
};
static const prt_schema dacc_schema = { "dacc", sizeof(dacc), 8, dacc_fields };

static int k_eq(const void *a, const void *b) { return prt_str_eq(((const dkey *)a)->s, ((const dkey *)b)->s); }
static void a_merge(void *dp, const void *sp)
{
    dacc *d = dp;
    const dacc *s = sp;
    if (!s->count)
        return;
    if (!d->count || s->first_seq < d->first_seq)
        d->first = s->first, d->first_seq = s->first_seq;
    if (!d->count || s->last_seq > d->last_seq)
        d->last = s->last, d->last_seq = s->last_seq;
    d->min = !d->count || s->min < d->min ? s->min : d->min;
    d->max = !d->count || s->max > d->max ? s->max : d->max;
    d->count += s->count;
    d->sum += s->sum;
}

static void fire(void *ctx, const void *key, uint64_t hash, int64_t start, int64_t end, const void *acc,
                 int64_t ts)
{
    (void)hash;
    const dacc *a = acc;
    const dkey *k = key;
    fprintf(ctx ? ctx : stdout, "{\"key\":\"%.*s\",\"start\":%" PRId64 ",\"end\":%" PRId64 ",\"count\":%" PRId64
           ",\"sum\":%" PRId64 ",\"min\":%" PRId64 ",\"max\":%" PRId64 ",\"first\":%" PRId64
           ",\"last\":%" PRId64 ",\"ts\":%" PRId64 "}\n",
           (int)k->s.n, k->s.p, start, end, a->count, a->sum, a->min, a->max, a->first, a->last, ts);
}

static const prt_win_vt vt = { &dkey_schema, &dacc_schema, k_eq, a_merge, fire };

/* --snapshot-every N: every N records the operator is snapshotted to bytes, freed, and rebuilt
 * from those bytes (what a checkpoint and a restart do); the output must not change. */
/* --rocksdb DIR --budget BYTES: the operator keeps at most BYTES of state in memory, the rest
 * in a RocksDB store in DIR (state.backend: rocksdb); the output must not change. */
static prt_state *store;
static size_t budget;

static void attach(prt_winop *w)
{
    prt_err e;
    if (store && prt_winop_attach(w, store, "op", 128, budget, &e) != PRT_OK) {
        fprintf(stderr, "window-driver: %s\n", e.msg);
        exit(1);
    }
}

static void check(prt_winop *w)
{
    prt_err e;
    if (prt_winop_failed(w, &e) != PRT_OK) {
        fprintf(stderr, "window-driver: store: %s\n", e.msg);
        exit(1);
    }
}

static prt_winop *rebuild(prt_winop *w, const prt_win_spec *spec)
{
    prt_buf b = { 0 };
    prt_err e;
    prt_winop_snapshot(w, 128, 0, 127, &b);
    check(w);
    prt_winop_free(w);
    if (store && prt_state_clear(store, &e) != PRT_OK) {
        fprintf(stderr, "window-driver: %s\n", e.msg);
        exit(1);
    }
    w = prt_winop_new(spec, &vt, NULL);
    if (w)
        attach(w);
    if (!w || prt_winop_load(w, prt_buf_str(&b), &e) != PRT_OK) {
        fprintf(stderr, "window-driver: rebuild failed: %s\n", w ? e.msg : "bad spec");
        exit(1);
    }
    prt_buf_free(&b);
    return w;
}

/* --twin FILE --twin-every N: a second operator with one slot per window (PRT_WIN_PANES=0 while it
 * is made) takes the same stream, its results to FILE; every N records the two operators'
 * snapshots (every key group, and the halves a rescale to 2 would take) must be equal bytes,
 * so a savepoint of panes is the savepoint of windows (exit 1 naming the record if not). */
static prt_winop *twin_new(const prt_win_spec *spec, FILE *f)
{
    setenv("PRT_WIN_PANES", "0", 1);
    prt_winop *t = prt_winop_new(spec, &vt, f);
    unsetenv("PRT_WIN_PANES");
    return t;
}

static void twin_check(const prt_winop *w, const prt_winop *t, int64_t nrec)
{
    static const uint32_t lo[] = { 0, 0, 64 }, hi[] = { 127, 63, 127 };
    for (int i = 0; i < 3; i++) {
        prt_buf a = { 0 }, b = { 0 };
        prt_winop_snapshot(w, 128, lo[i], hi[i], &a);
        prt_winop_snapshot(t, 128, lo[i], hi[i], &b);
        if (a.n != b.n || memcmp(a.p, b.p, a.n) != 0) {
            fprintf(stderr, "window-driver: after record %" PRId64 ": key groups %u-%u: snapshot differs from "
                            "the one-slot-per-window engine's (%zu vs %zu bytes)\n", nrec, lo[i], hi[i], a.n, b.n);
            exit(1);
        }
        prt_buf_free(&a);
        prt_buf_free(&b);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: window-driver --kind tumbling|sliding|session|global|running [--size MS]\n"
                    "  [--slide MS] [--offset MS] [--gap MS] [--count N] [--purge 0|1] [--lateness MS]\n"
                    "  [--ooo MS] [--time event|processing] [--snapshot-every N]\n"
                    "  [--rocksdb DIR --budget BYTES] [--twin FILE --twin-every N] < key,ts,value lines\n");
    exit(2);
}

/* One record into w; a late record's line to stdout unless line is NULL (the twin). */
static void add(prt_winop *w, const dkey *k, int64_t ts, int64_t val, const char *line)
{
    int n = prt_winop_add(w, k, prt_hash_finish(prt_hash_str(PRT_HASH_SEED, k->s)), ts);
    if (n == 0 && line)
        printf("{\"late\":{\"key\":\"%s\",\"ts\":%" PRId64 "}}\n", line, ts);
    void **accs = prt_winop_accs(w);
    uint64_t seq = prt_winop_seq(w);
    for (int i = 0; i < n; i++) {
        dacc *a = accs[i];
        if (!a->count)
            a->first = val, a->first_seq = seq, a->min = val, a->max = val;
        a->last = val, a->last_seq = seq;
        a->count++;
        a->sum += val;
        a->min = val < a->min ? val : a->min;
        a->max = val > a->max ? val : a->max;
    }
    prt_winop_added(w);
}

int main(int argc, char **argv)
{
    prt_win_spec spec = { .kind = PRT_WIN_TUMBLING };
    int64_t ooo = 0, snapshot_every = 0, nrec = 0, twin_every = 0, ntwin = 0;
    const char *rocks = NULL, *twin_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        i++;
        if (!strcmp(o, "--kind")) {
            static const char *const kinds[] = { "tumbling", "sliding", "session", "global", "running" };
            int k = -1;
            for (int j = 0; j < 5; j++)
                if (!strcmp(v, kinds[j]))
                    k = j;
            if (k < 0)
                usage();
            spec.kind = (prt_win_kind)k;
        } else if (!strcmp(o, "--rocksdb")) {
            rocks = v;
        } else if (!strcmp(o, "--twin")) {
            twin_path = v;
        } else if (!strcmp(o, "--time")) {
            spec.processing_time = !strcmp(v, "processing");
        } else {
            int64_t n = strtoll(v, NULL, 10);
            if (!strcmp(o, "--size")) spec.size = n;
            else if (!strcmp(o, "--slide")) spec.slide = n;
            else if (!strcmp(o, "--offset")) spec.offset = n;
            else if (!strcmp(o, "--gap")) spec.gap = n;
            else if (!strcmp(o, "--count")) spec.count = n;
            else if (!strcmp(o, "--purge")) spec.purge = (int)n;
            else if (!strcmp(o, "--lateness")) spec.lateness = n;
            else if (!strcmp(o, "--ooo")) ooo = n;
            else if (!strcmp(o, "--snapshot-every")) snapshot_every = n;
            else if (!strcmp(o, "--budget")) budget = (size_t)n;
            else if (!strcmp(o, "--twin-every")) twin_every = n;
            else usage();
        }
    }
    prt_winop *w = prt_winop_new(&spec, &vt, NULL);
    if (!w) {
        fprintf(stderr, "window-driver: bad window spec\n");
        return 2;
    }
    if (rocks) {
        prt_state_cfg cfg = { PRT_STATE_ROCKSDB, rocks, 0 };
        prt_err e;
        if (prt_state_open(&store, &cfg, &e) != PRT_OK) {
            fprintf(stderr, "window-driver: %s\n", e.msg);
            return 1;
        }
        attach(w);
    }
    FILE *twin_out = twin_path ? fopen(twin_path, "w") : NULL;
    if (twin_path && !twin_out) {
        fprintf(stderr, "window-driver: cannot write %s\n", twin_path);
        return 1;
    }
    prt_winop *twin = twin_out ? twin_new(&spec, twin_out) : NULL;
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    char line[4096];
    int64_t max_seen = INT64_MIN;
    while (fgets(line, sizeof line, stdin)) {
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        if (!c2)
            continue;
        *c1 = 0;
        int64_t ts = strtoll(c1 + 1, NULL, 10), val = strtoll(c2 + 1, NULL, 10);
        if (ts > max_seen)
            max_seen = ts;
        if (spec.processing_time) {
            ts = max_seen;
            prt_winop_advance(w, ts);
        }
        if (snapshot_every > 0 && ++nrec % snapshot_every == 0)
            w = rebuild(w, &spec);
        dkey k = { prt_str_c(line) };
        add(w, &k, ts, val, line);
        if (!spec.processing_time)
            prt_winop_advance(w, max_seen - ooo - 1);
        if (twin) {
            if (spec.processing_time)
                prt_winop_advance(twin, ts);
            add(twin, &k, ts, val, NULL);
            if (!spec.processing_time)
                prt_winop_advance(twin, max_seen - ooo - 1);
            if (twin_every > 0 && ++ntwin % twin_every == 0)
                twin_check(w, twin, ntwin);
        }
    }
    prt_winop_advance(w, INT64_MAX);
    if (twin) {
        prt_winop_advance(twin, INT64_MAX);
        twin_check(w, twin, ntwin); /* after the end: both empty */
        prt_winop_free(twin);
        fclose(twin_out);
    }
    check(w);
    if (store && getenv("WINDOW_DRIVER_STATS")) {
        prt_winop_cold_stats st;
        prt_winop_cold_stats_get(w, &st);
        fprintf(stderr, "evicted %llu keys, loaded %llu, gets %llu\n", (unsigned long long)st.evicted_keys,
                (unsigned long long)st.loaded_keys, (unsigned long long)st.gets);
    }
    prt_winop_free(w);
    prt_state_close(store);
    return 0;
}
