/* test_scalar_fast.c — the fast paths of prt_scalar.c (float parsing and shortest formatting
 * without strtod/printf, timestamps without the general parser) against the C library's answers
 * on millions of seeded random inputs: any difference in a single bit or byte fails.
 */
#include "prt_format.h" /* prt_parse_int_text */
#include "prt_scalar.h"
#include "prt_test.h"

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

/* The reference: the shortest "%.*e" that strtod reads back, as prt_fmt_float's general path. */
static void ref_float(char *dst, size_t cap, double v)
{
    char tmp[40];
    int p;
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    /* prt_fmt_float's layout of those digits: re-done here from the mantissa and exponent */
    char digits[20];
    int n = 0;
    const char *c = tmp;
    for (; *c && *c != 'e'; c++)
        if (*c >= '0' && *c <= '9')
            digits[n++] = *c;
    int e = atoi(c + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
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
    (void)cap;
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
    RUN(parse_float_matches_strtod);
    RUN(ts_fast_matches_general);
    RUN(ts_memo_runs);
    RUN(int_word_matches_parse);
    return test_summary();
}
