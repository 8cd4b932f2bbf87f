/* test_ptest_row.c — pipec test's rows (prt_ptest_row.c): a JSON object read into a row struct
 * through its field table, every kind of field typed; a row written back as the sinks write
 * JSON, metadata ('_' names) left out; what does not convert is refused with the field named. */
#include <math.h>
#include <stddef.h>

#include "prt_ptest.h"
#include "prt_test.h"

typedef struct row_all {
    prt_str s;
    int64_t i;
    double f;
    int b;
    int64_t t;
    prt_str _key; /* metadata */
} row_all;

static const prt_field row_all_fields[] = {
    { "s", offsetof(row_all, s), PRT_S_STR, PRT_V_STRING, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "i", offsetof(row_all, i), PRT_S_I64, PRT_V_INT, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "f", offsetof(row_all, f), PRT_S_F64, PRT_V_FLOAT, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "b", offsetof(row_all, b), PRT_S_BOOL, PRT_V_BOOL, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "t", offsetof(row_all, t), PRT_S_I64, PRT_V_TIMESTAMP, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "_key", offsetof(row_all, _key), PRT_S_STR, PRT_V_STRING, PRT_AGG_NONE, PRT_P_VALUE, NULL },
};
static const prt_schema row_all_schema = { "row_all", sizeof(row_all), 6, row_all_fields };

TEST(read_every_type)
{
    row_all r;
    prt_scratch s = { 0 };
    prt_err e;
    const char *line = "{\"s\":\"a \\\"q\\\"\",\"i\":-42,\"f\":1.5e1,\"b\":true,\"t\":\"2024-05-23T12:00:00.250Z\","
                       "\"_key\":\"k7\",\"extra\":[1,2]}";
    CHECK(prt_ptest_row_read(&row_all_schema, prt_str_c(line), &r, &s, &e) == PRT_OK);
    CHECK_EQ_PS(r.s, "a \"q\"");
    CHECK_EQ_I(r.i, -42);
    CHECK(r.f == 15.0);
    CHECK_EQ_I(r.b, 1);
    CHECK_EQ_I(r.t, 1716465600250);
    CHECK_EQ_PS(r._key, "k7");
    prt_scratch_free(&s);
}

TEST(absent_fields_are_zero)
{
    row_all r;
    memset(&r, 0x5a, sizeof r);
    prt_scratch s = { 0 };
    prt_err e;
    CHECK(prt_ptest_row_read(&row_all_schema, PRT_STR_LIT("{\"i\":7,\"t\":1000}"), &r, &s, &e) == PRT_OK);
    CHECK_EQ_I(r.s.n, 0);
    CHECK_EQ_I(r.i, 7);
    CHECK(r.f == 0.0);
    CHECK_EQ_I(r.b, 0);
    CHECK_EQ_I(r.t, 1000); /* epoch milliseconds are a timestamp too */
    CHECK_EQ_I(r._key.n, 0);
    prt_scratch_free(&s);
}

TEST(bad_values_refused)
{
    row_all r;
    prt_scratch s = { 0 };
    prt_err e;
    CHECK(prt_ptest_row_read(&row_all_schema, PRT_STR_LIT("{\"i\":\"x1\"}"), &r, &s, &e) == PRT_ERR);
    CHECK_EQ_S(e.msg, "field 'i': invalid value 'x1'");
    CHECK(prt_ptest_row_read(&row_all_schema, PRT_STR_LIT("{\"t\":\"soon\"}"), &r, &s, &e) == PRT_ERR);
    CHECK_EQ_S(e.msg, "field 't': invalid value 'soon'");
    CHECK(prt_ptest_row_read(&row_all_schema, PRT_STR_LIT("[1]"), &r, &s, &e) == PRT_ERR);
    CHECK(prt_ptest_row_read(&row_all_schema, PRT_STR_LIT("{\"i\":1"), &r, &s, &e) == PRT_ERR);
    prt_scratch_free(&s);
}

TEST(write_as_sinks_do)
{
    row_all r = { PRT_STR_LIT("x\ny"), INT64_MIN, 10.0, 0, 1716465600000, PRT_STR_LIT("hidden") };
    prt_buf b = { 0 };
    prt_ptest_row_write(&row_all_schema, &r, &b);
    CHECK_EQ_PS(prt_buf_str(&b), "{\"s\":\"x\\ny\",\"i\":-9223372036854775808,\"f\":10.0,\"b\":false,"
                                 "\"t\":\"2024-05-23T12:00:00Z\"}");
    r.f = NAN;
    prt_ptest_row_write(&row_all_schema, &r, &b); /* replaces what b held */
    CHECK_EQ_PS(prt_buf_str(&b), "{\"s\":\"x\\ny\",\"i\":-9223372036854775808,\"f\":null,\"b\":false,"
                                 "\"t\":\"2024-05-23T12:00:00Z\"}");
    prt_buf_free(&b);
}

TEST(round_trip)
{
    row_all r = { PRT_STR_LIT("\xc3\xa9t\xc3\xa9"), 12, -0.125, 1, -1, PRT_STR_LIT("") }, back;
    prt_buf b = { 0 };
    prt_scratch s = { 0 };
    prt_err e;
    prt_ptest_row_write(&row_all_schema, &r, &b);
    CHECK(prt_ptest_row_read(&row_all_schema, prt_buf_str(&b), &back, &s, &e) == PRT_OK);
    CHECK(prt_str_eq(back.s, r.s));
    CHECK_EQ_I(back.i, 12);
    CHECK(back.f == -0.125);
    CHECK_EQ_I(back.b, 1);
    CHECK_EQ_I(back.t, -1);
    prt_buf_free(&b);
    prt_scratch_free(&s);
}

int main(void)
{
    RUN(read_every_type);
    RUN(absent_fields_are_zero);
    RUN(bad_values_refused);
    RUN(write_as_sinks_do);
    RUN(round_trip);
    return test_summary();
}
