/* prt_window_snap.c — encode and load window operator snapshots (prt_window_snap.h).
 *
 * Layout (prt_codec.h primitives): varint version; i64 clock; u64 arrival seq; u64 timer seq;
 * varint window count; then per window, in walk order: u64 key hash, bytes key, i64 start,
 * i64 end, i64 max_ts, u64 count, u64 flush_seq, varint ntimers, per timer (i64 time, u64 seq,
 * varint what), bytes accumulator. Keys and accumulators in their prt_schema canonical form.
 */
#include <stdlib.h>

#include "prt_codec.h"
#include "prt_window_snap.h"

typedef struct snap_ctx {
    const prt_win_vt *vt;
    prt_buf body;
    uint64_t n;
} snap_ctx;

static int put_window(void *arg, const prt_win_state *s)
{
    snap_ctx *c = arg;
    prt_buf *b = &c->body;
    prt_put_u64be(b, s->hash);
    prt_buf tmp = { 0 };
    prt_schema_encode(c->vt->key, s->key, &tmp);
    prt_put_bytes(b, prt_buf_str(&tmp));
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
    tmp.n = 0;
    prt_schema_encode(c->vt->acc, s->acc, &tmp);
    prt_put_bytes(b, prt_buf_str(&tmp));
    prt_buf_free(&tmp);
    c->n++;
    return 0;
}

void prt_winop_snapshot(const prt_winop *w, uint32_t max_parallelism, uint32_t kg_lo,
                        uint32_t kg_hi, prt_buf *out)
{
    snap_ctx c = { prt_winop_vt(w), { 0 }, 0 };
    prt_winop_meta m;
    prt_winop_meta_get(w, &m);
    prt_winop_walk(w, max_parallelism, kg_lo, kg_hi, put_window, &c);
    prt_put_varint(out, PRT_WINOP_SNAP_VERSION);
    prt_put_i64(out, m.clock);
    prt_put_u64be(out, m.seq);
    prt_put_u64be(out, m.timer_seq);
    prt_put_varint(out, c.n);
    prt_buf_put(out, c.body.p, c.body.n);
    prt_buf_free(&c.body);
}

#define GET(x) do { if ((x) != PRT_OK) goto bad; } while (0)

int prt_winop_load(prt_winop *w, prt_str in, prt_err *e)
{
    const prt_win_vt *vt = prt_winop_vt(w);
    uint64_t version, n, u;
    prt_winop_meta m;
    GET(prt_get_varint(&in, &version));
    if (version != PRT_WINOP_SNAP_VERSION)
        return prt_errf(e, "window state version %llu is not supported (this build reads %d)",
                        (unsigned long long)version, PRT_WINOP_SNAP_VERSION);
    GET(prt_get_i64(&in, &m.clock));
    GET(prt_get_u64be(&in, &m.seq));
    GET(prt_get_u64be(&in, &m.timer_seq));
    GET(prt_get_varint(&in, &n));
    void *key = malloc(vt->key->size), *acc = malloc(vt->acc->size);
    prt_assert(key && acc);
    int rc = PRT_OK;
    for (uint64_t i = 0; i < n && rc == PRT_OK; i++) {
        prt_win_state s = { .key = key, .acc = acc };
        prt_str kb, ab;
        rc = PRT_ERR;
        if (prt_get_u64be(&in, &s.hash) || prt_get_bytes(&in, &kb) || prt_get_i64(&in, &s.start) ||
            prt_get_i64(&in, &s.end) || prt_get_i64(&in, &s.max_ts) || prt_get_u64be(&in, &s.count) ||
            prt_get_u64be(&in, &s.flush_seq) || prt_get_varint(&in, &u) || u > 2) {
            prt_errf(e, "window state is truncated or malformed (window %llu)", (unsigned long long)i);
            break;
        }
        s.ntimers = (int)u;
        int ok = 1;
        for (int t = 0; t < s.ntimers && ok; t++)
            ok = !prt_get_i64(&in, &s.timers[t].time) && !prt_get_u64be(&in, &s.timers[t].seq) &&
                 !prt_get_varint(&in, &u) && u >= 1 && u <= 3 && ((s.timers[t].what = (uint32_t)u), 1);
        if (!ok || prt_get_bytes(&in, &ab)) {
            prt_errf(e, "window state is truncated or malformed (window %llu)", (unsigned long long)i);
            break;
        }
        if (prt_schema_decode(vt->key, key, kb, e) != PRT_OK)
            break;
        if (prt_schema_decode(vt->acc, acc, ab, e) != PRT_OK) {
            prt_schema_free(vt->key, key);
            break;
        }
        rc = prt_winop_restore(w, &s, e);
        prt_schema_free(vt->key, key); /* the engine keeps its own copy */
        if (rc != PRT_OK)
            prt_schema_free(vt->acc, acc);
    }
    free(key);
    free(acc);
    if (rc != PRT_OK)
        return PRT_ERR;
    if (in.n)
        return prt_errf(e, "window state has %zu bytes left over", in.n);
    prt_winop_meta_set(w, &m);
    return PRT_OK;
bad:
    return prt_errf(e, "window state header is truncated");
}
