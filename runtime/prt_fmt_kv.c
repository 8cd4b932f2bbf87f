/* prt_fmt_kv.c — the kv input format: `a=1, b = x,,c=` → (a,1) (b,x) (c,"").
 *
 * Pairs are split on ',', key and value on the first '=' (a value may hold more '='); spaces and
 * tabs around keys and values are trimmed; empty pairs are skipped. There is no quoting.
 */
#include "prt_format.h"

static int prt_kv_blank(char c) { return c == ' ' || c == '\t'; }

/* Most fields have no blanks around them: check the two ends before looping. */
static inline prt_str prt_kv_trim(const char *p, const char *e)
{
    if (p < e && (prt_kv_blank(*p) || prt_kv_blank(e[-1]))) {
        while (p < e && prt_kv_blank(*p))
            p++;
        while (e > p && prt_kv_blank(e[-1]))
            e--;
    }
    return (prt_str){ p, (size_t)(e - p) };
}

void prt_kv_init(prt_kv_iter *it, prt_str line)
{
    it->start = it->p = line.n ? line.p : "";
    it->end = it->p + line.n;
}

/* A pair's '=' is never a blank, so it is found in the untrimmed pair, and the key and value
 * are trimmed once each (the pair's own ends are theirs). */
int prt_kv_next(prt_kv_iter *it, prt_str *key, prt_str *val, prt_err *e)
{
    while (it->p < it->end) {
        const char *b = it->p, *c = memchr(b, ',', (size_t)(it->end - b));
        const char *pe = c ? c : it->end;
        it->p = c ? c + 1 : it->end;
        const char *eq = memchr(b, '=', (size_t)(pe - b));
        if (!eq) {
            prt_str pair = prt_kv_trim(b, pe);
            if (!pair.n)
                continue; /* `a=1,,b=2` and a trailing comma */
            return prt_errf(e, "invalid kv at byte %zu: pair without '='", (size_t)(pair.p - it->start));
        }
        *key = prt_kv_trim(b, eq);
        if (!key->n)
            return prt_errf(e, "invalid kv at byte %zu: empty key", (size_t)(prt_kv_trim(b, pe).p - it->start));
        *val = prt_kv_trim(eq + 1, pe);
        return 1;
    }
    return 0;
}
