/* pc_check.c — the semantic pass: the node namespace (sources and stage ids), stage inputs and
 * cycles, the record row of every node in dependency order, keyed-ness, event time, expression
 * and aggregate types, sinks and late outputs. A node that failed is marked bad and its
 * dependents are checked no further, so one mistake gives one diagnostic. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "pc_front.h"

typedef struct pc_nodeinfo {
    const pc_row *row;
    int keyed;
    const int *key;  /* indexes in row */
    int nkey;
    int event_time;
    int ok;          /* row is valid */
} pc_nodeinfo;

typedef struct pc_chk {
    pc_front *f;
    pc_pipeline *p;
    pc_nodeinfo *ni;
    int nnodes;
    const char **names; /* node names */
    pc_loc *name_loc;
    int *color;         /* DFS: 0 new, 1 on stack, 2 done */
    int *order;
    int norder;
    int *in_cycle;
} pc_chk;

static int pc_find_node(pc_chk *c, const char *name)
{
    for (int i = 0; i < c->nnodes; i++)
        if (c->names[i] && !strcmp(c->names[i], name))
            return i;
    return -1;
}

static void pc_unknown_node(pc_chk *c, pc_name n, const char *what)
{
    pc_error(c->f->d, n.loc, "%s '%s' names no source or stage", what, n.s);
    const char *s = pc_suggest(n.s, c->names, c->nnodes);
    if (s)
        pc_note(c->f->d, n.loc, "did you mean '%s'?", s);
}

static int pc_resolve(pc_chk *c, pc_name n, const char *what)
{
    int i = pc_find_node(c, n.s);
    if (i < 0)
        pc_unknown_node(c, n, what);
    return i;
}

static pc_row pc_row_copy(pc_arena *a, const pc_row *r, int extra)
{
    pc_row o;
    o.fields = pc_alloc(a, sizeof *o.fields * (size_t)(r->nfields + extra + 1));
    if (r->nfields)
        memcpy(o.fields, r->fields, sizeof *o.fields * (size_t)r->nfields);
    o.nfields = r->nfields;
    return o;
}

static int pc_row_index(const pc_row *r, const char *name)
{
    for (int i = 0; i < r->nfields; i++)
        if (!strcmp(r->fields[i].name, name))
            return i;
    return -1;
}

static void pc_unknown_field(pc_chk *c, pc_loc at, const pc_row *r, const char *name, const char *what)
{
    pc_error(c->f->d, at, "unknown field '%s'%s", name, what);
    const char **names = pc_alloc(c->f->a, sizeof *names * (size_t)(r->nfields + 1));
    for (int i = 0; i < r->nfields; i++)
        names[i] = r->fields[i].name;
    const char *s = pc_suggest(name, names, r->nfields);
    if (s)
        pc_note(c->f->d, at, "did you mean '%s'?", s);
}

static void pc_add_field(pc_row *r, const char *name, pc_type t, pc_loc loc)
{
    pc_field *x = &r->fields[r->nfields++];
    memset(x, 0, sizeof *x);
    x->name = name;
    x->path = name;
    x->type = t;
    x->loc = loc;
}

/* the visible fields of a row */
static pc_row pc_visible(pc_arena *a, const pc_row *r)
{
    pc_row o = { pc_alloc(a, sizeof(pc_field) * (size_t)(r->nfields + 1)), 0 };
    for (int i = 0; i < r->nfields; i++)
        if (!r->fields[i].hidden)
            o.fields[o.nfields++] = r->fields[i];
    return o;
}

/* ------------------------------------------------------------------ graph */

static void pc_stage_inputs(pc_chk *c, int k)
{
    pc_front *f = c->f;
    pc_stage *st = &c->p->stages[k];
    if (f->stage_bad[k])
        return;
    if (st->kind == PC_S_UNION) {
        st->in_nodes = pc_alloc(f->a, sizeof(int) * (size_t)(st->ninputs + 1));
        for (int i = 0; i < st->ninputs; i++) {
            int n = pc_resolve(c, st->inputs[i], "union input");
            if (n < 0)
                f->stage_bad[k] = 1;
            st->in_nodes[st->nin++] = n;
        }
        if (st->ninputs < 2)
            f->stage_bad[k] = 1;
        return;
    }
    if (st->kind == PC_S_JOIN) {
        st->in_nodes = pc_alloc(f->a, sizeof(int) * 2);
        if (!st->left.s || !st->right.s) {
            f->stage_bad[k] = 1;
            return;
        }
        st->in_nodes[0] = pc_resolve(c, st->left, "join input");
        st->in_nodes[1] = pc_resolve(c, st->right, "join input");
        st->nin = 2;
        if (st->in_nodes[0] < 0 || st->in_nodes[1] < 0)
            f->stage_bad[k] = 1;
        return;
    }
    st->in_nodes = pc_alloc(f->a, sizeof(int));
    st->nin = 1;
    if (st->from.s) {
        st->in_nodes[0] = pc_resolve(c, st->from, "from");
    } else if (k > 0) {
        st->in_nodes[0] = c->p->nsources + k - 1;
    } else if (c->p->nsources == 1) {
        st->in_nodes[0] = 0;
    } else {
        st->in_nodes[0] = -1;
        if (c->p->nsources > 1)
            pc_error(f->d, st->op_loc.line ? st->op_loc : st->loc,
                     "the first stage needs 'from': there are %d sources", c->p->nsources);
    }
    if (st->in_nodes[0] < 0)
        f->stage_bad[k] = 1;
}

/* DFS from stage k; reports each cycle once, at the edge that closes it. */
static void pc_dfs(pc_chk *c, int k, int *stack, int depth)
{
    pc_stage *st = &c->p->stages[k];
    c->color[k] = 1;
    stack[depth] = k;
    for (int i = 0; i < st->nin; i++) {
        int n = st->in_nodes[i];
        if (n < c->p->nsources)
            continue;
        int j = n - c->p->nsources;
        if (c->color[j] == 1) {
            /* the cycle is stack[pos..depth] -> j */
            int pos = depth;
            while (pos > 0 && stack[pos] != j)
                pos--;
            size_t len = 16;
            for (int q = pos; q <= depth; q++)
                len += strlen(c->p->stages[stack[q]].id) + 4;
            /* in data-flow order: j feeds stack[depth], which feeds ... stack[pos] == j */
            char *path = pc_alloc(c->f->a, len + strlen(c->p->stages[j].id) + 8);
            strcat(path, c->p->stages[j].id);
            for (int q = depth; q >= pos; q--) {
                if (stack[q] == j)
                    continue;
                strcat(path, " -> ");
                strcat(path, c->p->stages[stack[q]].id);
            }
            strcat(path, " -> ");
            strcat(path, c->p->stages[j].id);
            pc_loc at = st->from.s ? st->from.loc : st->op_loc;
            if (st->kind == PC_S_UNION && i < st->ninputs)
                at = st->inputs[i].loc;
            if (st->kind == PC_S_JOIN)
                at = i == 0 ? st->left.loc : st->right.loc;
            pc_error(c->f->d, at, "cycle: %s", path);
            for (int q = pos; q <= depth; q++)
                c->in_cycle[stack[q]] = 1;
        } else if (c->color[j] == 0) {
            pc_dfs(c, j, stack, depth + 1);
        }
    }
    c->color[k] = 2;
    c->order[c->norder++] = k;
}

/* ------------------------------------------------------------------ stages */

static int pc_keyed_input(pc_chk *c, pc_stage *st, const pc_nodeinfo *in, const char *what)
{
    if (in->keyed)
        return 0;
    pc_error(c->f->d, st->op_loc, "%s needs a keyed stream: add a key_by stage before it", what);
    return -1;
}

static int pc_check_aggs(pc_chk *c, pc_stage *st, pc_row *out)
{
    pc_front *f = c->f;
    pc_escope sc = { .row = &st->in_row };
    int rc = 0;
    for (int i = 0; i < st->naggs; i++) {
        pc_agg *g = &st->aggs[i];
        pc_type t = PC_T_INT;
        if (g->arg) {
            t = pc_expr_check(&f->ec, g->arg, &sc);
            const char *fn = pc_expr_agg_names[g->fn];
            if (t == PC_T_ERROR) {
                rc = -1;
                continue;
            }
            switch (g->fn) {
            case PC_A_SUM:
            case PC_A_AVG:
                if (t != PC_T_INT && t != PC_T_FLOAT) {
                    pc_error(f->d, g->arg->loc, "%s() needs a numeric argument, got %s", fn, pc_type_name(t));
                    rc = -1;
                    continue;
                }
                if (g->fn == PC_A_AVG)
                    t = PC_T_FLOAT;
                break;
            case PC_A_MIN:
            case PC_A_MAX:
                if (t == PC_T_BOOL) {
                    pc_error(f->d, g->arg->loc, "%s() needs an int, float, timestamp or string argument, got bool", fn);
                    rc = -1;
                    continue;
                }
                break;
            case PC_A_COUNT_DISTINCT:
                t = PC_T_INT;
                break;
            default:
                break;
            }
        }
        g->type = t;
        int clash = pc_row_index(out, g->name);
        if (clash >= 0) {
            pc_error(f->d, g->loc, "aggregate '%s' clashes with the %s field '%s' of the output", g->name,
                     !strcmp(g->name, "window_start") || !strcmp(g->name, "window_end") ? "window" : "key", g->name);
            rc = -1;
            continue;
        }
        pc_add_field(out, g->name, t, g->loc);
    }
    return rc;
}

/* previous_id: an explicit rename of a stateful stage's operator ID (savepoints restore the
 * state saved under the old ID into this stage). */
static void pc_check_previous_id(pc_chk *c, int k)
{
    pc_front *f = c->f;
    const pc_stage *st = &f->p->stages[k];
    if (!st->previous_id)
        return;
    int stateful = st->kind == PC_S_WINDOW || st->kind == PC_S_AGGREGATE || st->kind == PC_S_JOIN ||
                   st->kind == PC_S_PROCESS;
    if (!stateful) {
        pc_error(f->d, st->previous_id_loc, "previous_id on a stage without state: only windows, aggregates and "
                 "joins have an operator ID to carry over");
        return;
    }
    if (!st->id_given) {
        pc_error(f->d, st->previous_id_loc, "previous_id needs an id: the stage's new operator ID");
        return;
    }
    if (!strcmp(st->previous_id, st->id)) {
        pc_error(f->d, st->previous_id_loc, "previous_id is the stage's own id: a rename names the old id");
        return;
    }
    for (int i = 0; i < f->p->nstages; i++) {
        const pc_stage *o = &f->p->stages[i];
        if (i != k && !strcmp(o->id, st->previous_id)) {
            pc_error(f->d, st->previous_id_loc, "previous_id '%s' is the id of another stage, which keeps that state",
                     st->previous_id);
            pc_note(f->d, f->stage_id_loc[i], "'%s' is defined here", o->id);
            return;
        }
        if (i < k && o->previous_id && !strcmp(o->previous_id, st->previous_id)) {
            pc_error(f->d, st->previous_id_loc, "previous_id '%s' is claimed by two stages", st->previous_id);
            pc_note(f->d, o->previous_id_loc, "first claimed here");
            return;
        }
    }
}

/* keyed output of FILTER/SET/SELECT: all key fields survive with the same types */
static void pc_keep_key(pc_chk *c, pc_stage *st, const pc_nodeinfo *in, pc_nodeinfo *out)
{
    if (!in->keyed)
        return;
    int *k = pc_alloc(c->f->a, sizeof(int) * (size_t)(in->nkey + 1));
    for (int i = 0; i < in->nkey; i++) {
        const pc_field *kf = &in->row->fields[in->key[i]];
        int j = pc_row_index(&st->out_row, kf->name);
        if (j < 0 || st->out_row.fields[j].type != kf->type)
            return;
        k[i] = j;
    }
    out->keyed = 1;
    out->key = k;
    out->nkey = in->nkey;
    st->keyed = 1;
    st->out_key_fields = k;
    st->key_fields = (int *)in->key;
    st->nkey = in->nkey;
}

static int pc_window_time(pc_chk *c, int k, pc_stage *st, int event_time)
{
    pc_front *f = c->f;
    int rc = 0;
    if (f->stage_time_given[k] == 1 && !event_time) {
        pc_error(f->d, f->stage_time_loc[k], "time: event needs records with event time, but the input of stage '%s' has none",
                 st->id);
        pc_note(f->d, f->stage_time_loc[k], "set 'event_time' on the source, or use 'time: processing'");
        rc = -1;
    }
    if (!f->stage_time_given[k])
        st->win.processing_time = !event_time;
    if (st->win.processing_time || (f->stage_time_given[k] == 1 && !event_time)) {
        if (f->stage_late_loc[k].line) {
            pc_error(f->d, f->stage_late_loc[k], "allowed_lateness needs event time, but stage '%s' uses processing time",
                     st->id);
            rc = -1;
        }
        if (st->win.late_output.s) {
            pc_error(f->d, st->win.late_output.loc, "late_output needs event time, but stage '%s' uses processing time",
                     st->id);
            rc = -1;
        }
    }
    return rc;
}

static void pc_late_output(pc_chk *c, int k, pc_stage *st)
{
    pc_front *f = c->f;
    pc_name lo = st->win.late_output;
    if (!lo.s)
        return;
    int found = -1;
    const char **names = pc_alloc(f->a, sizeof *names * (size_t)(c->p->nsinks + 1));
    int nn = 0;
    for (int i = 0; i < c->p->nsinks; i++) {
        if (c->p->sinks[i].is_errors)
            continue;
        names[nn++] = c->p->sinks[i].name;
        if (!strcmp(c->p->sinks[i].name, lo.s))
            found = i;
    }
    if (found < 0) {
        pc_error(f->d, lo.loc, "late_output '%s' names no sink", lo.s);
        const char *s = pc_suggest(lo.s, names, nn);
        if (s)
            pc_note(f->d, lo.loc, "did you mean '%s'?", s);
        return;
    }
    pc_sink *sk = &c->p->sinks[found];
    if (sk->late_from_stage >= 0) {
        pc_error(f->d, lo.loc, "sink '%s' already receives the late output of stage '%s'", lo.s,
                 c->p->stages[sk->late_from_stage].id);
        return;
    }
    sk->late_from_stage = k;
    st->win.late_sink = found;
    if (sk->from.s) {
        pc_error(f->d, sk->from.loc, "sink '%s' receives the late output of stage '%s' and takes no 'from'", sk->name,
                 st->id);
        pc_note(f->d, lo.loc, "named as late_output here");
    }
}

static void pc_check_stage(pc_chk *c, int k)
{
    pc_front *f = c->f;
    pc_pipeline *p = c->p;
    pc_stage *st = &p->stages[k];
    pc_nodeinfo *out = &c->ni[p->nsources + k];
    if (f->stage_bad[k] || c->in_cycle[k])
        return;
    for (int i = 0; i < st->nin; i++)
        if (st->in_nodes[i] < 0 || !c->ni[st->in_nodes[i]].ok)
            return;
    for (int i = 0; i < st->nin; i++) {
        int n = st->in_nodes[i] - p->nsources;
        if (n >= 0 && p->stages[n].kind == PC_S_PROCESS && !p->stages[n].fn->egress.s) {
            pc_error(f->d, st->from.s ? st->from.loc : st->op_loc,
                     "stage '%s' reads from function '%s', which has no egress", st->id, p->stages[n].id);
            pc_note(f->d, p->stages[n].op_loc, "declare 'egress: <schema>' in the function");
            return;
        }
    }
    const pc_nodeinfo *in = &c->ni[st->in_nodes[0]];
    st->in_row = *in->row;
    st->has_event_time = in->event_time;
    pc_escope sc = { .row = &st->in_row };
    int rc = 0;
    out->event_time = in->event_time;

    switch (st->kind) {
    case PC_S_FILTER: {
        pc_type t = pc_expr_check(&f->ec, st->filter, &sc);
        if (st->filter && t != PC_T_BOOL && t != PC_T_ERROR)
            pc_error(f->d, st->filter->loc, "a filter must be a bool expression, got %s", pc_type_name(t));
        st->out_row = st->in_row;
        pc_keep_key(c, st, in, out);
        break;
    }
    case PC_S_SET: {
        st->out_row = pc_row_copy(f->a, &st->in_row, st->nsets);
        for (int i = 0; i < st->nsets; i++) {
            pc_assign *as = &st->sets[i];
            /* a bad expression leaves an error-typed field: later uses stay silent */
            pc_type t = as->expr ? pc_expr_check(&f->ec, as->expr, &sc) : PC_T_ERROR;
            int j = pc_row_index(&st->out_row, as->name);
            if (j < 0)
                pc_add_field(&st->out_row, as->name, t, as->loc);
            else {
                pc_field *x = &st->out_row.fields[j];
                x->type = t;
                x->hidden = 0;
                x->path = as->name;
                x->dflt = NULL;
                x->loc = as->loc;
            }
        }
        pc_keep_key(c, st, in, out);
        break;
    }
    case PC_S_SELECT: {
        st->out_row = pc_row_copy(f->a, &(pc_row){ NULL, 0 }, st->nselect);
        for (int i = 0; i < st->nselect; i++) {
            pc_name *n = &st->select[i];
            int j = pc_row_index(&st->in_row, n->s);
            if (j < 0) {
                pc_unknown_field(c, n->loc, &st->in_row, n->s, " in select");
                continue;
            }
            if (pc_row_index(&st->out_row, n->s) >= 0) {
                pc_error(f->d, n->loc, "field '%s' is selected twice", n->s);
                continue;
            }
            st->out_row.fields[st->out_row.nfields] = st->in_row.fields[j];
            st->out_row.fields[st->out_row.nfields].hidden = 0;
            st->out_row.nfields++;
        }
        pc_keep_key(c, st, in, out);
        break;
    }
    case PC_S_KEY_BY: {
        int *kf = pc_alloc(f->a, sizeof(int) * (size_t)(st->nkeys + 1));
        for (int i = 0; i < st->nkeys; i++) {
            int j = pc_row_index(&st->in_row, st->keys[i].s);
            if (j < 0) {
                pc_unknown_field(c, st->keys[i].loc, &st->in_row, st->keys[i].s, " in key_by");
                rc = -1;
                continue;
            }
            for (int q = 0; q < i; q++)
                if (kf[q] == j) {
                    pc_error(f->d, st->keys[i].loc, "key field '%s' is named twice", st->keys[i].s);
                    rc = -1;
                }
            kf[i] = j;
        }
        if (st->nkeys == 0)
            rc = -1;
        st->out_row = st->in_row;
        st->key_fields = kf;
        st->nkey = st->nkeys;
        st->out_key_fields = kf;
        st->keyed = 1;
        out->keyed = 1;
        out->key = kf;
        out->nkey = st->nkeys;
        break;
    }
    case PC_S_WINDOW:
    case PC_S_AGGREGATE: {
        int is_win = st->kind == PC_S_WINDOW;
        if (pc_keyed_input(c, st, in, is_win ? "a window" : "an aggregate")) {
            pc_row scratch = pc_row_copy(f->a, &(pc_row){ NULL, 0 }, st->naggs + 1);
            pc_check_aggs(c, st, &scratch); /* still report type errors in the aggregates */
            rc = -1;
            break;
        }
        st->key_fields = (int *)in->key;
        st->nkey = in->nkey;
        if (is_win) {
            pc_window_time(c, k, st, in->event_time);
            pc_late_output(c, k, st);
        }
        st->out_row = pc_row_copy(f->a, &(pc_row){ NULL, 0 }, in->nkey + 2 + st->naggs);
        for (int i = 0; i < in->nkey; i++) {
            pc_field x = st->in_row.fields[in->key[i]];
            x.hidden = 0;
            x.path = x.name;
            x.dflt = NULL;
            st->out_row.fields[st->out_row.nfields++] = x;
        }
        if (is_win && st->win.kind != PC_W_GLOBAL) {
            pc_add_field(&st->out_row, "window_start", PC_T_TIMESTAMP, st->op_loc);
            pc_add_field(&st->out_row, "window_end", PC_T_TIMESTAMP, st->op_loc);
        }
        pc_check_aggs(c, st, &st->out_row);
        if (is_win)
            out->event_time = !st->win.processing_time && st->win.kind != PC_W_GLOBAL;
        break;
    }
    case PC_S_UNION: {
        /* inputs must agree on their visible fields, in order; hidden metadata is kept only
         * when every input has the same (e.g. a union of kafka sources) */
        const pc_row *r0 = in->row;
        int et = 1, same_hidden = 1;
        pc_row v0 = pc_visible(f->a, r0);
        for (int i = 0; i < st->nin; i++) {
            const pc_row *r = c->ni[st->in_nodes[i]].row;
            et &= c->ni[st->in_nodes[i]].event_time;
            if (i == 0)
                continue;
            pc_row v = pc_visible(f->a, r);
            const char *a = st->inputs[0].s, *b = st->inputs[i].s;
            if (r->nfields != r0->nfields)
                same_hidden = 0;
            else
                for (int j = 0; j < r->nfields; j++)
                    if (strcmp(r->fields[j].name, r0->fields[j].name) || r->fields[j].type != r0->fields[j].type)
                        same_hidden = 0;
            int n = v.nfields < v0.nfields ? v.nfields : v0.nfields, diff = -1;
            for (int j = 0; j < n && diff < 0; j++)
                if (strcmp(v.fields[j].name, v0.fields[j].name) || v.fields[j].type != v0.fields[j].type)
                    diff = j;
            if (diff >= 0) {
                pc_error(f->d, st->inputs[i].loc, "union inputs differ at field %d: '%s %s' in '%s', '%s %s' in '%s'",
                         diff + 1, v0.fields[diff].name, pc_type_name(v0.fields[diff].type), a, v.fields[diff].name,
                         pc_type_name(v.fields[diff].type), b);
                rc = -1;
            } else if (v.nfields != v0.nfields) {
                pc_error(f->d, st->inputs[i].loc, "union inputs differ: '%s' has %d fields, '%s' has %d", b, v.nfields,
                         a, v0.nfields);
                rc = -1;
            }
        }
        st->out_row = same_hidden ? *r0 : v0;
        st->in_row = st->out_row;
        st->has_event_time = et;
        out->event_time = et;
        break;
    }
    case PC_S_JOIN: {
        const pc_nodeinfo *rin = &c->ni[st->in_nodes[1]];
        st->right_row = *rin->row;
        if (!in->keyed) {
            pc_error(f->d, st->left.loc, "join input '%s' is not keyed: add a key_by stage before it", st->left.s);
            rc = -1;
        }
        if (!rin->keyed) {
            pc_error(f->d, st->right.loc, "join input '%s' is not keyed: add a key_by stage before it", st->right.s);
            rc = -1;
        }
        if (rc)
            break;
        if (in->nkey != rin->nkey) {
            pc_error(f->d, st->op_loc, "join inputs have different keys: '%s' has %d key field%s, '%s' has %d",
                     st->left.s, in->nkey, in->nkey == 1 ? "" : "s", st->right.s, rin->nkey);
            rc = -1;
            break;
        }
        for (int i = 0; i < in->nkey; i++) {
            const pc_field *a = &in->row->fields[in->key[i]], *b = &rin->row->fields[rin->key[i]];
            if (a->type != b->type) {
                pc_error(f->d, st->op_loc, "join keys differ in type: '%s' is %s in '%s', '%s' is %s in '%s'", a->name,
                         pc_type_name(a->type), st->left.s, b->name, pc_type_name(b->type), st->right.s);
                rc = -1;
            }
        }
        st->key_fields = (int *)in->key;
        st->nkey = in->nkey;
        st->right_key_fields = (int *)rin->key;
        int et = in->event_time && rin->event_time;
        st->has_event_time = et;
        st->win.processing_time = !et;
        out->event_time = et;
        pc_escope js = { .left = in->row, .right = rin->row };
        int n = st->nfields ? st->nfields : in->row->nfields + rin->row->nfields;
        st->out_row = pc_row_copy(f->a, &(pc_row){ NULL, 0 }, n + 2);
        pc_add_field(&st->out_row, "window_start", PC_T_TIMESTAMP, st->op_loc);
        pc_add_field(&st->out_row, "window_end", PC_T_TIMESTAMP, st->op_loc);
        if (st->nfields) {
            for (int i = 0; i < st->nfields; i++) {
                pc_assign *as = &st->fields[i];
                pc_type t = as->expr ? pc_expr_check(&f->ec, as->expr, &js) : PC_T_ERROR;
                if (pc_row_index(&st->out_row, as->name) >= 0) {
                    pc_error(f->d, as->loc, "join field '%s' clashes with the window field of the output", as->name);
                    rc = -1;
                    continue;
                }
                pc_add_field(&st->out_row, as->name, t, as->loc);
            }
        } else {
            for (int side = 0; side < 2; side++) {
                const pc_row *r = side ? rin->row : in->row;
                for (int i = 0; i < r->nfields; i++) {
                    if (r->fields[i].hidden)
                        continue;
                    if (pc_row_index(&st->out_row, r->fields[i].name) >= 0) {
                        pc_error(f->d, st->op_loc, "join output field '%s' is in both inputs (or is a window field)",
                                 r->fields[i].name);
                        pc_note(f->d, st->op_loc, "name the output with 'fields:', e.g. {%s: left.%s}",
                                r->fields[i].name, r->fields[i].name);
                        rc = -1;
                        break;
                    }
                    pc_field x = r->fields[i];
                    x.path = x.name;
                    x.dflt = NULL;
                    st->out_row.fields[st->out_row.nfields++] = x;
                }
                if (rc)
                    break;
            }
        }
        break;
    }
    case PC_S_PROCESS: {
        pc_function *fn = st->fn;
        if (fn->when) {
            pc_type t = pc_expr_check(&f->ec, fn->when, &sc);
            if (t != PC_T_BOOL && t != PC_T_ERROR) {
                pc_error(f->d, fn->when->loc, "a route's 'when' must be a bool expression, got %s", pc_type_name(t));
                rc = -1;
            }
        }
        if (fn->key) {
            pc_type t = pc_expr_check(&f->ec, fn->key, &sc);
            if (t != fn->key_type && t != PC_T_ERROR) {
                pc_error(f->d, fn->key->loc, "the route's key is %s, but function '%s' is keyed by %s",
                         pc_type_name(t), st->id, pc_type_name(fn->key_type));
                pc_note(f->d, fn->key_loc.line ? fn->key_loc : st->op_loc, "convert it, e.g. %s(...), or change the "
                        "function's 'key:'", pc_type_name(fn->key_type));
                rc = -1;
            }
        }
        if (fn->timers == PC_FT_EVENT && !in->event_time) {
            pc_error(f->d, fn->timers_loc, "'timers: event' needs event time, but the records reaching '%s' carry none",
                     st->id);
            pc_note(f->d, fn->timers_loc, "set 'event_time' on the source, or use 'timers: processing'");
            rc = -1;
        }
        if (fn->timers && !fn->nmsgs) {
            pc_error(f->d, fn->timers_loc, "'timers' delays messages, but '%s' accepts none: declare them in 'messages:'",
                     st->id);
            rc = -1;
        }
        if (fn->file) { /* beside the YAML, as pipec build will look for it */
            const char *slash = strrchr(p->file, '/');
            const char *path = fn->file[0] == '/' || !slash ? fn->file
                             : pc_sprintf(f->a, "%.*s/%s", (int)(slash - p->file), p->file, fn->file);
            if (access(path, R_OK) != 0) {
                pc_error(f->d, fn->file_loc, "cannot read '%s', the code of function '%s': %s", fn->file, st->id,
                         strerror(errno));
                pc_note(f->d, fn->file_loc, "the path is relative to the directory of the YAML file");
                rc = -1;
            }
        }
        for (int i = 0; i < fn->nmsgs; i++) { /* <id>_event and <id>_ctx are the API's own types */
            const char *n = fn->msgs[i].name;
            if (!strcmp(n, "event") || !strcmp(n, "ctx") || !strcmp(n, "state")) {
                pc_error(f->d, fn->msgs[i].loc, "message name '%s' is reserved: %s_%s is a type of the function's API",
                         n, st->id, n);
                rc = -1;
            }
        }
        fn->targets = pc_alloc(f->a, sizeof(int) * (size_t)(fn->nmessages_to + 1));
        for (int i = 0; i < fn->nmessages_to; i++) {
            pc_name *n = &fn->messages_to[i];
            int j = pc_find_node(c, n->s);
            fn->targets[i] = -1;
            if (j < p->nsources || p->stages[j - p->nsources].kind != PC_S_PROCESS) {
                pc_error(f->d, n->loc, "messages_to '%s' names no function stage", n->s);
                const char **names = pc_alloc(f->a, sizeof *names * (size_t)(p->nstages + 1));
                int nn = 0;
                for (int q = 0; q < p->nstages; q++)
                    if (p->stages[q].kind == PC_S_PROCESS)
                        names[nn++] = p->stages[q].id;
                const char *s = pc_suggest(n->s, names, nn);
                if (s)
                    pc_note(f->d, n->loc, "did you mean '%s'?", s);
                rc = -1;
            } else if (!p->stages[j - p->nsources].fn->nmsgs) {
                pc_error(f->d, n->loc, "function '%s' accepts no messages: declare them in its 'messages:'", n->s);
                rc = -1;
            } else
                fn->targets[i] = j - p->nsources;
        }
        st->out_row.fields = NULL;
        st->out_row.nfields = 0;
        for (int i = 0; fn->egress.s && i < p->nschemas; i++)
            if (!strcmp(p->schemas[i].name, fn->egress.s))
                st->out_row = p->schemas[i].row;
        if (!st->out_row.fields)
            st->out_row.fields = pc_alloc(f->a, sizeof(pc_field));
        out->keyed = 0;
        st->keyed = 0;
        break;
    }
    }
    out->row = &st->out_row;
    out->ok = rc == 0;
}

/* ------------------------------------------------------------------ limits of this pipec */

/* What the language allows but the code generator does not (yet). */
static void pc_check_limits(pc_chk *c)
{
    pc_front *f = c->f;
    const pc_pipeline *p = c->p;
    if (p->nsources > PC_MAX_SOURCES)
        pc_error(f->d, p->sources[PC_MAX_SOURCES].loc, "too many sources: at most %d are supported",
                 PC_MAX_SOURCES);
    for (int i = 0; i < p->nsources; i++) {
        const pc_source *s = &p->sources[i];
        int n = 0;
        while (n < s->row.nfields && !s->row.fields[n].hidden) /* schema fields come first */
            n++;
        if (n > PC_MAX_SOURCE_FIELDS)
            pc_error(f->d, s->loc, "source '%s' has %d fields: at most %d are supported", s->name, n,
                     PC_MAX_SOURCE_FIELDS);
    }
    for (int k = 0; k < p->nstages; k++)
        if (p->stages[k].kind == PC_S_PROCESS && !f->stage_bad[k] && p->parallelism > 1) {
            pc_error(f->d, p->stages[k].op_loc, "function stages run at parallelism 1 only, but the pipeline "
                                                "sets parallelism %d", p->parallelism);
            pc_note(f->d, p->stages[k].op_loc, "messages between functions are delivered within one worker");
            break;
        }
}

/* A postgres sink's upsert key: fields of the record it receives, each once; upsert needs one,
 * append takes none (a mode given by ${...} is checked when the job starts). */
static void pc_check_pg_sink(pc_front *f, const pc_sink *sk, const pc_row *row)
{
    const char **vis = pc_alloc(f->a, sizeof *vis * (size_t)(row->nfields + 1));
    int nvis = 0;
    for (int i = 0; i < row->nfields; i++)
        if (!row->fields[i].hidden)
            vis[nvis++] = row->fields[i].name;
    for (int i = 0; i < sk->npg_key; i++) {
        const pc_name *k = &sk->pg_key[i];
        int found = 0;
        for (int v = 0; v < nvis && !found; v++)
            found = !strcmp(vis[v], k->s);
        if (!found) {
            pc_error(f->d, k->loc, "key field '%s' is not a field of the records sink '%s' receives", k->s, sk->name);
            const char *s = pc_suggest(k->s, vis, nvis);
            if (s)
                pc_note(f->d, k->loc, "did you mean '%s'?", s);
        }
        for (int j = 0; j < i; j++)
            if (!strcmp(sk->pg_key[j].s, k->s)) {
                pc_error(f->d, k->loc, "key field '%s' is listed twice", k->s);
                break;
            }
    }
    if (sk->pg_mode == 1 && sk->npg_key == 0)
        pc_error(f->d, sk->pg_mode_loc, "mode 'upsert' of sink '%s' needs 'key': the fields that identify a row",
                 sk->name);
    if (sk->pg_mode == 0 && sk->npg_key > 0)
        pc_error(f->d, sk->pg_key_loc, "'key' applies to mode 'upsert' only: mode 'append' writes every record");
}

/* ------------------------------------------------------------------ the pipeline */

int pc_check(pc_front *f)
{
    pc_pipeline *p = f->p;
    pc_chk c = { .f = f, .p = p };
    c.nnodes = p->nsources + p->nstages;
    c.ni = pc_alloc(f->a, sizeof *c.ni * (size_t)(c.nnodes + 1));
    c.names = pc_alloc(f->a, sizeof *c.names * (size_t)(c.nnodes + 1));
    c.name_loc = pc_alloc(f->a, sizeof *c.name_loc * (size_t)(c.nnodes + 1));
    c.color = pc_alloc(f->a, sizeof(int) * (size_t)(p->nstages + 1));
    c.order = pc_alloc(f->a, sizeof(int) * (size_t)(p->nstages + 1));
    c.in_cycle = pc_alloc(f->a, sizeof(int) * (size_t)(p->nstages + 1));

    /* the node namespace */
    for (int i = 0; i < c.nnodes; i++) {
        int is_src = i < p->nsources;
        const char *name = is_src ? p->sources[i].name : p->stages[i - p->nsources].id;
        pc_loc loc = is_src ? p->sources[i].loc : f->stage_id_loc[i - p->nsources];
        int prev = name ? pc_find_node(&c, name) : -1;
        if (prev >= 0) {
            pc_error(f->d, loc, "duplicate id '%s'", name);
            pc_note(f->d, c.name_loc[prev], "first defined here");
            if (!is_src)
                f->stage_bad[i - p->nsources] = 1;
            continue;
        }
        c.names[i] = name;
        c.name_loc[i] = loc;
    }

    for (int i = 0; i < p->nsources; i++) {
        pc_source *s = &p->sources[i];
        c.ni[i].row = &s->row;
        c.ni[i].event_time = s->event_time >= 0;
        c.ni[i].ok = s->row.nfields > 0;
    }

    for (int k = 0; k < p->nstages; k++) {
        pc_stage *st = &p->stages[k];
        pc_stage_inputs(&c, k);
        if (!st->id_given && !f->stage_bad[k] &&
            (st->kind == PC_S_WINDOW || st->kind == PC_S_AGGREGATE || st->kind == PC_S_JOIN ||
             st->kind == PC_S_PROCESS)) {
            pc_warning(f->d, st->op_loc, "-Wmissing-id",
                       "stage has no id: its state is tied to its position; add an id to keep state across changes");
            pc_note(f->d, st->op_loc, "its generated id is '%s'", st->id);
        }
        pc_check_previous_id(&c, k);
    }

    int *stack = pc_alloc(f->a, sizeof(int) * (size_t)(p->nstages + 1));
    for (int k = 0; k < p->nstages; k++)
        if (!f->stage_bad[k] && c.color[k] == 0)
            pc_dfs(&c, k, stack, 0);
    for (int i = 0; i < c.norder; i++)
        pc_check_stage(&c, c.order[i]);
    pc_check_limits(&c);

    /* sinks */
    for (int i = 0; i < p->nsinks; i++) {
        pc_sink *sk = &p->sinks[i];
        if (sk->is_errors)
            continue;
        const pc_row *row = NULL;
        int ok = 0;
        if (sk->late_from_stage >= 0) {
            pc_stage *st = &p->stages[sk->late_from_stage];
            row = &st->in_row;
            ok = st->in_row.nfields > 0;
            sk->from_node = -1;
        } else {
            int n = -1;
            if (sk->from.s) {
                n = pc_find_node(&c, sk->from.s);
                if (n < 0) {
                    pc_error(f->d, sk->from.loc, "sink '%s' reads from '%s', which names no source or stage", sk->name,
                             sk->from.s);
                    const char *s = pc_suggest(sk->from.s, c.names, c.nnodes);
                    if (s)
                        pc_note(f->d, sk->from.loc, "did you mean '%s'?", s);
                }
            } else if (p->nstages > 0)
                n = p->nsources + p->nstages - 1;
            else if (p->nsources == 1)
                n = 0;
            else if (p->nsources > 1)
                pc_error(f->d, sk->loc, "sink '%s' needs 'from': there are %d sources and no stages", sk->name,
                         p->nsources);
            sk->from_node = n;
            if (n >= p->nsources && p->stages[n - p->nsources].kind == PC_S_PROCESS &&
                !p->stages[n - p->nsources].fn->egress.s) {
                pc_error(f->d, sk->from.s ? sk->from.loc : sk->loc, "sink '%s' reads from function '%s', which has no egress",
                         sk->name, p->stages[n - p->nsources].id);
                pc_note(f->d, p->stages[n - p->nsources].op_loc, "declare 'egress: <schema>' in the function");
                n = -1;
            }
            if (n >= 0) {
                row = c.ni[n].row;
                ok = c.ni[n].ok;
            }
        }
        if (sk->key && row && ok) {
            pc_escope sc = { .row = row };
            pc_expr_check(&f->ec, sk->key, &sc);
        }
        if (sk->conn == PC_CONN_POSTGRES && row && ok)
            pc_check_pg_sink(f, sk, row);
    }
    return f->d->errors ? -1 : 0;
}
