/* pc_gen.c — the code generator's driver: record structs, sources, sinks, fan-out between
 * nodes, and the job descriptor; stages are in pc_gen_stage.c and pc_gen_window.c.
 *
 * Output order: header, rows, operator state, prototypes, fan-out, sinks, stages (YAML order),
 * sources, job. Everything is emitted in YAML order, so the same YAML gives the same bytes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "pc_gen_int.h"
#include "pc_version.h"

int pc_gen_node(const pc_pipeline *p, int stage_index) { return p->nsources + stage_index; }

/* Field names that are not usable as C member names: C keywords (C23's and GNU's included) and the
 * object-like macros of the headers a generated file includes. */
static const char *const c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
    "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
    "volatile", "while", "bool", "true", "false", "main", "errno", "stdin", "stdout", "stderr",
    "alignas", "alignof", "constexpr", "nullptr", "static_assert", "thread_local", "typeof",
    "typeof_unqual", "asm",
};

/* A keyword `int` becomes `_int`: declared field names never start with '_' (pc_parse reserves that
 * for metadata, none of which is a keyword), so the result cannot clash with another field. */
const char *pc_gen_cname(pc_gen *g, const char *field)
{
    for (size_t i = 0; i < sizeof c_keywords / sizeof c_keywords[0]; i++)
        if (!strcmp(field, c_keywords[i]))
            return pc_sprintf(g->a, "_%s", field);
    return field;
}

const char *pc_gen_ctype(pc_type t)
{
    switch (t) {
    case PC_T_STRING: return "prt_str";
    case PC_T_INT: return "int64_t";
    case PC_T_FLOAT: return "double";
    case PC_T_BOOL: return "int";
    case PC_T_TIMESTAMP: return "int64_t";
    default: return "int";
    }
}

const char *pc_gen_out_call(pc_gen *g, int node, const char *ptr)
{
    return pc_sprintf(g->a, "pg_%s_out(wk, %s, ts, kh);", pc_node_name(g->p, node), ptr);
}

const char *pc_gen_key_hash(pc_gen *g, const pc_row *row, const int *key_idx, int nkey, const char *src)
{
    pc_sb b = { 0 };
    pc_sb_puts(&b, "kh = PRT_HASH_SEED;\n");
    for (int i = 0; i < nkey; i++) {
        const pc_field *f = &row->fields[key_idx[i]];
        const char *n = pc_gen_cname(g, f->name);
        switch (f->type) {
        case PC_T_STRING: pc_sb_printf(&b, "kh = prt_hash_str(kh, %s%s);\n", src, n); break;
        case PC_T_FLOAT: pc_sb_printf(&b, "kh = prt_hash_f64(kh, %s%s);\n", src, n); break;
        default: pc_sb_printf(&b, "kh = prt_hash_i64(kh, (int64_t)%s%s);\n", src, n);
        }
    }
    pc_sb_puts(&b, "kh = prt_hash_finish(kh);");
    const char *s = pc_sb_arena(&b, g->a);
    pc_sb_free(&b);
    return s;
}

void pc_gen_upstream_wm(pc_gen *g, uint64_t up)
{
    if (g->wm_set && g->wm_up == up)
        return;
    g->wm_set = 1;
    g->wm_up = up;
    int first = 1;
    for (int s = 0; s < g->p->nsources && s < 64; s++) {
        if (!(up & (UINT64_C(1) << s)))
            continue;
        if (first)
            pc_sb_printf(&g->event_time, "w = st->source_wm[%d];\n", s);
        else
            pc_sb_printf(&g->event_time, "if (st->source_wm[%d] < w)\n    w = st->source_wm[%d];\n", s, s);
        first = 0;
    }
    if (first) /* no source upstream */
        pc_sb_puts(&g->event_time, "w = INT64_MAX;\n");
}

void pc_gen_eval(pc_gen *g, int since, const char *where, const char *on_error, const char **init,
                 const char **check)
{
    *init = *check = "";
    if (g->ev_uses == since)
        return;
    pc_sb i = { 0 }, c = { 0 };
    pc_tmpl(g->t, &i, "eval_init", NULL);
    pc_tmpl(g->t, &c, "eval_check", "where", where, "on_error", on_error, NULL);
    *init = pc_sb_arena(&i, g->a);
    *check = pc_sb_arena(&c, g->a);
    pc_sb_free(&i);
    pc_sb_free(&c);
}

const char *pc_gen_lined(pc_gen *g, pc_loc loc, const char *code)
{
    if (!g->o->line_directives || loc.line <= 0)
        return code;
    return pc_sprintf(g->a, "#line %d \"%s\"\n%s\n#line @RESTORE@", loc.line, g->yaml_lit, code);
}

/* Assigns the fields of node's row from same-named fields of row `src` (a pointer) into `o`,
 * with their input text where the row keeps it (pc_gen_text.c). */
const char *pc_gen_row_build(pc_gen *g, const char *src, int node)
{
    const pc_row *to = pc_node_row(g->p, node);
    pc_sb b = { 0 };
    for (int i = 0; i < to->nfields; i++) {
        const char *n = pc_gen_cname(g, to->fields[i].name);
        pc_sb_printf(&b, "o.%s = %s->%s;\n", n, src, n);
        if (pc_gen_text_kept(g, node, i))
            pc_sb_printf(&b, "o.%s_text = %s->%s_text;\n", to->fields[i].name, src, to->fields[i].name);
    }
    if (pc_gen_line_kept(g, node))
        pc_sb_printf(&b, "o._csv_line = %s->_csv_line;\n", src);
    const char *r = pc_sb_arena(&b, g->a);
    pc_sb_free(&b);
    return r;
}

/* The body of a C character literal for c ('\'' and '\\' escaped). */
static const char *char_body(pc_gen *g, char c)
{
    if (c == '\'' || c == '\\')
        return pc_sprintf(g->a, "\\%c", c);
    return pc_sprintf(g->a, "%c", c);
}

static const char *conn_name(pc_conn c)
{
    switch (c) {
    case PC_CONN_KAFKA: return "kafka";
    case PC_CONN_FILE: return "file";
    case PC_CONN_STDIN: return "stdin";
    case PC_CONN_GENERATOR: return "generator";
    case PC_CONN_SOCKET: return "socket";
    case PC_CONN_POSTGRES: return "postgres";
    case PC_CONN_STDOUT: return "stdout";
    }
    return "?";
}

static const char *fmt_name(pc_fmt f)
{
    switch (f) {
    case PC_FMT_KV: return "kv";
    case PC_FMT_CSV: return "csv";
    case PC_FMT_JSON: return "json";
    case PC_FMT_RAW: return "raw";
    }
    return "?";
}

/* ------------------------------------------------------------------ graph order */

static int stage_of_node(const pc_pipeline *p, int node) { return node - p->nsources; }

/* Kahn's algorithm, always taking the lowest ready stage: YAML order whenever it is already
 * topological, and a deterministic order otherwise. */
static void topo_sort(pc_gen *g)
{
    const pc_pipeline *p = g->p;
    int n = p->nstages;
    int *done = pc_alloc(g->a, sizeof(int) * (size_t)(n ? n : 1));
    g->topo = pc_alloc(g->a, sizeof(int) * (size_t)(n ? n : 1));
    g->upstream = pc_alloc(g->a, sizeof(uint64_t) * (size_t)(p->nsources + n + 1));
    for (int i = 0; i < p->nsources; i++)
        g->upstream[i] = UINT64_C(1) << i;
    for (int k = 0; k < n; k++) {
        int pick = -1;
        for (int s = 0; s < n && pick < 0; s++) {
            if (done[s])
                continue;
            int ready = 1;
            for (int i = 0; i < p->stages[s].nin; i++) {
                int in = p->stages[s].in_nodes[i];
                if (!pc_node_is_source(p, in) && !done[stage_of_node(p, in)])
                    ready = 0;
            }
            if (ready)
                pick = s;
        }
        if (pick < 0) { /* a cycle: the checker reports these; keep going deterministically */
            for (int s = 0; s < n; s++)
                if (!done[s]) {
                    pick = s;
                    break;
                }
        }
        done[pick] = 1;
        g->topo[k] = pick;
        uint64_t up = 0;
        for (int i = 0; i < p->stages[pick].nin; i++)
            up |= g->upstream[p->stages[pick].in_nodes[i]];
        g->upstream[pc_gen_node(p, pick)] = up;
    }
}

/* ------------------------------------------------------------------ rows */

/* The members of node's row struct: its fields, each followed by its input text when a csv sink
 * copies that (pc_gen_text.c). */
static const char *row_fields(pc_gen *g, int node)
{
    const pc_row *r = pc_node_row(g->p, node);
    pc_sb b = { 0 };
    for (int i = 0; i < r->nfields; i++) {
        const pc_field *f = &r->fields[i];
        pc_sb_printf(&b, "%s %s;", pc_gen_ctype(f->type), pc_gen_cname(g, f->name));
        if (f->type == PC_T_TIMESTAMP)
            pc_sb_puts(&b, " /* timestamp: ms since the epoch, UTC */");
        else if (f->type == PC_T_BOOL)
            pc_sb_puts(&b, " /* bool */");
        if (f->hidden)
            pc_sb_puts(&b, " /* metadata */");
        pc_sb_puts(&b, "\n");
        if (pc_gen_text_kept(g, node, i) && f->type == PC_T_STRING)
            pc_sb_printf(&b, "prt_str %s_text; /* as read, when csv needs no quotes for it; else { NULL, 0 } */\n",
                         f->name);
        else if (pc_gen_text_kept(g, node, i))
            pc_sb_printf(&b, "prt_str %s_text; /* as read: a csv sink copies it when canonical */\n", f->name);
    }
    if (pc_gen_line_kept(g, node))
        pc_sb_puts(&b, "prt_str _csv_line; /* the line, when it holds no '\"' or '\\r'; else { NULL, 0 } */\n");
    if (!r->nfields)
        pc_sb_puts(&b, "char empty_; /* no fields */\n");
    const char *s = pc_sb_arena(&b, g->a);
    pc_sb_free(&b);
    return s;
}

static int needs_own_row(pc_stage_kind k)
{
    return k != PC_S_FILTER && k != PC_S_KEY_BY;
}

static const char *stage_kind_name(pc_stage_kind k)
{
    switch (k) {
    case PC_S_FILTER: return "filter";
    case PC_S_SET: return "set";
    case PC_S_SELECT: return "select";
    case PC_S_KEY_BY: return "key_by";
    case PC_S_WINDOW: return "window";
    case PC_S_AGGREGATE: return "aggregate";
    case PC_S_UNION: return "union";
    case PC_S_JOIN: return "join";
    case PC_S_PROCESS: return "function";
    }
    return "?";
}

static void gen_rows(pc_gen *g, pc_sb *out)
{
    const pc_pipeline *p = g->p;
    int nn = p->nsources + p->nstages;
    g->ctype = pc_alloc(g->a, sizeof(char *) * (size_t)(nn + 1));
    pc_sb_puts(out, "\n/* ---- records: one struct per shape; strings are borrowed for one record ---- */\n");
    for (int i = 0; i < p->nsources; i++) {
        const pc_source *s = &p->sources[i];
        g->ctype[i] = pc_sprintf(g->a, "pg_%s_row", s->name);
        pc_sb_puts(out, "\n");
        pc_tmpl(g->t, out, "row", "ctype", g->ctype[i],
                "what", pc_sprintf(g->a, "source %s%s%s", s->name, s->schema_name.s ? ": schema " : "",
                                   s->schema_name.s ? s->schema_name.s : ""),
                "fields", row_fields(g, i), NULL);
    }
    for (int k = 0; k < p->nstages; k++) {
        int s = g->topo[k];
        const pc_stage *st = &p->stages[s];
        int node = pc_gen_node(p, s);
        if (!needs_own_row(st->kind) || pc_gen_select_view(g, node)) {
            g->ctype[node] = g->ctype[st->in_nodes[0]];
            continue;
        }
        g->ctype[node] = pc_sprintf(g->a, "pg_%s_row", st->id);
        pc_sb_puts(out, "\n");
        pc_tmpl(g->t, out, "row", "ctype", g->ctype[node],
                "what", pc_sprintf(g->a, "output of stage %s (%s)", st->id, stage_kind_name(st->kind)),
                "fields", row_fields(g, node), NULL);
    }
}

/* ------------------------------------------------------------------ fan-out */

/* A function stage without egress emits no records: it has no fan-out. */
static int node_silent(const pc_pipeline *p, int n)
{
    if (pc_node_is_source(p, n))
        return 0;
    const pc_stage *st = &p->stages[n - p->nsources];
    return st->kind == PC_S_PROCESS && !st->fn->egress.s;
}

static void gen_prototypes(pc_gen *g, pc_sb *out)
{
    const pc_pipeline *p = g->p;
    pc_sb_puts(out, "\n/* ---- every record entry point, so stages can be emitted in YAML order ---- */\n");
    for (int i = 0; i < p->nsources + p->nstages; i++)
        if (!node_silent(p, i))
            pc_sb_printf(out, "static void pg_%s_out(prt_worker *wk, const %s *r, int64_t ts, uint64_t kh);\n",
                     pc_node_name(p, i), g->ctype[i]);
    for (int s = 0; s < p->nstages; s++) {
        const pc_stage *st = &p->stages[s];
        if (st->kind == PC_S_UNION) {
            for (int i = 0; i < st->nin; i++)
                pc_sb_printf(out, "static void pg_%s_push_%s(prt_worker *wk, const %s *r, int64_t ts, uint64_t kh);\n",
                             st->id, pc_node_name(p, st->in_nodes[i]), g->ctype[st->in_nodes[i]]);
        } else if (st->kind == PC_S_JOIN) {
            pc_sb_printf(out, "static void pg_%s_push_left(prt_worker *wk, const %s *r, int64_t ts, uint64_t kh);\n",
                         st->id, g->ctype[st->in_nodes[0]]);
            pc_sb_printf(out, "static void pg_%s_push_right(prt_worker *wk, const %s *r, int64_t ts, uint64_t kh);\n",
                         st->id, g->ctype[st->in_nodes[1]]);
        } else {
            pc_sb_printf(out, "static void pg_%s_push(prt_worker *wk, const %s *r, int64_t ts, uint64_t kh);\n",
                         st->id, g->ctype[st->in_nodes[0]]);
        }
    }
    for (int k = 0; k < p->nsinks; k++) {
        const pc_sink *sk = &p->sinks[k];
        const char *in;
        if (sk->from_node >= 0)
            in = g->ctype[sk->from_node];
        else if (sk->late_from_stage >= 0)
            in = g->ctype[p->stages[sk->late_from_stage].in_nodes[0]];
        else
            continue; /* the errors sink is written by the runtime */
        pc_sb_printf(out, "static void pg_sink_%s_write(prt_worker *wk, const %s *r, int64_t ts, uint64_t kh);\n", sk->name, in);
    }
}

static void gen_fanout(pc_gen *g, pc_sb *out)
{
    const pc_pipeline *p = g->p;
    pc_sb_puts(out, "\n/* ---- fan-out: where each node's records go ---- */\n");
    for (int n = 0; n < p->nsources + p->nstages; n++) {
        if (node_silent(p, n))
            continue;
        const char *name = pc_node_name(p, n);
        pc_sb calls = { 0 };
        for (int s = 0; s < p->nstages; s++) {
            const pc_stage *st = &p->stages[s];
            for (int i = 0; i < st->nin; i++) {
                if (st->in_nodes[i] != n)
                    continue;
                if (st->kind == PC_S_UNION)
                    pc_sb_printf(&calls, "pg_%s_push_%s(wk, r, ts, kh);\n", st->id, name);
                else if (st->kind == PC_S_JOIN)
                    pc_sb_printf(&calls, "pg_%s_push_%s(wk, r, ts, kh);\n", st->id, i == 0 ? "left" : "right");
                else
                    pc_sb_printf(&calls, "pg_%s_push(wk, r, ts, kh);\n", st->id);
            }
        }
        for (int k = 0; k < p->nsinks; k++)
            if (p->sinks[k].from_node == n)
                pc_sb_printf(&calls, "pg_sink_%s_write(wk, r, ts, kh);\n", p->sinks[k].name);
        if (!calls.n)
            pc_sb_puts(&calls, "/* nothing consumes this node's records */\n");
        pc_sb_puts(out, "\n");
        pc_tmpl(g->t, out, "fanout", "name", name, "ctype", g->ctype[n], "node", pc_sprintf(g->a, "%d", n),
                "tap", pc_gen_test_tap(g, n), "calls", pc_sb_arena(&calls, g->a), NULL);
        pc_sb_free(&calls);
    }
}

/* ------------------------------------------------------------------ sinks */

static const char *out_format(pc_fmt f)
{
    switch (f) {
    case PC_FMT_CSV: return "PRT_OUT_CSV";
    case PC_FMT_KV: return "PRT_OUT_KV";
    default: return "PRT_OUT_JSON";
    }
}

static const char *writer_call(pc_type t)
{
    switch (t) {
    case PC_T_STRING: return "prt_w_str";
    case PC_T_INT: return "prt_w_int";
    case PC_T_FLOAT: return "prt_w_float";
    case PC_T_BOOL: return "prt_w_bool";
    case PC_T_TIMESTAMP: return "prt_w_ts";
    default: return "prt_w_int";
    }
}

/* The prt_w_close and prt_w_open calls that go from the objects open now (path prefix `open`,
 * "" or "a.b.") to those of the first `pre` bytes of `path` ("data." of "data.cart_id"). */
static void json_nest(pc_sb *b, const char *open, const char *path, size_t pre)
{
    size_t keep = 0; /* the open objects that stay: a common prefix of whole parts */
    for (size_t i = 0; open[i] && i < pre && open[i] == path[i]; i++)
        if (open[i] == '.')
            keep = i + 1;
    for (size_t i = strlen(open); i > keep; i--)
        if (open[i - 1] == '.')
            pc_sb_puts(b, "prt_w_close(&w);\n");
    for (size_t i = keep, start = keep; i < pre; i++)
        if (path[i] == '.') {
            pc_sb_printf(b, "prt_w_open(&w, \"%.*s\");\n", (int)(i - start), path + start);
            start = i + 1;
        }
}

/* The record a sink receives: its from node's, or the input of the stage whose late output it
 * is; NULL for a sink nothing feeds. */
static const pc_row *sink_row(const pc_pipeline *p, const pc_sink *sk)
{
    if (sk->from_node >= 0)
        return pc_node_row(p, sk->from_node);
    if (sk->late_from_stage >= 0)
        return &p->stages[sk->late_from_stage].in_row;
    return NULL;
}

static void gen_sinks(pc_gen *g, pc_sb *out)
{
    const pc_pipeline *p = g->p;
    for (int k = 0; k < p->nsinks; k++) {
        const pc_sink *sk = &p->sinks[k];
        const pc_row *row;
        const char *in, *what;
        if (sk->from_node >= 0) {
            row = pc_node_row(p, sk->from_node);
            in = g->ctype[sk->from_node];
            what = pc_sprintf(g->a, "%s %s from %s", conn_name(sk->conn), fmt_name(sk->format.kind),
                              pc_node_name(p, sk->from_node));
        } else if (sk->late_from_stage >= 0) {
            const pc_stage *st = &p->stages[sk->late_from_stage];
            row = &st->in_row;
            in = g->ctype[st->in_nodes[0]];
            what = pc_sprintf(g->a, "%s %s, late records of %s", conn_name(sk->conn),
                              fmt_name(sk->format.kind), st->id);
        } else {
            continue;
        }
        pc_sb fields = { 0 }, key = { 0 }, header = { 0 };
        const char *delim = char_body(g, sk->format.csv_delim ? sk->format.csv_delim : ',');
        if (sk->format.kind == PC_FMT_CSV && sk->format.csv_header && !g->o->test) {
            pc_sb columns = { 0 };
            for (int i = 0; i < row->nfields; i++)
                if (!row->fields[i].hidden)
                    pc_sb_printf(&columns, "prt_w_str(&w, NULL, PRT_STR_LIT(\"%s\"));\n", row->fields[i].name);
            pc_tmpl(g->t, &header, "sink_csv_header", "name", sk->name, "index", pc_sprintf(g->a, "%d", k),
                    "delim", delim, "columns", pc_sb_arena(&columns, g->a), NULL);
            pc_sb_free(&columns);
            pc_sb_printf(&g->state, "int header_%s; /* sink %s: csv header written */\n", sk->name, sk->name);
        }
        /* a function's egress follows its schema's paths in JSON (CloudEvents' data.*): objects
         * open and close between adjacent fields as their paths' prefixes change (not in a
         * pipec test build: it compares records field by field, by name) */
        int nest = sk->format.kind == PC_FMT_JSON && !g->o->test && sk->from_node >= p->nsources &&
                   p->stages[sk->from_node - p->nsources].kind == PC_S_PROCESS;
        const char *open = "";  /* the path prefix of the objects open now, "" or "a.b." */
        for (int i = 0; i < row->nfields; i++) {
            const pc_field *f = &row->fields[i];
            if (f->hidden)
                continue;
            const char *path = nest && f->path ? f->path : f->name;
            const char *leaf = strrchr(path, '.') ? strrchr(path, '.') + 1 : path;
            size_t pre = (size_t)(leaf - path); /* "data." for data.cart_id */
            json_nest(&fields, open, path, pre);
            open = pc_sprintf(g->a, "%.*s", (int)pre, path);
            if (pc_gen_text_written(g, sk, i)) /* its input text, when that is what the writer writes */
                pc_sb_printf(&fields, "%s_%s(&w, \"%s\", r->%s, r->%s_text);\n", writer_call(f->type),
                             f->type == PC_T_STRING ? "text" : "canon", leaf, pc_gen_cname(g, f->name), f->name);
            else
                pc_sb_printf(&fields, "%s(&w, \"%s\", r->%s);\n", writer_call(f->type), leaf, pc_gen_cname(g, f->name));
        }
        json_nest(&fields, open, "", 0);
        if (pc_gen_line_written(g, sk)) { /* the fields, joined as they were read: the line itself */
            const char *lines = pc_sb_arena(&fields, g->a); /* empties fields */
            /* the line when every field's text is canonical (what the writer would write) */
            pc_sb_puts(&fields, "/* every field as read, and canonical: the line itself */\nif (r->_csv_line.p");
            size_t col = 19;
            for (int i = 0; i < row->nfields; i++) {
                const pc_field *f = &row->fields[i];
                if (f->hidden)
                    continue;
                const char *t = pc_sprintf(g->a, "r->%s_text.p", f->name);
                if (col + strlen(t) > 96) { /* wrapped like hand-written C */
                    pc_sb_puts(&fields, " &&\n    ");
                    col = 4;
                } else {
                    pc_sb_puts(&fields, " && ");
                    col += 4;
                }
                pc_sb_puts(&fields, t);
                col += strlen(t);
            }
            pc_sb_puts(&fields, ") {\n    prt_w_csv_text(&w, r->_csv_line);\n} else {\n");
            for (const char *l = lines; *l;) {
                const char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t)(nl - l) : strlen(l);
                pc_sb_printf(&fields, "    %.*s\n", (int)len, l);
                l += len + (nl != NULL);
            }
            pc_sb_puts(&fields, "}\n");
        }
        if (sk->key) {
            int since = g->ev_uses;
            const char *kx = pc_gen_expr_as(g, sk->key, PC_T_STRING, "r", NULL), *init, *check;
            pc_gen_eval(g, since, pc_sprintf(g->a, "sink %s key", sk->name), "return;", &init, &check);
            pc_tmpl(g->t, &key, "sink_key", "eval_init", init,
                    "key", pc_gen_lined(g, sk->key->loc, pc_sprintf(g->a, "key = %s;", kx)), "eval_check", check, NULL);
        }
        pc_sb_puts(out, "\n");
        pc_tmpl(g->t, out, "sink", "name", sk->name, "index", pc_sprintf(g->a, "%d", k), "what", what,
                "in_type", in, "key", pc_sb_arena(&key, g->a), "header", pc_sb_arena(&header, g->a),
                "format", out_format(g->o->test ? PC_FMT_JSON : sk->format.kind), "delim", delim, "fields", pc_sb_arena(&fields, g->a), NULL);
        pc_sb_free(&header);
        pc_sb_free(&fields);
        pc_sb_free(&key);
    }
}

/* ------------------------------------------------------------------ sources */

static const char *parse_fn(pc_type t)
{
    switch (t) {
    case PC_T_INT: return "prt_parse_int";
    case PC_T_FLOAT: return "prt_parse_float";
    case PC_T_BOOL: return "prt_parse_bool";
    case PC_T_TIMESTAMP: return "prt_parse_ts";
    default: return NULL;
    }
}

/* The kv parser's try of the exact line (source_kv.c.tmpl, prt_kv.h): one statement a field,
 * its pair `name=value` in schema order, the last one to the line's end. A name holding a byte
 * that prt_kv_next would split or trim on (',', '=', a byte up to ' '; field names are
 * identifiers, so this is a guard), or no field at all: no try. */
static const char *kv_exact_pairs(pc_gen *g, const pc_row *row, int nvis)
{
    for (int i = 0; i < nvis; i++)
        for (const char *c = row->fields[i].name; *c; c++)
            if ((unsigned char)*c <= ' ' || *c == ',' || *c == '=')
                return "exact = 0; /* a name no key compare can match */";
    if (nvis < 1)
        return "exact = 0; /* no fields */";
    pc_sb b = { 0 };
    for (int i = 0; i < nvis; i++) {
        const char *name = row->fields[i].name;
        if (i < nvis - 1)
            pc_sb_puts(&b, "exact = exact && (c = prt_kv_pop(&w0, &w1)) >= 0 && prt_kv_take(&b, raw->data.p + c, \"");
        else
            pc_sb_puts(&b, "exact = exact && !(w0 | w1) && prt_kv_take(&b, le, \"");
        pc_sb_cstr(&b, name, strlen(name));
        pc_sb_printf(&b, "=\", %zu, &v[%d]);\n", strlen(name) + 1, i);
    }
    const char *out = pc_sb_arena(&b, g->a);
    pc_sb_free(&b);
    return out;
}

/* The parse step of a source's format (source_<format>.c.tmpl) and, for formats that look fields
 * up, the lookup it uses (source_fields.c.tmpl by name, source_paths.c.tmpl by JSON path). */
static void gen_source_format(pc_gen *g, const pc_source *s, int nvis, pc_sb *lookup, pc_sb *parse)
{
    const pc_row *row = &s->row;
    const char *n = pc_sprintf(g->a, "%d", nvis);
    const char *delim = char_body(g, s->format.csv_delim ? s->format.csv_delim : ',');
    int by_name = s->format.kind == PC_FMT_KV || (s->format.kind == PC_FMT_CSV && s->format.csv_header);
    pc_sb list = { 0 };
    if (by_name) {
        /* one case per name length, ascending; within it the fields in schema order */
        size_t len = 0;
        for (;;) {
            size_t next = 0;
            for (int i = 0; i < nvis; i++) {
                size_t fl = strlen(row->fields[i].name);
                if (fl > len && (!next || fl < next))
                    next = fl;
            }
            if (!next)
                break;
            len = next;
            pc_sb_printf(&list, "case %zu:\n", len);
            for (int i = 0; i < nvis; i++)
                if (strlen(row->fields[i].name) == len)
                    pc_sb_printf(&list, "    if (memcmp(k.p, \"%s\", %zu) == 0)\n        return %d;\n",
                                 row->fields[i].name, len, i);
            pc_sb_puts(&list, "    break;\n");
        }
        pc_tmpl(g->t, lookup, "source_fields", "name", s->name, "field_cases", pc_sb_arena(&list, g->a), NULL);
    } else if (s->format.kind == PC_FMT_JSON) {
        for (int i = 0; i < nvis; i++) { /* a path may hold any character: escaped */
            const char *path = row->fields[i].path ? row->fields[i].path : row->fields[i].name;
            pc_sb_puts(&list, "\"");
            pc_sb_cstr(&list, path, strlen(path));
            pc_sb_puts(&list, "\",\n");
        }
        pc_tmpl(g->t, lookup, "source_paths", "name", s->name, "paths", pc_sb_arena(&list, g->a), NULL);
    }
    pc_sb_free(&list);
    int plain = 0; /* a string goes back out as its text: the split says whether the line is plain */
    int si = (int)(s - g->p->sources);
    for (int i = 0; i < nvis; i++)
        plain |= row->fields[i].type == PC_T_STRING && pc_gen_text_kept(g, si, i);
    plain |= pc_gen_line_kept(g, si); /* the line goes back out as it is */
    const char *plain_decl = plain ? "int plain; /* no '\"' or '\\r' in the line: strings go back out as read */" : "";
    const char *plain_arg = plain ? "&plain" : "NULL";
    switch (s->format.kind) {
    case PC_FMT_KV: {
        const char *all = nvis == 64 ? "UINT64_MAX" : pc_sprintf(g->a, "(UINT64_C(1) << %d) - 1", nvis);
        pc_tmpl(g->t, parse, "source_kv", "name", s->name, "exact_pairs", kv_exact_pairs(g, row, nvis),
                "all_seen", all, NULL);
        break;
    }
    case PC_FMT_CSV:
        if (s->format.csv_header) {
            pc_sb_printf(&g->state, "int8_t cols_%s[64]; /* source %s: csv column -> field, from the header */\n",
                         s->name, s->name);
            pc_tmpl(g->t, parse, "source_csv_header", "name", s->name, "delim", delim, "plain_decl", plain_decl,
                    "plain", plain_arg, NULL);
        } else {
            const char *all = nvis == 64 ? "UINT64_MAX" : pc_sprintf(g->a, "(UINT64_C(1) << %d) - 1", nvis);
            pc_tmpl(g->t, parse, "source_csv", "delim", delim, "nfields", n, "all_seen", all,
                    "plain_decl", plain_decl, "plain", plain_arg, NULL);
        }
        break;
    case PC_FMT_JSON:
        pc_tmpl(g->t, parse, "source_json", "name", s->name, "nfields", n, NULL);
        break;
    case PC_FMT_RAW:
        pc_tmpl(g->t, parse, "source_raw", NULL);
        break;
    }
}

static void gen_source(pc_gen *g, pc_sb *out, int si)
{
    const pc_source *s = &g->p->sources[si];
    const pc_row *row = &s->row;
    int nvis = 0; /* schema fields come first, metadata after; 1..PC_MAX_SOURCE_FIELDS (pc_check) */
    while (nvis < row->nfields && !row->fields[nvis].hidden)
        nvis++;
    pc_sb conv = { 0 }, lookup = { 0 }, parse = { 0 }, hidden = { 0 }, texts = { 0 };
    for (int i = 0; i < nvis; i++) {
        const pc_field *f = &row->fields[i];
        const char *cn = pc_gen_cname(g, f->name);
        if (f->dflt) {
            pc_sb_printf(&conv, "if (!(seen & (UINT64_C(1) << %d)))\n    v[%d] = ", i, i);
            pc_sb_printf(&conv, "%s; /* default */\n", pc_gen_str_lit(g, f->dflt, strlen(f->dflt)));
        } else {
            pc_sb_printf(&conv, "if (!(seen & (UINT64_C(1) << %d)))\n    return prt_errf(e, \"missing field '%s'\");\n",
                         i, f->name);
        }
        if (f->type == PC_T_STRING)
            pc_sb_printf(&conv, "r->%s = v[%d];\n", cn, i);
        else if (f->type == PC_T_INT && pc_gen_text_kept(g, si, i)) /* its text kept when canonical */
            pc_sb_printf(&conv, "if (prt_parse_int_text%s(v[%d], in, &r->%s, &r->%s_text) != PRT_OK)\n"
                         "    return prt_field_err(e, \"%s\", \"%s\", v[%d]);\n",
                         pc_gen_value_unread(g, si, i) ? "_lazy" : "", i, cn, f->name, f->name,
                         pc_type_name(f->type), i);
        else if (f->type == PC_T_TIMESTAMP && pc_gen_text_kept(g, si, i)) /* its text kept when canonical */
            pc_sb_printf(&conv, "if (prt_parse_ts_text(v[%d], &r->%s, &r->%s_text) != PRT_OK)\n"
                         "    return prt_field_err(e, \"%s\", \"%s\", v[%d]);\n",
                         i, cn, f->name, f->name, pc_type_name(f->type), i);
        else if (f->type == PC_T_INT) /* digits read 8 at a time when they lie inside the record */
            pc_sb_printf(&conv, "if (prt_parse_int_in(v[%d], in, &r->%s) != PRT_OK)\n    return prt_field_err(e, \"%s\", \"%s\", v[%d]);\n",
                         i, cn, f->name, pc_type_name(f->type), i);
        else
            pc_sb_printf(&conv, "if (%s(v[%d], &r->%s) != PRT_OK)\n    return prt_field_err(e, \"%s\", \"%s\", v[%d]);\n",
                         parse_fn(f->type), i, cn, f->name, pc_type_name(f->type), i);
    }
    gen_source_format(g, s, nvis, &lookup, &parse);
    for (int i = 0; i < nvis; i++) {
        const pc_field *f = &row->fields[i];
        if (!pc_gen_text_kept(g, si, i))
            continue;
        if (f->type == PC_T_STRING)
            pc_sb_printf(&texts, "r.%s_text = prt_csv_str_text(v[%d], plain);\n", f->name, i);
        /* ints and timestamps: set by convert, when canonical (prt_parse_int_text, _ts_text) */
    }
    if (pc_gen_line_kept(g, si)) {
        pc_sb_puts(&texts, "r._csv_line = plain ? raw->data : (prt_str){ NULL, 0 };\n");
    }

    for (int i = nvis; i < row->nfields; i++) {
        const char *n = row->fields[i].name;
        const char *val = !strcmp(n, "_key") ? "raw->key"
                        : !strcmp(n, "_timestamp") ? "raw->timestamp"
                        : !strcmp(n, "_partition") ? "(int64_t)raw->partition"
                        : (!strcmp(n, "_offset") || !strcmp(n, "_line")) ? "raw->offset"
                        : "prt_str_c(raw->origin)"; /* _topic, _file */
        if (pc_gen_hidden_unread(g, si, n)) /* set all the same: rows are copied whole */
            val = row->fields[i].type == PC_T_STRING ? "(prt_str){ NULL, 0 } /* nothing reads it */" : "0 /* nothing reads it */";
        pc_sb_printf(&hidden, "r.%s = %s;\n", n, val);
    }
    const char *et = s->event_time >= 0
        ? pc_sprintf(g->a, "r.%s", pc_gen_cname(g, row->fields[s->event_time].name)) : "PRT_NO_TS";
    const char *fmt = s->format.kind == PC_FMT_CSV && s->format.csv_header ? "csv with header" : fmt_name(s->format.kind);

    pc_sb_puts(out, "\n");
    pc_tmpl(g->t, out, "source", "name", s->name, "ctype", g->ctype[si],
            "format", pc_sprintf(g->a, "%s, %s", conn_name(s->conn), fmt),
            "lookup", pc_sb_arena(&lookup, g->a), "convert", pc_sb_arena(&conv, g->a),
            "nfields", pc_sprintf(g->a, "%d", nvis), "parse", pc_sb_arena(&parse, g->a),
            "texts", pc_sb_arena(&texts, g->a),
            "hidden", pc_sb_arena(&hidden, g->a), "event_time", et,
            "push", pc_sprintf(g->a, "pg_%s_out(wk, &r, *ts, 0);", s->name), NULL);
    pc_sb_free(&conv);
    pc_sb_free(&lookup);
    pc_sb_free(&parse);
    pc_sb_free(&hidden);
    pc_sb_free(&texts);
}

/* ------------------------------------------------------------------ the job */

/* The source's row holds the metadata field `name`. */
static int source_has(const pc_source *s, const char *name)
{
    for (int k = 0; k < s->row.nfields; k++)
        if (s->row.fields[k].hidden && !strcmp(s->row.fields[k].name, name))
            return 1;
    return 0;
}

static const char *sha256_hex(pc_gen *g, const char *text, size_t n)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(text, n, md, &len, EVP_sha256(), NULL))
        return "unknown";
    char *hex = pc_alloc(g->a, 2 * len + 1);
    for (unsigned i = 0; i < len; i++)
        sprintf(hex + 2 * i, "%02x", md[i]);
    return hex;
}

static const char *yaml_literal(pc_gen *g)
{
    pc_sb b = { 0 };
    const char *t = g->p->text;
    size_t n = g->p->text_len;
    if (!n)
        pc_sb_puts(&b, "\"\"");
    for (size_t i = 0; i < n;) {
        size_t e = i;
        while (e < n && t[e] != '\n')
            e++;
        if (e < n)
            e++; /* keep the newline */
        if (i)
            pc_sb_puts(&b, "\n");
        pc_sb_puts(&b, "\"");
        pc_sb_cstr(&b, t + i, e - i);
        pc_sb_puts(&b, "\"");
        i = e;
    }
    const char *s = pc_sb_arena(&b, g->a);
    pc_sb_free(&b);
    return s;
}

/* "30s", "5m", "250ms": a duration as people write it. */
static const char *dur_text(pc_gen *g, int64_t ms)
{
    static const struct { int64_t ms; const char *unit; } units[] = {
        { 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" } };
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (ms && ms % units[i].ms == 0)
            return pc_sprintf(g->a, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
    return pc_sprintf(g->a, "%lldms", (long long)ms);
}

/* A stage described in a few words for the admin page's graph. */
static const char *stage_what(pc_gen *g, const pc_stage *st)
{
    const pc_window *w = &st->win;
    pc_sb b = { 0 };
    if (st->kind == PC_S_KEY_BY)
        for (int i = 0; i < st->nkeys; i++)
            pc_sb_printf(&b, "%s%s", i ? ", " : "", st->keys[i].s);
    else if (st->kind == PC_S_WINDOW || st->kind == PC_S_JOIN) {
        switch (w->kind) {
        case PC_W_TUMBLING: pc_sb_printf(&b, "tumbling %s", dur_text(g, w->size)); break;
        case PC_W_SLIDING: pc_sb_printf(&b, "sliding %s/%s", dur_text(g, w->size), dur_text(g, w->slide)); break;
        case PC_W_SESSION: pc_sb_printf(&b, "session %s", dur_text(g, w->gap)); break;
        case PC_W_GLOBAL: pc_sb_printf(&b, "global, every %lld", (long long)w->count); break;
        }
    } else if (st->kind == PC_S_AGGREGATE)
        pc_sb_puts(&b, "running");
    const char *s = pc_sb_arena(&b, g->a);
    pc_sb_free(&b);
    return s ? s : "";
}

/* The operator graph for the admin endpoint (prt_node_desc): sources, stages, sinks. */
static void gen_nodes(pc_gen *g, pc_sb *nodes)
{
    const pc_pipeline *p = g->p;
    for (int i = 0; i < p->nsources; i++) {
        const pc_source *s = &p->sources[i];
        pc_sb_printf(nodes, "{ \"%s\", \"source\", \"%s, %s\", \"\", NULL },\n", s->name,
                     s->conn == PC_CONN_GENERATOR && s->generator ? s->generator : conn_name(s->conn),
                     fmt_name(s->format.kind));
    }
    for (int k = 0; k < p->nstages; k++) {
        const pc_stage *st = &p->stages[k];
        pc_sb_printf(nodes, "{ \"%s\", \"%s\", \"", st->id, stage_kind_name(st->kind));
        const char *what = stage_what(g, st);
        pc_sb_cstr(nodes, what, strlen(what));
        pc_sb_puts(nodes, "\", \"");
        for (int i = 0; i < st->nin; i++)
            pc_sb_printf(nodes, "%s%s", i ? "," : "", pc_node_name(p, st->in_nodes[i]));
        pc_sb_puts(nodes, "\", NULL },\n");
    }
    for (int k = 0; k < p->nsinks; k++) {
        const pc_sink *sk = &p->sinks[k];
        pc_sb_printf(nodes, "{ \"%s\", \"sink\", \"%s%s, %s\", \"%s\", ", sk->name, sk->is_errors ? "errors: " : "",
                     conn_name(sk->conn), fmt_name(sk->format.kind),
                     sk->from_node >= 0 ? pc_node_name(p, sk->from_node) : "");
        if (sk->late_from_stage >= 0)
            pc_sb_printf(nodes, "\"%s\" },\n", p->stages[sk->late_from_stage].id);
        else
            pc_sb_puts(nodes, "NULL },\n");
    }
}

/* A job hook's code with the locals it uses declared first, or `idle` when there is no code, so
 * a hook with nothing to do says so rather than declaring unused variables. */
static const char *hook_body(pc_gen *g, pc_sb *code, const char *locals, const char *idle)
{
    if (!code->n)
        return idle;
    return pc_sprintf(g->a, "%s%s", locals, pc_sb_arena(code, g->a));
}

static void gen_main(pc_gen *g, pc_sb *out)
{
    const pc_pipeline *p = g->p;
    pc_sb settings = { 0 }, sources = { 0 }, sinks = { 0 }, nodes = { 0 };
    gen_nodes(g, &nodes);
    for (int i = 0; i < p->nsettings; i++) {
        const pc_setting *s = &p->settings[i];
        pc_sb_puts(&settings, "{ \"");
        pc_sb_cstr(&settings, s->path, strlen(s->path));
        pc_sb_puts(&settings, "\", \"");
        pc_sb_cstr(&settings, s->value, strlen(s->value));
        pc_sb_printf(&settings, "\", %d, %d },\n", s->loc.line, s->loc.col);
    }
    if (!p->nsettings)
        pc_sb_puts(&settings, "{ 0 }, /* none */");
    uint64_t no_ts = 0; /* sources whose _timestamp nothing reads (pc_gen_meta.c) */
    for (int i = 0; i < p->nsources; i++) {
        const pc_source *s = &p->sources[i];
        pc_sb_printf(&sources, "{ \"%s\", \"%s\", \"%s\", %d, pg_%s_on_record", s->name,
                     conn_name(s->conn), fmt_name(s->format.kind), s->event_time >= 0, s->name);
        if (s->conn == PC_CONN_POSTGRES) { /* the columns it reads, for its type check at start */
            pc_sb_puts(&sources, ", \"");
            for (int k = 0; k < s->row.nfields; k++)
                if (!s->row.fields[k].hidden)
                    pc_sb_printf(&sources, "%s%s %s", k ? "," : "", s->row.fields[k].name,
                                 pc_type_name(s->row.fields[k].type));
            pc_sb_puts(&sources, "\" },\n");
        } else
            pc_sb_puts(&sources, ", NULL },\n");
        if (source_has(s, "_timestamp") && pc_gen_hidden_unread(g, i, "_timestamp"))
            no_ts |= UINT64_C(1) << i;
    }
    int errors_sink = -1;
    for (int k = 0; k < p->nsinks; k++) {
        const pc_sink *sk = &p->sinks[k];
        if (sk->is_errors)
            errors_sink = k;
        if (sk->conn == PC_CONN_POSTGRES) { /* the columns its csv lines hold, for the table */
            const pc_row *row = sink_row(p, sk);
            pc_sb cols = { 0 };
            for (int i = 0; row && i < row->nfields; i++)
                if (!row->fields[i].hidden)
                    pc_sb_printf(&cols, "%s%s %s", cols.n ? "," : "", row->fields[i].name,
                                 pc_type_name(row->fields[i].type));
            pc_sb_printf(&sinks, "{ \"%s\", \"%s\", \"%s\", \"%s\" },\n", sk->name, conn_name(sk->conn),
                         fmt_name(sk->format.kind), cols.n ? pc_sb_arena(&cols, g->a) : "");
            pc_sb_free(&cols);
        } else
            pc_sb_printf(&sinks, "{ \"%s\", \"%s\", \"%s\", NULL },\n", sk->name, conn_name(sk->conn),
                         fmt_name(sk->format.kind));
    }
    if (!p->nsinks)
        pc_sb_puts(&sinks, "{ 0 },");
    if (!g->noperators)
        pc_sb_puts(&g->operators, "{ 0 }, /* no stateful operators */");
    if (!g->nshuffles)
        pc_sb_puts(&g->shuffles, "{ 0 }, /* no key_by */");
    const char *serial = "NULL";
    if (g->serial) {
        pc_sb q = { 0 };
        pc_sb_puts(&q, "\"");
        pc_sb_cstr(&q, g->serial, strlen(g->serial));
        pc_sb_puts(&q, "\"");
        serial = pc_sb_arena(&q, g->a);
        pc_sb_free(&q);
    }

    pc_sb_puts(out, "\n");
    pc_tmpl(g->t, out, "main",
            "init", pc_sb_arena(&g->init, g->a),
            "event_time", hook_body(g, &g->event_time, "int64_t w;\n", ""),
            "processing_time", hook_body(g, &g->processing_time, "pg__state *st = wk->state;\n",
                                         "/* no processing-time windows */"),
            "finish", hook_body(g, &g->finish, "pg__state *st = wk->state;\n", "/* no windows */"),
            "destroy", hook_body(g, &g->destroy, "pg__state *st = wk->state;\n", "/* no operator state */"),
            "settings", pc_sb_arena(&settings, g->a),
            "sources", pc_sb_arena(&sources, g->a),
            "sinks", pc_sb_arena(&sinks, g->a),
            "operators", pc_sb_arena(&g->operators, g->a),
            "nodes", pc_sb_arena(&nodes, g->a),
            "nnodes", pc_sprintf(g->a, "%d", p->nsources + p->nstages + p->nsinks),
            "yaml", yaml_literal(g),
            "pipeline", p->name, "version", PC_VERSION, "yaml_name", g->yaml_lit,
            "sha256", sha256_hex(g, p->text, p->text_len),
            "nsettings", pc_sprintf(g->a, "%d", p->nsettings),
            "nsources", pc_sprintf(g->a, "%d", p->nsources),
            "nsinks", pc_sprintf(g->a, "%d", p->nsinks),
            "errors_sink", pc_sprintf(g->a, "%d", errors_sink),
            "noperators", pc_sprintf(g->a, "%d", g->noperators),
            "max_parallelism", pc_sprintf(g->a, "%d", p->max_parallelism),
            "shuffles", pc_sb_arena(&g->shuffles, g->a), "nshuffles", pc_sprintf(g->a, "%d", g->nshuffles),
            "serial", serial,
            "unread", no_ts ? pc_sprintf(g->a, ".no_timestamp = UINT64_C(0x%" PRIx64 "), /* sources whose _timestamp nothing reads */", no_ts) : "",
            "test", g->o->test ? ".test = &pg__test, /* pipec test build */" : "", NULL);
    pc_sb_free(&settings);
    pc_sb_free(&sources);
    pc_sb_free(&sinks);
    pc_sb_free(&nodes);
}

/* Replaces every "#line @RESTORE@" with a #line naming the next line of the generated file. */
static void restore_lines(pc_gen *g, pc_sb *in, pc_sb *out)
{
    int line = 1;
    const char *p = in->p ? in->p : "";
    const char *marker = "#line @RESTORE@";
    size_t ml = strlen(marker);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        size_t ind = 0; /* block slots indent the marker */
        while (ind < len && p[ind] == ' ')
            ind++;
        if (len - ind == ml && !memcmp(p + ind, marker, ml))
            pc_sb_printf(out, "#line %d \"%s\"", line + 1, g->c_name);
        else
            pc_sb_putn(out, p, len);
        if (nl)
            pc_sb_puts(out, "\n");
        line++;
        p = nl ? nl + 1 : p + len;
    }
}

int pc_gen_emit(const pc_pipeline *p, const pc_gen_opts *o, pc_diags *d, const char *out_c)
{
    pc_arena arena = { 0 };
    pc_gen g = { .p = p, .o = o, .a = &arena, .d = d };
    const char *slash = strrchr(p->file, '/');
    g.yaml_base = slash ? slash + 1 : p->file;
    pc_sb lit = { 0 };
    pc_sb_cstr(&lit, g.yaml_base, strlen(g.yaml_base));
    g.yaml_lit = pc_sb_arena(&lit, &arena);
    pc_sb_free(&lit);
    g.c_name = pc_sprintf(&arena, "%s.c", p->name);
    int rc = -1;

    g.t = pc_tmpls_load(&arena, d, o->templates_dir ? o->templates_dir : "templates");
    if (!g.t)
        goto done;
    /* pc_check refused what cannot be generated: more than PC_MAX_SOURCES sources, process stages */

    topo_sort(&g);
    pc_gen_text_plan(&g);
    pc_sb body = { 0 }, head = { 0 }, all = { 0 }, final = { 0 };
    pc_tmpl(g.t, &head, "header", "version", PC_VERSION, "yaml_name", g.yaml_base, "pipeline", p->name, NULL);
    gen_rows(&g, &head);
    int fns = pc_gen_has_functions(p);
    pc_sb fn_header = { 0 };
    if (fns) {
        pc_gen_fn_prelude(&g, &head);
        pc_gen_fn_header(&g, &fn_header);
    }

    gen_sinks(&g, &body);
    for (int s = 0; s < p->nstages; s++) {
        pc_sb_puts(&body, "\n");
        pc_gen_stage(&g, &body, s);
    }
    if (fns)
        pc_gen_fn_delivery(&g, &body);
    for (int i = 0; i < p->nsources; i++)
        gen_source(&g, &body, i);
    for (int i = 0; i < p->nsources; i++)
        pc_sb_printf(&g.init, "st->source_wm[%d] = INT64_MIN;\n", i);
    if (o->test)
        pc_gen_test(&g, &body);
    gen_main(&g, &body);

    pc_sb_puts(&head, "\n");
    pc_tmpl(g.t, &head, "state", "nsources", pc_sprintf(&arena, "%d", p->nsources ? p->nsources : 1),
            "fields", pc_sb_arena(&g.state, &arena), NULL);
    gen_prototypes(&g, &head);
    gen_fanout(&g, &head);

    pc_sb_putn(&all, head.p ? head.p : "", head.n);
    pc_sb_putn(&all, body.p ? body.p : "", body.n);
    restore_lines(&g, &all, &final);

    if (!g.failed && fns) { /* pipec_functions.h beside <pipeline>.c: the functions' C files include it */
        const char *sl = strrchr(out_c, '/');
        const char *h = pc_sprintf(&arena, "%.*spipec_functions.h", sl ? (int)(sl - out_c + 1) : 0, out_c);
        char *tmp = pc_sprintf(&arena, "%s.tmp", h);
        FILE *f = fopen(tmp, "wb");
        if (!f || fwrite(fn_header.p, 1, fn_header.n, f) != fn_header.n || fclose(f) != 0 || rename(tmp, h) != 0) {
            pc_error_file(d, "cannot write %s: %s", h, strerror(errno));
            remove(tmp);
            g.failed = 1;
        }
    }
    pc_sb_free(&fn_header);
    if (!g.failed) {
        char *tmp = pc_sprintf(&arena, "%s.tmp", out_c);
        FILE *f = fopen(tmp, "wb");
        if (!f || fwrite(final.p, 1, final.n, f) != final.n || fclose(f) != 0 || rename(tmp, out_c) != 0) {
            pc_error_file(d, "cannot write %s: %s", out_c, strerror(errno));
            remove(tmp);
        } else {
            rc = 0;
        }
    }
    pc_sb_free(&body);
    pc_sb_free(&head);
    pc_sb_free(&all);
    pc_sb_free(&final);
done:
    pc_sb_free(&g.state);
    pc_sb_free(&g.init);
    pc_sb_free(&g.event_time);
    pc_sb_free(&g.processing_time);
    pc_sb_free(&g.finish);
    pc_sb_free(&g.destroy);
    pc_sb_free(&g.operators);
    pc_sb_free(&g.shuffles);
    pc_arena_free(&arena);
    return rc;
}
