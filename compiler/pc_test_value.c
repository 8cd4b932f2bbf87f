/* pc_test_value.c — values of `pipec test` records: checked against their field's type and
 * written the way the pipeline binary writes them, so that an expected `12` for a float field
 * and a `12.0` in the output compare equal; records as JSON lines; lines of the binary's output
 * read back into records. The conversions are the runtime's own (prt_scalar.c, prt_writer.c,
 * prt_fmt_json.c are linked into pipec), so pipec and the binary cannot disagree on a value. */
#include <string.h>

#include "pc_test_int.h"
#include "prt_format.h"
#include "prt_scalar.h"

static const char *buf_arena(pc_arena *a, prt_buf *b)
{
    const char *s = pc_strndup(a, b->p ? b->p : "", b->n);
    prt_buf_free(b);
    return s;
}

const char *pc_tval_plain(pc_arena *a, pc_type t, const char *text, size_t len, int is_null, const char **why)
{
    prt_str s = { text, len };
    prt_buf b = { 0 };
    if (is_null && t != PC_T_STRING) {
        if (t == PC_T_FLOAT)
            return "null";
        *why = pc_sprintf(a, "a %s field cannot be null", pc_type_name(t));
        return NULL;
    }
    if (memchr(text, '\n', len) || memchr(text, '\r', len)) {
        *why = "a value cannot hold a line break";
        return NULL;
    }
    switch (t) {
    case PC_T_STRING:
        return pc_strndup(a, text, len);
    case PC_T_INT: {
        int64_t v;
        if (prt_parse_int(s, &v) != PRT_OK)
            break;
        prt_fmt_int(&b, v);
        return buf_arena(a, &b);
    }
    case PC_T_FLOAT: {
        double v;
        if (prt_parse_float(s, &v) != PRT_OK)
            break;
        prt_fmt_float(&b, v);
        return buf_arena(a, &b);
    }
    case PC_T_BOOL: {
        int v;
        if (prt_parse_bool(s, &v) != PRT_OK)
            break;
        return v ? "true" : "false";
    }
    case PC_T_TIMESTAMP: {
        int64_t v;
        if (prt_parse_ts(s, &v) != PRT_OK)
            break;
        prt_fmt_ts(&b, v);
        return buf_arena(a, &b);
    }
    default:
        break;
    }
    *why = pc_sprintf(a, "invalid %s '%.*s'", pc_type_name(t), (int)(len > 60 ? 60 : len), text);
    return NULL;
}

const char *pc_tval_json_of(pc_arena *a, pc_type t, const char *plain)
{
    if (!plain)
        return NULL;
    if (t != PC_T_STRING && t != PC_T_TIMESTAMP)
        return plain;
    prt_buf b = { 0 };
    prt_json_quote(&b, prt_str_c(plain));
    return buf_arena(a, &b);
}

const char *pc_tval_canon(pc_arena *a, pc_type t, const char *text, size_t len, int is_null, const char **why)
{
    const char *plain = pc_tval_plain(a, t, text, len, is_null, why);
    return plain ? pc_tval_json_of(a, t, plain) : NULL;
}

const pc_row *pc_tval_errors_row(pc_arena *a)
{
    static const struct { const char *name; pc_type t; } f[] = {
        { "source", PC_T_STRING }, { "origin", PC_T_STRING }, { "line", PC_T_INT },
        { "partition", PC_T_INT }, { "offset", PC_T_INT }, { "stage", PC_T_STRING },
        { "error", PC_T_STRING }, { "record", PC_T_STRING },
    };
    pc_row *r = pc_alloc(a, sizeof *r);
    r->nfields = (int)(sizeof f / sizeof *f);
    r->fields = pc_alloc(a, sizeof(pc_field) * (size_t)r->nfields);
    for (int i = 0; i < r->nfields; i++) {
        r->fields[i].name = f[i].name;
        r->fields[i].type = f[i].t;
    }
    return r;
}

const char *pc_tval_json(pc_arena *a, const pc_row *row, const pc_trec *r, const int *only)
{
    prt_buf b = { 0 };
    int first = 1;
    prt_buf_putc(&b, '{');
    for (int i = 0; i < row->nfields; i++) {
        if (only ? !only[i] : !r->vals[i])
            continue;
        if (!first)
            prt_buf_putc(&b, ',');
        first = 0;
        prt_json_quote(&b, prt_str_c(row->fields[i].name));
        prt_buf_putc(&b, ':');
        prt_buf_puts(&b, r->vals[i] ? r->vals[i] : "(absent)");
    }
    prt_buf_putc(&b, '}');
    return buf_arena(a, &b);
}

int pc_tval_extract(const pc_row *row, const char *line, size_t len, prt_str *vals, char *present,
                    prt_scratch *s, prt_err *e)
{
    /* prt_json_extract looks for at most 64 paths at a time: wider rows in several passes */
    for (int base = 0; base < row->nfields || base == 0; base += 64) {
        const char *paths[64] = { 0 };
        uint64_t bits = 0;
        int n = row->nfields - base < 64 ? row->nfields - base : 64;
        for (int i = 0; i < n; i++)
            paths[i] = row->fields[base + i].name;
        if (prt_json_extract((prt_str){ line, len }, paths, n, vals + base, &bits, s, e) != PRT_OK)
            return PRT_ERR;
        for (int i = 0; i < n; i++)
            present[base + i] = (bits >> i) & 1;
        /* a field absent by name is looked up at its JSON path: an event file as it comes off
         * the wire (a CloudEvent's data.price) reads like one written with flat names */
        int again = 0;
        for (int i = 0; i < n; i++) {
            const pc_field *f = &row->fields[base + i];
            paths[i] = !present[base + i] && f->path && strcmp(f->path, f->name) ? f->path : NULL;
            again |= paths[i] != NULL;
        }
        prt_str byp[64];
        if (again) {
            for (int i = 0; i < n; i++)
                if (!paths[i])
                    paths[i] = "\x01"; /* no field has this name: keeps the slot unused */
            if (prt_json_extract((prt_str){ line, len }, paths, n, byp, &bits, s, e) != PRT_OK)
                return PRT_ERR;
            for (int i = 0; i < n; i++)
                if (!present[base + i] && ((bits >> i) & 1)) {
                    vals[base + i] = byp[i];
                    present[base + i] = 1;
                }
        }
        if (!row->nfields)
            break;
    }
    return PRT_OK;
}

pc_trec *pc_tval_parse_line(pc_arena *a, const pc_row *row, const char *line, const char **why)
{
    prt_str *vals = pc_alloc(a, sizeof(prt_str) * (size_t)(row->nfields + 1));
    char *present = pc_alloc(a, (size_t)row->nfields + 1);
    prt_scratch s = { 0 };
    prt_err e;
    pc_trec *r = pc_alloc(a, sizeof *r);
    r->vals = pc_alloc(a, sizeof(char *) * (size_t)(row->nfields + 1));
    if (pc_tval_extract(row, line, strlen(line), vals, present, &s, &e) != PRT_OK) {
        *why = pc_strdup(a, e.msg);
        prt_scratch_free(&s);
        return NULL;
    }
    for (int i = 0; i < row->nfields; i++) {
        const pc_field *f = &row->fields[i];
        if (!present[i]) {
            /* null in the output: a float that is not finite (or a field the row lacks) */
            r->vals[i] = f->type == PC_T_FLOAT ? "null" : NULL;
            continue;
        }
        const char *w = NULL;
        r->vals[i] = pc_tval_canon(a, f->type, vals[i].p, vals[i].n, 0, &w);
        if (!r->vals[i]) /* not what the row says: keep the text, so the diff shows it */
            r->vals[i] = pc_tval_json_of(a, PC_T_STRING, pc_strndup(a, vals[i].p, vals[i].n));
    }
    prt_scratch_free(&s);
    return r;
}
