/* test_scalar.c — unit tests of prt_scalar: int, float, bool and timestamp parsing and formatting
 * (boundaries, rejected inputs, negative and leap-day timestamps, round trips, locale).
 */
#include "prt_scalar.h"
#include "prt_test.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

static prt_str S(const char *s) { return prt_str_c(s); }

/* ---- helpers that name the input on failure ---- */

#define INT_OK(text, want) do { int64_t v_ = 0; \
        if (prt_parse_int(S(text), &v_) != PRT_OK) TEST_FAIL("parse_int(\"%s\") failed", text); \
        else if (v_ != (int64_t)(want)) TEST_FAIL("parse_int(\"%s\") == %" PRId64, text, v_); } while (0)
#define INT_BAD(text) do { int64_t v_ = 0; \
        if (prt_parse_int(S(text), &v_) != PRT_ERR) TEST_FAIL("parse_int(\"%s\") accepted", text); } while (0)
#define FLOAT_OK(text, want) do { double v_ = 0; \
        if (prt_parse_float(S(text), &v_) != PRT_OK) TEST_FAIL("parse_float(\"%s\") failed", text); \
        else if (memcmp(&v_, &(double){ want }, sizeof v_) != 0) TEST_FAIL("parse_float(\"%s\") == %.17g", text, v_); } while (0)
#define FLOAT_BAD(text) do { double v_ = 0; \
        if (prt_parse_float(S(text), &v_) != PRT_ERR) TEST_FAIL("parse_float(\"%s\") accepted", text); } while (0)
#define TS_OK(text, want) do { int64_t v_ = 0; \
        if (prt_parse_ts(S(text), &v_) != PRT_OK) TEST_FAIL("parse_ts(\"%s\") failed", text); \
        else if (v_ != (int64_t)(want)) TEST_FAIL("parse_ts(\"%s\") == %" PRId64 ", expected %" PRId64, text, v_, (int64_t)(want)); } while (0)
#define TS_BAD(text) do { int64_t v_ = 0; \
        if (prt_parse_ts(S(text), &v_) != PRT_ERR) TEST_FAIL("parse_ts(\"%s\") accepted: %" PRId64, text, v_); } while (0)

static char fmtbuf[128];
static const char *fi(int64_t v) { prt_buf b = { 0 }; prt_fmt_int(&b, v); snprintf(fmtbuf, sizeof fmtbuf, "%.*s", (int)b.n, b.p); prt_buf_free(&b); return fmtbuf; }
static const char *ff(double v) { prt_buf b = { 0 }; prt_fmt_float(&b, v); snprintf(fmtbuf, sizeof fmtbuf, "%.*s", (int)b.n, b.p); prt_buf_free(&b); return fmtbuf; }
static const char *ft(int64_t v) { prt_buf b = { 0 }; prt_fmt_ts(&b, v); snprintf(fmtbuf, sizeof fmtbuf, "%.*s", (int)b.n, b.p); prt_buf_free(&b); return fmtbuf; }

/* ---- int ---- */

TEST(parse_int_ok)
{
    INT_OK("0", 0);
    INT_OK("42", 42);
    INT_OK("-42", -42);
    INT_OK("+42", 42);
    INT_OK("-0", 0);
    INT_OK("007", 7);
    INT_OK("  12 ", 12);
    INT_OK("\t-3\r\n", -3);
    INT_OK("9223372036854775807", INT64_MAX);
    INT_OK("-9223372036854775808", INT64_MIN);
    INT_OK("-9223372036854775807", -INT64_MAX);
    INT_OK("0000000000000000000000009223372036854775807", INT64_MAX);
}

TEST(parse_int_errors)
{
    INT_BAD("");
    INT_BAD("   ");
    INT_BAD("-");
    INT_BAD("+");
    INT_BAD("--1");
    INT_BAD("+-1");
    INT_BAD("1 2");
    INT_BAD("12a");
    INT_BAD("a12");
    INT_BAD("1.0");
    INT_BAD("1e3");
    INT_BAD("0x10");
    INT_BAD("1_000");
    INT_BAD("9223372036854775808");  /* INT64_MAX + 1 */
    INT_BAD("-9223372036854775809"); /* INT64_MIN - 1 */
    INT_BAD("18446744073709551616");
    INT_BAD("99999999999999999999999");
    INT_BAD("- 1");
    /* not NUL-terminated: only n bytes count */
    int64_t v;
    CHECK_EQ_I(prt_parse_int((prt_str){ "123456", 3 }, &v), PRT_OK);
    CHECK_EQ_I(v, 123);
    CHECK_EQ_I(prt_parse_int((prt_str){ NULL, 0 }, &v), PRT_ERR);
}

TEST(fmt_int)
{
    CHECK_EQ_S(fi(0), "0");
    CHECK_EQ_S(fi(7), "7");
    CHECK_EQ_S(fi(-7), "-7");
    CHECK_EQ_S(fi(1234567890), "1234567890");
    CHECK_EQ_S(fi(INT64_MAX), "9223372036854775807");
    CHECK_EQ_S(fi(INT64_MIN), "-9223372036854775808");
    char want[32];
    for (int64_t p = 1, k = 0; k < 19; k++, p = k < 19 ? p * 10 : p) { /* every length, at its edges */
        int64_t vs[] = { p - 1, p, p + 1, -p, -(p - 1), p * 8 + (p - 1) };
        for (size_t i = 0; i < sizeof vs / sizeof *vs; i++) {
            snprintf(want, sizeof want, "%lld", (long long)vs[i]);
            CHECK_EQ_S(fi(vs[i]), want);
        }
    }
    prt_buf b = { 0 };
    prt_buf_puts(&b, "x=");
    prt_fmt_int(&b, -5); /* appends */
    CHECK_EQ_PS(prt_buf_str(&b), "x=-5");
    prt_buf_free(&b);
}

/* ---- float ---- */

TEST(parse_float_ok)
{
    FLOAT_OK("0", 0.0);
    FLOAT_OK("-0", -0.0);
    FLOAT_OK("-0.0", -0.0);
    FLOAT_OK("1", 1.0);
    FLOAT_OK("42", 42.0);
    FLOAT_OK("1.5", 1.5);
    FLOAT_OK("-1.5", -1.5);
    FLOAT_OK("+1.5", 1.5);
    FLOAT_OK(".5", 0.5);
    FLOAT_OK("5.", 5.0);
    FLOAT_OK("0.1", 0.1);
    FLOAT_OK("1e3", 1000.0);
    FLOAT_OK("1E3", 1000.0);
    FLOAT_OK("1e+3", 1000.0);
    FLOAT_OK("1.25e-2", 0.0125);
    FLOAT_OK("  3.25  ", 3.25);
    FLOAT_OK("\t3.25\n", 3.25);
    FLOAT_OK("1.7976931348623157e308", DBL_MAX);
    FLOAT_OK("2.2250738585072014e-308", DBL_MIN);
    FLOAT_OK("4.9406564584124654e-324", 5e-324);
    FLOAT_OK("1e-400", 0.0); /* underflow reads as zero */
    FLOAT_OK("9007199254740993", 9007199254740992.0);
    FLOAT_OK("0.30000000000000004", 0.30000000000000004);
    FLOAT_OK("123456789012345678901234567890", 1.2345678901234568e29);
}

TEST(parse_float_errors)
{
    FLOAT_BAD("");
    FLOAT_BAD("  ");
    FLOAT_BAD(".");
    FLOAT_BAD("-");
    FLOAT_BAD("+.");
    FLOAT_BAD("e5");
    FLOAT_BAD("1e");
    FLOAT_BAD("1e+");
    FLOAT_BAD("1.5x");
    FLOAT_BAD("1.5 x");
    FLOAT_BAD("1,5");
    FLOAT_BAD("1..5");
    FLOAT_BAD("--1");
    FLOAT_BAD("nan");
    FLOAT_BAD("NaN");
    FLOAT_BAD("-nan");
    FLOAT_BAD("inf");
    FLOAT_BAD("-inf");
    FLOAT_BAD("Infinity");
    FLOAT_BAD("0x1p3");
    FLOAT_BAD("0x10");
    FLOAT_BAD("1e999");  /* overflow */
    FLOAT_BAD("-1e999");
    FLOAT_BAD("1 000");
    /* a longer text than the stack buffer */
    char big[600];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = 0;
    FLOAT_BAD(big);
    double v;
    CHECK_EQ_I(prt_parse_float((prt_str){ "2.5e3", 3 }, &v), PRT_OK); /* only n bytes */
    CHECK(v == 2.5);
}

TEST(fmt_float)
{
    CHECK_EQ_S(ff(0.0), "0.0");
    CHECK_EQ_S(ff(-0.0), "-0.0");
    CHECK_EQ_S(ff(1.0), "1.0");
    CHECK_EQ_S(ff(42.0), "42.0");
    CHECK_EQ_S(ff(-42.0), "-42.0");
    CHECK_EQ_S(ff(100.0), "100.0");
    CHECK_EQ_S(ff(1.5), "1.5");
    CHECK_EQ_S(ff(-1.5), "-1.5");
    CHECK_EQ_S(ff(0.1), "0.1");
    CHECK_EQ_S(ff(0.1 + 0.2), "0.30000000000000004");
    CHECK_EQ_S(ff(1.0 / 3), "0.3333333333333333");
    CHECK_EQ_S(ff(2.0 / 3), "0.6666666666666666");
    CHECK_EQ_S(ff(123.456), "123.456");
    CHECK_EQ_S(ff(0.001), "0.001");
    CHECK_EQ_S(ff(0.0001), "0.0001");
    CHECK_EQ_S(ff(0.00001), "1e-05");
    CHECK_EQ_S(ff(1.5e-7), "1.5e-07");
    CHECK_EQ_S(ff(1e15), "1000000000000000.0");
    CHECK_EQ_S(ff(1e16), "10000000000000000.0");
    CHECK_EQ_S(ff(1.5e16), "15000000000000000.0");
    CHECK_EQ_S(ff(2e16 + 8), "20000000000000010.0"); /* 16 digits suffice */
    CHECK_EQ_S(ff(1e17), "1e+17");
    CHECK_EQ_S(ff(1e21), "1e+21");
    CHECK_EQ_S(ff(1.25e100), "1.25e+100");
    CHECK_EQ_S(ff(-1e-100), "-1e-100");
    CHECK_EQ_S(ff(9007199254740993.0), "9007199254740992.0");
    CHECK_EQ_S(ff(123456.5), "123456.5");
    CHECK_EQ_S(ff(DBL_MAX), "1.7976931348623157e+308");
    CHECK_EQ_S(ff(-DBL_MAX), "-1.7976931348623157e+308");
    CHECK_EQ_S(ff(DBL_MIN), "2.2250738585072014e-308");
    CHECK_EQ_S(ff(5e-324), "5e-324");
    CHECK_EQ_S(ff(NAN), "nan");
    CHECK_EQ_S(ff(-NAN), "nan");
    CHECK_EQ_S(ff(INFINITY), "inf");
    CHECK_EQ_S(ff(-INFINITY), "-inf");
}

TEST(float_round_trip)
{
    /* many values: formatted text must read back to the very same double */
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    int bad = 0;
    for (int i = 0; i < 200000 && bad < 5; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v;
        if (i % 3 == 0) {
            memcpy(&v, &x, sizeof v); /* any bit pattern */
        } else if (i % 3 == 1) {
            v = (double)(int64_t)(x % 2000000) / 100.0; /* prices */
        } else {
            v = ldexp((double)(x >> 11), (int)(x % 200) - 100 - 53);
        }
        if (!isfinite(v))
            continue;
        prt_buf b = { 0 };
        prt_fmt_float(&b, v);
        double r;
        if (prt_parse_float(prt_buf_str(&b), &r) != PRT_OK || memcmp(&r, &v, sizeof r) != 0) {
            TEST_FAIL("%.17g formats as %.*s which does not read back", v, (int)b.n, b.p);
            bad++;
        } else {
            /* shortest: never longer than %.17g plus the ".0" */
            char g[40];
            snprintf(g, sizeof g, "%.17g", v);
            if (b.n > strlen(g) + 2 && fabs(v) < 1e16) {
                TEST_FAIL("%.17g formats as %.*s: not shortest", v, (int)b.n, b.p);
                bad++;
            }
        }
        prt_buf_free(&b);
    }
}

/* a locale with a decimal comma, or NULL when none is installed */
static const char *comma_locale(void)
{
    const char *locs[] = { "de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8", "fr_FR.utf8", "nl_NL.UTF-8" };
    for (size_t i = 0; i < sizeof locs / sizeof *locs; i++) {
        if (setlocale(LC_ALL, locs[i]) && strcmp(localeconv()->decimal_point, ",") == 0) {
            setlocale(LC_ALL, "C");
            return locs[i];
        }
    }
    setlocale(LC_ALL, "C");
    return NULL;
}

TEST(float_locale_independent)
{
    setlocale(LC_ALL, comma_locale());
    double v;
    CHECK_EQ_I(prt_parse_float(S("1.5"), &v), PRT_OK);
    CHECK(v == 1.5);
    CHECK_EQ_I(prt_parse_float(S("1,5"), &v), PRT_ERR);
    CHECK_EQ_S(ff(1234.5), "1234.5");
    CHECK_EQ_S(ff(0.1 + 0.2), "0.30000000000000004");
    CHECK_EQ_S(ff(1.5e-7), "1.5e-07");
    CHECK_EQ_S(ff(1e21), "1e+21");
    setlocale(LC_ALL, "C");
}

/* ---- bool ---- */

TEST(bool)
{
    int v = -1;
    CHECK(prt_parse_bool(S("true"), &v) == PRT_OK && v == 1);
    CHECK(prt_parse_bool(S("false"), &v) == PRT_OK && v == 0);
    CHECK(prt_parse_bool(S("TRUE"), &v) == PRT_OK && v == 1);
    CHECK(prt_parse_bool(S("False"), &v) == PRT_OK && v == 0);
    CHECK(prt_parse_bool(S("tRuE"), &v) == PRT_OK && v == 1);
    CHECK(prt_parse_bool(S(" true "), &v) == PRT_OK && v == 1);
    CHECK_EQ_I(prt_parse_bool(S(""), &v), PRT_ERR);
    CHECK_EQ_I(prt_parse_bool(S("1"), &v), PRT_ERR);
    CHECK_EQ_I(prt_parse_bool(S("0"), &v), PRT_ERR);
    CHECK_EQ_I(prt_parse_bool(S("yes"), &v), PRT_ERR);
    CHECK_EQ_I(prt_parse_bool(S("t"), &v), PRT_ERR);
    CHECK_EQ_I(prt_parse_bool(S("truex"), &v), PRT_ERR);
    CHECK_EQ_I(prt_parse_bool(S("fals"), &v), PRT_ERR);
    CHECK_EQ_I(prt_parse_bool((prt_str){ "trueish", 4 }, &v), PRT_OK);
    prt_buf b = { 0 };
    prt_fmt_bool(&b, 1);
    prt_fmt_bool(&b, 0);
    prt_fmt_bool(&b, 7);
    CHECK_EQ_PS(prt_buf_str(&b), "truefalsetrue");
    prt_buf_free(&b);
}

/* ---- timestamps ---- */

TEST(parse_ts_rfc3339)
{
    TS_OK("1970-01-01T00:00:00Z", 0);
    TS_OK("2024-05-23T12:34:56Z", 1716467696000LL);
    TS_OK("2024-05-23T12:34:56.250Z", 1716467696250LL);
    TS_OK("2024-05-23T12:34:56.25Z", 1716467696250LL);
    TS_OK("2024-05-23T12:34:56.2Z", 1716467696200LL);
    TS_OK("2024-05-23T12:34:56.000Z", 1716467696000LL);
    TS_OK("2024-05-23T12:34:56.123456789Z", 1716467696123LL); /* truncated, not rounded */
    TS_OK("2024-05-23T12:34:56.999999Z", 1716467696999LL);
    TS_OK("2024-05-23T14:34:56+02:00", 1716467696000LL);
    TS_OK("2024-05-23T07:04:56-05:30", 1716467696000LL);
    TS_OK("2024-05-23T12:34:56+00:00", 1716467696000LL);
    TS_OK("2024-05-23T12:34:56-00:00", 1716467696000LL);
    TS_OK("2024-05-23t12:34:56z", 1716467696000LL);
    TS_OK("2024-05-23 12:34:56Z", 1716467696000LL);
    TS_OK("  2024-05-23T12:34:56Z\t", 1716467696000LL);
    TS_OK("2024-05-24T00:00:00+11:25", 1716467700000LL);
    TS_OK("2024-05-23T12:34:56.5+01:00", 1716464096500LL);
    TS_OK("1999-12-31T23:59:59.999Z", 946684799999LL);
    TS_OK("2000-01-01T00:00:00Z", 946684800000LL);
    TS_OK("2038-01-19T03:14:08Z", 2147483648000LL);
    TS_OK("9999-12-31T23:59:59.999Z", 253402300799999LL);
    TS_OK("0000-01-01T00:00:00Z", -62167219200000LL);
    TS_OK("1970-01-01T00:00:00+23:59", -86340000LL);
}

TEST(parse_ts_negative)
{
    TS_OK("1969-12-31T23:59:59Z", -1000);
    TS_OK("1969-12-31T23:59:59.999Z", -1);
    TS_OK("1969-12-31T23:59:59.001Z", -999);
    TS_OK("1900-01-01T00:00:00Z", -2208988800000LL);
    TS_OK("1600-02-29T12:00:00Z", -11670955200000LL);
    TS_OK("0001-01-01T00:00:00Z", -62135596800000LL);
    TS_OK("1970-01-01T01:00:00+02:00", -3600000);
}

TEST(parse_ts_leap_days)
{
    TS_OK("2024-02-29T00:00:00Z", 1709164800000LL);
    TS_OK("2000-02-29T00:00:00Z", 951782400000LL); /* divisible by 400 */
    TS_OK("2024-03-01T00:00:00Z", 1709251200000LL);
    TS_OK("2023-02-28T23:59:59.999Z", 1677628799999LL);
    TS_OK("2023-03-01T00:00:00Z", 1677628800000LL);
    TS_BAD("2023-02-29T00:00:00Z");
    TS_BAD("1900-02-29T00:00:00Z"); /* divisible by 100, not 400 */
    TS_BAD("2100-02-29T00:00:00Z");
    TS_BAD("2024-02-30T00:00:00Z");
    TS_OK("2024-04-30T00:00:00Z", 1714435200000LL);
    TS_BAD("2024-04-31T00:00:00Z");
    TS_BAD("2024-06-31T00:00:00Z");
    TS_BAD("2024-09-31T00:00:00Z");
    TS_BAD("2024-11-31T00:00:00Z");
    TS_OK("2024-12-31T00:00:00Z", 1735603200000LL);
    TS_BAD("2024-12-32T00:00:00Z");
}

TEST(parse_ts_epoch_ms)
{
    TS_OK("0", 0);
    TS_OK("1716467696250", 1716467696250LL);
    TS_OK("-1", -1);
    TS_OK("-86400000", -86400000LL);
    TS_OK("+5", 5);
    TS_OK(" 1716467696250 ", 1716467696250LL);
    TS_OK("9223372036854775807", INT64_MAX);
    TS_OK("-9223372036854775808", INT64_MIN);
    TS_BAD("9223372036854775808");
    TS_BAD("1716467696.250"); /* seconds with a fraction: not a format */
    TS_BAD("1e12");
}

TEST(parse_ts_errors)
{
    TS_BAD("");
    TS_BAD(" ");
    TS_BAD("-");
    TS_BAD("2024-05-23");
    TS_BAD("2024-05-23T12:34:56");      /* no zone */
    TS_BAD("2024-05-23T12:34Z");         /* no seconds */
    TS_BAD("2024-05-23T12:34:56.Z");     /* empty fraction */
    TS_BAD("2024-05-23T12:34:56ZZ");
    TS_BAD("2024-05-23T12:34:56Z x");
    TS_BAD("2024-05-23X12:34:56Z");
    TS_BAD("2024-05-23T12:34:56+0200");  /* offset needs a colon */
    TS_BAD("2024-05-23T12:34:56+02");
    TS_BAD("2024-05-23T12:34:56+24:00");
    TS_BAD("2024-05-23T12:34:56+02:60");
    TS_BAD("2024-05-23T24:00:00Z");
    TS_BAD("2024-05-23T23:60:00Z");
    TS_BAD("2024-05-23T23:59:60Z");      /* leap seconds are not representable */
    TS_BAD("2024-00-23T12:34:56Z");
    TS_BAD("2024-13-23T12:34:56Z");
    TS_BAD("2024-05-00T12:34:56Z");
    TS_BAD("24-05-23T12:34:56Z");
    TS_BAD("2024-5-23T12:34:56Z");
    TS_BAD("2024-05-23T1:34:56Z");
    TS_BAD("+2024-05-23T12:34:56Z");
    TS_BAD("-2024-05-23T12:34:56Z");
    TS_BAD("2024/05/23T12:34:56Z");
    TS_BAD("2024-05-23T12:34:56.1.2Z");
    TS_BAD("2024-05-23T12:34:5aZ");
    TS_BAD("2024-05-23T12:34:56+02:00Z");
    TS_BAD("2024-05-23  12:34:56Z");
    TS_BAD("now");
    int64_t v;
    CHECK_EQ_I(prt_parse_ts((prt_str){ "2024-05-23T12:34:56Z", 19 }, &v), PRT_ERR); /* zone cut off */
}

TEST(fmt_ts)
{
    CHECK_EQ_S(ft(0), "1970-01-01T00:00:00Z");
    CHECK_EQ_S(ft(1716467696000LL), "2024-05-23T12:34:56Z");
    CHECK_EQ_S(ft(1716467696250LL), "2024-05-23T12:34:56.250Z");
    CHECK_EQ_S(ft(1716467696001LL), "2024-05-23T12:34:56.001Z");
    CHECK_EQ_S(ft(1716467696999LL), "2024-05-23T12:34:56.999Z");
    CHECK_EQ_S(ft(1709164800000LL), "2024-02-29T00:00:00Z");
    CHECK_EQ_S(ft(951782400000LL), "2000-02-29T00:00:00Z");
    CHECK_EQ_S(ft(-1), "1969-12-31T23:59:59.999Z");
    CHECK_EQ_S(ft(-999), "1969-12-31T23:59:59.001Z");
    CHECK_EQ_S(ft(-1000), "1969-12-31T23:59:59Z");
    CHECK_EQ_S(ft(-86400000LL), "1969-12-31T00:00:00Z");
    CHECK_EQ_S(ft(-86400001LL), "1969-12-30T23:59:59.999Z");
    CHECK_EQ_S(ft(-2208988800000LL), "1900-01-01T00:00:00Z");
    CHECK_EQ_S(ft(-11670955200000LL), "1600-02-29T12:00:00Z");
    CHECK_EQ_S(ft(-62135596800000LL), "0001-01-01T00:00:00Z");
    CHECK_EQ_S(ft(-62167219200000LL), "0000-01-01T00:00:00Z");
    CHECK_EQ_S(ft(-62167219200001LL), "-0001-12-31T23:59:59.999Z");
    CHECK_EQ_S(ft(253402300799999LL), "9999-12-31T23:59:59.999Z");
    CHECK_EQ_S(ft(253402300800000LL), "10000-01-01T00:00:00Z");
    /* the extremes must not overflow */
    CHECK_EQ_S(ft(INT64_MAX), "292278994-08-17T07:12:55.807Z");
    CHECK_EQ_S(ft(INT64_MIN), "-292275055-05-16T16:47:04.192Z");
}

TEST(ts_round_trip)
{
    /* every day from year 0 to 9999, at a varying time of day */
    int bad = 0;
    for (int64_t ms = -62167219200000LL; ms <= 253402300799999LL && bad < 5; ms += 86400000LL + 3601001) {
        prt_buf b = { 0 };
        prt_fmt_ts(&b, ms);
        int64_t r;
        if (prt_parse_ts(prt_buf_str(&b), &r) != PRT_OK || r != ms) {
            TEST_FAIL("%" PRId64 " formats as %.*s which does not read back", ms, (int)b.n, b.p);
            bad++;
        }
        prt_buf_free(&b);
    }
    /* day boundaries around the epoch and leap days */
    const int64_t edge[] = { -86400001, -86400000, -86399999, -1, 0, 1, 86399999, 86400000,
                             951782399999LL, 951782400000LL, 951868799999LL, 951868800000LL };
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
        prt_buf b = { 0 };
        prt_fmt_ts(&b, edge[i]);
        int64_t r;
        CHECK(prt_parse_ts(prt_buf_str(&b), &r) == PRT_OK && r == edge[i]);
        prt_buf_free(&b);
    }
}

TEST(ts_matches_libc)
{
    /* cross-check the civil arithmetic with gmtime_r over 1902..2037 (any time_t width) */
    int bad = 0;
    for (int64_t sec = -2145916800LL; sec < 2145916800LL && bad < 5; sec += 7777777) {
        time_t t = (time_t)sec;
        struct tm tm;
        if (!gmtime_r(&t, &tm))
            continue;
        char want[64];
        snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        const char *got = ft(sec * 1000);
        if (strcmp(got, want) != 0) {
            TEST_FAIL("%" PRId64 ": %s, gmtime says %s", sec, got, want);
            bad++;
        }
    }
}

int main(void)
{
    RUN(parse_int_ok);
    RUN(parse_int_errors);
    RUN(fmt_int);
    RUN(parse_float_ok);
    RUN(parse_float_errors);
    RUN(fmt_float);
    RUN(float_round_trip);
    if (comma_locale())
        RUN(float_locale_independent);
    else
        SKIP(float_locale_independent, "no locale with a decimal comma installed");
    RUN(bool);
    RUN(parse_ts_rfc3339);
    RUN(parse_ts_negative);
    RUN(parse_ts_leap_days);
    RUN(parse_ts_epoch_ms);
    RUN(parse_ts_errors);
    RUN(fmt_ts);
    RUN(ts_round_trip);
    RUN(ts_matches_libc);
    return test_summary();
}
