/* pc_tmpl.c — template loading and slot filling (see pc_tmpl.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_tmpl.h"

#define MAX_TMPLS 32
#define MAX_SLOTS 48

static const char *const tmpl_names[] = {
    "header", "row", "state", "fanout", "source", "source_fields", "source_paths", "source_kv", "source_csv",
    "source_csv_header", "source_json", "source_raw", "filter", "set", "select", "select_view", "key_by", "key",
    "join", "window", "acc_merge", "union", "sink", "sink_key", "sink_csv_header", "main", "test",
    "fn_header", "fn_record", "fn_api", "fn_scalar", "fn_recstate", "fn_entry", "fn_set", "fn_map", "fn_send",
    "function", "functions", "fn_send_after", "fn_timer", "fn_timers_run", "fn_egress", "fn_delayed_case",
    "test_table", "test_entry", "agg_extreme", "agg_extreme_merge", "agg_first", "agg_last", "agg_arrival_merge",
    "fn_delayed", "eval_init", "eval_check", "fn_map_put_row",
};
#define NTMPL ((int)(sizeof tmpl_names / sizeof tmpl_names[0]))

struct pc_tmpls {
    const char *text[NTMPL];
};

static char *read_file(pc_arena *a, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    pc_sb b = { 0 };
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        pc_sb_putn(&b, buf, n);
    int bad = ferror(f);
    fclose(f);
    char *s = bad ? NULL : (char *)pc_sb_arena(&b, a);
    pc_sb_free(&b);
    return s;
}

pc_tmpls *pc_tmpls_load(pc_arena *a, pc_diags *d, const char *dir)
{
    pc_tmpls *t = pc_alloc(a, sizeof *t);
    for (int i = 0; i < NTMPL; i++) {
        const char *path = pc_sprintf(a, "%s/%s.c.tmpl", dir, tmpl_names[i]);
        t->text[i] = read_file(a, path);
        if (!t->text[i]) {
            pc_error_file(d, "cannot read template %s (re-run ./configure: pipec.ninja names the templates)", path);
            return NULL;
        }
    }
    return t;
}

typedef struct slot {
    const char *name, *value;
    int used;
} slot;

static slot *find_slot(slot *s, int n, const char *name, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(s[i].name) == len && memcmp(s[i].name, name, len) == 0)
            return &s[i];
    return NULL;
}

static void bug(const char *tmpl, const char *what, const char *name, size_t len)
{
    fprintf(stderr, "pipec: internal error: template %s: %s '%.*s'\n", tmpl, what, (int)len, name);
    abort();
}

/* Appends value with every line after a newline indented by indent (empty lines stay empty). */
static void put_block(pc_sb *out, const char *value, const char *indent, size_t ilen)
{
    const char *p = value;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len) {
            pc_sb_putn(out, indent, ilen);
            pc_sb_putn(out, p, len);
        }
        pc_sb_puts(out, "\n");
        if (!nl)
            break;
        p = nl + 1;
    }
}

void pc_tmpl(pc_tmpls *t, pc_sb *out, const char *name, ...)
{
    int which = -1;
    for (int i = 0; i < NTMPL; i++)
        if (!strcmp(tmpl_names[i], name))
            which = i;
    if (which < 0)
        bug(name, "no such template", name, strlen(name));

    slot slots[MAX_SLOTS];
    int ns = 0;
    va_list ap;
    va_start(ap, name);
    for (const char *k; (k = va_arg(ap, const char *)) != NULL;) {
        if (ns == MAX_SLOTS)
            bug(name, "too many slots at", k, strlen(k));
        slots[ns].name = k;
        slots[ns].value = va_arg(ap, const char *);
        if (!slots[ns].value)
            slots[ns].value = "";
        slots[ns].used = 0;
        ns++;
    }
    va_end(ap);

    const char *p = t->text[which];
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *next = nl ? nl + 1 : p + len;
        if (len >= 3 && memcmp(p, "//~", 3) == 0) {
            p = next;
            continue;
        }
        /* block slot: indentation, {{name}}, nothing else */
        size_t ind = 0;
        while (ind < len && (p[ind] == ' ' || p[ind] == '\t'))
            ind++;
        if (len - ind > 4 && memcmp(p + ind, "{{", 2) == 0 && memcmp(p + len - 2, "}}", 2) == 0 &&
            !memchr(p + ind + 2, '}', len - ind - 4)) {
            slot *s = find_slot(slots, ns, p + ind + 2, len - ind - 4);
            if (!s)
                bug(name, "unfilled slot", p + ind + 2, len - ind - 4);
            s->used = 1;
            put_block(out, s->value, p, ind);
            p = next;
            /* an empty block between two blank lines leaves one blank line, not two */
            if (!*s->value && out->n >= 2 && out->p[out->n - 1] == '\n' && out->p[out->n - 2] == '\n' &&
                *p == '\n')
                p++;
            continue;
        }
        /* inline slots */
        const char *q = p, *end = p + len;
        while (q < end) {
            const char *o = strstr(q, "{{");
            if (!o || o >= end) {
                pc_sb_putn(out, q, (size_t)(end - q));
                break;
            }
            const char *c = strstr(o, "}}");
            if (!c || c >= end)
                bug(name, "unterminated slot at", o, (size_t)(end - o));
            pc_sb_putn(out, q, (size_t)(o - q));
            slot *s = find_slot(slots, ns, o + 2, (size_t)(c - o - 2));
            if (!s)
                bug(name, "unfilled slot", o + 2, (size_t)(c - o - 2));
            s->used = 1;
            pc_sb_puts(out, s->value);
            q = c + 2;
        }
        pc_sb_puts(out, "\n");
        p = next;
    }
    for (int i = 0; i < ns; i++)
        if (!slots[i].used)
            bug(name, "slot given but not in the template:", slots[i].name, strlen(slots[i].name));
}
