/* prt_pg.h — what the PostgreSQL connectors share (prt_snk_pg.c, the source): connecting with
 * one-line errors, reconnecting with backoff, running statements with their errors made one line,
 * quoting, reading a table's columns, and the mapping between pipec types and PostgreSQL types.
 * docs/postgres.md.
 *
 * The connectors talk to the server with libpq, linked statically (scripts/deps.sh builds it
 * without GSSAPI and LDAP). Only the connectors include this header: libpq stays out of the
 * headers generated code sees.
 *
 * Ownership: a PGconn returned here is the caller's (PQfinish); a PGresult too (PQclear).
 * Column lists are the caller's (prt_pg_columns_free).
 */
#ifndef PRT_PG_H
#define PRT_PG_H

#include <libpq-fe.h>

#include "prt_core.h"
#include "prt_schema.h"

/* Connects (blocking), with defaults the DSN may override: connect_timeout=10, TCP keepalives
 * after 30 s idle (10 s apart, 3 probes), tcp_user_timeout=60000, fallback_application_name=pipec.
 * NULL with e = "cannot connect to PostgreSQL (host=… port=… dbname=…): <the
 * first line of libpq's reason>" on failure. The DSN is a libpq conninfo string or URI; the
 * password, if any, is never repeated in a message. */
PGconn *prt_pg_connect(const char *dsn, prt_err *e);

/* Backoff between connection attempts: 100 ms, doubling, at most 5 s. */
int64_t prt_pg_backoff_ms(int attempt);

/* Connects, and on failure tries again with prt_pg_backoff_ms until retry_ms have passed since
 * the first attempt or *stop becomes non-zero. NULL with e (the last reason) when it gives up;
 * *attempts (when not NULL) says how many were made. */
PGconn *prt_pg_connect_retry(const char *dsn, int64_t retry_ms, volatile int *stop, int *attempts, prt_err *e);

/* The connection is gone (CONNECTION_BAD): a reconnect may help, a retry of the statement won't. */
int prt_pg_lost(const PGconn *c);

/* Runs sql (no parameters, no rows expected); PRT_ERR with e = the server's or libpq's reason,
 * one line (primary message, then "DETAIL …" when there is one). */
int prt_pg_exec(PGconn *c, const char *sql, prt_err *e);
/* Runs sql with text parameters and returns its rows (PGRES_TUPLES_OK), or NULL with e. */
PGresult *prt_pg_query(PGconn *c, const char *sql, int nparams, const char *const *params, prt_err *e);
/* e from a failed result (or from the connection when r is NULL); returns PRT_ERR. */
int prt_pg_result_err(PGconn *c, const PGresult *r, prt_err *e);

/* Appends name as a quoted SQL identifier ("a""b"). */
void prt_pg_ident(prt_buf *b, const char *name);

/* A table name as the YAML may write it: an identifier or schema.identifier, each
 * [A-Za-z_][A-Za-z0-9_]*, used in SQL as written (PostgreSQL folds it to lower case). */
int prt_pg_table_name_ok(const char *table);

/* A column of a table, as the catalog describes it. */
typedef struct prt_pg_column {
    char *name;     /* attname */
    char *type;     /* format_type(): "bigint", "character varying(20)", … for messages */
    char *typname;  /* pg_type.typname of the base type: "int8", "varchar", … for the mapping */
    int not_null;   /* attnotnull */
    int has_default;
    int key;        /* part of the primary key */
} prt_pg_column;

typedef struct prt_pg_columns {
    prt_pg_column *v;
    int n;
    int exists;     /* 0: no such table (v is empty) */
} prt_pg_columns;

/* Reads the columns of table (in attnum order), whether it exists, and its primary key. */
int prt_pg_columns_read(PGconn *c, const char *table, prt_pg_columns *out, prt_err *e);
void prt_pg_columns_free(prt_pg_columns *cols);
/* The column named name, or NULL. */
const prt_pg_column *prt_pg_column_find(const prt_pg_columns *cols, const char *name);

/* Type mapping (docs/postgres.md). Writing (a sink): whether a value of pipec type t can be
 * written to a column of base type typname without loss; the column type create_table uses for t.
 * Reading (a source): the pipec type a column of base type typname is read as, PRT_V_NONE when
 * pipec has no type for it. What a pipec type can go to, for messages: "bigint or numeric". */
int prt_pg_writable(prt_vtype t, const char *typname);
const char *prt_pg_create_type(prt_vtype t);
prt_vtype prt_pg_readable(const char *typname);
const char *prt_pg_writable_hint(prt_vtype t);

/* The pipec type named name ("int", "string", …), PRT_V_NONE when unknown. */
prt_vtype prt_pg_vtype(const char *name);

#endif
