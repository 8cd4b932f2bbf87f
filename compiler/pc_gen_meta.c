/* pc_gen_meta.c — which metadata fields of a source (_key, _timestamp, _partition, _offset,
 * _topic; _file, _line) a pipeline reads at all.
 *
 * A metadata field costs something to set on every record (the topic's strlen, the Kafka
 * message's timestamp call), and most jobs never read one. A field is read when any expression
 * names it (filters, sets, aggregates, joins, a function's route, a sink's key), when a select
 * or key_by keeps it, when a postgres sink keys on it, or when it is a source's event time.
 * Sinks write no metadata, and a function's input record holds the visible fields only
 * (pc_gen_fn.c), so nothing else reads one. The test is by name over the whole pipeline: a field
 * named in one branch counts as read in every source, which is only ever cautious.
 */
#include <string.h>

#include "pc_gen_int.h"

static int expr_names(const pc_expr *e, const char *name)
{
    if (!e)
        return 0;
    if (e->kind == PC_E_FIELD && e->s && !strcmp(e->s, name))
        return 1;
    for (int i = 0; i < e->nargs; i++)
        if (expr_names(e->args[i], name))
            return 1;
    return 0;
}

static int names_hold(const pc_name *n, int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (n[i].s && !strcmp(n[i].s, name))
            return 1;
    return 0;
}

static int stage_reads(const pc_stage *st, const char *name)
{
    if (expr_names(st->filter, name) || names_hold(st->select, st->nselect, name) ||
        names_hold(st->keys, st->nkeys, name))
        return 1;
    for (int i = 0; i < st->nsets; i++)
        if (!strcmp(st->sets[i].name, name) || expr_names(st->sets[i].expr, name))
            return 1;
    for (int i = 0; i < st->naggs; i++)
        if (expr_names(st->aggs[i].arg, name))
            return 1;
    for (int i = 0; i < st->nfields; i++)
        if (expr_names(st->fields[i].expr, name))
            return 1;
    if (st->fn && (expr_names(st->fn->when, name) || expr_names(st->fn->key, name)))
        return 1;
    return 0;
}

int pc_gen_meta_read(pc_gen *g, const char *name)
{
    const pc_pipeline *p = g->p;
    if (g->o->test) /* a pipec test build compares whole records: keep everything */
        return 1;
    for (int i = 0; i < p->nsources; i++) {
        const pc_source *s = &p->sources[i];
        if (s->event_time >= 0 && !strcmp(s->row.fields[s->event_time].name, name))
            return 1;
    }
    for (int k = 0; k < p->nstages; k++)
        if (stage_reads(&p->stages[k], name))
            return 1;
    for (int k = 0; k < p->nsinks; k++) {
        const pc_sink *sk = &p->sinks[k];
        if (expr_names(sk->key, name) || names_hold(sk->pg_key, sk->npg_key, name))
            return 1;
    }
    return 0;
}
