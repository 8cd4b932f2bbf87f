/* prt_scalar.c — text <-> int, float, bool and timestamp, independent of the C locale.
 *
 * What text is accepted is prt_text's grammar, shared with pipec (so a schema default pipec
 * accepts is one the record parsers accept). Floats go through strtod_l with the "C" locale, on a
 * NUL-terminated copy in a stack buffer after that grammar check (so nan, inf, hex floats and junk
 * never reach strtod). Timestamps are written with civil-from-days arithmetic (Howard Hinnant's
 * algorithms), never gmtime.
 */
#include "prt_scalar.h"
#include "prt_digits.h"
#include "prt_text.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static int prt_is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }
static int prt_is_digit(char c) { return c >= '0' && c <= '9'; }

static prt_str prt_trim(prt_str s)
{
    while (s.n && prt_is_space(s.p[0]))
        s.p++, s.n--;
    while (s.n && prt_is_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

/* The "C" locale, created once before main (and again lazily should a constructor not run). */
static locale_t prt_c_locale;

__attribute__((constructor)) static void prt_scalar_init(void)
{
    if (!prt_c_locale)
        prt_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!prt_c_locale)
        prt_panic(__FILE__, __LINE__, "newlocale(\"C\") failed");
}

static locale_t prt_c_loc(void)
{
    if (!prt_c_locale)
        prt_scalar_init();
    return prt_c_locale;
}

/* ---- int ---- */

int prt_parse_int_general(prt_str s, int64_t *out)
{
    return prt_text_int(s.p, s.n, out) == PRT_TEXT_OK ? PRT_OK : PRT_ERR;
}

/* "00" "01" ... "99": two digits per division */
static const char prt_digit_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                         "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                         "8081828384858687888990919293949596979899";

void prt_fmt_int(prt_buf *b, int64_t v)
{
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    static const uint64_t pow10[20] = { 1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u,
                                        100000000u, 1000000000u, 10000000000u, 100000000000u,
                                        1000000000000u, 10000000000000u, 100000000000000u,
                                        1000000000000000u, 10000000000000000u, 100000000000000000u,
                                        1000000000000000000u, 10000000000000000000u };
    int nd = 1;
    while (nd < 20 && u >= pow10[nd])
        nd++;
    prt_buf_reserve(b, 21);
    char *o = b->p + b->n;
    if (v < 0)
        *o++ = '-';
    char *e = o + nd, *p = e;
    while (u >= 100) {
        p -= 2;
        memcpy(p, prt_digit_pairs + (u % 100) * 2, 2);
        u /= 100;
    }
    if (u >= 10) {
        p -= 2;
        memcpy(p, prt_digit_pairs + u * 2, 2);
    } else {
        *--p = (char)('0' + u);
    }
    b->n = (size_t)(e - b->p);
}

/* ---- float ---- */

#define PRT_FLOAT_MAX_TEXT 512 /* longer numbers (hundreds of digits) are rejected */

/* Exact powers of ten: every 10^k with k <= 22 is a double. */
const double prt_pow10_exact[23] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

/* Clinger's fast path: [+-]digits[.digits] whose digits, read as an integer m, stay <= 2^53 and
 * that has at most 22 digits after the point is m / 10^k with m and 10^k both exact doubles, and
 * one IEEE division rounds correctly: the very double strtod returns, without strtod's cost.
 * Returns 0 (and leaves *out) for anything else, which takes the general path. */
static int prt_parse_float_fast(prt_str s, double *out)
{
    size_t i = 0;
    int neg = 0, nd = 0, frac = 0, any = 0;
    uint64_t m = 0;
    if (i < s.n && (s.p[i] == '+' || s.p[i] == '-'))
        neg = s.p[i++] == '-';
    for (; i < s.n && prt_is_digit(s.p[i]); i++, any = 1) {
        if ((m || s.p[i] != '0') && ++nd > 19)
            return 0; /* m could overflow */
        m = m * 10 + (uint64_t)(s.p[i] - '0');
    }
    if (i < s.n && s.p[i] == '.') {
        for (i++; i < s.n && prt_is_digit(s.p[i]); i++, frac++, any = 1) {
            if ((m || s.p[i] != '0') && ++nd > 19)
                return 0;
            m = m * 10 + (uint64_t)(s.p[i] - '0');
        }
    }
    if (!any || i != s.n || frac > 22 || m > (UINT64_C(1) << 53))
        return 0; /* junk, an exponent, or beyond the fast path */
    double v = (double)m / prt_pow10_exact[frac];
    *out = neg ? -v : v;
    return 1;
}

int prt_parse_float_any(prt_str s, double *out)
{
    s = prt_trim(s);
    if (s.n < PRT_FLOAT_MAX_TEXT && prt_parse_float_fast(s, out))
        return PRT_OK;
    if (s.n >= PRT_FLOAT_MAX_TEXT || prt_text_decimal(s.p, s.n) != PRT_TEXT_OK) /* so strtod reads it all */
        return PRT_ERR;
    char tmp[PRT_FLOAT_MAX_TEXT], *end;
    memcpy(tmp, s.p, s.n);
    tmp[s.n] = 0;
    errno = 0;
    double v = strtod_l(tmp, &end, prt_c_loc());
    if (end != tmp + s.n || isinf(v))
        return PRT_ERR; /* overflow (1e999); underflow to 0 or a subnormal is accepted */
    *out = v;
    return PRT_OK;
}

typedef unsigned __int128 prt_u128;

/* 10^k as a 128-bit integer, k <= 22 */
#define PRT_P10W(e) ((prt_u128)10000000000000000000u * (e))
static const prt_u128 prt_p10w[23] = { 1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u,
                                       100000000u, 1000000000u, 10000000000u, 100000000000u,
                                       1000000000000u, 10000000000000u, 100000000000000u,
                                       1000000000000000u, 10000000000000000u, 100000000000000000u,
                                       1000000000000000000u, PRT_P10W(1), PRT_P10W(10), PRT_P10W(100),
                                       PRT_P10W(1000) };

/* The fast path of prt_fmt_float: the digits the "%.*e" loop of prt_shortest_digits finds (the
 * fewest significant digits p whose p-digit rounding of a reads back, that rounding's digits),
 * without a search, in exact integer arithmetic: *digits * 10^-*k_out, *digits < 10^17 (its
 * trailing zeros are the caller's to drop), for a's magnitude (its sign is ignored; a below
 * stands for |a|). a = m * 2^-s exactly (m the 53-bit significand, 1 <= s <= 72, i.e.
 * 2^-20 <= a < 2^52: finite, not zero, not subnormal); the rest, and the powers of two
 * 2^0 .. 2^51, return 0 and take the loop (or prt_fmt_float's integer path).
 *
 * Reading back: strtod gives a for exactly the decimals in the rounding interval
 * ((m - 1/2) 2^-s, (m + 1/2) 2^-s), its ends included when m is even (ties to even). It is
 * symmetric about a when m != 2^52 (a power of two has a nearer lower neighbour: those below 1
 * are handled apart, in the code): then if any
 * decimal with p significant digits is in it, the one nearest a is too, and that nearest one is
 * printf's p-digit rounding (exact, ties to even). So the loop's answer is: the largest t such that
 * a multiple of 10^t (in units of 10^-k, for any fixed k) lies in the interval, and the multiple
 * of 10^t nearest a. The fewest significant digits is the largest t: all the interval's decimals
 * lie within a factor 1 + 2^-52 of each other, so in one decade, or, when the interval holds a
 * power of ten 10^j, that power is its only multiple of 10^j and it has 1 digit (printf's
 * rounding of a just below 10^j to 1 digit is "1e+j", the same value).
 *
 * The frame: k = floor(s log10 2) + 1, the k with 10^(k-1) < 2^s < 10^k (checked for every
 * s in 1..72; (s * 1233) >> 12 is floor(s log10 2) there). In units of 10^-k, a is
 * V = m 10^k / 2^s and the interval is (V - W/2, V + W/2) with W = 10^k / 2^s in (1, 10). Its
 * ends, (2m -+ 1) 10^k / 2^(s+1), are never integers: (2m -+ 1) 10^k has exactly k factors of
 * 2 and k < s + 1. So whether the ends belong to it never matters, and its integers are
 * lo = floor(low end) + 1 .. hi = floor(high end). It is wider than 1, so it holds round(V)
 * (t = 0 always works), and narrower than 10, so it holds at most one multiple of 10: when it
 * holds one, c, the largest t is c's count of trailing zeros (a multiple of a higher power would
 * be another multiple of 10) and c is the answer; else the answer is round(V), ties to even.
 * Every product is exact: m 10^k < 2^53 10^22 < 2^127, and 2 m 10^k + 10^k < 2^128. */
static int prt_shortest_fast(double a, uint64_t *digits, int *k_out)
{
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    bits &= ~(UINT64_C(1) << 63); /* |a| */
    uint64_t m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
    int s = 1075 - (int)(bits >> 52);
    if (s < 1 || s > 72)
        return 0;
    int k = ((s * 1233) >> 12) + 1;
    prt_u128 p = prt_p10w[k], x = (prt_u128)m * (uint64_t)p + ((prt_u128)(m * (uint64_t)(p >> 64)) << 64);
    if (m == (UINT64_C(1) << 52)) { /* a power of two */
        if (s < 53)
            return 0;
        /* a = 2^-j, j = s - 52 in 1..20, is exactly 5^j 10^-j: at most 14 significant digits
         * (5^20 < 10^14). Any other decimal of at most 15 differs from it by at least a unit of
         * its 15th digit, more than a * 10^-15, while the interval reaches a * 2^-53 at most
         * from a: so a's own digits are the only ones of <= 15 that read back, and the loop's
         * answer. Here V = 10^k / 2^j is that integer. */
        *digits = (uint64_t)(x >> s);
        *k_out = k;
        return 1;
    }
    uint64_t hi = (uint64_t)((2 * x + p) >> (s + 1)), lo = (uint64_t)((2 * x - p) >> (s + 1)) + 1;
    uint64_t d = hi - hi % 10;
    if (d < lo) { /* no multiple of 10: round(V), ties to even */
        prt_u128 y = x + ((prt_u128)1 << (s - 1));
        d = (uint64_t)(y >> s);
        /* a tie (y a multiple of 2^s) rounded up to an odd d goes down to the even one */
        int tie = s <= 64 ? ((uint64_t)y << (64 - s)) == 0
                          : (uint64_t)y == 0 && ((uint64_t)(y >> 64) << (128 - s)) == 0;
        d &= ~(uint64_t)tie;
    }
    *digits = d;
    *k_out = k;
    return 1;
}

/* Splits v (finite, not zero) into its shortest round-trip decimal digits and exponent:
 * v = 0.d1d2..dn * 10^(exp+1), i.e. d1.d2..dn e exp. Returns the digit count. */
static int prt_shortest_digits(double v, char digits[20], int *exp10)
{
    char tmp[40];
    int p;
    locale_t prev = uselocale(prt_c_loc()); /* snprintf's decimal point follows the locale */
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        if (strtod_l(tmp, NULL, prt_c_loc()) == v)
            break;
    }
    uselocale(prev);
    if (p > 17)
        p = 17; /* unreachable: 17 digits always round-trip */
    /* tmp is "-d.ddde+XX" (or "de+XX" when p == 1): take the digits up to 'e'. */
    int n = 0;
    const char *c = tmp;
    for (; *c && *c != 'e'; c++)
        if (prt_is_digit(*c))
            digits[n++] = *c;
    prt_assert(*c == 'e' && n == p);
    *exp10 = atoi(c + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = 0;
    return n;
}

void prt_fmt_float(prt_buf *b, double v)
{
    char digits[20];
    int exp10, n, k;
    uint64_t d;
    if (prt_shortest_fast(v, &d, &k)) { /* the usual magnitudes: finite, not zero */
        /* |v| is d * 10^-k, 2^52 < d < 10 * 2^53 < 10^17: 16 or 17 digits, at dig[7 or 8 .. 24) */
        char dig[48];
        uint64_t d0 = d / UINT64_C(10000000000000000); /* the 17th digit, or 0 */
        int lz = 8 - (d0 != 0), tz = prt_digits16(d - d0 * UINT64_C(10000000000000000), dig + 8);
        dig[7] = (char)('0' + d0);
        memset(dig + 24, '0', 24); /* read (not written out) by the fixed-size copies below */
        const char *q = dig + lz;  /* its digits, then its trailing zeros */
        n = 24 - lz - tz;          /* significant digits */
        exp10 = 23 - lz - k;
        if (exp10 >= -4 && exp10 <= 15) {
            /* positional, the usual case (|v| < 2^52: exp10 <= 15 always): fixed-size copies,
             * each at least the digits it has to move, into room reserved once */
            prt_buf_reserve(b, 48);
            char *o = b->p + b->n;
            *o = '-';
            o += v < 0;
            if (exp10 >= 0) { /* integer digits (at most 16), '.', the rest (at most 16) or "0" */
                memcpy(o, q, 16);
                o[exp10 + 1] = '.';
                if (n > exp10 + 1) {
                    memcpy(o + exp10 + 2, q + exp10 + 1, 16);
                    o += n + 1;
                } else { /* integral: q's zeros up to the point were copied */
                    o[exp10 + 2] = '0';
                    o += exp10 + 3;
                }
            } else { /* "0." and -exp10 - 1 zeros (at most 3), then the (at most 17) digits */
                memcpy(o, "0.000000", 8);
                memcpy(o + 1 - exp10, q, 24);
                o += 1 - exp10 + n;
            }
            b->n = (size_t)(o - b->p);
            return;
        }
        memcpy(digits, q, (size_t)n); /* exponent form (|v| < 1e-4): below */
        digits[n] = 0;
    } else {
        if (isnan(v)) {
            prt_buf_puts(b, "nan");
            return;
        }
        if (isinf(v)) {
            prt_buf_puts(b, v < 0 ? "-inf" : "inf");
            return;
        }
        if (v == 0) {
            prt_buf_puts(b, signbit(v) ? "-0.0" : "0.0");
            return;
        }
        /* integral values that print exactly as an int64 (powers of two among them) */
        if (fabs(v) < 1e15 && v == (double)(int64_t)v) {
            prt_fmt_int(b, (int64_t)v);
            prt_buf_puts(b, ".0");
            return;
        }
        n = prt_shortest_digits(v, digits, &exp10);
    }
    if (v < 0)
        prt_buf_putc(b, '-');
    if (exp10 < -4 || exp10 >= 17) {
        /* exponent form, as %g writes it: 1e+21, 1.5e-07 */
        prt_buf_putc(b, digits[0]);
        if (n > 1) {
            prt_buf_putc(b, '.');
            prt_buf_put(b, digits + 1, (size_t)n - 1);
        }
        prt_buf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
        return;
    }
    /* positional: at most "0.000" and 17 digits, or 17 digits, zeros up to the point and ".0":
     * room for it once, then plain stores */
    prt_buf_reserve(b, 32);
    char *o = b->p + b->n;
    if (exp10 < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > exp10; i--)
            *o++ = '0';
        memcpy(o, digits, (size_t)n);
        o += n;
    } else {
        int intd = exp10 + 1; /* digits before the point */
        int head = n < intd ? n : intd;
        memcpy(o, digits, (size_t)head);
        o += head;
        for (int i = n; i < intd; i++)
            *o++ = '0';
        *o++ = '.';
        if (n > intd) {
            memcpy(o, digits + intd, (size_t)(n - intd));
            o += n - intd;
        } else {
            *o++ = '0';
        }
    }
    b->n = (size_t)(o - b->p);
}

/* ---- bool ---- */

int prt_parse_bool(prt_str s, int *out)
{
    return prt_text_bool(s.p, s.n, out) == PRT_TEXT_OK ? PRT_OK : PRT_ERR;
}

void prt_fmt_bool(prt_buf *b, int v) { prt_buf_puts(b, v ? "true" : "false"); }

/* ---- timestamp ---- */

#define PRT_MS_PER_DAY 86400000LL

static void prt_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int prt_parse_ts_any(prt_str s, int64_t *out)
{
    return prt_text_timestamp(s.p, s.n, out) == PRT_TEXT_OK ? PRT_OK : PRT_ERR;
}

int prt_parse_ts_text_any(prt_str s, int64_t *out, prt_str *text)
{
    int canon;
    if (prt_text_timestamp_canon(s.p, s.n, out, &canon) != PRT_TEXT_OK)
        return PRT_ERR;
    *text = canon ? s : (prt_str){ NULL, 0 };
    return PRT_OK;
}

/* The second written last on this thread and its text "YYYY-MM-DDTHH:MM:SS" (years 0..9999):
 * consecutive event times mostly share their second, so the calendar arithmetic runs about once
 * per second of event time. */
static _Thread_local int64_t ts_memo_sec = INT64_MIN;
static _Thread_local char ts_memo_text[19];

void prt_fmt_ts(prt_buf *b, int64_t ms)
{
    int64_t secs = ms / 1000;
    int msec = (int)(ms % 1000);
    if (msec < 0) { /* floor division: times before 1970 count back */
        secs--;
        msec += 1000;
    }
    if (secs == ts_memo_sec) {
        char t[24], *o = t + sizeof ts_memo_text;
        memcpy(t, ts_memo_text, sizeof ts_memo_text);
        if (msec) {
            *o++ = '.';
            *o++ = (char)('0' + msec / 100);
            *o++ = (char)('0' + msec / 10 % 10);
            *o++ = (char)('0' + msec % 10);
        }
        *o++ = 'Z';
        prt_buf_put(b, t, (size_t)(o - t));
        return;
    }
    int64_t days = ms / PRT_MS_PER_DAY, rem = ms % PRT_MS_PER_DAY;
    if (rem < 0) { /* floor division: times before 1970 count back from midnight */
        days--;
        rem += PRT_MS_PER_DAY;
    }
    int64_t y;
    int m, d;
    prt_civil_from_days(days, &y, &m, &d);
    int sec = (int)(rem / 1000);
    if (y >= 0 && y <= 9999) { /* the common case, without printf */
        char t[24], *o = t;
        int f[6] = { (int)(y / 100), (int)(y % 100), m, d, sec / 3600, sec / 60 % 60 };
        static const char sep[6] = { 0, 0, '-', '-', 'T', ':' };
        for (int k = 0; k < 6; k++) {
            if (sep[k])
                *o++ = sep[k];
            *o++ = (char)('0' + f[k] / 10);
            *o++ = (char)('0' + f[k] % 10);
        }
        *o++ = ':';
        *o++ = (char)('0' + sec % 60 / 10);
        *o++ = (char)('0' + sec % 10);
        memcpy(ts_memo_text, t, sizeof ts_memo_text);
        ts_memo_sec = secs;
        if (msec) {
            *o++ = '.';
            *o++ = (char)('0' + msec / 100);
            *o++ = (char)('0' + msec / 10 % 10);
            *o++ = (char)('0' + msec % 10);
        }
        *o++ = 'Z';
        prt_buf_put(b, t, (size_t)(o - t));
        return;
    }
    /* Years outside 0000..9999 (beyond RFC 3339; only from integer input) keep their sign. */
    if (y < 0)
        prt_buf_printf(b, "-%04lld", -(long long)y);
    else
        prt_buf_printf(b, "%04lld", (long long)y);
    prt_buf_printf(b, "-%02d-%02dT%02d:%02d:%02d", m, d, sec / 3600, sec / 60 % 60, sec % 60);
    if (msec)
        prt_buf_printf(b, ".%03d", msec);
    prt_buf_putc(b, 'Z');
}
