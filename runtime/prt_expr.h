/* prt_expr.h — helpers that generated expression code calls.
 *
 * Integer arithmetic wraps (two's complement) instead of being undefined; division and modulo by
 * zero fail the record. A helper that can fail takes the stage's prt_eval and marks it; the
 * generated stage checks ev.failed once after evaluating and sends the record to the errors
 * sink. Strings computed here live in the job's per-record scratch.
 */
#ifndef PRT_EXPR_H
#define PRT_EXPR_H

#include "prt_core.h"

typedef struct prt_eval {
    int failed;
    prt_err err; /* set only when failed */
} prt_eval;

static inline void prt_eval_init(prt_eval *ev)
{
    ev->failed = 0;
    ev->err.msg[0] = '\0';
}

void prt_eval_fail(prt_eval *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline int64_t prt_add_i64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static inline int64_t prt_sub_i64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static inline int64_t prt_mul_i64(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }
static inline int64_t prt_neg_i64(int64_t a) { return (int64_t)(0 - (uint64_t)a); }

static inline int64_t prt_div_i64(prt_eval *ev, int64_t a, int64_t b)
{
    if (b == 0) { prt_eval_fail(ev, "division by zero"); return 0; }
    if (b == -1) return prt_neg_i64(a); /* INT64_MIN / -1 wraps */
    return a / b;
}

static inline int64_t prt_mod_i64(prt_eval *ev, int64_t a, int64_t b)
{
    if (b == 0) { prt_eval_fail(ev, "modulo by zero"); return 0; }
    if (b == -1) return 0;
    return a % b;
}

/* A field that does not parse as its type: "field 'amount': invalid float 'abc'"; PRT_ERR. */
int prt_field_err(prt_err *e, const char *field, const char *type, prt_str v);

/* Key equality for floats: by value, and NaN equal to NaN (so NaN keys group together). */
static inline int prt_f64_key_eq(double a, double b) { return a == b || (a != a && b != b); }

/* conversions */
int64_t prt_f2i(prt_eval *ev, double v);   /* truncates; NaN or out of range fails */
int64_t prt_s2i(prt_eval *ev, prt_str s);  /* parses; bad text fails */
double prt_s2f(prt_eval *ev, prt_str s);
prt_str prt_i2s(prt_scratch *sc, int64_t v);
prt_str prt_f2s(prt_scratch *sc, double v);
prt_str prt_b2s(int v);
prt_str prt_ts2s(prt_scratch *sc, int64_t ms);

/* string functions (bytes; lower/upper are ASCII-only) */
prt_str prt_lower(prt_scratch *sc, prt_str s);
prt_str prt_upper(prt_scratch *sc, prt_str s);
prt_str prt_concat(prt_scratch *sc, int n, const prt_str *parts);
prt_str prt_substr(prt_str s, int64_t start, int64_t len); /* clamped to s; negative len -> empty */
int prt_starts_with(prt_str s, prt_str prefix);
int prt_contains(prt_str s, prt_str sub);

#endif
