/* prt_snap_dump.c — `BINARY savepoint dump DIR [--operator ID]`: the State Processor API's read
 * side. One JSON line per key and window,
 *   {"operator":ID,"key":{...},"window_start":...,"window_end":...,"state":{<aggregate>:value,...}}
 * (running aggregates and global panes have no window fields), read with the field tables the
 * savepoint was written with (so it works across builds), then one line per source:
 *   {"source":NAME,"connector":C,"position":[{"name":N,"values":[...]}...],"watermark":TS}
 * `savepoint check DIR` (prt_snap_check) is dispatched here too.
 * An aggregate's value is what the window would emit now: avg is sum / n; min, max, first and
 * last are null until they saw a value; count_distinct is the count.
 */
#include "prt_durable.h"
#include "prt_distinct.h"
#include "prt_format.h"
#include "prt_fsutil.h"
#include "prt_jobpriv.h"
#include "prt_pos.h"
#include "prt_scalar.h"
#include "prt_snap.h"
#include "prt_snapint.h"
#include "prt_window_snap.h"

#include <stdio.h>
#include <stdlib.h>

#define AT(obj, f, T) ((const T *)((const char *)(obj) + (f)->offset))

static void put_ts_or_inf(prt_buf *b, int64_t ms)
{
    if (ms == INT64_MIN || ms == INT64_MAX) {
        prt_buf_puts(b, ms == INT64_MIN ? "\"-inf\"" : "\"+inf\"");
        return;
    }
    prt_buf_putc(b, '"');
    prt_fmt_ts(b, ms);
    prt_buf_putc(b, '"');
}

static void put_value(prt_buf *b, const prt_field *f, const void *obj);

/* A function's collection: [v, ...] for a set, [{"key": k, "value": v}, ...] for a map. */
static void put_rows(prt_buf *b, const prt_schema *sub, const prt_rows *r)
{
    prt_buf_putc(b, '[');
    for (size_t k = 0; k < r->n; k++) {
        const void *x = prt_rows_at(r, sub, k);
        if (k)
            prt_buf_putc(b, ',');
        if (sub->nfields == 1) {
            put_value(b, &sub->fields[0], x);
            continue;
        }
        prt_buf_putc(b, '{');
        for (uint32_t i = 0; i < sub->nfields; i++) {
            if (i)
                prt_buf_putc(b, ',');
            prt_json_quote(b, prt_str_c(sub->fields[i].name));
            prt_buf_putc(b, ':');
            put_value(b, &sub->fields[i], x);
        }
        prt_buf_putc(b, '}');
    }
    prt_buf_putc(b, ']');
}

/* One value of a key field or an aggregate part, as JSON. */
static void put_value(prt_buf *b, const prt_field *f, const void *obj)
{
    switch (f->store) {
    case PRT_S_STR:
        if (f->type == PRT_V_NONE) { /* bytes (a delayed message's encoding): hex */
            prt_str v = *AT(obj, f, prt_str);
            prt_buf_putc(b, '"');
            for (size_t i = 0; i < v.n; i++)
                prt_buf_printf(b, "%02x", (unsigned char)v.p[i]);
            prt_buf_putc(b, '"');
        } else {
            prt_json_quote(b, *AT(obj, f, prt_str));
        }
        break;
    case PRT_S_OSTR: prt_json_quote(b, prt_ostr_str(AT(obj, f, prt_ostr))); break;
    case PRT_S_F64: prt_fmt_float(b, *AT(obj, f, double)); break;
    case PRT_S_BOOL: prt_buf_puts(b, *AT(obj, f, int) ? "true" : "false"); break;
    case PRT_S_DISTINCT: prt_fmt_int(b, (int64_t)prt_distinct_count(AT(obj, f, prt_distinct))); break;
    case PRT_S_U64: prt_fmt_int(b, (int64_t)*AT(obj, f, uint64_t)); break;
    case PRT_S_ROWS:
        if (f->agg == PRT_AGG_STATE) /* a function's set or map: every entry */
            put_rows(b, f->sub, AT(obj, f, prt_rows));
        else
            prt_fmt_int(b, (int64_t)AT(obj, f, prt_rows)->n);
        break;
    default:
        if (f->type == PRT_V_TIMESTAMP)
            put_ts_or_inf(b, *AT(obj, f, int64_t));
        else
            prt_fmt_int(b, *AT(obj, f, int64_t));
    }
}

/* The part `part` of the aggregate whose first field is fields[i], or NULL. */
static const prt_field *part_of(const prt_schema *s, uint32_t i, int part)
{
    for (uint32_t k = i; k < s->nfields && !strcmp(s->fields[k].name, s->fields[i].name); k++)
        if (s->fields[k].part == part)
            return &s->fields[k];
    return NULL;
}

static void put_state(prt_buf *b, const prt_schema *s, const void *acc)
{
    prt_buf_putc(b, '{');
    for (uint32_t i = 0; i < s->nfields; i++) {
        const prt_field *f = &s->fields[i];
        if (i && !strcmp(s->fields[i - 1].name, f->name))
            continue;
        if (b->p[b->n - 1] != '{')
            prt_buf_putc(b, ',');
        prt_json_quote(b, prt_str_c(f->name));
        prt_buf_putc(b, ':');
        const prt_field *has = part_of(s, i, PRT_P_HAS);
        if (f->agg == PRT_AGG_AVG) {
            const prt_field *sum = part_of(s, i, PRT_P_SUM), *n = part_of(s, i, PRT_P_N);
            int64_t cnt = n ? *AT(acc, n, int64_t) : 0;
            prt_fmt_float(b, cnt && sum ? *AT(acc, sum, double) / (double)cnt : 0.0);
        } else if (has && !*AT(acc, has, int)) {
            prt_buf_puts(b, "null");
        } else {
            put_value(b, part_of(s, i, PRT_P_VALUE) ? part_of(s, i, PRT_P_VALUE) : f, acc);
        }
    }
    prt_buf_putc(b, '}');
}

typedef struct dump_ctx {
    const snap_op *op;
    prt_buf line;
} dump_ctx;

static int dump_window(void *arg, prt_win_state *w, prt_err *e)
{
    dump_ctx *c = arg;
    prt_buf *b = &c->line;
    b->n = 0;
    prt_buf_puts(b, "{\"operator\":");
    prt_json_quote(b, prt_str_c(c->op->id));
    prt_buf_puts(b, ",\"key\":{");
    for (uint32_t i = 0; i < c->op->key->nfields; i++) {
        const prt_field *f = &c->op->key->fields[i];
        if (i)
            prt_buf_putc(b, ',');
        prt_json_quote(b, prt_str_c(f->name));
        prt_buf_putc(b, ':');
        put_value(b, f, w->key);
    }
    prt_buf_putc(b, '}');
    if (c->op->spec.kind != PRT_WIN_RUNNING && c->op->spec.kind != PRT_WIN_GLOBAL) {
        prt_buf_puts(b, ",\"window_start\":");
        put_ts_or_inf(b, w->start);
        prt_buf_puts(b, ",\"window_end\":");
        put_ts_or_inf(b, w->end);
    }
    prt_buf_puts(b, ",\"state\":");
    put_state(b, c->op->acc, w->acc);
    prt_buf_puts(b, "}\n");
    if (fwrite(b->p, 1, b->n, stdout) != b->n)
        return prt_errf(e, "cannot write to stdout");
    return PRT_OK;
}

static int dump_sources(const snap_meta *m, prt_err *e)
{
    prt_buf b = { 0 };
    for (uint64_t i = 0; i < m->nsrcs; i++) {
        const snap_src *s = &m->srcs[i];
        b.n = 0;
        prt_buf_puts(&b, "{\"source\":");
        prt_json_quote(&b, prt_str_c(s->name));
        prt_buf_puts(&b, ",\"connector\":");
        prt_json_quote(&b, prt_str_c(s->connector));
        prt_buf_puts(&b, ",\"position\":");
        if (!s->has_pos) {
            prt_buf_puts(&b, "null,\"no_position\":");
            prt_json_quote(&b, s->pos);
        } else {
            prt_pos_reader r;
            prt_str name;
            int64_t vals[PRT_POS_MAX_VALUES];
            int nvals, rc;
            if (prt_pos_open(&r, s->pos.p, s->pos.n, s->connector, e) != PRT_OK) {
                prt_buf_free(&b);
                return PRT_ERR;
            }
            prt_buf_putc(&b, '[');
            for (int k = 0; (rc = prt_pos_next_any(&r, &name, &nvals, vals, e)) == 1; k++) {
                prt_buf_puts(&b, k ? ",{\"name\":" : "{\"name\":");
                prt_json_quote(&b, name);
                prt_buf_puts(&b, ",\"values\":[");
                for (int v = 0; v < nvals; v++) {
                    if (v)
                        prt_buf_putc(&b, ',');
                    prt_fmt_int(&b, vals[v]);
                }
                prt_buf_puts(&b, "]}");
            }
            if (rc != 0) {
                prt_buf_free(&b);
                return PRT_ERR;
            }
            prt_buf_putc(&b, ']');
        }
        if (s->has_wm) {
            prt_buf_puts(&b, ",\"watermark\":");
            put_ts_or_inf(&b, s->wm);
        }
        prt_buf_puts(&b, "}\n");
        fwrite(b.p, 1, b.n, stdout);
    }
    prt_buf_free(&b);
    return PRT_OK;
}

static int dump(const char *dir, const char *only, prt_err *e)
{
    snap_meta m;
    if (prt_snap_meta_load(dir, &m, e) != PRT_OK)
        return PRT_ERR;
    int rc = PRT_OK, found = !only;
    prt_buf content = { 0 };
    for (uint64_t i = 0; i < m.nops && rc == PRT_OK; i++) {
        if (only && strcmp(only, m.ops[i].id) != 0)
            continue;
        found = 1;
        char *path = prt_path_join(dir, m.ops[i].file);
        uint32_t version;
        rc = prt_durable_load(path, OP_MAGIC, PRT_SNAP_VERSION, &version, &content, e);
        free(path);
        dump_ctx c = { &m.ops[i], { 0 } };
        prt_winop_meta wm;
        if (rc == PRT_OK) {
            prt_err inner;
            rc = prt_winop_snap_each(prt_buf_str(&content), m.ops[i].key, m.ops[i].acc, &wm, dump_window, &c, &inner);
            if (rc != PRT_OK)
                prt_errf(e, "operator %s: %s", m.ops[i].id, inner.msg);
        }
        prt_buf_free(&c.line);
    }
    if (rc == PRT_OK && !found) {
        prt_buf ids = { 0 };
        for (uint64_t i = 0; i < m.nops; i++)
            prt_buf_printf(&ids, "%s%s", i ? ", " : "", m.ops[i].id);
        prt_buf_putc(&ids, 0);
        rc = prt_errf(e, "%s has no operator '%s' (it has: %s)", dir, only, m.nops ? ids.p : "none");
        prt_buf_free(&ids);
    }
    if (rc == PRT_OK && !only)
        rc = dump_sources(&m, e);
    prt_buf_free(&content);
    prt_snap_meta_free(&m);
    return rc;
}

int prt_snap_cli(int argc, char **argv, const char *prog, const prt_job_desc *d)
{
    if (argc >= 3 && strcmp(argv[2], "dump") == 0) {
        const char *dir = NULL, *only = NULL;
        for (int i = 3; i < argc; i++) {
            if (strcmp(argv[i], "--operator") == 0 && i + 1 < argc)
                only = argv[++i];
            else if (!strncmp(argv[i], "--operator=", 11))
                only = argv[i] + 11;
            else if (argv[i][0] != '-' && !dir)
                dir = argv[i];
            else {
                fprintf(stderr, "%s: savepoint dump: unexpected argument '%s'\n", prog, argv[i]);
                return 2;
            }
        }
        if (!dir) {
            fprintf(stderr, "%s: savepoint dump: which savepoint? (savepoint dump DIR [--operator ID])\n", prog);
            return 2;
        }
        prt_err e;
        if (dump(dir, only, &e) != PRT_OK) {
            fflush(stdout);
            fprintf(stderr, "%s: savepoint dump: %s\n", prog, e.msg);
            return 1;
        }
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (argc >= 3 && strcmp(argv[2], "check") == 0) {
        const char *dir = NULL;
        int allow = 0;
        for (int i = 3; i < argc; i++) {
            if (strcmp(argv[i], "--allow-non-restored-state") == 0)
                allow = 1;
            else if (argv[i][0] != '-' && !dir)
                dir = argv[i];
            else {
                fprintf(stderr, "%s: savepoint check: unexpected argument '%s'\n", prog, argv[i]);
                return 2;
            }
        }
        if (!dir) {
            fprintf(stderr, "%s: savepoint check: which savepoint? (savepoint check DIR)\n", prog);
            return 2;
        }
        prt_err e;
        int rc = prt_snap_check(d, dir, allow, &e);
        fflush(stdout);
        if (rc != PRT_OK) {
            fprintf(stderr, "%s: savepoint check: %s\n", prog, e.msg);
            return 1;
        }
        return 0;
    }
    fprintf(stderr, "%s: savepoint: taking a savepoint of a running job needs its admin endpoint; "
                    "use `run --savepoint-on-exit DIR`, or `savepoint dump DIR` to read one\n", prog);
    return 2;
}
