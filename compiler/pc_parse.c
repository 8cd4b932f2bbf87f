/* pc_parse.c — the YAML tree to a pc_pipeline: every key validated (unknown keys with a
 * did-you-mean, missing and mis-shaped ones), schemas and source rows built, durations and
 * runtime settings (${VAR} syntax) validated, expressions parsed. Names between sections are
 * resolved later, by pc_check. Reports every problem and keeps going. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pc_front.h"
#include "prt_text.h"

#define NKEYS(k) ((int)(sizeof(k) / sizeof((k)[0])))

/* ------------------------------------------------------------------ small helpers */

/* "expected a mapping for 'x'" unless n has kind k */
static int pc_expect(pc_front *f, const pc_ynode *n, pc_ykind k, const char *what)
{
    if (n->kind == k)
        return 0;
    pc_error(f->d, n->loc, "expected %s for '%s', found %s", pc_ykind_name(k), what, pc_ykind_name(n->kind));
    return -1;
}

/* Reports keys of m not in allowed; returns the number of unknown keys. */
static int pc_keys(pc_front *f, const pc_ynode *m, const char *const *allowed, int nallowed, const char *ctx)
{
    int bad = 0;
    for (int i = 0; i < m->n; i++) {
        const char *k = m->keys[i]->s;
        int ok = 0;
        for (int j = 0; j < nallowed && !ok; j++)
            ok = !strcmp(k, allowed[j]);
        if (ok)
            continue;
        bad++;
        pc_error(f->d, m->keys[i]->loc, "unknown key '%s' in %s", k, ctx);
        const char *s = pc_suggest(k, allowed, nallowed);
        if (s)
            pc_note(f->d, m->keys[i]->loc, "did you mean '%s'?", s);
        else {
            size_t n = 0;
            for (int j = 0; j < nallowed; j++)
                n += strlen(allowed[j]) + 2;
            char *list = pc_alloc(f->a, n + 1);
            for (int j = 0; j < nallowed; j++) {
                if (j)
                    strcat(list, ", ");
                strcat(list, allowed[j]);
            }
            pc_note(f->d, m->keys[i]->loc, "expected one of: %s", list);
        }
    }
    return bad;
}

/* A required key is missing, unless a misspelling of it was already reported as unknown. */
static void pc_missing_in(pc_front *f, const pc_ynode *m, pc_loc at, const char *key, const char *ctx)
{
    if (m && m->kind == PC_Y_MAP)
        for (int i = 0; i < m->n; i++)
            if (strcmp(m->keys[i]->s, key) && pc_suggest(m->keys[i]->s, &key, 1))
                return;
    pc_error(f->d, at, "missing required key '%s' in %s", key, ctx);
}

static void pc_missing(pc_front *f, pc_loc at, const char *key, const char *ctx)
{
    pc_error(f->d, at, "missing required key '%s' in %s", key, ctx);
}

static int pc_has_var(const pc_ynode *n)
{
    return n->kind == PC_Y_SCALAR && n->s && strstr(n->s, "${") != NULL;
}

/* A scalar whose value is compiled into the binary: no ${...}. */
static const pc_ynode *pc_compiled(pc_front *f, const pc_ynode *n, const char *key, const char *what)
{
    if (pc_expect(f, n, PC_Y_SCALAR, key))
        return NULL;
    if (pc_has_var(n)) {
        size_t off = (size_t)(strstr(n->s, "${") - n->s);
        pc_error(f->d, pc_yaml_span(&f->doc, n, off, n->len - off),
                 "'${...}' cannot be used in %s: it is compiled into the binary, not read at start", what);
        return NULL;
    }
    return n;
}

static int pc_is_field_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
        return 0;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static int pc_is_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return 0;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

/* A name of a source, stage or sink. */
static int pc_check_name(pc_front *f, const pc_ynode *n, const char *what)
{
    if (!pc_is_name(n->s)) {
        pc_error(f->d, n->loc, "invalid %s '%s': use letters, digits and '_', not starting with a digit", what, n->s);
        return -1;
    }
    return 0;
}

/* A field name: [a-z_][a-z0-9_]*, and no leading '_' (metadata) when declared. */
static int pc_check_field_name(pc_front *f, const pc_ynode *n, int declared)
{
    if (!pc_is_field_name(n->s)) {
        pc_error(f->d, n->loc, "invalid field name '%s': use [a-z_][a-z0-9_]*", n->s);
        return -1;
    }
    if (declared && n->s[0] == '_') {
        pc_error(f->d, n->loc, "field name '%s' is reserved: names starting with '_' are metadata", n->s);
        return -1;
    }
    return 0;
}

static pc_name pc_mkname(const pc_ynode *n)
{
    pc_name r = { n ? n->s : NULL, { 0, 0, 0, 0 } };
    if (n)
        r.loc = n->loc;
    return r;
}

/* The grammar and the reasons are prt_text's, shared with the runtime's settings. */
static int pc_duration_diag(pc_front *f, const pc_ynode *n, const char *text, int64_t *ms)
{
    int64_t tmp;
    prt_text_rc r = prt_text_duration(text, strlen(text), ms ? ms : &tmp);
    if (r == PRT_TEXT_OK)
        return 0;
    pc_error(f->d, n->loc, "invalid duration '%s'%s", text, prt_text_duration_why(r));
    if (r == PRT_TEXT_NO_UNIT)
        pc_note(f->d, n->loc, "add a unit, e.g. %ss", text);
    else if (r == PRT_TEXT_BAD)
        pc_note(f->d, n->loc, PRT_TEXT_DURATION_HELP);
    return -1;
}

/* A compiled-in duration (window sizes, lateness). */
static int pc_cduration(pc_front *f, const pc_ynode *n, const char *key, int64_t *ms)
{
    if (!pc_compiled(f, n, key, "a window or lateness duration"))
        return -1;
    return pc_duration_diag(f, n, n->s, ms);
}

static int pc_parse_int(const char *s, int64_t *v)
{
    return prt_text_int(s, strlen(s), v) == PRT_TEXT_OK ? 0 : -1;
}

/* true/false, yes/no, on/off, 1/0: a setting's bool, as the runtime reads it */
static int pc_parse_switch(const char *s, int *v)
{
    return prt_text_switch(s, strlen(s), v) == PRT_TEXT_OK ? 0 : -1;
}

static int pc_cint(pc_front *f, const pc_ynode *n, const char *key, int64_t min, int64_t *v)
{
    if (!pc_compiled(f, n, key, "this value"))
        return -1;
    if (pc_parse_int(n->s, v) || *v < min) {
        pc_error(f->d, n->loc, "invalid value '%s' for '%s': expected an integer >= %lld", n->s, key, (long long)min);
        return -1;
    }
    return 0;
}

static int pc_cbool(pc_front *f, const pc_ynode *n, const char *key, int *v)
{
    if (!pc_compiled(f, n, key, "this value"))
        return -1;
    if (pc_parse_switch(n->s, v)) {
        pc_error(f->d, n->loc, "invalid value '%s' for '%s': expected true or false", n->s, key);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ runtime settings */

enum { VK_STR, VK_INT, VK_BOOL, VK_DUR, VK_ENUM, VK_RATE, VK_TIME };

/* Validates ${NAME} / ${NAME:-default} syntax. *literal is set to the text to validate at compile
 * time: the whole value without variables, the default of a lone ${NAME:-default}, or NULL. */
static int pc_vars(pc_front *f, const pc_ynode *n, const char **literal)
{
    const char *s = n->s;
    *literal = s;
    int rc = 0, nvars = 0;
    for (size_t i = 0; i + 1 < n->len; i++) {
        if (s[i] != '$' || s[i + 1] != '{')
            continue;
        nvars++;
        size_t j = i + 2;
        while (j < n->len && s[j] != '}')
            j++;
        if (j >= n->len) {
            pc_error(f->d, pc_yaml_span(&f->doc, n, i, n->len - i), "unterminated '${' in '%s': add the closing '}'", s);
            return -1;
        }
        size_t ne = i + 2;
        while (ne < j && !(s[ne] == ':' && ne + 1 < j && s[ne + 1] == '-') && !(s[ne] == ':' && ne + 1 == j))
            ne++;
        if (ne == i + 2) {
            pc_error(f->d, pc_yaml_span(&f->doc, n, i, j + 1 - i), "empty variable name in '%s'",
                     pc_strndup(f->a, s + i, j + 1 - i));
            rc = -1;
        } else {
            int ok = (s[i + 2] >= 'A' && s[i + 2] <= 'Z') || (s[i + 2] >= 'a' && s[i + 2] <= 'z') || s[i + 2] == '_';
            for (size_t k = i + 2; k < ne; k++)
                ok &= (s[k] >= 'A' && s[k] <= 'Z') || (s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '0' && s[k] <= '9') ||
                      s[k] == '_';
            if (!ok) {
                pc_error(f->d, pc_yaml_span(&f->doc, n, i + 2, ne - i - 2),
                         "invalid variable name '%s' in '%s': use letters, digits and '_'",
                         pc_strndup(f->a, s + i + 2, ne - i - 2), pc_strndup(f->a, s + i, j + 1 - i));
                rc = -1;
            }
        }
        if (i == 0 && j + 1 == n->len)
            *literal = ne + 2 <= j ? pc_strndup(f->a, s + ne + 2, j - ne - 2) : NULL;
        else
            *literal = NULL;
        i = j;
    }
    if (nvars > 1)
        *literal = NULL;
    return rc;
}

static void pc_add_setting(pc_front *f, const char *path, const char *value, pc_loc loc)
{
    pc_pipeline *p = f->p;
    if (p->nsettings == f->nsettings_cap) {
        int cap = f->nsettings_cap ? f->nsettings_cap * 2 : 32;
        pc_setting *s = pc_alloc(f->a, sizeof *s * (size_t)cap);
        if (p->nsettings)
            memcpy(s, p->settings, sizeof *s * (size_t)p->nsettings);
        p->settings = s;
        f->nsettings_cap = cap;
    }
    pc_setting *s = &p->settings[p->nsettings++];
    s->path = path;
    s->value = value;
    s->loc = loc;
}

/* A runtime setting: a scalar (lists of scalars for VK_STR are comma-joined). */
static int pc_setting_v(pc_front *f, const char *path, const pc_ynode *n, const char *key, int vk,
                        const char *const *enums)
{
    if (n->kind == PC_Y_SEQ && vk == VK_STR) {
        size_t total = 1;
        for (int i = 0; i < n->n; i++) {
            if (pc_expect(f, n->items[i], PC_Y_SCALAR, key))
                return -1;
            total += n->items[i]->len + 1;
        }
        char *v = pc_alloc(f->a, total);
        int rc = 0;
        for (int i = 0; i < n->n; i++) {
            const char *lit;
            rc |= pc_vars(f, n->items[i], &lit);
            if (i)
                strcat(v, ",");
            strcat(v, n->items[i]->s);
        }
        pc_add_setting(f, path, v, n->loc);
        return rc;
    }
    if (pc_expect(f, n, PC_Y_SCALAR, key))
        return -1;
    const char *lit;
    if (pc_vars(f, n, &lit))
        return -1;
    pc_add_setting(f, path, n->s, n->loc);
    if (!lit)
        return 0;
    int64_t v;
    int b;
    switch (vk) {
    case VK_INT:
        if (pc_parse_int(lit, &v) || v < 0) {
            pc_error(f->d, n->loc, "invalid value '%s' for '%s': expected a non-negative integer", lit, key);
            return -1;
        }
        break;
    case VK_RATE:
        if (strcmp(lit, "unlimited") && (pc_parse_int(lit, &v) || v <= 0)) {
            pc_error(f->d, n->loc, "invalid rate '%s': expected records per second (an integer) or 'unlimited'", lit);
            return -1;
        }
        break;
    case VK_BOOL:
        if (pc_parse_switch(lit, &b)) {
            pc_error(f->d, n->loc, "invalid value '%s' for '%s': expected true or false", lit, key);
            return -1;
        }
        break;
    case VK_DUR:
        return pc_duration_diag(f, n, lit, NULL);
    case VK_ENUM: {
        int ok = 0, ne = 0;
        for (; enums[ne]; ne++)
            ok |= !strcmp(lit, enums[ne]);
        if (!ok) {
            size_t len = 1;
            for (int i = 0; i < ne; i++)
                len += strlen(enums[i]) + 4;
            char *list = pc_alloc(f->a, len);
            for (int i = 0; i < ne; i++) {
                if (i)
                    strcat(list, i + 1 == ne ? " or " : ", ");
                strcat(list, enums[i]);
            }
            pc_error(f->d, n->loc, "invalid value '%s' for '%s': expected %s", lit, key, list);
            const char *s = pc_suggest(lit, enums, ne);
            if (s)
                pc_note(f->d, n->loc, "did you mean '%s'?", s);
            return -1;
        }
        break;
    }
    case VK_TIME:
        if (prt_text_timestamp(lit, strlen(lit), &v) != PRT_TEXT_OK) {
            pc_error(f->d, n->loc, "invalid time '%s': expected RFC 3339, e.g. 2024-05-23T12:34:56Z", lit);
            return -1;
        }
        break;
    default:
        break;
    }
    return 0;
}

/* A mapping of scalars passed through (kafka properties), flattened. */
static int pc_properties(pc_front *f, const char *path, const pc_ynode *n)
{
    if (pc_expect(f, n, PC_Y_MAP, "properties"))
        return -1;
    int rc = 0;
    for (int i = 0; i < n->n; i++) {
        const char *sub = pc_sprintf(f->a, "%s.%s", path, n->keys[i]->s);
        if (n->vals[i]->kind == PC_Y_MAP)
            rc |= pc_properties(f, sub, n->vals[i]);
        else
            rc |= pc_setting_v(f, sub, n->vals[i], n->keys[i]->s, VK_STR, NULL);
    }
    return rc;
}

/* ------------------------------------------------------------------ types, rows, formats */

static const char *const pc_type_names[] = { "string", "int", "float", "bool", "timestamp" };

static int pc_parse_type(pc_front *f, const pc_ynode *n, pc_type *t)
{
    if (!pc_compiled(f, n, "type", "a type"))
        return -1;
    for (int i = 0; i < 5; i++)
        if (!strcmp(n->s, pc_type_names[i])) {
            *t = (pc_type)(i + 1);
            return 0;
        }
    pc_error(f->d, n->loc, "unknown type '%s'", n->s);
    const char *s = pc_suggest(n->s, pc_type_names, 5);
    if (s)
        pc_note(f->d, n->loc, "did you mean '%s'?", s);
    else
        pc_note(f->d, n->loc, "the types are string, int, float, bool and timestamp");
    return -1;
}

static void pc_check_default(pc_front *f, const pc_ynode *n, pc_type t)
{
    /* read at run time by the record parsers (prt_scalar.h), which share prt_text's grammar */
    int64_t v;
    int b;
    const char *s = n->s;
    int ok = 1;
    if (t == PC_T_INT)
        ok = prt_text_int(s, n->len, &v) == PRT_TEXT_OK;
    else if (t == PC_T_FLOAT)
        ok = prt_text_decimal(s, n->len) == PRT_TEXT_OK;
    else if (t == PC_T_BOOL)
        ok = prt_text_bool(s, n->len, &b) == PRT_TEXT_OK;
    else if (t == PC_T_TIMESTAMP)
        ok = prt_text_timestamp(s, n->len, &v) == PRT_TEXT_OK;
    if (!ok)
        pc_error(f->d, n->loc, "default '%s' is not a valid %s", s, pc_type_name(t));
}

/* schema body: {field: type | {type, path, default}} */
static int pc_parse_row(pc_front *f, const pc_ynode *m, const char *what, pc_row *row)
{
    if (pc_expect(f, m, PC_Y_MAP, what))
        return -1;
    row->fields = pc_alloc(f->a, sizeof *row->fields * (size_t)(m->n + 1));
    row->nfields = 0;
    int rc = 0;
    if (m->n == 0) {
        pc_error(f->d, m->loc, "%s has no fields", what);
        return -1;
    }
    for (int i = 0; i < m->n; i++) {
        const pc_ynode *k = m->keys[i], *v = m->vals[i];
        pc_field fl = { .name = k->s, .loc = k->loc };
        int bad = pc_check_field_name(f, k, 1);
        if (v->kind == PC_Y_MAP) {
            static const char *const fk[] = { "type", "path", "default" };
            const char *ctx = pc_sprintf(f->a, "field '%s'", k->s);
            bad |= pc_keys(f, v, fk, NKEYS(fk), ctx) != 0;
            const pc_ynode *tn = pc_yget(v, "type"), *pn = pc_yget(v, "path"), *dn = pc_yget(v, "default");
            if (!tn) {
                pc_missing_in(f, v, k->loc, "type", ctx);
                bad = 1;
            } else if (pc_parse_type(f, tn, &fl.type))
                bad = 1;
            if (pn) {
                if (!pc_compiled(f, pn, "path", "a field path"))
                    bad = 1;
                else {
                    const char *s = pn->s;
                    int ok = *s && s[0] != '.' && s[strlen(s) - 1] != '.' && !strstr(s, "..");
                    if (!ok) {
                        pc_error(f->d, pn->loc, "invalid path '%s': expected dotted names like data.price", s);
                        bad = 1;
                    } else
                        fl.path = s;
                }
            }
            if (dn) {
                if (!pc_compiled(f, dn, "default", "a default value"))
                    bad = 1;
                else {
                    fl.dflt = dn->s;
                    if (tn && !bad)
                        pc_check_default(f, dn, fl.type);
                }
            }
        } else if (pc_parse_type(f, v, &fl.type))
            bad = 1;
        if (!fl.path)
            fl.path = fl.name;
        if (bad) {
            rc = -1;
            fl.type = PC_T_ERROR;
        }
        row->fields[row->nfields++] = fl;
    }
    return rc;
}

static int pc_parse_format(pc_front *f, const pc_ynode *n, pc_format *fmt, int is_sink)
{
    static const char *const names[] = { "kv", "csv", "json", "raw" };
    const pc_ynode *kn = n, *opts = NULL;
    fmt->loc = n->loc;
    fmt->csv_delim = ',';
    if (n->kind == PC_Y_MAP) {
        if (n->n != 1) {
            pc_error(f->d, n->loc, "expected one format, e.g. 'json' or '{csv: {header: true}}'");
            return -1;
        }
        kn = n->keys[0];
        opts = n->vals[0];
    } else if (pc_expect(f, n, PC_Y_SCALAR, "format"))
        return -1;
    if (!pc_compiled(f, kn, "format", "a format"))
        return -1;
    int k = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(kn->s, names[i]))
            k = i;
    if (k < 0) {
        pc_error(f->d, kn->loc, "unknown format '%s': expected kv, csv, json or raw", kn->s);
        const char *s = pc_suggest(kn->s, names, 4);
        if (s)
            pc_note(f->d, kn->loc, "did you mean '%s'?", s);
        return -1;
    }
    fmt->kind = (pc_fmt)k;
    if (is_sink && fmt->kind == PC_FMT_RAW) {
        pc_error(f->d, kn->loc, "format 'raw' is for sources: a sink writes json, csv or kv");
        return -1;
    }
    if (!opts || (opts->kind == PC_Y_SCALAR && (!opts->len || !strcmp(opts->s, "null") || !strcmp(opts->s, "~"))))
        return 0;
    if (pc_expect(f, opts, PC_Y_MAP, kn->s))
        return -1;
    if (fmt->kind != PC_FMT_CSV) {
        if (opts->n) {
            pc_error(f->d, opts->keys[0]->loc, "format '%s' has no options", kn->s);
            return -1;
        }
        return 0;
    }
    static const char *const ck[] = { "header", "delimiter" };
    int rc = pc_keys(f, opts, ck, 2, "csv format") ? -1 : 0;
    const pc_ynode *h = pc_yget(opts, "header"), *d = pc_yget(opts, "delimiter");
    if (h && pc_cbool(f, h, "header", &fmt->csv_header))
        rc = -1;
    if (d) {
        if (!pc_compiled(f, d, "delimiter", "a delimiter"))
            rc = -1;
        else if (d->len != 1) {
            pc_error(f->d, d->loc, "a csv delimiter is one byte, got '%s'", d->s);
            rc = -1;
        } else
            fmt->csv_delim = d->s[0];
    }
    return rc;
}

/* ------------------------------------------------------------------ generators */

/* The generator kinds and their fields: the runtime's table (runtime/prt_gen_schema.def), so the
 * row a generator source gets and the records the runtime writes cannot drift apart. An entry
 * with a kind opens that kind; the field entries after it, up to the next kind, are its row. */
typedef struct pc_gen_schema {
    const char *kind, *field, *type;
} pc_gen_schema;

static const pc_gen_schema pc_generators[] = {
#define GEN_KIND(id, name) { name, NULL, NULL },
#define GEN_FIELD(id, field, type) { NULL, field, type },
#include "../runtime/prt_gen_schema.def"
#undef GEN_KIND
#undef GEN_FIELD
    { NULL, NULL, NULL }
};

static const char *const pc_gen_names[] = {
#define GEN_KIND(id, name) name,
#define GEN_FIELD(id, field, type)
#include "../runtime/prt_gen_schema.def"
#undef GEN_KIND
#undef GEN_FIELD
};

static pc_type pc_type_of(const char *s)
{
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, pc_type_names[i]))
            return (pc_type)(i + 1);
    return PC_T_ERROR;
}

static void pc_gen_row(pc_front *f, const pc_gen_schema *g, pc_row *row, pc_loc loc)
{
    int n = 0;
    while (g[n + 1].field)
        n++;
    row->fields = pc_alloc(f->a, sizeof *row->fields * (size_t)n);
    row->nfields = n;
    for (int i = 0; i < n; i++) {
        row->fields[i].name = g[i + 1].field;
        row->fields[i].path = g[i + 1].field;
        row->fields[i].type = pc_type_of(g[i + 1].type);
        row->fields[i].loc = loc;
    }
}

/* ------------------------------------------------------------------ sources */

/* by pc_conn: a source connector's index here is its enum value */
static const char *const pc_conn_src[] = { "kafka", "file", "stdin", "generator", "socket", "postgres" };

static void pc_append_hidden(pc_front *f, pc_row *row, const char *const (*h)[2], int nh, pc_loc loc)
{
    pc_field *nf = pc_alloc(f->a, sizeof *nf * (size_t)(row->nfields + nh));
    if (row->nfields)
        memcpy(nf, row->fields, sizeof *nf * (size_t)row->nfields);
    for (int i = 0; i < nh; i++) {
        pc_field *x = &nf[row->nfields + i];
        x->name = h[i][0];
        x->path = h[i][0];
        x->type = pc_type_of(h[i][1]);
        x->hidden = 1;
        x->loc = loc;
    }
    row->fields = nf;
    row->nfields += nh;
}

/* socket: {host, port, backoff, max_backoff, max_retries}; a port written in the YAML is checked
 * here, one from ${...} when the binary starts. */
static void pc_parse_socket(pc_front *f, const pc_ynode *cv, const pc_ynode *ck, const char *base, const char *cctx)
{
    static const char *const sk[] = { "host", "port", "backoff", "max_backoff", "max_retries" };
    if (cv->kind == PC_Y_SCALAR && cv->len && strcmp(cv->s, "true") && !pc_has_var(cv)) {
        pc_error(f->d, cv->loc, "expected 'socket: {host: HOST, port: PORT}', e.g. {host: localhost, port: 9999}");
        return;
    }
    if (pc_expect(f, cv, PC_Y_MAP, ck->s))
        return;
    pc_keys(f, cv, sk, NKEYS(sk), cctx);
    /* not pc_missing_in: 'host' and 'port' look alike, so one given must not hide the other missing */
    for (int r = 0; r < 2; r++) {
        const char *want = sk[r];
        int typo = 0;
        for (int i = 0; i < cv->n && !pc_yget(cv, want); i++) {
            int known = 0;
            for (int j = 0; j < NKEYS(sk); j++)
                known |= !strcmp(cv->keys[i]->s, sk[j]);
            typo |= !known && pc_suggest(cv->keys[i]->s, &want, 1) != NULL;
        }
        if (!pc_yget(cv, want) && !typo)
            pc_missing(f, ck->loc, want, cctx);
    }
    for (int i = 0; i < cv->n; i++) {
        const char *k = cv->keys[i]->s;
        const pc_ynode *v = cv->vals[i];
        const char *path = pc_sprintf(f->a, "%s.%s", base, k);
        if (!strcmp(k, "host")) {
            if (pc_setting_v(f, path, v, k, VK_STR, NULL) == 0 && v->len == 0)
                pc_error(f->d, v->loc, "'host' is empty: name the host to connect to");
        } else if (!strcmp(k, "port")) {
            if (pc_expect(f, v, PC_Y_SCALAR, k))
                continue;
            const char *lit;
            int64_t port;
            if (pc_vars(f, v, &lit))
                continue;
            pc_add_setting(f, path, v->s, v->loc);
            if (lit && (pc_parse_int(lit, &port) || port < 1 || port > 65535))
                pc_error(f->d, v->loc, "invalid port '%s': expected an integer from 1 to 65535", lit);
        } else if (!strcmp(k, "backoff") || !strcmp(k, "max_backoff")) {
            pc_setting_v(f, path, v, k, VK_DUR, NULL);
        } else if (!strcmp(k, "max_retries")) {
            pc_setting_v(f, path, v, k, VK_INT, NULL);
        }
    }
}

/* A socket cannot replay its input, so it cannot be exactly once: refused when the checkpoint
 * mode written in the YAML is exactly_once (also the default of a `checkpoint:` section). A mode
 * from ${...} is checked when the binary starts (prt_ckpt.c), as is one given with --set. */
static void pc_check_socket_mode(pc_front *f, const pc_ynode *root, const pc_ynode *ck)
{
    const pc_ynode *mode = pc_yget(ck, "mode"), *srcs = pc_yget(root, "sources");
    const char *lit = "exactly_once";
    if (mode && (mode->kind != PC_Y_SCALAR || pc_has_var(mode)))
        return;
    if (mode)
        lit = mode->s;
    if (strcmp(lit, "exactly_once") || !srcs || srcs->kind != PC_Y_MAP)
        return;
    for (int i = 0; i < srcs->n; i++) {
        const pc_ynode *sk = srcs->vals[i]->kind == PC_Y_MAP ? pc_ygetkey(srcs->vals[i], "socket") : NULL;
        if (!sk)
            continue;
        pc_error(f->d, sk->loc, "socket source '%s' cannot be exactly once: a socket cannot replay what it sent "
                 "before a crash", srcs->keys[i]->s);
        if (mode)
            pc_note(f->d, mode->loc, "checkpoint.mode is exactly_once here; use at_least_once, under which the "
                    "socket's input is at most once across a crash");
        else
            pc_note(f->d, pc_ygetkey(root, "checkpoint")->loc, "a checkpoint is exactly_once unless it says "
                    "'mode: at_least_once', under which the socket's input is at most once across a crash");
    }
}

static void pc_parse_source(pc_front *f, pc_source *src, const pc_ynode *key, const pc_ynode *m)
{
    static const char *const keys[] = { "kafka", "file", "stdin", "generator", "socket", "postgres", "format",
                                        "schema", "event_time", "watermark" };
    const char *ctx = pc_sprintf(f->a, "source '%s'", key->s);
    src->name = key->s;
    src->loc = key->loc;
    src->event_time = -1;
    pc_check_name(f, key, "source name");
    if (pc_expect(f, m, PC_Y_MAP, key->s))
        return;
    pc_keys(f, m, keys, NKEYS(keys), ctx);

    /* the connector */
    int conn = -1;
    const pc_ynode *ck = NULL, *cv = NULL;
    for (int i = 0; i < m->n; i++)
        for (int c = 0; c < (int)NKEYS(pc_conn_src); c++)
            if (!strcmp(m->keys[i]->s, pc_conn_src[c])) {
                if (conn >= 0) {
                    pc_error(f->d, m->keys[i]->loc, "source '%s' has two connectors, '%s' and '%s': keep one",
                             key->s, ck->s, m->keys[i]->s);
                    continue;
                }
                conn = c;
                ck = m->keys[i];
                cv = m->vals[i];
            }
    if (conn < 0) {
        pc_error(f->d, key->loc,
                 "source '%s' needs a connector: one of kafka, file, stdin, generator, socket or postgres", key->s);
        return;
    }
    src->conn = (pc_conn)conn;
    const char *base = pc_sprintf(f->a, "sources.%s.%s", key->s, ck->s);
    const pc_gen_schema *gen = NULL;
    const char *cctx = pc_sprintf(f->a, "%s source '%s'", ck->s, key->s);
    if (conn == PC_CONN_KAFKA) {
        static const char *const kk[] = { "bootstrap", "topics", "topic_pattern", "group", "startup",
                                          "auto_offset_reset", "bounded", "properties", "connect_timeout" };
        if (!pc_expect(f, cv, PC_Y_MAP, ck->s)) {
            pc_keys(f, cv, kk, NKEYS(kk), cctx);
            if (!pc_yget(cv, "bootstrap"))
                pc_missing_in(f, cv, ck->loc, "bootstrap", cctx);
            const pc_ynode *t = pc_yget(cv, "topics"), *tp = pc_yget(cv, "topic_pattern");
            if (!t && !tp)
                pc_error(f->d, ck->loc, "%s needs 'topics' (a list) or 'topic_pattern' (a regex)", cctx);
            if (t && tp)
                pc_error(f->d, pc_ygetkey(cv, "topic_pattern")->loc, "use 'topics' or 'topic_pattern', not both");
            for (int i = 0; i < cv->n; i++) {
                const char *k = cv->keys[i]->s;
                const pc_ynode *v = cv->vals[i];
                const char *path = pc_sprintf(f->a, "%s.%s", base, k);
                if (!strcmp(k, "topics")) {
                    if (v->kind == PC_Y_SCALAR)
                        pc_error(f->d, v->loc, "expected a list for 'topics', e.g. [%s]", v->s);
                    else if (!pc_expect(f, v, PC_Y_SEQ, k)) {
                        if (v->n == 0)
                            pc_error(f->d, v->loc, "'topics' is empty: name at least one topic");
                        pc_setting_v(f, path, v, k, VK_STR, NULL);
                    }
                } else if (!strcmp(k, "bounded")) {
                    pc_setting_v(f, path, v, k, VK_BOOL, NULL);
                } else if (!strcmp(k, "connect_timeout")) {
                    pc_setting_v(f, path, v, k, VK_DUR, NULL);
                } else if (!strcmp(k, "auto_offset_reset")) {
                    static const char *const e[] = { "earliest", "latest", NULL };
                    pc_setting_v(f, path, v, k, VK_ENUM, e);
                } else if (!strcmp(k, "startup")) {
                    static const char *const e[] = { "earliest", "latest", "group-offsets", NULL };
                    if (v->kind == PC_Y_MAP) {
                        if (v->n != 1 || (strcmp(v->keys[0]->s, "timestamp") && strcmp(v->keys[0]->s, "offsets"))) {
                            pc_error(f->d, v->loc,
                                     "expected 'startup: {timestamp: <epoch ms>}' or 'startup: {offsets: {<partition>: <offset>}}'");
                        } else if (!strcmp(v->keys[0]->s, "timestamp")) {
                            pc_setting_v(f, pc_sprintf(f->a, "%s.timestamp", path), v->vals[0], "timestamp", VK_INT, NULL);
                        } else if (!pc_expect(f, v->vals[0], PC_Y_MAP, "offsets")) {
                            const pc_ynode *o = v->vals[0];
                            for (int j = 0; j < o->n; j++) {
                                int64_t part;
                                if (pc_parse_int(o->keys[j]->s, &part) || part < 0)
                                    pc_error(f->d, o->keys[j]->loc, "invalid partition '%s': expected an integer",
                                             o->keys[j]->s);
                                else
                                    pc_setting_v(f, pc_sprintf(f->a, "%s.offsets.%s", path, o->keys[j]->s), o->vals[j],
                                                 "offset", VK_INT, NULL);
                            }
                        }
                    } else
                        pc_setting_v(f, path, v, k, VK_ENUM, e);
                } else if (!strcmp(k, "properties")) {
                    pc_properties(f, path, v);
                } else if (!strcmp(k, "bootstrap") || !strcmp(k, "topic_pattern") || !strcmp(k, "group")) {
                    pc_setting_v(f, path, v, k, VK_STR, NULL);
                }
            }
        }
    } else if (conn == PC_CONN_FILE) {
        static const char *const fk[] = { "path", "follow" };
        if (!pc_expect(f, cv, PC_Y_MAP, ck->s)) {
            pc_keys(f, cv, fk, NKEYS(fk), cctx);
            if (!pc_yget(cv, "path"))
                pc_missing_in(f, cv, ck->loc, "path", cctx);
            for (int i = 0; i < cv->n; i++) {
                const char *k = cv->keys[i]->s;
                const char *path = pc_sprintf(f->a, "%s.%s", base, k);
                if (!strcmp(k, "path"))
                    pc_setting_v(f, path, cv->vals[i], k, VK_STR, NULL);
                else if (!strcmp(k, "follow"))
                    pc_setting_v(f, path, cv->vals[i], k, VK_BOOL, NULL);
            }
        }
    } else if (conn == PC_CONN_SOCKET) {
        pc_parse_socket(f, cv, ck, base, cctx);
    } else if (conn == PC_CONN_POSTGRES) {
        static const char *const pk[] = { "dsn", "query", "fetch_size", "retry_timeout" };
        if (!pc_expect(f, cv, PC_Y_MAP, ck->s)) {
            pc_keys(f, cv, pk, NKEYS(pk), cctx);
            if (!pc_yget(cv, "dsn"))
                pc_missing_in(f, cv, ck->loc, "dsn", cctx);
            if (!pc_yget(cv, "query"))
                pc_missing_in(f, cv, ck->loc, "query", cctx);
            for (int i = 0; i < cv->n; i++) {
                const char *k = cv->keys[i]->s;
                const pc_ynode *v = cv->vals[i];
                const char *path = pc_sprintf(f->a, "%s.%s", base, k);
                if (!strcmp(k, "fetch_size")) {
                    int64_t n;
                    if (pc_setting_v(f, path, v, k, VK_INT, NULL) == 0 && !pc_has_var(v) && !pc_parse_int(v->s, &n) &&
                        n == 0)
                        pc_error(f->d, v->loc, "fetch_size is the number of rows per FETCH: at least 1");
                } else if (!strcmp(k, "dsn") || !strcmp(k, "query")) {
                    if (pc_setting_v(f, path, v, k, VK_STR, NULL) == 0 && v->kind == PC_Y_SCALAR && v->len == 0)
                        pc_error(f->d, v->loc, "'%s' is empty", k);
                } else if (!strcmp(k, "retry_timeout")) {
                    pc_setting_v(f, path, v, k, VK_DUR, NULL); /* as the sink's: a lost connection's retries */
                }
            }
        }
    } else if (conn == PC_CONN_STDIN) {
        if (cv->kind == PC_Y_MAP) {
            pc_keys(f, cv, NULL, 0, cctx);
        } else if (cv->kind != PC_Y_SCALAR || strcmp(cv->s, "true")) {
            pc_error(f->d, cv->loc, "expected 'stdin: true' or 'stdin: {}'");
        }
    } else {
        static const char *const gk[] = { "kind", "rate", "count", "seed", "start", "step", "out_of_order" };
        const pc_ynode *kind = NULL;
        if (cv->kind == PC_Y_SCALAR && cv->len && strcmp(cv->s, "true"))
            kind = cv; /* generator: orders */
        else if (cv->kind == PC_Y_MAP) {
            pc_keys(f, cv, gk, NKEYS(gk), cctx);
            kind = pc_yget(cv, "kind");
            for (int i = 0; i < cv->n; i++) {
                const char *k = cv->keys[i]->s;
                const pc_ynode *v = cv->vals[i];
                const char *path = pc_sprintf(f->a, "%s.%s", base, k);
                if (!strcmp(k, "rate"))
                    pc_setting_v(f, path, v, k, VK_RATE, NULL);
                else if (!strcmp(k, "count") || !strcmp(k, "seed"))
                    pc_setting_v(f, path, v, k, VK_INT, NULL);
                else if (!strcmp(k, "start"))
                    pc_setting_v(f, path, v, k, VK_TIME, NULL);
                else if (!strcmp(k, "step") || !strcmp(k, "out_of_order"))
                    pc_setting_v(f, path, v, k, VK_DUR, NULL);
            }
        } else if (!(cv->kind == PC_Y_SCALAR && (!cv->len || !strcmp(cv->s, "true"))))
            pc_expect(f, cv, PC_Y_MAP, ck->s);
        gen = &pc_generators[0];
        if (kind && pc_compiled(f, kind, "kind", "a generator kind")) {
            gen = NULL;
            for (const pc_gen_schema *g = pc_generators; g->kind || g->field; g++)
                if (g->kind && !strcmp(kind->s, g->kind))
                    gen = g;
            if (!gen) {
                pc_error(f->d, kind->loc, "unknown generator '%s': expected orders, nexmark_person, nexmark_auction or nexmark_bid",
                         kind->s);
                const char *s = pc_suggest(kind->s, pc_gen_names, (int)NKEYS(pc_gen_names));
                if (s)
                    pc_note(f->d, kind->loc, "did you mean '%s'?", s);
            }
        }
        if (gen) {
            src->generator = gen->kind;
            if (kind)
                pc_add_setting(f, pc_sprintf(f->a, "%s.kind", base), gen->kind, kind->loc);
        }
    }

    /* format */
    const pc_ynode *fmt = pc_yget(m, "format");
    int fmt_ok = 1;
    if (conn == PC_CONN_POSTGRES) { /* rows come as json objects by column name (prt_src_pg.c) */
        if (fmt)
            pc_error(f->d, pc_ygetkey(m, "format")->loc,
                     "a postgres source has no format: its rows are read by column name, typed by the schema");
        src->format.kind = PC_FMT_JSON;
        src->format.loc = key->loc;
    } else if (fmt)
        fmt_ok = pc_parse_format(f, fmt, &src->format, 0) == 0;
    else if (conn == PC_CONN_GENERATOR) {
        src->format.kind = PC_FMT_KV;
        src->format.csv_delim = ',';
        src->format.loc = key->loc;
    } else {
        pc_missing_in(f, m, key->loc, "format", ctx);
        pc_note(f->d, key->loc, "formats: kv, csv, json, raw");
        fmt_ok = 0;
    }

    /* schema -> row */
    const pc_ynode *sn = pc_yget(m, "schema");
    int row_ok = 1;
    if (sn && sn->kind == PC_Y_SCALAR) {
        src->schema_name = pc_mkname(sn);
        int found = -1;
        for (int i = 0; i < f->p->nschemas; i++)
            if (!strcmp(f->p->schemas[i].name, sn->s))
                found = i;
        if (found < 0) {
            row_ok = 0;
            if (pc_compiled(f, sn, "schema", "a schema name")) {
                pc_error(f->d, sn->loc, "unknown schema '%s'", sn->s);
                const char **names = pc_alloc(f->a, sizeof *names * (size_t)(f->p->nschemas + 1));
                for (int i = 0; i < f->p->nschemas; i++)
                    names[i] = f->p->schemas[i].name;
                const char *s = pc_suggest(sn->s, names, f->p->nschemas);
                if (s)
                    pc_note(f->d, sn->loc, "did you mean '%s'?", s);
            }
        } else
            src->row = f->p->schemas[found].row;
    } else if (sn) {
        if (sn->kind != PC_Y_MAP) {
            pc_error(f->d, sn->loc, "expected a schema name or a mapping of fields for 'schema'");
            row_ok = 0;
        } else if (pc_parse_row(f, sn, pc_sprintf(f->a, "the schema of source '%s'", key->s), &src->row))
            row_ok = 0;
    }
    if (row_ok && gen) {
        pc_row grow;
        pc_gen_row(f, gen, &grow, ck->loc);
        if (!sn)
            src->row = grow;
        else
            for (int i = 0; i < src->row.nfields; i++) {
                pc_field *x = &src->row.fields[i];
                int j = 0;
                while (j < grow.nfields && strcmp(grow.fields[j].name, x->name))
                    j++;
                if (j == grow.nfields)
                    pc_error(f->d, x->loc, "field '%s' is not produced by generator '%s'", x->name, gen->kind);
                else if (grow.fields[j].type != x->type && x->type != PC_T_ERROR)
                    pc_error(f->d, x->loc, "field '%s' is %s in generator '%s', not %s", x->name,
                             pc_type_name(grow.fields[j].type), gen->kind, pc_type_name(x->type));
            }
    } else if (row_ok && fmt_ok && src->format.kind == PC_FMT_RAW) {
        if (!sn) {
            src->row.fields = pc_alloc(f->a, sizeof(pc_field));
            src->row.nfields = 1;
            src->row.fields[0].name = "line";
            src->row.fields[0].path = "line";
            src->row.fields[0].type = PC_T_STRING;
            src->row.fields[0].loc = src->format.loc;
        } else if (src->row.nfields != 1 || src->row.fields[0].type != PC_T_STRING) {
            pc_error(f->d, sn->loc, "a raw source has exactly one string field (default: 'line: string')");
        }
    } else if (row_ok && !sn && conn != PC_CONN_GENERATOR) {
        if (fmt_ok)
            pc_missing_in(f, m, key->loc, "schema", ctx);
        row_ok = 0;
    }

    if (row_ok && conn == PC_CONN_POSTGRES)
        for (int i = 0; i < src->row.nfields; i++)
            if (strcmp(src->row.fields[i].path, src->row.fields[i].name))
                pc_error(f->d, src->row.fields[i].loc,
                         "field '%s' has a path: a postgres source reads the column of the field's name",
                         src->row.fields[i].name);

    /* hidden metadata */
    if (conn == PC_CONN_KAFKA) {
        static const char *const h[][2] = { { "_key", "string" }, { "_timestamp", "timestamp" },
                                            { "_partition", "int" }, { "_offset", "int" }, { "_topic", "string" } };
        pc_append_hidden(f, &src->row, h, 5, ck->loc);
    } else if (conn == PC_CONN_FILE || conn == PC_CONN_STDIN) {
        static const char *const h[][2] = { { "_file", "string" }, { "_line", "int" } };
        pc_append_hidden(f, &src->row, h, 2, ck->loc);
    }

    /* event time and watermark */
    const pc_ynode *et = pc_yget(m, "event_time");
    if (et && pc_compiled(f, et, "event_time", "event_time")) {
        src->event_time_loc = et->loc;
        int found = -1;
        for (int i = 0; i < src->row.nfields; i++)
            if (!strcmp(src->row.fields[i].name, et->s))
                found = i;
        if (found < 0) {
            if (row_ok) {
                pc_error(f->d, et->loc, "event_time '%s' is not a field of source '%s'", et->s, key->s);
                const char **names = pc_alloc(f->a, sizeof *names * (size_t)(src->row.nfields + 1));
                int nn = 0;
                for (int i = 0; i < src->row.nfields; i++)
                    if (src->row.fields[i].type == PC_T_TIMESTAMP)
                        names[nn++] = src->row.fields[i].name;
                const char *s = pc_suggest(et->s, names, nn);
                if (s)
                    pc_note(f->d, et->loc, "did you mean '%s'?", s);
            }
        } else if (src->row.fields[found].type != PC_T_TIMESTAMP) {
            if (src->row.fields[found].type != PC_T_ERROR) {
                pc_error(f->d, et->loc, "event_time '%s' must be a timestamp field, but it is %s", et->s,
                         pc_type_name(src->row.fields[found].type));
                pc_note(f->d, src->row.fields[found].loc, "'%s' is declared here", et->s);
            }
        } else
            src->event_time = found;
    }
    const pc_ynode *wm = pc_yget(m, "watermark");
    if (wm && !pc_expect(f, wm, PC_Y_MAP, "watermark")) {
        static const char *const wk[] = { "out_of_orderness", "idle" };
        pc_keys(f, wm, wk, 2, pc_sprintf(f->a, "the watermark of source '%s'", key->s));
        for (int i = 0; i < wm->n; i++)
            if (!strcmp(wm->keys[i]->s, "out_of_orderness") || !strcmp(wm->keys[i]->s, "idle"))
                pc_setting_v(f, pc_sprintf(f->a, "sources.%s.watermark.%s", key->s, wm->keys[i]->s), wm->vals[i],
                             wm->keys[i]->s, VK_DUR, NULL);
        if (!et)
            pc_error(f->d, pc_ygetkey(m, "watermark")->loc, "a watermark needs event time: add 'event_time: <timestamp field>'");
    }
}

/* ------------------------------------------------------------------ stages */

static const char *const pc_stage_keys[] = {
    "id", "previous_id", "from", "filter", "set", "select", "key_by", "window", "aggregate", "union", "join",
    "process", "function", "offset", "time", "allowed_lateness", "late_output"
};

/* ------------------------------------------------------------------ function stages */

static pc_name *pc_name_list(pc_front *f, const pc_ynode *n, const char *key, int *count, int allow_scalar);

/* A state value's type: one of the types, or the name of a declared schema (a record). */
static int pc_parse_value_type(pc_front *f, const pc_ynode *n, pc_type *t, const char **schema,
                               const pc_row **row)
{
    *schema = NULL;
    *row = NULL;
    if (!pc_compiled(f, n, "type", "a type"))
        return -1;
    for (int i = 0; i < f->p->nschemas; i++)
        if (!strcmp(f->p->schemas[i].name, n->s)) {
            *schema = n->s;
            *row = &f->p->schemas[i].row;
            *t = PC_T_ERROR;
            return 0;
        }
    for (int i = 0; i < 5; i++)
        if (!strcmp(n->s, pc_type_names[i])) {
            *t = (pc_type)(i + 1);
            return 0;
        }
    pc_error(f->d, n->loc, "unknown type '%s'", n->s);
    const char **names = pc_alloc(f->a, sizeof *names * (size_t)(f->p->nschemas + 6));
    int nn = 0;
    for (int i = 0; i < 5; i++)
        names[nn++] = pc_type_names[i];
    for (int i = 0; i < f->p->nschemas; i++)
        names[nn++] = f->p->schemas[i].name;
    const char *s = pc_suggest(n->s, names, nn);
    if (s)
        pc_note(f->d, n->loc, "did you mean '%s'?", s);
    else
        pc_note(f->d, n->loc, "a state value is string, int, float, bool, timestamp or a schema name");
    return -1;
}

/* state: {name: type | schema | {set: type} | {map: {key: type, value: type | schema}}} */
static void pc_parse_fstate(pc_front *f, pc_function *fn, const pc_ynode *m)
{
    if (pc_expect(f, m, PC_Y_MAP, "state"))
        return;
    fn->state = pc_alloc(f->a, sizeof *fn->state * (size_t)(m->n + 1));
    for (int i = 0; i < m->n; i++) {
        const pc_ynode *k = m->keys[i], *v = m->vals[i];
        if (pc_check_field_name(f, k, 1))
            continue;
        pc_fstate x = { .name = k->s, .loc = k->loc };
        int bad = 0;
        if (v->kind == PC_Y_SCALAR) {
            bad = pc_parse_value_type(f, v, &x.type, &x.schema, &x.row);
            x.kind = x.row ? PC_FS_RECORD : PC_FS_SCALAR;
        } else if (v->kind == PC_Y_MAP && pc_yget(v, "set")) {
            static const char *const sk[] = { "set" };
            x.kind = PC_FS_SET;
            bad = pc_keys(f, v, sk, 1, pc_sprintf(f->a, "state '%s'", k->s)) != 0 ||
                  pc_parse_type(f, pc_yget(v, "set"), &x.type);
        } else if (v->kind == PC_Y_MAP && pc_yget(v, "map")) {
            static const char *const mk[] = { "map" }, *const kv[] = { "key", "value" };
            const pc_ynode *mm = pc_yget(v, "map");
            const char *ctx = pc_sprintf(f->a, "map '%s'", k->s);
            x.kind = PC_FS_MAP;
            bad = pc_keys(f, v, mk, 1, pc_sprintf(f->a, "state '%s'", k->s)) != 0;
            if (!bad && pc_expect(f, mm, PC_Y_MAP, "map") == 0) {
                bad = pc_keys(f, mm, kv, 2, ctx) != 0;
                const pc_ynode *kn = pc_yget(mm, "key"), *vn = pc_yget(mm, "value");
                if (!kn || !vn) {
                    pc_missing_in(f, mm, pc_ygetkey(v, "map")->loc, kn ? "value" : "key", ctx);
                    bad = 1;
                } else {
                    bad |= pc_parse_type(f, kn, &x.key_type) != 0;
                    bad |= pc_parse_value_type(f, vn, &x.type, &x.schema, &x.row) != 0;
                }
            } else
                bad = 1;
        } else {
            pc_error(f->d, v->loc, "expected a type, a schema name, {set: type} or {map: {key: type, value: type}} "
                                   "for state '%s'", k->s);
            bad = 1;
        }
        if (!bad)
            fn->state[fn->nstate++] = x;
    }
}

static void pc_parse_function(pc_front *f, pc_stage *st, const pc_ynode *opk, const pc_ynode *opv, const char *op)
{
    static const char *const pk[] = { "file", "code", "key", "route", "state", "messages", "messages_to", "egress",
                                      "timers" };
    pc_function *fn = st->fn;
    fn->key_type = PC_T_STRING;
    fn->route_loc = opk->loc;
    fn->key_loc = opk->loc;
    if (pc_expect(f, opv, PC_Y_MAP, op))
        return;
    const char *ctx = pc_sprintf(f->a, "%s '%s'", op, st->id);
    pc_keys(f, opv, pk, NKEYS(pk), ctx);
    const pc_ynode *v;
    if ((v = pc_yget(opv, "code")))
        pc_error(f->d, pc_ygetkey(opv, "code")->loc, "inline 'code' is not supported by this pipec: write the C in a "
                                                    "file beside the YAML and name it with 'file:'");
    else if (!(v = pc_yget(opv, "file")))
        pc_missing_in(f, opv, opk->loc, "file", ctx);
    else if (pc_compiled(f, v, "file", "a code file path")) {
        fn->file = v->s;
        fn->file_loc = v->loc;
    }
    if ((v = pc_yget(opv, "key"))) {
        fn->key_loc = v->loc;
        if (pc_parse_type(f, v, &fn->key_type) == 0 && fn->key_type != PC_T_STRING && fn->key_type != PC_T_INT)
            pc_error(f->d, v->loc, "a function's key is a string or an int, not %s", pc_type_name(fn->key_type));
    }
    if (!(v = pc_yget(opv, "route")))
        pc_missing_in(f, opv, opk->loc, "route", ctx);
    else if (!pc_expect(f, v, PC_Y_MAP, "route")) {
        static const char *const rk[] = { "when", "key" };
        fn->route_loc = pc_ygetkey(opv, "route")->loc;
        pc_keys(f, v, rk, 2, pc_sprintf(f->a, "the route of '%s'", st->id));
        const pc_ynode *w = pc_yget(v, "when"), *k = pc_yget(v, "key");
        if (w)
            fn->when = pc_expr_parse(&f->ec, w);
        if (!k)
            pc_missing_in(f, v, fn->route_loc, "key", pc_sprintf(f->a, "the route of '%s'", st->id));
        else
            fn->key = pc_expr_parse(&f->ec, k);
    }
    if ((v = pc_yget(opv, "state")))
        pc_parse_fstate(f, fn, v);
    if ((v = pc_yget(opv, "messages")) && !pc_expect(f, v, PC_Y_MAP, "messages")) {
        fn->msgs = pc_alloc(f->a, sizeof *fn->msgs * (size_t)(v->n + 1));
        for (int i = 0; i < v->n; i++) {
            if (pc_check_field_name(f, v->keys[i], 1))
                continue;
            pc_fmsg *m = &fn->msgs[fn->nmsgs];
            m->name = v->keys[i]->s;
            m->loc = v->keys[i]->loc;
            if (pc_parse_row(f, v->vals[i], pc_sprintf(f->a, "message '%s'", m->name), &m->row) == 0)
                fn->nmsgs++;
        }
    }
    if ((v = pc_yget(opv, "messages_to")))
        fn->messages_to = pc_name_list(f, v, "messages_to", &fn->nmessages_to, 1);
    if ((v = pc_yget(opv, "timers")) && pc_compiled(f, v, "timers", "'timers'")) {
        fn->timers_loc = v->loc;
        if (!strcmp(v->s, "event"))
            fn->timers = PC_FT_EVENT;
        else if (!strcmp(v->s, "processing"))
            fn->timers = PC_FT_PROCESSING;
        else {
            static const char *const tk[] = { "event", "processing" };
            pc_error(f->d, v->loc, "invalid value '%s' for 'timers': expected event or processing", v->s);
            const char *sg = pc_suggest(v->s, tk, 2);
            if (sg)
                pc_note(f->d, v->loc, "did you mean '%s'?", sg);
        }
    }
    if ((v = pc_yget(opv, "egress")) && pc_compiled(f, v, "egress", "a schema name")) {
        fn->egress = pc_mkname(v);
        int found = 0;
        for (int i = 0; i < f->p->nschemas; i++)
            found |= !strcmp(f->p->schemas[i].name, v->s);
        if (!found)
            pc_error(f->d, v->loc, "unknown schema '%s': egress names the schema of the records the function emits",
                     v->s);
    }
}

static int pc_parse_aggs(pc_front *f, pc_stage *st, const pc_ynode *m)
{
    if (pc_expect(f, m, PC_Y_MAP, "aggregate"))
        return -1;
    if (m->n == 0) {
        pc_error(f->d, m->loc, "'aggregate' is empty: name at least one aggregate, e.g. {n: count()}");
        return -1;
    }
    st->aggs = pc_alloc(f->a, sizeof *st->aggs * (size_t)m->n);
    int rc = 0;
    for (int i = 0; i < m->n; i++) {
        const pc_ynode *k = m->keys[i], *v = m->vals[i];
        pc_agg *g = &st->aggs[st->naggs];
        g->name = k->s;
        g->loc = k->loc;
        if (pc_check_field_name(f, k, 1)) {
            rc = -1;
            continue;
        }
        pc_expr *e = pc_expr_parse(&f->ec, v);
        if (!e) {
            rc = -1;
            continue;
        }
        if (e->kind != PC_E_CALL) {
            pc_error(f->d, e->loc, "expected an aggregate function call, e.g. sum(%s)",
                     e->kind == PC_E_FIELD ? e->s : "amount");
            rc = -1;
            continue;
        }
        if (pc_expr_agg_fn(e->s, &g->fn)) {
            pc_error(f->d, e->loc, "unknown aggregate function '%s'", e->s);
            int na = 0;
            while (pc_expr_agg_names[na])
                na++;
            const char *s = pc_suggest(e->s, pc_expr_agg_names, na);
            if (s)
                pc_note(f->d, e->loc, "did you mean '%s'?", s);
            else
                pc_note(f->d, e->loc, "aggregates: count, sum, min, max, avg, first, last, count_distinct");
            rc = -1;
            continue;
        }
        int want = g->fn == PC_A_COUNT ? 0 : 1;
        if (e->nargs != want) {
            pc_error(f->d, e->loc, "%s() takes %d argument%s, got %d", e->s, want, want == 1 ? "" : "s", e->nargs);
            rc = -1;
            continue;
        }
        g->arg = want ? e->args[0] : NULL;
        st->naggs++;
    }
    return rc;
}

static pc_name *pc_name_list(pc_front *f, const pc_ynode *n, const char *key, int *count, int allow_scalar)
{
    *count = 0;
    if (n->kind == PC_Y_SCALAR && allow_scalar) {
        if (!pc_compiled(f, n, key, "a name"))
            return NULL;
        pc_name *r = pc_alloc(f->a, sizeof *r);
        r[0] = pc_mkname(n);
        *count = 1;
        return r;
    }
    if (pc_expect(f, n, PC_Y_SEQ, key))
        return NULL;
    pc_name *r = pc_alloc(f->a, sizeof *r * (size_t)(n->n + 1));
    for (int i = 0; i < n->n; i++)
        if (pc_compiled(f, n->items[i], key, "a name"))
            r[(*count)++] = pc_mkname(n->items[i]);
    return r;
}

static int pc_parse_window(pc_front *f, pc_stage *st, const pc_ynode *wk, const pc_ynode *w, int join)
{
    static const char *const kinds[] = { "tumbling", "sliding", "session", "global" };
    pc_window *win = &st->win;
    win->loc = wk->loc;
    win->purge = 1;
    win->late_sink = -1;
    if (pc_expect(f, w, PC_Y_MAP, "window"))
        return -1;
    if (w->n != 1) {
        pc_error(f->d, w->n ? w->keys[1]->loc : w->loc,
                 "a window is one of tumbling, sliding, session or global, e.g. {tumbling: 30s}");
        return -1;
    }
    const pc_ynode *k = w->keys[0], *v = w->vals[0];
    int kind = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(k->s, kinds[i]))
            kind = i;
    if (kind < 0) {
        pc_error(f->d, k->loc, "unknown window kind '%s'", k->s);
        const char *s = pc_suggest(k->s, kinds, 4);
        if (s)
            pc_note(f->d, k->loc, "did you mean '%s'?", s);
        else
            pc_note(f->d, k->loc, "windows: tumbling, sliding, session, global");
        return -1;
    }
    win->kind = (pc_win_kind)kind;
    win->loc = k->loc;
    if (join && kind != PC_W_TUMBLING) {
        pc_error(f->d, k->loc, "a join window must be tumbling, e.g. {tumbling: 10s}");
        return -1;
    }
    int rc = 0;
    if (kind == PC_W_TUMBLING) {
        if (pc_cduration(f, v, "tumbling", &win->size))
            return -1;
    } else if (kind == PC_W_SLIDING) {
        static const char *const sk[] = { "size", "slide" };
        if (pc_expect(f, v, PC_Y_MAP, "sliding"))
            return -1;
        if (pc_keys(f, v, sk, 2, "sliding window"))
            rc = -1;
        const pc_ynode *sz = pc_yget(v, "size"), *sl = pc_yget(v, "slide");
        if (!sz)
            pc_missing_in(f, v, k->loc, "size", "sliding window");
        if (!sl)
            pc_missing_in(f, v, k->loc, "slide", "sliding window");
        if (!sz || !sl)
            return -1;
        if (pc_cduration(f, sz, "size", &win->size) | pc_cduration(f, sl, "slide", &win->slide))
            return -1;
        if (win->slide > win->size) {
            pc_error(f->d, sl->loc, "slide (%s) must not be larger than size (%s)", sl->s, sz->s);
            return -1;
        }
        if (win->slide <= 0) {
            pc_error(f->d, sl->loc, "slide must be positive");
            return -1;
        }
    } else if (kind == PC_W_SESSION) {
        static const char *const sk[] = { "gap" };
        if (pc_expect(f, v, PC_Y_MAP, "session"))
            return -1;
        if (pc_keys(f, v, sk, 1, "session window"))
            rc = -1;
        const pc_ynode *g = pc_yget(v, "gap");
        if (!g) {
            pc_missing_in(f, v, k->loc, "gap", "session window");
            return -1;
        }
        if (pc_cduration(f, g, "gap", &win->gap))
            return -1;
        if (win->gap <= 0) {
            pc_error(f->d, g->loc, "a session gap must be positive");
            return -1;
        }
    } else {
        static const char *const gk[] = { "trigger" };
        static const char *const tk[] = { "count", "purge" };
        if (pc_expect(f, v, PC_Y_MAP, "global"))
            return -1;
        if (pc_keys(f, v, gk, 1, "global window"))
            rc = -1;
        const pc_ynode *t = pc_yget(v, "trigger");
        if (!t) {
            pc_missing_in(f, v, k->loc, "trigger", "global window");
            return -1;
        }
        if (pc_expect(f, t, PC_Y_MAP, "trigger"))
            return -1;
        if (pc_keys(f, t, tk, 2, "trigger"))
            rc = -1;
        const pc_ynode *c = pc_yget(t, "count"), *pu = pc_yget(t, "purge");
        if (!c) {
            pc_missing(f, pc_ygetkey(v, "trigger")->loc, "count", "trigger");
            return -1;
        }
        if (pc_cint(f, c, "count", 1, &win->count))
            rc = -1;
        if (pu && pc_cbool(f, pu, "purge", &win->purge))
            rc = -1;
    }
    if ((kind == PC_W_TUMBLING || kind == PC_W_SLIDING) && win->size <= 0) {
        pc_error(f->d, v->kind == PC_Y_SCALAR ? v->loc : k->loc, "a window size must be positive");
        return -1;
    }
    return rc;
}

static void pc_parse_stage(pc_front *f, int idx, const pc_ynode *m)
{
    pc_stage *st = &f->p->stages[idx];
    st->loc = m->loc;
    st->win.late_sink = -1;
    st->win.purge = 1;
    st->id = pc_sprintf(f->a, "stage_%d", idx + 1);
    f->stage_id_loc[idx] = m->loc;
    if (pc_expect(f, m, PC_Y_MAP, "stage")) {
        f->stage_bad[idx] = 1;
        return;
    }
    const char *ctx = "stage";
    const pc_ynode *idn = pc_yget(m, "id");
    if (idn && pc_compiled(f, idn, "id", "an id") && pc_check_name(f, idn, "id") == 0) {
        st->id = idn->s;
        st->id_given = 1;
        f->stage_id_loc[idx] = idn->loc;
        ctx = pc_sprintf(f->a, "stage '%s'", idn->s);
    }
    const pc_ynode *pid = pc_yget(m, "previous_id");
    if (pid && pc_compiled(f, pid, "previous_id", "an id") && pc_check_name(f, pid, "previous_id") == 0) {
        st->previous_id = pid->s;
        st->previous_id_loc = pid->loc;
    }
    int unknown = pc_keys(f, m, pc_stage_keys, NKEYS(pc_stage_keys), ctx);

    static const char *const ops[] = { "filter", "set", "select", "key_by", "window", "union", "join", "process",
                                       "function" };
    const pc_ynode *opk = NULL, *opv = NULL;
    for (int i = 0; i < m->n; i++)
        for (int o = 0; o < NKEYS(ops); o++)
            if (!strcmp(m->keys[i]->s, ops[o])) {
                if (opk) {
                    pc_error(f->d, m->keys[i]->loc, "a stage has one operation, but this one has '%s' and '%s'",
                             opk->s, m->keys[i]->s);
                    pc_note(f->d, m->keys[i]->loc, "split it into two stages");
                    continue;
                }
                opk = m->keys[i];
                opv = m->vals[i];
            }
    const pc_ynode *aggk = pc_ygetkey(m, "aggregate"), *aggv = pc_yget(m, "aggregate");
    if (aggk && opk && strcmp(opk->s, "window")) {
        pc_error(f->d, aggk->loc, "a stage has one operation, but this one has '%s' and 'aggregate'", opk->s);
        pc_note(f->d, aggk->loc, "split it into two stages");
    }
    if (!opk && aggk) {
        opk = aggk;
        opv = aggv;
    }
    const pc_ynode *fromn = pc_yget(m, "from");
    if (fromn && pc_compiled(f, fromn, "from", "'from'"))
        st->from = pc_mkname(fromn);

    static const char *const wonly[] = { "offset", "time", "allowed_lateness", "late_output" };
    int is_window = opk && !strcmp(opk->s, "window");
    if (!is_window)
        for (int i = 0; i < 4; i++) {
            const pc_ynode *k = pc_ygetkey(m, wonly[i]);
            if (k)
                pc_error(f->d, k->loc, "'%s' only applies to a stage with 'window:'", wonly[i]);
        }
    if (!opk) {
        if (!unknown) /* else a misspelled operation was just reported */
            pc_error(f->d, m->loc, "stage has no operation: expected one of filter, set, select, key_by, window, "
                               "aggregate, union, join, process or function");
        st->kind = PC_S_FILTER;
        f->stage_bad[idx] = 1;
        return;
    }
    st->op_loc = opk->loc;
    const char *op = opk->s;
    if (!st->id_given)
        st->id = pc_sprintf(f->a, "%s_%d", op, idx + 1);

    if (!strcmp(op, "filter")) {
        st->kind = PC_S_FILTER;
        st->filter = pc_expr_parse(&f->ec, opv);
    } else if (!strcmp(op, "set")) {
        st->kind = PC_S_SET;
        if (!pc_expect(f, opv, PC_Y_MAP, "set")) {
            st->sets = pc_alloc(f->a, sizeof *st->sets * (size_t)(opv->n + 1));
            if (opv->n == 0)
                pc_error(f->d, opv->loc, "'set' is empty: name at least one field");
            for (int i = 0; i < opv->n; i++) {
                if (pc_check_field_name(f, opv->keys[i], 1))
                    continue;
                pc_assign *as = &st->sets[st->nsets++];
                as->name = opv->keys[i]->s;
                as->loc = opv->keys[i]->loc;
                as->expr = pc_expr_parse(&f->ec, opv->vals[i]);
            }
        }
    } else if (!strcmp(op, "select")) {
        st->kind = PC_S_SELECT;
        st->select = pc_name_list(f, opv, "select", &st->nselect, 0);
        if (opv->kind == PC_Y_SEQ && opv->n == 0)
            pc_error(f->d, opv->loc, "'select' is empty: name at least one field");
    } else if (!strcmp(op, "key_by")) {
        st->kind = PC_S_KEY_BY;
        st->keys = pc_name_list(f, opv, "key_by", &st->nkeys, 1);
        if (opv->kind == PC_Y_SEQ && opv->n == 0)
            pc_error(f->d, opv->loc, "'key_by' is empty: name at least one field");
    } else if (!strcmp(op, "window")) {
        st->kind = PC_S_WINDOW;
        pc_parse_window(f, st, opk, opv, 0);
        if (!aggv)
            pc_missing_in(f, m, opk->loc, "aggregate", pc_sprintf(f->a, "window stage '%s'", st->id));
        else
            pc_parse_aggs(f, st, aggv);
        const pc_ynode *v;
        if ((v = pc_yget(m, "offset"))) {
            if (pc_cduration(f, v, "offset", &st->win.offset) == 0 && st->win.kind != PC_W_TUMBLING &&
                st->win.kind != PC_W_SLIDING)
                pc_error(f->d, pc_ygetkey(m, "offset")->loc, "'offset' applies to tumbling and sliding windows only");
            else if (st->win.size > 0 && st->win.offset >= st->win.size)
                pc_error(f->d, v->loc, "offset (%s) must be smaller than the window size", v->s);
        }
        if ((v = pc_yget(m, "time")) && pc_compiled(f, v, "time", "'time'")) {
            f->stage_time_loc[idx] = v->loc;
            if (!strcmp(v->s, "event"))
                f->stage_time_given[idx] = 1;
            else if (!strcmp(v->s, "processing")) {
                f->stage_time_given[idx] = 2;
                st->win.processing_time = 1;
            } else {
                static const char *const tk[] = { "event", "processing" };
                pc_error(f->d, v->loc, "invalid value '%s' for 'time': expected event or processing", v->s);
                const char *s = pc_suggest(v->s, tk, 2);
                if (s)
                    pc_note(f->d, v->loc, "did you mean '%s'?", s);
            }
        }
        if ((v = pc_yget(m, "allowed_lateness"))) {
            f->stage_late_loc[idx] = pc_ygetkey(m, "allowed_lateness")->loc;
            pc_cduration(f, v, "allowed_lateness", &st->win.lateness);
        }
        if ((v = pc_yget(m, "late_output")) && pc_compiled(f, v, "late_output", "'late_output'"))
            st->win.late_output = pc_mkname(v);
    } else if (!strcmp(op, "aggregate")) {
        st->kind = PC_S_AGGREGATE;
        pc_parse_aggs(f, st, opv);
    } else if (!strcmp(op, "union")) {
        st->kind = PC_S_UNION;
        st->inputs = pc_name_list(f, opv, "union", &st->ninputs, 0);
        if (opv->kind == PC_Y_SEQ && opv->n < 2)
            pc_error(f->d, opv->loc, "a union needs at least 2 inputs, got %d", opv->n);
        if (fromn)
            pc_error(f->d, pc_ygetkey(m, "from")->loc, "a union takes no 'from': list its inputs in 'union: [a, b]'");
    } else if (!strcmp(op, "join")) {
        static const char *const jk[] = { "left", "right", "window", "fields" };
        st->kind = PC_S_JOIN;
        if (fromn)
            pc_error(f->d, pc_ygetkey(m, "from")->loc, "a join takes no 'from': name its inputs in 'left' and 'right'");
        if (!pc_expect(f, opv, PC_Y_MAP, "join")) {
            pc_keys(f, opv, jk, 4, "join");
            const pc_ynode *l = pc_yget(opv, "left"), *r = pc_yget(opv, "right"), *w = pc_yget(opv, "window"),
                           *fl = pc_yget(opv, "fields");
            if (!l)
                pc_missing(f, opk->loc, "left", "join");
            else if (pc_compiled(f, l, "left", "a name"))
                st->left = pc_mkname(l);
            if (!r)
                pc_missing(f, opk->loc, "right", "join");
            else if (pc_compiled(f, r, "right", "a name"))
                st->right = pc_mkname(r);
            if (!w)
                pc_missing(f, opk->loc, "window", "join");
            else
                pc_parse_window(f, st, pc_ygetkey(opv, "window"), w, 1);
            if (fl && !pc_expect(f, fl, PC_Y_MAP, "fields")) {
                st->fields = pc_alloc(f->a, sizeof *st->fields * (size_t)(fl->n + 1));
                for (int i = 0; i < fl->n; i++) {
                    if (pc_check_field_name(f, fl->keys[i], 1))
                        continue;
                    pc_assign *as = &st->fields[st->nfields++];
                    as->name = fl->keys[i]->s;
                    as->loc = fl->keys[i]->loc;
                    as->expr = pc_expr_parse(&f->ec, fl->vals[i]);
                }
            }
        }
    } else { /* process / function */
        st->kind = PC_S_PROCESS;
        st->fn = pc_alloc(f->a, sizeof *st->fn);
        pc_parse_function(f, st, opk, opv, op);
    }
}

/* ------------------------------------------------------------------ sinks */

/* A postgres sink: `postgres: {dsn, table, mode: append|upsert, key: [fields], create_table,
 * retry_timeout, batch_rows}`. Its rows go to the table's columns, written as csv for COPY, so it
 * takes no `format:`. The key fields are checked against the record by pc_check. */
static void pc_parse_pg_sink(pc_front *f, pc_sink *sk, const pc_ynode *ck, const pc_ynode *cv, const pc_ynode *m,
                             const char *ctx)
{
    static const char *const pk[] = { "dsn", "table", "mode", "key", "create_table", "retry_timeout", "batch_rows" };
    static const char *const modes[] = { "append", "upsert", NULL };
    const char *base = pc_sprintf(f->a, "sinks.%s.postgres", sk->name);
    const char *cctx = pc_sprintf(f->a, "postgres of %s", ctx);
    sk->conn = PC_CONN_POSTGRES;
    sk->pg_mode = 0;
    sk->pg_mode_loc = ck->loc;
    if (pc_yget(m, "format")) /* the default stays as parsed: only csv (below) is generated */
        pc_error(f->d, pc_ygetkey(m, "format")->loc,
                 "a postgres sink takes no 'format': each record goes to the table's columns of the same names");
    if (pc_yget(m, "key"))
        pc_error(f->d, pc_ygetkey(m, "key")->loc, "'key' of a postgres sink goes under 'postgres', as a list of fields");
    sk->format.kind = PC_FMT_CSV;
    sk->format.csv_header = 0;
    sk->format.csv_delim = ',';
    if (pc_expect(f, cv, PC_Y_MAP, "postgres"))
        return;
    pc_keys(f, cv, pk, NKEYS(pk), cctx);
    if (!pc_yget(cv, "dsn"))
        pc_missing_in(f, cv, ck->loc, "dsn", cctx);
    if (!pc_yget(cv, "table"))
        pc_missing_in(f, cv, ck->loc, "table", cctx);
    for (int i = 0; i < cv->n; i++) {
        const char *k = cv->keys[i]->s;
        const pc_ynode *v = cv->vals[i];
        const char *path = pc_sprintf(f->a, "%s.%s", base, k);
        if (!strcmp(k, "dsn"))
            pc_setting_v(f, path, v, k, VK_STR, NULL);
        else if (!strcmp(k, "table")) {
            if (pc_setting_v(f, path, v, k, VK_STR, NULL) == 0 && !strstr(v->s, "${") && prt_text_sql_table(v->s) != PRT_TEXT_OK)
                pc_error(f->d, v->loc, "invalid table name '%s': use name or schema.name, each [A-Za-z_][A-Za-z0-9_]*",
                         v->s);
        } else if (!strcmp(k, "mode")) {
            sk->pg_mode_loc = v->loc;
            if (pc_setting_v(f, path, v, k, VK_ENUM, modes) == 0)
                sk->pg_mode = strstr(v->s, "${") ? -1 : !strcmp(v->s, "upsert");
        } else if (!strcmp(k, "key")) {
            sk->pg_key_loc = cv->keys[i]->loc;
            sk->pg_key = pc_name_list(f, v, "key", &sk->npg_key, 1);
            pc_setting_v(f, path, v, k, VK_STR, NULL);
        } else if (!strcmp(k, "create_table"))
            pc_setting_v(f, path, v, k, VK_BOOL, NULL);
        else if (!strcmp(k, "retry_timeout"))
            pc_setting_v(f, path, v, k, VK_DUR, NULL);
        else if (!strcmp(k, "batch_rows"))
            pc_setting_v(f, path, v, k, VK_INT, NULL);
    }
}

static void pc_parse_sink(pc_front *f, pc_sink *sk, const pc_ynode *key, const pc_ynode *m, int is_errors)
{
    static const char *const keys[] = { "from", "kafka", "file", "stdout", "postgres", "format", "key" };
    static const char *const ekeys[] = { "kafka", "file", "stdout", "format" };
    const char *ctx = is_errors ? "the errors sink" : pc_sprintf(f->a, "sink '%s'", key->s);
    sk->name = is_errors ? "errors" : key->s;
    sk->loc = key->loc;
    sk->from_node = -1;
    sk->late_from_stage = -1;
    sk->is_errors = is_errors;
    sk->format.kind = PC_FMT_JSON;
    sk->format.csv_delim = ',';
    sk->format.loc = key->loc;
    if (!is_errors)
        pc_check_name(f, key, "sink name");
    if (pc_expect(f, m, PC_Y_MAP, key->s))
        return;
    if (is_errors && pc_ygetkey(m, "from"))
        pc_error(f->d, pc_ygetkey(m, "from")->loc, "the errors sink takes no 'from': it receives every bad record");
    else
        pc_keys(f, m, is_errors ? ekeys : keys, is_errors ? 4 : 7, ctx);
    const pc_ynode *fromn = pc_yget(m, "from");
    if (fromn && !is_errors && pc_compiled(f, fromn, "from", "'from'"))
        sk->from = pc_mkname(fromn);
    const pc_ynode *fmt = pc_yget(m, "format");
    if (fmt)
        pc_parse_format(f, fmt, &sk->format, 1);

    static const char *const conns[] = { "kafka", "file", "stdout", "postgres" };
    const pc_ynode *ck = NULL, *cv = NULL;
    for (int i = 0; i < m->n; i++)
        for (int c = 0; c < (is_errors ? 3 : 4); c++)
            if (!strcmp(m->keys[i]->s, conns[c])) {
                if (ck) {
                    pc_error(f->d, m->keys[i]->loc, "%s has two connectors, '%s' and '%s': keep one", ctx, ck->s,
                             m->keys[i]->s);
                    continue;
                }
                ck = m->keys[i];
                cv = m->vals[i];
            }
    if (!ck) {
        pc_error(f->d, key->loc, "%s needs a connector: one of kafka, file%s", ctx,
                 is_errors ? " or stdout" : ", stdout or postgres");
        return;
    }
    if (!strcmp(ck->s, "postgres")) {
        pc_parse_pg_sink(f, sk, ck, cv, m, ctx);
        return;
    }
    const pc_ynode *keyn = is_errors ? NULL : pc_yget(m, "key");
    if (keyn) { /* the record key may sit beside the connector too */
        if (strcmp(ck->s, "kafka"))
            pc_error(f->d, pc_ygetkey(m, "key")->loc, "'key' applies to kafka sinks only");
        else if (pc_yget(cv, "key"))
            pc_error(f->d, pc_ygetkey(m, "key")->loc, "'key' is given twice: here and under 'kafka'");
        else
            sk->key = pc_expr_parse(&f->ec, keyn);
    }
    const char *base = is_errors ? pc_sprintf(f->a, "errors.%s", ck->s) : pc_sprintf(f->a, "sinks.%s.%s", key->s, ck->s);
    const char *cctx = pc_sprintf(f->a, "%s of %s", ck->s, ctx);
    if (!strcmp(ck->s, "kafka")) {
        static const char *const kk[] = { "bootstrap", "topic", "key", "properties", "flush_timeout" };
        sk->conn = PC_CONN_KAFKA;
        if (pc_expect(f, cv, PC_Y_MAP, "kafka"))
            return;
        pc_keys(f, cv, kk, NKEYS(kk), cctx);
        if (!pc_yget(cv, "bootstrap"))
            pc_missing_in(f, cv, ck->loc, "bootstrap", cctx);
        if (!pc_yget(cv, "topic"))
            pc_missing_in(f, cv, ck->loc, "topic", cctx);
        for (int i = 0; i < cv->n; i++) {
            const char *k = cv->keys[i]->s;
            const pc_ynode *v = cv->vals[i];
            const char *path = pc_sprintf(f->a, "%s.%s", base, k);
            if (!strcmp(k, "bootstrap") || !strcmp(k, "topic"))
                pc_setting_v(f, path, v, k, VK_STR, NULL);
            else if (!strcmp(k, "properties"))
                pc_properties(f, path, v);
            else if (!strcmp(k, "flush_timeout"))
                pc_setting_v(f, path, v, k, VK_DUR, NULL);
            else if (!strcmp(k, "key"))
                sk->key = pc_expr_parse(&f->ec, v);
        }
    } else if (!strcmp(ck->s, "file")) {
        static const char *const fk[] = { "path", "stdout" };
        sk->conn = PC_CONN_FILE;
        if (pc_expect(f, cv, PC_Y_MAP, "file"))
            return;
        pc_keys(f, cv, fk, 2, cctx);
        const pc_ynode *pa = pc_yget(cv, "path"), *so = pc_yget(cv, "stdout");
        int out = 0;
        if (so && pc_cbool(f, so, "stdout", &out) == 0 && out)
            sk->conn = PC_CONN_STDOUT;
        if (pa && out)
            pc_error(f->d, pc_ygetkey(cv, "stdout")->loc, "use 'path' or 'stdout: true', not both");
        if (!pa && !out)
            pc_missing_in(f, cv, ck->loc, "path", cctx);
        if (pa)
            pc_setting_v(f, pc_sprintf(f->a, "%s.path", base), pa, "path", VK_STR, NULL);
    } else {
        int out = 0;
        sk->conn = PC_CONN_STDOUT;
        if (cv->kind == PC_Y_MAP && cv->n == 0)
            out = 1;
        else if (pc_cbool(f, cv, "stdout", &out) == 0 && !out)
            pc_error(f->d, cv->loc, "'stdout: false' writes nothing: use 'stdout: true' or another connector");
    }
}

/* ------------------------------------------------------------------ the pipeline */

int pc_parse(pc_front *f)
{
    pc_pipeline *p = f->p;
    const pc_ynode *root = f->doc.root;
    static const char *const top[] = { "pipeline", "schemas", "sources", "stages", "sinks", "errors",
                                       "checkpoint", "state", "parallelism", "savepoint", "admin",
                                       "tests" /* pipec test's cases (pc_test_load.c) */ };
    pc_loc top_loc = root->loc;
    top_loc.end_line = top_loc.line;
    top_loc.end_col = top_loc.col + 1;
    if (root->kind != PC_Y_MAP) {
        pc_error(f->d, root->loc, "expected a mapping at the top level, with pipeline, sources and sinks");
        return -1;
    }
    if (root->n)
        top_loc = root->keys[0]->loc;
    pc_keys(f, root, top, NKEYS(top), "the pipeline");
    p->parallelism = 1;
    p->max_parallelism = 128;

    const pc_ynode *n = pc_yget(root, "pipeline");
    if (!n)
        pc_missing_in(f, root, top_loc, "pipeline", "the pipeline");
    else if (pc_compiled(f, n, "pipeline", "the pipeline name")) {
        const char *s = n->s;
        int ok = *s >= 'a' && *s <= 'z';
        for (const char *q = s; *q && ok; q++)
            ok = (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_';
        if (!ok || n->len != strlen(s))
            pc_error(f->d, n->loc, "invalid pipeline name '%s': use [a-z][a-z0-9_]* (it names the binary)", s);
        else
            p->name = s;
    }

    if ((n = pc_yget(root, "schemas")) && !pc_expect(f, n, PC_Y_MAP, "schemas")) {
        p->schemas = pc_alloc(f->a, sizeof *p->schemas * (size_t)(n->n + 1));
        for (int i = 0; i < n->n; i++) {
            pc_schema *s = &p->schemas[p->nschemas++];
            s->name = n->keys[i]->s;
            s->loc = n->keys[i]->loc;
            pc_check_name(f, n->keys[i], "schema name");
            pc_parse_row(f, n->vals[i], pc_sprintf(f->a, "schema '%s'", s->name), &s->row);
        }
    }

    if (!(n = pc_yget(root, "sources")))
        pc_missing_in(f, root, top_loc, "sources", "the pipeline");
    else if (!pc_expect(f, n, PC_Y_MAP, "sources")) {
        if (n->n == 0)
            pc_error(f->d, pc_ygetkey(root, "sources")->loc, "'sources' is empty: declare at least one source");
        p->sources = pc_alloc(f->a, sizeof *p->sources * (size_t)(n->n + 1));
        p->nsources = n->n;
        for (int i = 0; i < n->n; i++)
            pc_parse_source(f, &p->sources[i], n->keys[i], n->vals[i]);
    }

    if ((n = pc_yget(root, "stages")) && !(n->kind == PC_Y_SCALAR && n->len == 0) &&
        !pc_expect(f, n, PC_Y_SEQ, "stages")) {
        p->nstages = n->n;
        p->stages = pc_alloc(f->a, sizeof *p->stages * (size_t)(n->n + 1));
        f->stage_time_given = pc_alloc(f->a, sizeof(int) * (size_t)(n->n + 1));
        f->stage_time_loc = pc_alloc(f->a, sizeof(pc_loc) * (size_t)(n->n + 1));
        f->stage_late_loc = pc_alloc(f->a, sizeof(pc_loc) * (size_t)(n->n + 1));
        f->stage_id_loc = pc_alloc(f->a, sizeof(pc_loc) * (size_t)(n->n + 1));
        f->stage_bad = pc_alloc(f->a, sizeof(int) * (size_t)(n->n + 1));
        for (int i = 0; i < n->n; i++)
            pc_parse_stage(f, i, n->items[i]);
    }

    const pc_ynode *sinks = pc_yget(root, "sinks"), *errs = pc_yget(root, "errors");
    int nsinks = 0;
    if (!sinks)
        pc_missing_in(f, root, top_loc, "sinks", "the pipeline");
    else if (!pc_expect(f, sinks, PC_Y_MAP, "sinks")) {
        nsinks = sinks->n;
        if (sinks->n == 0)
            pc_error(f->d, pc_ygetkey(root, "sinks")->loc, "'sinks' is empty: declare at least one sink");
    }
    p->sinks = pc_alloc(f->a, sizeof *p->sinks * (size_t)(nsinks + 2));
    for (int i = 0; i < nsinks; i++)
        pc_parse_sink(f, &p->sinks[p->nsinks++], sinks->keys[i], sinks->vals[i], 0);
    if (errs)
        pc_parse_sink(f, &p->sinks[p->nsinks++], pc_ygetkey(root, "errors"), errs, 1);

    if ((n = pc_yget(root, "checkpoint")) && !pc_expect(f, n, PC_Y_MAP, "checkpoint")) {
        static const char *const ck[] = { "interval", "mode", "dir", "retain" };
        static const char *const modes[] = { "exactly_once", "at_least_once", NULL };
        pc_keys(f, n, ck, 4, "checkpoint");
        for (int i = 0; i < n->n; i++) {
            const char *k = n->keys[i]->s, *path = pc_sprintf(f->a, "checkpoint.%s", k);
            const pc_ynode *v = n->vals[i];
            if (!strcmp(k, "interval"))
                pc_setting_v(f, path, v, k, VK_DUR, NULL);
            else if (!strcmp(k, "mode"))
                pc_setting_v(f, path, v, k, VK_ENUM, modes);
            else if (!strcmp(k, "dir"))
                pc_setting_v(f, path, v, k, VK_STR, NULL);
            else if (!strcmp(k, "retain"))
                pc_setting_v(f, path, v, k, VK_INT, NULL);
        }
        pc_check_socket_mode(f, root, n);
    }
    if ((n = pc_yget(root, "state")) && !pc_expect(f, n, PC_Y_MAP, "state")) {
        static const char *const sk[] = { "backend", "max_parallelism", "memory_budget" };
        static const char *const backends[] = { "rocksdb", "memory", NULL };
        pc_keys(f, n, sk, 3, "state");
        for (int i = 0; i < n->n; i++) {
            const char *k = n->keys[i]->s, *path = pc_sprintf(f->a, "state.%s", k);
            const pc_ynode *v = n->vals[i];
            if (!strcmp(k, "backend"))
                pc_setting_v(f, path, v, k, VK_ENUM, backends);
            else if (!strcmp(k, "memory_budget")) /* a size, read by the runtime (prt_winstore.c) */
                pc_setting_v(f, path, v, k, VK_STR, NULL);
            else if (!strcmp(k, "max_parallelism")) {
                if (pc_setting_v(f, path, v, k, VK_INT, NULL) == 0) {
                    const char *lit;
                    int64_t mp;
                    if (pc_vars(f, v, &lit) == 0 && lit && pc_parse_int(lit, &mp) == 0) {
                        if (mp < 1 || mp > 32768)
                            pc_error(f->d, v->loc, "max_parallelism must be between 1 and 32768");
                        else
                            p->max_parallelism = (int)mp;
                    }
                }
            }
        }
    }
    if ((n = pc_yget(root, "savepoint"))) /* restore from it at start unless --from-savepoint (seed 000) */
        pc_setting_v(f, "savepoint", n, "savepoint", VK_STR, NULL);
    if ((n = pc_yget(root, "admin")) && !pc_expect(f, n, PC_Y_MAP, "admin")) {
        static const char *const ak[] = { "listen" };
        pc_keys(f, n, ak, 1, "admin");
        const pc_ynode *v = pc_yget(n, "listen");
        if (v)
            pc_setting_v(f, "admin.listen", v, "listen", VK_STR, NULL);
    }
    if ((n = pc_yget(root, "parallelism"))) {
        int64_t v;
        if (pc_cint(f, n, "parallelism", 1, &v) == 0) {
            if (v > 4096)
                pc_error(f->d, n->loc, "parallelism %lld is too large (at most 4096)", (long long)v);
            else
                p->parallelism = (int)v;
        }
        pc_setting_v(f, "parallelism", n, "parallelism", VK_INT, NULL); /* the default of a run */
    }
    if (p->parallelism > p->max_parallelism && (n = pc_yget(root, "parallelism")))
        pc_error(f->d, n->loc, "parallelism (%d) cannot exceed state.max_parallelism (%d)", p->parallelism,
                 p->max_parallelism);
    return f->d->errors ? -1 : 0;
}
