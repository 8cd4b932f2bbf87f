/* prt_snk_pg_table.c — what the PostgreSQL sink writes to: its settings, the statements it runs
 * (COPY in csv; for an upsert a session's staging table and the merge ON CONFLICT), and the
 * target table checked against the record at open, or created (prt_snk_pg.h, docs/postgres.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prt_ckpt.h"
#include "prt_snk_pg.h"

/* ---------------------------------------------------------------- settings */

static char *setting(prt_sink *k, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s%s", k->prefix, name);
    const char *v = prt_cfg(k->job, path);
    if (!v || !*v)
        return NULL;
    char *d = strdup(v);
    prt_assert(d != NULL);
    return d;
}

/* desc->columns: "name type,name type" */
static int parse_columns(prt_pgsnk *ps, const char *spec)
{
    const char *p = spec ? spec : "";
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *sp = memchr(p, ' ', n);
        if (!sp)
            return PRT_ERR;
        ps->cols = realloc(ps->cols, sizeof *ps->cols * (size_t)(ps->ncols + 1));
        prt_assert(ps->cols != NULL);
        pgs_col *c = &ps->cols[ps->ncols++];
        c->name = strndup(p, (size_t)(sp - p));
        prt_assert(c->name != NULL);
        char type[32];
        snprintf(type, sizeof type, "%.*s", (int)(n - (size_t)(sp - p) - 1), sp + 1);
        c->type = prt_pg_vtype(type);
        if (c->type == PRT_V_NONE)
            return PRT_ERR;
        p += n + (comma ? 1 : 0);
    }
    return ps->ncols > 0 ? PRT_OK : PRT_ERR;
}

static const pgs_col *find_col(const prt_pgsnk *ps, const char *name)
{
    for (int i = 0; i < ps->ncols; i++)
        if (!strcmp(ps->cols[i].name, name))
            return &ps->cols[i];
    return NULL;
}

int prt_pgs_read_settings(prt_pgsnk *ps)
{
    prt_sink *k = ps->k;
    prt_job *j = k->job;
    char path[256];
    if (parse_columns(ps, k->desc->columns) != PRT_OK) {
        prt_log(j, "%s: the binary describes no columns for it (rebuild it with this pipec)", ps->what);
        return PRT_ERR;
    }
    ps->dsn = setting(k, "dsn");
    ps->table = setting(k, "table");
    if (!ps->dsn) {
        prt_log(j, "%s: no dsn (setting %sdsn)", ps->what, k->prefix);
        return PRT_ERR;
    }
    if (!ps->table || !prt_pg_table_name_ok(ps->table)) {
        prt_log(j, "%s: invalid table name '%s' (setting %stable): use name or schema.name", ps->what,
                ps->table ? ps->table : "", k->prefix);
        return PRT_ERR;
    }
    const char *dot = strchr(ps->table, '.');
    prt_buf cm = { 0 };
    prt_buf_printf(&cm, "%.*spipec_commits", dot ? (int)(dot - ps->table + 1) : 0, ps->table);
    ps->commits = cm.p;
    char *mode = setting(k, "mode");
    if (mode && strcmp(mode, "append") && strcmp(mode, "upsert")) {
        prt_log(j, "%s: invalid mode '%s' (setting %smode): expected append or upsert", ps->what, mode, k->prefix);
        free(mode);
        return PRT_ERR;
    }
    ps->upsert = mode && !strcmp(mode, "upsert");
    free(mode);
    char *key = setting(k, "key");
    for (char *save = NULL, *f = key ? strtok_r(key, ",", &save) : NULL; f; f = strtok_r(NULL, ",", &save)) {
        if (!find_col(ps, f)) {
            prt_log(j, "%s: key field '%s' is not a field of its records", ps->what, f);
            free(key);
            return PRT_ERR;
        }
        ps->key = realloc(ps->key, sizeof *ps->key * (size_t)(ps->nkey + 1));
        prt_assert(ps->key != NULL);
        ps->key[ps->nkey] = strdup(f);
        prt_assert(ps->key[ps->nkey] != NULL);
        ps->nkey++;
    }
    free(key);
    if (ps->upsert && !ps->nkey) {
        prt_log(j, "%s: mode upsert needs key: the fields that identify a row", ps->what);
        return PRT_ERR;
    }
    if (!ps->upsert && ps->nkey) {
        prt_log(j, "%s: key applies to mode upsert only", ps->what);
        return PRT_ERR;
    }
    snprintf(path, sizeof path, "%screate_table", k->prefix);
    if (prt_cfg_bool(j, path, 0, &ps->create) != PRT_OK)
        return PRT_ERR;
    snprintf(path, sizeof path, "%sretry_timeout", k->prefix);
    if (prt_cfg_dur(j, path, 30000, &ps->retry_ms) != PRT_OK)
        return PRT_ERR;
    snprintf(path, sizeof path, "%sbatch_rows", k->prefix);
    if (prt_cfg_int(j, path, 10000, &ps->batch_rows) != PRT_OK)
        return PRT_ERR;
    if (ps->batch_rows < 1)
        ps->batch_rows = 1;
    ps->txn = prt_ckpt_mode_of(j) == PRT_CKPT_EXACTLY_ONCE;
    return PRT_OK;
}

/* ---------------------------------------------------------------- statements */

/* NUL-terminates b (prt_buf_put does not) without counting the NUL: b->p is then a C string */
static void cstr(prt_buf *b)
{
    prt_buf_putc(b, 0);
    b->n--;
}

static void col_list(prt_buf *b, const prt_pgsnk *ps, const char *prefix)
{
    for (int i = 0; i < ps->ncols; i++) {
        if (i)
            prt_buf_puts(b, ", ");
        prt_buf_puts(b, prefix);
        prt_pg_ident(b, ps->cols[i].name);
    }
}

static void key_list(prt_buf *b, const prt_pgsnk *ps)
{
    for (int i = 0; i < ps->nkey; i++) {
        if (i)
            prt_buf_puts(b, ", ");
        prt_pg_ident(b, ps->key[i]);
    }
}

static int is_key(const prt_pgsnk *ps, const char *name)
{
    for (int i = 0; i < ps->nkey; i++)
        if (!strcmp(ps->key[i], name))
            return 1;
    return 0;
}

/* the temporary table of an upsert's batches: a session's own, named after the sink */
static void stage_name(prt_buf *b, const prt_pgsnk *ps)
{
    prt_buf n = { 0 };
    prt_buf_printf(&n, "pipec_stage_%s", ps->k->desc->name);
    prt_pg_ident(b, n.p);
    prt_buf_free(&n);
}

void prt_pgs_build_statements(prt_pgsnk *ps)
{
    prt_buf *b = &ps->copy_sql;
    prt_buf_puts(b, "COPY ");
    if (ps->upsert)
        stage_name(b, ps);
    else
        prt_buf_puts(b, ps->table);
    prt_buf_puts(b, " (");
    col_list(b, ps, "");
    prt_buf_puts(b, ") FROM STDIN WITH (FORMAT csv");
    int nstr = 0; /* an empty string is written as nothing, which csv reads as NULL otherwise */
    for (int i = 0; i < ps->ncols; i++)
        if (ps->cols[i].type == PRT_V_STRING) {
            prt_buf_puts(b, nstr++ ? ", " : ", FORCE_NOT_NULL (");
            prt_pg_ident(b, ps->cols[i].name);
        }
    prt_buf_puts(b, nstr ? "))" : ")");
    cstr(b);
    if (!ps->upsert)
        return;
    b = &ps->stage_sql;
    prt_buf_puts(b, "CREATE TEMPORARY TABLE IF NOT EXISTS ");
    stage_name(b, ps);
    prt_buf_puts(b, " AS SELECT ");
    col_list(b, ps, "");
    prt_buf_printf(b, " FROM %s WITH NO DATA; ALTER TABLE ", ps->table);
    stage_name(b, ps);
    prt_buf_puts(b, " ADD COLUMN IF NOT EXISTS pipec_seq bigserial");
    cstr(b);
    b = &ps->merge_sql;
    prt_buf_printf(b, "INSERT INTO %s (", ps->table);
    col_list(b, ps, "");
    prt_buf_puts(b, ") SELECT DISTINCT ON (");
    key_list(b, ps);
    prt_buf_puts(b, ") ");
    col_list(b, ps, "");
    prt_buf_puts(b, " FROM ");
    stage_name(b, ps);
    prt_buf_puts(b, " ORDER BY ");
    key_list(b, ps);
    prt_buf_puts(b, ", pipec_seq DESC ON CONFLICT (");
    key_list(b, ps);
    int nset = 0;
    for (int i = 0; i < ps->ncols; i++)
        if (!is_key(ps, ps->cols[i].name)) {
            prt_buf_puts(b, nset++ ? ", " : ") DO UPDATE SET ");
            prt_pg_ident(b, ps->cols[i].name);
            prt_buf_puts(b, " = EXCLUDED.");
            prt_pg_ident(b, ps->cols[i].name);
        }
    if (!nset)
        prt_buf_puts(b, ") DO NOTHING");
    prt_buf_puts(b, "; TRUNCATE ");
    stage_name(b, ps);
    cstr(b);
}

/* ---------------------------------------------------------------- the table */

static int create_table(prt_pgsnk *ps, prt_err *e)
{
    prt_buf b = { 0 };
    prt_buf_printf(&b, "CREATE TABLE IF NOT EXISTS %s (", ps->table);
    for (int i = 0; i < ps->ncols; i++) {
        if (i)
            prt_buf_puts(&b, ", ");
        prt_pg_ident(&b, ps->cols[i].name);
        prt_buf_printf(&b, " %s NOT NULL", prt_pg_create_type(ps->cols[i].type));
    }
    if (ps->upsert) {
        prt_buf_puts(&b, ", PRIMARY KEY (");
        key_list(&b, ps);
        prt_buf_puts(&b, ")");
    }
    prt_buf_puts(&b, ")");
    cstr(&b);
    int rc = prt_pg_exec(ps->c, b.p, e);
    prt_buf_free(&b);
    return rc;
}

/* upsert: a primary key or unique index (without a predicate) on exactly the key columns */
static int has_unique_key(prt_pgsnk *ps, int *yes, prt_err *e)
{
    static const char sql[] =
        "SELECT count(*) FROM pg_index i WHERE i.indrelid = to_regclass($1) AND i.indisunique "
        "AND i.indpred IS NULL AND i.indexprs IS NULL AND i.indnkeyatts = $3::int "
        "AND (SELECT array_agg(a.attname::text ORDER BY a.attname::text) FROM pg_attribute a "
        "     WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])) = "
        "    (SELECT array_agg(x ORDER BY x) FROM unnest(string_to_array($2, ',')) x)";
    prt_buf keys = { 0 };
    for (int i = 0; i < ps->nkey; i++)
        prt_buf_printf(&keys, "%s%s", i ? "," : "", ps->key[i]);
    char n[16];
    snprintf(n, sizeof n, "%d", ps->nkey);
    const char *params[3] = { ps->table, keys.p, n };
    PGresult *r = prt_pg_query(ps->c, sql, 3, params, e);
    prt_buf_free(&keys);
    if (!r)
        return PRT_ERR;
    *yes = atoi(PQgetvalue(r, 0, 0)) > 0;
    PQclear(r);
    return PRT_OK;
}

/* Checks (or creates) the table; PRT_ERR after logging one line. */
int prt_pgs_check_table(prt_pgsnk *ps)
{
    prt_job *j = ps->k->job;
    prt_err e;
    prt_pg_columns tc;
    if (prt_pg_columns_read(ps->c, ps->table, &tc, &e) != PRT_OK) {
        prt_log(j, "%s: cannot read the columns of table %s: %s", ps->what, ps->table, e.msg);
        return PRT_ERR;
    }
    if (!tc.exists) {
        if (!ps->create) {
            prt_log(j, "%s: table %s does not exist in database %s (create it, or set create_table: true)",
                    ps->what, ps->table, PQdb(ps->c));
            return PRT_ERR;
        }
        if (create_table(ps, &e) != PRT_OK || prt_pg_columns_read(ps->c, ps->table, &tc, &e) != PRT_OK) {
            prt_log(j, "%s: cannot create table %s: %s", ps->what, ps->table, e.msg);
            return PRT_ERR;
        }
        prt_log(j, "%s: created table %s", ps->what, ps->table);
    }
    int rc = PRT_OK;
    for (int i = 0; i < ps->ncols && rc == PRT_OK; i++) {
        const pgs_col *f = &ps->cols[i];
        const prt_pg_column *c = prt_pg_column_find(&tc, f->name);
        if (!c) {
            prt_log(j, "%s: table %s has no column %s for the field %s (%s)", ps->what, ps->table, f->name, f->name,
                    prt_vtype_name(f->type));
            rc = PRT_ERR;
        } else if (!prt_pg_writable(f->type, c->typname)) {
            prt_log(j, "%s: column %s of table %s is %s, but the field %s is %s (a %s goes to %s)", ps->what,
                    c->name, ps->table, c->type, f->name, prt_vtype_name(f->type), prt_vtype_name(f->type),
                    prt_pg_writable_hint(f->type));
            rc = PRT_ERR;
        }
    }
    for (int i = 0; i < tc.n && rc == PRT_OK; i++) {
        const prt_pg_column *c = &tc.v[i];
        if (c->not_null && !c->has_default && !find_col(ps, c->name)) {
            prt_log(j, "%s: column %s of table %s is NOT NULL without a default, and the records have no field %s",
                    ps->what, c->name, ps->table, c->name);
            rc = PRT_ERR;
        }
    }
    prt_pg_columns_free(&tc);
    if (rc == PRT_OK && ps->upsert) {
        int yes = 0;
        if (has_unique_key(ps, &yes, &e) != PRT_OK) {
            prt_log(j, "%s: cannot read the keys of table %s: %s", ps->what, ps->table, e.msg);
            return PRT_ERR;
        }
        if (!yes) {
            prt_buf k = { 0 };
            for (int i = 0; i < ps->nkey; i++)
                prt_buf_printf(&k, "%s%s", i ? ", " : "", ps->key[i]);
            prt_log(j, "%s: table %s has no primary key or unique index on (%s): mode upsert needs one", ps->what,
                    ps->table, k.p);
            prt_buf_free(&k);
            return PRT_ERR;
        }
    }
    return rc;
}
