/* pc_test_input.c — a test record turned into one input line in its source's format (kv, csv,
 * json with nested paths, raw), so that the case goes through the generated parser exactly as
 * file or Kafka input would. Values arrive checked and in plain text (pc_tval_plain). */
#include <string.h>

#include "pc_test_int.h"
#include "prt_format.h"

/* The builder's text, in the arena; the builder freed. */
static const char *sb_done(pc_sb *b, pc_arena *a)
{
    const char *s = pc_sb_arena(b, a);
    pc_sb_free(b);
    return s;
}

static int visible(const pc_row *r)
{
    int n = 0;
    while (n < r->nfields && !r->fields[n].hidden)
        n++;
    return n;
}

static const char *kv_line(pc_arena *a, const pc_source *s, const char **plain, const char **why)
{
    pc_sb b = { 0 };
    for (int i = 0; i < visible(&s->row); i++) {
        const char *v = plain[i];
        if (!v)
            continue;
        size_t n = strlen(v);
        if (strchr(v, ',') || (n && (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' || v[n - 1] == '\t'))) {
            *why = pc_sprintf(a, "field '%s': a kv line cannot carry this value (',' or blanks at its ends); "
                                 "write the input line itself with `line:`", s->row.fields[i].name);
            pc_sb_free(&b);
            return NULL;
        }
        pc_sb_printf(&b, "%s%s=%s", b.n ? "," : "", s->row.fields[i].name, v);
    }
    return sb_done(&b, a);
}

static void csv_value(pc_sb *b, const char *v, char delim)
{
    size_t n = strlen(v);
    int quote = n && (strchr(v, delim) || strchr(v, '"') || v[0] == ' ' || v[n - 1] == ' ');
    if (!quote) {
        pc_sb_puts(b, v);
        return;
    }
    pc_sb_puts(b, "\"");
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            pc_sb_puts(b, "\""); /* "" stands for one quote */
        pc_sb_putn(b, p, 1);
    }
    pc_sb_puts(b, "\"");
}

static const char *csv_line(pc_arena *a, const pc_source *s, const char **plain)
{
    pc_sb b = { 0 };
    char delim = s->format.csv_delim ? s->format.csv_delim : ',';
    for (int i = 0; i < visible(&s->row); i++) {
        if (i)
            pc_sb_putn(&b, &delim, 1);
        csv_value(&b, plain[i] ? plain[i] : "", delim);
    }
    return sb_done(&b, a);
}

/* Writes, as members of one object, the fields whose path starts with prefix (components joined
 * by '.'): a field with more components below becomes a nested object holding its siblings. */
static void json_members(pc_arena *a, pc_sb *b, const pc_source *s, const char **plain, const char **comp,
                         int *done, int nvis, const char *prefix)
{
    size_t pl = strlen(prefix);
    int first = 1;
    for (int i = 0; i < nvis; i++) {
        if (done[i] || !plain[i] || strncmp(comp[i], prefix, pl))
            continue;
        const char *rest = comp[i] + pl;
        const char *dot = strchr(rest, '.');
        if (!first)
            pc_sb_puts(b, ",");
        first = 0;
        prt_buf q = { 0 };
        prt_json_quote(&q, (prt_str){ rest, dot ? (size_t)(dot - rest) : strlen(rest) });
        pc_sb_putn(b, q.p, q.n);
        prt_buf_free(&q);
        pc_sb_puts(b, ":");
        if (!dot) {
            done[i] = 1;
            pc_sb_puts(b, pc_tval_json_of(a, s->row.fields[i].type, plain[i]));
        } else { /* a nested object: every field under this component, here */
            pc_sb_puts(b, "{");
            json_members(a, b, s, plain, comp, done, nvis,
                         pc_sprintf(a, "%s%.*s.", prefix, (int)(dot - rest), rest));
            pc_sb_puts(b, "}");
        }
    }
}

static const char *json_line(pc_arena *a, const pc_source *s, const char **plain)
{
    int nvis = visible(&s->row);
    const char **comp = pc_alloc(a, sizeof(char *) * (size_t)(nvis + 1));
    int *done = pc_alloc(a, sizeof(int) * (size_t)(nvis + 1));
    for (int i = 0; i < nvis; i++)
        comp[i] = s->row.fields[i].path ? s->row.fields[i].path : s->row.fields[i].name;
    pc_sb b = { 0 };
    pc_sb_puts(&b, "{");
    json_members(a, &b, s, plain, comp, done, nvis, "");
    pc_sb_puts(&b, "}");
    return sb_done(&b, a);
}

const char *pc_tin_line(pc_arena *a, const pc_source *s, const char **plain, const char **why)
{
    switch (s->format.kind) {
    case PC_FMT_KV: return kv_line(a, s, plain, why);
    case PC_FMT_CSV: return csv_line(a, s, plain);
    case PC_FMT_JSON: return json_line(a, s, plain);
    case PC_FMT_RAW: return plain[0] ? plain[0] : "";
    }
    return "";
}

const char *pc_tin_header(pc_arena *a, const pc_source *s)
{
    if (s->format.kind != PC_FMT_CSV || !s->format.csv_header)
        return NULL;
    int nvis = visible(&s->row);
    const char **names = pc_alloc(a, sizeof(char *) * (size_t)(nvis + 1));
    for (int i = 0; i < nvis; i++)
        names[i] = s->row.fields[i].name;
    return csv_line(a, s, names);
}
