/* pc_expr.c — the expression language: a lexer over a YAML scalar's value, a Pratt parser to
 * pc_expr trees and a type checker (int widens to float; timestamp +/- int; no other implicit
 * conversion). Every error points at the token or subexpression in the YAML file. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pc_expr.h"
#include "prt_text.h"

enum { PC_EXPR_MAX_DEPTH = 100 };

typedef enum pc_tok_kind {
    T_END, T_INT, T_FLOAT, T_STRING, T_IDENT, T_OP, T_LPAREN, T_RPAREN, T_COMMA, T_DOT, T_BAD
} pc_tok_kind;

typedef struct pc_tok {
    pc_tok_kind kind;
    int op;          /* T_OP: pc_op */
    size_t off, len; /* in the scalar's value */
    int64_t i;
    double f;
    const char *s;   /* T_STRING (unescaped), T_IDENT */
    size_t slen;
} pc_tok;

typedef struct pc_eparse {
    pc_ectx *c;
    const pc_ynode *n;
    const char *src;
    size_t len, pos;
    pc_tok tok;
    int failed, depth;
} pc_eparse;

const char *const pc_expr_agg_names[] = {
    "count", "sum", "min", "max", "avg", "first", "last", "count_distinct", NULL
};
const char *const pc_expr_func_names[] = {
    "if", "int", "float", "string", "lower", "upper", "len", "concat", "substr", "starts_with",
    "contains", NULL
};

int pc_expr_agg_fn(const char *name, pc_agg_fn *fn)
{
    static const pc_agg_fn fns[] = { PC_A_COUNT, PC_A_SUM, PC_A_MIN, PC_A_MAX, PC_A_AVG,
                                     PC_A_FIRST, PC_A_LAST, PC_A_COUNT_DISTINCT };
    for (int i = 0; pc_expr_agg_names[i]; i++)
        if (!strcmp(name, pc_expr_agg_names[i])) {
            *fn = fns[i];
            return 0;
        }
    return -1;
}

/* Optimal string alignment distance, bounded inputs. */
static int pc_edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64)
        return 99;
    int dp[66][66];
    for (size_t i = 0; i <= n; i++)
        dp[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        dp[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = dp[i - 1][j] + 1;
            if (dp[i][j - 1] + 1 < v)
                v = dp[i][j - 1] + 1;
            if (dp[i - 1][j - 1] + cost < v)
                v = dp[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && dp[i - 2][j - 2] + 1 < v)
                v = dp[i - 2][j - 2] + 1;
            dp[i][j] = v;
        }
    return dp[n][m];
}

const char *pc_suggest(const char *name, const char *const *cands, int n)
{
    if (!name || !*name)
        return NULL;
    int len = (int)strlen(name);
    int limit = (len + 2) / 3;
    if (limit < 1)
        limit = 1;
    if (limit > 3)
        limit = 3;
    const char *best = NULL;
    int bestd = limit + 1;
    for (int i = 0; i < n; i++) {
        if (!cands[i] || !strcmp(cands[i], name))
            continue;
        int dist = pc_edit_distance(name, cands[i]);
        /* a case-only difference is always a near miss */
        if (strlen(cands[i]) == (size_t)len && !strcasecmp(cands[i], name))
            dist = 1;
        if (dist < bestd) {
            bestd = dist;
            best = cands[i];
        }
    }
    return best;
}

/* ------------------------------------------------------------------ lexer */

static pc_loc pc_eloc(pc_eparse *p, size_t off, size_t len)
{
    return pc_yaml_span(p->c->doc, p->n, off, len);
}

static void pc_eerr(pc_eparse *p, size_t off, size_t len, const char *msg, const char *arg)
{
    if (p->failed) /* one syntax error per expression: the rest would be noise */
        return;
    pc_loc at = pc_eloc(p, off, len ? len : 1);
    pc_error(p->c->d, at, msg, arg);
    p->failed = 1;
    /* `{ x: f(a, b) }`: YAML ended the plain scalar at the comma */
    const pc_ynode *n = p->n;
    size_t end = n->off + n->len;
    if (off >= p->len && n->style == PC_YS_PLAIN && end < p->c->doc->len && p->c->doc->text[end] == ',')
        pc_note(p->c->d, at, "inside '{ }' or '[ ]' a comma ends the value: quote the expression");
}

static int pc_is_ident_start(int ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_'; }
static int pc_is_ident(int ch) { return pc_is_ident_start(ch) || (ch >= '0' && ch <= '9'); }

static void pc_lex(pc_eparse *p)
{
    const char *s = p->src;
    size_t i = p->pos, n = p->len;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    pc_tok *t = &p->tok;
    memset(t, 0, sizeof *t);
    t->off = i;
    if (i >= n) {
        t->kind = T_END;
        p->pos = i;
        return;
    }
    char ch = s[i];
    if (ch >= '0' && ch <= '9') {
        size_t j = i;
        while (j < n && s[j] >= '0' && s[j] <= '9')
            j++;
        int is_float = 0;
        if (j + 1 < n && s[j] == '.' && s[j + 1] >= '0' && s[j + 1] <= '9') {
            is_float = 1;
            j++;
            while (j < n && s[j] >= '0' && s[j] <= '9')
                j++;
        }
        if (j < n && (s[j] == 'e' || s[j] == 'E')) {
            size_t k = j + 1;
            if (k < n && (s[k] == '+' || s[k] == '-'))
                k++;
            if (k < n && s[k] >= '0' && s[k] <= '9') {
                is_float = 1;
                j = k;
                while (j < n && s[j] >= '0' && s[j] <= '9')
                    j++;
            }
        }
        size_t num_end = j;
        size_t u = j;
        while (u < n && pc_is_ident(s[u]))
            u++;
        char buf[64];
        size_t nl = num_end - i < sizeof buf - 1 ? num_end - i : sizeof buf - 1;
        memcpy(buf, s + i, nl);
        buf[nl] = 0;
        t->len = u - i;
        p->pos = u;
        if (u > num_end) {
            /* a duration literal: 250ms 30s 5m 2h 1d, as int milliseconds (prt_text's grammar) */
            int64_t ms;
            prt_text_rc r = prt_text_duration(s + i, u - i, &ms);
            if (r == PRT_TEXT_BAD) {
                t->kind = T_BAD;
                pc_eerr(p, i, u - i, "invalid number '%s': " PRT_TEXT_DURATION_HELP, pc_strndup(p->c->a, s + i, u - i));
                return;
            }
            if (r != PRT_TEXT_OK) {
                t->kind = T_BAD;
                pc_eerr(p, i, u - i, "invalid duration %s", pc_sprintf(p->c->a, "'%.*s'%s", (int)(u - i), s + i,
                                                                         prt_text_duration_why(r)));
                return;
            }
            t->kind = T_INT;
            t->i = ms;
            return;
        }
        if (is_float) {
            t->kind = T_FLOAT;
            t->f = strtod(buf, NULL);
        } else {
            t->kind = T_INT;
            int64_t v; /* digits only here, so the one refusal left is the range */
            if (prt_text_int(s + i, num_end - i, &v) != PRT_TEXT_OK) {
                t->kind = T_BAD;
                pc_eerr(p, i, num_end - i, "integer literal '%s' is out of range",
                        pc_strndup(p->c->a, s + i, num_end - i));
                return;
            }
            t->i = v;
        }
        return;
    }
    if (pc_is_ident_start(ch)) {
        size_t j = i;
        while (j < n && pc_is_ident(s[j]))
            j++;
        t->kind = T_IDENT;
        t->s = pc_strndup(p->c->a, s + i, j - i);
        t->slen = j - i;
        t->len = j - i;
        p->pos = j;
        return;
    }
    if (ch == '"' || ch == '\'') {
        char *out = pc_alloc(p->c->a, n - i + 1);
        size_t o = 0, j = i + 1;
        for (;;) {
            if (j >= n) {
                t->kind = T_BAD;
                pc_eerr(p, i, j - i, "unterminated string literal%s", "");
                p->pos = j;
                return;
            }
            if (s[j] == ch) {
                j++;
                break;
            }
            if (s[j] == '\\') {
                char e = j + 1 < n ? s[j + 1] : 0;
                char v;
                switch (e) {
                case '"': v = '"'; break;
                case '\'': v = '\''; break;
                case '\\': v = '\\'; break;
                case 'n': v = '\n'; break;
                case 't': v = '\t'; break;
                default:
                    t->kind = T_BAD;
                    pc_eerr(p, j, e ? 2 : 1, "unknown escape '%s' in string literal (use \\\" \\\\ \\n or \\t)",
                            pc_strndup(p->c->a, s + j, e ? 2 : 1));
                    p->pos = n;
                    return;
                }
                out[o++] = v;
                j += 2;
                continue;
            }
            out[o++] = s[j++];
        }
        t->kind = T_STRING;
        t->s = out;
        t->slen = o;
        t->len = j - i;
        p->pos = j;
        return;
    }
    t->len = 1;
    t->kind = T_OP;
    char nx = i + 1 < n ? s[i + 1] : 0;
    switch (ch) {
    case '(': t->kind = T_LPAREN; break;
    case ')': t->kind = T_RPAREN; break;
    case ',': t->kind = T_COMMA; break;
    case '.': t->kind = T_DOT; break;
    case '+': case '-': case '*': case '/': case '%': t->op = ch; break;
    case '<': if (nx == '=') { t->op = PC_OP_LE; t->len = 2; } else t->op = PC_OP_LT; break;
    case '>': if (nx == '=') { t->op = PC_OP_GE; t->len = 2; } else t->op = PC_OP_GT; break;
    case '=':
        if (nx == '=') {
            t->op = PC_OP_EQ;
            t->len = 2;
        } else {
            t->kind = T_BAD;
            pc_eerr(p, i, 1, "unexpected '=': use '==' to compare%s", "");
        }
        break;
    case '!': if (nx == '=') { t->op = PC_OP_NE; t->len = 2; } else t->op = PC_OP_NOT; break;
    case '&':
        if (nx == '&') { t->op = PC_OP_AND; t->len = 2; }
        else { t->kind = T_BAD; pc_eerr(p, i, 1, "unexpected '&': use '&&'%s", ""); }
        break;
    case '|':
        if (nx == '|') { t->op = PC_OP_OR; t->len = 2; }
        else { t->kind = T_BAD; pc_eerr(p, i, 1, "unexpected '|': use '||'%s", ""); }
        break;
    default: {
        size_t cl = 1;
        while (i + cl < n && ((unsigned char)s[i + cl] & 0xC0) == 0x80)
            cl++;
        t->kind = T_BAD;
        t->len = cl;
        if (ch == '$' && nx == '{')
            pc_eerr(p, i, 2, "'${...}' cannot be used in an expression: expressions are compiled into the binary%s", "");
        else
            pc_eerr(p, i, cl, "unexpected character '%s' in expression", pc_strndup(p->c->a, s + i, cl));
        break;
    }
    }
    p->pos = i + t->len;
}

/* ------------------------------------------------------------------ parser */

static pc_expr *pc_enew(pc_eparse *p, pc_expr_kind k, size_t off, size_t end)
{
    pc_expr *e = pc_alloc(p->c->a, sizeof *e);
    e->kind = k;
    e->loc = pc_eloc(p, off, end - off);
    e->field = -1;
    return e;
}

/* span bookkeeping: each node remembers its byte range through these two arrays-free fields */
typedef struct pc_espan {
    pc_expr *e;
    size_t off, end;
} pc_espan;

static int pc_binprec(int op)
{
    switch (op) {
    case PC_OP_OR: return 1;
    case PC_OP_AND: return 2;
    case PC_OP_EQ: case PC_OP_NE: return 3;
    case PC_OP_LT: case PC_OP_LE: case PC_OP_GT: case PC_OP_GE: return 4;
    case PC_OP_ADD: case PC_OP_SUB: return 5;
    case PC_OP_MUL: case PC_OP_DIV: case PC_OP_MOD: return 6;
    default: return 0;
    }
}

static const char *pc_tok_text(pc_eparse *p)
{
    if (p->tok.kind == T_END)
        return "end of expression";
    return pc_sprintf(p->c->a, "'%s'", pc_strndup(p->c->a, p->src + p->tok.off, p->tok.len));
}

static pc_espan pc_parse_expr(pc_eparse *p, int minprec);

static pc_espan pc_parse_primary(pc_eparse *p)
{
    pc_espan r = { NULL, p->tok.off, p->tok.off };
    pc_tok t = p->tok;
    if (p->failed)
        return r;
    switch (t.kind) {
    case T_INT:
    case T_FLOAT:
    case T_STRING:
        r.e = pc_enew(p, t.kind == T_INT ? PC_E_INT : t.kind == T_FLOAT ? PC_E_FLOAT : PC_E_STRING,
                      t.off, t.off + t.len);
        r.e->i = t.i;
        r.e->f = t.f;
        r.e->s = t.s;
        r.e->slen = t.slen;
        r.end = t.off + t.len;
        pc_lex(p);
        return r;
    case T_IDENT: {
        pc_lex(p);
        if (!strcmp(t.s, "true") || !strcmp(t.s, "false")) {
            r.e = pc_enew(p, PC_E_BOOL, t.off, t.off + t.len);
            r.e->i = t.s[0] == 't';
            r.end = t.off + t.len;
            return r;
        }
        if (p->tok.kind == T_LPAREN) {
            pc_expr **args = NULL;
            int nargs = 0, cap = 0;
            pc_lex(p);
            if (p->tok.kind != T_RPAREN) {
                for (;;) {
                    pc_espan a = pc_parse_expr(p, 1);
                    if (!a.e)
                        return r;
                    if (nargs == cap) {
                        cap = cap ? cap * 2 : 4;
                        pc_expr **na = pc_alloc(p->c->a, sizeof *na * (size_t)cap);
                        if (nargs)
                            memcpy(na, args, sizeof *na * (size_t)nargs);
                        args = na;
                    }
                    args[nargs++] = a.e;
                    if (p->tok.kind == T_COMMA) {
                        pc_lex(p);
                        continue;
                    }
                    break;
                }
            }
            if (p->failed)
                return r;
            if (p->tok.kind != T_RPAREN) {
                pc_eerr(p, p->tok.off, p->tok.len, "expected ',' or ')' in the call, found %s", pc_tok_text(p));
                return r;
            }
            r.end = p->tok.off + 1;
            pc_lex(p);
            r.e = pc_enew(p, PC_E_CALL, t.off, r.end);
            r.e->s = t.s;
            r.e->args = args;
            r.e->nargs = nargs;
            return r;
        }
        r.e = pc_enew(p, PC_E_FIELD, t.off, t.off + t.len);
        r.e->s = t.s;
        r.e->side = -1;
        r.end = t.off + t.len;
        if (p->tok.kind == T_DOT) {
            pc_lex(p);
            if (p->tok.kind != T_IDENT) {
                pc_eerr(p, p->tok.off, p->tok.len, "expected a field name after '.', found %s", pc_tok_text(p));
                return r;
            }
            r.end = p->tok.off + p->tok.len;
            r.e->loc = pc_eloc(p, t.off, r.end - t.off);
            if (!strcmp(t.s, "left"))
                r.e->side = 0;
            else if (!strcmp(t.s, "right"))
                r.e->side = 1;
            else
                r.e->side = 2; /* reported by the checker */
            r.e->s = p->tok.s;
            pc_lex(p);
        }
        return r;
    }
    case T_LPAREN: {
        pc_lex(p);
        pc_espan in = pc_parse_expr(p, 1);
        if (!in.e)
            return r;
        if (p->tok.kind != T_RPAREN) {
            pc_eerr(p, p->tok.off, p->tok.len, "expected ')', found %s", pc_tok_text(p));
            return r;
        }
        r.end = p->tok.off + 1;
        pc_lex(p);
        in.e->loc = pc_eloc(p, t.off, r.end - t.off);
        r.e = in.e;
        return r;
    }
    case T_OP:
        if (t.op == PC_OP_SUB || t.op == PC_OP_NOT) {
            pc_lex(p);
            if (++p->depth > PC_EXPR_MAX_DEPTH) {
                pc_eerr(p, t.off, 1, "expression nested too deeply%s", "");
                return r;
            }
            pc_espan in = pc_parse_expr(p, 7);
            p->depth--;
            if (!in.e)
                return r;
            r.e = pc_enew(p, PC_E_UNARY, t.off, in.end);
            r.e->op = t.op;
            r.e->args = pc_alloc(p->c->a, sizeof *r.e->args);
            r.e->args[0] = in.e;
            r.e->nargs = 1;
            r.end = in.end;
            return r;
        }
        /* fall through */
    default:
        if (t.kind != T_BAD)
            pc_eerr(p, t.off, t.len, "expected an expression, found %s", pc_tok_text(p));
        p->failed = 1;
        return r;
    }
}

static pc_espan pc_parse_expr(pc_eparse *p, int minprec)
{
    pc_espan l = { NULL, 0, 0 };
    if (++p->depth > PC_EXPR_MAX_DEPTH) {
        pc_eerr(p, p->tok.off, p->tok.len, "expression nested too deeply%s", "");
        p->depth--;
        return l;
    }
    l = pc_parse_primary(p);
    int last_prec = 0;
    while (l.e && !p->failed && p->tok.kind == T_OP) {
        int op = p->tok.op, prec = pc_binprec(op);
        if (prec == 0 || prec < minprec)
            break;
        if ((prec == 3 || prec == 4) && last_prec == prec) {
            pc_eerr(p, p->tok.off, p->tok.len, "comparison operators cannot be chained: add parentheses%s", "");
            l.e = NULL;
            break;
        }
        pc_lex(p);
        pc_espan r = pc_parse_expr(p, prec + 1);
        if (!r.e) {
            l.e = NULL;
            break;
        }
        pc_expr *b = pc_enew(p, PC_E_BINARY, l.off, r.end);
        b->op = op;
        b->args = pc_alloc(p->c->a, sizeof *b->args * 2);
        b->args[0] = l.e;
        b->args[1] = r.e;
        b->nargs = 2;
        l.e = b;
        l.end = r.end;
        last_prec = prec;
    }
    p->depth--;
    if (p->failed)
        l.e = NULL;
    return l;
}

pc_expr *pc_expr_parse(pc_ectx *c, const pc_ynode *n)
{
    pc_eparse p = { .c = c, .n = n, .src = n->s, .len = n->len };
    if (n->kind != PC_Y_SCALAR) {
        pc_error(c->d, n->loc, "expected an expression (a scalar)");
        return NULL;
    }
    pc_lex(&p);
    if (p.tok.kind == T_END && !p.failed) {
        pc_error(c->d, n->loc, "expected an expression, found nothing");
        return NULL;
    }
    pc_espan r = pc_parse_expr(&p, 1);
    if (!r.e || p.failed)
        return NULL;
    if (p.tok.kind != T_END) {
        pc_eerr(&p, p.tok.off, p.tok.len, "unexpected %s after the expression", pc_tok_text(&p));
        return NULL;
    }
    return r.e;
}

/* ------------------------------------------------------------------ type checker */

static int pc_numeric(pc_type t) { return t == PC_T_INT || t == PC_T_FLOAT; }

static const char *pc_opname(int op)
{
    switch (op) {
    case PC_OP_EQ: return "==";
    case PC_OP_NE: return "!=";
    case PC_OP_LE: return "<=";
    case PC_OP_GE: return ">=";
    case PC_OP_AND: return "&&";
    case PC_OP_OR: return "||";
    case PC_OP_LT: return "<";
    case PC_OP_GT: return ">";
    case PC_OP_ADD: return "+";
    case PC_OP_SUB: return "-";
    case PC_OP_MUL: return "*";
    case PC_OP_DIV: return "/";
    case PC_OP_MOD: return "%";
    case PC_OP_NOT: return "!";
    default: return "?";
    }
}

static int pc_row_find(const pc_row *r, const char *name)
{
    for (int i = 0; i < r->nfields; i++)
        if (!strcmp(r->fields[i].name, name))
            return i;
    return -1;
}

static void pc_field_suggest(pc_ectx *c, pc_loc at, const pc_row *r, const char *name, const char *prefix)
{
    const char **names = pc_alloc(c->a, sizeof *names * (size_t)(r->nfields + 1));
    for (int i = 0; i < r->nfields; i++)
        names[i] = r->fields[i].name;
    const char *s = pc_suggest(name, names, r->nfields);
    if (s)
        pc_note(c->d, at, "did you mean '%s%s'?", prefix, s);
}

static pc_type pc_check_field(pc_ectx *c, pc_expr *e, const pc_escope *s)
{
    const pc_row *r = s->row;
    const char *prefix = "";
    if (s->left) {
        if (e->side < 0 || e->side > 1) {
            pc_error(c->d, e->loc, "in a join, name a field with its side: 'left.%s' or 'right.%s'", e->s, e->s);
            return PC_T_ERROR;
        }
        r = e->side ? s->right : s->left;
        prefix = e->side ? "right." : "left.";
    } else if (e->side >= 0) {
        pc_error(c->d, e->loc, "'%s.%s' is not a field: 'left.' and 'right.' only name join inputs",
                 e->side == 0 ? "left" : e->side == 1 ? "right" : "?", e->s);
        return PC_T_ERROR;
    }
    if (!r)
        return PC_T_ERROR;
    int i = pc_row_find(r, e->s);
    if (i < 0) {
        pc_error(c->d, e->loc, "unknown field '%s%s'", prefix, e->s);
        pc_field_suggest(c, e->loc, r, e->s, prefix);
        return PC_T_ERROR;
    }
    if (e->side < 0)
        e->side = 0;
    e->field = i;
    return r->fields[i].type;
}

static pc_type pc_check_binary(pc_ectx *c, pc_expr *e, pc_type a, pc_type b)
{
    int op = e->op;
    if (a == PC_T_ERROR || b == PC_T_ERROR)
        return PC_T_ERROR;
    const char *an = pc_type_name(a), *bn = pc_type_name(b);
    switch (op) {
    case PC_OP_AND:
    case PC_OP_OR:
        if (a != PC_T_BOOL || b != PC_T_BOOL) {
            pc_error(c->d, e->loc, "operator '%s' needs bool operands, got %s and %s", pc_opname(op), an, bn);
            return PC_T_ERROR;
        }
        return PC_T_BOOL;
    case PC_OP_EQ:
    case PC_OP_NE:
    case PC_OP_LT:
    case PC_OP_LE:
    case PC_OP_GT:
    case PC_OP_GE:
        if (!(a == b || (pc_numeric(a) && pc_numeric(b)))) {
            pc_error(c->d, e->loc, "cannot compare %s with %s", an, bn);
            return PC_T_ERROR;
        }
        if (a == PC_T_BOOL && op != PC_OP_EQ && op != PC_OP_NE) {
            pc_error(c->d, e->loc, "operator '%s' cannot order bool values: use == or !=", pc_opname(op));
            return PC_T_ERROR;
        }
        return PC_T_BOOL;
    case PC_OP_ADD:
        if (a == PC_T_STRING && b == PC_T_STRING) {
            pc_error(c->d, e->loc, "operator '+' cannot be applied to strings");
            pc_note(c->d, e->loc, "use concat(a, b)");
            return PC_T_ERROR;
        }
        if ((a == PC_T_TIMESTAMP && b == PC_T_INT) || (a == PC_T_INT && b == PC_T_TIMESTAMP))
            return PC_T_TIMESTAMP;
        break;
    case PC_OP_SUB:
        if (a == PC_T_TIMESTAMP && b == PC_T_INT)
            return PC_T_TIMESTAMP;
        if (a == PC_T_TIMESTAMP && b == PC_T_TIMESTAMP)
            return PC_T_INT;
        break;
    case PC_OP_MOD:
        /* timestamp % int buckets time (ts - ts % 1d): an int, like the ms it counts */
        if (a == PC_T_TIMESTAMP && b == PC_T_INT)
            return PC_T_INT;
        if (a != PC_T_INT || b != PC_T_INT) {
            pc_error(c->d, e->loc, "operator '%%' needs int operands, got %s and %s", an, bn);
            return PC_T_ERROR;
        }
        return PC_T_INT;
    default:
        break;
    }
    if (pc_numeric(a) && pc_numeric(b))
        return a == PC_T_INT && b == PC_T_INT ? PC_T_INT : PC_T_FLOAT;
    pc_error(c->d, e->loc, "operator '%s' cannot be applied to %s and %s", pc_opname(op), an, bn);
    return PC_T_ERROR;
}

static int pc_arity(pc_ectx *c, pc_expr *e, int min, int max)
{
    if (e->nargs >= min && e->nargs <= max)
        return 0;
    if (min == max)
        pc_error(c->d, e->loc, "%s() takes %d argument%s, got %d", e->s, min, min == 1 ? "" : "s", e->nargs);
    else
        pc_error(c->d, e->loc, "%s() takes at least %d arguments, got %d", e->s, min, e->nargs);
    return -1;
}

static int pc_arg_is(pc_ectx *c, pc_expr *e, int i, pc_type want)
{
    pc_type t = e->args[i]->type;
    if (t == PC_T_ERROR)
        return -1;
    if (t == want)
        return 0;
    if (e->nargs == 1)
        pc_error(c->d, e->args[i]->loc, "%s() needs a %s argument, got %s", e->s, pc_type_name(want), pc_type_name(t));
    else
        pc_error(c->d, e->args[i]->loc, "%s() argument %d must be %s, got %s", e->s, i + 1, pc_type_name(want),
                 pc_type_name(t));
    return -1;
}

static pc_type pc_check_call(pc_ectx *c, pc_expr *e)
{
    const char *f = e->s;
    int known = 0;
    for (int i = 0; pc_expr_func_names[i]; i++)
        known |= !strcmp(f, pc_expr_func_names[i]);
    if (known)
        for (int i = 0; i < e->nargs; i++)
            if (e->args[i]->type == PC_T_ERROR)
                return PC_T_ERROR;
    if (!strcmp(f, "if")) {
        if (pc_arity(c, e, 3, 3) || pc_arg_is(c, e, 0, PC_T_BOOL))
            return PC_T_ERROR;
        pc_type a = e->args[1]->type, b = e->args[2]->type;
        if (a == b)
            return a;
        if (pc_numeric(a) && pc_numeric(b))
            return PC_T_FLOAT;
        pc_error(c->d, e->loc, "if() branches have different types: %s and %s", pc_type_name(a), pc_type_name(b));
        return PC_T_ERROR;
    }
    if (!strcmp(f, "int") || !strcmp(f, "float") || !strcmp(f, "string")) {
        if (pc_arity(c, e, 1, 1))
            return PC_T_ERROR;
        pc_type a = e->args[0]->type;
        if (f[0] == 'i') {
            if (a == PC_T_BOOL) {
                pc_error(c->d, e->args[0]->loc, "int() cannot convert bool: use if(b, 1, 0)");
                return PC_T_ERROR;
            }
            return PC_T_INT;
        }
        if (f[0] == 'f') {
            if (a == PC_T_BOOL || a == PC_T_TIMESTAMP) {
                pc_error(c->d, e->args[0]->loc, "float() cannot convert %s", pc_type_name(a));
                return PC_T_ERROR;
            }
            return PC_T_FLOAT;
        }
        return PC_T_STRING;
    }
    if (!strcmp(f, "lower") || !strcmp(f, "upper") || !strcmp(f, "len")) {
        if (pc_arity(c, e, 1, 1) || pc_arg_is(c, e, 0, PC_T_STRING))
            return PC_T_ERROR;
        return f[0] == 'l' && f[1] == 'e' ? PC_T_INT : PC_T_STRING;
    }
    if (!strcmp(f, "concat")) {
        if (pc_arity(c, e, 2, 1 << 20))
            return PC_T_ERROR;
        for (int i = 0; i < e->nargs; i++)
            if (e->args[i]->type != PC_T_STRING) {
                pc_error(c->d, e->args[i]->loc, "concat() argument %d must be string, got %s", i + 1,
                         pc_type_name(e->args[i]->type));
                pc_note(c->d, e->args[i]->loc, "convert it with string(...)");
                return PC_T_ERROR;
            }
        return PC_T_STRING;
    }
    if (!strcmp(f, "substr")) {
        if (pc_arity(c, e, 3, 3) || pc_arg_is(c, e, 0, PC_T_STRING) || pc_arg_is(c, e, 1, PC_T_INT) ||
            pc_arg_is(c, e, 2, PC_T_INT))
            return PC_T_ERROR;
        return PC_T_STRING;
    }
    if (!strcmp(f, "starts_with") || !strcmp(f, "contains")) {
        if (pc_arity(c, e, 2, 2) || pc_arg_is(c, e, 0, PC_T_STRING) || pc_arg_is(c, e, 1, PC_T_STRING))
            return PC_T_ERROR;
        return PC_T_BOOL;
    }
    pc_agg_fn fn;
    if (pc_expr_agg_fn(f, &fn) == 0) {
        pc_error(c->d, e->loc, "%s() is an aggregate function: it can only be used in 'aggregate:'", f);
        return PC_T_ERROR;
    }
    pc_error(c->d, e->loc, "unknown function '%s'", f);
    int nf = 0;
    while (pc_expr_func_names[nf])
        nf++;
    const char *s = pc_suggest(f, pc_expr_func_names, nf);
    if (s)
        pc_note(c->d, e->loc, "did you mean '%s'?", s);
    return PC_T_ERROR;
}

/* iterative depth is bounded by the parser (PC_EXPR_MAX_DEPTH), so recursion is safe here */
pc_type pc_expr_check(pc_ectx *c, pc_expr *e, const pc_escope *s)
{
    if (!e)
        return PC_T_ERROR;
    pc_type t = PC_T_ERROR;
    switch (e->kind) {
    case PC_E_INT: t = PC_T_INT; break;
    case PC_E_FLOAT: t = PC_T_FLOAT; break;
    case PC_E_STRING: t = PC_T_STRING; break;
    case PC_E_BOOL: t = PC_T_BOOL; break;
    case PC_E_FIELD: t = pc_check_field(c, e, s); break;
    case PC_E_UNARY: {
        pc_type a = pc_expr_check(c, e->args[0], s);
        if (a == PC_T_ERROR)
            break;
        if (e->op == PC_OP_NOT) {
            if (a != PC_T_BOOL)
                pc_error(c->d, e->loc, "operator '!' needs a bool operand, got %s", pc_type_name(a));
            else
                t = PC_T_BOOL;
        } else {
            if (!pc_numeric(a))
                pc_error(c->d, e->loc, "unary '-' needs a number, got %s", pc_type_name(a));
            else
                t = a;
        }
        break;
    }
    case PC_E_BINARY: {
        pc_type a = pc_expr_check(c, e->args[0], s);
        pc_type b = pc_expr_check(c, e->args[1], s);
        t = pc_check_binary(c, e, a, b);
        break;
    }
    case PC_E_CALL:
        for (int i = 0; i < e->nargs; i++)
            pc_expr_check(c, e->args[i], s);
        t = pc_check_call(c, e);
        break;
    }
    e->type = t;
    return t;
}
