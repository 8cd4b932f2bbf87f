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

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

int prt_csv_avx2;

/* Whether the CPU (and the OS, which must save the registers) has AVX2, once at start:
 * __builtin_cpu_init first, as a constructor may run before libgcc's own. */
__attribute__((constructor)) static void csv_avx2_probe(void)
{
    __builtin_cpu_init();
    prt_csv_avx2 = __builtin_cpu_supports("avx2") != 0;
}

/* The fields the delimiters of one block end (bit i of dm: blk[i] is one), into cols from
 * count on, *start where the open field began; returns the new count. Every block width's. */
__attribute__((target("avx2"), always_inline)) static inline int csv_fields(uint64_t dm, const char *blk,
                                                                           const char **start, prt_str *cols,
                                                                           int count, int max)
{
    const char *s = *start;
    if (count + __builtin_popcountll(dm) < max) { /* every field of the block fits: no test each */
        for (; dm; dm &= dm - 1) {
            const char *at = blk + (unsigned)__builtin_ctzll(dm);
            cols[count++] = (prt_str){ s, (size_t)(at - s) };
            s = at + 1;
        }
    }
    for (; dm; dm &= dm - 1) {
        const char *at = blk + (unsigned)__builtin_ctzll(dm);
        if (count < max)
            cols[count] = (prt_str){ s, (size_t)(at - s) };
        count++;
        s = at + 1;
    }
    *start = s;
    return count;
}

/* The bits of the 64 bytes in x0, x1 equal to c's bytes (two 32-byte compares). */
__attribute__((target("avx2"), always_inline)) static inline uint64_t csv_mask64(__m256i x0, __m256i x1, __m256i c)
{
    return (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x0, c)) |
           (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x1, c)) << 32;
}

/* csv_split_plain w bytes a turn (w is 32 or 64, a constant once inlined; lines of w bytes or
 * more): each turn as cheap as a 16-byte block, so a bid of about 115 bytes takes two turns of
 * 64 instead of eight of 16. The last turn overlaps the one before. Compiled for AVX2 alone:
 * called only when prt_csv_avx2 says the CPU has it. */
__attribute__((target("avx2"), always_inline)) static inline int csv_split_wide(prt_str line, char delim,
                                                                               prt_str *cols, int max,
                                                                               const int with_cr, const size_t w)
{
    const char *p = line.p, *start = p;
    size_t n = line.n, i = 0;
    int count = 0;
    const __m256i d = _mm256_set1_epi8(delim), q = _mm256_set1_epi8('"'), cr = _mm256_set1_epi8('\r');
    for (;;) {
        size_t base = i;
        const char *at;
        unsigned drop = 0;
        if (i + w <= n) {
            at = p + i;
            i += w;
        } else if (i < n) {
            at = p + n - w;
            drop = (unsigned)(w - (n - i)); /* the bytes the turn before already covered */
            i = n;
        } else {
            break;
        }
        __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)at);
        __m256i x1 = w == 64 ? _mm256_loadu_si256((const __m256i *)(const void *)(at + 32)) : x0;
        /* a quote (or '\r') anywhere in the turn: the bytes the turn before covered again held
         * none, so no mask and no shift are needed to tell */
        __m256i stop = _mm256_or_si256(_mm256_cmpeq_epi8(x0, q), _mm256_cmpeq_epi8(x1, q));
        if (with_cr)
            stop = _mm256_or_si256(stop, _mm256_or_si256(_mm256_cmpeq_epi8(x0, cr), _mm256_cmpeq_epi8(x1, cr)));
        if (!_mm256_testz_si256(stop, stop))
            return -1;
        uint64_t dm = w == 64 ? csv_mask64(x0, x1, d) : (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x0, d));
        count = csv_fields(dm >> drop, p + base, &start, cols, count, max);
    }
    if (count < max)
        cols[count] = (prt_str){ start, (size_t)(p + n - start) };
    return count + 1;
}

__attribute__((target("avx2"))) int prt_csv_split_avx2_cr(prt_str line, char delim, prt_str *cols, int max)
{
    if (line.n >= 64)
        return csv_split_wide(line, delim, cols, max, 1, 64);
    return csv_split_wide(line, delim, cols, max, 1, 32);
}

__attribute__((target("avx2"))) int prt_csv_split_avx2(prt_str line, char delim, prt_str *cols, int max)
{
    if (line.n >= 64)
        return csv_split_wide(line, delim, cols, max, 0, 64);
    return csv_split_wide(line, delim, cols, max, 0, 32);
}
#endif

/* prt_csv_split but for its AVX2 way (prt_format.h): the 16-byte blocks, then quoted fields
 * byte by byte. */
int prt_csv_split_any(prt_str line, char delim, prt_str *cols, int max, int *plain, prt_scratch *s,
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
