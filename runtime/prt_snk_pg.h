/* prt_snk_pg.h — the PostgreSQL sink's state, shared by its two files: prt_snk_pg.c (connection,
 * batches, transactions, the commit point) and prt_snk_pg_table.c (settings, the SQL it runs, the
 * table checked or created at open). Private to them. docs/postgres.md.
 *
 * Ownership: the sink owns everything in prt_pgsnk (freed by prt_snk_pg.c's close).
 */
#ifndef PRT_SNK_PG_H
#define PRT_SNK_PG_H

#include "prt_connector.h"
#include "prt_pg.h"

typedef struct pgs_col {
    char *name;
    prt_vtype type;
} pgs_col;

typedef struct prt_pgsnk {
    prt_sink *k;
    char what[160];       /* "sink out" */
    char *dsn, *table, *commits; /* commits: the marker table, "schema.pipec_commits" or "pipec_commits" */
    pgs_col *cols;
    int ncols;
    char **key;           /* upsert key fields */
    int nkey;
    int upsert, create, txn;
    int64_t retry_ms, batch_rows;
    PGconn *c;
    prt_buf copy_sql, merge_sql, stage_sql;
    prt_buf rows;         /* csv lines not committed yet (exactly_once: since the last commit) */
    size_t sent;          /* bytes of rows already copied into the open transaction */
    int64_t nrows;        /* lines in rows not sent yet */
    int in_txn;           /* exactly_once: a transaction with our rows is open */
    int64_t epoch;        /* exactly_once: this copy's claim on the marker row (fencing) */
    int fenced;           /* commit found a newer epoch: another copy took over */
    int failed;           /* reported; every later call fails */
} prt_pgsnk;

/* Reads sinks.<name>.postgres.* and the record's columns (desc->columns) into ps; PRT_ERR after
 * one line naming the setting. */
int prt_pgs_read_settings(prt_pgsnk *ps);
/* COPY (into the table, or the staging table of an upsert), the staging table, the merge. */
void prt_pgs_build_statements(prt_pgsnk *ps);
/* Checks the table against the record (or creates it with create_table); PRT_ERR after one line
 * naming the column and both types, the missing table, or the missing unique key. */
int prt_pgs_check_table(prt_pgsnk *ps);

#endif
