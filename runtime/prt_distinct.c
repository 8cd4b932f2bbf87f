/* prt_distinct.c — exact distinct counting for count_distinct() (prt_distinct.h): open-addressing
 * sets of 64-bit patterns and of strings, their union, and their canonical encoding. */
#include <stdlib.h>

#include "prt_codec.h"
#include "prt_distinct.h"
#include "prt_hash.h"

typedef struct prt_dstr {
    uint64_t hash; /* 0 = empty slot; real hashes are forced non-zero */
    char *p;
    size_t n;
} dstr;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    prt_assert(p != NULL);
    return p;
}

static void u_put(prt_distinct *d, uint64_t v)
{
    size_t i = (size_t)prt_hash_finish(v) & d->umask;
    while (d->u[i]) {
        if (d->u[i] == v)
            return;
        i = (i + 1) & d->umask;
    }
    d->u[i] = v;
    d->un++;
}

void prt_distinct_add_u64(prt_distinct *d, uint64_t bits)
{
    if (bits == 0) {
        d->has_zero = 1;
        return;
    }
    if ((d->un + 1) * 2 > (d->u ? d->umask + 1 : 0)) {
        uint64_t *old = d->u;
        size_t oldcap = old ? d->umask + 1 : 0, cap = oldcap ? oldcap * 2 : 16;
        d->u = xcalloc(cap, sizeof *d->u);
        d->umask = cap - 1;
        d->un = 0;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i])
                u_put(d, old[i]);
        free(old);
    }
    u_put(d, bits);
}

static uint64_t str_hash(prt_str s)
{
    uint64_t h = prt_hash_finish(prt_hash_str(PRT_HASH_SEED, s));
    return h ? h : 1;
}

/* Inserts (hash, s); copies the bytes unless owned is given, whose ownership it then takes. */
static void s_put(prt_distinct *d, uint64_t h, prt_str s, char *owned)
{
    size_t i = (size_t)h & d->smask;
    while (d->s[i].hash) {
        if (d->s[i].hash == h && d->s[i].n == s.n && (s.n == 0 || memcmp(d->s[i].p, s.p, s.n) == 0))
            return;
        i = (i + 1) & d->smask;
    }
    if (!owned) {
        owned = malloc(s.n ? s.n : 1);
        prt_assert(owned != NULL);
        if (s.n)
            memcpy(owned, s.p, s.n);
    }
    d->s[i] = (dstr){ h, owned, s.n };
    d->sn++;
}

void prt_distinct_add_str(prt_distinct *d, prt_str s)
{
    if ((d->sn + 1) * 2 > (d->s ? d->smask + 1 : 0)) {
        dstr *old = d->s;
        size_t oldcap = old ? d->smask + 1 : 0, cap = oldcap ? oldcap * 2 : 16;
        d->s = xcalloc(cap, sizeof *d->s);
        d->smask = cap - 1;
        d->sn = 0;
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].hash)
                s_put(d, old[i].hash, (prt_str){ old[i].p, old[i].n }, old[i].p);
        free(old);
    }
    s_put(d, str_hash(s), s, NULL);
}

void prt_distinct_merge(prt_distinct *dst, const prt_distinct *src)
{
    if (src->has_zero)
        dst->has_zero = 1;
    if (src->u)
        for (size_t i = 0; i <= src->umask; i++)
            if (src->u[i])
                prt_distinct_add_u64(dst, src->u[i]);
    if (src->s)
        for (size_t i = 0; i <= src->smask; i++)
            if (src->s[i].hash)
                prt_distinct_add_str(dst, (prt_str){ src->s[i].p, src->s[i].n });
}

uint64_t prt_distinct_count(const prt_distinct *d)
{
    return d->un + (uint64_t)d->has_zero + d->sn;
}

void prt_distinct_clear(prt_distinct *d)
{
    if (d->s)
        for (size_t i = 0; i <= d->smask; i++)
            if (d->s[i].hash)
                free(d->s[i].p);
    free(d->s);
    free(d->u);
    *d = (prt_distinct){ 0 };
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return prt_str_cmp(*(const prt_str *)a, *(const prt_str *)b);
}

void prt_distinct_encode(const prt_distinct *d, prt_buf *out)
{
    size_t nu = d->un + (size_t)d->has_zero, k = 0;
    uint64_t *u = malloc((nu ? nu : 1) * sizeof *u);
    prt_assert(u != NULL);
    if (d->has_zero)
        u[k++] = 0;
    if (d->u)
        for (size_t i = 0; i <= d->umask; i++)
            if (d->u[i])
                u[k++] = d->u[i];
    qsort(u, nu, sizeof *u, cmp_u64);
    prt_put_varint(out, nu);
    for (size_t i = 0; i < nu; i++)
        prt_put_u64be(out, u[i]);
    free(u);

    prt_str *s = malloc((d->sn ? d->sn : 1) * sizeof *s);
    prt_assert(s != NULL);
    k = 0;
    if (d->s)
        for (size_t i = 0; i <= d->smask; i++)
            if (d->s[i].hash)
                s[k++] = (prt_str){ d->s[i].p, d->s[i].n };
    qsort(s, d->sn, sizeof *s, cmp_str);
    prt_put_varint(out, d->sn);
    for (size_t i = 0; i < d->sn; i++)
        prt_put_bytes(out, s[i]);
    free(s);
}

int prt_distinct_decode(prt_distinct *d, prt_str *in)
{
    uint64_t n, v;
    prt_str s;
    if (prt_get_varint(in, &n) != PRT_OK || n > in->n / 8)
        return PRT_ERR;
    for (uint64_t i = 0; i < n; i++) {
        if (prt_get_u64be(in, &v) != PRT_OK)
            return PRT_ERR;
        prt_distinct_add_u64(d, v);
    }
    if (prt_get_varint(in, &n) != PRT_OK || n > in->n)
        return PRT_ERR;
    for (uint64_t i = 0; i < n; i++) {
        if (prt_get_bytes(in, &s) != PRT_OK)
            return PRT_ERR;
        prt_distinct_add_str(d, s);
    }
    return PRT_OK;
}
