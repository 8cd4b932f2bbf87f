/* pc_gen_stage.c — code for the stateless stages: filter, set, select, key_by, union.
 * Stateful stages (window, aggregate, join) are in pc_gen_window.c. */
#include <string.h>

#include "pc_gen_int.h"

static const char *expr_text(pc_gen *g, pc_loc loc)
{
    /* the expression as written in the YAML (single line), for the banner comment */
    const char *t = g->p->text;
    int line = 1;
    size_t i = 0;
    while (t[i] && line < loc.line)
        if (t[i++] == '\n')
            line++;
    size_t start = i + (size_t)(loc.col - 1), end = start;
    while (t[end] && t[end] != '\n' && (loc.end_line != loc.line || (int)(end - i) < loc.end_col - 1))
        end++;
    if (end <= start || end - start > 60)
        return "";
    pc_sb b = { 0 };
    for (size_t k = start; k < end; k++)
        if (t[k] != '*' || t[k + 1] != '/') /* never close the banner comment early */
            pc_sb_putn(&b, t + k, 1);
    const char *s = pc_sb_arena(&b, g->a);
    pc_sb_free(&b);
    return s;
}

static void gen_filter(pc_gen *g, pc_sb *out, const pc_stage *st, int node)
{
    int since = g->ev_uses;
    const char *cond = pc_gen_expr(g, st->filter, "r", NULL), *init, *check;
    pc_gen_eval(g, since, st->id, "return;", &init, &check);
    pc_tmpl(g->t, out, "filter", "id", st->id, "expr_text", expr_text(g, st->filter->loc),
            "in_type", g->ctype[st->in_nodes[0]], "eval_init", init,
            "cond", pc_gen_lined(g, st->filter->loc, pc_sprintf(g->a, "keep = %s;", cond)), "eval_check", check,
            "push", pc_gen_out_call(g, node, "r"), NULL);
}

static void gen_set(pc_gen *g, pc_sb *out, const pc_stage *st, int node)
{
    pc_sb eval = { 0 }, build = { 0 };
    int rekey = 0, since = g->ev_uses;
    /* every expression sees the input row: evaluate all, then build the output */
    for (int i = 0; i < st->nsets; i++) {
        const pc_assign *as = &st->sets[i];
        const char *c = pc_gen_expr(g, as->expr, "r", NULL);
        pc_sb_printf(&eval, "%s\n",
                     pc_gen_lined(g, as->expr->loc, pc_sprintf(g->a, "%s set_%s = %s;",
                                  pc_gen_ctype(as->expr->type), as->name, c)));
    }
    for (int i = 0; i < st->out_row.nfields; i++) {
        const pc_field *f = &st->out_row.fields[i];
        const char *cn = pc_gen_cname(g, f->name);
        int assigned = 0;
        for (int k = 0; k < st->nsets; k++)
            if (!strcmp(st->sets[k].name, f->name))
                assigned = 1;
        if (assigned)
            pc_sb_printf(&build, "o.%s = set_%s;\n", cn, f->name);
        else
            pc_sb_printf(&build, "o.%s = r->%s;\n", cn, cn);
        if (pc_gen_text_kept(g, node, i))
            pc_sb_printf(&build, "o.%s_text = r->%s_text;\n", f->name, f->name);
        for (int k = 0; st->keyed && k < st->nkey; k++)
            rekey |= assigned && st->out_key_fields[k] == i;
    }
    if (rekey) { /* a key field was rewritten: the key, so its hash, may have changed */
        pc_sb_printf(&build, "%s\n", pc_gen_key_hash(g, &st->out_row, st->out_key_fields, st->nkey, "o."));
        if (!g->serial) /* the record is on the worker of its old key */
            g->serial = pc_sprintf(g->a, "set %s rewrites a key field after its key_by", st->id);
    }
    const char *init, *check;
    pc_gen_eval(g, since, st->id, "return;", &init, &check);
    pc_tmpl(g->t, out, "set", "id", st->id, "in_type", g->ctype[st->in_nodes[0]], "out_type", g->ctype[node],
            "eval_init", init, "eval", pc_sb_arena(&eval, g->a), "eval_check", check, "build", pc_sb_arena(&build, g->a),
            "push", pc_gen_out_call(g, node, "&o"), NULL);
    pc_sb_free(&eval);
    pc_sb_free(&build);
}

int pc_gen_select_view(pc_gen *g, int node)
{
    const pc_pipeline *p = g->p;
    if (node < p->nsources || p->stages[node - p->nsources].kind != PC_S_SELECT)
        return 0;
    if (g->o->test) /* a pipec test build prints each node's records by its row type's table */
        return 0;
    const pc_stage *st = &p->stages[node - p->nsources];
    int in = st->in_nodes[0];
    const pc_row *ir = pc_node_row(p, in), *orow = &st->out_row;
    if (orow->nfields > ir->nfields || pc_gen_line_kept(g, node) != pc_gen_line_kept(g, in))
        return 0;
    for (int i = 0; i < ir->nfields; i++) {
        if (i >= orow->nfields) { /* what the select drops: metadata only (nothing after can name it) */
            if (!ir->fields[i].hidden)
                return 0;
            continue;
        }
        if (ir->fields[i].hidden || orow->fields[i].hidden || strcmp(ir->fields[i].name, orow->fields[i].name) ||
            ir->fields[i].type != orow->fields[i].type || pc_gen_text_kept(g, node, i) != pc_gen_text_kept(g, in, i))
            return 0;
    }
    return 1;
}

static void gen_select(pc_gen *g, pc_sb *out, const pc_stage *st, int node)
{
    if (pc_gen_select_view(g, node)) {
        pc_tmpl(g->t, out, "select_view", "id", st->id, "in_type", g->ctype[st->in_nodes[0]],
                "push", pc_gen_out_call(g, node, "r"), NULL);
        return;
    }
    pc_tmpl(g->t, out, "select", "id", st->id, "in_type", g->ctype[st->in_nodes[0]], "out_type", g->ctype[node],
            "build", pc_gen_row_build(g, "r", node), "push", pc_gen_out_call(g, node, "&o"), NULL);
}

/* The first key_by upstream of node, or NULL: records arriving at a key_by after one already
 * run on a worker, where they cannot change workers again. */
static const pc_stage *keyed_upstream(const pc_pipeline *p, int node)
{
    if (node < p->nsources)
        return NULL;
    const pc_stage *st = &p->stages[node - p->nsources];
    if (st->kind == PC_S_KEY_BY)
        return st;
    for (int i = 0; i < st->nin; i++) {
        const pc_stage *u = keyed_upstream(p, st->in_nodes[i]);
        if (u)
            return u;
    }
    return NULL;
}

/* 1 when every path into node comes from a key_by on exactly the fields `keys` and nothing on
 * the way rewrites them (windows and aggregates pass their key fields through unchanged): a
 * key_by on those fields then finds each record already on the worker of its key. */
static int same_key_upstream(const pc_pipeline *p, int node, const pc_stage *kb)
{
    if (node < p->nsources)
        return 0;
    const pc_stage *st = &p->stages[node - p->nsources];
    if (st->kind == PC_S_KEY_BY) {
        if (st->nkeys != kb->nkeys)
            return 0;
        for (int i = 0; i < st->nkeys; i++)
            if (strcmp(st->keys[i].s, kb->keys[i].s) != 0)
                return 0;
        return 1;
    }
    if (st->kind == PC_S_JOIN || st->kind == PC_S_PROCESS)
        return 0;
    for (int i = 0; st->kind == PC_S_SET && i < st->nsets; i++)
        for (int k = 0; k < kb->nkeys; k++)
            if (strcmp(st->sets[i].name, kb->keys[k].s) == 0)
                return 0;
    for (int i = 0; i < st->nin; i++)
        if (!same_key_upstream(p, st->in_nodes[i], kb))
            return 0;
    return 1;
}

/* The field table of a row: what the runtime needs to copy it (its strings) between threads. */
const char *pc_gen_row_table(pc_gen *g, const pc_row *row, const char *type)
{
    pc_sb t = { 0 };
    for (int i = 0; i < row->nfields; i++) {
        const pc_field *f = &row->fields[i];
        static const char *const store[] = { [PC_T_STRING] = "PRT_S_STR", [PC_T_INT] = "PRT_S_I64",
                                             [PC_T_FLOAT] = "PRT_S_F64", [PC_T_BOOL] = "PRT_S_BOOL",
                                             [PC_T_TIMESTAMP] = "PRT_S_I64" };
        static const char *const vtype[] = { [PC_T_STRING] = "PRT_V_STRING", [PC_T_INT] = "PRT_V_INT",
                                             [PC_T_FLOAT] = "PRT_V_FLOAT", [PC_T_BOOL] = "PRT_V_BOOL",
                                             [PC_T_TIMESTAMP] = "PRT_V_TIMESTAMP" };
        const char *n = pc_gen_cname(g, f->name);
        pc_sb_printf(&t, "{ \"%s\", offsetof(%s, %s), %s, %s, PRT_AGG_NONE, PRT_P_VALUE, NULL },\n", f->name, type,
                     n, store[f->type], vtype[f->type]);
    }
    const char *s = pc_sb_arena(&t, g->a);
    pc_sb_free(&t);
    return s;
}

static void gen_key_by(pc_gen *g, pc_sb *out, const pc_stage *st, int node)
{
    pc_sb keys = { 0 };
    const char *in_type = g->ctype[st->in_nodes[0]];
    const pc_row *in_row = pc_node_row(g->p, st->in_nodes[0]);
    for (int i = 0; i < st->nkeys; i++)
        pc_sb_printf(&keys, "%s%s", i ? ", " : "", st->keys[i].s);
    const pc_stage *up = keyed_upstream(g->p, st->in_nodes[0]);
    if (up && !same_key_upstream(g->p, st->in_nodes[0], st) && !g->serial)
        g->serial = pc_sprintf(g->a, "key_by %s comes after %s, on the worker of another key", st->id, up->id);
    pc_tmpl(g->t, out, "key_by", "id", st->id, "keys", pc_sb_arena(&keys, g->a), "in_type", in_type,
            "row_table", pc_gen_row_table(g, in_row, in_type), "nrow", pc_sprintf(g->a, "%d", in_row->nfields),
            "hash", pc_gen_key_hash(g, &st->out_row, st->out_key_fields, st->nkey, "r->"),
            "point", pc_sprintf(g->a, "%d", g->nshuffles),
            "push", pc_gen_out_call(g, node, "r"), NULL);
    pc_sb_printf(&g->shuffles, "{ \"%s\", &pg_%s_row_schema, pg_%s_on_worker },\n", st->id, st->id, st->id);
    g->nshuffles++;
    pc_sb_free(&keys);
}

static void gen_union(pc_gen *g, pc_sb *out, const pc_stage *st, int node)
{
    const pc_pipeline *p = g->p;
    for (int i = 0; i < st->nin; i++) {
        int in = st->in_nodes[i];
        if (i)
            pc_sb_puts(out, "\n");
        pc_tmpl(g->t, out, "union", "id", st->id, "input", pc_node_name(p, in), "in_type", g->ctype[in],
                "out_type", g->ctype[node], "build", pc_gen_row_build(g, "r", node),
                "push", pc_gen_out_call(g, node, "&o"), NULL);
    }
}

void pc_gen_stage(pc_gen *g, pc_sb *out, int s)
{
    const pc_stage *st = &g->p->stages[s];
    int node = pc_gen_node(g->p, s);
    switch (st->kind) {
    case PC_S_FILTER: gen_filter(g, out, st, node); break;
    case PC_S_SET: gen_set(g, out, st, node); break;
    case PC_S_SELECT: gen_select(g, out, st, node); break;
    case PC_S_KEY_BY: gen_key_by(g, out, st, node); break;
    case PC_S_UNION: gen_union(g, out, st, node); break;
    case PC_S_WINDOW:
    case PC_S_AGGREGATE:
    case PC_S_JOIN: pc_gen_window(g, out, st - g->p->stages); break;
    case PC_S_PROCESS: pc_gen_fn_stage(g, out, (int)(st - g->p->stages)); break;
    }
}
