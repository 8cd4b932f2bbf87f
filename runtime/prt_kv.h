/* prt_kv.h — the kv input format's tokenizer: `a=1, b = x,,c=` → (a,1) (b,x) (c,"").
 *
 * Pairs are split on ',', key and value on the first '=' (a value may hold more '='); spaces and
 * tabs around keys and values are trimmed; empty pairs are skipped; a pair without '=' or with an
 * empty key is an error naming its byte offset. There is no quoting.
 *
 * A generated parser first tries the line as exactly its schema's fields in order (the exact
 * line, below: the commas of the whole line at once, one compare a key). Any other line goes
 * through prt_kv_next, inline: the parser calls it once per pair and matches the key against
 * the schema's names itself (source_kv.c.tmpl). A pair whose key and value have no blank at
 * their ends (the common case) costs, in a line of 32 bytes or more, the ',' and '=' masks of
 * its next 32 bytes (SSE2; two memchr otherwise) and four byte compares, no call of ours; anything else (blanks to
 * trim, an empty pair, an error) goes through prt_kv_pair (prt_fmt_kv.c). Only line.n bytes are
 * read.
 */
#ifndef PRT_KV_H
#define PRT_KV_H

#include "prt_core.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

typedef struct prt_kv_iter {
    const char *p, *end;
    const char *start; /* the line's first byte, for error offsets */
} prt_kv_iter;

static inline void prt_kv_init(prt_kv_iter *it, prt_str line)
{
    it->start = it->p = line.n ? line.p : "";
    it->end = it->p + line.n;
}

/* The pair [b, pe) whose first '=' is eq (NULL: none), trimmed: 1 and *key, *val; 0 for an
 * empty pair (`a=1,,b=2`, a trailing comma); PRT_ERR (and e) for a pair without '=' or with an
 * empty key. start is the line's first byte, for the error's offset. */
int prt_kv_pair(const char *start, const char *b, const char *eq, const char *pe, prt_str *key,
                prt_str *val, prt_err *e);

static inline int prt_kv_blank(char c) { return c == ' ' || c == '\t'; }

/* Whether c may be a blank: one compare for the fast path (a control character also answers
 * yes; prt_kv_pair then trims only spaces and tabs, as the format says). */
static inline int prt_kv_maybe_blank(char c) { return (unsigned char)c <= ' '; }

#if defined(__SSE2__)
/* The ',' and '=' among the 32 bytes from b (bit i: b[i]; none past end) by four 16-byte
 * compares, instead of a memchr for each. Needs a line of 32 bytes or more: when fewer than 32
 * are left, the line's last 32 are read and the masks shifted, so no byte past end is read. */
static inline void prt_kv_masks32(const char *b, const char *end, uint32_t *cm, uint32_t *em)
{
    const char *x = b;
    unsigned sh = 0;
    if (end - b < 32) {
        sh = 32 - (unsigned)(end - b);
        x = end - 32;
    }
    const __m128i comma = _mm_set1_epi8(','), eq = _mm_set1_epi8('=');
    __m128i lo = _mm_loadu_si128((const __m128i *)(const void *)x);
    __m128i hi = _mm_loadu_si128((const __m128i *)(const void *)(x + 16));
    uint32_t c = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(lo, comma)) |
                 (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(hi, comma)) << 16;
    uint32_t e = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(lo, eq)) |
                 (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(hi, eq)) << 16;
    *cm = c >> sh;
    *em = e >> sh;
}
#endif

/* ---- the exact line: the schema's fields in order, nothing else (source_kv.c.tmpl) ----
 * A generated parser first tries the line as `f0=v0,f1=v1,...` with its schema's names in
 * schema order, one pair each, no blank at a value's ends: then the pairs' ends are the line's
 * commas, found at once, and each key is one compare of `name=` (a name holds no ',', '=' or
 * blank, so that '=' is the pair's first and nothing is trimmed). Such a line gives the pairs
 * prt_kv_next gives; any other line is parsed again by prt_kv_next from its start. */

#if defined(__SSE2__)
/* The ',' among 16 bytes from p (bit i: p[i]). */
static inline uint32_t prt_kv_comma16(const char *p)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(',')));
}

static inline uint64_t prt_kv_comma32(const char *p)
{
    return prt_kv_comma16(p) | prt_kv_comma16(p + 16) << 16;
}
#endif

/* The commas of a line of 32 to 128 bytes: bit i of *w0 is byte i, of *w1 byte 64 + i; 0 for
 * any other line (or without SSE2). Only the line's bytes are read: the last block is the
 * line's last 32 or 64 bytes, shifted onto the bits it adds. */
static inline int prt_kv_commas(prt_str line, uint64_t *w0, uint64_t *w1)
{
#if defined(__SSE2__)
    size_t n = line.n;
    const char *p = line.p;
    if (n < 32 || n > 128)
        return 0;
    if (n <= 64) {
        *w0 = prt_kv_comma32(p) | prt_kv_comma32(p + n - 32) << (n - 32);
        *w1 = 0;
    } else {
        *w0 = prt_kv_comma32(p) | prt_kv_comma32(p + 32) << 32;
        if (n <= 96) { /* the line's last 32 bytes for its bytes from 64 on */
            *w1 = prt_kv_comma32(p + n - 32) >> (96 - n);
        } else {
            const char *q = p + n - 64;
            *w1 = (prt_kv_comma32(q) | prt_kv_comma32(q + 32) << 32) >> (128 - n);
        }
    }
    return 1;
#else
    (void)line, (void)w0, (void)w1;
    return 0;
#endif
}

/* The offset of the next comma of prt_kv_commas' masks, taken out of them; -1 when none is
 * left. */
__attribute__((always_inline)) static inline int prt_kv_pop(uint64_t *w0, uint64_t *w1)
{
    if (*w0) {
        int c = __builtin_ctzll(*w0);
        *w0 &= *w0 - 1;
        return c;
    }
    if (*w1) {
        int c = 64 + __builtin_ctzll(*w1);
        *w1 &= *w1 - 1;
        return c;
    }
    return -1;
}

/* The pair [*b, pe) as `name=value` (name n - 1 bytes, then '=', in nameq): 1, the value in
 * *val and *b past the pair's comma; 0 when the pair starts otherwise or its value begins or
 * ends with a byte that may be a blank (prt_kv_next decides then). */
__attribute__((always_inline)) static inline int prt_kv_take(const char **b, const char *pe, const char *nameq,
                                                             size_t n, prt_str *val)
{
    const char *p = *b;
    if ((size_t)(pe - p) < n || memcmp(p, nameq, n) != 0)
        return 0;
    if (p + n < pe && (prt_kv_maybe_blank(p[n]) || prt_kv_maybe_blank(pe[-1])))
        return 0;
    *val = (prt_str){ p + n, (size_t)(pe - p - n) };
    *b = pe + 1;
    return 1;
}

/* The pair from b: its end (the next ',' or the line's end) and its first '=' in *eqp (NULL:
 * none). */
static inline const char *prt_kv_split(const prt_kv_iter *it, const char *b, const char **eqp)
{
#if defined(__SSE2__)
    if (it->end - it->start >= 32) {
        uint32_t cm, em;
        prt_kv_masks32(b, it->end, &cm, &em);
        if (cm || it->end - b <= 32) { /* the pair ends within these 32 bytes */
            const char *pe = cm ? b + __builtin_ctz(cm) : it->end;
            if (cm)
                em &= (cm & -cm) - 1; /* the '=' before the ',' */
            *eqp = em ? b + __builtin_ctz(em) : NULL;
            return pe;
        }
    }
#endif
    const char *c = memchr(b, ',', (size_t)(it->end - b));
    const char *pe = c ? c : it->end;
    *eqp = memchr(b, '=', (size_t)(pe - b));
    return pe;
}

/* 1 and the next pair (slices of the line); 0 at the end; PRT_ERR (and e) for a pair without '='
 * or an empty key. */
static inline int prt_kv_next(prt_kv_iter *it, prt_str *key, prt_str *val, prt_err *e)
{
    while (it->p < it->end) {
        const char *b = it->p, *eq;
        const char *pe = prt_kv_split(it, b, &eq);
        it->p = pe < it->end ? pe + 1 : it->end;
        /* nothing to trim: a key that neither starts nor ends with a blank, a value empty or so */
        if (eq && eq > b && !prt_kv_maybe_blank(*b) && !prt_kv_maybe_blank(eq[-1]) &&
            (eq + 1 == pe || (!prt_kv_maybe_blank(eq[1]) && !prt_kv_maybe_blank(pe[-1])))) {
            *key = (prt_str){ b, (size_t)(eq - b) };
            *val = (prt_str){ eq + 1, (size_t)(pe - eq - 1) };
            return 1;
        }
        int rc = prt_kv_pair(it->start, b, eq, pe, key, val, e);
        if (rc != 0)
            return rc;
    }
    return 0;
}

#endif
