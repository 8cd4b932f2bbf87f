/* pc_expr.h — expressions inside YAML scalars: lexer, Pratt parser and type checker.
 * Positions inside the scalar are mapped back to the YAML file (pc_yaml_span), so carets land on
 * the offending token. Operator precedence, loosest first: ||, &&, == !=, < <= > >= (comparisons
 * do not chain), + -, * / %, unary ! -. */
#ifndef PC_EXPR_H
#define PC_EXPR_H

#include "pc_arena.h"
#include "pc_ast.h"
#include "pc_diag.h"
#include "pc_yaml.h"

typedef struct pc_ectx {
    pc_arena *a;
    pc_diags *d;
    const pc_ydoc *doc;
} pc_ectx;

/* What names in an expression refer to: one row, or a join's two rows (left.x / right.y). */
typedef struct pc_escope {
    const pc_row *row;
    const pc_row *left, *right; /* join: both set, row NULL */
} pc_escope;

/* Parses the scalar n as an expression. Returns NULL after reporting a syntax error. */
pc_expr *pc_expr_parse(pc_ectx *c, const pc_ynode *n);

/* Resolves fields and sets every node's type. Returns the type, PC_T_ERROR after reporting. */
pc_type pc_expr_check(pc_ectx *c, pc_expr *e, const pc_escope *s);

/* Aggregate function name -> 0 and *fn, or -1 when name is not one. */
int pc_expr_agg_fn(const char *name, pc_agg_fn *fn);
extern const char *const pc_expr_agg_names[];   /* NULL-terminated */
extern const char *const pc_expr_func_names[];  /* row functions, NULL-terminated */

/* Edit-distance suggestion ("did you mean"): the closest candidate, or NULL when none is close. */
const char *pc_suggest(const char *name, const char *const *cands, int n);

#endif
