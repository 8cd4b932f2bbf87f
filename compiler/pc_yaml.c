/* pc_yaml.c — libyaml's event stream folded into a pc_ynode tree, iteratively (no recursion, a
 * depth limit), keeping start/end marks. Duplicate mapping keys and aliases of collections are
 * reported here; aliases of scalars are shared. */
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "pc_yaml.h"

enum { PC_YAML_MAX_DEPTH = 200 };

typedef struct pc_ybuild {
    pc_ynode *node;
    pc_ynode **kids; /* SEQ items, or MAP keys and values interleaved */
    int n, cap;
} pc_ybuild;

typedef struct pc_anchor {
    const char *name;
    pc_ynode *node;
    struct pc_anchor *next;
} pc_anchor;

void pc_yaml_pos(const pc_ydoc *doc, size_t off, int *line, int *col)
{
    if (off > doc->len)
        off = doc->len;
    int lo = 0, hi = doc->nlines - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (doc->lines[mid] <= off)
            lo = mid;
        else
            hi = mid - 1;
    }
    int c = 1;
    for (size_t i = doc->lines[lo]; i < off; i++)
        if (((unsigned char)doc->text[i] & 0xC0) != 0x80)
            c++;
    *line = lo + 1;
    *col = c;
}

/* byte offset of a libyaml mark (0-based line, column in characters) */
static size_t pc_yaml_mark_off(const pc_ydoc *doc, yaml_mark_t m)
{
    if (doc->nlines == 0)
        return 0;
    size_t line = m.line < (size_t)doc->nlines ? m.line : (size_t)doc->nlines - 1;
    size_t p = doc->lines[line];
    size_t lim = line + 1 < (size_t)doc->nlines ? doc->lines[line + 1] : doc->len;
    for (size_t c = 0; c < m.column && p < lim; c++) {
        p++;
        while (p < lim && ((unsigned char)doc->text[p] & 0xC0) == 0x80)
            p++;
    }
    return p;
}

static pc_loc pc_yaml_loc(yaml_mark_t s, yaml_mark_t e)
{
    pc_loc l = { (int)s.line + 1, (int)s.column + 1, (int)e.line + 1, (int)e.column + 1 };
    return l;
}

static void pc_yaml_push(pc_arena *a, pc_ybuild *b, pc_ynode *kid)
{
    if (b->n == b->cap) {
        int cap = b->cap ? b->cap * 2 : 8;
        pc_ynode **k = pc_alloc(a, sizeof *k * (size_t)cap);
        if (b->n)
            memcpy(k, b->kids, sizeof *k * (size_t)b->n);
        b->kids = k;
        b->cap = cap;
    }
    b->kids[b->n++] = kid;
}

static uint64_t pc_yaml_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* Finishes a mapping: splits keys and values, reports non-scalar and duplicate keys. */
static int pc_yaml_finish_map(pc_arena *a, pc_diags *d, pc_ybuild *b)
{
    pc_ynode *m = b->node;
    int npairs = b->n / 2, ok = 0;
    m->keys = pc_alloc(a, sizeof *m->keys * (size_t)(npairs + 1));
    m->vals = pc_alloc(a, sizeof *m->vals * (size_t)(npairs + 1));
    size_t cap = 16;
    while (cap < (size_t)npairs * 2)
        cap *= 2;
    int *seen = pc_alloc(a, sizeof *seen * cap); /* 1 + index of the pair, 0 = empty */
    for (int i = 0; i < npairs; i++) {
        pc_ynode *k = b->kids[2 * i], *v = b->kids[2 * i + 1];
        if (k->kind != PC_Y_SCALAR) {
            pc_error(d, k->loc, "mapping keys must be plain scalars");
            ok = -1;
            continue;
        }
        size_t h = (size_t)pc_yaml_hash(k->s, k->len) & (cap - 1);
        int dup = 0;
        while (seen[h]) {
            pc_ynode *o = m->keys[seen[h] - 1];
            if (o->len == k->len && memcmp(o->s, k->s, k->len) == 0) {
                pc_error(d, k->loc, "duplicate key '%s'", k->s);
                pc_note(d, o->loc, "first defined here");
                ok = -1;
                dup = 1;
                break;
            }
            h = (h + 1) & (cap - 1);
        }
        if (dup)
            continue;
        m->keys[m->n] = k;
        m->vals[m->n] = v;
        m->n++;
        seen[h] = m->n;
    }
    return ok;
}

int pc_yaml_parse(pc_arena *a, pc_diags *d, const char *text, size_t len, pc_ydoc *doc)
{
    memset(doc, 0, sizeof *doc);
    doc->text = text;
    doc->len = len;
    int nl = 1;
    for (size_t i = 0; i < len; i++)
        nl += text[i] == '\n';
    doc->lines = pc_alloc(a, sizeof *doc->lines * (size_t)nl);
    doc->nlines = 0;
    doc->lines[doc->nlines++] = 0;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n')
            doc->lines[doc->nlines++] = i + 1;

    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        pc_error_file(d, "cannot initialize the YAML parser");
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

    pc_ybuild stack[PC_YAML_MAX_DEPTH + 1];
    int depth = 0, rc = 0, done = 0, docs = 0;
    pc_anchor *anchors = NULL;
    pc_ynode *root = NULL;

    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            pc_loc l = pc_yaml_loc(parser.problem_mark, parser.problem_mark);
            l.end_col = l.col + 1;
            const char *prob = parser.problem ? parser.problem : "invalid YAML";
            if (parser.problem_mark.line == 0 && parser.problem_mark.column == 0 && parser.problem_offset)
                pc_yaml_pos(doc, parser.problem_offset, &l.line, &l.col), l.end_line = l.line, l.end_col = l.col + 1;
            pc_error(d, l, "%s", prob);
            if (parser.context) {
                pc_loc c = pc_yaml_loc(parser.context_mark, parser.context_mark);
                c.end_col = c.col + 1;
                pc_note(d, c, "%s", parser.context);
            }
            rc = -1;
            break;
        }
        pc_ynode *node = NULL;
        const char *anchor = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs == 2) {
                pc_loc l = pc_yaml_loc(ev.start_mark, ev.end_mark);
                pc_error(d, l, "expected a single YAML document");
                rc = -1;
                done = 1;
            }
            break;
        case YAML_SCALAR_EVENT:
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            node = pc_alloc(a, sizeof *node);
            node->loc = pc_yaml_loc(ev.start_mark, ev.end_mark);
            node->off = pc_yaml_mark_off(doc, ev.start_mark);
            if (ev.type == YAML_SCALAR_EVENT) {
                node->kind = PC_Y_SCALAR;
                node->s = pc_strndup(a, (const char *)ev.data.scalar.value, ev.data.scalar.length);
                node->len = ev.data.scalar.length;
                switch (ev.data.scalar.style) {
                case YAML_SINGLE_QUOTED_SCALAR_STYLE: node->style = PC_YS_SINGLE; break;
                case YAML_DOUBLE_QUOTED_SCALAR_STYLE: node->style = PC_YS_DOUBLE; break;
                case YAML_LITERAL_SCALAR_STYLE: node->style = PC_YS_LITERAL; break;
                case YAML_FOLDED_SCALAR_STYLE: node->style = PC_YS_FOLDED; break;
                default: node->style = PC_YS_PLAIN; break;
                }
                anchor = (const char *)ev.data.scalar.anchor;
            } else if (ev.type == YAML_MAPPING_START_EVENT) {
                node->kind = PC_Y_MAP;
                node->flow = ev.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
                anchor = (const char *)ev.data.mapping_start.anchor;
            } else {
                node->kind = PC_Y_SEQ;
                node->flow = ev.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE;
                anchor = (const char *)ev.data.sequence_start.anchor;
            }
            if (anchor) {
                pc_anchor *an = pc_alloc(a, sizeof *an);
                an->name = pc_strdup(a, anchor);
                an->node = node;
                an->next = anchors;
                anchors = an;
            }
            break;
        case YAML_ALIAS_EVENT: {
            const char *name = (const char *)ev.data.alias.anchor;
            pc_loc l = pc_yaml_loc(ev.start_mark, ev.end_mark);
            pc_anchor *an = anchors;
            while (an && strcmp(an->name, name) != 0)
                an = an->next;
            if (!an) {
                pc_error(d, l, "unknown alias '*%s'", name);
                rc = -1;
            } else if (an->node->kind != PC_Y_SCALAR) {
                pc_error(d, l, "aliases of mappings and lists are not supported");
                rc = -1;
            }
            if (rc == 0)
                node = an->node;
            else {
                node = pc_alloc(a, sizeof *node);
                node->kind = PC_Y_SCALAR;
                node->s = "";
                node->loc = l;
                node->off = pc_yaml_mark_off(doc, ev.start_mark);
            }
            break;
        }
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            if (depth > 0) {
                pc_ybuild *b = &stack[depth - 1];
                b->node->loc.end_line = (int)ev.end_mark.line + 1;
                b->node->loc.end_col = (int)ev.end_mark.column + 1;
                if (b->node->kind == PC_Y_MAP) {
                    if (pc_yaml_finish_map(a, d, b) != 0)
                        rc = -1;
                } else {
                    b->node->items = b->kids;
                    b->node->n = b->n;
                }
                node = b->node;
                depth--;
                /* attach the finished collection to its parent below */
                if (depth > 0)
                    pc_yaml_push(a, &stack[depth - 1], node);
                else if (!root)
                    root = node;
                node = NULL;
            }
            break;
        default:
            break;
        }
        if (node) {
            int is_coll = ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT;
            if (is_coll) {
                if (depth == PC_YAML_MAX_DEPTH) {
                    pc_error(d, node->loc, "nesting too deep (more than %d levels)", PC_YAML_MAX_DEPTH);
                    rc = -1;
                    done = 1;
                } else {
                    memset(&stack[depth], 0, sizeof stack[depth]);
                    stack[depth].node = node;
                    depth++;
                }
            } else if (depth > 0) {
                pc_yaml_push(a, &stack[depth - 1], node);
            } else if (!root) {
                root = node;
            }
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    doc->root = rc == 0 ? root : NULL;
    return rc;
}

pc_loc pc_yaml_span(const pc_ydoc *doc, const pc_ynode *n, size_t off, size_t len)
{
    pc_loc l = n->loc;
    if (n->kind != PC_Y_SCALAR || !doc->text)
        return l;
    if (off > n->len)
        off = n->len;
    if (off + len > n->len)
        len = n->len - off;
    const char *t = doc->text;
    size_t tl = doc->len, p = n->off;
    if (n->style == PC_YS_SINGLE || n->style == PC_YS_DOUBLE)
        p++;
    else if (n->style == PC_YS_LITERAL || n->style == PC_YS_FOLDED) {
        while (p < tl && t[p] != '\n')
            p++;
        while (p < tl && (t[p] == '\n' || t[p] == ' ' || t[p] == '\r'))
            p++;
    }
    size_t start = p;
    for (size_t i = 0; i < off + len && p < tl; i++) {
        if (i == off)
            start = p;
        unsigned char c = (unsigned char)n->s[i];
        if (n->style == PC_YS_DOUBLE && t[p] == '\\' && p + 1 < tl) {
            size_t el = 2;
            switch (t[p + 1]) {
            case 'x': el = 4; break;
            case 'u': el = 6; break;
            case 'U': el = 10; break;
            default: break;
            }
            p += el;
            while (i + 1 < off + len && ((unsigned char)n->s[i + 1] & 0xC0) == 0x80)
                i++;
        } else if (n->style == PC_YS_SINGLE && t[p] == '\'' && p + 1 < tl && t[p + 1] == '\'') {
            p += 2;
        } else if ((unsigned char)t[p] == c) {
            p++;
        } else if ((c == ' ' || c == '\n') && (t[p] == '\n' || t[p] == '\r' || t[p] == ' ' || t[p] == '\t')) {
            while (p < tl && (t[p] == '\n' || t[p] == '\r' || t[p] == ' ' || t[p] == '\t'))
                p++;
        } else {
            p++;
        }
    }
    if (len == 0)
        start = p;
    pc_yaml_pos(doc, start, &l.line, &l.col);
    pc_yaml_pos(doc, p, &l.end_line, &l.end_col);
    if (l.end_line == l.line && l.end_col <= l.col)
        l.end_col = l.col + 1;
    return l;
}

pc_ynode *pc_yget(const pc_ynode *m, const char *key)
{
    if (!m || m->kind != PC_Y_MAP)
        return NULL;
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->keys[i]->s, key))
            return m->vals[i];
    return NULL;
}

pc_ynode *pc_ygetkey(const pc_ynode *m, const char *key)
{
    if (!m || m->kind != PC_Y_MAP)
        return NULL;
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->keys[i]->s, key))
            return m->keys[i];
    return NULL;
}

const char *pc_ykind_name(pc_ykind k)
{
    return k == PC_Y_MAP ? "a mapping" : k == PC_Y_SEQ ? "a list" : "a scalar";
}
