/* pc_gen_text.c — fields that travel with their csv input text, so a csv sink copies the text
 * instead of formatting the value parsed from it.
 *
 * A field of a csv source reaching a csv sink unchanged (an int, a timestamp, or a string
 * without a default when the sink's delimiter is the source's) gets a `<field>_text` member
 * beside it in each row struct on its way: the source sets it to the field's input text (a
 * string's only when csv needs no quotes for it, prt_csv_str_text; an int's or a timestamp's
 * only when it is canonical, exactly what formatting the value would write, which
 * prt_parse_int_text and prt_parse_ts_text find out nearly for free while they parse; else
 * { NULL, 0 }); selects and sets copy it; the sink writes it with prt_w_int_canon,
 * prt_w_ts_canon and prt_w_str_text, which copy the text when it is set and format the value
 * otherwise. Every output byte stays what formatting would give.
 *
 * The way runs through filters, selects, and sets that do not assign the field. Anything else
 * ends it: a key_by (its records may move to another worker's thread, which copies their
 * strings but would not copy the text beside them), windows, aggregates, unions, joins and
 * functions (their records are new). Not in `pipec test` builds (their sinks write JSON).
 *
 * A pass-through (Nexmark q0) goes further: when a csv sink writes exactly the fields of a csv
 * source without a header, in their order, with the source's delimiter, through filters and
 * selects only, the rows on the way also keep `_csv_line`: the whole input line when the line
 * is plain (no '"', no '\r'), else { NULL, 0 }. When every field's text is also canonical, the
 * sink writes that line as it is: the same bytes its fields would give, joined by the delimiter.
 *
 * An int whose text every reader copies (only selects on the way, then csv sinks that write its
 * text: pc_gen_value_unread) is not even converted when its text is canonical: the sink
 * formats the value only when the text is not, and then the value is there
 * (prt_parse_int_text_lazy). Its bad text is still refused as by prt_parse_int. The same way a
 * metadata field (_file, _line) that no select keeps, or that nothing names at all (pc_gen_meta.c),
 * is not even set (pc_gen_hidden_unread).
 */
#include <string.h>

#include "pc_gen_int.h"

/* The field index of name in row, or -1. */
static int field_index(const pc_row *row, const char *name)
{
    for (int i = 0; i < row->nfields; i++)
        if (!strcmp(row->fields[i].name, name))
            return i;
    return -1;
}

/* origin of field f of node n: source * PC_MAX_SOURCE_FIELDS + its field, or -1 */
static int origin_of(pc_gen *g, const pc_stage *st, int f)
{
    const pc_row *in = pc_node_row(g->p, st->in_nodes[0]);
    const char *name = st->out_row.fields[f].name;
    for (int k = 0; st->kind == PC_S_SET && k < st->nsets; k++)
        if (!strcmp(st->sets[k].name, name))
            return -1; /* assigned: a new value */
    int i = field_index(in, name);
    return i < 0 ? -1 : g->text_origin[st->in_nodes[0]][i];
}

void pc_gen_text_plan(pc_gen *g)
{
    const pc_pipeline *p = g->p;
    int nn = p->nsources + p->nstages;
    g->text_origin = pc_alloc(g->a, sizeof(int *) * (size_t)(nn + 1));
    g->text_want = pc_alloc(g->a, (size_t)(p->nsources + 1) * PC_MAX_SOURCE_FIELDS);
    for (int s = 0; s < p->nsources; s++) {
        const pc_source *src = &p->sources[s];
        int *o = pc_alloc(g->a, sizeof(int) * (size_t)(src->row.nfields + 1));
        for (int i = 0; i < src->row.nfields; i++)
            o[i] = src->format.kind == PC_FMT_CSV && !src->row.fields[i].hidden ? s * PC_MAX_SOURCE_FIELDS + i : -1;
        g->text_origin[s] = o;
    }
    for (int k = 0; k < p->nstages; k++) {
        int s = g->topo[k], node = pc_gen_node(p, s);
        const pc_stage *st = &p->stages[s];
        const pc_row *row = pc_node_row(p, node);
        int *o = pc_alloc(g->a, sizeof(int) * (size_t)(row->nfields + 1));
        for (int i = 0; i < row->nfields; i++) {
            if (st->kind == PC_S_FILTER)
                o[i] = g->text_origin[st->in_nodes[0]][i];
            else if (st->kind == PC_S_SELECT || st->kind == PC_S_SET)
                o[i] = origin_of(g, st, i);
            else
                o[i] = -1;
        }
        g->text_origin[node] = o;
    }
    if (g->o->test)
        return;
    for (int k = 0; k < p->nsinks; k++) {
        const pc_sink *sk = &p->sinks[k];
        if (sk->from_node < 0 || sk->format.kind != PC_FMT_CSV)
            continue;
        const pc_row *row = pc_node_row(p, sk->from_node);
        for (int i = 0; i < row->nfields; i++) {
            int o = g->text_origin[sk->from_node][i];
            if (o < 0 || row->fields[i].hidden)
                continue;
            const pc_source *src = &p->sources[o / PC_MAX_SOURCE_FIELDS];
            const pc_field *f = &src->row.fields[o % PC_MAX_SOURCE_FIELDS];
            char sd = src->format.csv_delim ? src->format.csv_delim : ',';
            char kd = sk->format.csv_delim ? sk->format.csv_delim : ',';
            if (f->type == PC_T_INT || f->type == PC_T_TIMESTAMP || (f->type == PC_T_STRING && !f->dflt && sd == kd))
                g->text_want[o] = 1;
        }
    }
}

int pc_gen_text_kept(pc_gen *g, int node, int field)
{
    int o = g->text_origin[node][field];
    return o >= 0 && g->text_want[o];
}

int pc_gen_text_written(pc_gen *g, const pc_sink *sk, int field)
{
    if (g->o->test || sk->from_node < 0 || sk->format.kind != PC_FMT_CSV || !pc_gen_text_kept(g, sk->from_node, field))
        return 0;
    int o = g->text_origin[sk->from_node][field];
    const pc_source *src = &g->p->sources[o / PC_MAX_SOURCE_FIELDS];
    char sd = src->format.csv_delim ? src->format.csv_delim : ',';
    char kd = sk->format.csv_delim ? sk->format.csv_delim : ',';
    return src->row.fields[o % PC_MAX_SOURCE_FIELDS].type != PC_T_STRING || sd == kd;
}

/* The source whose whole line node's row can stand for, or -1: its visible fields are the
 * source's, in order, each an unchanged copy whose text is kept, and every node on the way
 * (filters and selects) can stand for it too. */
static int line_source(pc_gen *g, int node)
{
    const pc_pipeline *p = g->p;
    const pc_row *row = pc_node_row(p, node);
    int s = -1, nvis = 0;
    for (int i = 0; i < row->nfields; i++) {
        if (row->fields[i].hidden)
            continue;
        int o = g->text_origin[node][i];
        if (o < 0 || !g->text_want[o] || o % PC_MAX_SOURCE_FIELDS != nvis || (s >= 0 && o / PC_MAX_SOURCE_FIELDS != s))
            return -1;
        s = o / PC_MAX_SOURCE_FIELDS;
        nvis++;
    }
    if (s < 0)
        return -1;
    const pc_source *src = &p->sources[s];
    for (int i = 0; i < src->row.nfields; i++)
        if (!src->row.fields[i].hidden && i >= nvis)
            return -1; /* a field of the source is missing */
    if (src->format.kind != PC_FMT_CSV || src->format.csv_header)
        return -1; /* with a header, columns may come in another order than the fields */
    if (pc_node_is_source(p, node))
        return s;
    const pc_stage *st = &p->stages[node - p->nsources];
    if (st->kind != PC_S_FILTER && st->kind != PC_S_SELECT)
        return -1;
    return line_source(g, st->in_nodes[0]) == s ? s : -1;
}

/* The csv sink sk writes a line_source row with the source's delimiter: the source to mark. */
static int line_sink_source(pc_gen *g, const pc_sink *sk)
{
    if (g->o->test || sk->from_node < 0 || sk->format.kind != PC_FMT_CSV)
        return -1;
    int s = line_source(g, sk->from_node);
    if (s < 0)
        return -1;
    const pc_source *src = &g->p->sources[s];
    char sd = src->format.csv_delim ? src->format.csv_delim : ',';
    char kd = sk->format.csv_delim ? sk->format.csv_delim : ',';
    return sd == kd ? s : -1;
}

int pc_gen_line_kept(pc_gen *g, int node)
{
    int s = line_source(g, node);
    if (s < 0)
        return 0;
    for (int k = 0; k < g->p->nsinks; k++)
        if (line_sink_source(g, &g->p->sinks[k]) == s)
            return 1;
    return 0;
}

int pc_gen_line_written(pc_gen *g, const pc_sink *sk)
{
    return line_sink_source(g, sk) >= 0;
}

/* The nodes source si's rows reach (reach[node] set), when those are selects and sinks without
 * a key expression only: nothing on the way reads a field but to copy it (selects) or to write
 * it (sinks); else NULL. */
static char *select_reach(pc_gen *g, int si)
{
    const pc_pipeline *p = g->p;
    char *reach = pc_alloc(g->a, (size_t)(p->nsources + p->nstages));
    reach[si] = 1;
    for (int k = 0; k < p->nstages; k++) {
        int s = g->topo[k], node = pc_gen_node(p, s);
        const pc_stage *st = &p->stages[s];
        for (int i = 0; i < st->nin; i++)
            reach[node] |= reach[st->in_nodes[i]];
        if (reach[node] && st->kind != PC_S_SELECT)
            return NULL; /* an expression, a key, a window, a function... may read it */
    }
    for (int k = 0; k < p->nsinks; k++) {
        const pc_sink *sk = &p->sinks[k];
        if (sk->from_node >= 0 && reach[sk->from_node] && (sk->key || sk->npg_key))
            return NULL;
    }
    return reach;
}

int pc_gen_hidden_unread(pc_gen *g, int si, const char *name)
{
    const pc_pipeline *p = g->p;
    if (!pc_gen_meta_read(g, name)) /* named nowhere (pc_gen_meta.c) */
        return 1;
    char *reach = select_reach(g, si);
    if (!reach)
        return 0;
    for (int k = 0; k < p->nstages; k++) { /* no select keeps it (sinks write no metadata) */
        int node = pc_gen_node(p, k);
        if (reach[node] && field_index(pc_node_row(p, node), name) >= 0)
            return 0;
    }
    return 1;
}

int pc_gen_value_unread(pc_gen *g, int si, int field)
{
    const pc_pipeline *p = g->p;
    if (!pc_gen_text_kept(g, si, field))
        return 0;
    int o = si * PC_MAX_SOURCE_FIELDS + field;
    char *reach = select_reach(g, si);
    if (!reach)
        return 0;
    for (int k = 0; k < p->nsinks; k++) {
        const pc_sink *sk = &p->sinks[k];
        if (sk->from_node < 0 || !reach[sk->from_node])
            continue;
        const pc_row *row = pc_node_row(p, sk->from_node);
        for (int i = 0; i < row->nfields; i++)
            if (g->text_origin[sk->from_node][i] == o && !pc_gen_text_written(g, sk, i))
                return 0; /* written from its value */
    }
    return 1;
}
