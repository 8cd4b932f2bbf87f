/* pc_gen_test.c — what a `pipec test` build adds to the generated C (test.c.tmpl): a field table
 * per record shape, so the runtime can print any node's output and read any stage's input, and
 * one entry point per stage input that feeds a record straight into the stage (isolation).
 *
 * A normal build emits none of this: the tap slot of the fan-out and the test slot of the job
 * descriptor stay empty, so `pipec build` and `pipec emit` give the same bytes as before. */
#include <string.h>

#include "pc_gen_int.h"

const char *pc_gen_push_name(pc_gen *g, int s, int i)
{
    const pc_pipeline *p = g->p;
    const pc_stage *st = &p->stages[s];
    if (st->kind == PC_S_UNION)
        return pc_sprintf(g->a, "pg_%s_push_%s", st->id, pc_node_name(p, st->in_nodes[i]));
    if (st->kind == PC_S_JOIN)
        return pc_sprintf(g->a, "pg_%s_push_%s", st->id, i == 0 ? "left" : "right");
    return pc_sprintf(g->a, "pg_%s_push", st->id);
}

const char *pc_gen_test_tap(pc_gen *g, int node)
{
    if (!g->o->test || pc_node_is_source(g->p, node))
        return "";
    return pc_sprintf(g->a, "if (wk->job->tap == %d) { /* pipec test: this stage is isolated */\n"
                            "    prt_test_tap(wk, %d, r, ts);\n    return;\n}", node, node);
}

/* The key hash records arriving from node carry: that of its key_by, when node is keyed. */
static const char *input_hash(pc_gen *g, int node)
{
    const pc_pipeline *p = g->p;
    if (pc_node_is_source(p, node))
        return "";
    const pc_stage *in = &p->stages[node - p->nsources];
    if (!in->keyed || !in->out_key_fields)
        return "";
    return pc_gen_key_hash(g, pc_node_row(p, node), in->out_key_fields, in->nkey, "r->");
}

void pc_gen_test(pc_gen *g, pc_sb *out)
{
    const pc_pipeline *p = g->p;
    int nn = p->nsources + p->nstages;
    pc_sb tables = { 0 }, entries = { 0 }, inputs = { 0 }, nodes = { 0 };
    for (int n = 0; n < nn; n++) {
        int first = 1;
        for (int m = 0; m < n && first; m++)
            first = strcmp(g->ctype[m], g->ctype[n]) != 0;
        if (first) {
            const pc_row *row = pc_node_row(p, n);
            const char *t = row->nfields ? pc_gen_row_table(g, row, g->ctype[n]) : "{ 0 }, /* no fields */\n";
            pc_tmpl(g->t, &tables, "test_table", "type", g->ctype[n], "table", t,
                    "nfields", pc_sprintf(g->a, "%d", row->nfields), NULL);
        }
        pc_sb_printf(&nodes, "&%s_test, /* %s */\n", g->ctype[n], pc_node_name(p, n));
    }
    int ninputs = 0;
    for (int s = 0; s < p->nstages; s++) {
        const pc_stage *st = &p->stages[s];
        for (int i = 0; i < st->nin; i++) {
            int in = st->in_nodes[i];
            const char *hash = input_hash(g, in);
            pc_tmpl(g->t, &entries, "test_entry", "id", st->id, "input", pc_sprintf(g->a, "%d", i),
                    "type", g->ctype[in], "hash", hash, "push", pc_gen_push_name(g, s, i), NULL);
            pc_sb_printf(&inputs, "{ \"%s\", \"%s\", &%s_test, pg_%s_test_in%d },\n", st->id,
                         pc_node_name(p, in), g->ctype[in], st->id, i);
            ninputs++;
        }
    }
    if (!ninputs)
        pc_sb_puts(&inputs, "{ 0 }, /* no stages */");
    pc_sb_puts(out, "\n");
    pc_tmpl(g->t, out, "test", "tables", pc_sb_arena(&tables, g->a), "entries", pc_sb_arena(&entries, g->a),
            "inputs", pc_sb_arena(&inputs, g->a), "nodes", pc_sb_arena(&nodes, g->a),
            "ninputs", pc_sprintf(g->a, "%d", ninputs), "nnodes", pc_sprintf(g->a, "%d", nn), NULL);
    pc_sb_free(&tables);
    pc_sb_free(&entries);
    pc_sb_free(&inputs);
    pc_sb_free(&nodes);
}
