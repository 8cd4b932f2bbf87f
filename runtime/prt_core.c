/* prt_core.c — buffers, the per-record scratch allocator, errors and panics.
 *
 * Out of memory is not a recoverable condition in a pipeline: every allocation here either
 * succeeds or aborts with a message naming how much was asked for.
 */
#include "prt_core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void prt_panic(const char *file, int line, const char *what)
{
    fflush(stdout);
    fprintf(stderr, "%s:%d: internal error: %s\n", file, line, what);
    abort();
}

static void prt_oom(size_t n)
{
    fflush(stdout);
    fprintf(stderr, "pipec runtime: out of memory (allocating %zu bytes)\n", n);
    abort();
}

static void *prt_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        prt_oom(n);
    return q;
}

int prt_str_cmp(prt_str a, prt_str b)
{
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return a.n < b.n ? -1 : a.n > b.n;
}

/* ---- prt_buf ---- */

void prt_buf_grow(prt_buf *b, size_t extra)
{
    if (extra > SIZE_MAX / 2 - b->n)
        prt_oom(extra);
    size_t need = b->n + extra, cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2; /* geometric: amortized O(1) appends */
    b->p = prt_xrealloc(b->p, cap);
    b->cap = cap;
}

void prt_buf_puts(prt_buf *b, const char *s) { prt_buf_put(b, s, strlen(s)); }

void prt_buf_printf(prt_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char dummy;
    size_t room = b->cap - b->n;
    int len = vsnprintf(room ? b->p + b->n : &dummy, room ? room : 1, fmt, ap);
    va_end(ap);
    prt_assert(len >= 0);
    if ((size_t)len >= room) {
        prt_buf_reserve(b, (size_t)len + 1); /* vsnprintf writes a terminating NUL */
        va_start(ap, fmt);
        vsnprintf(b->p + b->n, (size_t)len + 1, fmt, ap);
        va_end(ap);
    }
    b->n += (size_t)len;
}

void prt_buf_free(prt_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* ---- prt_scratch ----
 * The current block's data is s->p[0..cap); a header precedes it so that outgrown blocks can be
 * chained on s->old until the next reset. The current block is always the largest one, so a
 * reset frees the others and keeps it: after the first few records no allocation happens. */

struct prt_scratch_block {
    struct prt_scratch_block *next;
    size_t cap; /* pads the header to 16 bytes so data stays aligned as malloc returns it */
};

#define PRT_SCRATCH_MIN 4096

static struct prt_scratch_block *prt_scratch_hdr(char *p)
{
    return (struct prt_scratch_block *)(void *)(p - sizeof(struct prt_scratch_block));
}

void *prt_scratch_alloc(prt_scratch *s, size_t n)
{
    if (n > SIZE_MAX / 4)
        prt_oom(n);
    n = (n + 7) & ~(size_t)7;
    if (!s->p || n > s->cap - s->n) {
        size_t cap = s->cap ? s->cap * 2 : PRT_SCRATCH_MIN;
        while (cap < n)
            cap *= 2;
        struct prt_scratch_block *blk = malloc(sizeof *blk + cap);
        if (!blk)
            prt_oom(sizeof *blk + cap);
        blk->cap = cap;
        blk->next = NULL;
        if (s->p) { /* keep the outgrown block alive: earlier results still point into it */
            struct prt_scratch_block *cur = prt_scratch_hdr(s->p);
            cur->next = s->old;
            s->old = cur;
        }
        s->p = (char *)(blk + 1);
        s->cap = cap;
        s->n = 0;
    }
    void *r = s->p + s->n;
    s->n += n;
    return r;
}

prt_str prt_scratch_copy(prt_scratch *s, prt_str v)
{
    char *d = prt_scratch_alloc(s, v.n + 1);
    if (v.n)
        memcpy(d, v.p, v.n);
    d[v.n] = 0; /* handy for debugging and for C APIs; not counted in n */
    return (prt_str){ d, v.n };
}

void prt_scratch_free_old(prt_scratch *s)
{
    while (s->old) {
        struct prt_scratch_block *next = s->old->next;
        free(s->old);
        s->old = next;
    }
}

void prt_scratch_free(prt_scratch *s)
{
    prt_scratch_free_old(s);
    if (s->p)
        free(prt_scratch_hdr(s->p));
    s->p = NULL;
    s->n = s->cap = 0;
}

/* ---- errors and owned strings ---- */

int prt_errf(prt_err *e, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof e->msg, fmt, ap);
        va_end(ap);
    }
    return PRT_ERR;
}

prt_str prt_str_dup(prt_str s)
{
    char *d = malloc(s.n + 1);
    if (!d)
        prt_oom(s.n + 1);
    if (s.n)
        memcpy(d, s.p, s.n);
    d[s.n] = 0;
    return (prt_str){ d, s.n };
}

void prt_str_release(prt_str *s)
{
    free((void *)s->p);
    s->p = NULL;
    s->n = 0;
}

void prt_str_replace(prt_str *dst, prt_str v)
{
    prt_str old = *dst;
    *dst = prt_str_dup(v);
    prt_str_release(&old);
}

void prt_ostr_set(prt_ostr *o, prt_str v)
{
    if (v.n > o->cap) {
        size_t cap = o->cap ? o->cap : 16;
        while (cap < v.n)
            cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p)
            prt_oom(cap);
        o->p = p;
        o->cap = cap;
    }
    if (v.n)
        memmove(o->p, v.p, v.n); /* v may point into o itself */
    o->n = v.n;
}

void prt_ostr_free(prt_ostr *o)
{
    free(o->p);
    *o = (prt_ostr){ 0 };
}
