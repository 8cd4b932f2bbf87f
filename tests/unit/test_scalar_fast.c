/* test_scalar_fast.c — the fast paths of prt_scalar.c (float parsing and shortest formatting
 * without strtod/printf, timestamps without the general parser) against the C library's answers
 * on millions of seeded random inputs: any difference in a single bit or byte fails.
 */
#include "prt_digits.h"
#include "prt_format.h" /* prt_parse_int_text */
#include "prt_scalar.h"
#include "prt_test.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

static uint64_t rs = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void) /* xorshift64* */
{
    rs ^= rs >> 12;
    rs ^= rs << 25;
    rs ^= rs >> 27;
    return rs * 0x2545f4914f6cdd1dULL;
}


/* ---- the reference for prt_fmt_float ----
 * The formatter it had before the search-free digits (main at b18fb84), kept here as the
 * reference: the integer search over digit counts (k = 1..3, then a binary search) for
 * 1e-5 <= a < 2^52, else the "%.*e" loop, whose answer is the definition (the shortest "%.*e"
 * that strtod reads back). Its digits are written by sprintf here instead of in pairs. */
static const double old_pow10[23] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                      1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
/* 10^e as the double nearest to it, for e in -4..16 (bounds of floor(log10 a) below). */
static inline double old_pow10_of(int e)
{
    static const double neg[5] = { 1e-4, 1e-3, 1e-2, 1e-1, 1e0 };
    return e <= 0 ? neg[e + 4] : old_pow10[e];
}

typedef unsigned __int128 old_u128;

/* M = round(m * 10^k / 2^s), ties to even, when the k-digit decimal M / 10^k reads back as
 * m * 2^-s (see old_shortest_fast); 0 when it does not, or when M would exceed 2^63 (which
 * never happens at the k found: 17 significant digits always read back). */
static const uint64_t old_p10[20] = { 1u, 10u, 100u, 1000u, 10000u, 100000u, 1000000u, 10000000u,
                                      100000000u, 1000000000u, 10000000000u, 100000000000u,
                                      1000000000000u, 10000000000000u, 100000000000000u,
                                      1000000000000000u, 10000000000000000u, 100000000000000000u,
                                      1000000000000000000u, 10000000000000000000u };
static uint64_t old_try_wide(uint64_t m, int s, int k);

static inline uint64_t old_try(uint64_t m, int s, int k)
{
    if (s <= 62 && k < 20) { /* the usual magnitudes: the same in 64-bit words but the product */
        uint64_t p = old_p10[k], half = UINT64_C(1) << (s - 1);
        old_u128 x = (old_u128)m * p;
        uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;
        if (hi >> s)
            return 0; /* M >= 2^64 */
        uint64_t M = (hi << (64 - s)) | (lo >> s), rem = lo & ((UINT64_C(1) << s) - 1), diff;
        if (rem > half || (rem == half && (M & 1)))
            M++, diff = (UINT64_C(1) << s) - rem;
        else
            diff = rem; /* diff <= 2^(s-1): 2 * diff cannot overflow */
        if (M == 0 || M >= UINT64_C(1) << 63 || 2 * diff > p || (2 * diff == p && (m & 1)))
            return 0;
        return M;
    }
    return old_try_wide(m, s, k);
}

/* old_try in 128-bit words: kept out of line, so that the usual case does not compute
 * its wide masks at all. */
static __attribute__((noinline)) uint64_t old_try_wide(uint64_t m, int s, int k)
{
    old_u128 one = 1, half = one << (s - 1), mask = (one << s) - 1;
    old_u128 p = k < 20 ? (old_u128)old_p10[k] : (old_u128)old_p10[19] * old_p10[k - 19];
    old_u128 x = (old_u128)m * p; /* < 2^53 * 10^22 < 2^127 */
    old_u128 M = x >> s, rem = x & mask, diff;
    if (rem > half || (rem == half && (M & 1)))
        M++, diff = (one << s) - rem;
    else
        diff = rem;
    if (M == 0 || 2 * diff > p || (2 * diff == p && (m & 1)) || M >= (old_u128)1 << 63)
        return 0;
    return (uint64_t)M;
}

/* The fast path of prt_shortest_digits, in exact integer arithmetic instead of printf/strtod.
 * a = m * 2^-s exactly (m the 53-bit significand, 1 <= s <= 72). For k = 0, 1, ... the k-digit
 * decimal nearest to a is M / 10^k with M = round(m * 10^k / 2^s) (ties to even, as printf
 * rounds), and it reads back as a exactly when it lies within half an ulp (2^-s / 2) of a:
 * 2 * |m * 10^k - M * 2^s| < 10^k, or equal with m even (strtod's ties-to-even). The smallest k
 * that reads back gives the shortest digits, the same the "%.*e" loop finds.
 * Which k are tried: k = 0 is left out, since when it reads back so does k = 1, with the same
 * digits and a trailing zero (dropped below). Then k = 1, 2, 3, the common short decimals
 * (prices, measures). Past that the value needs many digits: reading back is monotonic in k
 * (the k-digit decimals are among the (k+1)-digit ones, so the nearest never gets farther), and
 * k = 16 - floor(log10 a) (17 significant digits) always reads back, so a binary search over
 * 4..that k finds the smallest in about 4 tries instead of one per k. Powers of two (whose lower
 * neighbour is nearer) and magnitudes outside [1e-5, 2^52) return 0: the loop decides. */
static int old_shortest_fast(double a, char digits[20], int *exp10)
{
    if (!(a >= 1e-5 && a < 0x1p52))
        return 0;
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits); /* a is normal here: a = (2^52 + fraction) * 2^(E - 1075) */
    uint64_t m = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
    int s = 1075 - (int)(bits >> 52);
    if (s < 1 || s > 72 || m == (UINT64_C(1) << 52))
        return 0;
    int k;
    uint64_t d = 0;
    for (k = 1; k <= 3 && !(d = old_try(m, s, k)); k++)
        ;
    if (!d) {
        int e10 = -5; /* floor(log10 a): a >= 1e-5 */
        while (e10 < 15 && a >= old_pow10_of(e10 + 1))
            e10++;
        int lo = 4, hi = 16 - e10 < 22 ? 16 - e10 : 22;
        if (hi >= lo && (d = old_try(m, s, hi))) {
            while (lo < hi) { /* d is the digits of hi, which reads back */
                int mid = lo + (hi - lo) / 2;
                uint64_t t = old_try(m, s, mid);
                if (t)
                    hi = mid, d = t;
                else
                    lo = mid + 1;
            }
            k = hi;
        } else { /* not expected: each k in turn, as a check of the estimate */
            for (k = 4; k <= 22 && !(d = old_try(m, s, k)); k++)
                ;
            if (!d)
                return 0;
        }
    }
    char tmp[40], *end, *q = tmp;
    end = tmp + sprintf(tmp, "%" PRIu64, d);
    int n = (int)(end - q);
    if (n > 17)
        return 0; /* cannot happen: 17 digits always read back */
    *exp10 = n - 1 - k;
    while (n > 1 && q[n - 1] == '0')
        n--;
    memcpy(digits, q, (size_t)n);
    digits[n] = 0;
    return n;
}

/* The definition: the shortest "%.*e" that strtod reads back, its digits without trailing zeros
 * and its exponent. */
static int printf_digits(double v, char digits[20], int *exp10)
{
    char tmp[40];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    int n = 0;
    const char *c = tmp;
    for (; *c && *c != 'e'; c++)
        if (*c >= '0' && *c <= '9')
            digits[n++] = *c;
    *exp10 = atoi(c + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = 0;
    return n;
}

/* prt_fmt_float's layout of a finite v from its digits: re-done here from the mantissa and
 * exponent; by_printf: the digits of the definition, else of the old search (the definition
 * where that does not apply). Integral values below 1e15 are written as integers + ".0" by both. */
static void ref_float_by(char *dst, double v, int by_printf)
{
    char digits[20];
    int n, e;
    if (v == 0) {
        strcpy(dst, signbit(v) ? "-0.0" : "0.0");
        return;
    }
    if (by_printf || !(n = old_shortest_fast(fabs(v), digits, &e)))
        n = printf_digits(v, digits, &e);
    char *o = dst;
    if (v < 0)
        *o++ = '-';
    if (e < -4 || e >= 17) {
        *o++ = digits[0];
        if (n > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, (size_t)n - 1);
            o += n - 1;
        }
        o += sprintf(o, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    } else if (e < 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = -1; i > e; i--)
            *o++ = '0';
        memcpy(o, digits, (size_t)n);
        o += n;
    } else {
        for (int i = 0; i <= e; i++)
            *o++ = i < n ? digits[i] : '0';
        *o++ = '.';
        if (n > e + 1) {
            memcpy(o, digits + e + 1, (size_t)(n - e - 1));
            o += n - e - 1;
        } else
            *o++ = '0';
    }
    *o = 0;
}

static void ref_float(char *dst, size_t cap, double v)
{
    (void)cap;
    ref_float_by(dst, v, 1);
}

static int check_fmt(double v)
{
    prt_buf b = { 0 };
    char want[64];
    prt_fmt_float(&b, v);
    ref_float(want, sizeof want, v);
    prt_buf_putc(&b, 0);
    int ok = strcmp(b.p, want) == 0;
    if (!ok)
        TEST_FAIL("%.17g: got %s, want %s", v, b.p, want);
    prt_buf_free(&b);
    return ok;
}

TEST(fmt_float_matches_printf_loop)
{
    /* money-like values and their products, as q1 and seed 001 make them */
    for (int i = 0; i < 50000; i++) {
        int64_t c = (int64_t)(rnd() % 100000000);
        if (!check_fmt((double)c / 100 + 0.001 * (double)(rnd() % 3)) || !check_fmt((double)c * 0.908) ||
            !check_fmt((double)c / 100 * 1.1))
            return;
    }
    /* sums of many amounts (seed 001's totals) */
    double sum = 0;
    for (int i = 0; i < 40000; i++) {
        sum += (double)(500 + rnd() % 49501) / 100;
        if (!check_fmt(sum))
            return;
    }
    /* any bit pattern of a finite double, and the magnitudes around the fast path's edges */
    for (int i = 0; i < 50000; i++) {
        uint64_t u = rnd();
        double v;
        memcpy(&v, &u, sizeof v);
        if (isfinite(v) && v != 0 && v != (double)(int64_t)v && !check_fmt(v))
            return;
        double w = ldexp((double)(rnd() >> 11), (int)(rnd() % 120) - 110);
        if (w != 0 && !check_fmt(w)) /* 2^-110 .. 2^62 */
            return;
        /* 53-bit significands scaled into the exact fast path's range, powers of two included */
        double x = ldexp((double)((rnd() >> 11) | (UINT64_C(1) << 52)), -(int)(1 + rnd() % 70));
        if (!check_fmt(x) || !check_fmt(ldexp(1.0, -(int)(rnd() % 17))) || !check_fmt(nextafter(x, 0)))
            return;
    }
}

/* One value against the reference (by_printf: the definition, else the old search): the same
 * bytes, and strtod reads them back as the very same double (the sign of -0.0 included). */
static prt_buf chk_buf;
static uint64_t chk_count;
static int check_ref(double v, int by_printf)
{
    if (!isfinite(v))
        return 1;
    char want[64];
    prt_buf_clear(&chk_buf);
    prt_fmt_float(&chk_buf, v);
    prt_buf_putc(&chk_buf, 0);
    ref_float_by(want, v, by_printf);
    chk_count++;
    if (strcmp(chk_buf.p, want) != 0) {
        TEST_FAIL("%.17g (%a): got %s, want %s (%s)", v, v, chk_buf.p, want, by_printf ? "printf loop" : "old search");
        return 0;
    }
    double r = strtod(chk_buf.p, NULL);
    if (memcmp(&r, &v, sizeof r) != 0) {
        TEST_FAIL("%.17g (%a): %s reads back as %.17g", v, v, chk_buf.p, r);
        return 0;
    }
    return 1;
}

/* v and -v, against the old search, and every 16th against the printf loop too */
static int check_both(double v)
{
    int by_printf = (chk_count & 15) == 0;
    return check_ref(v, 0) && check_ref(-v, 0) && (!by_printf || check_ref(v, 1));
}

static double from_bits(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* The search-free digits against the search they replace, over millions of doubles of every
 * kind (PRT_FLOAT_ROUNDS=N: N times as many; 1 takes about two seconds): random bit patterns,
 * random bits within the fast path's magnitudes (2^-21 .. 2^54, powers of two included), short
 * decimals n / 10^k, prices * 0.908 (Nexmark q1), powers of ten and their neighbours,
 * subnormals, zeros, the extremes, and integers around 1e15, 2^53, 1e16 and 1e17. */
TEST(fmt_float_matches_old_search)
{
    uint64_t rounds = getenv("PRT_FLOAT_ROUNDS") ? strtoull(getenv("PRT_FLOAT_ROUNDS"), NULL, 10) : 1;
    chk_count = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        for (int i = 0; i < 20000; i++) /* any bits: mostly the printf loop's magnitudes */
            if (!check_both(from_bits(rnd())))
                return;
        for (int i = 0; i < 400000; i++) { /* exponents of the fast path and a little past its ends */
            uint64_t be = 1075 - 75 + rnd() % 78, frac = rnd() >> 12;
            if (i % 64 == 0)
                frac = 0; /* a power of two */
            else if (i % 64 == 1)
                frac = (UINT64_C(1) << 52) - 1 - rnd() % 4;
            if (!check_both(from_bits(be << 52 | frac)))
                return;
        }
        for (int i = 0; i < 300000; i++) { /* n / 10^k, n of 1 to 17 digits, k 0..8 */
            int nd = 1 + (int)(rnd() % 17), k = (int)(rnd() % 9);
            uint64_t n = rnd() % old_p10[nd];
            double v;
            if (n <= UINT64_C(1) << 53) {
                v = (double)n / old_pow10[k];
            } else {
                char t[40];
                snprintf(t, sizeof t, "%" PRIu64 "e-%d", n, k);
                v = strtod(t, NULL);
            }
            if (!check_both(v))
                return;
        }
        for (int i = 0; i < 300000; i++) { /* prices * 0.908, as q1; cents too */
            uint64_t price = rnd() % old_p10[1 + rnd() % 10];
            if (!check_both((double)price * 0.908) || !check_both((double)price / 100 * 0.908))
                return;
        }
        for (int i = 0; i < 20000; i++) { /* subnormals */
            if (!check_both(from_bits(rnd() >> (12 + rnd() % 52))))
                return;
        }
    }
    /* powers of ten from 1e-324 to 1e308 and three doubles either side */
    for (int e = -324; e <= 308; e++) {
        char t[16];
        snprintf(t, sizeof t, "1e%d", e);
        double p = strtod(t, NULL), up = p, down = p;
        for (int j = 0; j < 4; j++, up = nextafter(up, INFINITY), down = nextafter(down, 0))
            if (!check_both(up) || !check_both(down))
                return;
    }
    /* every power of two, and its neighbours, against the printf loop */
    for (int e = -1074; e <= 1023; e++) {
        double p = ldexp(1.0, e);
        if (!check_ref(p, 1) || !check_ref(-p, 1) || !check_both(nextafter(p, 0)) ||
            !check_both(nextafter(p, INFINITY)))
            return;
    }
    /* integers and halves around 1e15, 2^52, 2^53, 1e16, 1e17 */
    static const double around[] = { 1e15, 0x1p52, 0x1p53, 1e16, 1e17 };
    for (size_t a = 0; a < sizeof around / sizeof *around; a++)
        for (int j = -300; j <= 300; j++)
            if (!check_both(around[a] + j) || !check_both(around[a] + j * 0.5) ||
                !check_both(nextafter(around[a] + j, 0)))
                return;
    static const double edges[] = { 0.0, DBL_MIN, DBL_MAX, DBL_TRUE_MIN, 0x1p-1022 - 0x1p-1074, 0x1p-20, 0x1p-21,
                                     0x1p-20 + 0x1p-72, 0x1p52 - 0.5, 0x1p52 + 1, 1e-5, 1e-4, 9.9999999999999991e-5 };
    for (size_t a = 0; a < sizeof edges / sizeof *edges; a++)
        if (!check_ref(edges[a], 1) || !check_ref(-edges[a], 1) || !check_both(edges[a]) ||
            !check_both(nextafter(edges[a], INFINITY)) || !check_both(nextafter(edges[a], 0)))
            return;
    if (rounds > 1)
        printf("     %" PRIu64 " doubles checked\n", chk_count);
}

/* The identities prt_scalar.c's shortest digits rest on, for every value they are used on:
 * the frame k = ((s * 1233) >> 12) + 1 has 10^(k-1) < 2^s < 10^k for s in 1..72, and the lane
 * quotients of prt_digits8 are exact. */
TEST(fmt_float_identities)
{
    for (int s = 1; s <= 72; s++) {
        int k = ((s * 1233) >> 12) + 1;
        unsigned __int128 p = 1, two = (unsigned __int128)1 << s;
        for (int i = 1; i < k; i++)
            p *= 10; /* 10^(k-1) */
        if (!(p < two && two < p * 10))
            TEST_FAIL("s = %d: k = %d is not the frame", s, k);
    }
    for (uint32_t v = 0; v < 10000; v++)
        if ((v * 10486) >> 20 != v / 100 || (v * 5243) >> 19 != v / 100)
            TEST_FAIL("(%u * 10486) >> 20 or (%u * 5243) >> 19 != %u / 100", v, v, v);
    for (uint32_t u = 0; u < 100; u++)
        if ((u * 103) >> 10 != u / 10 || (u * 6554) >> 16 != u / 10)
            TEST_FAIL("(%u * 103) >> 10 or (%u * 6554) >> 16 != %u / 10", u, u, u);
    for (uint64_t x = 0; x < 100000000; x++)
        if ((x * 0xd1b71759) >> 45 != x / 10000) {
            TEST_FAIL("(%" PRIu64 " * 0xd1b71759) >> 45 != %" PRIu64 " / 10^4", x, x);
            break;
        }
}

/* prt_digits.h: every version against sprintf, its digits and its count of trailing zeros */
static int check_digits16(uint64_t x)
{
    char want[24], got[2][17] = { { 0 } };
    snprintf(want, sizeof want, "%016" PRIu64, x);
    int wtz = 0;
    while (wtz < 16 && want[15 - wtz] == '0')
        wtz++;
    int tz[2] = { prt_digits16_swar(x, got[0]), -1 };
#ifdef __SSE2__
    tz[1] = prt_digits16_sse2(x, got[1]);
#else
    memcpy(got[1], want, 16), tz[1] = wtz;
#endif
    for (int i = 0; i < 2; i++)
        if (memcmp(got[i], want, 16) != 0 || tz[i] != wtz) {
            TEST_FAIL("%s %" PRIu64 ": %.16s, %d trailing zeros; want %s, %d", i ? "sse2" : "swar", x, got[i], tz[i],
                      want, wtz);
            return 0;
        }
    return 1;
}

TEST(digits16)
{
    for (int i = 0; i < 2000000; i++) {
        uint64_t x = rnd() % old_p10[rnd() % 17];
        if (i & 1)
            x -= x % old_p10[rnd() % 17]; /* trailing zeros */
        if (!check_digits16(x))
            return;
    }
    for (int e = 0; e <= 16; e++)
        for (int j = -2; j <= 2; j++) {
            uint64_t x = old_p10[e] + (uint64_t)(int64_t)j;
            if (x < old_p10[16] && !check_digits16(x))
                return;
        }
    check_digits16(old_p10[16] - 1);
}

TEST(parse_float_matches_strtod)
{
    char t[64];
    for (int i = 0; i < 100000; i++) {
        int len = 0;
        if (rnd() % 4 == 0)
            t[len++] = rnd() % 2 ? '-' : '+';
        int nd = 1 + (int)(rnd() % 20), point = (int)(rnd() % (nd + 2));
        for (int k = 0; k < nd; k++) {
            if (k == point)
                t[len++] = '.';
            t[len++] = (char)('0' + rnd() % 10);
        }
        if (rnd() % 8 == 0)
            len += sprintf(t + len, "e%d", (int)(rnd() % 40) - 20);
        t[len] = 0;
        double got = 0, want = strtod(t, NULL);
        if (prt_parse_float((prt_str){ t, (size_t)len }, &got) != PRT_OK) {
            TEST_FAIL("'%s' rejected", t);
            return;
        }
        if (memcmp(&got, &want, sizeof got) != 0) {
            TEST_FAIL("'%s': got %.17g, want %.17g", t, got, want);
            return;
        }
    }
}

/* The inline short path (prt_parse_float_short): 4M short decimals of every shape it reads or
 * must refuse (signs, a point anywhere or twice, leading zeros, up to 20 bytes, digits past
 * 2^53, a blank or an exponent), against strtod bit for bit; what it refuses, the general path
 * must read alike. */
TEST(parse_float_short_matches_strtod)
{
    char t[32];
    long taken = 0;
    for (int i = 0; i < 4000000; i++) {
        int len = 0;
        uint64_t r = rnd();
        if (r % 5 == 0)
            t[len++] = r % 2 ? '-' : '+';
        int nd = 1 + (int)((r >> 8) % 20), point = (int)((r >> 16) % (uint64_t)(nd + 3));
        int zeros = (r >> 24) % 4 == 0 ? (int)((r >> 26) % 6) : 0;
        uint64_t d = rnd();
        for (int k = 0; k < nd; k++) {
            if (k == point)
                t[len++] = '.';
            t[len++] = (char)(k < zeros ? '0' : '0' + (int)(d % 10));
            d = d / 10 ? d / 10 : rnd();
        }
        if (point == nd && (r >> 32) % 2)
            t[len++] = '.'; /* "12." */
        switch ((r >> 40) % 32) {
        case 0: t[len++] = ' '; break;
        case 1: len += sprintf(t + len, "e%d", (int)((r >> 48) % 9) - 4); break;
        case 2: t[len++] = '.'; break; /* a second point: an error, or "1." */
        default: break;
        }
        t[len] = 0;
        double got = 0, want = strtod(t, NULL);
        int fast = prt_parse_float_short((prt_str){ t, (size_t)len }, &got);
        int rc = fast ? PRT_OK : prt_parse_float_any((prt_str){ t, (size_t)len }, &got);
        char *end;
        want = strtod(t, &end);
        int valid = *end == 0 || (*end == ' ' && end[1] == 0);
        if ((rc == PRT_OK) != valid) {
            TEST_FAIL("'%s': %s", t, rc == PRT_OK ? "accepted" : "rejected");
            return;
        }
        if (rc == PRT_OK && memcmp(&got, &want, sizeof got) != 0) {
            TEST_FAIL("'%s': got %.17g, want %.17g (%s path)", t, got, want, fast ? "short" : "general");
            return;
        }
        taken += fast;
    }
    CHECK(taken > 2000000); /* most of them took the short path */
}

/* Consecutive times share their second: the per-thread memos of prt_fmt_ts and the parser's
 * fast path are hit; walks across second, day and epoch boundaries, and a remembered second
 * followed by a text that differs only after it. */
TEST(ts_memo_runs)
{
    int64_t starts[] = { -5000, 1716465599000 - 3000, 951782399000 - 2000, (int64_t)(rnd() % 253402300000000ULL) };
    for (size_t s = 0; s < sizeof starts / sizeof *starts; s++) {
        int64_t ms = starts[s];
        for (int i = 0; i < 20000; i++) {
            ms += (int64_t)(rnd() % 3 == 0 ? rnd() % 1500 : rnd() % 3);
            prt_buf b = { 0 }, c = { 0 };
            prt_fmt_ts(&b, ms);
            prt_buf_putc(&c, ' ');
            prt_buf_put(&c, b.p, b.n);
            int64_t back = -1, back2 = -2;
            int ok = prt_parse_ts(prt_buf_str(&b), &back) == PRT_OK && back == ms &&
                     prt_parse_ts(prt_buf_str(&c), &back2) == PRT_OK && back2 == ms;
            prt_buf_putc(&b, 0);
            if (!ok)
                TEST_FAIL("%s: read back as %" PRId64 " / %" PRId64 ", want %" PRId64, b.p, back, back2, ms);
            prt_buf_free(&b);
            prt_buf_free(&c);
            if (!ok)
                return;
        }
    }
    int64_t v;
    CHECK(prt_parse_ts(prt_str_c("2024-01-01T00:00:00.123Z"), &v) == PRT_OK && v == 1704067200123);
    static const char *const bad[] = { "2024-01-01T00:00:00.12xZ", "2024-01-01T00:00:00", "2024-01-01T00:00:00.123",
                                       "2024-01-01T00:00:00.1234", "2024-01-01T00:00:00X" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(prt_parse_ts(prt_str_c("2024-01-01T00:00:00Z"), &v) == PRT_OK && v == 1704067200000);
        if (prt_parse_ts(prt_str_c(bad[i]), &v) == PRT_OK)
            TEST_FAIL("%s accepted after its second was remembered", bad[i]);
    }
}

/* prt_ts_memo_read (prt_parse_ts inline) against prt_text_timestamp: texts of the memo's second
 * with one byte changed, cut or extended (separators, digits, the zone, the fraction), each in a
 * buffer of its exact size (ASan). */
TEST(ts_memo_read_matches_general)
{
    static const char alphabet[] = "0123456789.Z:-Tz+ \0a";
    for (int i = 0; i < 200000; i++) {
        int64_t ms = 1716465600000 + (int64_t)(rnd() % 5000);
        prt_buf b = { 0 };
        prt_fmt_ts(&b, ms);
        int64_t v;
        prt_assert(prt_text_timestamp(b.p, b.n, &v) == PRT_TEXT_OK); /* the memo holds its second */
        size_t n = b.n;
        char t[32];
        memcpy(t, b.p, n);
        uint64_t r = rnd();
        switch (r % 4) {
        case 0: t[(r >> 8) % n] = alphabet[(r >> 16) % (sizeof alphabet - 1)]; break;
        case 1: n = n == 24 ? 20 : 24, memcpy(t + 19, ".123Z", 5), t[19] = n == 20 ? 'Z' : '.'; break;
        case 2: n -= 1 + (r >> 8) % 3; break;
        case 3: t[n++] = alphabet[(r >> 16) % (sizeof alphabet - 1)]; break;
        }
        char *p = malloc(n);
        memcpy(p, t, n);
        int64_t a = -1, g = -2;
        int fast = prt_ts_memo_read((prt_str){ p, n }, &a);
        int grc = prt_text_timestamp(p, n, &g) == PRT_TEXT_OK;
        int prc = prt_parse_ts((prt_str){ p, n }, &v) == PRT_OK;
        int ok = (!fast || (grc && a == g)) && prc == grc && (!grc || v == g);
        free(p);
        prt_buf_free(&b);
        if (!ok) {
            TEST_FAIL("%.*s: memo %d %" PRId64 ", general %d %" PRId64, (int)n, t, fast, a, grc, g);
            return;
        }
    }
}

TEST(ts_fast_matches_general)
{
    for (int i = 0; i < 40000; i++) {
        int64_t ms = (int64_t)(rnd() % 253402300800000ULL); /* 0000 .. 9999 */
        if (rnd() % 2)
            ms -= ms % 1000;
        prt_buf b = { 0 };
        prt_fmt_ts(&b, ms);
        int64_t back = -1;
        /* a space before the text takes the general parser: both must agree */
        prt_buf c = { 0 };
        prt_buf_putc(&c, ' ');
        prt_buf_put(&c, b.p, b.n);
        int64_t back2 = -2;
        if (prt_parse_ts(prt_buf_str(&b), &back) != PRT_OK || back != ms ||
            prt_parse_ts(prt_buf_str(&c), &back2) != PRT_OK || back2 != ms) {
            prt_buf_putc(&b, 0);
            TEST_FAIL("%s: read back as %" PRId64 " / %" PRId64 ", want %" PRId64, b.p, back, back2, ms);
            prt_buf_free(&b);
            prt_buf_free(&c);
            return;
        }
        prt_buf_free(&b);
        prt_buf_free(&c);
    }
    static const char *const bad[] = { "2024-02-30T00:00:00Z", "2024-13-01T00:00:00Z", "2024-01-01T24:00:00Z",
                                       "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z", "2024-01-01T00:00:00.12xZ",
                                       "2024-01-01X00:00:00Z", "2024-01-01T00:00:00" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t v;
        if (prt_parse_ts(prt_str_c(bad[i]), &v) == PRT_OK)
            TEST_FAIL("'%s' accepted", bad[i]);
    }
}

/* prt_parse_int_in, prt_parse_int_text and prt_parse_int_text_lazy (8 digits in one word when
 * they lie inside the record) against prt_parse_int and prt_csv_int_text: random short texts of digits, signs,
 * spaces and other bytes (0x2f and 0x3a sit beside the digits, 0xba wraps past 0xff when 6 is
 * added), anywhere in a record allocated to its exact size (ASan: no byte read past it),
 * including at its very end and inside a word-sized record. */
TEST(int_word_matches_parse)
{
    static const char alpha[] = "0123456789000111999-+ \t/:a\xba\xf0";
    long fast = 0;
    for (int t = 0; t < 2000000; t++) {
        size_t n = (size_t)(rnd() % 12), pre = (size_t)(rnd() % 6), post = (size_t)(rnd() % 10);
        if (rnd() % 4 == 0)
            post = 0; /* the field ends the record */
        char *rec = malloc(pre + n + post + 1);
        prt_assert(rec != NULL);
        for (size_t i = 0; i < pre + n + post; i++)
            rec[i] = i >= pre && i < pre + n ? alpha[rnd() % (sizeof alpha - 1)] : (char)rnd();
        if (rnd() % 2) /* mostly plain digits: the word's way */
            for (size_t i = pre; i < pre + n; i++)
                rec[i] = (char)('0' + rnd() % 10);
        prt_str in = { rec, pre + n + post }, v = { rec + pre, n };
        int64_t want = 0, got = 0, got2 = 0;
        int rw = prt_parse_int(v, &want);
        int rg = prt_parse_int_in(v, in, &got);
        CHECK_EQ_I(rg, rw);
        if (rw == PRT_OK)
            CHECK(got == want);
        prt_str text = { "x", 1 };
        CHECK_EQ_I(prt_parse_int_text(v, in, &got2, &text), rw);
        if (rw == PRT_OK) {
            prt_str canon = prt_csv_int_text(v);
            CHECK(got2 == want && text.p == canon.p && text.n == canon.n);
        }
        /* the lazy one: the same answer, the value wherever the text is not kept */
        prt_str text3 = { "x", 1 };
        int64_t got3 = 1;
        CHECK_EQ_I(prt_parse_int_text_lazy(v, in, &got3, &text3), rw);
        if (rw == PRT_OK) {
            prt_str canon = prt_csv_int_text(v);
            CHECK(text3.p == canon.p && text3.n == canon.n && (text3.p ? got3 == 0 || got3 == want : got3 == want));
        }
        fast += prt_parse_int_word(v, in, &got) == 2;
        free(rec);
    }
    CHECK(fast > 300000); /* the word's way was taken often */
}

int main(void)
{
    RUN(fmt_float_matches_printf_loop);
    RUN(fmt_float_matches_old_search);
    RUN(fmt_float_identities);
    RUN(digits16);
    RUN(parse_float_matches_strtod);
    RUN(parse_float_short_matches_strtod);
    RUN(ts_fast_matches_general);
    RUN(ts_memo_runs);
    RUN(ts_memo_read_matches_general);
    RUN(int_word_matches_parse);
    prt_buf_free(&chk_buf);
    return test_summary();
}
