/* prt_window_cold.c — window state larger than memory (state.backend: rocksdb, docs/state.md).
 *
 * The engine keeps hot keys in memory as always; when its estimated size passes the budget, a
 * batch of cold keys (an eviction clock over the key slots: a key touched since the hand last
 * passed is spared once) goes to the store, each key with all its windows, accumulators and
 * pending timers in one value:
 *
 *     store key   (operator id, key group, canonical key bytes)
 *     value       u64 key hash, varint windows, per window: i64 start, i64 end, i64 max_ts,
 *                 u64 count, u64 flush_seq, varint timers, per timer (i64 time, u64 seq,
 *                 varint what), bytes canonical accumulator
 *
 * and each of its timers gets an entry in a time-ordered index, operator "<id>/timers", key
 * group 0: (i64 time, u64 seq) → (u16 key group, u64 hash, key bytes). A record whose key is not
 * in memory costs one get (only once something was evicted); found, the key comes back whole and
 * its store entry is deleted, so a key lives in memory or in the store, never both. The timer
 * loop merges the heap with the index: when the earliest due index entry comes before the heap's
 * top, its key is loaded (its timers join the heap with their registration numbers, so firing
 * order is exactly the all-in-memory order). Index entries are hints: one whose key is in memory,
 * or no longer stored, is dropped when reached; an early load is harmless. Walks (checkpoints,
 * savepoints) merge stored windows into the engine's deterministic order key group by key group.
 *
 * Store errors are sticky (prt_winop_failed): the job checks them and stops; an eviction whose
 * writes fail keeps its keys in memory.
 */
#include <stdio.h>
#include <stdlib.h>

#include "prt_codec.h"
#include "prt_hash.h"
#include "prt_schema_wire.h"
#include "prt_state.h"
#include "prt_window_int.h"
#include "prt_window_snap.h"

#define DUE_MAX 1024 /* index entries fetched at a time */

typedef struct due_ent {
    int64_t time;
    uint64_t seq, hash;
    uint16_t kg;
    size_t off, len; /* key bytes in dkeys */
} due_ent;

struct prt_wcold {
    prt_state *st;              /* borrowed */
    char *op, *top;             /* the key state's operator id; the timer index's */
    uint32_t maxpar;
    size_t budget, key_cost, win_cost;
    uint32_t hand;              /* eviction clock over key slots */
    int any;                    /* the store may hold keys that are not in memory */
    int64_t cold_min;           /* no index entry is earlier */
    int idx_any;                /* the index may hold entries not fetched */
    due_ent *due;               /* due index entries, in (time, seq) order */
    size_t dn, dpos;
    prt_buf dkeys;
    prt_buf kb, vb, ib;         /* scratch: key bytes, value, index key */
    void *tkey, *tacc;          /* scratch structs */
    uint64_t *filter;           /* a bit per hash slot: set for every key ever stored (no false negatives) */
    unsigned fbits;             /* log2 of the filter's bits */
    uint64_t fset;              /* bits set */
    int failed;
    int mem_only;               /* walks leave the store out (a checkpoint's forked child) */
    prt_err err;
    prt_winop_cold_stats stats;
};

/* ---- setup ------------------------------------------------------------------------------ */

int prt_wcold_new(prt_winop *w, prt_state *st, const char *op, uint32_t maxpar, size_t budget, prt_err *e)
{
    if (w->cold)
        return prt_errf(e, "operator %s: already has a store", op);
    if (!st || maxpar == 0 || maxpar > 65536)
        return prt_errf(e, "operator %s: no store or a bad max_parallelism", op);
    struct prt_wcold *c = calloc(1, sizeof *c);
    prt_assert(c != NULL);
    size_t n = strlen(op) + 8;
    c->op = strdup(op);
    c->top = malloc(n);
    c->due = malloc(DUE_MAX * sizeof *c->due);
    c->tkey = calloc(1, w->vt->key->size);
    c->tacc = calloc(1, w->vt->acc->size);
    prt_assert(c->op && c->top && c->due && c->tkey && c->tacc);
    snprintf(c->top, n, "%s/timers", op);
    c->st = st;
    c->maxpar = maxpar;
    c->budget = budget;
    int fixed = w->spec.kind == PRT_WIN_TUMBLING || w->spec.kind == PRT_WIN_SLIDING;
    /* estimates: the slot, its share of the lookup tables (half full), its timers */
    c->key_cost = w->keys.stride + 2 * sizeof(prt_idtab_slot);
    c->win_cost = w->wins.stride + (fixed ? 2 * sizeof(prt_idtab_slot) : 0) + 2 * sizeof(prt_timer);
    c->cold_min = INT64_MAX;
    c->fbits = 16;
    c->filter = calloc((size_t)1 << (c->fbits - 6), sizeof *c->filter);
    prt_assert(c->filter != NULL);
    w->cold = c;
    w->h.due = INT64_MIN; /* the store's timers are not in the heap: advance always looks */
    return PRT_OK;
}

/* ---- the filter of stored keys ------------------------------------------------------------
 * A record whose key is not in memory costs a get only when the key's bit is set. Bits are set
 * when a key is stored and never cleared (a loaded key's bit stays: a later miss costs one get
 * that finds nothing); past half full, the filter doubles and is rebuilt from the store. */

static size_t fslot(const struct prt_wcold *c, uint64_t hash) { return (size_t)(hash >> (64 - c->fbits)); }

static int filter_has(const struct prt_wcold *c, uint64_t hash)
{
    size_t i = fslot(c, hash);
    return (int)(c->filter[i >> 6] >> (i & 63) & 1);
}

static void filter_set(struct prt_wcold *c, uint64_t hash)
{
    size_t i = fslot(c, hash);
    uint64_t m = UINT64_C(1) << (i & 63);
    if (!(c->filter[i >> 6] & m)) {
        c->filter[i >> 6] |= m;
        c->fset++;
    }
}

static int filter_visit(void *arg, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    struct prt_wcold *c = arg;
    uint64_t hash;
    (void)kg;
    (void)key;
    if (prt_get_u64be(&val, &hash))
        return prt_errf(e, "stored key state is malformed");
    filter_set(c, hash);
    return PRT_OK;
}

/* Doubles the filter when half full; the stored keys' hashes are read back from the store. */
static int filter_grow(struct prt_wcold *c, prt_err *e)
{
    if (c->fset < ((uint64_t)1 << (c->fbits - 1)) || c->fbits >= 40)
        return PRT_OK;
    free(c->filter);
    c->fbits++;
    c->fset = 0;
    c->filter = calloc((size_t)1 << (c->fbits - 6), sizeof *c->filter);
    prt_assert(c->filter != NULL);
    return prt_state_scan(c->st, c->op, 0, UINT16_MAX, filter_visit, c, e);
}

void prt_wcold_free(prt_winop *w)
{
    struct prt_wcold *c = w->cold;
    if (!c)
        return;
    free(c->op);
    free(c->top);
    free(c->filter);
    free(c->due);
    free(c->tkey);
    free(c->tacc);
    prt_buf_free(&c->dkeys);
    prt_buf_free(&c->kb);
    prt_buf_free(&c->vb);
    prt_buf_free(&c->ib);
    free(c);
    w->cold = NULL;
}

static size_t mem_bytes(const prt_winop *w)
{
    return (size_t)w->st.keys * w->cold->key_cost + (size_t)w->st.windows * w->cold->win_cost;
}

static void fail(struct prt_wcold *c, const prt_err *e)
{
    if (!c->failed)
        c->err = *e;
    c->failed = 1;
}

/* ---- the value of one key --------------------------------------------------------------- */

static void put_win(prt_buf *b, const prt_win_state *s, prt_str acc)
{
    prt_winsnap_put_window(b, s);
    prt_put_bytes(b, acc);
}

/* Window fields and the accumulator's bytes; PRT_ERR when malformed. */
static int get_win(prt_str *in, prt_win_state *s, prt_str *acc)
{
    return prt_winsnap_get_window(in, s) != PRT_OK || prt_get_bytes(in, acc) ? PRT_ERR : PRT_OK;
}

static int get_head(prt_str *in, uint64_t *hash, uint64_t *nwin)
{
    return prt_get_u64be(in, hash) || prt_get_varint(in, nwin) ? PRT_ERR : PRT_OK;
}

/* ---- loading a key back ----------------------------------------------------------------- */

/* Loads the key stored under (kg, kbytes) into memory; *loaded = 0 when the store has none. */
static int load_bytes(prt_winop *w, uint16_t kg, prt_str kbytes, int *loaded, prt_err *e)
{
    struct prt_wcold *c = w->cold;
    int found;
    *loaded = 0;
    c->stats.gets++;
    if (prt_state_get(c->st, c->op, kg, kbytes, &c->vb, &found, e) != PRT_OK)
        return PRT_ERR;
    if (!found) {
        c->stats.get_misses++;
        return PRT_OK;
    }
    prt_str in = prt_buf_str(&c->vb), ab;
    uint64_t hash, nwin;
    if (get_head(&in, &hash, &nwin) != PRT_OK || nwin == 0)
        return prt_errf(e, "operator %s: stored key state is malformed", c->op);
    memset(c->tkey, 0, w->vt->key->size);
    if (prt_schema_decode(w->vt->key, c->tkey, kbytes, e) != PRT_OK)
        return PRT_ERR;
    int rc = PRT_OK;
    for (uint64_t i = 0; i < nwin && rc == PRT_OK; i++) {
        prt_win_state s = { .key = c->tkey, .acc = c->tacc, .hash = hash };
        if (get_win(&in, &s, &ab) != PRT_OK) {
            rc = prt_errf(e, "operator %s: stored window state is malformed", c->op);
            break;
        }
        memset(c->tacc, 0, w->vt->acc->size);
        if ((rc = prt_schema_decode(w->vt->acc, c->tacc, ab, e)) != PRT_OK)
            break;
        rc = prt_wi_restore(w, &s, e); /* moves the accumulator's contents into the engine */
        prt_schema_free(w->vt->acc, c->tacc);
    }
    uint32_t kid = prt_wi_key_find(w, c->tkey, hash);
    if (kid != NONE)
        K(w, kid)->ref = 1; /* just used: spared by the next pass of the clock */
    prt_schema_free(w->vt->key, c->tkey);
    if (rc != PRT_OK)
        return rc;
    c->stats.loaded_keys++;
    return prt_state_del(c->st, c->op, kg, kbytes, e);
}

void prt_wcold_before_add(prt_winop *w, const void *key, uint64_t hash)
{
    struct prt_wcold *c = w->cold;
    if (mem_bytes(w) > c->budget)
        prt_wcold_maybe_evict(w);
    if (!c->any || c->failed || prt_wi_key_find(w, key, hash) != NONE)
        return; /* hot: no store call */
    if (!filter_has(c, hash)) {
        c->stats.filtered++;
        return; /* never stored */
    }
    prt_err e;
    int loaded;
    c->kb.n = 0;
    prt_schema_encode(w->vt->key, key, &c->kb);
    if (load_bytes(w, (uint16_t)prt_key_group(hash, c->maxpar), prt_buf_str(&c->kb), &loaded, &e) != PRT_OK)
        fail(c, &e);
}

/* ---- eviction --------------------------------------------------------------------------- */

typedef struct victim_win {
    uint32_t win, victim; /* victim: index + 1 into the victims */
    int ntimers;
    prt_win_timer t[2];
} victim_win;

static int cmp_vwin(const void *a_, const void *b_, void *ctx)
{
    const victim_win *a = a_, *b = b_;
    const prt_winop *w = ctx;
    if (a->victim != b->victim)
        return a->victim < b->victim ? -1 : 1;
    int64_t x = W(w, a->win)->start, y = W(w, b->win)->start;
    return (x > y) - (x < y);
}

static void heapify(prt_timerq *q)
{
    for (size_t i = q->n / 2; i-- > 0;) {
        prt_timer t = q->a[i];
        size_t j = i;
        for (;;) {
            size_t k = 2 * j + 1;
            if (k >= q->n)
                break;
            if (k + 1 < q->n && (q->a[k + 1].time < q->a[k].time ||
                                 (q->a[k + 1].time == q->a[k].time && q->a[k + 1].seq < q->a[k].seq)))
                k++;
            if (!(q->a[k].time < t.time || (q->a[k].time == t.time && q->a[k].seq < t.seq)))
                break;
            q->a[j] = q->a[k];
            j = k;
        }
        q->a[j] = t;
    }
}

/* Writes the victims' keys (with windows and timers) and index entries to the store. */
static int write_victims(prt_winop *w, const uint32_t *victims, victim_win *vw, size_t nvw, int64_t *tmin,
                         prt_err *e)
{
    struct prt_wcold *c = w->cold;
    prt_buf acc = { 0 };
    int rc = PRT_OK;
    for (size_t i = 0; i < nvw && rc == PRT_OK;) {
        uint32_t kid = victims[vw[i].victim - 1];
        uint64_t hash = K(w, kid)->hash;
        uint16_t kg = (uint16_t)prt_key_group(hash, c->maxpar);
        size_t j = i;
        while (j < nvw && vw[j].victim == vw[i].victim)
            j++;
        c->kb.n = c->vb.n = 0;
        prt_schema_encode(w->vt->key, KEY(w, kid), &c->kb);
        prt_put_u64be(&c->vb, hash);
        prt_put_varint(&c->vb, (uint64_t)(j - i));
        for (size_t k = i; k < j; k++) {
            prt_win_state s;
            prt_wi_state_of(w, vw[k].win, NULL, &s);
            s.ntimers = vw[k].ntimers;
            s.timers[0] = vw[k].t[0];
            s.timers[1] = vw[k].t[1];
            if (s.ntimers == 2 && s.timers[1].seq < s.timers[0].seq) {
                s.timers[0] = vw[k].t[1];
                s.timers[1] = vw[k].t[0];
            }
            acc.n = 0;
            prt_schema_encode(w->vt->acc, s.acc, &acc);
            put_win(&c->vb, &s, prt_buf_str(&acc));
            for (int t = 0; t < s.ntimers && rc == PRT_OK; t++) {
                c->ib.n = 0;
                prt_put_i64(&c->ib, s.timers[t].time);
                prt_put_u64be(&c->ib, s.timers[t].seq);
                acc.n = 0;
                unsigned char kgb[2] = { (unsigned char)(kg >> 8), (unsigned char)kg };
                prt_buf_put(&acc, kgb, 2);
                prt_put_u64be(&acc, hash);
                prt_buf_put(&acc, c->kb.p, c->kb.n);
                rc = prt_state_put(c->st, c->top, 0, prt_buf_str(&c->ib), prt_buf_str(&acc), e);
                if (s.timers[t].time < *tmin)
                    *tmin = s.timers[t].time;
                c->stats.puts++;
            }
        }
        if (rc == PRT_OK)
            rc = prt_state_put(c->st, c->op, kg, prt_buf_str(&c->kb), prt_buf_str(&c->vb), e);
        filter_set(c, hash); /* before a failure too: a bit too many costs a get, never a key */
        c->stats.puts++;
        i = j;
    }
    prt_buf_free(&acc);
    return rc;
}

void prt_wcold_maybe_evict(prt_winop *w)
{
    struct prt_wcold *c = w->cold;
    size_t mem = mem_bytes(w), target = c->budget / 4 * 3;
    if (mem <= c->budget || c->failed || w->keys.used == 0)
        return;
    size_t need = mem - target, freed = 0, nv = 0, nvw = 0;
    uint32_t nk = w->keys.used;
    uint32_t *vk = calloc(nk, sizeof *vk), *victims = malloc(nk * sizeof *victims);
    prt_assert(vk && victims);
    for (uint64_t scanned = 0; freed < need && scanned < 2 * (uint64_t)nk; scanned++) {
        uint32_t kid = c->hand++ % nk;
        wkey *k = K(w, kid);
        if (!k->live || vk[kid])
            continue; /* free, or chosen on the first pass */
        if (k->ref) {
            k->ref = 0;
            continue;
        }
        victims[nv++] = kid;
        vk[kid] = (uint32_t)nv;
        freed += c->key_cost + k->nwin * c->win_cost;
    }
    if (nv == 0) {
        free(vk);
        free(victims);
        return;
    }
    uint32_t nwslots = w->wins.used;
    uint32_t *wmap = calloc(nwslots ? nwslots : 1, sizeof *wmap);
    victim_win *vw = malloc((nwslots ? nwslots : 1) * sizeof *vw);
    prt_assert(wmap && vw);
    for (uint32_t id = 0; id < nwslots; id++) {
        const wwin *x = W(w, id);
        if (x->live && vk[x->key]) {
            vw[nvw] = (victim_win){ .win = id, .victim = vk[x->key] };
            wmap[id] = (uint32_t)++nvw;
        }
    }
    for (size_t i = 0; i < w->timers.n; i++) {
        const prt_timer *t = &w->timers.a[i];
        const wwin *x = W(w, t->win);
        if (x->live && x->gen == t->gen && wmap[t->win]) {
            victim_win *v = &vw[wmap[t->win] - 1];
            prt_assert(v->ntimers < 2);
            v->t[v->ntimers++] = (prt_win_timer){ t->time, t->seq, t->what };
        }
    }
    qsort_r(vw, nvw, sizeof *vw, cmp_vwin, w);
    int64_t tmin = INT64_MAX;
    prt_err e;
    if (write_victims(w, victims, vw, nvw, &tmin, &e) != PRT_OK || filter_grow(c, &e) != PRT_OK) {
        fail(c, &e); /* nothing released: the state stays whole in memory */
    } else {
        /* the heap drops the victims' timers, and every stale one on the way */
        size_t keep = 0;
        for (size_t i = 0; i < w->timers.n; i++) {
            const prt_timer *t = &w->timers.a[i];
            const wwin *x = W(w, t->win);
            if (x->live && x->gen == t->gen && !wmap[t->win])
                w->timers.a[keep++] = *t;
        }
        w->timers.n = keep;
        heapify(&w->timers);
        for (size_t i = 0; i < nvw; i++)
            prt_wi_win_release(w, vw[i].win); /* the key goes with its last window */
        c->any = 1;
        c->stats.evicted_keys += nv;
        c->stats.evictions++;
        /* fetched entries may no longer be the earliest: dropped, and read again from the index */
        if (c->dpos < c->dn && c->due[c->dpos].time < tmin)
            tmin = c->due[c->dpos].time;
        if (tmin < c->cold_min)
            c->cold_min = tmin;
        c->dn = c->dpos = 0;
        c->idx_any = 1;
    }
    free(vk);
    free(victims);
    free(wmap);
    free(vw);
}

/* ---- the timer index -------------------------------------------------------------------- */

typedef struct fetch_ctx {
    struct prt_wcold *c;
    int64_t t;
    int stopped;
} fetch_ctx;

static int fetch_one(void *arg, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    fetch_ctx *f = arg;
    struct prt_wcold *c = f->c;
    (void)kg;
    due_ent d;
    if (prt_get_i64(&key, &d.time) || prt_get_u64be(&key, &d.seq) || val.n < 10)
        return prt_errf(e, "operator %s: malformed timer index entry", c->op);
    if (d.time > f->t || c->dn == DUE_MAX) {
        c->cold_min = d.time; /* the earliest entry not fetched */
        f->stopped = 1;
        return prt_errf(e, "stop");
    }
    d.kg = (uint16_t)((unsigned char)val.p[0] << 8 | (unsigned char)val.p[1]);
    prt_str rest = { val.p + 2, val.n - 2 };
    if (prt_get_u64be(&rest, &d.hash))
        return prt_errf(e, "operator %s: malformed timer index entry", c->op);
    d.off = c->dkeys.n;
    d.len = rest.n;
    prt_buf_put(&c->dkeys, rest.p, rest.n);
    c->due[c->dn++] = d;
    return PRT_OK;
}

static void fetch(prt_winop *w, int64_t t)
{
    struct prt_wcold *c = w->cold;
    fetch_ctx f = { c, t, 0 };
    prt_err e;
    c->dn = c->dpos = 0;
    c->dkeys.n = 0;
    c->stats.index_scans++;
    /* every entry before cold_min was consumed (deleted): seek past their tombstones */
    c->ib.n = 0;
    prt_put_i64(&c->ib, c->cold_min);
    if (prt_state_scan_from(c->st, c->top, 0, prt_buf_str(&c->ib), fetch_one, &f, &e) == PRT_OK) {
        c->cold_min = INT64_MAX;
        c->idx_any = 0; /* all read: nothing more until the next eviction */
    }
    else if (!f.stopped)
        fail(c, &e);
}

int prt_wcold_step(prt_winop *w, int64_t t, const prt_timer *top)
{
    struct prt_wcold *c = w->cold;
    if (c->failed || (c->dpos == c->dn && (!c->idx_any || c->cold_min > t)))
        return 0;
    if (c->dpos == c->dn) {
        fetch(w, t);
        if (c->dpos == c->dn)
            return 0;
    }
    const due_ent *d = &c->due[c->dpos];
    if (top && (top->time < d->time || (top->time == d->time && top->seq < d->seq)))
        return 0;
    c->dpos++;
    prt_err e;
    prt_str kbytes = { c->dkeys.p + d->off, d->len };
    c->ib.n = 0;
    prt_put_i64(&c->ib, d->time);
    prt_put_u64be(&c->ib, d->seq);
    if (prt_state_del(c->st, c->top, 0, prt_buf_str(&c->ib), &e) != PRT_OK) {
        fail(c, &e);
        return 0;
    }
    memset(c->tkey, 0, w->vt->key->size);
    if (prt_schema_decode(w->vt->key, c->tkey, kbytes, &e) != PRT_OK) {
        fail(c, &e);
        return 0;
    }
    uint32_t kid = prt_wi_key_find(w, c->tkey, d->hash);
    prt_schema_free(w->vt->key, c->tkey);
    if (kid != NONE)
        return 1; /* in memory: its timers are in the heap */
    if (mem_bytes(w) > 2 * c->budget) /* loads while firing may overshoot, within reason */
        prt_wcold_maybe_evict(w);
    int loaded;
    uint16_t kg = d->kg;
    /* d may be gone after an eviction (the fetched entries are dropped): kbytes copied first */
    prt_buf own = { 0 };
    prt_buf_put(&own, kbytes.p, kbytes.n);
    if (load_bytes(w, kg, prt_buf_str(&own), &loaded, &e) != PRT_OK)
        fail(c, &e);
    prt_buf_free(&own);
    return !c->failed;
}

int64_t prt_wcold_next_timer(const prt_winop *w)
{
    const struct prt_wcold *c = w->cold;
    return c->dpos < c->dn ? c->due[c->dpos].time : c->idx_any ? c->cold_min : INT64_MAX;
}

/* ---- end of input for global windows ---------------------------------------------------- */

typedef struct flush_ent {
    uint64_t seq, hash;
    uint16_t kg;
    size_t off, len;
} flush_ent;

typedef struct flush_ctx {
    flush_ent *e;
    size_t n, cap;
    prt_buf keys;
} flush_ctx;

static void flush_push(flush_ctx *f, uint64_t seq, uint64_t hash, uint16_t kg, prt_str key)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 256;
        f->e = realloc(f->e, f->cap * sizeof *f->e);
        prt_assert(f->e != NULL);
    }
    f->e[f->n++] = (flush_ent){ seq, hash, kg, f->keys.n, key.n };
    prt_buf_put(&f->keys, key.p, key.n);
}

static int flush_visit(void *arg, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    flush_ctx *f = arg;
    uint64_t hash, nwin;
    prt_win_state s;
    prt_str ab;
    if (get_head(&val, &hash, &nwin) != PRT_OK || nwin != 1 || get_win(&val, &s, &ab) != PRT_OK)
        return prt_errf(e, "stored pane state is malformed");
    if (s.count > 0)
        flush_push(f, s.flush_seq, hash, kg, key);
    return PRT_OK;
}

static int cmp_flush_seq(const void *a, const void *b)
{
    uint64_t x = ((const flush_ent *)a)->seq, y = ((const flush_ent *)b)->seq;
    return (x > y) - (x < y);
}

void prt_wcold_global_flush(prt_winop *w)
{
    struct prt_wcold *c = w->cold;
    flush_ctx f = { 0 };
    prt_err e;
    for (uint32_t id = 0; id < w->wins.used; id++) {
        const wwin *x = W(w, id);
        if (x->live && x->count > 0) {
            uint64_t hash = K(w, x->key)->hash;
            c->kb.n = 0;
            prt_schema_encode(w->vt->key, KEY(w, x->key), &c->kb);
            flush_push(&f, x->flush_seq, hash, (uint16_t)prt_key_group(hash, c->maxpar), prt_buf_str(&c->kb));
        }
    }
    if (c->any && !c->failed &&
        prt_state_scan(c->st, c->op, 0, (uint16_t)(c->maxpar - 1), flush_visit, &f, &e) != PRT_OK)
        fail(c, &e);
    if (f.n)
        qsort(f.e, f.n, sizeof *f.e, cmp_flush_seq);
    void *key = calloc(1, w->vt->key->size); /* not c->tkey: load_bytes uses that one */
    prt_assert(key != NULL);
    for (size_t i = 0; i < f.n && !c->failed; i++) {
        prt_str kbytes = { f.keys.p + f.e[i].off, f.e[i].len };
        memset(key, 0, w->vt->key->size);
        if (prt_schema_decode(w->vt->key, key, kbytes, &e) != PRT_OK) {
            fail(c, &e);
            break;
        }
        uint32_t kid = prt_wi_key_find(w, key, f.e[i].hash);
        int loaded;
        if (kid == NONE && load_bytes(w, f.e[i].kg, kbytes, &loaded, &e) != PRT_OK)
            fail(c, &e);
        else if (kid == NONE)
            kid = prt_wi_key_find(w, key, f.e[i].hash);
        prt_schema_free(w->vt->key, key);
        if (c->failed)
            break;
        if (kid == NONE) {
            prt_errf(&e, "operator %s: a stored pane vanished during the final flush", c->op);
            fail(c, &e);
            break;
        }
        prt_wi_global_fire(w, K(w, kid)->head);
        K(w, kid)->ref = 1;
        if (mem_bytes(w) > c->budget)
            prt_wcold_maybe_evict(w);
    }
    free(key);
    free(f.e);
    prt_buf_free(&f.keys);
}

/* ---- counting and walking --------------------------------------------------------------- */

/* The store range holding key groups [lo, hi] of maxpar, and whether entries must be filtered
 * (another max_parallelism than the store's: every entry is read and its own key group checked). */
static void store_range(const struct prt_wcold *c, uint32_t maxpar, uint32_t lo, uint32_t hi, uint16_t *slo,
                        uint16_t *shi, int *filter)
{
    *filter = maxpar != c->maxpar;
    *slo = *filter ? 0 : (uint16_t)lo;
    *shi = *filter ? (uint16_t)(c->maxpar - 1) : (uint16_t)(hi < c->maxpar ? hi : c->maxpar - 1);
}

typedef struct count_ctx {
    uint32_t maxpar, lo, hi;
    int filter;
    uint64_t n;
} count_ctx;

static int count_visit(void *arg, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    count_ctx *cc = arg;
    uint64_t hash, nwin;
    (void)kg;
    (void)key;
    if (get_head(&val, &hash, &nwin) != PRT_OK)
        return prt_errf(e, "stored key state is malformed");
    uint32_t g = prt_key_group(hash, cc->maxpar);
    if (!cc->filter || (g >= cc->lo && g <= cc->hi))
        cc->n += nwin;
    return PRT_OK;
}

uint64_t prt_wcold_count(const prt_winop *w, uint32_t maxpar, uint32_t kg_lo, uint32_t kg_hi)
{
    struct prt_wcold *c = w->cold;
    count_ctx cc = { maxpar, kg_lo, kg_hi, 0, 0 };
    uint16_t slo, shi;
    prt_err e;
    if (!c->any || kg_lo > kg_hi)
        return 0;
    store_range(c, maxpar, kg_lo, kg_hi, &slo, &shi, &cc.filter);
    if (slo <= shi && prt_state_scan(c->st, c->op, slo, shi, count_visit, &cc, &e) != PRT_OK)
        fail(c, &e);
    return cc.n;
}

/* One stored window decoded for the walk. */
typedef struct cwin {
    uint32_t kg;
    uint64_t hash;
    size_t key;       /* index into the decoded keys */
    prt_win_state s;  /* key and acc point to decoded structs */
} cwin;

typedef struct walk_ctx {
    const prt_winop *w;
    struct prt_wcold *c;
    uint32_t maxpar, lo, hi;
    int filter;
    const walk_ent *e;
    size_t n, i;                 /* in-memory windows; the next one to emit */
    const walk_timers *tm;
    int (*fn)(void *arg, const prt_win_state *s);
    void *arg;
    int rc;
    cwin *cw;                    /* stored windows not yet emitted */
    size_t ncw, capcw;
    void **keys;                 /* decoded keys of those */
    prt_buf *kbytes;             /* and their canonical bytes */
    size_t nkeys, capkeys;
    prt_buf tmp;
} walk_ctx;

/* Walk order between two stored windows. */
static int cmp_cwin(const void *a_, const void *b_, void *ctx)
{
    const cwin *a = a_, *b = b_;
    const walk_ctx *c = ctx;
    if (a->kg != b->kg)
        return a->kg < b->kg ? -1 : 1;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    if (a->key != b->key) {
        int r = prt_str_cmp(prt_buf_str(&c->kbytes[a->key]), prt_buf_str(&c->kbytes[b->key]));
        if (r)
            return r;
    }
    return (a->s.start > b->s.start) - (a->s.start < b->s.start);
}

/* Walk order between an in-memory and a stored window: < 0 when the memory one comes first. */
static int cmp_mem_cold(walk_ctx *c, const walk_ent *m, const cwin *x)
{
    if (m->kg != x->kg)
        return m->kg < x->kg ? -1 : 1;
    if (m->hash != x->hash)
        return m->hash < x->hash ? -1 : 1;
    c->tmp.n = 0;
    prt_schema_encode(c->w->vt->key, KEY(c->w, W(c->w, m->win)->key), &c->tmp);
    int r = prt_str_cmp(prt_buf_str(&c->tmp), prt_buf_str(&c->kbytes[x->key]));
    if (r)
        return r;
    return (m->start > x->s.start) - (m->start < x->s.start); /* never equal: one key is in one place */
}

static void emit_mem(walk_ctx *c)
{
    prt_win_state s;
    prt_wi_state_of(c->w, c->e[c->i++].win, c->tm, &s);
    c->rc = c->fn(c->arg, &s);
}

static void drop_cold(walk_ctx *c)
{
    const prt_win_vt *vt = c->w->vt;
    for (size_t i = 0; i < c->ncw; i++) {
        prt_schema_free(vt->acc, c->cw[i].s.acc);
        free(c->cw[i].s.acc);
    }
    for (size_t i = 0; i < c->nkeys; i++) {
        prt_schema_free(vt->key, c->keys[i]);
        free(c->keys[i]);
        c->kbytes[i].n = 0;
    }
    c->ncw = c->nkeys = 0;
}

/* Emits the buffered stored windows merged with the in-memory ones of key groups <= upto. */
static void flush_walk(walk_ctx *c, uint32_t upto)
{
    if (c->ncw)
        qsort_r(c->cw, c->ncw, sizeof *c->cw, cmp_cwin, c);
    size_t j = 0;
    while (!c->rc && (j < c->ncw || (c->i < c->n && c->e[c->i].kg <= upto))) {
        if (j == c->ncw || (c->i < c->n && cmp_mem_cold(c, &c->e[c->i], &c->cw[j]) < 0)) {
            emit_mem(c);
        } else {
            c->rc = c->fn(c->arg, &c->cw[j].s);
            j++;
        }
    }
    drop_cold(c);
}

static int walk_visit(void *arg, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    walk_ctx *c = arg;
    const prt_win_vt *vt = c->w->vt;
    uint64_t hash, nwin;
    (void)kg;
    if (get_head(&val, &hash, &nwin) != PRT_OK)
        return prt_errf(e, "stored key state is malformed");
    uint32_t g = prt_key_group(hash, c->maxpar);
    if (c->filter && (g < c->lo || g > c->hi))
        return PRT_OK;
    if (!c->filter && c->ncw && c->cw[c->ncw - 1].kg != g) { /* the previous key group is complete */
        flush_walk(c, c->cw[c->ncw - 1].kg);
        if (c->rc)
            return prt_errf(e, "stop");
    }
    if (c->nkeys == c->capkeys) {
        size_t cap = c->capkeys ? 2 * c->capkeys : 64;
        c->keys = realloc(c->keys, cap * sizeof *c->keys);
        c->kbytes = realloc(c->kbytes, cap * sizeof *c->kbytes);
        prt_assert(c->keys && c->kbytes);
        memset(c->kbytes + c->capkeys, 0, (cap - c->capkeys) * sizeof *c->kbytes);
        c->capkeys = cap;
    }
    void *k = calloc(1, vt->key->size);
    prt_assert(k != NULL);
    if (prt_schema_decode(vt->key, k, key, e) != PRT_OK) {
        free(k);
        return PRT_ERR;
    }
    size_t ki = c->nkeys++;
    c->keys[ki] = k;
    prt_buf_put(&c->kbytes[ki], key.p, key.n);
    for (uint64_t i = 0; i < nwin; i++) {
        if (c->ncw == c->capcw) {
            c->capcw = c->capcw ? 2 * c->capcw : 256;
            c->cw = realloc(c->cw, c->capcw * sizeof *c->cw);
            prt_assert(c->cw != NULL);
        }
        cwin *x = &c->cw[c->ncw];
        prt_str ab;
        *x = (cwin){ .kg = g, .hash = hash, .key = ki };
        if (get_win(&val, &x->s, &ab) != PRT_OK)
            return prt_errf(e, "stored window state is malformed");
        void *acc = calloc(1, vt->acc->size);
        prt_assert(acc != NULL);
        if (prt_schema_decode(vt->acc, acc, ab, e) != PRT_OK) {
            free(acc);
            return PRT_ERR;
        }
        x->s.key = k;
        x->s.acc = acc;
        x->s.hash = hash;
        c->ncw++;
    }
    return PRT_OK;
}

int prt_wcold_walk(const prt_winop *w, uint32_t maxpar, uint32_t kg_lo, uint32_t kg_hi, const walk_ent *e,
                   size_t n, const walk_timers *tm, int (*fn)(void *arg, const prt_win_state *s), void *arg)
{
    struct prt_wcold *c = w->cold;
    walk_ctx wc = { .w = w, .c = c, .maxpar = maxpar, .lo = kg_lo, .hi = kg_hi, .e = e, .n = n, .tm = tm,
                    .fn = fn, .arg = arg };
    uint16_t slo, shi;
    prt_err err;
    store_range(c, maxpar, kg_lo, kg_hi, &slo, &shi, &wc.filter);
    if (c->any && kg_lo <= kg_hi && slo <= shi &&
        prt_state_scan(c->st, c->op, slo, shi, walk_visit, &wc, &err) != PRT_OK && !wc.rc) {
        fail(c, &err);
        wc.rc = -1;
    }
    if (!wc.rc)
        flush_walk(&wc, UINT32_MAX);
    drop_cold(&wc);
    for (size_t i = 0; i < wc.capkeys; i++)
        prt_buf_free(&wc.kbytes[i]);
    free(wc.kbytes);
    free(wc.keys);
    free(wc.cw);
    prt_buf_free(&wc.tmp);
    return c->failed ? -1 : wc.rc;
}

/* ---- public ----------------------------------------------------------------------------- */

int prt_winop_attach(prt_winop *w, prt_state *st, const char *op, uint32_t max_parallelism, size_t budget,
                     prt_err *e)
{
    /* panes stay until they pass the budget (prt_wpane_budget): the store keeps windows */
    return prt_wcold_new(w, st, op, max_parallelism, budget, e);
}

size_t prt_wcold_budget(const prt_winop *w) { return w->cold->budget; }

int prt_winop_failed(const prt_winop *w, prt_err *e)
{
    if (w && w->cold && w->cold->failed) {
        *e = w->cold->err;
        return PRT_ERR;
    }
    return PRT_OK;
}

void prt_winop_walk_memory_only(prt_winop *w, int on)
{
    if (w && w->cold)
        w->cold->mem_only = on;
}

int prt_wcold_memory_only(const prt_winop *w) { return w->cold->mem_only; }

typedef struct store_load_ctx {
    prt_winop *w;
    const prt_schema *acc_schema; /* the stored accumulators' table */
    int evolve;
    void *key, *acc, *acc2;
    uint32_t maxpar, lo, hi;
    uint64_t n;
} store_load_ctx;

static int store_load_visit(void *arg, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    store_load_ctx *c = arg;
    const prt_win_vt *vt = c->w->vt;
    uint64_t hash, nwin;
    (void)kg;
    if (get_head(&val, &hash, &nwin) != PRT_OK)
        return prt_errf(e, "stored key state is malformed");
    uint32_t g = prt_key_group(hash, c->maxpar);
    if (g < c->lo || g > c->hi)
        return PRT_OK; /* another worker's key group */
    memset(c->key, 0, vt->key->size);
    if (prt_schema_decode(vt->key, c->key, key, e) != PRT_OK)
        return PRT_ERR;
    int rc = PRT_OK;
    for (uint64_t i = 0; i < nwin && rc == PRT_OK; i++) {
        prt_win_state s = { .key = c->key, .acc = c->acc, .hash = hash };
        prt_str ab;
        if (get_win(&val, &s, &ab) != PRT_OK) {
            rc = prt_errf(e, "stored window state is malformed");
            break;
        }
        memset(c->acc, 0, c->acc_schema->size);
        if ((rc = prt_schema_decode(c->acc_schema, c->acc, ab, e)) != PRT_OK)
            break;
        if (c->evolve) {
            memset(c->acc2, 0, vt->acc->size);
            prt_schema_acc_move(c->acc_schema, c->acc, vt->acc, c->acc2);
            prt_schema_free(c->acc_schema, c->acc);
            s.acc = c->acc2;
        }
        rc = prt_winop_restore(c->w, &s, e); /* moves the accumulator's contents on success */
        prt_schema_free(vt->acc, s.acc);
        c->n++;
    }
    prt_schema_free(vt->key, c->key);
    return rc;
}

int prt_winop_load_store(prt_winop *w, prt_state *st, const char *op, const prt_schema *saved_acc,
                         uint32_t max_parallelism, uint32_t kg_lo, uint32_t kg_hi, prt_err *e)
{
    const prt_win_vt *vt = w->vt;
    const prt_schema *as = saved_acc ? saved_acc : vt->acc;
    store_load_ctx c = { w, as, saved_acc != NULL, calloc(1, vt->key->size), calloc(1, as->size),
                         calloc(1, vt->acc->size), max_parallelism, kg_lo, kg_hi, 0 };
    prt_assert(c.key && c.acc && c.acc2);
    int rc = prt_state_scan(st, op, 0, UINT16_MAX, store_load_visit, &c, e);
    free(c.key);
    free(c.acc);
    free(c.acc2);
    if (rc == PRT_OK)
        rc = prt_winop_failed(w, e);
    return rc;
}

int prt_winop_has_cold(const prt_winop *w) { return w && w->cold && w->cold->any; }

void prt_winop_cold_stats_get(const prt_winop *w, prt_winop_cold_stats *out)
{
    memset(out, 0, sizeof *out);
    if (w && w->cold) {
        *out = w->cold->stats;
        out->mem_bytes = mem_bytes(w);
        out->budget = w->cold->budget;
    }
}
