/* prt_fmt_kv.c — the kv tokenizer's out-of-line part (prt_kv.h): the pairs with blanks to trim,
 * empty pairs and errors. */
#include "prt_kv.h"

static prt_str prt_kv_trim(const char *p, const char *e)
{
    while (p < e && prt_kv_blank(*p))
        p++;
    while (e > p && prt_kv_blank(e[-1]))
        e--;
    return (prt_str){ p, (size_t)(e - p) };
}

/* A pair's '=' is never a blank, so it is found in the untrimmed pair, and the key and value
 * are trimmed once each (the pair's own ends are theirs). */
int prt_kv_pair(const char *start, const char *b, const char *eq, const char *pe, prt_str *key,
                prt_str *val, prt_err *e)
{
    if (!eq) {
        prt_str pair = prt_kv_trim(b, pe);
        if (!pair.n)
            return 0;
        return prt_errf(e, "invalid kv at byte %zu: pair without '='", (size_t)(pair.p - start));
    }
    *key = prt_kv_trim(b, eq);
    if (!key->n)
        return prt_errf(e, "invalid kv at byte %zu: empty key", (size_t)(prt_kv_trim(b, pe).p - start));
    *val = prt_kv_trim(eq + 1, pe);
    return 1;
}
