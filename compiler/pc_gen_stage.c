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
    const char *cond = pc_gen_expr(g, st->filter, "r", NULL);
    pc_tmpl(g->t, out, "filter", "id", st->id, "expr_text", expr_text(g, st->filter->loc),
            "in_type", g->ctype[st->in_nodes[0]], "cond", pc_gen_lined(g, st->filter->loc, pc_sprintf(g->a, "keep = %s;", cond)),
            "push", pc_gen_out_call(g, node, "r"), NULL);
}

static void gen_set(pc_gen *g, pc_sb *out, const pc_stage *st, int node)
{
    pc_sb eval = { 0 }, build = { 0 };
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
    }
    pc_tmpl(g->t, out, "set", "id", st->id, "in_type", g->ctype[st->in_nodes[0]], "out_type", g->ctype[node],
            "eval", pc_sb_arena(&eval, g->a), "build", pc_sb_arena(&build, g->a),
            "push", pc_gen_out_call(g, node, "&o"), NULL);
    pc_sb_free(&eval);
    pc_sb_free(&build);
}

static void gen_select(pc_gen *g, pc_sb *out, const pc_stage *st, int node)
{
    pc_tmpl(g->t, out, "select", "id", st->id, "in_type", g->ctype[st->in_nodes[0]], "out_type", g->ctype[node],
            "build", pc_gen_row_build(g, "r", &st->out_row),
            "push", pc_gen_out_call(g, node, "&o"), NULL);
}

static void gen_key_by(pc_gen *g, pc_sb *out, const pc_stage *st, int node)
{
    pc_sb keys = { 0 };
    for (int i = 0; i < st->nkeys; i++)
        pc_sb_printf(&keys, "%s%s", i ? ", " : "", st->keys[i].s);
    pc_tmpl(g->t, out, "key_by", "id", st->id, "keys", pc_sb_arena(&keys, g->a),
            "in_type", g->ctype[st->in_nodes[0]], "push", pc_gen_out_call(g, node, "r"), NULL);
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
                "out_type", g->ctype[node], "build", pc_gen_row_build(g, "r", &st->out_row),
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
    case PC_S_PROCESS: break; /* refused in pc_gen_emit */
    }
}
