/* prt_schema.c — the generic walkers over generated field tables (prt_schema.h): canonical
 * encode/decode, deep copy, free and fingerprints. One routine per operation for every struct,
 * as nanopb's pb_encode/pb_decode walk its message descriptors. */
#include <stdlib.h>

#include "prt_codec.h"
#include "prt_distinct.h"
#include "prt_hash.h"
#include "prt_schema.h"

#define AT(obj, f, T) ((T *)((char *)(obj) + (f)->offset))
#define CAT(obj, f, T) ((const T *)((const char *)(obj) + (f)->offset))

void *prt_rows_push(prt_rows *r, const prt_schema *s)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 4;
        void *p = realloc(r->p, cap * s->size);
        prt_assert(p != NULL);
        r->p = p;
        r->cap = cap;
    }
    void *x = prt_rows_at(r, s, r->n++);
    memset(x, 0, s->size);
    return x;
}

static void put_f64(prt_buf *b, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    prt_put_u64be(b, bits); /* exact bits: -0.0 and NaN payloads survive a round trip */
}

void prt_schema_encode(const prt_schema *s, const void *obj, prt_buf *out)
{
    for (uint32_t i = 0; i < s->nfields; i++) {
        const prt_field *f = &s->fields[i];
        switch (f->store) {
        case PRT_S_I64: prt_put_i64(out, *CAT(obj, f, int64_t)); break;
        case PRT_S_U64: prt_put_u64be(out, *CAT(obj, f, uint64_t)); break;
        case PRT_S_F64: put_f64(out, *CAT(obj, f, double)); break;
        case PRT_S_BOOL: prt_buf_putc(out, *CAT(obj, f, int) ? 1 : 0); break;
        case PRT_S_STR: prt_put_bytes(out, *CAT(obj, f, prt_str)); break;
        case PRT_S_OSTR: prt_put_bytes(out, prt_ostr_str(CAT(obj, f, prt_ostr))); break;
        case PRT_S_DISTINCT: prt_distinct_encode(CAT(obj, f, prt_distinct), out); break;
        case PRT_S_ROWS: {
            const prt_rows *r = CAT(obj, f, prt_rows);
            prt_put_varint(out, r->n);
            for (size_t k = 0; k < r->n; k++)
                prt_schema_encode(f->sub, prt_rows_at(r, f->sub, k), out);
            break;
        }
        default: prt_assert(!"unknown store");
        }
    }
}

static int decode_fields(const prt_schema *s, void *obj, prt_str *in, prt_err *e)
{
    memset(obj, 0, s->size);
    for (uint32_t i = 0; i < s->nfields; i++) {
        const prt_field *f = &s->fields[i];
        int rc = PRT_OK;
        uint64_t u;
        prt_str v;
        switch (f->store) {
        case PRT_S_I64: rc = prt_get_i64(in, AT(obj, f, int64_t)); break;
        case PRT_S_U64: rc = prt_get_u64be(in, AT(obj, f, uint64_t)); break;
        case PRT_S_F64:
            if ((rc = prt_get_u64be(in, &u)) == PRT_OK)
                memcpy(AT(obj, f, double), &u, sizeof u);
            break;
        case PRT_S_BOOL:
            if (in->n < 1 || (unsigned char)in->p[0] > 1) {
                rc = PRT_ERR;
                break;
            }
            *AT(obj, f, int) = in->p[0];
            in->p++;
            in->n--;
            break;
        case PRT_S_STR:
            if ((rc = prt_get_bytes(in, &v)) == PRT_OK)
                *AT(obj, f, prt_str) = prt_str_dup(v);
            break;
        case PRT_S_OSTR:
            if ((rc = prt_get_bytes(in, &v)) == PRT_OK)
                prt_ostr_set(AT(obj, f, prt_ostr), v);
            break;
        case PRT_S_DISTINCT: rc = prt_distinct_decode(AT(obj, f, prt_distinct), in); break;
        case PRT_S_ROWS: {
            prt_rows *r = AT(obj, f, prt_rows);
            if ((rc = prt_get_varint(in, &u)) != PRT_OK || u > in->n) {
                rc = PRT_ERR;
                break;
            }
            for (uint64_t k = 0; k < u && rc == PRT_OK; k++) {
                void *x = prt_rows_push(r, f->sub);
                rc = decode_fields(f->sub, x, in, e);
                if (rc != PRT_OK)
                    r->n--; /* decode_fields left x with nothing to free */
            }
            break;
        }
        default: rc = PRT_ERR;
        }
        if (rc != PRT_OK) {
            prt_schema_free(s, obj);
            if (!e->msg[0])
                prt_errf(e, "%s: field '%s' is malformed or truncated", s->name, f->name);
            return PRT_ERR;
        }
    }
    return PRT_OK;
}

int prt_schema_decode(const prt_schema *s, void *obj, prt_str in, prt_err *e)
{
    e->msg[0] = 0;
    if (decode_fields(s, obj, &in, e) != PRT_OK)
        return PRT_ERR;
    if (in.n) {
        prt_schema_free(s, obj);
        return prt_errf(e, "%s: %zu bytes left over after the last field", s->name, in.n);
    }
    return PRT_OK;
}

void prt_schema_copy(const prt_schema *s, void *dst, const void *src)
{
    memcpy(dst, src, s->size);
    for (uint32_t i = 0; i < s->nfields; i++) {
        const prt_field *f = &s->fields[i];
        switch (f->store) {
        case PRT_S_STR: *AT(dst, f, prt_str) = prt_str_dup(*CAT(src, f, prt_str)); break;
        case PRT_S_OSTR:
            *AT(dst, f, prt_ostr) = (prt_ostr){ 0 };
            prt_ostr_set(AT(dst, f, prt_ostr), prt_ostr_str(CAT(src, f, prt_ostr)));
            break;
        case PRT_S_DISTINCT:
            *AT(dst, f, prt_distinct) = (prt_distinct){ 0 };
            prt_distinct_merge(AT(dst, f, prt_distinct), CAT(src, f, prt_distinct));
            break;
        case PRT_S_ROWS: {
            const prt_rows *from = CAT(src, f, prt_rows);
            prt_rows *to = AT(dst, f, prt_rows);
            *to = (prt_rows){ 0 };
            for (size_t k = 0; k < from->n; k++)
                prt_schema_copy(f->sub, prt_rows_push(to, f->sub), prt_rows_at(from, f->sub, k));
            break;
        }
        default: break;
        }
    }
}

void prt_schema_free(const prt_schema *s, void *obj)
{
    for (uint32_t i = 0; i < s->nfields; i++) {
        const prt_field *f = &s->fields[i];
        switch (f->store) {
        case PRT_S_STR: prt_str_release(AT(obj, f, prt_str)); break;
        case PRT_S_OSTR: prt_ostr_free(AT(obj, f, prt_ostr)); break;
        case PRT_S_DISTINCT: prt_distinct_clear(AT(obj, f, prt_distinct)); break;
        case PRT_S_ROWS: {
            prt_rows *r = AT(obj, f, prt_rows);
            for (size_t k = 0; k < r->n; k++)
                prt_schema_free(f->sub, prt_rows_at(r, f->sub, k));
            free(r->p);
            break;
        }
        default: break;
        }
    }
    memset(obj, 0, s->size);
}

int prt_schema_owns(const prt_schema *s)
{
    for (uint32_t i = 0; i < s->nfields; i++)
        if (s->fields[i].store >= PRT_S_STR)
            return 1;
    return 0;
}

/* ---- fingerprints --------------------------------------------------------------------- */

static uint64_t fp_field(uint64_t h, const prt_field *f)
{
    h = prt_hash_u64(h, f->store);
    h = prt_hash_u64(h, f->type);
    h = prt_hash_u64(h, f->agg);
    h = prt_hash_u64(h, f->part);
    if (f->store == PRT_S_ROWS)
        for (uint32_t i = 0; i < f->sub->nfields; i++)
            h = fp_field(h, &f->sub->fields[i]);
    return h;
}

#define FP_SEED(what) prt_hash_str(PRT_HASH_SEED, PRT_STR_LIT("pipec schema fingerprint v1 " what))

uint64_t prt_schema_key_fp(const prt_schema *key)
{
    uint64_t h = FP_SEED("key");
    for (uint32_t i = 0; i < key->nfields; i++)
        h = fp_field(h, &key->fields[i]);
    return prt_hash_finish(h);
}

uint64_t prt_schema_agg_fp(const prt_schema *acc, const char *agg)
{
    uint64_t h = FP_SEED("aggregate");
    int found = 0;
    for (uint32_t i = 0; i < acc->nfields; i++)
        if (!strcmp(acc->fields[i].name, agg)) {
            h = fp_field(h, &acc->fields[i]);
            found = 1;
        }
    return found ? prt_hash_finish(h) : 0;
}

const char *prt_vtype_name(prt_vtype t)
{
    static const char *const n[] = { "none", "int", "float", "bool", "timestamp", "string" };
    return (unsigned)t < sizeof n / sizeof n[0] ? n[t] : "?";
}

const char *prt_aggfn_name(prt_aggfn f)
{
    static const char *const n[] = { "none", "count", "sum", "min", "max", "avg", "first", "last",
                                     "count_distinct", "state" };
    return (unsigned)f < sizeof n / sizeof n[0] ? n[f] : "?";
}
