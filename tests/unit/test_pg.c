/* test_pg.c — unit tests of prt_pg's parts that need no server: the backoff schedule, identifier
 * quoting, table names, the type mapping both ways, and a refused connection's one-line error
 * (the server-side behaviour is tested in tests/runtime/pg_*.sh). */
#include "prt_pg.h"
#include "prt_test.h"

#include <stdlib.h>

TEST(backoff)
{
    static const int64_t want[] = { 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000 };
    for (int i = 0; i < (int)(sizeof want / sizeof *want); i++)
        CHECK_EQ_I(prt_pg_backoff_ms(i), want[i]);
    CHECK_EQ_I(prt_pg_backoff_ms(1000), 5000);
}

TEST(ident)
{
    prt_buf b = { 0 };
    prt_pg_ident(&b, "plain");
    prt_pg_ident(&b, "we\"ird");
    prt_buf_putc(&b, 0);
    CHECK_EQ_S(b.p, "\"plain\"\"we\"\"ird\"");
    prt_buf_free(&b);
}

TEST(table_names)
{
    static const char *const ok[] = { "events", "public.events", "_t1", "Events", "a.b" };
    static const char *const bad[] = { "", ".", "a.", ".b", "a.b.c", "1abc", "a b", "a;drop", "a\"b", "s.1t",
                                       "x234567890123456789012345678901234567890123456789012345678901234" };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (!prt_pg_table_name_ok(ok[i]))
            TEST_FAIL("'%s' refused", ok[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (prt_pg_table_name_ok(bad[i]))
            TEST_FAIL("'%s' accepted", bad[i]);
}

TEST(writable)
{
    static const struct { prt_vtype t; const char *pg; int ok; } m[] = {
        { PRT_V_INT, "int8", 1 }, { PRT_V_INT, "numeric", 1 }, { PRT_V_INT, "int4", 0 }, { PRT_V_INT, "int2", 0 },
        { PRT_V_INT, "float8", 0 }, { PRT_V_INT, "text", 0 },
        { PRT_V_FLOAT, "float8", 1 }, { PRT_V_FLOAT, "numeric", 1 }, { PRT_V_FLOAT, "float4", 0 },
        { PRT_V_FLOAT, "int8", 0 },
        { PRT_V_BOOL, "bool", 1 }, { PRT_V_BOOL, "int4", 0 }, { PRT_V_BOOL, "text", 0 },
        { PRT_V_TIMESTAMP, "timestamptz", 1 }, { PRT_V_TIMESTAMP, "timestamp", 1 }, { PRT_V_TIMESTAMP, "date", 0 },
        { PRT_V_TIMESTAMP, "int8", 0 },
        { PRT_V_STRING, "text", 1 }, { PRT_V_STRING, "varchar", 1 }, { PRT_V_STRING, "bpchar", 1 },
        { PRT_V_STRING, "citext", 1 }, { PRT_V_STRING, "json", 0 }, { PRT_V_STRING, "int8", 0 },
    };
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (prt_pg_writable(m[i].t, m[i].pg) != m[i].ok)
            TEST_FAIL("%s to %s: want %d", prt_vtype_name(m[i].t), m[i].pg, m[i].ok);
    /* what create_table makes for a type is writable from it */
    for (prt_vtype t = PRT_V_INT; t <= PRT_V_STRING; t++)
        CHECK(prt_pg_create_type(t) != NULL);
    CHECK_EQ_S(prt_pg_create_type(PRT_V_INT), "bigint");
    CHECK_EQ_S(prt_pg_create_type(PRT_V_TIMESTAMP), "timestamp with time zone");
    CHECK_EQ_S(prt_pg_writable_hint(PRT_V_FLOAT), "double precision or numeric");
}

TEST(readable)
{
    static const struct { const char *pg; prt_vtype t; } m[] = {
        { "int2", PRT_V_INT }, { "int4", PRT_V_INT }, { "int8", PRT_V_INT }, { "float4", PRT_V_FLOAT },
        { "float8", PRT_V_FLOAT }, { "numeric", PRT_V_FLOAT }, { "bool", PRT_V_BOOL },
        { "timestamptz", PRT_V_TIMESTAMP }, { "timestamp", PRT_V_TIMESTAMP }, { "text", PRT_V_STRING },
        { "varchar", PRT_V_STRING }, { "bpchar", PRT_V_STRING }, { "name", PRT_V_STRING },
        { "bytea", PRT_V_NONE }, { "jsonb", PRT_V_NONE }, { "date", PRT_V_NONE },
    };
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (prt_pg_readable(m[i].pg) != m[i].t)
            TEST_FAIL("%s: read as %d, want %d", m[i].pg, (int)prt_pg_readable(m[i].pg), (int)m[i].t);
    CHECK_EQ_I(prt_pg_vtype("timestamp"), PRT_V_TIMESTAMP);
    CHECK_EQ_I(prt_pg_vtype("string"), PRT_V_STRING);
    CHECK_EQ_I(prt_pg_vtype("text"), PRT_V_NONE);
}

TEST(connect_errors)
{
    prt_err e;
    /* port 1 on loopback: nothing listens there */
    PGconn *c = prt_pg_connect("host=127.0.0.1 port=1 user=u dbname=d connect_timeout=2", &e);
    CHECK(c == NULL);
    CHECK_EQ_S(e.msg, "cannot connect to PostgreSQL: connection to server at \"127.0.0.1\", port 1 failed: "
                      "Connection refused");
    c = prt_pg_connect("host=127.0.0.1 password=secret nonsense", &e);
    CHECK(c == NULL);
    CHECK_EQ_S(e.msg, "cannot connect to PostgreSQL: missing \"=\" after \"nonsense\" in connection info string");
    int attempts = 0;
    c = prt_pg_connect_retry("host=127.0.0.1 port=1 user=u dbname=d", 250, NULL, &attempts, &e);
    CHECK(c == NULL);
    /* at 0, 100 and 250 ms (the last wait cut to what is left); 2 when a sleep overran */
    CHECK(attempts == 2 || attempts == 3);
}

int main(void)
{
    RUN(backoff);
    RUN(ident);
    RUN(table_names);
    RUN(writable);
    RUN(readable);
    RUN(connect_errors);
    return test_summary();
}
