/* prt_fn.c — the message queue between functions and the collection helpers of function state
 * (prt_fn.h). */
#include <stdlib.h>

#include "prt_ckpt.h"
#include "prt_fn.h"

void prt_fnq_push(prt_fnq *q, int target, int type, prt_str skey, int64_t ikey, const prt_schema *schema,
                  const void *body, int64_t ts)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 16;
        prt_fnmsg *m = malloc(cap * sizeof *m);
        prt_assert(m != NULL);
        for (size_t i = 0; i < q->n; i++) /* unwrap the ring */
            m[i] = q->q[(q->head + i) % q->cap];
        free(q->q);
        q->q = m;
        q->cap = cap;
        q->head = 0;
    }
    prt_fnmsg *m = &q->q[(q->head + q->n++) % q->cap];
    m->target = target;
    m->type = type;
    m->skey = skey.n ? prt_str_dup(skey) : (prt_str){ 0 };
    m->ikey = ikey;
    m->schema = schema;
    m->body = malloc(schema->size ? schema->size : 1);
    prt_assert(m->body != NULL);
    prt_schema_copy(schema, m->body, body);
    m->ts = ts;
}

int prt_fnq_pop(prt_fnq *q, prt_fnmsg *out)
{
    if (!q->n)
        return 0;
    prt_crash_point("fn-message"); /* tests: kill -9 in the middle of a chain of messages */
    *out = q->q[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    return 1;
}

void prt_fnmsg_free(prt_fnmsg *m)
{
    prt_str_release(&m->skey);
    if (m->body) {
        prt_schema_free(m->schema, m->body);
        free(m->body);
    }
    m->body = NULL;
}

size_t prt_fnq_clear(prt_fnq *q)
{
    size_t dropped = q->n;
    prt_fnmsg m;
    while (prt_fnq_pop(q, &m))
        prt_fnmsg_free(&m);
    free(q->q);
    *q = (prt_fnq){ 0 };
    return dropped;
}

long prt_fn_find(const prt_rows *r, const prt_schema *s, int is_str, prt_str skey, int64_t ikey)
{
    uint32_t off = s->fields[0].offset;
    for (size_t i = 0; i < r->n; i++) {
        const char *x = (const char *)prt_rows_at(r, s, i) + off;
        if (is_str ? prt_str_eq(*(const prt_str *)x, skey) : *(const int64_t *)x == ikey)
            return (long)i;
    }
    return -1;
}

void prt_fn_remove(prt_rows *r, const prt_schema *s, size_t i)
{
    prt_assert(i < r->n);
    prt_schema_free(s, prt_rows_at(r, s, i));
    memmove(prt_rows_at(r, s, i), prt_rows_at(r, s, i + 1), (r->n - i - 1) * s->size);
    r->n--;
}

void prt_fn_clear_rows(prt_rows *r, const prt_schema *s)
{
    for (size_t i = 0; i < r->n; i++)
        prt_schema_free(s, prt_rows_at(r, s, i));
    r->n = 0;
}
