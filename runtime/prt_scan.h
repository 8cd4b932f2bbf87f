/* prt_scan.h — byte scans of the hot path, 16 bytes at a time with SSE2 (every x86-64 has it),
 * else 8 at a time in a 64-bit word (private to the runtime).
 *
 * Each returns the index of the first byte of p[0..n) in its set, or n when there is none. They
 * read only p[0..n). */
#ifndef PRT_SCAN_H
#define PRT_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* A byte of the word x is < k (k <= 128): exact as a yes/no (Hacker's Delight's "hasless"). */
static inline uint64_t prt_scan_has_below(uint64_t x, unsigned k)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    return (x - ones * k) & ~x & highs;
}

/* A byte of the word x equals c. */
static inline uint64_t prt_scan_has_byte(uint64_t x, unsigned char c)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t y = x ^ (ones * c);
    return (y - ones) & ~y & highs;
}

#ifdef __SSE2__
static inline unsigned prt_scan_csv16(const char *p, __m128i d)
{
    const __m128i q = _mm_set1_epi8('"'), r = _mm_set1_epi8('\r'), l = _mm_set1_epi8('\n');
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, d), _mm_cmpeq_epi8(x, q)),
                               _mm_or_si128(_mm_cmpeq_epi8(x, r), _mm_cmpeq_epi8(x, l)));
    return (unsigned)_mm_movemask_epi8(hit);
}
#endif

/* Bytes that make a csv field need quotes: the delimiter, '"', '\r', '\n'. */
static inline size_t prt_scan_csv_special(const char *p, size_t n, char delim)
{
    size_t i = 0;
#ifdef __SSE2__
    if (n >= 16) {
        const __m128i d = _mm_set1_epi8(delim);
        for (; i + 16 <= n; i += 16) {
            unsigned m = prt_scan_csv16(p + i, d);
            if (m)
                return i + (size_t)__builtin_ctz(m);
        }
        if (i == n)
            return n;
        unsigned m = prt_scan_csv16(p + n - 16, d) >> (16 - (n - i)); /* the last 16, overlapping */
        return m ? i + (size_t)__builtin_ctz(m) : n;
    }
#endif
    if (n >= 8) {
        for (; i + 8 <= n; i += 8) {
            uint64_t x;
            memcpy(&x, p + i, 8);
            /* '"' (0x22), '\r' and '\n' are all below 0x23; the exact test is the byte loop below */
            if (prt_scan_has_below(x, 0x23) || prt_scan_has_byte(x, (unsigned char)delim))
                break;
        }
        if (i + 8 > n && i < n) { /* the last 8, overlapping */
            uint64_t x;
            memcpy(&x, p + n - 8, 8);
            if (!prt_scan_has_below(x, 0x23) && !prt_scan_has_byte(x, (unsigned char)delim))
                return n;
        }
    }
    for (; i < n; i++) {
        char c = p[i];
        if (c == delim || c == '"' || c == '\r' || c == '\n')
            return i;
    }
    return n;
}

/* Bytes a JSON string escapes: below 0x20, '"', '\\'. */
static inline size_t prt_scan_json_special(const char *p, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128i lo = _mm_set1_epi8(0x1f), q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, lo), x); /* x <= 0x1f, unsigned */
        __m128i hit = _mm_or_si128(ctl, _mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs)));
        unsigned m = (unsigned)_mm_movemask_epi8(hit);
        if (m)
            return i + (size_t)__builtin_ctz(m);
    }
#endif
    for (; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == '"' || c == '\\')
            return i;
    }
    return n;
}

#endif
