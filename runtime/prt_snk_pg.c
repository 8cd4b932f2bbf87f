/* prt_snk_pg.c — the PostgreSQL sink: each record is a row of a table, written in batches with
 * COPY (one round trip per batch, never per record). docs/postgres.md.
 *
 * Settings under sinks.<name>.postgres.: dsn, table, mode (append | upsert), key (the upsert
 * key's fields, comma-joined), create_table, retry_timeout (default 30s), batch_rows (default
 * 10000). The record's fields and types come from the sink's descriptor (desc->columns); its
 * line is their csv, the format COPY reads. Settings, statements and the table check live in
 * prt_snk_pg_table.c; this file holds the connection, the batches and the commit point.
 *
 * At open the sink connects and checks the table: every field has a column of the same name of
 * a type it can be written to (prt_pg_writable), every other column may be left out (nullable or
 * with a default), and an upsert's key is the table's primary key or a unique index. A missing
 * table is created with create_table: true. Each error is one line naming the column and both
 * types.
 *
 * append writes rows with COPY; upsert copies a batch into a temporary table and merges it
 * (INSERT … SELECT DISTINCT ON (key) … ON CONFLICT (key) DO UPDATE: the last record of a key in a
 * batch wins), so writing a batch again changes nothing: idempotent by key.
 *
 * Without checkpoints and under at_least_once each batch is its own transaction (sent at
 * batch_rows, at every flush of the loop and at prepare). Under exactly_once there is one
 * transaction per checkpoint: batches go into the open transaction, and commit(N) records
 * (pipeline, sink, table, N) in the table pipec_commits (in the target table's schema) inside it and
 * commits it: the rows and the marker become visible together. committed() reads the marker
 * back, so that recovery resumes from the checkpoint whose rows are in the table (N, or N-1
 * when the crash came before commit N: the server rolled back the open transaction).
 *
 * Fencing: at open each copy of the job takes a new epoch in its marker row; commit moves the
 * marker only while the row still holds this copy's epoch, so an older copy (a zombie) stops
 * with "fenced" at its next commit instead of committing rows twice.
 *
 * A lost connection is retried with backoff (prt_pg_connect_retry) for retry_timeout. The sink
 * keeps the rows it has not committed yet, so after a reconnect it sends them again in a new
 * transaction; when a commit's answer was lost it reads the marker to learn whether the commit
 * happened. When the server stays away the job fails with one line; nothing committed is lost
 * or doubled: the restart resumes from the last committed checkpoint.
 *
 * Ownership: the sink owns its connection, its buffered rows and its settings' copies.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prt_ckpt.h"
#include "prt_clock.h"
#include "prt_snk_pg.h"

/* ---------------------------------------------------------------- the connection */

/* What every new connection needs: UTC, the marker table, the upsert's temporary table. */
static int session_setup(prt_pgsnk *ps, prt_err *e)
{
    if (prt_pg_exec(ps->c, "SET TimeZone = 'UTC'", e) != PRT_OK)
        return PRT_ERR;
    if (ps->txn) {
        prt_buf b = { 0 };
        prt_buf_printf(&b, "CREATE TABLE IF NOT EXISTS %s (pipeline text NOT NULL, sink text NOT NULL, "
                       "target text NOT NULL, checkpoint bigint NOT NULL, epoch bigint NOT NULL DEFAULT 0, "
                       "committed_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (pipeline, sink, target))",
                       ps->commits);
        int rc = prt_pg_exec(ps->c, b.p, e);
        prt_buf_free(&b);
        if (rc != PRT_OK)
            return PRT_ERR;
    }
    if (ps->upsert && ps->stage_sql.n && prt_pg_exec(ps->c, ps->stage_sql.p, e) != PRT_OK)
        return PRT_ERR;
    return PRT_OK;
}

static int fail(prt_pgsnk *ps, const char *fmt, const char *why)
{
    prt_log(ps->k->job, fmt, ps->what, why);
    ps->failed = 1;
    return PRT_ERR;
}

/* The connection is gone: connect again with backoff, for retry_timeout. The open transaction,
 * if any, died with the connection: nothing of it is in the table. */
static int reconnect(prt_pgsnk *ps, const char *why)
{
    prt_job *j = ps->k->job;
    prt_log(j, "%s: lost the connection to PostgreSQL (%s); reconnecting for up to %" PRId64 " ms", ps->what, why,
            ps->retry_ms);
    PQfinish(ps->c);
    ps->c = NULL;
    ps->in_txn = 0;
    ps->sent = 0;
    int attempts = 0;
    prt_err e;
    int64_t t0 = prt_mono_ms();
    ps->c = prt_pg_connect_retry(ps->dsn, ps->retry_ms, &j->stop, &attempts, &e);
    if (!ps->c) {
        prt_log(j, "%s: PostgreSQL unreachable for %" PRId64 " ms (%d attempts): %s; stopping (a restart resumes "
                "from the last committed checkpoint)", ps->what, prt_mono_ms() - t0, attempts, e.msg);
        ps->failed = 1;
        return PRT_ERR;
    }
    if (session_setup(ps, &e) != PRT_OK)
        return fail(ps, "%s: after reconnecting: %s", e.msg);
    prt_log(j, "%s: reconnected to PostgreSQL after %d attempt(s)", ps->what, attempts);
    return PRT_OK; /* sent is 0: the rows since the last commit go again, from the start */
}

/* ---------------------------------------------------------------- writing */

/* One COPY of rows[from..] into the table (append) or the staging table, then the merge. On
 * failure e holds the reason; the caller tells a lost connection from a refused row. */
static int copy_batch(prt_pgsnk *ps, size_t from, prt_err *e)
{
    PGresult *r = PQexec(ps->c, ps->copy_sql.p);
    if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
        prt_pg_result_err(ps->c, r, e);
        PQclear(r);
        return PRT_ERR;
    }
    PQclear(r);
    int ok = 1;
    for (size_t at = from; at < ps->rows.n && ok;) {
        size_t n = ps->rows.n - at < (1u << 20) ? ps->rows.n - at : (1u << 20);
        ok = PQputCopyData(ps->c, ps->rows.p + at, (int)n) == 1;
        at += n;
    }
    if (PQputCopyEnd(ps->c, ok ? NULL : "pipec: the batch could not be sent") != 1)
        ok = 0;
    int rc = ok ? PRT_OK : prt_pg_result_err(ps->c, NULL, e);
    while ((r = PQgetResult(ps->c)) != NULL) {
        if (rc == PRT_OK && PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = prt_pg_result_err(ps->c, r, e);
        PQclear(r);
    }
    if (rc == PRT_OK && ps->upsert)
        rc = prt_pg_exec(ps->c, ps->merge_sql.p, e);
    return rc;
}

/* Sends the rows not sent yet: exactly_once into the open transaction (begun here), else as
 * one transaction of their own. A lost connection is retried (rows are kept until committed). */
static int send_rows(prt_pgsnk *ps)
{
    if (ps->failed)
        return PRT_ERR;
    for (;;) {
        if (ps->sent == ps->rows.n) {
            ps->nrows = 0;
            return PRT_OK;
        }
        prt_err e;
        int rc = PRT_OK;
        if (!ps->in_txn || !ps->txn)
            rc = prt_pg_exec(ps->c, "BEGIN", &e);
        if (rc == PRT_OK) {
            ps->in_txn = 1;
            rc = copy_batch(ps, ps->sent, &e);
        }
        if (rc == PRT_OK && !ps->txn) {
            rc = prt_pg_exec(ps->c, "COMMIT", &e);
            if (rc == PRT_OK) {
                ps->in_txn = 0;
                prt_buf_clear(&ps->rows);
                ps->sent = 0;
                ps->nrows = 0;
                return PRT_OK;
            }
        }
        if (rc == PRT_OK) {
            ps->sent = ps->rows.n;
            ps->nrows = 0;
            return PRT_OK;
        }
        if (!prt_pg_lost(ps->c))
            return fail(ps, "%s: cannot write to table: %s", e.msg);
        if (reconnect(ps, e.msg) != PRT_OK)
            return PRT_ERR;
    }
}

static int pgs_write(prt_sink *k, prt_str key, prt_str value, int64_t ts)
{
    prt_pgsnk *ps = k->impl;
    if (ps->failed)
        return PRT_ERR;
    if (value.n == 2 && value.p[0] == '\\' && value.p[1] == '.')
        prt_buf_puts(&ps->rows, "\"\\.\""); /* a line of just \. ends COPY's data: quoted, it is a value */
    else
        prt_buf_put(&ps->rows, value.p, value.n);
    prt_buf_putc(&ps->rows, '\n');
    if (++ps->nrows >= ps->batch_rows)
        return send_rows(ps);
    return PRT_OK;
}

static int pgs_flush(prt_sink *k)
{
    prt_pgsnk *ps = k->impl;
    return ps->nrows || ps->sent != ps->rows.n ? send_rows(ps) : (ps->failed ? PRT_ERR : PRT_OK);
}

static int pgs_prepare(prt_sink *k, int64_t checkpoint)
{
    return pgs_flush(k);
}

/* the marker's value for this sink: 1 with *id, 0 when there is none; PRT_ERR with e */
static int read_marker(prt_pgsnk *ps, int64_t *id, prt_err *e)
{
    prt_buf sql = { 0 };
    prt_buf_printf(&sql, "SELECT checkpoint FROM %s WHERE pipeline = $1 AND sink = $2 AND target = $3", ps->commits);
    const char *params[3] = { ps->k->job->desc->pipeline, ps->k->desc->name, ps->table };
    PGresult *r = prt_pg_query(ps->c, sql.p, 3, params, e);
    prt_buf_free(&sql);
    if (!r)
        return PRT_ERR;
    int found = PQntuples(r) == 1;
    if (found)
        *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return found;
}

/* The marker and COMMIT of checkpoint N, the transaction begun if no row came (the marker still
 * moves). PRT_ERR with e; *sent = 1 once COMMIT went out (its outcome is then unknown on a lost
 * connection). */
static int commit_txn(prt_pgsnk *ps, int64_t checkpoint, int *sent, prt_err *e)
{
    *sent = 0;
    if (!ps->in_txn || ps->sent != ps->rows.n) {
        if (!ps->in_txn && prt_pg_exec(ps->c, "BEGIN", e) != PRT_OK)
            return PRT_ERR;
        ps->in_txn = 1;
        if (ps->sent != ps->rows.n && copy_batch(ps, ps->sent, e) != PRT_OK)
            return PRT_ERR;
        ps->sent = ps->rows.n;
    }
    /* the marker moves only while this copy's epoch is the row's: a copy started later took a
     * newer one at its open, and this one is fenced (the UPDATE waits for a commit of the other
     * copy in flight, then finds no row) */
    prt_buf sql = { 0 };
    prt_buf_printf(&sql, "UPDATE %s SET checkpoint = $3, committed_at = now() "
                   "WHERE pipeline = $1 AND sink = $2 AND epoch = $4 AND target = $5", ps->commits);
    char n[24], ep[24];
    snprintf(n, sizeof n, "%" PRId64, checkpoint);
    snprintf(ep, sizeof ep, "%" PRId64, ps->epoch);
    const char *params[5] = { ps->k->job->desc->pipeline, ps->k->desc->name, n, ep, ps->table };
    PGresult *r = PQexecParams(ps->c, sql.p, 5, NULL, params, NULL, NULL, 0);
    prt_buf_free(&sql);
    int rc = PRT_OK;
    if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
        rc = prt_pg_result_err(ps->c, r, e);
    else if (strcmp(PQcmdTuples(r), "1")) {
        ps->fenced = 1;
        rc = prt_errf(e, "fenced: another copy of this job took over table %s (its marker in %s has a newer epoch "
                      "than this copy's %" PRId64 ")", ps->table, ps->commits, ps->epoch);
    }
    PQclear(r);
    if (rc != PRT_OK)
        return PRT_ERR;
    if (PQtransactionStatus(ps->c) != PQTRANS_INTRANS)
        return prt_errf(e, "the transaction of checkpoint %" PRId64 " failed before its commit", checkpoint);
    if (!PQsendQuery(ps->c, "COMMIT"))
        return prt_pg_result_err(ps->c, NULL, e);
    *sent = 1;
    prt_crash_point("pg-commit-sent"); /* tests: the server may or may not have committed */
    while ((r = PQgetResult(ps->c)) != NULL) {
        if (rc == PRT_OK && (PQresultStatus(r) != PGRES_COMMAND_OK || strcmp(PQcmdStatus(r), "COMMIT")))
            rc = PQresultStatus(r) == PGRES_COMMAND_OK ? prt_errf(e, "the server rolled the transaction back")
                                                       : prt_pg_result_err(ps->c, r, e);
        PQclear(r);
    }
    if (rc == PRT_OK && prt_pg_lost(ps->c))
        rc = prt_pg_result_err(ps->c, NULL, e);
    return rc;
}

static int pgs_commit(prt_sink *k, int64_t checkpoint)
{
    prt_pgsnk *ps = k->impl;
    if (ps->failed)
        return PRT_ERR;
    if (!ps->txn)
        return PRT_OK;
    for (;;) {
        prt_err e;
        int sent = 0;
        if (commit_txn(ps, checkpoint, &sent, &e) == PRT_OK)
            break;
        if (ps->fenced)
            return fail(ps, "%s: %s; stopping", e.msg);
        if (!prt_pg_lost(ps->c))
            return fail(ps, "%s: cannot commit the rows of the checkpoint: %s", e.msg);
        if (reconnect(ps, e.msg) != PRT_OK)
            return PRT_ERR;
        if (sent) { /* did the commit happen before the connection went? the marker says */
            int64_t id = -1;
            int r = read_marker(ps, &id, &e);
            if (r == PRT_ERR)
                return fail(ps, "%s: cannot read which checkpoint was committed last: %s", e.msg);
            if (r == 1 && id == checkpoint)
                break;
        }
    }
    ps->in_txn = 0;
    prt_buf_clear(&ps->rows);
    ps->sent = 0;
    ps->nrows = 0;
    return PRT_OK;
}

static int pgs_abort(prt_sink *k, int64_t checkpoint)
{
    prt_pgsnk *ps = k->impl;
    if (!ps->txn)
        return ps->failed ? PRT_ERR : PRT_OK;
    if (ps->in_txn && !prt_pg_lost(ps->c)) {
        prt_err e;
        if (prt_pg_exec(ps->c, "ROLLBACK", &e) != PRT_OK)
            return fail(ps, "%s: cannot roll back: %s", e.msg);
    }
    ps->in_txn = 0;
    prt_buf_clear(&ps->rows);
    ps->sent = 0;
    ps->nrows = 0;
    return ps->failed ? PRT_ERR : PRT_OK;
}

static int pgs_committed(prt_sink *k, int64_t *id)
{
    prt_pgsnk *ps = k->impl;
    if (!ps->txn)
        return 0;
    for (;;) {
        prt_err e;
        int r = read_marker(ps, id, &e);
        if (r == 0)
            *id = -1;
        if (r != PRT_ERR)
            return 1;
        if (!prt_pg_lost(ps->c)) {
            prt_log(k->job, "%s: cannot read which checkpoint was committed last (table %s): %s", ps->what,
                    ps->commits, e.msg);
            return PRT_ERR;
        }
        if (reconnect(ps, e.msg) != PRT_OK)
            return PRT_ERR;
    }
}

static int pgs_overlap(prt_sink *k)
{
    prt_pgsnk *ps = k->impl;
    return !ps->txn; /* a transaction per checkpoint: completed and committed before the next row */
}

/* ---------------------------------------------------------------- open and close */

/* exactly_once, at open: a new epoch in the marker row (created with checkpoint -1, none
 * committed), which fences every older copy of the job at its next commit */
static int claim_epoch(prt_pgsnk *ps, prt_err *e)
{
    prt_buf sql = { 0 };
    prt_buf_printf(&sql, "INSERT INTO %s AS c (pipeline, sink, target, checkpoint, epoch) VALUES ($1, $2, $3, -1, 1) "
                   "ON CONFLICT (pipeline, sink, target) DO UPDATE SET epoch = c.epoch + 1 RETURNING c.epoch",
                   ps->commits);
    const char *params[3] = { ps->k->job->desc->pipeline, ps->k->desc->name, ps->table };
    PGresult *r = PQexecParams(ps->c, sql.p, 3, NULL, params, NULL, NULL, 0);
    prt_buf_free(&sql);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        prt_pg_result_err(ps->c, r, e);
        PQclear(r);
        return PRT_ERR;
    }
    ps->epoch = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    return PRT_OK;
}

static void pgs_free(prt_pgsnk *ps)
{
    if (ps->c)
        PQfinish(ps->c);
    for (int i = 0; i < ps->ncols; i++)
        free(ps->cols[i].name);
    for (int i = 0; i < ps->nkey; i++)
        free(ps->key[i]);
    free(ps->cols);
    free(ps->key);
    free(ps->dsn);
    free(ps->table);
    free(ps->commits);
    prt_buf_free(&ps->copy_sql);
    prt_buf_free(&ps->merge_sql);
    prt_buf_free(&ps->stage_sql);
    prt_buf_free(&ps->rows);
    free(ps);
}

static int pgs_open(prt_sink *k)
{
    prt_job *j = k->job;
    prt_pgsnk *ps = calloc(1, sizeof *ps);
    prt_assert(ps != NULL);
    ps->k = k;
    snprintf(ps->what, sizeof ps->what, "sink %s", k->desc->name);
    if (prt_pgs_read_settings(ps) != PRT_OK) {
        pgs_free(ps);
        return PRT_ERR;
    }
    prt_err e;
    int attempts = 0;
    /* at start a server that does not answer is an error at once, unless retry_timeout says
     * otherwise: a wrong DSN should not hang the start */
    ps->c = prt_pg_connect_retry(ps->dsn, 0, &j->stop, &attempts, &e);
    if (!ps->c) {
        prt_log(j, "%s: %s", ps->what, e.msg);
        pgs_free(ps);
        return PRT_ERR;
    }
    prt_pgs_build_statements(ps);
    if (prt_pg_exec(ps->c, "SET TimeZone = 'UTC'", &e) != PRT_OK) {
        prt_log(j, "%s: %s", ps->what, e.msg);
        pgs_free(ps);
        return PRT_ERR;
    }
    if (prt_pgs_check_table(ps) != PRT_OK) {
        pgs_free(ps);
        return PRT_ERR;
    }
    if (session_setup(ps, &e) != PRT_OK || (ps->txn && claim_epoch(ps, &e) != PRT_OK)) {
        prt_log(j, "%s: %s", ps->what, e.msg);
        pgs_free(ps);
        return PRT_ERR;
    }
    k->impl = ps;
    return PRT_OK;
}

static void pgs_close(prt_sink *k)
{
    prt_pgsnk *ps = k->impl;
    if (!ps)
        return;
    /* the runtime flushed and committed what it could; an open transaction now holds rows no
     * checkpoint committed: rolled back (a restart writes them again) */
    if (ps->txn && ps->in_txn && !prt_pg_lost(ps->c)) {
        PGresult *r = PQexec(ps->c, "ROLLBACK");
        PQclear(r);
    } else if (!ps->txn && !ps->failed && ps->rows.n)
        send_rows(ps);
    pgs_free(ps);
    k->impl = NULL;
}

const prt_sink_ops prt_snk_pg = {
    .connector = "postgres", .open = pgs_open, .write = pgs_write, .flush = pgs_flush,
    .close = pgs_close, .prepare = pgs_prepare, .commit = pgs_commit, .abort = pgs_abort,
    .committed = pgs_committed, .overlap = pgs_overlap,
};
