/* prt_fmt_csv.c — the csv input format: RFC 4180 quoting on one line, any single-byte delimiter.
 *
 * A field starting with '"' is quoted: it may hold the delimiter, and "" stands for one quote;
 * it must be closed and followed by the delimiter or the end of the line. Any other field is
 * taken as is, spaces and stray quotes included. Unescaped values live in the scratch allocator.
 */
#include "prt_format.h"

#include <limits.h>

#ifdef __SSE2__
#include <emmintrin.h>

/* The bits of a 16-byte block at p: where it holds the delimiter (*dm), and a quote or (with_cr)
 * a carriage return (*qm). */
static inline void csv_block(const char *p, __m128i d, __m128i q, int with_cr, unsigned *dm, unsigned *qm)
{
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i stop = _mm_cmpeq_epi8(x, q);
    if (with_cr)
        stop = _mm_or_si128(stop, _mm_cmpeq_epi8(x, _mm_set1_epi8('\r')));
    *dm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, d));
    *qm = (unsigned)_mm_movemask_epi8(stop);
}

/* Lines of 16 bytes or more without a '"' (and, with_cr, no '\r': plain, see prt_format.h)
 * anywhere, so no field is quoted: the delimiters of 16 bytes at a time, the last block
 * overlapping the one before. Returns the count of fields, or -1 when the line holds a quote
 * (or a carriage return): the general loop then decides. Inlined twice, with_cr a constant. */
static inline int csv_split_plain(prt_str line, char delim, prt_str *cols, int max, const int with_cr)
{
    const char *p = line.p, *start = p;
    size_t n = line.n, i = 0;
    int count = 0;
    const __m128i d = _mm_set1_epi8(delim), q = _mm_set1_epi8('"');
    for (;;) {
        unsigned dm, qm;
        size_t base = i;
        if (i + 16 <= n) {
            csv_block(p + i, d, q, with_cr, &dm, &qm);
            i += 16;
        } else if (i < n) {
            csv_block(p + n - 16, d, q, with_cr, &dm, &qm);
            dm >>= 16 - (n - i); /* drop the bytes the block before already covered */
            qm >>= 16 - (n - i);
            i = n;
        } else {
            break;
        }
        if (qm)
            return -1;
        for (; dm; dm &= dm - 1) {
            const char *at = p + base + (size_t)__builtin_ctz(dm);
            if (count < max)
                cols[count] = (prt_str){ start, (size_t)(at - start) };
            count++;
            start = at + 1;
        }
    }
    if (count < max)
        cols[count] = (prt_str){ start, (size_t)(p + n - start) };
    return count + 1;
}
#endif

int prt_csv_split(prt_str line, char delim, prt_str *cols, int max, int *plain, prt_scratch *s,
                  prt_err *e)
{
    const char *p = line.n ? line.p : "", *end = p + line.n;
    if (line.n > INT_MAX)
        return prt_errf(e, "invalid CSV: line longer than %d bytes", INT_MAX);
#ifdef __SSE2__
    if (line.n >= 16) {
        int count = plain ? csv_split_plain(line, delim, cols, max, 1) : csv_split_plain(line, delim, cols, max, 0);
        if (plain)
            *plain = count >= 0;
        if (count >= 0)
            return count;
    } else
#endif
    if (plain) { /* a short line (or no SSE2): looked at byte by byte */
        *plain = 1;
        for (const char *c = p; c < end && *plain; c++)
            *plain = *c != '"' && *c != '\r';
    }
    int count = 0;
    for (;;) {
        prt_str v;
        const char *next; /* where the field ended: the delimiter or end */
        if (p < end && *p == '"') {
            const char *q = p + 1;
            int escaped = 0;
            for (;;) {
                q = memchr(q, '"', (size_t)(end - q));
                if (!q)
                    return prt_errf(e, "invalid CSV at byte %zu: unterminated quote", (size_t)(p - line.p));
                if (q + 1 < end && q[1] == '"') {
                    escaped = 1;
                    q += 2;
                    continue;
                }
                break;
            }
            next = q + 1;
            if (next < end && *next != delim)
                return prt_errf(e, "invalid CSV at byte %zu: text after a closing quote", (size_t)(next - line.p));
            v = (prt_str){ p + 1, (size_t)(q - p - 1) };
            if (escaped && count < max) {
                char *d = prt_scratch_alloc(s, v.n), *o = d;
                for (size_t i = 0; i < v.n; i++) {
                    *o++ = v.p[i];
                    if (v.p[i] == '"')
                        i++; /* the second quote of "" */
                }
                v = (prt_str){ d, (size_t)(o - d) };
            }
        } else {
            next = memchr(p, delim, (size_t)(end - p));
            if (!next)
                next = end;
            v = (prt_str){ p, (size_t)(next - p) };
        }
        if (count < max)
            cols[count] = v;
        count++;
        if (next >= end)
            return count;
        p = next + 1; /* past the delimiter; a delimiter at the end leaves one empty field */
    }
}
