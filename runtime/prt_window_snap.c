/* prt_window_snap.c — encode and load window operator snapshots (prt_window_snap.h).
 *
 * Layout (prt_codec.h primitives): varint version; i64 clock; u64 arrival seq; u64 timer seq;
 * varint window count; then per window, in walk order: u64 key hash, bytes key, i64 start,
 * i64 end, i64 max_ts, u64 count, u64 flush_seq, varint ntimers, per timer (i64 time, u64 seq,
 * varint what), bytes accumulator. Keys and accumulators in their prt_schema canonical form.
 */
#include <stdlib.h>

#include "prt_codec.h"
#include "prt_hash.h"
#include "prt_schema_wire.h"
#include "prt_window_snap.h"

typedef struct snap_ctx {
    const prt_win_vt *vt;
    prt_buf *out;
    prt_buf tmp; /* one key or accumulator at a time */
} snap_ctx;

void prt_winsnap_put_window(prt_buf *b, const prt_win_state *s)
{
    prt_put_i64(b, s->start);
    prt_put_i64(b, s->end);
    prt_put_i64(b, s->max_ts);
    prt_put_u64be(b, s->count);
    prt_put_u64be(b, s->flush_seq);
    prt_put_varint(b, (uint64_t)s->ntimers);
    for (int i = 0; i < s->ntimers; i++) {
        prt_put_i64(b, s->timers[i].time);
        prt_put_u64be(b, s->timers[i].seq);
        prt_put_varint(b, s->timers[i].what);
    }
}

int prt_winsnap_get_window(prt_str *in, prt_win_state *s)
{
    uint64_t u;
    if (prt_get_i64(in, &s->start) || prt_get_i64(in, &s->end) || prt_get_i64(in, &s->max_ts) ||
        prt_get_u64be(in, &s->count) || prt_get_u64be(in, &s->flush_seq) || prt_get_varint(in, &u) || u > 2)
        return PRT_ERR;
    s->ntimers = (int)u;
    for (int t = 0; t < s->ntimers; t++) {
        if (prt_get_i64(in, &s->timers[t].time) || prt_get_u64be(in, &s->timers[t].seq) || prt_get_varint(in, &u) ||
            u < 1 || u > 3)
            return PRT_ERR;
        s->timers[t].what = (uint32_t)u;
    }
    return PRT_OK;
}

static int put_window(void *arg, const prt_win_state *s)
{
    snap_ctx *c = arg;
    prt_buf *b = c->out;
    prt_put_u64be(b, s->hash);
    c->tmp.n = 0;
    prt_schema_encode(c->vt->key, s->key, &c->tmp);
    prt_put_bytes(b, prt_buf_str(&c->tmp));
    prt_winsnap_put_window(b, s);
    c->tmp.n = 0;
    prt_schema_encode(c->vt->acc, s->acc, &c->tmp);
    prt_put_bytes(b, prt_buf_str(&c->tmp));
    return 0;
}

void prt_winop_snapshot(const prt_winop *w, uint32_t max_parallelism, uint32_t kg_lo,
                        uint32_t kg_hi, prt_buf *out)
{
    prt_winop_snapshot_many(&w, &kg_lo, &kg_hi, 1, max_parallelism, out);
}

void prt_winop_snapshot_many(const prt_winop *const *ws, const uint32_t *kg_lo, const uint32_t *kg_hi, int n,
                             uint32_t max_parallelism, prt_buf *out)
{
    snap_ctx c = { prt_winop_vt(ws[0]), out, { 0 } };
    prt_winop_meta m;
    prt_winop_meta_get(ws[0], &m);
    uint64_t count = 0;
    for (int i = 0; i < n; i++) {
        prt_winop_meta mi;
        prt_winop_meta_get(ws[i], &mi);
        m.clock = mi.clock < m.clock ? mi.clock : m.clock; /* no engine has fired past it */
        m.seq = mi.seq > m.seq ? mi.seq : m.seq;          /* later arrivals and timers number */
        m.timer_seq = mi.timer_seq > m.timer_seq ? mi.timer_seq : m.timer_seq; /* after all saved */
        count += prt_winop_count(ws[i], max_parallelism, kg_lo[i], kg_hi[i]);
    }
    prt_put_varint(out, PRT_WINOP_SNAP_VERSION);
    prt_put_i64(out, m.clock);
    prt_put_u64be(out, m.seq);
    prt_put_u64be(out, m.timer_seq);
    prt_put_varint(out, count);
    for (int i = 0; i < n; i++) /* workers own ascending key-group ranges: key-group order holds */
        prt_winop_walk(ws[i], max_parallelism, kg_lo[i], kg_hi[i], put_window, &c);
    prt_buf_free(&c.tmp);
}

/* Reads a snapshot's header, then decodes each window with the tables given and calls fn with
 * it (key and acc owned by the walk: fn may move the accumulator's contents out). */
int prt_winop_snap_each(prt_str in, const prt_schema *key_schema, const prt_schema *acc_schema,
                        prt_winop_meta *meta, int (*fn)(void *arg, prt_win_state *s, prt_err *e), void *arg,
                        prt_err *e)
{
    uint64_t version, n;
    if (prt_get_varint(&in, &version) != PRT_OK)
        return prt_errf(e, "window state header is truncated");
    if (version != PRT_WINOP_SNAP_VERSION)
        return prt_errf(e, "window state version %llu is not supported (this build reads %d)",
                        (unsigned long long)version, PRT_WINOP_SNAP_VERSION);
    if (prt_get_i64(&in, &meta->clock) || prt_get_u64be(&in, &meta->seq) || prt_get_u64be(&in, &meta->timer_seq) ||
        prt_get_varint(&in, &n))
        return prt_errf(e, "window state header is truncated");
    void *key = malloc(key_schema->size), *acc = malloc(acc_schema->size);
    prt_assert(key && acc);
    int rc = PRT_OK;
    for (uint64_t i = 0; i < n && rc == PRT_OK; i++) {
        prt_win_state s = { .key = key, .acc = acc };
        prt_str kb, ab;
        rc = PRT_ERR;
        if (prt_get_u64be(&in, &s.hash) || prt_get_bytes(&in, &kb) || prt_winsnap_get_window(&in, &s) != PRT_OK ||
            prt_get_bytes(&in, &ab)) {
            prt_errf(e, "window state is truncated or malformed (window %llu)", (unsigned long long)i);
            break;
        }
        if (prt_schema_decode(key_schema, key, kb, e) != PRT_OK)
            break;
        if (prt_schema_decode(acc_schema, acc, ab, e) != PRT_OK) {
            prt_schema_free(key_schema, key);
            break;
        }
        rc = fn(arg, &s, e);
        prt_schema_free(key_schema, key);
        prt_schema_free(acc_schema, acc);
    }
    free(key);
    free(acc);
    if (rc == PRT_OK && in.n)
        rc = prt_errf(e, "window state has %zu bytes left over", in.n);
    return rc;
}

typedef struct load_ctx {
    prt_winop *w;
    const prt_schema *saved_acc; /* NULL: the operator's own */
    void *acc;                   /* the operator's accumulator, when evolving */
    uint32_t maxpar, kg_lo, kg_hi;
} load_ctx;

static int load_one(void *arg, prt_win_state *s, prt_err *e)
{
    load_ctx *c = arg;
    uint32_t kg = prt_key_group(s->hash, c->maxpar);
    if (kg < c->kg_lo || kg > c->kg_hi)
        return PRT_OK; /* another worker's key group */
    if (c->saved_acc) {
        memset(c->acc, 0, prt_winop_vt(c->w)->acc->size);
        prt_schema_acc_move(c->saved_acc, s->acc, prt_winop_vt(c->w)->acc, c->acc);
        s->acc = c->acc;
    }
    int rc = prt_winop_restore(c->w, s, e); /* moves the accumulator's contents on success */
    if (c->saved_acc)
        prt_schema_free(prt_winop_vt(c->w)->acc, c->acc);
    return rc;
}

int prt_winop_load(prt_winop *w, prt_str in, prt_err *e)
{
    return prt_winop_load_from(w, in, NULL, 1, 0, 0, e);
}

int prt_winop_load_from(prt_winop *w, prt_str in, const prt_schema *saved_acc, uint32_t max_parallelism,
                        uint32_t kg_lo, uint32_t kg_hi, prt_err *e)
{
    const prt_win_vt *vt = prt_winop_vt(w);
    load_ctx c = { w, saved_acc, saved_acc ? malloc(vt->acc->size) : NULL, max_parallelism, kg_lo, kg_hi };
    prt_winop_meta m;
    int rc = prt_winop_snap_each(in, vt->key, saved_acc ? saved_acc : vt->acc, &m, load_one, &c, e);
    free(c.acc);
    if (rc == PRT_OK)
        prt_winop_meta_set(w, &m);
    return rc;
}
