/* prt_core.h — basic types shared by the runtime and generated code.
 *
 * prt_str     a borrowed byte slice; never owns memory.
 * prt_buf     a growable byte buffer; owns its memory (prt_buf_free).
 * prt_scratch a bump allocator reset once per input record; holds strings computed while
 *             evaluating expressions (concat, lower, ...). Nothing in it survives the record.
 * prt_ostr    an owned string that keeps its buffer: setting a new value reuses it when it fits,
 *             so accumulators (min/max/first/last of strings) do not allocate per record.
 * prt_err     the reason a record failed (parse or evaluation); a fixed buffer, no allocation.
 */
#ifndef PRT_CORE_H
#define PRT_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PRT_OK 0
#define PRT_ERR (-1)

typedef struct prt_str {
    const char *p;
    size_t n;
} prt_str;

#define PRT_STR_LIT(s) ((prt_str){ (s), sizeof(s) - 1 })

static inline prt_str prt_str_c(const char *s) { return (prt_str){ s, s ? strlen(s) : 0 }; }
/* Up to 8 bytes without a memcmp call (keys such as a status compare in the window table's
 * probe each record): 4..8 bytes as their first and last 4 (overlapping), 1..3 bytes as bytes
 * 0, n/2 and n-1 (every one of them). */
static inline int prt_str_eq_small(const char *a, const char *b, size_t n)
{
    if (n >= 4) {
        uint32_t x0, y0, x1, y1;
        memcpy(&x0, a, 4);
        memcpy(&y0, b, 4);
        memcpy(&x1, a + n - 4, 4);
        memcpy(&y1, b + n - 4, 4);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    return a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1];
}
static inline int prt_str_eq(prt_str a, prt_str b)
{
    if (a.n != b.n)
        return 0;
    if (a.n <= 8)
        return a.n == 0 || prt_str_eq_small(a.p, b.p, a.n);
    return memcmp(a.p, b.p, a.n) == 0;
}
int prt_str_cmp(prt_str a, prt_str b); /* memcmp order, shorter first on a common prefix */

typedef struct prt_buf {
    char *p;
    size_t n, cap;
} prt_buf;

void prt_buf_grow(prt_buf *b, size_t extra); /* room for extra more bytes; aborts on out of memory */
/* The appends are inline: their common case (room left) is a compare and a copy. */
static inline void prt_buf_reserve(prt_buf *b, size_t extra)
{
    if (extra > b->cap - b->n)
        prt_buf_grow(b, extra);
}
static inline void prt_buf_put(prt_buf *b, const void *p, size_t n)
{
    if (!n)
        return;
    prt_buf_reserve(b, n);
    memcpy(b->p + b->n, p, n);
    b->n += n;
}
static inline void prt_buf_putc(prt_buf *b, char c)
{
    if (b->n == b->cap)
        prt_buf_grow(b, 1);
    b->p[b->n++] = c;
}
void prt_buf_puts(prt_buf *b, const char *s);
void prt_buf_printf(prt_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void prt_buf_clear(prt_buf *b) { b->n = 0; }
static inline prt_str prt_buf_str(const prt_buf *b) { return (prt_str){ b->p, b->n }; }
void prt_buf_free(prt_buf *b);

typedef struct prt_scratch {
    char *p;
    size_t n, cap;
    struct prt_scratch_block *old; /* blocks outgrown during this record; freed on reset */
} prt_scratch;

void *prt_scratch_alloc(prt_scratch *s, size_t n); /* 8-byte aligned; valid until reset */
prt_str prt_scratch_copy(prt_scratch *s, prt_str v);
void prt_scratch_free_old(prt_scratch *s); /* frees the blocks outgrown during the record */
static inline void prt_scratch_reset(prt_scratch *s)
{
    if (s->old)
        prt_scratch_free_old(s);
    s->n = 0;
}
void prt_scratch_free(prt_scratch *s);

typedef struct prt_err {
    char msg[256];
} prt_err;

/* Formats the reason into e->msg and returns PRT_ERR, so callers can `return prt_errf(e, ...)`. */
int prt_errf(prt_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Owned copy of a string (for keys and aggregate values that outlive a record). */
prt_str prt_str_dup(prt_str s);
void prt_str_release(prt_str *s); /* frees a prt_str_dup result and empties it */
/* *dst (a prt_str_dup result, or empty) becomes an owned copy of v, then its old bytes are freed:
 * v may point into *dst itself (setting a function's state field to its own value). */
void prt_str_replace(prt_str *dst, prt_str v);

/* An owned string with a reusable buffer; zero-initialized it is the empty string. */
typedef struct prt_ostr {
    char *p;
    size_t n, cap;
} prt_ostr;

void prt_ostr_set(prt_ostr *o, prt_str v); /* copies v, growing the buffer only when needed */
static inline prt_str prt_ostr_str(const prt_ostr *o) { return (prt_str){ o->p, o->n }; }
void prt_ostr_free(prt_ostr *o);           /* frees the buffer and empties o */

/* Fatal internal error with file and line (Redis-style assert). */
#define prt_assert(c) ((c) ? (void)0 : prt_panic(__FILE__, __LINE__, #c))
void prt_panic(const char *file, int line, const char *what) __attribute__((noreturn));

#endif
