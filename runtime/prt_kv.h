/* prt_kv.h — the kv input format's tokenizer: `a=1, b = x,,c=` → (a,1) (b,x) (c,"").
 *
 * Pairs are split on ',', key and value on the first '=' (a value may hold more '='); spaces and
 * tabs around keys and values are trimmed; empty pairs are skipped; a pair without '=' or with an
 * empty key is an error naming its byte offset. There is no quoting.
 *
 * prt_kv_next is inline: a generated parser calls it once per pair and matches the key against
 * the schema's names itself (source_kv.c.tmpl). A pair whose key and value have no blank at
 * their ends (the common case) costs two memchr and four byte compares, no call of ours; anything else (blanks to
 * trim, an empty pair, an error) goes through prt_kv_pair (prt_fmt_kv.c). Only line.n bytes are
 * read.
 */
#ifndef PRT_KV_H
#define PRT_KV_H

#include "prt_core.h"

typedef struct prt_kv_iter {
    const char *p, *end;
    const char *start; /* the line's first byte, for error offsets */
} prt_kv_iter;

static inline void prt_kv_init(prt_kv_iter *it, prt_str line)
{
    it->start = it->p = line.n ? line.p : "";
    it->end = it->p + line.n;
}

/* The pair [b, pe) whose first '=' is eq (NULL: none), trimmed: 1 and *key, *val; 0 for an
 * empty pair (`a=1,,b=2`, a trailing comma); PRT_ERR (and e) for a pair without '=' or with an
 * empty key. start is the line's first byte, for the error's offset. */
int prt_kv_pair(const char *start, const char *b, const char *eq, const char *pe, prt_str *key,
                prt_str *val, prt_err *e);

static inline int prt_kv_blank(char c) { return c == ' ' || c == '\t'; }

/* Whether c may be a blank: one compare for the fast path (a control character also answers
 * yes; prt_kv_pair then trims only spaces and tabs, as the format says). */
static inline int prt_kv_maybe_blank(char c) { return (unsigned char)c <= ' '; }

/* 1 and the next pair (slices of the line); 0 at the end; PRT_ERR (and e) for a pair without '='
 * or an empty key. */
static inline int prt_kv_next(prt_kv_iter *it, prt_str *key, prt_str *val, prt_err *e)
{
    while (it->p < it->end) {
        const char *b = it->p, *c = memchr(b, ',', (size_t)(it->end - b));
        const char *pe = c ? c : it->end;
        const char *eq = memchr(b, '=', (size_t)(pe - b));
        it->p = c ? c + 1 : it->end;
        /* nothing to trim: a key that neither starts nor ends with a blank, a value empty or so */
        if (eq && eq > b && !prt_kv_maybe_blank(*b) && !prt_kv_maybe_blank(eq[-1]) &&
            (eq + 1 == pe || (!prt_kv_maybe_blank(eq[1]) && !prt_kv_maybe_blank(pe[-1])))) {
            *key = (prt_str){ b, (size_t)(eq - b) };
            *val = (prt_str){ eq + 1, (size_t)(pe - eq - 1) };
            return 1;
        }
        int rc = prt_kv_pair(it->start, b, eq, pe, key, val, e);
        if (rc != 0)
            return rc;
    }
    return 0;
}

#endif
