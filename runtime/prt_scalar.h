/* prt_scalar.h — text <-> typed scalar conversions used by every format.
 *
 * Parsers return PRT_OK or PRT_ERR; they never allocate and accept surrounding spaces.
 * Writers append to a prt_buf. Output is deterministic and locale-independent.
 */
#ifndef PRT_SCALAR_H
#define PRT_SCALAR_H

#include "prt_core.h"
#include "prt_text.h" /* prt_ts_memo_tl */

#include <string.h>

#define PRT_TS_MIN INT64_MIN
#define PRT_TS_MAX INT64_MAX

/* decimal, optional sign, range-checked; inline for 1..18 plain digits (which cannot overflow),
 * the usual field, else prt_parse_int_general */
int prt_parse_int_general(prt_str s, int64_t *out);
static inline int prt_parse_int(prt_str s, int64_t *out)
{
    if (s.n && s.n <= 18) {
        uint64_t v = 0;
        size_t i = 0;
        for (; i < s.n && (unsigned)(s.p[i] - '0') <= 9; i++)
            v = v * 10 + (uint64_t)(s.p[i] - '0');
        if (i == s.n) {
            *out = (int64_t)v;
            return PRT_OK;
        }
    }
    return prt_parse_int_general(s, out);
}
/* As prt_parse_int, for a value s that may lie inside in (the record's text, e.g. a csv line):
 * when s is 1..8 digits and the 8 bytes from s.p are all inside in, they are read as one
 * little-endian word, checked to be digits and combined in three multiplies (pairs, then
 * fours, then eight; shifted so that the digits come last, after zeros), instead of one
 * digit at a time. Anything else (a sign, spaces, more digits, a value unescaped into scratch
 * memory) goes to prt_parse_int: the same result either way. prt_parse_int_word returns 2
 * instead of PRT_OK when it took the word's way (plain digits). */
__attribute__((always_inline)) static inline int prt_int_word(prt_str s, prt_str in, uint64_t *word)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uintptr_t at = (uintptr_t)s.p, lo = (uintptr_t)in.p;
    if (s.n - 1 < 8 && at >= lo && at - lo + 8 <= in.n) {
        const uint64_t ones = 0x0101010101010101ULL;
        uint64_t x;
        memcpy(&x, s.p, 8);
        /* a byte outside '0'..'9' sets its top bit in x - '0' (below) or x + 0x46 (above); a
         * borrow or carry between bytes starts only at such a byte and runs to later bytes, so
         * the first one is always seen, and the bytes past the field (masked off) change nothing
         * before them */
        *word = x;
        return !(((x - ones * '0') | (x + ones * 0x46)) & (ones * 0x80) & (~0ULL >> (64 - 8 * s.n)));
    }
#endif
    return 0;
}
/* The value of the s.n digits of a word prt_int_word accepted. */
__attribute__((always_inline)) static inline int64_t prt_int_word_value(uint64_t x, size_t n)
{
    uint64_t v = (x << (64 - 8 * n)) & 0x0f0f0f0f0f0f0f0fULL; /* the digits last, 0 before them */
    v = ((v * (10 * 256 + 1)) >> 8) & 0x00ff00ff00ff00ffULL;     /* pairs */
    v = ((v * (100 * 65536 + 1)) >> 16) & 0x0000ffff0000ffffULL; /* fours */
    return (int64_t)((v * (10000 * 4294967296ULL + 1)) >> 32);   /* eight */
}
__attribute__((always_inline)) static inline int prt_parse_int_word(prt_str s, prt_str in, int64_t *out)
{
    uint64_t x;
    if (prt_int_word(s, in, &x)) {
        *out = prt_int_word_value(x, s.n);
        return 2;
    }
    return prt_parse_int(s, out);
}
static inline int prt_parse_int_in(prt_str s, prt_str in, int64_t *out)
{
    return prt_parse_int_word(s, in, out) == PRT_ERR ? PRT_ERR : PRT_OK;
}
/* decimal/exponent; also accepts integers; no nan/inf. The inline part reads the usual short
 * decimal; the rest (blanks, exponents, long digits) goes through prt_parse_float_any. */
int prt_parse_float_any(prt_str s, double *out);
extern const double prt_pow10_exact[23]; /* 10^0 .. 10^22, each exactly a double */
/* Clinger's fast path for [+-]digits[.digits] of at most 19 bytes, nothing around: its digits
 * as an integer m (19 digits at most: no overflow) and k digits after the point (k <= 18). When
 * m <= 2^53 both m and 10^k are exact doubles and one IEEE division rounds m / 10^k correctly:
 * the very double strtod returns. 0 for anything else (and *out untouched). */
static inline int prt_parse_float_short(prt_str s, double *out)
{
    const char *p = s.p, *e = s.p + s.n, *dot = NULL;
    if (s.n == 0 || s.n > 19)
        return 0;
    int neg = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    const char *q = p; /* the first digit or the point */
    uint64_t m = 0;
    unsigned d;
    /* the digits before the point, then those after it: no test for the point in either loop */
    for (; p < e && (d = (unsigned)(unsigned char)*p - '0') < 10; p++)
        m = m * 10 + d;
    if (p < e && *p == '.') {
        dot = p++;
        for (; p < e && (d = (unsigned)(unsigned char)*p - '0') < 10; p++)
            m = m * 10 + d;
    }
    if (p != e || e - q == (dot != NULL) || m > (UINT64_C(1) << 53))
        return 0; /* a blank, an exponent, junk; no digit */
    double v = (double)m / prt_pow10_exact[dot ? e - dot - 1 : 0];
    *out = neg ? -v : v;
    return 1;
}
static inline int prt_parse_float(prt_str s, double *out)
{
    return prt_parse_float_short(s, out) ? PRT_OK : prt_parse_float_any(s, out);
}
int prt_parse_bool(prt_str s, int *out);       /* true|false (case-insensitive) */
/* The usual timestamp, inline: `YYYY-MM-DDTHH:MM:SSZ` or `…SS.mmmZ` in the second the thread
 * read last (its memo, prt_text.h). 1 and *out (what prt_text_timestamp gives), else 0 and
 * prt_text_timestamp decides. */
__attribute__((always_inline)) static inline int prt_ts_memo_read(prt_str s, int64_t *out)
{
    const prt_ts_memo *m = &prt_ts_memo_tl;
    if (!m->ok || !(s.n == 24 ? s.p[19] == '.' && s.p[23] == 'Z' : s.n == 20 && s.p[19] == 'Z'))
        return 0;
    uint64_t a, b, x, y;
    uint32_t c, z;
    memcpy(&a, s.p, 8);
    memcpy(&b, s.p + 8, 8);
    memcpy(&c, s.p + 15, 4); /* bytes 15..18, overlapping b */
    memcpy(&x, m->text, 8);
    memcpy(&y, m->text + 8, 8);
    memcpy(&z, m->text + 15, 4);
    if (((a ^ x) | (b ^ y) | (uint64_t)(c ^ z)) != 0) /* not the memo's second */
        return 0;
    if (s.n == 20) {
        *out = m->ms;
        return 1;
    }
    unsigned d0 = (unsigned)(unsigned char)s.p[20] - '0', d1 = (unsigned)(unsigned char)s.p[21] - '0',
             d2 = (unsigned)(unsigned char)s.p[22] - '0';
    if ((d0 > 9) | (d1 > 9) | (d2 > 9))
        return 0;
    *out = m->ms + (int)(d0 * 100 + d1 * 10 + d2);
    return 1;
}
/* RFC 3339 (`2024-05-23T12:34:56Z`, `…56.250Z`, `…56+02:00`, lowercase t/z, space instead of T)
 * or an integer of epoch milliseconds. Result: ms since the epoch, UTC. */
int prt_parse_ts_any(prt_str s, int64_t *out);
static inline int prt_parse_ts(prt_str s, int64_t *out)
{
    return prt_ts_memo_read(s, out) ? PRT_OK : prt_parse_ts_any(s, out);
}

void prt_fmt_int(prt_buf *b, int64_t v);
/* Shortest text that reads back to the same double; integral values keep a ".0" (`42.0`);
 * non-finite values are written as `null` by JSON and as `nan`/`inf`/`-inf` elsewhere. */
void prt_fmt_float(prt_buf *b, double v);
void prt_fmt_bool(prt_buf *b, int v);
/* RFC 3339 UTC with `Z`; milliseconds only when not zero: `2024-05-23T12:34:56Z`, `…56.250Z`. */
void prt_fmt_ts(prt_buf *b, int64_t ms);

#endif
