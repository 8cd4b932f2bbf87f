/* prt_src_pg.c — the `postgres` source: the rows of one query, bounded (a batch, or the history
 * of seed 000's bootstrap).
 *
 * The query runs in a read-only REPEATABLE READ transaction through a server-side cursor
 * (DECLARE … NO SCROLL CURSOR, then FETCH fetch_size rows at a time), so memory stays at one
 * batch whatever the table's size. Before the first row, the cursor's columns (PQdescribePortal)
 * are checked against the schema the pipeline was compiled with (desc->columns): every schema
 * field needs a column of its name whose type reads as the field's type (prt_pg_readable; an int
 * column may feed a float field). A mismatch fails the run naming the column and both types.
 *
 * Each row reaches the generated json parser as one object keyed by column name: int and float
 * columns as their text, bool as true/false, timestamps as epoch milliseconds (the session runs
 * with TimeZone UTC; a timestamp without time zone is read as UTC), strings quoted; a NULL
 * leaves its key out (the field's default, else a bad record for the errors sink).
 *
 * One partition (0); origin "postgres", offset the 1-based row number. Position: one entry,
 * "rows", with the number of rows delivered; seek skips that many rows (MOVE), so a restore is
 * exact when the query's order is (ORDER BY a unique key; docs/postgres.md).
 *
 * A connection lost during the read (a FETCH failing with the connection gone) is retried with
 * prt_pg_connect_retry's backoff for retry_timeout (default 30s): the source connects again,
 * opens a new transaction and cursor, checks the columns again, skips the rows it delivered
 * (MOVE, as a restore does) and goes on. The rows of the batch it held were all delivered before
 * the FETCH that failed, so none is lost or repeated when the query's order is deterministic and
 * the data did not change. When the server stays away the run fails with one line. The first
 * connection, at open, is not retried: a wrong DSN or a server that is down fails the start.
 * A poll runs at most one FETCH, so the job's loop flushes, checkpoints and stops between them.
 * Ownership: the source owns its connection, its current batch and its buffers.
 */
#include "prt_clock.h"
#include "prt_connector.h"
#include "prt_format.h"
#include "prt_pg.h"
#include "prt_text.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CURSOR "pipec_source"

/* A schema field and the result column it reads. */
typedef struct pg_col {
    char *name;     /* owned */
    prt_vtype type; /* the schema's */
    int at;         /* column index in the cursor's result */
} pg_col;

typedef struct pg_src {
    PGconn *conn;      /* NULL after a reconnect given up because the job stops */
    char *dsn, *query; /* owned copies, for reconnecting */
    int64_t retry_ms;  /* how long a lost connection is retried */
    pg_col *cols;      /* owned */
    int ncols;
    int64_t fetch;     /* rows per FETCH */
    PGresult *batch;   /* the current FETCH's rows; owned */
    int row, nrows;    /* next row of batch to deliver */
    int64_t delivered; /* rows delivered: the position */
    int done;          /* a FETCH returned no row */
    char fetch_sql[64];
    prt_buf line;      /* the json object of one row */
} pg_src;

static void pg_free(pg_src *g)
{
    if (!g)
        return;
    PQclear(g->batch);
    if (g->conn)
        PQfinish(g->conn);
    free(g->dsn);
    free(g->query);
    for (int i = 0; i < g->ncols; i++)
        free(g->cols[i].name);
    free(g->cols);
    prt_buf_free(&g->line);
    free(g);
}

/* The schema's fields from "name type,name type". PRT_ERR on a malformed list (a build bug). */
static int parse_columns(pg_src *g, const char *list)
{
    int n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    g->cols = calloc((size_t)n, sizeof *g->cols);
    prt_assert(g->cols != NULL);
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *sp = memchr(p, ' ', len);
        if (!sp)
            return PRT_ERR;
        char type[16];
        size_t tl = len - (size_t)(sp + 1 - p);
        if (tl >= sizeof type)
            return PRT_ERR;
        memcpy(type, sp + 1, tl);
        type[tl] = 0;
        pg_col *c = &g->cols[g->ncols++];
        c->name = strndup(p, (size_t)(sp - p));
        prt_assert(c->name != NULL);
        c->type = prt_pg_vtype(type);
        c->at = -1;
        if (c->type == PRT_V_NONE)
            return PRT_ERR;
        p = end ? end + 1 : p + len;
    }
    return g->ncols ? PRT_OK : PRT_ERR;
}

static const char *vtype_name(prt_vtype t)
{
    switch (t) {
    case PRT_V_INT: return "int";
    case PRT_V_FLOAT: return "float";
    case PRT_V_BOOL: return "bool";
    case PRT_V_TIMESTAMP: return "timestamp";
    case PRT_V_STRING: return "string";
    default: return "none";
    }
}

/* Checks the cursor's columns against the schema and maps each field to its column. */
static int check_columns(prt_source *s, pg_src *g, prt_err *e)
{
    PGresult *d = PQdescribePortal(g->conn, CURSOR);
    if (!d || PQresultStatus(d) != PGRES_COMMAND_OK) {
        prt_pg_result_err(g->conn, d, e);
        PQclear(d);
        return PRT_ERR;
    }
    int rc = PRT_OK;
    for (int i = 0; i < g->ncols; i++)
        g->cols[i].at = -1; /* a reconnect maps them again */
    for (int i = 0; i < g->ncols && rc == PRT_OK; i++) {
        pg_col *c = &g->cols[i];
        for (int k = 0; k < PQnfields(d) && c->at < 0; k++)
            if (!strcmp(PQfname(d, k), c->name))
                c->at = k;
        if (c->at < 0) {
            rc = prt_errf(e, "the query has no column '%s' (the schema's field %s %s)", c->name, c->name,
                          vtype_name(c->type));
            break;
        }
        /* the column's base type (a domain reads as its base), and its name for people */
        char oid[16], mod[16];
        snprintf(oid, sizeof oid, "%u", (unsigned)PQftype(d, c->at));
        snprintf(mod, sizeof mod, "%d", PQfmod(d, c->at));
        const char *params[2] = { oid, mod };
        PGresult *t = prt_pg_query(g->conn,
                                   "SELECT coalesce(b.typname, t.typname), format_type(t.oid, $2::int) "
                                   "FROM pg_type t LEFT JOIN pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype "
                                   "WHERE t.oid = $1::oid",
                                   2, params, e);
        if (!t) {
            rc = PRT_ERR;
            break;
        }
        if (PQntuples(t) != 1) {
            rc = prt_errf(e, "column '%s': unknown type oid %s", c->name, oid);
        } else {
            prt_vtype have = prt_pg_readable(PQgetvalue(t, 0, 0));
            if (have != c->type && !(have == PRT_V_INT && c->type == PRT_V_FLOAT))
                rc = prt_errf(e, "column '%s' is %s in the query, but the schema says %s%s", c->name,
                              PQgetvalue(t, 0, 1), vtype_name(c->type),
                              have == PRT_V_NONE ? " (pipec has no type for it: cast it in the query)" : "");
        }
        PQclear(t);
    }
    PQclear(d);
    return rc;
}

/* On a new connection: the session's settings, the read-only transaction, the cursor over the
 * query, and the check of its columns against the schema. */
static int start_read(prt_source *s, pg_src *g, prt_err *e)
{
    if (prt_pg_exec(g->conn, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET extra_float_digits = 3", e) != PRT_OK)
        return PRT_ERR;
    if (prt_pg_exec(g->conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", e) != PRT_OK)
        return PRT_ERR;
    prt_buf sql = { 0 };
    prt_buf_puts(&sql, "DECLARE " CURSOR " NO SCROLL CURSOR FOR ");
    prt_buf_puts(&sql, g->query);
    prt_buf_putc(&sql, 0);
    int rc = prt_pg_exec(g->conn, sql.p, e);
    prt_buf_free(&sql);
    if (rc != PRT_OK) {
        char why[sizeof e->msg];
        snprintf(why, sizeof why, "%s", e->msg);
        return prt_errf(e, "the query failed: %s", why);
    }
    return check_columns(s, g, e);
}

/* Skips n rows of the cursor (MOVE); *moved says how many there were. */
static int skip_rows(pg_src *g, int64_t n, int64_t *moved, prt_err *e)
{
    *moved = 0;
    if (n <= 0)
        return PRT_OK;
    char sql[96];
    snprintf(sql, sizeof sql, "MOVE FORWARD %" PRId64 " IN " CURSOR, n);
    PGresult *r = PQexec(g->conn, sql);
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
        prt_pg_result_err(g->conn, r, e);
        PQclear(r);
        return PRT_ERR;
    }
    *moved = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return PRT_OK;
}

static int pg_open(prt_source *s)
{
    prt_job *j = s->job;
    char key[192];
    snprintf(key, sizeof key, "%sdsn", s->prefix);
    const char *dsn = prt_cfg(j, key);
    snprintf(key, sizeof key, "%squery", s->prefix);
    const char *query = prt_cfg(j, key);
    if (!dsn || !*dsn || !query || !*query) {
        prt_log(j, "source %s: %s%s is not set", s->desc->name, s->prefix, !dsn || !*dsn ? "dsn" : "query");
        return PRT_ERR;
    }
    pg_src *g = calloc(1, sizeof *g);
    prt_assert(g != NULL);
    snprintf(key, sizeof key, "%sfetch_size", s->prefix);
    if (prt_cfg_int(j, key, 1000, &g->fetch) != PRT_OK) {
        pg_free(g);
        return PRT_ERR;
    }
    if (g->fetch < 1 || g->fetch > 1000000) {
        prt_log(j, "source %s: %s is %lld: between 1 and 1000000 rows", s->desc->name, key, (long long)g->fetch);
        pg_free(g);
        return PRT_ERR;
    }
    if (!s->desc->columns || parse_columns(g, s->desc->columns) != PRT_OK) {
        prt_log(j, "source %s: no schema for its columns (rebuild it with this pipec)", s->desc->name);
        pg_free(g);
        return PRT_ERR;
    }
    snprintf(key, sizeof key, "%sretry_timeout", s->prefix);
    if (prt_cfg_dur(j, key, 30000, &g->retry_ms) != PRT_OK) {
        pg_free(g);
        return PRT_ERR;
    }
    g->dsn = strdup(dsn);
    g->query = strdup(query);
    prt_assert(g->dsn != NULL && g->query != NULL);
    snprintf(g->fetch_sql, sizeof g->fetch_sql, "FETCH FORWARD %lld FROM " CURSOR, (long long)g->fetch);
    prt_err e = { 0 };
    /* at start a server that does not answer fails the run at once: a wrong DSN should not hang */
    int rc = (g->conn = prt_pg_connect(dsn, &e)) ? PRT_OK : PRT_ERR;
    if (rc == PRT_OK)
        rc = start_read(s, g, &e);
    if (rc != PRT_OK) {
        prt_log(j, "source %s: %s", s->desc->name, e.msg);
        pg_free(g);
        return PRT_ERR;
    }
    s->impl = g;
    prt_source_partition_add(s, 0);
    return PRT_OK;
}

/* A timestamp's text (ISO DateStyle, TimeZone UTC: "2024-05-20 09:00:00.25+00", or without a
 * zone) as epoch ms; PRT_ERR when it is none (infinity, a date BC). */
static int pg_timestamp(const char *v, int64_t *ms)
{
    char t[64];
    size_t n = strlen(v);
    if (n + 2 > sizeof t)
        return PRT_ERR;
    memcpy(t, v, n + 1);
    if (n > 3 && t[n - 3] == '+' && t[n - 2] == '0' && t[n - 1] == '0')
        n -= 3; /* "+00": UTC */
    else if (n >= 19 && strpbrk(t + 19, "+-"))
        return prt_text_timestamp(t, n, ms) == PRT_TEXT_OK ? PRT_OK : PRT_ERR;
    t[n++] = 'Z';
    t[n] = 0;
    return prt_text_timestamp(t, n, ms) == PRT_TEXT_OK ? PRT_OK : PRT_ERR;
}

/* Row r of the batch as one json object in g->line. */
static void row_json(pg_src *g, int r)
{
    prt_buf *b = &g->line;
    prt_buf_clear(b);
    prt_buf_putc(b, '{');
    int first = 1;
    for (int i = 0; i < g->ncols; i++) {
        const pg_col *c = &g->cols[i];
        if (PQgetisnull(g->batch, r, c->at))
            continue;
        const char *v = PQgetvalue(g->batch, r, c->at);
        if (!first)
            prt_buf_putc(b, ',');
        first = 0;
        prt_json_quote(b, prt_str_c(c->name));
        prt_buf_putc(b, ':');
        int64_t ms;
        switch (c->type) {
        case PRT_V_INT:
        case PRT_V_FLOAT:
            if (prt_text_decimal(v, strlen(v)) == PRT_TEXT_OK)
                prt_buf_puts(b, v);
            else /* NaN, Infinity: no json number; the parser reports the record */
                prt_json_quote(b, prt_str_c(v));
            break;
        case PRT_V_BOOL:
            prt_buf_puts(b, v[0] == 't' ? "true" : "false");
            break;
        case PRT_V_TIMESTAMP:
            if (pg_timestamp(v, &ms) == PRT_OK)
                prt_buf_printf(b, "%lld", (long long)ms);
            else
                prt_json_quote(b, prt_str_c(v));
            break;
        default:
            prt_json_quote(b, prt_str_c(v));
            break;
        }
    }
    prt_buf_putc(b, '}');
}

/* The connection is gone (why): connect again with backoff for retry_timeout, open a new
 * transaction and cursor and skip the rows delivered. PRT_OK when reading can go on, or when the
 * job is stopping (g->conn is then NULL); PRT_ERR (said in one line) when it gives up. */
static int reconnect(prt_source *s, pg_src *g, const char *why)
{
    prt_job *j = s->job;
    const char *name = s->desc->name;
    prt_log(j, "source %s: lost the connection to PostgreSQL (%s); reconnecting for up to %" PRId64 " ms", name, why,
            g->retry_ms);
    PQclear(g->batch);
    g->batch = NULL;
    g->row = g->nrows = 0;
    int64_t t0 = prt_mono_ms();
    int attempts = 0;
    prt_err e = { 0 };
    for (;;) {
        if (g->conn)
            PQfinish(g->conn);
        int64_t left = t0 + g->retry_ms - prt_mono_ms();
        int n = 0;
        g->conn = prt_pg_connect_retry(g->dsn, left > 0 ? left : 0, &j->stop, &n, &e);
        attempts += n;
        if (!g->conn && j->stop)
            return PRT_OK; /* the job stops: the position stays the rows delivered */
        int64_t moved = 0;
        int rc = g->conn ? start_read(s, g, &e) : PRT_ERR;
        if (rc == PRT_OK)
            rc = skip_rows(g, g->delivered, &moved, &e);
        if (rc == PRT_OK) {
            prt_log(j, "source %s: reconnected to PostgreSQL after %d attempt(s); skipped the %" PRId64
                    " rows already delivered", name, attempts, g->delivered);
            if (moved < g->delivered)
                prt_log(j, "source %s: warning: the query now has %" PRId64 " rows, fewer than the %" PRId64
                        " delivered before the connection was lost (its data changed)", name, moved, g->delivered);
            return PRT_OK;
        }
        if (g->conn && !prt_pg_lost(g->conn)) {
            prt_log(j, "source %s: after reconnecting to PostgreSQL: %s", name, e.msg);
            return PRT_ERR;
        }
        /* no connection, or lost again while the cursor was being opened: on until the deadline */
        if (!g->conn || prt_mono_ms() - t0 >= g->retry_ms) {
            prt_log(j, "source %s: PostgreSQL unreachable for %" PRId64 " ms (%d attempts): %s; stopping after %" PRId64
                    " rows (a rerun reads the query again, from the last checkpoint if there is one)",
                    name, prt_mono_ms() - t0, attempts, e.msg, g->delivered);
            return PRT_ERR;
        }
    }
}

static int pg_poll(prt_source *s, int max, int timeout_ms)
{
    pg_src *g = s->impl;
    int n = 0;
    while (n < max && !s->job->stop) {
        if (g->row < g->nrows) {
            row_json(g, g->row++);
            g->delivered++;
            prt_raw raw = { prt_buf_str(&g->line), { NULL, 0 }, "postgres", 0, g->delivered, PRT_NO_TS };
            prt_source_deliver(s, &raw);
            n++;
            continue;
        }
        if (g->done)
            return n ? n : PRT_SRC_EOF;
        if (n > 0)
            return n; /* the next FETCH in the next poll: the loop flushes, checkpoints and stops between them */
        PQclear(g->batch);
        g->row = g->nrows = 0;
        prt_err e = { 0 };
        g->batch = g->conn ? prt_pg_query(g->conn, g->fetch_sql, 0, NULL, &e) : NULL;
        if (!g->batch) {
            if (!prt_pg_lost(g->conn)) {
                prt_log(s->job, "source %s: reading the query's rows failed after %lld rows: %s", s->desc->name,
                        (long long)g->delivered, e.msg);
                return PRT_ERR;
            }
            if (reconnect(s, g, g->conn ? e.msg : "stopped while reconnecting") != PRT_OK)
                return PRT_ERR;
            continue; /* the next FETCH, on the new cursor (or the loop ends: the job stops) */
        }
        g->nrows = PQntuples(g->batch);
        if (g->nrows == 0) {
            g->done = 1;
            /* the snapshot is no longer needed: end the transaction, keep the connection quiet */
            if (prt_pg_exec(g->conn, "CLOSE " CURSOR "; COMMIT", &e) != PRT_OK)
                prt_log(s->job, "source %s: closing the cursor: %s", s->desc->name, e.msg);
        }
    }
    return n;
}

static void pg_close(prt_source *s)
{
    pg_free(s->impl);
    s->impl = NULL;
}

static int pg_position(prt_source *s, prt_buf *b, prt_err *e)
{
    pg_src *g = s->impl;
    prt_pos_writer w;
    prt_pos_begin(&w, b, "postgres");
    int64_t v[1] = { g->delivered };
    prt_pos_put(&w, prt_str_c("rows"), 1, v);
    prt_pos_end(&w);
    return PRT_OK;
}

static int pg_seek(prt_source *s, const void *pos, size_t n, prt_err *e)
{
    pg_src *g = s->impl;
    prt_pos_reader r;
    if (prt_pos_open(&r, pos, n, "postgres", e) != PRT_OK)
        return PRT_ERR;
    prt_str name;
    int64_t v[1];
    int got = prt_pos_next(&r, &name, 1, v, e);
    if (got < 0)
        return PRT_ERR;
    if (got == 0 || !prt_str_eq(name, prt_str_c("rows")) || v[0] < 0)
        return prt_errf(e, "malformed position: expected the number of rows delivered");
    if (g->delivered || g->batch)
        return prt_errf(e, "a postgres source seeks only before its first row");
    int64_t moved;
    if (skip_rows(g, v[0], &moved, e) != PRT_OK)
        return PRT_ERR;
    g->delivered = v[0];
    return PRT_OK;
}

const prt_source_ops prt_src_pg = {
    .connector = "postgres", .open = pg_open, .poll = pg_poll, .close = pg_close,
    .position = pg_position, .seek = pg_seek,
};
