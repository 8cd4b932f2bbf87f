/* test_text.c — unit tests of prt_text, the grammar pipec and the runtime share: durations
 * (with why a text was refused), integers, record bools, setting switches, decimal syntax,
 * timestamps. */
#include "prt_text.h"
#include "prt_test.h"

static prt_text_rc dur(const char *s, int64_t *ms) { return prt_text_duration(s, strlen(s), ms); }

TEST(duration_ok)
{
    static const struct { const char *s; int64_t ms; } ok[] = {
        { "250ms", 250 }, { "30s", 30000 }, { "5m", 300000 }, { "2h", 7200000 }, { "1d", 86400000 },
        { "0", 0 }, { "0ms", 0 }, { " 7s ", 7000 }, { "106751991167d", 106751991167LL * 86400000 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t v = -1;
        if (dur(ok[i].s, &v) != PRT_TEXT_OK || v != ok[i].ms)
            TEST_FAIL("duration '%s': rc %d, %lld ms", ok[i].s, (int)dur(ok[i].s, &v), (long long)v);
    }
}

TEST(duration_refused)
{
    static const struct { const char *s; prt_text_rc rc; const char *why; } bad[] = {
        { "", PRT_TEXT_BAD, "" }, { "s", PRT_TEXT_BAD, "" }, { "5x", PRT_TEXT_BAD, "" },
        { "-1s", PRT_TEXT_BAD, "" }, { "1.5s", PRT_TEXT_BAD, "" }, { "5 m", PRT_TEXT_BAD, "" },
        { "1sec", PRT_TEXT_BAD, "" }, { "5S", PRT_TEXT_BAD, "" },
        { "5", PRT_TEXT_NO_UNIT, ": missing a unit" }, { "30 ", PRT_TEXT_NO_UNIT, ": missing a unit" },
        { "106751991168d", PRT_TEXT_RANGE, ": out of range" },
        { "99999999999999999999ms", PRT_TEXT_RANGE, ": out of range" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t v = -1;
        prt_text_rc rc = dur(bad[i].s, &v);
        if (rc != bad[i].rc || strcmp(prt_text_duration_why(rc), bad[i].why) || v != -1)
            TEST_FAIL("duration '%s': rc %d, expected %d", bad[i].s, (int)rc, (int)bad[i].rc);
    }
}

TEST(int)
{
    int64_t v = 0;
    CHECK(prt_text_int("-9223372036854775808", 20, &v) == PRT_TEXT_OK && v == INT64_MIN);
    CHECK(prt_text_int(" +42 ", 5, &v) == PRT_TEXT_OK && v == 42);
    CHECK(prt_text_int("123456", 3, &v) == PRT_TEXT_OK && v == 123); /* a slice, not a C string */
    CHECK_EQ_I(prt_text_int("9223372036854775808", 19, &v), PRT_TEXT_RANGE);
    CHECK_EQ_I(prt_text_int("", 0, &v), PRT_TEXT_BAD);
    CHECK_EQ_I(prt_text_int("-", 1, &v), PRT_TEXT_BAD);
    CHECK_EQ_I(prt_text_int("1e3", 3, &v), PRT_TEXT_BAD);
    CHECK_EQ_I(prt_text_int("0x10", 4, &v), PRT_TEXT_BAD);
}

TEST(bool_and_switch)
{
    static const struct { const char *s; int as_bool, as_switch; } cases[] = { /* -1: refused */
        { "true", 1, 1 }, { "FALSE", 0, 0 }, { " True ", 1, 1 }, { "yes", -1, 1 }, { "Off", -1, 0 },
        { "1", -1, 1 }, { "0", -1, 0 }, { "", -1, -1 }, { "t", -1, -1 }, { "truee", -1, -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int b = -1, s = -1;
        if (prt_text_bool(cases[i].s, strlen(cases[i].s), &b) != PRT_TEXT_OK)
            b = -1;
        if (prt_text_switch(cases[i].s, strlen(cases[i].s), &s) != PRT_TEXT_OK)
            s = -1;
        if (b != cases[i].as_bool || s != cases[i].as_switch)
            TEST_FAIL("'%s': bool %d, switch %d", cases[i].s, b, s);
    }
}

TEST(decimal)
{
    static const char *const ok[] = { "1", "-1.5", ".5", "5.", "1e3", "+2.5E-3", " 4 " };
    static const char *const bad[] = { "", ".", "e3", "1e", "nan", "inf", "0x1p3", "1,5", "1.2.3" };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (prt_text_decimal(ok[i], strlen(ok[i])) != PRT_TEXT_OK)
            TEST_FAIL("decimal '%s' refused", ok[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (prt_text_decimal(bad[i], strlen(bad[i])) != PRT_TEXT_BAD)
            TEST_FAIL("decimal '%s' accepted", bad[i]);
}

TEST(timestamp)
{
    static const struct { const char *s; int64_t ms; } ok[] = {
        { "2024-05-23T12:34:56Z", 1716467696000 }, { "2024-05-23T12:34:56.25Z", 1716467696250 },
        { "2024-05-23t14:34:56+02:00", 1716467696000 }, { "2024-02-29 00:00:00z", 1709164800000 },
        { "1716467696000", 1716467696000 }, { "-1", -1 }, { " 1969-12-31T23:59:59.999Z ", -1 },
    };
    static const char *const bad[] = {
        "", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-05-23T12:34:56", "2024-05-23T12:34:60Z",
        "2024-05-23", "2024-05-23T12:34:56.Z", "12:34:56Z", "1e3", "2024-05-23T12:34:56+2:00",
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t v = 0;
        if (prt_text_timestamp(ok[i].s, strlen(ok[i].s), &v) != PRT_TEXT_OK || v != ok[i].ms)
            TEST_FAIL("timestamp '%s': %lld", ok[i].s, (long long)v);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t v = 0;
        if (prt_text_timestamp(bad[i], strlen(bad[i]), &v) == PRT_TEXT_OK)
            TEST_FAIL("timestamp '%s' accepted", bad[i]);
    }
}

int main(void)
{
    RUN(duration_ok);
    RUN(duration_refused);
    RUN(int);
    RUN(bool_and_switch);
    RUN(decimal);
    RUN(timestamp);
    return test_summary();
}
