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

/* key.c.tmpl for the key fields key_idx of row `in` */
static const char *gen_key(pc_gen *g, const char *id, const pc_row *in, const int *key_idx, int nkey,
                           const char **hash_out)
{
    pc_sb fields = { 0 }, eq = { 0 }, copy = { 0 }, kfree = { 0 }, hash = { 0 }, out = { 0 };
    for (int i = 0; i < nkey; i++) {
        const pc_field *f = &in->fields[key_idx[i]];
        const char *n = pc_gen_cname(g, f->name);
        pc_sb_printf(&fields, "%s %s;\n", pc_gen_ctype(f->type), n);
        if (i)
            pc_sb_puts(&eq, "\n        && ");
        switch (f->type) {
        case PC_T_STRING:
            pc_sb_printf(&eq, "prt_str_eq(a->%s, b->%s)", n, n);
            pc_sb_printf(&copy, "dst->%s = prt_str_dup(src->%s);\n", n, n);
            pc_sb_printf(&kfree, "prt_str_release(&k->%s);\n", n);
            pc_sb_printf(&hash, "h = prt_hash_str(h, k.%s);\n", n);
            break;
        case PC_T_FLOAT:
            pc_sb_printf(&eq, "prt_f64_key_eq(a->%s, b->%s)", n, n);
            pc_sb_printf(&hash, "h = prt_hash_f64(h, k.%s);\n", n);
            break;
        default:
            pc_sb_printf(&eq, "a->%s == b->%s", n, n);
            pc_sb_printf(&hash, "h = prt_hash_i64(h, (int64_t)k.%s);\n", n);
        }
    }
    if (!nkey)
        pc_sb_puts(&eq, "1");
    pc_tmpl(g->t, &out, "key", "id", id, "key_fields", pc_sb_arena(&fields, g->a),
            "key_eq", pc_sb_arena(&eq, g->a), "key_copy", pc_sb_arena(&copy, g->a),
            "key_free", pc_sb_arena(&kfree, g->a), NULL);
    *hash_out = pc_sb_arena(&hash, g->a);
    const char *s = pc_sb_arena(&out, g->a);
    pc_sb_free(&fields);
    pc_sb_free(&eq);
    pc_sb_free(&copy);
    pc_sb_free(&kfree);
    pc_sb_free(&hash);
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
 * and its description for `describe`. */
static void register_op(pc_gen *g, const pc_stage *st, int node, const char *kind, const char *spec,
                        const char *state_text)
{
    pc_sb_printf(&g->state, "prt_winop *%s; /* stage %s */\n", st->id, st->id);
    pc_sb_printf(&g->init, "{\n    static const prt_win_spec spec = { %s };\n"
                           "    st->%s = prt_winop_new(&spec, &pg_%s_vt, j);\n"
                           "    if (!st->%s)\n        return PRT_ERR;\n}\n",
                 spec, st->id, st->id, st->id);
    int processing = st->win.processing_time;
    if (st->kind != PC_S_AGGREGATE) {
        if (processing) {
            pc_sb_printf(&g->processing_time, "prt_winop_advance(st->%s, now);\n", st->id);
        } else {
            uint64_t up = g->upstream[node];
            pc_sb_puts(&g->event_time, "w = INT64_MAX;\n");
            for (int s = 0; s < g->p->nsources && s < 64; s++)
                if (up & (UINT64_C(1) << s))
                    pc_sb_printf(&g->event_time, "if (st->source_wm[%d] < w)\n    w = st->source_wm[%d];\n", s, s);
            pc_sb_printf(&g->event_time, "if (w > prt_winop_clock(st->%s))\n    prt_winop_advance(st->%s, w); /* %s */\n",
                         st->id, st->id, st->id);
        }
        pc_sb_printf(&g->finish, "prt_winop_advance(st->%s, INT64_MAX);\n", st->id);
    }
    pc_sb_printf(&g->destroy, "prt_winop_free(st->%s); /* NULL when init failed early */\n", st->id);
    pc_sb_printf(&g->operators, "{ \"%s\", \"%s\", \"", st->id, kind);
    pc_sb_cstr(&g->operators, state_text, strlen(state_text));
    pc_sb_puts(&g->operators, "\" },\n");
    g->noperators++;
}

static const char *win_spec(pc_gen *g, const pc_stage *st)
{
    const pc_window *w = &st->win;
    if (st->kind == PC_S_AGGREGATE)
        return ".kind = PRT_WIN_RUNNING";
    const char *k = w->kind == PC_W_TUMBLING ? "PRT_WIN_TUMBLING" : w->kind == PC_W_SLIDING ? "PRT_WIN_SLIDING"
                  : w->kind == PC_W_SESSION ? "PRT_WIN_SESSION" : "PRT_WIN_GLOBAL";
    return pc_sprintf(g->a,
        ".kind = %s, .size = %lld, .slide = %lld, .offset = %lld, .gap = %lld,\n"
        "                                       .count = %lld, .purge = %d, .lateness = %lld, .processing_time = %d",
        k, (long long)w->size, (long long)(w->kind == PC_W_SLIDING ? w->slide : 0), (long long)w->offset,
        (long long)w->gap, (long long)w->count, w->purge, (long long)w->lateness, w->processing_time);
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
    pc_sb fields, init, add, merge, freeing, fire, args;
} agg_code;

static void gen_agg(pc_gen *g, agg_code *c, const pc_agg *ag)
{
    const char *n = pc_gen_cname(g, ag->name);
    pc_type at = ag->arg ? ag->arg->type : PC_T_INT;
    const char *ct = pc_gen_ctype(at);
    int str = at == PC_T_STRING;
    const char *arg = pc_sprintf(g->a, "arg_%s", ag->name);

    if (ag->arg) {
        pc_type want = ag->fn == PC_A_AVG ? PC_T_FLOAT : at;
        const char *x = pc_gen_expr_as(g, ag->arg, want, "r", NULL);
        pc_sb_printf(&c->args, "%s\n", pc_gen_lined(g, ag->arg->loc,
                     pc_sprintf(g->a, "%s %s = %s;", pc_gen_ctype(want), arg, x)));
    }
    switch (ag->fn) {
    case PC_A_COUNT:
        pc_sb_printf(&c->fields, "int64_t %s; /* count() */\n", n);
        pc_sb_printf(&c->add, "a->%s += 1;\n", n);
        pc_sb_printf(&c->merge, "a->%s += b->%s;\n", n, n);
        pc_sb_printf(&c->fire, "o.%s = a->%s;\n", n, n);
        break;
    case PC_A_SUM:
        pc_sb_printf(&c->fields, "%s %s; /* sum() */\n", ct, n);
        if (at == PC_T_INT) {
            pc_sb_printf(&c->add, "a->%s = prt_add_i64(a->%s, %s);\n", n, n, arg);
            pc_sb_printf(&c->merge, "a->%s = prt_add_i64(a->%s, b->%s);\n", n, n, n);
        } else {
            pc_sb_printf(&c->add, "a->%s += %s;\n", n, arg);
            pc_sb_printf(&c->merge, "a->%s += b->%s;\n", n, n);
        }
        pc_sb_printf(&c->fire, "o.%s = a->%s;\n", n, n);
        break;
    case PC_A_AVG:
        pc_sb_printf(&c->fields, "double %s_sum; /* avg() */\nint64_t %s_n;\n", n, n);
        pc_sb_printf(&c->add, "a->%s_sum += %s;\na->%s_n += 1;\n", n, arg, n);
        pc_sb_printf(&c->merge, "a->%s_sum += b->%s_sum;\na->%s_n += b->%s_n;\n", n, n, n, n);
        pc_sb_printf(&c->fire, "o.%s = a->%s_n ? a->%s_sum / (double)a->%s_n : 0.0;\n", n, n, n, n);
        break;
    case PC_A_MIN:
    case PC_A_MAX: {
        const char *better = ag->fn == PC_A_MIN ? "<" : ">";
        const char *cmp_new = str ? pc_sprintf(g->a, "prt_str_cmp(%s, a->%s) %s 0", arg, n, better)
                                  : pc_sprintf(g->a, "%s %s a->%s", arg, better, n);
        const char *cmp_b = str ? pc_sprintf(g->a, "prt_str_cmp(b->%s, a->%s) %s 0", n, n, better)
                                : pc_sprintf(g->a, "b->%s %s a->%s", n, better, n);
        pc_sb_printf(&c->fields, "%s %s; /* %s() */\nint %s_has;\n", ct, n, ag->fn == PC_A_MIN ? "min" : "max", n);
        if (str) {
            pc_sb_printf(&c->add, "if (!a->%s_has || %s) {\n    prt_str_release(&a->%s);\n"
                                  "    a->%s = prt_str_dup(%s);\n    a->%s_has = 1;\n}\n", n, cmp_new, n, n, arg, n);
            pc_sb_printf(&c->merge, "if (b->%s_has && (!a->%s_has || %s)) {\n    prt_str_release(&a->%s);\n"
                                    "    a->%s = prt_str_dup(b->%s);\n    a->%s_has = 1;\n}\n", n, n, cmp_b, n, n, n, n);
            pc_sb_printf(&c->freeing, "prt_str_release(&a->%s);\n", n);
        } else {
            pc_sb_printf(&c->add, "if (!a->%s_has || %s) {\n    a->%s = %s;\n    a->%s_has = 1;\n}\n", n, cmp_new, n, arg, n);
            pc_sb_printf(&c->merge, "if (b->%s_has && (!a->%s_has || %s)) {\n    a->%s = b->%s;\n    a->%s_has = 1;\n}\n",
                         n, n, cmp_b, n, n, n);
        }
        pc_sb_printf(&c->fire, "o.%s = a->%s;\n", n, n);
        break;
    }
    case PC_A_FIRST:
    case PC_A_LAST: {
        int first = ag->fn == PC_A_FIRST;
        /* by arrival order (seq), which also decides between the two sides of a session merge */
        pc_sb_printf(&c->fields, "%s %s; /* %s() */\nuint64_t %s_seq;\nint %s_has;\n", ct, n, first ? "first" : "last", n, n);
        const char *cond = first ? pc_sprintf(g->a, "!a->%s_has", n) : "1";
        const char *mcond = pc_sprintf(g->a, "b->%s_has && (!a->%s_has || b->%s_seq %s a->%s_seq)", n, n, n,
                                       first ? "<" : ">", n);
        if (str) {
            pc_sb_printf(&c->add, "if (%s) {\n    prt_str_release(&a->%s);\n    a->%s = prt_str_dup(%s);\n"
                                  "    a->%s_seq = seq;\n    a->%s_has = 1;\n}\n", cond, n, n, arg, n, n);
            pc_sb_printf(&c->merge, "if (%s) {\n    prt_str_release(&a->%s);\n    a->%s = prt_str_dup(b->%s);\n"
                                    "    a->%s_seq = b->%s_seq;\n    a->%s_has = 1;\n}\n", mcond, n, n, n, n, n, n);
            pc_sb_printf(&c->freeing, "prt_str_release(&a->%s);\n", n);
        } else {
            pc_sb_printf(&c->add, "if (%s) {\n    a->%s = %s;\n    a->%s_seq = seq;\n    a->%s_has = 1;\n}\n",
                         cond, n, arg, n, n);
            pc_sb_printf(&c->merge, "if (%s) {\n    a->%s = b->%s;\n    a->%s_seq = b->%s_seq;\n    a->%s_has = 1;\n}\n",
                         mcond, n, n, n, n, n);
        }
        pc_sb_printf(&c->fire, "o.%s = a->%s;\n", n, n);
        break;
    }
    case PC_A_COUNT_DISTINCT:
        pc_sb_printf(&c->fields, "prt_distinct *%s; /* count_distinct() */\n", n);
        pc_sb_printf(&c->init, "a->%s = prt_distinct_new();\n", n);
        if (str)
            pc_sb_printf(&c->add, "prt_distinct_add_str(a->%s, %s);\n", n, arg);
        else if (at == PC_T_FLOAT)
            pc_sb_printf(&c->add, "{\n    double d_ = %s == 0.0 ? 0.0 : %s; /* -0.0 and 0.0 are one value */\n"
                                  "    uint64_t bits_;\n    memcpy(&bits_, &d_, sizeof bits_);\n"
                                  "    prt_distinct_add_u64(a->%s, bits_);\n}\n", arg, arg, n);
        else
            pc_sb_printf(&c->add, "prt_distinct_add_u64(a->%s, (uint64_t)%s);\n", n, arg);
        pc_sb_printf(&c->merge, "prt_distinct_merge(a->%s, b->%s);\n", n, n);
        pc_sb_printf(&c->freeing, "prt_distinct_free(a->%s);\n", n);
        pc_sb_printf(&c->fire, "o.%s = (int64_t)prt_distinct_count(a->%s);\n", n, n);
        break;
    }
}

static void gen_aggregating(pc_gen *g, pc_sb *out, const pc_stage *st, int node)
{
    const pc_pipeline *p = g->p;
    const pc_row *in = &st->in_row;
    const char **names = pc_alloc(g->a, sizeof(char *) * (size_t)(st->nkey + 1));
    for (int i = 0; i < st->nkey; i++)
        names[i] = in->fields[st->key_fields[i]].name;
    const char *hash;
    const char *key = gen_key(g, st->id, in, st->key_fields, st->nkey, &hash);

    agg_code c = { 0 };
    pc_sb fire = { 0 };
    for (int i = 0; i < st->nkey; i++) {
        const char *n = pc_gen_cname(g, names[i]);
        pc_sb_printf(&fire, "o.%s = k->%s;\n", n, n);
    }
    int windowed = st->kind == PC_S_WINDOW && st->win.kind != PC_W_GLOBAL;
    if (windowed)
        pc_sb_puts(&fire, "o.window_start = start;\no.window_end = end;\n");
    for (int i = 0; i < st->naggs; i++)
        gen_agg(g, &c, &st->aggs[i]);
    pc_sb_putn(&fire, c.fire.p ? c.fire.p : "", c.fire.n);
    if (!c.fields.n)
        pc_sb_puts(&c.fields, "char empty_; /* no aggregates */\n");

    const char *late = st->win.late_sink >= 0
        ? pc_sprintf(g->a, "pg_sink_%s_write(j, r, ts); /* late_output */", p->sinks[st->win.late_sink].name)
        : pc_sprintf(g->a, "prt_late_dropped(j, \"%s\");", st->id);

    pc_tmpl(g->t, out, "window", "id", st->id, "title", window_title(g, st),
            "in_type", g->ctype[st->in_nodes[0]], "out_type", g->ctype[node], "key", key,
            "acc_fields", pc_sb_arena(&c.fields, g->a), "acc_init", pc_sb_arena(&c.init, g->a),
            "acc_merge", pc_sb_arena(&c.merge, g->a), "acc_free", pc_sb_arena(&c.freeing, g->a),
            "fire", pc_sb_arena(&fire, g->a),
            "key_build", key_build(g, in, st->key_fields, names, st->nkey), "key_hash", hash,
            "args", pc_sb_arena(&c.args, g->a), "acc_add", pc_sb_arena(&c.add, g->a),
            "time", st->win.processing_time ? "j->now" : "ts", "late", late, NULL);
    register_op(g, st, node, st->kind == PC_S_AGGREGATE ? "aggregate" : "window", win_spec(g, st),
                state_text(g, st, in));
    pc_sb_free(&c.fields);
    pc_sb_free(&c.init);
    pc_sb_free(&c.add);
    pc_sb_free(&c.merge);
    pc_sb_free(&c.freeing);
    pc_sb_free(&c.fire);
    pc_sb_free(&c.args);
    pc_sb_free(&fire);
}

/* ------------------------------------------------------------------ join */

static const char *row_dup(pc_gen *g, const pc_row *r, int release)
{
    pc_sb b = { 0 };
    for (int i = 0; i < r->nfields; i++)
        if (r->fields[i].type == PC_T_STRING) {
            const char *n = pc_gen_cname(g, r->fields[i].name);
            if (release)
                pc_sb_printf(&b, "prt_str_release(&x->%s);\n", n);
            else
                pc_sb_printf(&b, "dst->%s = prt_str_dup(src->%s);\n", n, n);
        }
    const char *s = pc_sb_arena(&b, g->a);
    pc_sb_free(&b);
    return s;
}

static void gen_join(pc_gen *g, pc_sb *out, const pc_stage *st, int node)
{
    const pc_pipeline *p = g->p;
    int ln = st->in_nodes[0], rn = st->in_nodes[1];
    const pc_row *lrow = pc_node_row(p, ln), *rrow = pc_node_row(p, rn);
    const char **names = pc_alloc(g->a, sizeof(char *) * (size_t)(st->nkey + 1));
    for (int i = 0; i < st->nkey; i++)
        names[i] = lrow->fields[st->key_fields[i]].name;
    const char *hash;
    const char *key = gen_key(g, st->id, lrow, st->key_fields, st->nkey, &hash);

    pc_sb fields = { 0 };
    for (int i = 0; i < st->nfields; i++) {
        const pc_assign *f = &st->fields[i];
        const char *x = pc_gen_expr(g, f->expr, "l", "rr");
        pc_sb_printf(&fields, "%s\n", pc_gen_lined(g, f->expr->loc,
                     pc_sprintf(g->a, "o.%s = %s;", pc_gen_cname(g, f->name), x)));
    }
    pc_tmpl(g->t, out, "join", "id", st->id,
            "title", pc_sprintf(g->a, "join %s with %s, %s", pc_node_name(p, ln), pc_node_name(p, rn), window_title(g, st)),
            "key", key, "left_type", g->ctype[ln], "right_type", g->ctype[rn],
            "left_dup", row_dup(g, lrow, 0), "left_release", row_dup(g, lrow, 1),
            "right_dup", row_dup(g, rrow, 0), "right_release", row_dup(g, rrow, 1),
            "out_type", g->ctype[node], "fields", pc_sb_arena(&fields, g->a),
            "left_key", key_build(g, lrow, st->key_fields, names, st->nkey),
            "right_key", key_build(g, rrow, st->right_key_fields, names, st->nkey),
            "key_hash", hash, "time", st->win.processing_time ? "j->now" : "ts", NULL);
    register_op(g, st, node, "join", win_spec(g, st), state_text(g, st, lrow));
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
