/* prt_pg.c — the PostgreSQL helpers the connectors share: connect and reconnect with backoff,
 * one-line errors, statements, identifiers, a table's columns from the catalog, and the type
 * mapping between pipec and PostgreSQL (prt_pg.h, docs/postgres.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prt_clock.h"
#include "prt_pg.h"
#include "prt_text.h"

/* The first line of a libpq or server message, without the "ERROR:  " libpq puts in front of a
 * server's error, with runs of spaces squeezed. */
static void first_line(char *out, size_t n, const char *msg)
{
    if (!msg)
        msg = "";
    if (!strncmp(msg, "ERROR:  ", 8))
        msg += 8;
    size_t o = 0;
    for (const char *p = msg; *p && *p != '\n' && o + 1 < n; p++) {
        if (*p == ' ' && o > 0 && out[o - 1] == ' ')
            continue;
        out[o++] = *p == '\t' ? ' ' : *p;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = 0;
}

/* Notices and warnings the server sends (e.g. "terminating connection due to immediate shutdown
 * command" as it goes down) would go to stderr as libpq prints them; the connectors report what
 * matters in their own one-line errors instead. */
static void no_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

PGconn *prt_pg_connect(const char *dsn, prt_err *e)
{
    /* defaults the DSN may override (its settings come after them): a server that does not
     * answer fails the attempt after 10 s instead of the system's TCP timeout, and a dead
     * connection is noticed in about a minute (keepalives, unacknowledged data) rather than hours,
     * so the caller's retries can take over */
    static const char *const keys[] = { "connect_timeout", "keepalives_idle", "keepalives_interval",
                                        "keepalives_count", "tcp_user_timeout", "fallback_application_name",
                                        "dbname", NULL };
    const char *vals[] = { "10", "30", "10", "3", "60000", "pipec", dsn, NULL };
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (!c) {
        prt_errf(e, "cannot connect to PostgreSQL: out of memory");
        return NULL;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        char line[200];
        first_line(line, sizeof line, PQerrorMessage(c));
        prt_errf(e, "cannot connect to PostgreSQL: %s", line[0] ? line : "unknown reason");
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, no_notice, NULL);
    return c;
}

int64_t prt_pg_backoff_ms(int attempt)
{
    int64_t ms = 100;
    for (int i = 0; i < attempt && ms < 5000; i++)
        ms *= 2;
    return ms < 5000 ? ms : 5000;
}

PGconn *prt_pg_connect_retry(const char *dsn, int64_t retry_ms, volatile int *stop, int *attempts, prt_err *e)
{
    int64_t deadline = prt_mono_ms() + retry_ms;
    int n = 0;
    for (;;) {
        PGconn *c = prt_pg_connect(dsn, e);
        n++;
        if (attempts)
            *attempts = n;
        if (c)
            return c;
        int64_t left = deadline - prt_mono_ms();
        if (left <= 0 || (stop && *stop))
            return NULL;
        int64_t wait = prt_pg_backoff_ms(n - 1);
        prt_sleep_ms(wait < left ? wait : left);
        if (stop && *stop)
            return NULL;
    }
}

int prt_pg_lost(const PGconn *c)
{
    return !c || PQstatus(c) == CONNECTION_BAD;
}

int prt_pg_result_err(PGconn *c, const PGresult *r, prt_err *e)
{
    char line[200];
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (msg) {
        first_line(line, sizeof line, msg);
        const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
        if (detail) {
            char d[160];
            first_line(d, sizeof d, detail);
            return prt_errf(e, "%s (%s)", line, d);
        }
        return prt_errf(e, "%s", line);
    }
    first_line(line, sizeof line, r ? PQresultErrorMessage(r) : NULL);
    if (!line[0])
        first_line(line, sizeof line, c ? PQerrorMessage(c) : NULL);
    return prt_errf(e, "%s", line[0] ? line : "the connection to PostgreSQL was lost");
}

int prt_pg_exec(PGconn *c, const char *sql, prt_err *e)
{
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int rc = PRT_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = prt_pg_result_err(c, r, e);
    PQclear(r);
    return rc;
}

PGresult *prt_pg_query(PGconn *c, const char *sql, int nparams, const char *const *params, prt_err *e)
{
    PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        prt_pg_result_err(c, r, e);
        PQclear(r);
        return NULL;
    }
    return r;
}

void prt_pg_ident(prt_buf *b, const char *name)
{
    prt_buf_putc(b, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            prt_buf_putc(b, '"');
        prt_buf_putc(b, *p);
    }
    prt_buf_putc(b, '"');
}

int prt_pg_table_name_ok(const char *table)
{
    return prt_text_sql_table(table) == PRT_TEXT_OK;
}

static char *dup(const char *s)
{
    char *d = strdup(s ? s : "");
    prt_assert(d != NULL);
    return d;
}

int prt_pg_columns_read(PGconn *c, const char *table, prt_pg_columns *out, prt_err *e)
{
    memset(out, 0, sizeof *out);
    /* the base type of a domain is what values are written as */
    static const char sql[] =
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), "
        "       CASE WHEN t.typtype = 'd' THEN bt.typname ELSE t.typname END, "
        "       a.attnotnull, a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '', "
        "       coalesce(a.attnum = ANY (i.indkey::int2[]), false) "
        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "LEFT JOIN pg_type bt ON bt.oid = t.typbasetype "
        "LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary "
        "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attnum";
    const char *params[1] = { table };
    PGresult *r = prt_pg_query(c, "SELECT to_regclass($1) IS NOT NULL", 1, params, e);
    if (!r)
        return PRT_ERR;
    out->exists = PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
    if (!out->exists)
        return PRT_OK;
    if (!(r = prt_pg_query(c, sql, 1, params, e)))
        return PRT_ERR;
    out->n = PQntuples(r);
    out->v = calloc((size_t)out->n + 1, sizeof *out->v);
    prt_assert(out->v != NULL);
    for (int i = 0; i < out->n; i++) {
        prt_pg_column *col = &out->v[i];
        col->name = dup(PQgetvalue(r, i, 0));
        col->type = dup(PQgetvalue(r, i, 1));
        col->typname = dup(PQgetvalue(r, i, 2));
        col->not_null = !strcmp(PQgetvalue(r, i, 3), "t");
        col->has_default = !strcmp(PQgetvalue(r, i, 4), "t");
        col->key = !strcmp(PQgetvalue(r, i, 5), "t");
    }
    PQclear(r);
    return PRT_OK;
}

void prt_pg_columns_free(prt_pg_columns *cols)
{
    for (int i = 0; i < cols->n; i++) {
        free(cols->v[i].name);
        free(cols->v[i].type);
        free(cols->v[i].typname);
    }
    free(cols->v);
    memset(cols, 0, sizeof *cols);
}

const prt_pg_column *prt_pg_column_find(const prt_pg_columns *cols, const char *name)
{
    for (int i = 0; i < cols->n; i++)
        if (!strcmp(cols->v[i].name, name))
            return &cols->v[i];
    return NULL;
}

/* ---------------------------------------------------------------- the type mapping */

static int in(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(s, *list))
            return 1;
    return 0;
}

static const char *const pg_ints[] = { "int8", "int4", "int2", NULL };
static const char *const pg_floats[] = { "float8", "float4", "numeric", NULL };
static const char *const pg_texts[] = { "text", "varchar", "bpchar", "name", "citext", NULL };
static const char *const pg_times[] = { "timestamptz", "timestamp", NULL };

/* Writing: only where every pipec value fits. An int (64-bit) goes to bigint or numeric, not to
 * integer or smallint (a large value would fail the job at run time); a float to double
 * precision or numeric, not real (it would lose precision). */
int prt_pg_writable(prt_vtype t, const char *typname)
{
    static const char *const w_int[] = { "int8", "numeric", NULL };
    static const char *const w_float[] = { "float8", "numeric", NULL };
    static const char *const w_str[] = { "text", "varchar", "bpchar", "citext", NULL };
    switch (t) {
    case PRT_V_INT: return in(typname, w_int);
    case PRT_V_FLOAT: return in(typname, w_float);
    case PRT_V_BOOL: return !strcmp(typname, "bool");
    case PRT_V_TIMESTAMP: return in(typname, pg_times);
    case PRT_V_STRING: return in(typname, w_str);
    default: return 0;
    }
}

const char *prt_pg_writable_hint(prt_vtype t)
{
    switch (t) {
    case PRT_V_INT: return "bigint or numeric";
    case PRT_V_FLOAT: return "double precision or numeric";
    case PRT_V_BOOL: return "boolean";
    case PRT_V_TIMESTAMP: return "timestamp with time zone or timestamp";
    case PRT_V_STRING: return "text, varchar or char";
    default: return "nothing";
    }
}

const char *prt_pg_create_type(prt_vtype t)
{
    switch (t) {
    case PRT_V_INT: return "bigint";
    case PRT_V_FLOAT: return "double precision";
    case PRT_V_BOOL: return "boolean";
    case PRT_V_TIMESTAMP: return "timestamp with time zone";
    case PRT_V_STRING: return "text";
    default: return NULL;
    }
}

prt_vtype prt_pg_readable(const char *typname)
{
    if (in(typname, pg_ints))
        return PRT_V_INT;
    if (in(typname, pg_floats))
        return PRT_V_FLOAT;
    if (!strcmp(typname, "bool"))
        return PRT_V_BOOL;
    if (in(typname, pg_times))
        return PRT_V_TIMESTAMP;
    if (in(typname, pg_texts))
        return PRT_V_STRING;
    return PRT_V_NONE;
}

prt_vtype prt_pg_vtype(const char *name)
{
    static const struct { const char *name; prt_vtype t; } names[] = {
        { "int", PRT_V_INT }, { "float", PRT_V_FLOAT }, { "bool", PRT_V_BOOL },
        { "timestamp", PRT_V_TIMESTAMP }, { "string", PRT_V_STRING },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(name, names[i].name))
            return names[i].t;
    return PRT_V_NONE;
}
