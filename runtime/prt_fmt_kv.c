/* prt_fmt_kv.c — the kv input format: `a=1, b = x,,c=` → (a,1) (b,x) (c,"").
 *
 * Pairs are split on ',', key and value on the first '=' (a value may hold more '='); spaces and
 * tabs around keys and values are trimmed; empty pairs are skipped. There is no quoting.
 */
#include "prt_format.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static int prt_kv_blank(char c) { return c == ' ' || c == '\t'; }

/* Most fields have no blanks around them: check the two ends before looping. */
static inline prt_str prt_kv_trim(const char *p, const char *e)
{
    if (p < e && (prt_kv_blank(*p) || prt_kv_blank(e[-1]))) {
        while (p < e && prt_kv_blank(*p))
            p++;
        while (e > p && prt_kv_blank(e[-1]))
            e--;
    }
    return (prt_str){ p, (size_t)(e - p) };
}

void prt_kv_init(prt_kv_iter *it, prt_str line)
{
    it->start = it->p = line.n ? line.p : "";
    it->end = it->p + line.n;
}

#ifdef __SSE2__
/* The masks of ',' and '=' in the 16 bytes at p. */
static inline void kv_block(const char *p, unsigned *cm, unsigned *em)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    *cm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(',')));
    *em = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('=')));
}
#endif

/* The end of the pair starting at b: the first ',' at or after b, else end; *eq = its first '='
 * (NULL when it has none). 16 bytes at a time; the last block of a line of 16 bytes or more
 * overlaps the one before (start is the line's first byte). */
static inline const char *kv_pair_end(const char *start, const char *b, const char *end, const char **eq)
{
#ifdef __SSE2__
    const char *p = b;
    *eq = NULL;
    for (;;) {
        unsigned cm, em;
        size_t left = (size_t)(end - p);
        if (left >= 16) {
            kv_block(p, &cm, &em);
        } else if (left && end - start >= 16) {
            kv_block(end - 16, &cm, &em);
            cm >>= 16 - left; /* drop the bytes before p */
            em >>= 16 - left;
        } else {
            break;
        }
        if (!*eq && em) {
            unsigned before = cm ? em & ((cm & (0u - cm)) - 1) : em; /* '=' ahead of the first ',' */
            if (before)
                *eq = p + __builtin_ctz(before);
        }
        if (cm)
            return p + __builtin_ctz(cm);
        if (left <= 16)
            return end;
        p += 16;
    }
    for (; p < end; p++) { /* lines shorter than 16 bytes */
        if (*p == ',')
            return p;
        if (*p == '=' && !*eq)
            *eq = p;
    }
    return end;
#else
    (void)start;
    const char *c = memchr(b, ',', (size_t)(end - b)), *pe = c ? c : end;
    *eq = memchr(b, '=', (size_t)(pe - b));
    return pe;
#endif
}

/* A pair's '=' is never a blank, so it is found in the untrimmed pair, and the key and value
 * are trimmed once each (the pair's own ends are theirs). */
int prt_kv_next(prt_kv_iter *it, prt_str *key, prt_str *val, prt_err *e)
{
    while (it->p < it->end) {
        const char *b = it->p, *eq;
        const char *pe = kv_pair_end(it->start, b, it->end, &eq);
        it->p = pe < it->end ? pe + 1 : it->end;
        if (!eq) {
            prt_str pair = prt_kv_trim(b, pe);
            if (!pair.n)
                continue; /* `a=1,,b=2` and a trailing comma */
            return prt_errf(e, "invalid kv at byte %zu: pair without '='", (size_t)(pair.p - it->start));
        }
        *key = prt_kv_trim(b, eq);
        if (!key->n)
            return prt_errf(e, "invalid kv at byte %zu: empty key", (size_t)(prt_kv_trim(b, pe).p - it->start));
        *val = prt_kv_trim(eq + 1, pe);
        return 1;
    }
    return 0;
}
