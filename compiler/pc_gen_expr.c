/* pc_gen_expr.c — expressions to C. Integer arithmetic goes through wrapping helpers (no
 * undefined overflow), division through checked ones; string results live in the worker's scratch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_gen_int.h"

static const char *ex(pc_gen *g, const pc_expr *e, const char *row, const char *right);

const char *pc_gen_str_lit(pc_gen *g, const char *s, size_t n)
{
    pc_sb b = { 0 };
    pc_sb_puts(&b, "PRT_STR_LIT(\"");
    pc_sb_cstr(&b, s, n);
    pc_sb_puts(&b, "\")");
    const char *r = pc_sb_arena(&b, g->a);
    pc_sb_free(&b);
    return r;
}

/* Shortest %g text that reads back to v, always with a '.' or an exponent (a double literal). */
static const char *float_lit(pc_gen *g, double v)
{
    char buf[64];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (!strpbrk(buf, ".en"))
        strcat(buf, ".0");
    return pc_strdup(g->a, buf);
}

static const char *widen(pc_gen *g, const pc_expr *e, pc_type to, const char *code)
{
    if (e->type == PC_T_INT && to == PC_T_FLOAT)
        return pc_sprintf(g->a, "(double)%s", code);
    return code;
}

const char *pc_gen_expr_as(pc_gen *g, const pc_expr *e, pc_type to, const char *row, const char *right)
{
    const char *c = ex(g, e, row, right);
    if (to == PC_T_STRING) {
        switch (e->type) {
        case PC_T_INT: return pc_sprintf(g->a, "prt_i2s(&wk->scratch, %s)", c);
        case PC_T_FLOAT: return pc_sprintf(g->a, "prt_f2s(&wk->scratch, %s)", c);
        case PC_T_BOOL: return pc_sprintf(g->a, "prt_b2s(%s)", c);
        case PC_T_TIMESTAMP: return pc_sprintf(g->a, "prt_ts2s(&wk->scratch, %s)", c);
        default: return c;
        }
    }
    return widen(g, e, to, c);
}

const char *pc_gen_expr(pc_gen *g, const pc_expr *e, const char *row, const char *right)
{
    return ex(g, e, row, right);
}

static pc_type num_type(const pc_expr *a, const pc_expr *b)
{
    return (a->type == PC_T_FLOAT || b->type == PC_T_FLOAT) ? PC_T_FLOAT : a->type;
}

static const char *binary(pc_gen *g, const pc_expr *e, const char *row, const char *right)
{
    const pc_expr *l = e->args[0], *r = e->args[1];
    const char *L = ex(g, l, row, right), *R = ex(g, r, row, right);
    pc_arena *a = g->a;

    if (e->op == PC_OP_AND)
        return pc_sprintf(a, "(%s && %s)", L, R);
    if (e->op == PC_OP_OR)
        return pc_sprintf(a, "(%s || %s)", L, R);

    int cmp = e->op == PC_OP_EQ || e->op == PC_OP_NE || e->op == PC_OP_LT || e->op == PC_OP_GT ||
              e->op == PC_OP_LE || e->op == PC_OP_GE;
    if (cmp) {
        const char *op = e->op == PC_OP_EQ ? "==" : e->op == PC_OP_NE ? "!=" : e->op == PC_OP_LT ? "<"
                       : e->op == PC_OP_GT ? ">" : e->op == PC_OP_LE ? "<=" : ">=";
        if (l->type == PC_T_STRING) {
            if (e->op == PC_OP_EQ)
                return pc_sprintf(a, "prt_str_eq(%s, %s)", L, R);
            if (e->op == PC_OP_NE)
                return pc_sprintf(a, "!prt_str_eq(%s, %s)", L, R);
            return pc_sprintf(a, "(prt_str_cmp(%s, %s) %s 0)", L, R, op);
        }
        pc_type t = num_type(l, r);
        return pc_sprintf(a, "(%s %s %s)", widen(g, l, t, L), op, widen(g, r, t, R));
    }

    /* arithmetic */
    if (e->type == PC_T_FLOAT) {
        char op = (char)e->op;
        return pc_sprintf(a, "(%s %c %s)", widen(g, l, PC_T_FLOAT, L), op, widen(g, r, PC_T_FLOAT, R));
    }
    switch (e->op) { /* int and timestamp arithmetic wraps */
    case PC_OP_ADD: return pc_sprintf(a, "prt_add_i64(%s, %s)", L, R);
    case PC_OP_SUB: return pc_sprintf(a, "prt_sub_i64(%s, %s)", L, R);
    case PC_OP_MUL: return pc_sprintf(a, "prt_mul_i64(%s, %s)", L, R);
    case PC_OP_DIV: /* by zero: fails through ev, as the helpers below that count g->ev_uses */
        g->ev_uses++;
        return pc_sprintf(a, "prt_div_i64(&ev, %s, %s)", L, R);
    case PC_OP_MOD:
        g->ev_uses++;
        return pc_sprintf(a, "prt_mod_i64(&ev, %s, %s)", L, R);
    }
    return "0 /* unknown operator */";
}

static const char *call(pc_gen *g, const pc_expr *e, const char *row, const char *right)
{
    pc_arena *a = g->a;
    const char *fn = e->s;
    const pc_expr *x = e->nargs > 0 ? e->args[0] : NULL;
    const char *X = x ? ex(g, x, row, right) : "";

    if (!strcmp(fn, "if")) {
        const char *A = pc_gen_expr_as(g, e->args[1], e->type, row, right);
        const char *B = pc_gen_expr_as(g, e->args[2], e->type, row, right);
        return pc_sprintf(a, "(%s ? %s : %s)", X, A, B);
    }
    if (!strcmp(fn, "int")) {
        switch (x->type) {
        case PC_T_FLOAT: /* out of range or NaN */
            g->ev_uses++;
            return pc_sprintf(a, "prt_f2i(&ev, %s)", X);
        case PC_T_STRING: /* not a number */
            g->ev_uses++;
            return pc_sprintf(a, "prt_s2i(&ev, %s)", X);
        default: return pc_sprintf(a, "(int64_t)%s", X);
        }
    }
    if (!strcmp(fn, "float")) {
        if (x->type == PC_T_STRING) {
            g->ev_uses++;
            return pc_sprintf(a, "prt_s2f(&ev, %s)", X);
        }
        return pc_sprintf(a, "(double)%s", X);
    }
    if (!strcmp(fn, "string"))
        return pc_gen_expr_as(g, x, PC_T_STRING, row, right);
    if (!strcmp(fn, "lower"))
        return pc_sprintf(a, "prt_lower(&wk->scratch, %s)", X);
    if (!strcmp(fn, "upper"))
        return pc_sprintf(a, "prt_upper(&wk->scratch, %s)", X);
    if (!strcmp(fn, "len"))
        return pc_sprintf(a, "(int64_t)(%s).n", X);
    if (!strcmp(fn, "concat")) {
        pc_sb b = { 0 };
        pc_sb_printf(&b, "prt_concat(&wk->scratch, %d, (prt_str[]){ ", e->nargs);
        for (int i = 0; i < e->nargs; i++)
            pc_sb_printf(&b, "%s%s", i ? ", " : "", ex(g, e->args[i], row, right));
        pc_sb_puts(&b, " })");
        const char *r = pc_sb_arena(&b, a);
        pc_sb_free(&b);
        return r;
    }
    if (!strcmp(fn, "substr"))
        return pc_sprintf(a, "prt_substr(%s, %s, %s)", X, ex(g, e->args[1], row, right),
                          ex(g, e->args[2], row, right));
    if (!strcmp(fn, "starts_with"))
        return pc_sprintf(a, "prt_starts_with(%s, %s)", X, ex(g, e->args[1], row, right));
    if (!strcmp(fn, "contains"))
        return pc_sprintf(a, "prt_contains(%s, %s)", X, ex(g, e->args[1], row, right));
    pc_error(g->d, e->loc, "internal error: no code generation for %s()", fn);
    g->failed = 1;
    return "0";
}

static const char *ex(pc_gen *g, const pc_expr *e, const char *row, const char *right)
{
    switch (e->kind) {
    case PC_E_INT:
        if (e->i == INT64_MIN)
            return "INT64_MIN";
        return pc_sprintf(g->a, "INT64_C(%lld)", (long long)e->i);
    case PC_E_FLOAT: return float_lit(g, e->f);
    case PC_E_STRING: return pc_gen_str_lit(g, e->s, e->slen);
    case PC_E_BOOL: return e->i ? "1" : "0";
    case PC_E_FIELD:
        return pc_sprintf(g->a, "%s->%s", e->side && right ? right : row, pc_gen_cname(g, e->s));
    case PC_E_UNARY: {
        const char *X = ex(g, e->args[0], row, right);
        if (e->op == '!')
            return pc_sprintf(g->a, "!%s", X);
        if (e->type == PC_T_FLOAT)
            return pc_sprintf(g->a, "(-%s)", X);
        return pc_sprintf(g->a, "prt_neg_i64(%s)", X);
    }
    case PC_E_BINARY: return binary(g, e, row, right);
    case PC_E_CALL: return call(g, e, row, right);
    }
    return "0";
}
