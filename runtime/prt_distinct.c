/* prt_distinct.c — exact distinct counting for count_distinct(): an open-addressing set of 64-bit
 * patterns and one of strings (owned copies). Merge is set union. */
#include <stdlib.h>

#include "prt_core.h"
#include "prt_hash.h"
#include "prt_window.h"

typedef struct dstr {
    uint64_t hash; /* 0 = empty slot; real hashes are forced non-zero */
    char *p;
    size_t n;
} dstr;

struct prt_distinct {
    uint64_t *u;    /* u64 set; 0 marks an empty slot, the value 0 lives in has_zero */
    size_t umask, un;
    int has_zero;
    dstr *s;        /* string set */
    size_t smask, sn;
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    prt_assert(p != NULL);
    return p;
}

prt_distinct *prt_distinct_new(void)
{
    prt_distinct *d = xcalloc(1, sizeof *d);
    return d; /* tables are allocated on first use */
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
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then a finalizer for the low bits */
    for (size_t i = 0; i < s.n; i++)
        h = (h ^ (unsigned char)s.p[i]) * 0x100000001b3ULL;
    h = prt_hash_finish(h ^ s.n);
    return h ? h : 1;
}

/* Inserts (hash, s); copies the bytes when copy, else takes ownership of s.p. */
static int s_put(prt_distinct *d, uint64_t h, prt_str s, char *owned)
{
    size_t i = (size_t)h & d->smask;
    while (d->s[i].hash) {
        if (d->s[i].hash == h && d->s[i].n == s.n && (s.n == 0 || memcmp(d->s[i].p, s.p, s.n) == 0))
            return 0;
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
    return 1;
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

void prt_distinct_free(prt_distinct *d)
{
    if (!d)
        return;
    if (d->s)
        for (size_t i = 0; i <= d->smask; i++)
            if (d->s[i].hash)
                free(d->s[i].p);
    free(d->s);
    free(d->u);
    free(d);
}
