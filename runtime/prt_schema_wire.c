/* prt_schema_wire.c — field tables written into metadata and read back; evolution between a
 * saved accumulator table and the build's (prt_schema_wire.h). */
#include <stdlib.h>

#include "prt_codec.h"
#include "prt_distinct.h"
#include "prt_schema_wire.h"

void prt_schema_put(prt_buf *b, const prt_schema *s)
{
    prt_put_bytes(b, prt_str_c(s->name));
    prt_put_varint(b, s->nfields);
    for (uint32_t i = 0; i < s->nfields; i++) {
        const prt_field *f = &s->fields[i];
        prt_put_bytes(b, prt_str_c(f->name));
        unsigned char x[4] = { f->store, f->type, f->agg, f->part };
        prt_buf_put(b, x, 4);
        if (f->store == PRT_S_ROWS)
            prt_schema_put(b, f->sub);
    }
}

static size_t store_size(uint8_t store)
{
    switch (store) {
    case PRT_S_STR: return sizeof(prt_str);
    case PRT_S_OSTR: return sizeof(prt_ostr);
    case PRT_S_DISTINCT: return sizeof(prt_distinct);
    case PRT_S_ROWS: return sizeof(prt_rows);
    case PRT_S_BOOL: return sizeof(int);
    default: return 8;
    }
}

static char *dup_cstr(prt_str s)
{
    char *p = malloc(s.n + 1);
    prt_assert(p != NULL);
    memcpy(p, s.p, s.n);
    p[s.n] = 0;
    return p;
}

static prt_schema *get_depth(prt_str *in, int depth, prt_err *e)
{
    prt_str name;
    uint64_t n;
    if (depth > 4)
        return prt_errf(e, "field table nested too deep"), NULL;
    if (prt_get_bytes(in, &name) || prt_get_varint(in, &n) || n > 4096)
        return prt_errf(e, "field table is truncated or malformed"), NULL;
    prt_schema *s = calloc(1, sizeof *s);
    prt_field *f = calloc(n ? n : 1, sizeof *f);
    prt_assert(s && f);
    s->name = dup_cstr(name);
    s->fields = f;
    size_t off = 0;
    for (uint64_t i = 0; i < n; i++) {
        prt_str fname;
        if (prt_get_bytes(in, &fname) || in->n < 4) {
            prt_errf(e, "field table '%s' is truncated", s->name);
            prt_schema_release(s);
            return NULL;
        }
        const unsigned char *x = (const unsigned char *)in->p;
        f[i].name = dup_cstr(fname);
        f[i].store = x[0];
        f[i].type = x[1];
        f[i].agg = x[2];
        f[i].part = x[3];
        s->nfields = (uint32_t)i + 1;
        in->p += 4;
        in->n -= 4;
        if (f[i].store < PRT_S_I64 || f[i].store > PRT_S_ROWS || f[i].type > PRT_V_STRING ||
            f[i].agg > PRT_AGG_STATE || f[i].part > PRT_P_SEQ) {
            prt_errf(e, "field table '%s': field '%s' has an unknown kind", s->name, f[i].name);
            prt_schema_release(s);
            return NULL;
        }
        if (f[i].store == PRT_S_ROWS && !(f[i].sub = get_depth(in, depth + 1, e))) {
            prt_schema_release(s);
            return NULL;
        }
        off = (off + 7) & ~(size_t)7;
        f[i].offset = (uint32_t)off;
        off += store_size(f[i].store);
    }
    s->size = (uint32_t)((off + 7) & ~(size_t)7);
    if (!s->size)
        s->size = 8;
    return s;
}

prt_schema *prt_schema_get(prt_str *in, prt_err *e) { return get_depth(in, 0, e); }

void prt_schema_release(prt_schema *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->nfields; i++) {
        free((void *)s->fields[i].name);
        if (s->fields[i].sub)
            prt_schema_release((prt_schema *)s->fields[i].sub);
    }
    free((void *)s->fields);
    free((void *)s->name);
    free(s);
}

static int same_field(const prt_field *a, const prt_field *b)
{
    if (a->store != b->store || a->type != b->type || a->agg != b->agg || a->part != b->part)
        return 0;
    return a->store != PRT_S_ROWS || prt_schema_same_layout(a->sub, b->sub);
}

int prt_schema_same_layout(const prt_schema *a, const prt_schema *b)
{
    if (a->nfields != b->nfields)
        return 0;
    for (uint32_t i = 0; i < a->nfields; i++)
        if (!same_field(&a->fields[i], &b->fields[i]) || strcmp(a->fields[i].name, b->fields[i].name))
            return 0;
    return 1;
}

/* The first field of aggregate `name` in s, or NULL. */
static const prt_field *agg_field(const prt_schema *s, const char *name)
{
    for (uint32_t i = 0; i < s->nfields; i++)
        if (!strcmp(s->fields[i].name, name))
            return &s->fields[i];
    return NULL;
}

static void agg_text(prt_buf *b, const prt_field *f)
{
    if (f->agg == PRT_AGG_STATE) {
        prt_buf_printf(b, "%s%s", f->store == PRT_S_ROWS ? "a collection of " : "",
                       prt_vtype_name((prt_vtype)f->type));
        return;
    }
    prt_buf_printf(b, "%s(%s)", prt_aggfn_name((prt_aggfn)f->agg),
                   f->agg == PRT_AGG_COUNT ? "" : prt_vtype_name((prt_vtype)f->type));
}

int prt_schema_acc_evolves(const prt_schema *from, const prt_schema *to, prt_buf *changes, prt_buf *why)
{
    const char *sep = "";
    for (uint32_t i = 0; i < to->nfields; i++) {
        const prt_field *t = &to->fields[i];
        if (i && !strcmp(to->fields[i - 1].name, t->name))
            continue; /* the aggregate's other parts */
        const prt_field *f = agg_field(from, t->name);
        if (!f) {
            if (changes)
                prt_buf_printf(changes, "%sadded '%s' (starts empty)", sep, t->name), sep = ", ";
            continue;
        }
        if (prt_schema_agg_fp(from, t->name) != prt_schema_agg_fp(to, t->name)) {
            prt_buf_printf(why, "%s '%s': ", t->agg == PRT_AGG_STATE ? "state" : "aggregate", t->name);
            agg_text(why, t);
            prt_buf_puts(why, " was ");
            agg_text(why, f);
            return 0;
        }
    }
    for (uint32_t i = 0; i < from->nfields; i++) {
        const prt_field *f = &from->fields[i];
        if ((i && !strcmp(from->fields[i - 1].name, f->name)) || agg_field(to, f->name))
            continue;
        if (changes)
            prt_buf_printf(changes, "%sremoved '%s'", sep, f->name), sep = ", ";
    }
    return 1;
}

void prt_schema_acc_move(const prt_schema *from, void *src, const prt_schema *to, void *dst)
{
    for (uint32_t i = 0; i < to->nfields; i++) {
        const prt_field *t = &to->fields[i];
        for (uint32_t k = 0; k < from->nfields; k++) {
            const prt_field *f = &from->fields[k];
            if (strcmp(f->name, t->name) || f->part != t->part || !same_field(f, t))
                continue;
            size_t n = store_size(t->store);
            memcpy((char *)dst + t->offset, (char *)src + f->offset, n);
            memset((char *)src + f->offset, 0, n); /* moved: src no longer owns it */
            break;
        }
    }
    prt_schema_free(from, src);
}

/* ---- stored fingerprints ---------------------------------------------------------------- */

/* 1 when field i starts an aggregate (its parts are consecutive fields with one name). */
static int agg_first(const prt_schema *acc, uint32_t i)
{
    return !i || strcmp(acc->fields[i - 1].name, acc->fields[i].name);
}

void prt_schema_put_fps(prt_buf *b, const prt_schema *key, const prt_schema *acc)
{
    uint64_t n = 0;
    prt_put_u64be(b, prt_schema_key_fp(key));
    for (uint32_t i = 0; i < acc->nfields; i++)
        n += (uint64_t)agg_first(acc, i);
    prt_put_varint(b, n);
    for (uint32_t i = 0; i < acc->nfields; i++)
        if (agg_first(acc, i)) {
            prt_put_bytes(b, prt_str_c(acc->fields[i].name));
            prt_put_u64be(b, prt_schema_agg_fp(acc, acc->fields[i].name));
        }
}

int prt_schema_check_fps(prt_str *in, const prt_schema *key, const prt_schema *acc, prt_buf *why)
{
    uint64_t fp, n, have = 0;
    if (prt_get_u64be(in, &fp) != PRT_OK || prt_get_varint(in, &n) != PRT_OK) {
        prt_buf_puts(why, "fingerprints malformed");
        return PRT_ERR;
    }
    if (fp != prt_schema_key_fp(key)) {
        prt_buf_printf(why, "stored key fingerprint %016llx, the key table gives %016llx", (unsigned long long)fp,
                       (unsigned long long)prt_schema_key_fp(key));
        return PRT_ERR;
    }
    for (uint32_t i = 0; i < acc->nfields; i++)
        have += (uint64_t)agg_first(acc, i);
    if (n != have) {
        prt_buf_printf(why, "%llu aggregate fingerprints stored, the state table has %llu aggregates",
                       (unsigned long long)n, (unsigned long long)have);
        return PRT_ERR;
    }
    for (uint32_t i = 0; i < acc->nfields; i++) {
        if (!agg_first(acc, i))
            continue;
        prt_str name;
        if (prt_get_bytes(in, &name) != PRT_OK || prt_get_u64be(in, &fp) != PRT_OK) {
            prt_buf_puts(why, "fingerprints malformed");
            return PRT_ERR;
        }
        const char *an = acc->fields[i].name;
        if (name.n != strlen(an) || memcmp(name.p, an, name.n)) {
            prt_buf_printf(why, "stored fingerprint of '%.*s' where the state table has '%s'", (int)name.n, name.p, an);
            return PRT_ERR;
        }
        if (fp != prt_schema_agg_fp(acc, an)) {
            prt_buf_printf(why, "stored fingerprint of '%s' %016llx, the state table gives %016llx", an,
                           (unsigned long long)fp, (unsigned long long)prt_schema_agg_fp(acc, an));
            return PRT_ERR;
        }
    }
    return PRT_OK;
}
