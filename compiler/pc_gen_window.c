/* pc_gen_window.c — code for the stateful stages: keyed windows, running aggregates and
 * windowed joins. Generated here: the key and accumulator structs and every function that
 * touches them (compare, copy, update in place, merge, fire). The runtime's prt_winop does the
 * rest (assignment, timers, lateness, purging, session merging). */
#include <string.h>

#include "pc_gen_int.h"

static const char *dur_text(pc_gen *g, int64_t ms)
{
    static const struct { int64_t ms; const char *unit; } units[] = {
        { 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" },
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ms && ms % units[i].ms == 0)
            return pc_sprintf(g->a, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
    return pc_sprintf(g->a, "%lldms", (long long)ms);
}

static const char *window_title(pc_gen *g, const pc_stage *st)
{
    const pc_window *w = &st->win;
    const char *t;
    if (st->kind == PC_S_AGGREGATE)
        return "running aggregate (one updated result per record)";
    switch (w->kind) {
    case PC_W_TUMBLING: t = pc_sprintf(g->a, "tumbling %s window", dur_text(g, w->size)); break;
    case PC_W_SLIDING:
        t = pc_sprintf(g->a, "sliding %s window every %s", dur_text(g, w->size), dur_text(g, w->slide));
        break;
    case PC_W_SESSION: t = pc_sprintf(g->a, "session window, gap %s", dur_text(g, w->gap)); break;
    default:
        t = pc_sprintf(g->a, "global window, fires every %lld records%s", (long long)w->count,
                       w->purge ? " (purging)" : "");
    }
    if (w->offset)
        t = pc_sprintf(g->a, "%s, offset %s", t, dur_text(g, w->offset));
    if (w->lateness)
        t = pc_sprintf(g->a, "%s, allowed lateness %s", t, dur_text(g, w->lateness));
    return pc_sprintf(g->a, "%s, %s time", t, w->processing_time ? "processing" : "event");
}

/* The runtime's names for a value type and how it is stored (prt_schema.h). */
const char *pc_gen_vtype_enum(pc_type t)
{
    switch (t) {
    case PC_T_STRING: return "PRT_V_STRING";
    case PC_T_INT: return "PRT_V_INT";
    case PC_T_FLOAT: return "PRT_V_FLOAT";
    case PC_T_BOOL: return "PRT_V_BOOL";
    case PC_T_TIMESTAMP: return "PRT_V_TIMESTAMP";
    default: return "PRT_V_NONE";
    }
}

const char *pc_gen_store_enum(pc_type t)
{
    switch (t) {
    case PC_T_STRING: return "PRT_S_STR";
    case PC_T_FLOAT: return "PRT_S_F64";
    case PC_T_BOOL: return "PRT_S_BOOL";
    default: return "PRT_S_I64";
    }
}

/* One row of a field table. */
static void table_row(pc_sb *t, const char *name, const char *type, const char *member, const char *store,
                      const char *vtype, const char *agg, const char *part, const char *sub)
{
    pc_sb_printf(t, "{ \"%s\", offsetof(%s, %s), %s, %s, %s, %s, %s },\n", name, type, member, store,
                 vtype, agg, part, sub);
}

/* key.c.tmpl for the key fields key_idx of row `in` */
static const char *gen_key(pc_gen *g, const char *id, const pc_row *in, const int *key_idx, int nkey)
{
    pc_sb fields = { 0 }, table = { 0 }, eq = { 0 }, out = { 0 };
    const char *type = pc_sprintf(g->a, "pg_%s_key", id);
    for (int i = 0; i < nkey; i++) {
        const pc_field *f = &in->fields[key_idx[i]];
        const char *n = pc_gen_cname(g, f->name);
        pc_sb_printf(&fields, "%s %s;\n", pc_gen_ctype(f->type), n);
        table_row(&table, f->name, type, n, pc_gen_store_enum(f->type), pc_gen_vtype_enum(f->type), "PRT_AGG_NONE",
                  "PRT_P_VALUE", "NULL");
        if (i)
            pc_sb_puts(&eq, "\n        && ");
        switch (f->type) {
        case PC_T_STRING:
            pc_sb_printf(&eq, "prt_str_eq(a->%s, b->%s)", n, n);
            break;
        case PC_T_FLOAT:
            pc_sb_printf(&eq, "prt_f64_key_eq(a->%s, b->%s)", n, n);
            break;
        default:
            pc_sb_printf(&eq, "a->%s == b->%s", n, n);
        }
    }
    if (!nkey)
        pc_sb_puts(&eq, "1");
    pc_tmpl(g->t, &out, "key", "id", id, "key_fields", pc_sb_arena(&fields, g->a),
            "key_table", pc_sb_arena(&table, g->a), "nkey", pc_sprintf(g->a, "%d", nkey),
            "key_eq", pc_sb_arena(&eq, g->a), NULL);
    const char *s = pc_sb_arena(&out, g->a);
    pc_sb_free(&fields);
    pc_sb_free(&table);
    pc_sb_free(&eq);
    pc_sb_free(&out);
    return s;
}

static const char *key_build(pc_gen *g, const pc_row *in, const int *key_idx, const char **names, int nkey)
{
    pc_sb b = { 0 };
    for (int i = 0; i < nkey; i++)
        pc_sb_printf(&b, "k.%s = r->%s;\n", pc_gen_cname(g, names[i]),
                     pc_gen_cname(g, in->fields[key_idx[i]].name));
    const char *s = pc_sb_arena(&b, g->a);
    pc_sb_free(&b);
    return s;
}

/* Registers the operator in the job: state field, creation, clock, end of input, teardown,
 * and its description (operator ID, kind, field tables, window spec) for the runtime. */
static void register_op(pc_gen *g, const pc_stage *st, int node, const char *kind, const char *state_text)
{
    pc_sb_printf(&g->state, "prt_winop *op_%s; /* stage %s */\n", st->id, st->id);
    pc_sb_printf(&g->init, "st->op_%s = prt_winop_new(&pg_%s_spec, &pg_%s_vt, wk);\n"
                           "if (!st->op_%s)\n    return PRT_ERR;\n", st->id, st->id, st->id, st->id);
    int processing = st->win.processing_time;
    if (st->kind != PC_S_AGGREGATE) {
        if (processing) {
            pc_sb_printf(&g->processing_time, "prt_winop_advance(st->op_%s, now);\n", st->id);
        } else {
            pc_gen_upstream_wm(g, g->upstream[node]);
            pc_sb_printf(&g->event_time, "if (w > prt_winop_clock(st->op_%s))\n    prt_winop_advance(st->op_%s, w); /* %s */\n",
                         st->id, st->id, st->id);
        }
        pc_sb_printf(&g->finish, "prt_winop_advance(st->op_%s, INT64_MAX);\n", st->id);
    }
    pc_sb_printf(&g->destroy, "prt_winop_free(st->op_%s); /* NULL when init failed early */\n", st->id);
    pc_sb_printf(&g->operators, "{ .id = \"%s\", .kind = \"%s\",\n", st->id, kind);
    if (st->previous_id)
        pc_sb_printf(&g->operators, "  .previous_id = \"%s\",\n", st->previous_id);
    pc_sb_puts(&g->operators, "  .state = \"");
    pc_sb_cstr(&g->operators, state_text, strlen(state_text));
    pc_sb_printf(&g->operators, "\",\n  .offset = offsetof(pg__state, op_%s), .key = &pg_%s_key_schema,\n"
                                "  .acc = &pg_%s_acc_schema, .spec = &pg_%s_spec },\n",
                 st->id, st->id, st->id, st->id);
    g->noperators++;
}

/* The designated initializer of the operator's prt_win_spec: only what its kind uses. */
static const char *win_spec(pc_gen *g, const pc_stage *st)
{
    const pc_window *w = &st->win;
    if (st->kind == PC_S_AGGREGATE)
        return ".kind = PRT_WIN_RUNNING,";
    const char *s;
    switch (w->kind) {
    case PC_W_TUMBLING:
        s = pc_sprintf(g->a, ".kind = PRT_WIN_TUMBLING, .size = %lld, .offset = %lld,", (long long)w->size,
                       (long long)w->offset);
        break;
    case PC_W_SLIDING:
        s = pc_sprintf(g->a, ".kind = PRT_WIN_SLIDING, .size = %lld, .slide = %lld, .offset = %lld,",
                       (long long)w->size, (long long)w->slide, (long long)w->offset);
        break;
    case PC_W_SESSION:
        s = pc_sprintf(g->a, ".kind = PRT_WIN_SESSION, .gap = %lld,", (long long)w->gap);
        break;
    default:
        return pc_sprintf(g->a, ".kind = PRT_WIN_GLOBAL, .count = %lld, .purge = %d,", (long long)w->count,
                          w->purge);
    }
    if (w->processing_time)
        return pc_sprintf(g->a, "%s\n.processing_time = 1,", s);
    return pc_sprintf(g->a, "%s\n.lateness = %lld,", s, (long long)w->lateness);
}

static const char *state_text(pc_gen *g, const pc_stage *st, const pc_row *in)
{
    pc_sb b = { 0 };
    pc_sb_puts(&b, "key(");
    for (int i = 0; i < st->nkey; i++)
        pc_sb_printf(&b, "%s%s %s", i ? ", " : "", in->fields[st->key_fields[i]].name,
                     pc_type_name(in->fields[st->key_fields[i]].type));
    pc_sb_puts(&b, ")");
    if (st->kind == PC_S_WINDOW || st->kind == PC_S_JOIN)
        pc_sb_printf(&b, " window(%s)", window_title(g, st));
    if (st->kind == PC_S_JOIN) {
        pc_sb_puts(&b, " buffers(left, right)");
    } else {
        pc_sb_puts(&b, " acc(");
        static const char *const fn[] = { "count", "sum", "min", "max", "avg", "first", "last", "count_distinct" };
        for (int i = 0; i < st->naggs; i++)
            pc_sb_printf(&b, "%s%s %s:%s", i ? ", " : "", st->aggs[i].name, fn[st->aggs[i].fn],
                         pc_type_name(st->aggs[i].type));
        pc_sb_puts(&b, ")");
    }
    const char *s = pc_sb_arena(&b, g->a);
    pc_sb_free(&b);
    return s;
}

/* ------------------------------------------------------------------ aggregates */

typedef struct agg_code {
    const char *type;   /* "pg_<id>_acc" */
    pc_sb fields, table, add, merge, fire, args;
    int nfields, uses_seq;
} agg_code;

static const char *const agg_enum[] = { "PRT_AGG_COUNT", "PRT_AGG_SUM", "PRT_AGG_MIN", "PRT_AGG_MAX",
                                        "PRT_AGG_AVG", "PRT_AGG_FIRST", "PRT_AGG_LAST",
                                        "PRT_AGG_COUNT_DISTINCT" };

/* One member of the accumulator struct and its row in the field table. */
static void acc_member(agg_code *c, const pc_agg *ag, const char *decl, const char *member, const char *store,
                       pc_type vtype, const char *part)
{
    pc_sb_printf(&c->fields, "%s\n", decl);
    table_row(&c->table, ag->name, c->type, member, store, ag->arg ? pc_gen_vtype_enum(vtype) : "PRT_V_NONE",
              agg_enum[ag->fn], part, "NULL");
    c->nfields++;
}

static void gen_agg(pc_gen *g, agg_code *c, const pc_agg *ag)
{
    const char *n = pc_gen_cname(g, ag->name);
    pc_type at = ag->arg ? ag->arg->type : PC_T_INT;
    const char *ct = pc_gen_ctype(at);
    int str = at == PC_T_STRING;
    const char *arg = pc_sprintf(g->a, "arg_%s", ag->name);
    /* the stored value: strings in a prt_ostr that keeps its buffer, so no malloc per record */
    const char *val_decl = str ? pc_sprintf(g->a, "prt_ostr %s;", n) : pc_sprintf(g->a, "%s %s;", ct, n);
    const char *val_store = str ? "PRT_S_OSTR" : pc_gen_store_enum(at);
    const char *a_val = str ? pc_sprintf(g->a, "prt_ostr_str(&a->%s)", n) : pc_sprintf(g->a, "a->%s", n);
    const char *b_val = str ? pc_sprintf(g->a, "prt_ostr_str(&b->%s)", n) : pc_sprintf(g->a, "b->%s", n);
    const char *set_arg = str ? pc_sprintf(g->a, "prt_ostr_set(&a->%s, %s);", n, arg)
                              : pc_sprintf(g->a, "a->%s = %s;", n, arg);
    const char *set_b = str ? pc_sprintf(g->a, "prt_ostr_set(&a->%s, %s);", n, b_val)
                            : pc_sprintf(g->a, "a->%s = b->%s;", n, n);

    if (ag->arg) {
        pc_type want = ag->fn == PC_A_AVG ? PC_T_FLOAT : at;
        const char *x = pc_gen_expr_as(g, ag->arg, want, "r", NULL);
        pc_sb_printf(&c->args, "%s\n", pc_gen_lined(g, ag->arg->loc,
                     pc_sprintf(g->a, "%s %s = %s;", pc_gen_ctype(want), arg, x)));
    }
    switch (ag->fn) {
    case PC_A_COUNT:
        acc_member(c, ag, pc_sprintf(g->a, "int64_t %s; /* count() */", n), n, "PRT_S_I64", at, "PRT_P_VALUE");
        pc_sb_printf(&c->add, "a->%s += 1;\n", n);
        pc_sb_printf(&c->merge, "a->%s += b->%s;\n", n, n);
        break;
    case PC_A_SUM:
        acc_member(c, ag, pc_sprintf(g->a, "%s %s; /* sum() */", ct, n), n, pc_gen_store_enum(at), at, "PRT_P_VALUE");
        if (at == PC_T_INT) {
            pc_sb_printf(&c->add, "a->%s = prt_add_i64(a->%s, %s);\n", n, n, arg);
            pc_sb_printf(&c->merge, "a->%s = prt_add_i64(a->%s, b->%s);\n", n, n, n);
        } else {
            pc_sb_printf(&c->add, "a->%s += %s;\n", n, arg);
            pc_sb_printf(&c->merge, "a->%s += b->%s;\n", n, n);
        }
        break;
    case PC_A_AVG: {
        const char *sum = pc_sprintf(g->a, "%s_sum", n), *cnt = pc_sprintf(g->a, "%s_n", n);
        acc_member(c, ag, pc_sprintf(g->a, "double %s; /* avg() */", sum), sum, "PRT_S_F64", at, "PRT_P_SUM");
        acc_member(c, ag, pc_sprintf(g->a, "int64_t %s;", cnt), cnt, "PRT_S_I64", at, "PRT_P_N");
        pc_sb_printf(&c->add, "a->%s += %s;\na->%s += 1;\n", sum, arg, cnt);
        pc_sb_printf(&c->merge, "a->%s += b->%s;\na->%s += b->%s;\n", sum, sum, cnt, cnt);
        pc_sb_printf(&c->fire, "o.%s = a->%s ? a->%s / (double)a->%s : 0.0;\n", n, cnt, sum, cnt);
        return;
    }
    case PC_A_MIN:
    case PC_A_MAX: {
        const char *better = ag->fn == PC_A_MIN ? "<" : ">";
        const char *has = pc_sprintf(g->a, "%s_has", n);
        const char *cmp_new = str ? pc_sprintf(g->a, "prt_str_cmp(%s, %s) %s 0", arg, a_val, better)
                                  : pc_sprintf(g->a, "%s %s a->%s", arg, better, n);
        const char *cmp_b = str ? pc_sprintf(g->a, "prt_str_cmp(%s, %s) %s 0", b_val, a_val, better)
                                : pc_sprintf(g->a, "b->%s %s a->%s", n, better, n);
        acc_member(c, ag, pc_sprintf(g->a, "%s /* %s() */", val_decl, ag->fn == PC_A_MIN ? "min" : "max"), n,
                   val_store, at, "PRT_P_VALUE");
        acc_member(c, ag, pc_sprintf(g->a, "int %s;", has), has, "PRT_S_BOOL", at, "PRT_P_HAS");
        pc_tmpl(g->t, &c->add, "agg_extreme", "has", has, "better", cmp_new, "set", set_arg, NULL);
        pc_tmpl(g->t, &c->merge, "agg_extreme_merge", "has", has, "better", cmp_b, "set", set_b, NULL);
        break;
    }
    case PC_A_FIRST:
    case PC_A_LAST: {
        int first = ag->fn == PC_A_FIRST;
        const char *has = pc_sprintf(g->a, "%s_has", n), *sq = pc_sprintf(g->a, "%s_seq", n);
        /* by arrival order (seq), which also decides between the two sides of a session merge */
        acc_member(c, ag, pc_sprintf(g->a, "%s /* %s() */", val_decl, first ? "first" : "last"), n, val_store, at,
                   "PRT_P_VALUE");
        acc_member(c, ag, pc_sprintf(g->a, "uint64_t %s;", sq), sq, "PRT_S_U64", at, "PRT_P_SEQ");
        acc_member(c, ag, pc_sprintf(g->a, "int %s;", has), has, "PRT_S_BOOL", at, "PRT_P_HAS");
        pc_tmpl(g->t, &c->add, first ? "agg_first" : "agg_last", "has", has, "seq", sq, "set", set_arg, NULL);
        pc_tmpl(g->t, &c->merge, "agg_arrival_merge", "has", has, "seq", sq, "order", first ? "<" : ">", "set", set_b,
                NULL);
        c->uses_seq = 1;
        break;
    }
    case PC_A_COUNT_DISTINCT:
        acc_member(c, ag, pc_sprintf(g->a, "prt_distinct %s; /* count_distinct() */", n), n, "PRT_S_DISTINCT",
                   at, "PRT_P_VALUE");
        if (str)
            pc_sb_printf(&c->add, "prt_distinct_add_str(&a->%s, %s);\n", n, arg);
        else if (at == PC_T_FLOAT)
            pc_sb_printf(&c->add, "prt_distinct_add_u64(&a->%s, prt_f64_distinct_bits(%s));\n", n, arg);
        else
            pc_sb_printf(&c->add, "prt_distinct_add_u64(&a->%s, (uint64_t)%s);\n", n, arg);
        pc_sb_printf(&c->merge, "prt_distinct_merge(&a->%s, &b->%s);\n", n, n);
        pc_sb_printf(&c->fire, "o.%s = (int64_t)prt_distinct_count(&a->%s);\n", n, n);
        return;
    }
    pc_sb_printf(&c->fire, "o.%s = %s;\n", n, a_val);
}

/* The accumulator's struct, field table and (for sessions, the only windows that merge) merge. */
static void acc_slots(pc_gen *g, const pc_stage *st, agg_code *c, const char **merge_fn, const char **merge_ref)
{
    if (!c->nfields)
        pc_sb_puts(&c->fields, "char empty_; /* no aggregates */\n");
    if (st->win.kind == PC_W_SESSION && st->kind != PC_S_AGGREGATE) {
        pc_sb m = { 0 };
        pc_tmpl(g->t, &m, "acc_merge", "id", st->id, "merge", pc_sb_arena(&c->merge, g->a), NULL);
        *merge_fn = pc_sb_arena(&m, g->a);
        *merge_ref = pc_sprintf(g->a, "pg_%s_acc_merge", st->id);
        pc_sb_free(&m);
    } else {
        *merge_fn = "";
        *merge_ref = "NULL";
    }
}

static void gen_aggregating(pc_gen *g, pc_sb *out, const pc_stage *st, int node)
{
    const pc_pipeline *p = g->p;
    const pc_row *in = &st->in_row;
    const char **names = pc_alloc(g->a, sizeof(char *) * (size_t)(st->nkey + 1));
    for (int i = 0; i < st->nkey; i++)
        names[i] = in->fields[st->key_fields[i]].name;
    const char *key = gen_key(g, st->id, in, st->key_fields, st->nkey);

    agg_code c = { .type = pc_sprintf(g->a, "pg_%s_acc", st->id) };
    pc_sb fire = { 0 };
    for (int i = 0; i < st->nkey; i++) {
        const char *n = pc_gen_cname(g, names[i]);
        pc_sb_printf(&fire, "o.%s = k->%s;\n", n, n);
    }
    int windowed = st->kind == PC_S_WINDOW && st->win.kind != PC_W_GLOBAL;
    if (windowed)
        pc_sb_puts(&fire, "o.window_start = start;\no.window_end = end;\n");
    else
        pc_sb_puts(&fire, "/* a global pane or running aggregate has no extent: no start or end */\n");
    int since = g->ev_uses;
    for (int i = 0; i < st->naggs; i++)
        gen_agg(g, &c, &st->aggs[i]);
    const char *init, *check;
    pc_gen_eval(g, since, st->id, "return;", &init, &check);
    pc_sb_putn(&fire, c.fire.p ? c.fire.p : "", c.fire.n);
    const char *merge_fn, *merge_ref;
    acc_slots(g, st, &c, &merge_fn, &merge_ref);

    const char *late = st->win.late_sink >= 0
        ? pc_sprintf(g->a, "pg_sink_%s_write(wk, r, ts, kh); /* late_output */", p->sinks[st->win.late_sink].name)
        : pc_sprintf(g->a, "prt_late_dropped(wk, \"%s\");", st->id);

    pc_tmpl(g->t, out, "window", "id", st->id, "title", window_title(g, st),
            "in_type", g->ctype[st->in_nodes[0]], "out_type", g->ctype[node], "key", key,
            "acc_fields", pc_sb_arena(&c.fields, g->a), "acc_table", pc_sb_arena(&c.table, g->a),
            "nacc", pc_sprintf(g->a, "%d", c.nfields), "acc_merge", merge_fn, "merge_ref", merge_ref,
            "spec", win_spec(g, st), "fire", pc_sb_arena(&fire, g->a),
            "key_build", key_build(g, in, st->key_fields, names, st->nkey),
            "eval_init", init, "args", pc_sb_arena(&c.args, g->a), "eval_check", check,
            "seq", c.uses_seq ? pc_sprintf(g->a, "uint64_t seq = prt_winop_seq(st->op_%s);", st->id) : "",
            "acc_add", pc_sb_arena(&c.add, g->a),
            "time", st->win.processing_time ? "wk->now" : "ts", "late", late, NULL);
    register_op(g, st, node, st->kind == PC_S_AGGREGATE ? "aggregate" : "window", state_text(g, st, in));
    pc_sb_free(&c.fields);
    pc_sb_free(&c.table);
    pc_sb_free(&c.add);
    pc_sb_free(&c.merge);
    pc_sb_free(&c.fire);
    pc_sb_free(&c.args);
    pc_sb_free(&fire);
}

/* ------------------------------------------------------------------ join */

/* Marks in used[] the fields of one side (0 left, 1 right) that e reads. */
static void mark_used(const pc_expr *e, int side, char *used)
{
    if (e->kind == PC_E_FIELD && e->side == side)
        used[e->field] = 1;
    for (int i = 0; i < e->nargs; i++)
        mark_used(e->args[i], side, used);
}

/* The buffered copy of one join side: only the fields the join's outputs read. Fills the struct
 * members, its field table and the copy from an input row `r` into `dst`. */
static void join_side(pc_gen *g, const pc_stage *st, const pc_row *row, int side, const char *type,
                      const char **fields, const char **table, const char **copy, int *nused)
{
    char *used = pc_alloc(g->a, (size_t)row->nfields + 1);
    memset(used, 0, (size_t)row->nfields + 1);
    for (int i = 0; i < st->nfields; i++)
        mark_used(st->fields[i].expr, side, used);
    pc_sb f = { 0 }, t = { 0 }, c = { 0 };
    *nused = 0;
    for (int i = 0; i < row->nfields; i++) {
        if (!used[i])
            continue;
        const pc_field *fd = &row->fields[i];
        const char *n = pc_gen_cname(g, fd->name);
        pc_sb_printf(&f, "%s %s;\n", pc_gen_ctype(fd->type), n);
        table_row(&t, fd->name, type, n, pc_gen_store_enum(fd->type), pc_gen_vtype_enum(fd->type), "PRT_AGG_NONE",
                  "PRT_P_VALUE", "NULL");
        if (fd->type == PC_T_STRING)
            pc_sb_printf(&c, "dst->%s = prt_str_dup(r->%s);\n", n, n);
        else
            pc_sb_printf(&c, "dst->%s = r->%s;\n", n, n);
        (*nused)++;
    }
    if (!*nused) {
        pc_sb_puts(&f, "char empty_; /* the join reads no field of this side */\n");
        pc_sb_puts(&t, "{ 0 }, /* no fields (C has no empty initializer) */\n");
        pc_sb_puts(&c, "(void)dst; /* the join reads no field of this side: the row only counts */\n");
    }
    *fields = pc_sb_arena(&f, g->a);
    *table = pc_sb_arena(&t, g->a);
    *copy = pc_sb_arena(&c, g->a);
    pc_sb_free(&f);
    pc_sb_free(&t);
    pc_sb_free(&c);
}

static void gen_join(pc_gen *g, pc_sb *out, const pc_stage *st, int node)
{
    const pc_pipeline *p = g->p;
    int ln = st->in_nodes[0], rn = st->in_nodes[1];
    const pc_row *lrow = pc_node_row(p, ln), *rrow = pc_node_row(p, rn);
    const char **names = pc_alloc(g->a, sizeof(char *) * (size_t)(st->nkey + 1));
    for (int i = 0; i < st->nkey; i++)
        names[i] = lrow->fields[st->key_fields[i]].name;
    const char *key = gen_key(g, st->id, lrow, st->key_fields, st->nkey);

    pc_sb fields = { 0 };
    int since = g->ev_uses;
    for (int i = 0; i < st->nfields; i++) {
        const pc_assign *f = &st->fields[i];
        const char *x = pc_gen_expr(g, f->expr, "l", "rr");
        pc_sb_printf(&fields, "%s\n", pc_gen_lined(g, f->expr->loc,
                     pc_sprintf(g->a, "o.%s = %s;", pc_gen_cname(g, f->name), x)));
    }
    const char *lf, *lt, *lc, *rf, *rt, *rc, *init, *check;
    pc_gen_eval(g, since, st->id, "continue;", &init, &check);
    int nl, nr;
    join_side(g, st, lrow, 0, pc_sprintf(g->a, "pg_%s_left", st->id), &lf, &lt, &lc, &nl);
    join_side(g, st, rrow, 1, pc_sprintf(g->a, "pg_%s_right", st->id), &rf, &rt, &rc, &nr);
    if (!nl) /* every row of a side counts in the pairs, read or not */
        pc_sb_puts(&fields, "(void)l; /* the join reads no field of the left side */\n");
    if (!nr)
        pc_sb_puts(&fields, "(void)rr; /* the join reads no field of the right side */\n");
    pc_tmpl(g->t, out, "join", "id", st->id,
            "title", pc_sprintf(g->a, "join %s with %s, %s", pc_node_name(p, ln), pc_node_name(p, rn), window_title(g, st)),
            "key", key, "left_type", g->ctype[ln], "right_type", g->ctype[rn],
            "left_fields", lf, "left_table", lt, "nleft", pc_sprintf(g->a, "%d", nl), "left_copy", lc,
            "right_fields", rf, "right_table", rt, "nright", pc_sprintf(g->a, "%d", nr), "right_copy", rc,
            "spec", win_spec(g, st),
            "out_type", g->ctype[node], "eval_init", init, "fields", pc_sb_arena(&fields, g->a), "eval_check", check,
            "left_key", key_build(g, lrow, st->key_fields, names, st->nkey),
            "right_key", key_build(g, rrow, st->right_key_fields, names, st->nkey),
            "time", st->win.processing_time ? "wk->now" : "ts", NULL);
    register_op(g, st, node, "join", state_text(g, st, lrow));
    pc_sb_free(&fields);
}

void pc_gen_window(pc_gen *g, pc_sb *out, int s)
{
    const pc_stage *st = &g->p->stages[s];
    int node = pc_gen_node(g->p, s);
    if (st->kind == PC_S_JOIN)
        gen_join(g, out, st, node);
    else
        gen_aggregating(g, out, st, node);
}
