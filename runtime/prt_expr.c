/* prt_expr.c — run-time helpers for generated expressions (see prt_expr.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "prt_expr.h"
#include "prt_scalar.h"

void prt_eval_fail(prt_eval *ev, const char *fmt, ...)
{
    if (ev->failed)
        return; /* keep the first reason */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->err.msg, sizeof ev->err.msg, fmt, ap);
    va_end(ap);
    ev->failed = 1;
}

int prt_field_err(prt_err *e, const char *field, const char *type, prt_str v)
{
    int n = v.n > 64 ? 64 : (int)v.n;
    return prt_errf(e, "field '%s': invalid %s '%.*s%s'", field, type, n, v.p, v.n > 64 ? "..." : "");
}

int64_t prt_f2i(prt_eval *ev, double v)
{
    if (isnan(v) || v >= 9223372036854775808.0 || v < -9223372036854775808.0) {
        prt_eval_fail(ev, "int(): %g is out of range", v);
        return 0;
    }
    return (int64_t)v;
}

int64_t prt_s2i(prt_eval *ev, prt_str s)
{
    int64_t v = 0;
    if (prt_parse_int(s, &v) != PRT_OK)
        prt_eval_fail(ev, "int(): invalid integer '%.*s'", (int)(s.n > 64 ? 64 : s.n), s.p);
    return v;
}

double prt_s2f(prt_eval *ev, prt_str s)
{
    double v = 0;
    if (prt_parse_float(s, &v) != PRT_OK)
        prt_eval_fail(ev, "float(): invalid number '%.*s'", (int)(s.n > 64 ? 64 : s.n), s.p);
    return v;
}

/* Formats with a writer into a temporary buffer, then moves the text into scratch. */
static prt_str to_scratch(prt_scratch *sc, const prt_buf *b)
{
    return prt_scratch_copy(sc, prt_buf_str(b));
}

prt_str prt_i2s(prt_scratch *sc, int64_t v)
{
    char tmp[32];
    prt_buf b = { tmp, 0, 0 };
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    b.n = (size_t)n;
    return to_scratch(sc, &b);
}

prt_str prt_f2s(prt_scratch *sc, double v)
{
    prt_buf b = { 0 };
    prt_fmt_float(&b, v);
    prt_str s = to_scratch(sc, &b);
    prt_buf_free(&b);
    return s;
}

prt_str prt_b2s(int v) { return v ? PRT_STR_LIT("true") : PRT_STR_LIT("false"); }

prt_str prt_ts2s(prt_scratch *sc, int64_t ms)
{
    prt_buf b = { 0 };
    prt_fmt_ts(&b, ms);
    prt_str s = to_scratch(sc, &b);
    prt_buf_free(&b);
    return s;
}

static prt_str map_ascii(prt_scratch *sc, prt_str s, int upper)
{
    char *p = prt_scratch_alloc(sc, s.n ? s.n : 1);
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (upper && c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        else if (!upper && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        p[i] = c;
    }
    return (prt_str){ p, s.n };
}

prt_str prt_lower(prt_scratch *sc, prt_str s) { return map_ascii(sc, s, 0); }
prt_str prt_upper(prt_scratch *sc, prt_str s) { return map_ascii(sc, s, 1); }

prt_str prt_concat(prt_scratch *sc, int n, const prt_str *parts)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += parts[i].n;
    char *p = prt_scratch_alloc(sc, total ? total : 1);
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        if (parts[i].n)
            memcpy(p + at, parts[i].p, parts[i].n);
        at += parts[i].n;
    }
    return (prt_str){ p, total };
}

prt_str prt_substr(prt_str s, int64_t start, int64_t len)
{
    if (start < 0)
        start = 0;
    if (len < 0 || (uint64_t)start >= s.n)
        return (prt_str){ s.p, 0 };
    uint64_t rest = s.n - (uint64_t)start;
    if ((uint64_t)len > rest)
        len = (int64_t)rest;
    return (prt_str){ s.p + start, (size_t)len };
}

int prt_starts_with(prt_str s, prt_str prefix)
{
    return s.n >= prefix.n && (prefix.n == 0 || memcmp(s.p, prefix.p, prefix.n) == 0);
}

int prt_contains(prt_str s, prt_str sub)
{
    if (sub.n == 0)
        return 1;
    if (sub.n > s.n)
        return 0;
    return memmem(s.p, s.n, sub.p, sub.n) != NULL;
}
