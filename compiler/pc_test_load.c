/* pc_test_load.c — a test file (FILE.test.yaml, or the `tests:` section of the pipeline) into
 * cases: every key, name, field and value checked against the pipeline, every problem reported
 * as file:line:col like `pipec check` does, and each case's input written as the script the
 * binary runs (prt_ptest.c). The file format is docs/testing.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pc_expr.h"
#include "pc_test_int.h"
#include "prt_format.h"
#include "prt_scalar.h"

typedef const char **vals_t; /* a record: a value per row field */

typedef struct tl {
    pc_arena *a;
    pc_diags *d;
    const pc_pipeline *p;
    pc_ydoc doc;
    const char *dir;    /* the test file's directory: JSONL paths are relative to it */
    const pc_row *errors_row;
    /* the case being read, when it isolates a stage: the stage, its event_time:, the case */
    const pc_stage *iso_st;
    const pc_ynode *iso_evt, *iso_case;
} tl;

static const pc_ynode *get_key(const pc_ynode *m, const char *key)
{
    if (!m || m->kind != PC_Y_MAP)
        return NULL;
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->keys[i]->s, key))
            return m->keys[i];
    return NULL;
}

static const pc_ynode *get(const pc_ynode *m, const char *key)
{
    if (!m || m->kind != PC_Y_MAP)
        return NULL;
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->keys[i]->s, key))
            return m->vals[i];
    return NULL;
}

static const char *kind_name(pc_ykind k)
{
    return k == PC_Y_MAP ? "a mapping" : k == PC_Y_SEQ ? "a list" : "a scalar";
}

static int expect_kind(tl *t, const pc_ynode *n, pc_ykind k, const char *what)
{
    if (n->kind == k)
        return 0;
    int phrase = !strncmp(what, "a ", 2) || !strncmp(what, "an ", 3); /* "a test case" */
    pc_error(t->d, n->loc, phrase ? "expected %s for %s, found %s" : "expected %s for '%s', found %s", kind_name(k),
             what, kind_name(n->kind));
    return -1;
}

static int check_keys(tl *t, const pc_ynode *m, const char *const *allowed, int n, const char *ctx)
{
    int bad = 0;
    for (int i = 0; i < m->n; i++) {
        int ok = 0;
        for (int j = 0; j < n && !ok; j++)
            ok = !strcmp(m->keys[i]->s, allowed[j]);
        if (ok)
            continue;
        bad++;
        pc_error(t->d, m->keys[i]->loc, "unknown key '%s' in %s", m->keys[i]->s, ctx);
        const char *s = pc_suggest(m->keys[i]->s, allowed, n);
        if (s)
            pc_note(t->d, m->keys[i]->loc, "did you mean '%s'?", s);
    }
    return bad;
}

static int is_null(const pc_ynode *n)
{
    return n->kind == PC_Y_SCALAR && n->style == PC_YS_PLAIN &&
           (!n->len || !strcmp(n->s, "null") || !strcmp(n->s, "~") || !strcmp(n->s, "Null") || !strcmp(n->s, "NULL"));
}

static int get_bool(tl *t, const pc_ynode *n, const char *what, int *out)
{
    if (expect_kind(t, n, PC_Y_SCALAR, what))
        return -1;
    if (prt_parse_bool((prt_str){ n->s, n->len }, out) != PRT_OK) {
        pc_error(t->d, n->loc, "'%s' is true or false, not '%s'", what, n->s);
        return -1;
    }
    return 0;
}

static int get_ts(tl *t, const pc_ynode *n, const char *what, int64_t *out)
{
    if (expect_kind(t, n, PC_Y_SCALAR, what))
        return -1;
    if (prt_parse_ts((prt_str){ n->s, n->len }, out) != PRT_OK) {
        pc_error(t->d, n->loc, "invalid time '%s' for '%s': expected RFC 3339 (2024-05-23T12:00:00Z) or epoch milliseconds",
                 n->s, what);
        return -1;
    }
    return 0;
}

/* "did you mean" over the visible fields of row */
static void field_note(tl *t, pc_loc at, const pc_row *row, const char *name)
{
    const char **names = pc_alloc(t->a, sizeof(char *) * (size_t)(row->nfields + 1));
    int n = 0;
    for (int i = 0; i < row->nfields; i++)
        if (!row->fields[i].hidden)
            names[n++] = row->fields[i].name;
    const char *s = pc_suggest(name, names, n);
    if (s)
        pc_note(t->d, at, "did you mean '%s'?", s);
}

static int field_index(const pc_row *row, const char *name)
{
    for (int i = 0; i < row->nfields; i++)
        if (!row->fields[i].hidden && !strcmp(row->fields[i].name, name))
            return i;
    return -1;
}

/* The metadata an input record may set: a Kafka message's key and timestamp. (The others,
 * _partition, _offset/_line and _topic/_file, are those of the test input: 0, the position in
 * the source's input, "test".) */
static int meta_index(const pc_row *row, const char *name)
{
    if (strcmp(name, "_key") && strcmp(name, "_timestamp"))
        return -1;
    for (int i = 0; i < row->nfields; i++)
        if (row->fields[i].hidden && !strcmp(row->fields[i].name, name))
            return i;
    return -1;
}

/* A record written as a YAML mapping: per field of row, its plain value (input) or canonical
 * JSON value (expected). NULL after reporting. */
static const char **yaml_record(tl *t, const pc_ynode *m, const pc_row *row, int canon, const char *what)
{
    const char **v = pc_alloc(t->a, sizeof(char *) * (size_t)(row->nfields + 1));
    int bad = 0;
    for (int i = 0; i < m->n; i++) {
        const pc_ynode *k = m->keys[i], *val = m->vals[i];
        int f = field_index(row, k->s);
        if (f < 0 && !canon) /* input: the message key and timestamp may be given */
            f = meta_index(row, k->s);
        if (f < 0) {
            pc_error(t->d, k->loc, "%s has no field '%s'", what, k->s);
            field_note(t, k->loc, row, k->s);
            bad = 1;
            continue;
        }
        if (val->kind != PC_Y_SCALAR) {
            pc_error(t->d, val->loc, "field '%s': expected a value, found %s", k->s, kind_name(val->kind));
            bad = 1;
            continue;
        }
        const char *why = "";
        pc_type ty = row->fields[f].type;
        v[f] = canon ? pc_tval_canon(t->a, ty, val->s, val->len, is_null(val), &why)
                     : pc_tval_plain(t->a, ty, val->s, val->len, is_null(val), &why);
        if (!v[f]) {
            pc_error(t->d, val->loc, "field '%s': %s", k->s, why);
            bad = 1;
        }
    }
    return bad ? NULL : v;
}

/* A JSONL file of records: one JSON object per line, fields by name (no nesting). Each record
 * as yaml_record gives it; problems reported at the file's line. Returns the count, -1 on error. */
static int jsonl_records(tl *t, const pc_ynode *pathn, const pc_row *row, int canon, vals_t **out)
{
    const char *path = pathn->s[0] == '/' ? pathn->s : pc_sprintf(t->a, "%s/%s", t->dir, pathn->s);
    FILE *f = fopen(path, "rb");
    if (!f) {
        pc_error(t->d, pathn->loc, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    int n = 0, cap = 0, bad = 0, lineno = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = 0;
        if (!len)
            continue;
        prt_str *vals = pc_alloc(t->a, sizeof(prt_str) * (size_t)(row->nfields + 1));
        char *present = pc_alloc(t->a, (size_t)row->nfields + 1);
        prt_scratch s = { 0 };
        prt_err e;
        const char **v = pc_alloc(t->a, sizeof(char *) * (size_t)(row->nfields + 1));
        if (pc_tval_extract(row, line, (size_t)len, vals, present, &s, &e) != PRT_OK) {
            pc_error(t->d, pathn->loc, "%s:%d: %s", pathn->s, lineno, e.msg);
            bad = 1;
        }
        for (int i = 0; i < row->nfields && !bad; i++) {
            const char *name = row->fields[i].name;
            if (!present[i] || (row->fields[i].hidden && (canon || meta_index(row, name) < 0)))
                continue;
            const char *why = "";
            pc_type ty = row->fields[i].type;
            v[i] = canon ? pc_tval_canon(t->a, ty, vals[i].p, vals[i].n, 0, &why)
                         : pc_tval_plain(t->a, ty, vals[i].p, vals[i].n, 0, &why);
            if (!v[i]) {
                pc_error(t->d, pathn->loc, "%s:%d: field '%s': %s", pathn->s, lineno, row->fields[i].name, why);
                bad = 1;
            }
        }
        prt_scratch_free(&s);
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            vals_t *grown = pc_alloc(t->a, sizeof(vals_t) * (size_t)cap);
            if (n)
                memcpy(grown, *out, sizeof(vals_t) * (size_t)n);
            *out = grown;
        }
        (*out)[n++] = v;
    }
    free(line);
    fclose(f);
    return bad ? -1 : n;
}

/* ------------------------------------------------------------------ input */

typedef struct feed {   /* where input steps go: a source, or an input of the isolated stage */
    int source;         /* whole pipeline: the source index, else -1 */
    int input;          /* isolation: the test input index (prt_test_input), else -1 */
    const pc_row *row;  /* the records' fields */
    int event_time;     /* isolation: the field holding a record's event time, or -1 */
    int node;           /* isolation: the node the input stands for */
    int ready;          /* isolation: event_time resolved (lazily, at the first step) */
    int started;        /* a step was written (a csv header goes before the first) */
    const char *name;
} feed;

static int missing_fields(tl *t, pc_loc at, const pc_row *row, const char **v, int need_all_visible)
{
    int bad = 0;
    for (int i = 0; i < row->nfields; i++) {
        const pc_field *f = &row->fields[i];
        if (v[i] || f->hidden || f->dflt || !need_all_visible)
            continue;
        pc_error(t->d, at, "the record has no field '%s'", f->name);
        bad = 1;
    }
    return bad;
}

/* One input record (plain values) as a script step. */
static int input_record(tl *t, pc_sb *script, const feed *fd, const char **v, pc_loc at)
{
    if (missing_fields(t, at, fd->row, v, 1))
        return -1;
    if (fd->source >= 0) {
        const char *why = "";
        const char *line = pc_tin_line(t->a, &t->p->sources[fd->source], v, &why);
        if (!line) {
            pc_error(t->d, at, "%s", why);
            return -1;
        }
        int ki = meta_index(fd->row, "_key"), ti = meta_index(fd->row, "_timestamp");
        const char *key = ki >= 0 ? v[ki] : NULL, *mts = ti >= 0 ? v[ti] : NULL;
        if (key || mts) { /* the next record's message key and timestamp */
            int64_t ms = 0;
            if (mts && prt_parse_ts(prt_str_c(mts), &ms) != PRT_OK)
                return -1; /* checked as a timestamp already */
            pc_sb_printf(script, "meta %s %s\n", mts ? pc_sprintf(t->a, "%lld", (long long)ms) : "-", key ? key : "");
        }
        pc_sb_printf(script, "rec %d %s\n", fd->source, line);
        return 0;
    }
    pc_trec r = { .vals = v };
    const char **j = pc_alloc(t->a, sizeof(char *) * (size_t)(fd->row->nfields + 1));
    for (int i = 0; i < fd->row->nfields; i++)
        j[i] = pc_tval_json_of(t->a, fd->row->fields[i].type, v[i]);
    r.vals = j;
    const char *ts = "-";
    if (fd->event_time >= 0) {
        int64_t ms;
        if (prt_parse_ts(prt_str_c(v[fd->event_time]), &ms) != PRT_OK)
            return -1; /* checked as a timestamp already */
        ts = pc_sprintf(t->a, "%lld", (long long)ms);
    }
    pc_sb_printf(script, "push %d %s %s\n", fd->input, ts, pc_tval_json(t->a, fd->row, &r, NULL));
    return 0;
}

static int feed_ready(tl *t, feed *fd);

static int input_list(tl *t, pc_sb *script, feed *fd, const pc_ynode *list)
{
    int bad = 0;
    if (feed_ready(t, fd) != 0)
        bad = 1; /* reported; the steps are still checked */
    if (!fd->started && fd->source >= 0) {
        const char *header = pc_tin_header(t->a, &t->p->sources[fd->source]);
        if (header)
            pc_sb_printf(script, "rec %d %s\n", fd->source, header);
    }
    fd->started = 1;
    if (list->kind == PC_Y_MAP && get(list, "file") && list->n == 1) {
        vals_t *recs = NULL;
        if (expect_kind(t, get(list, "file"), PC_Y_SCALAR, "file"))
            return -1;
        int n = jsonl_records(t, get(list, "file"), fd->row, 0, &recs);
        for (int i = 0; i < n; i++)
            bad |= input_record(t, script, fd, recs[i], get(list, "file")->loc) != 0;
        return n < 0 || bad ? -1 : 0;
    }
    if (expect_kind(t, list, PC_Y_SEQ, fd->name))
        return -1;
    for (int i = 0; i < list->n; i++) {
        const pc_ynode *it = list->items[i];
        if (expect_kind(t, it, PC_Y_MAP, "an input step")) {
            bad = 1;
            continue;
        }
        const pc_ynode *one = it->n == 1 ? it->vals[0] : NULL;
        const char *k = it->n == 1 ? it->keys[0]->s : "";
        int64_t ms;
        if (one && !strcmp(k, "watermark")) {
            if (get_ts(t, one, "watermark", &ms)) {
                bad = 1;
            } else if (fd->source >= 0 && t->p->sources[fd->source].event_time < 0) {
                pc_error(t->d, it->keys[0]->loc, "source '%s' has no event_time: it has no watermark to move",
                         t->p->sources[fd->source].name);
                bad = 1;
            } else {
                pc_sb_printf(script, "wm %d %lld\n", fd->source, (long long)ms);
            }
        } else if (one && !strcmp(k, "time")) {
            if (get_ts(t, one, "time", &ms))
                bad = 1;
            else
                pc_sb_printf(script, "time %lld\n", (long long)ms);
        } else if (one && !strcmp(k, "line")) {
            if (expect_kind(t, one, PC_Y_SCALAR, "line")) {
                bad = 1;
            } else if (fd->source < 0) {
                pc_error(t->d, it->keys[0]->loc, "'line:' is input text for a source: an isolated stage takes records");
                bad = 1;
            } else if (memchr(one->s, '\n', one->len)) {
                pc_error(t->d, one->loc, "an input line cannot hold a line break");
                bad = 1;
            } else {
                pc_sb_printf(script, "rec %d %s\n", fd->source, one->s);
            }
        } else {
            const char **v = yaml_record(t, it, fd->row, 0, fd->source >= 0 ? pc_sprintf(t->a, "source '%s'", fd->name)
                                                                          : pc_sprintf(t->a, "the input from '%s'", fd->name));
            if (!v || input_record(t, script, fd, v, it->loc) != 0)
                bad = 1;
        }
    }
    return bad ? -1 : 0;
}

/* The field of an isolated stage's input row that holds a record's event time: the case's
 * `event_time:`, else the event_time field of the source upstream when the row still has it. */
static int isolation_time(tl *t, const pc_stage *st, const pc_row *row, int in_node, const pc_ynode *given)
{
    const pc_pipeline *p = t->p;
    if (given) {
        if (expect_kind(t, given, PC_Y_SCALAR, "event_time"))
            return -2;
        int f = field_index(row, given->s);
        if (f < 0 || row->fields[f].type != PC_T_TIMESTAMP) {
            pc_error(t->d, given->loc, "the input of stage '%s' has no timestamp field '%s'", st->id, given->s);
            if (f < 0)
                field_note(t, given->loc, row, given->s);
            return -2;
        }
        return f;
    }
    int node = in_node;
    while (!pc_node_is_source(p, node) && p->stages[node - p->nsources].nin > 0)
        node = p->stages[node - p->nsources].in_nodes[0];
    if (pc_node_is_source(p, node) && p->sources[node].event_time >= 0) {
        const char *name = p->sources[node].row.fields[p->sources[node].event_time].name;
        int f = field_index(row, name);
        if (f >= 0 && row->fields[f].type == PC_T_TIMESTAMP)
            return f;
    }
    return -1;
}

/* Isolation: which field of the input holds a record's event time; reported once when the
 * stage needs one and there is none. */
static int feed_ready(tl *t, feed *fd)
{
    if (fd->input < 0 || fd->ready)
        return 0;
    fd->ready = 1;
    const pc_stage *st = t->iso_st;
    int et = isolation_time(t, st, fd->row, fd->node, t->iso_evt);
    if (et == -2)
        return -1;
    if (et < 0 && st->has_event_time && (st->kind == PC_S_WINDOW || st->kind == PC_S_JOIN) &&
        !st->win.processing_time) {
        pc_error(t->d, t->iso_evt ? t->iso_evt->loc : t->iso_case->loc,
                 "stage '%s' works in event time: name the timestamp field of its input that holds each "
                 "record's event time (event_time: FIELD)", st->id);
        return -1;
    }
    fd->event_time = et;
    return 0;
}

/* One list of steps across several feeds, in the order written: `{ NAME: step }` sends a record
 * (or a line:, watermark: or time: step) to the feed NAME; `watermark: T` moves every source's
 * watermark, `time: T` the clock. */
static int interleaved(tl *t, pc_sb *script, const pc_ynode *list, feed *feeds, int nfeeds)
{
    int bad = 0;
    for (int i = 0; i < list->n; i++) {
        const pc_ynode *it = list->items[i];
        if (expect_kind(t, it, PC_Y_MAP, "an input step")) {
            bad = 1;
            continue;
        }
        const char *k = it->n == 1 ? it->keys[0]->s : "";
        int64_t ms;
        if (it->n == 1 && !strcmp(k, "watermark")) {
            if (get_ts(t, it->vals[0], "watermark", &ms))
                bad = 1;
            else
                pc_sb_printf(script, "wm -1 %lld\n", (long long)ms);
            continue;
        }
        if (it->n == 1 && !strcmp(k, "time")) {
            if (get_ts(t, it->vals[0], "time", &ms))
                bad = 1;
            else
                pc_sb_printf(script, "time %lld\n", (long long)ms);
            continue;
        }
        int f = -1;
        for (int j = 0; it->n == 1 && j < nfeeds; j++)
            if (!strcmp(feeds[j].name, k))
                f = j;
        if (f < 0) {
            int src = feeds[0].source >= 0;
            pc_error(t->d, it->loc, "in one input list for several %s, a step is `%s: record`, `watermark: T` or "
                     "`time: T`", src ? "sources" : "inputs", src ? "SOURCE" : "INPUT");
            const char **names = pc_alloc(t->a, sizeof(char *) * (size_t)(nfeeds + 1));
            for (int j = 0; j < nfeeds; j++)
                names[j] = feeds[j].name;
            const char *sg = it->n == 1 ? pc_suggest(k, names, nfeeds) : NULL;
            if (sg)
                pc_note(t->d, it->keys[0]->loc, "did you mean '%s'?", sg);
            bad = 1;
            continue;
        }
        /* the step alone, as the one item of a list */
        pc_ynode *one = pc_alloc(t->a, sizeof *one);
        one->kind = PC_Y_SEQ;
        one->loc = it->vals[0]->loc;
        one->items = pc_alloc(t->a, sizeof(pc_ynode *));
        one->items[0] = it->vals[0];
        one->n = 1;
        bad |= input_list(t, script, &feeds[f], one) != 0;
    }
    return bad ? -1 : 0;
}

static int case_input(tl *t, pc_sb *script, const pc_ynode *c, const pc_ynode *in, int stage)
{
    const pc_pipeline *p = t->p;
    int bad = 0, nfeeds;
    feed *feeds;
    if (stage < 0) { /* the whole pipeline: one feed per source */
        nfeeds = p->nsources;
        feeds = pc_alloc(t->a, sizeof(feed) * (size_t)(nfeeds + 1));
        for (int k = 0; k < nfeeds; k++)
            feeds[k] = (feed){ .source = k, .input = -1, .row = &p->sources[k].row, .event_time = -1,
                               .node = k, .name = p->sources[k].name };
    } else { /* a stage alone: one feed per input of the stage, by the name of the node it reads */
        const pc_stage *st = &p->stages[stage];
        int first_input = 0;
        for (int s = 0; s < stage; s++)
            first_input += p->stages[s].nin;
        nfeeds = st->nin;
        feeds = pc_alloc(t->a, sizeof(feed) * (size_t)(nfeeds + 1));
        for (int k = 0; k < nfeeds; k++)
            feeds[k] = (feed){ .source = -1, .input = first_input + k, .row = pc_node_row(p, st->in_nodes[k]),
                               .event_time = -1, .node = st->in_nodes[k], .name = pc_node_name(p, st->in_nodes[k]) };
        t->iso_st = st;
        t->iso_evt = get(c, "event_time");
        t->iso_case = c;
    }
    if (in->kind == PC_Y_SEQ)
        return nfeeds == 1 ? input_list(t, script, &feeds[0], in) : interleaved(t, script, in, feeds, nfeeds);
    if (expect_kind(t, in, PC_Y_MAP, "input"))
        return -1;
    for (int i = 0; i < in->n; i++) {
        int f = -1;
        for (int k = 0; k < nfeeds; k++)
            if (!strcmp(feeds[k].name, in->keys[i]->s))
                f = k;
        if (f >= 0) {
            bad |= input_list(t, script, &feeds[f], in->vals[i]) != 0;
            continue;
        }
        bad = 1;
        if (stage < 0) {
            pc_error(t->d, in->keys[i]->loc, "the pipeline has no source '%s'", in->keys[i]->s);
        } else {
            const pc_stage *st = &p->stages[stage];
            pc_error(t->d, in->keys[i]->loc, "stage '%s' does not read '%s'", st->id, in->keys[i]->s);
        }
        const char **names = pc_alloc(t->a, sizeof(char *) * (size_t)(nfeeds + 1));
        for (int k = 0; k < nfeeds; k++)
            names[k] = feeds[k].name;
        const char *sg = pc_suggest(in->keys[i]->s, names, nfeeds);
        if (sg)
            pc_note(t->d, in->keys[i]->loc, "did you mean '%s'?", sg);
        else if (stage >= 0)
            pc_note(t->d, in->keys[i]->loc, "its input%s: %s%s%s", nfeeds > 1 ? "s" : "", names[0],
                    nfeeds > 1 ? ", " : "", nfeeds > 1 ? names[1] : "");
    }
    return bad ? -1 : 0;
}

/* ------------------------------------------------------------------ expect */

static int expect_one(tl *t, pc_texpect *x, const pc_ynode *v, int subset, int ordered)
{
    const pc_ynode *list = v;
    x->subset = subset;
    x->ordered = ordered;
    int is_errors = x->sink >= 0 && t->p->sinks[x->sink].is_errors;
    if (v->kind == PC_Y_MAP) {
        static const char *const keys[] = { "records", "file", "subset", "ordered" };
        if (check_keys(t, v, keys, 4, pc_sprintf(t->a, "the expectation of '%s'", x->target)))
            return -1;
        if (get(v, "subset") && get_bool(t, get(v, "subset"), "subset", &x->subset))
            return -1;
        if (get(v, "ordered") && get_bool(t, get(v, "ordered"), "ordered", &x->ordered))
            return -1;
        list = get(v, "records");
        if (get(v, "file")) {
            if (list) {
                pc_error(t->d, get(v, "file")->loc, "give the records inline or in a file, not both");
                return -1;
            }
            if (expect_kind(t, get(v, "file"), PC_Y_SCALAR, "file"))
                return -1;
            vals_t *recs = NULL;
            int n = jsonl_records(t, get(v, "file"), x->row, 1, &recs);
            if (n < 0)
                return -1;
            x->recs = pc_alloc(t->a, sizeof(pc_trec) * (size_t)(n + 1));
            for (int i = 0; i < n; i++) {
                x->recs[i].vals = recs[i];
                x->recs[i].loc = get(v, "file")->loc;
                if (!x->subset && !is_errors && missing_fields(t, x->recs[i].loc, x->row, recs[i], 1))
                    return -1;
            }
            x->nrecs = n;
            return 0;
        }
        if (!list) {
            pc_error(t->d, v->loc, "missing required key 'records' in the expectation of '%s'", x->target);
            return -1;
        }
    }
    if (expect_kind(t, list, PC_Y_SEQ, x->target))
        return -1;
    x->recs = pc_alloc(t->a, sizeof(pc_trec) * (size_t)(list->n + 1));
    int bad = 0;
    for (int i = 0; i < list->n; i++) {
        const pc_ynode *it = list->items[i];
        if (expect_kind(t, it, PC_Y_MAP, "an expected record")) {
            bad = 1;
            continue;
        }
        const char *what = x->sink >= 0 ? pc_sprintf(t->a, "the output of sink '%s'", x->target)
                                        : pc_sprintf(t->a, "the output of stage '%s'", x->target);
        const char **vals = yaml_record(t, it, x->row, 1, what);
        if (!vals) {
            bad = 1;
            continue;
        }
        if (!x->subset && !is_errors) {
            for (int f = 0; f < x->row->nfields; f++)
                if (!vals[f] && !x->row->fields[f].hidden) {
                    pc_error(t->d, it->loc, "the expected record has no field '%s'", x->row->fields[f].name);
                    pc_note(t->d, it->loc, "give every field, or compare only some with `subset: true`");
                    bad = 1;
                    break;
                }
        }
        x->recs[x->nrecs].vals = vals;
        x->recs[x->nrecs].loc = it->loc;
        x->nrecs++;
    }
    return bad ? -1 : 0;
}

static int case_expect(tl *t, pc_tcase *tc, const pc_ynode *ex, int subset, int ordered)
{
    const pc_pipeline *p = t->p;
    if (expect_kind(t, ex, PC_Y_MAP, "expect"))
        return -1;
    if (!ex->n) {
        pc_error(t->d, ex->loc, "'expect' names no output: the case would check nothing");
        pc_note(t->d, ex->loc, "name a sink%s with the records it should get ([] for none)",
                tc->stage >= 0 ? " or the isolated stage" : "");
        return -1;
    }
    tc->expects = pc_alloc(t->a, sizeof(pc_texpect) * (size_t)(ex->n + 1));
    int bad = 0;
    for (int i = 0; i < ex->n; i++) {
        const pc_ynode *k = ex->keys[i];
        pc_texpect *x = &tc->expects[tc->nexpects];
        x->target = k->s;
        x->loc = k->loc;
        x->sink = -1;
        for (int s = 0; s < p->nsinks; s++)
            if (!strcmp(p->sinks[s].name, k->s))
                x->sink = s;
        if (x->sink >= 0) {
            const pc_sink *sk = &p->sinks[x->sink];
            x->row = sk->is_errors ? t->errors_row
                   : sk->from_node >= 0 ? pc_node_row(p, sk->from_node)
                   : &p->stages[sk->late_from_stage].in_row;
        } else if (tc->stage >= 0 && !strcmp(p->stages[tc->stage].id, k->s)) {
            x->row = &p->stages[tc->stage].out_row;
        } else {
            pc_error(t->d, k->loc, "'%s' is no sink%s", k->s, tc->stage >= 0 ? " and not the isolated stage" : "");
            const char **names = pc_alloc(t->a, sizeof(char *) * (size_t)(p->nsinks + 2));
            int n = 0;
            for (int s = 0; s < p->nsinks; s++)
                names[n++] = p->sinks[s].name;
            if (tc->stage >= 0)
                names[n++] = p->stages[tc->stage].id;
            const char *sg = pc_suggest(k->s, names, n);
            if (sg)
                pc_note(t->d, k->loc, "did you mean '%s'?", sg);
            else if (tc->stage < 0)
                for (int s = 0; s < p->nstages; s++)
                    if (!strcmp(p->stages[s].id, k->s))
                        pc_note(t->d, k->loc, "a stage's own output is expected when the case isolates it (stage: %s)", k->s);
            bad = 1;
            continue;
        }
        if (tc->stage >= 0 && x->sink >= 0 && p->sinks[x->sink].from_node == p->nsources + tc->stage) {
            pc_error(t->d, k->loc, "sink '%s' reads the isolated stage: expect the stage's output as '%s'", k->s,
                     p->stages[tc->stage].id);
            bad = 1;
            continue;
        }
        if (expect_one(t, x, ex->vals[i], subset, ordered) != 0)
            bad = 1;
        else
            tc->nexpects++;
    }
    return bad ? -1 : 0;
}

/* ------------------------------------------------------------------ cases */

/* A stage the `function:` key may name: the stateful function kinds. */
static int is_function(const pc_stage *st)
{
    return st->kind == PC_S_PROCESS;
}

/* The one place a case's isolation is resolved: `stage: ID` (any stage) or `function: ID` (a
 * function stage: the same isolation, by the function's id). Sets tc->stage; -1 when reported. */
static int isolated_stage(tl *t, const pc_ynode *c, pc_tcase *tc)
{
    const pc_pipeline *p = t->p;
    const pc_ynode *sn = get(c, "stage"), *fn = get(c, "function");
    const char *key = fn ? "function" : "stage";
    if (sn && fn) {
        pc_error(t->d, get_key(c, "function")->loc, "a case isolates one stage: 'stage' or 'function', not both");
        return -1;
    }
    if (!sn)
        sn = fn;
    if (!sn)
        return 0;
    if (expect_kind(t, sn, PC_Y_SCALAR, key))
        return -1;
    for (int s = 0; s < p->nstages; s++)
        if (!strcmp(p->stages[s].id, sn->s))
            tc->stage = s;
    if (tc->stage < 0) {
        pc_error(t->d, sn->loc, "the pipeline has no %s '%s'", key, sn->s);
        const char **names = pc_alloc(t->a, sizeof(char *) * (size_t)(p->nstages + 1));
        for (int s = 0; s < p->nstages; s++)
            names[s] = p->stages[s].id;
        const char *sg = pc_suggest(sn->s, names, p->nstages);
        if (sg)
            pc_note(t->d, sn->loc, "did you mean '%s'?", sg);
        return -1;
    }
    if (fn && !is_function(&p->stages[tc->stage])) {
        pc_error(t->d, sn->loc, "stage '%s' is no function", sn->s);
        pc_note(t->d, sn->loc, "isolate it with `stage: %s`", sn->s);
        tc->stage = -1;
        return -1;
    }
    return 0;
}

static int load_case(tl *t, pc_tcase *tc, const pc_ynode *c, pc_tcase *done, int ndone)
{
    const pc_pipeline *p = t->p;
    static const char *const keys[] = { "name", "stage", "function", "input", "expect", "subset", "ordered",
                                        "end_of_input", "event_time" };
    if (expect_kind(t, c, PC_Y_MAP, "a test case"))
        return -1;
    int bad = check_keys(t, c, keys, (int)(sizeof keys / sizeof *keys), "a test case") != 0;
    tc->loc = c->loc;
    tc->stage = -1;
    const pc_ynode *n = get(c, "name");
    if (!n) {
        pc_error(t->d, c->loc, "missing required key 'name' in a test case");
        return -1;
    }
    if (expect_kind(t, n, PC_Y_SCALAR, "name"))
        return -1;
    tc->name = n->s;
    for (int i = 0; i < ndone; i++)
        if (!strcmp(done[i].name, n->s)) {
            pc_error(t->d, n->loc, "a second test case named '%s'", n->s);
            pc_note(t->d, done[i].loc, "the first one");
            bad = 1;
        }
    if (isolated_stage(t, c, tc) != 0)
        return -1;
    if (tc->stage < 0 && get(c, "event_time")) {
        pc_error(t->d, get_key(c, "event_time")->loc, "'event_time' goes with 'stage': the sources say where event time is");
        bad = 1;
    }
    int subset = 0, ordered = 1, end = 1;
    if (get(c, "subset") && get_bool(t, get(c, "subset"), "subset", &subset))
        bad = 1;
    if (get(c, "ordered") && get_bool(t, get(c, "ordered"), "ordered", &ordered))
        bad = 1;
    if (get(c, "end_of_input") && get_bool(t, get(c, "end_of_input"), "end_of_input", &end))
        bad = 1;
    pc_sb script = { 0 };
    if (tc->stage >= 0)
        pc_sb_printf(&script, "tap %d\n", p->nsources + tc->stage);
    const pc_ynode *in = get(c, "input");
    if (!in) {
        pc_error(t->d, c->loc, "missing required key 'input' in test case '%s'", tc->name);
        bad = 1;
    } else if (case_input(t, &script, c, in, tc->stage) != 0) {
        bad = 1;
    }
    if (end)
        pc_sb_puts(&script, "end\n");
    tc->script = pc_sb_arena(&script, t->a);
    pc_sb_free(&script);
    const pc_ynode *ex = get(c, "expect");
    if (!ex) {
        pc_error(t->d, c->loc, "missing required key 'expect' in test case '%s'", tc->name);
        bad = 1;
    } else if (case_expect(t, tc, ex, subset, ordered) != 0) {
        bad = 1;
    }
    return bad ? -1 : 0;
}

pc_tfile *pc_test_load(pc_arena *a, pc_diags *d, const pc_pipeline *p, const char *path)
{
    tl t = { .a = a, .d = d, .p = p };
    t.errors_row = pc_tval_errors_row(a);
    const char *slash = strrchr(path, '/');
    t.dir = slash ? pc_strndup(a, path, (size_t)(slash - path)) : ".";
    int own = !strcmp(path, p->file); /* the `tests:` section of the pipeline itself */
    const char *text;
    size_t len;
    if (own) {
        text = p->text;
        len = p->text_len;
    } else {
        FILE *f = fopen(path, "rb");
        if (!f) {
            pc_error_file(d, "cannot read %s: %s", path, strerror(errno));
            return NULL;
        }
        pc_sb b = { 0 };
        char chunk[65536];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            pc_sb_putn(&b, chunk, n);
        fclose(f);
        len = b.n;
        text = pc_sb_arena(&b, a);
        pc_sb_free(&b);
    }
    d->text = text;
    d->text_len = len;
    if (pc_yaml_parse(a, d, text, len, &t.doc) != 0)
        return NULL;
    const pc_ynode *root = t.doc.root;
    if (!root || root->kind != PC_Y_MAP) {
        pc_error_file(d, "expected a mapping with a 'tests:' list of cases");
        return NULL;
    }
    if (!own) {
        static const char *const top[] = { "tests" };
        if (check_keys(&t, root, top, 1, "a test file"))
            return NULL;
    }
    const pc_ynode *tests = get(root, "tests");
    if (!tests) {
        if (own) {
            size_t n = strlen(path);
            int yaml = n > 5 && !strcmp(path + n - 5, ".yaml");
            pc_error_file(d, "no test cases: no %.*s.test.yaml beside it and no 'tests:' section in it",
                          (int)(yaml ? n - 5 : n), path);
        }
        else
            pc_error(d, root->loc, "missing required key 'tests' in a test file");
        return NULL;
    }
    if (expect_kind(&t, tests, PC_Y_SEQ, "tests"))
        return NULL;
    pc_tfile *tf = pc_alloc(a, sizeof *tf);
    tf->path = path;
    tf->cases = pc_alloc(a, sizeof(pc_tcase) * (size_t)(tests->n + 1));
    int bad = 0;
    for (int i = 0; i < tests->n; i++)
        if (load_case(&t, &tf->cases[tf->ncases], tests->items[i], tf->cases, tf->ncases) != 0)
            bad = 1;
        else
            tf->ncases++;
    if (!tests->n) {
        pc_error(d, tests->loc, "'tests' has no cases");
        bad = 1;
    }
    return bad ? NULL : tf;
}
