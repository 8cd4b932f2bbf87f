/* prt_fn.c — the message queue between functions and the collection helpers of function state
 * (prt_fn.h). */
#include <stdlib.h>

#include "prt_ckpt.h"
#include "prt_fn.h"

void prt_fnq_push(prt_fnq *q, int target, int type, prt_str skey, int64_t ikey, const prt_schema *schema,
                  const void *body, int64_t ts)
{
    prt_fnq_push_after(q, target, type, skey, ikey, schema, body, ts, INT64_MIN);
    q->q[(q->head + q->n - 1) % q->cap].delayed = 0;
}

void prt_fnq_push_after(prt_fnq *q, int target, int type, prt_str skey, int64_t ikey, const prt_schema *schema,
                        const void *body, int64_t ts, int64_t due)
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
    m->delayed = 1;
    m->due = due;
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

int prt_fn_is_empty(const void *state, size_t size)
{
    const unsigned char *p = state;
    for (size_t i = 0; i < size; i++)
        if (p[i])
            return 0;
    return 1;
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

/* ---- delayed messages ---- */

static const prt_field timer_fields[] = {
    { "due", offsetof(prt_fn_timer, due), PRT_S_I64, PRT_V_TIMESTAMP, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "seq", offsetof(prt_fn_timer, seq), PRT_S_I64, PRT_V_INT, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "type", offsetof(prt_fn_timer, type), PRT_S_I64, PRT_V_INT, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "ts", offsetof(prt_fn_timer, ts), PRT_S_I64, PRT_V_TIMESTAMP, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "body", offsetof(prt_fn_timer, body), PRT_S_STR, PRT_V_NONE,  PRT_AGG_NONE, PRT_P_VALUE, NULL },
};

const prt_schema prt_fn_timer_schema = { "prt_fn_timer", sizeof(prt_fn_timer), 5, timer_fields };

static int before(const prt_fntimer_ref *a, const prt_fntimer_ref *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

void prt_fnheap_push(prt_fnheap *h, int64_t due, int64_t seq, int target, prt_str skey, int64_t ikey)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 16;
        prt_fntimer_ref *p = realloc(h->h, cap * sizeof *p);
        prt_assert(p != NULL);
        h->h = p;
        h->cap = cap;
    }
    size_t i = h->n++;
    h->h[i] = (prt_fntimer_ref){ due, seq, target, skey.n ? prt_str_dup(skey) : (prt_str){ 0 }, ikey };
    while (i && before(&h->h[i], &h->h[(i - 1) / 2])) {
        prt_fntimer_ref t = h->h[i];
        h->h[i] = h->h[(i - 1) / 2];
        h->h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

int prt_fnheap_pop_due(prt_fnheap *h, int64_t t, prt_fntimer_ref *out)
{
    if (!h->n || h->h[0].due > t)
        return 0;
    *out = h->h[0];
    h->h[0] = h->h[--h->n];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && before(&h->h[l], &h->h[m]))
            m = l;
        if (r < h->n && before(&h->h[r], &h->h[m]))
            m = r;
        if (m == i)
            break;
        prt_fntimer_ref x = h->h[i];
        h->h[i] = h->h[m];
        h->h[m] = x;
        i = m;
    }
    return 1;
}

void prt_fnheap_free(prt_fnheap *h)
{
    for (size_t i = 0; i < h->n; i++)
        prt_str_release(&h->h[i].skey);
    free(h->h);
    *h = (prt_fnheap){ 0 };
}

void prt_fn_timer_add(prt_rows *timers, int64_t due, int64_t seq, int64_t type, int64_t ts, prt_str body)
{
    prt_fn_timer *t = prt_rows_push(timers, &prt_fn_timer_schema);
    t->due = due;
    t->seq = seq;
    t->type = type;
    t->ts = ts;
    t->body = prt_str_dup(body);
}

long prt_fn_timer_find(const prt_rows *timers, int64_t seq)
{
    for (size_t i = 0; i < timers->n; i++)
        if (((const prt_fn_timer *)prt_rows_at(timers, &prt_fn_timer_schema, i))->seq == seq)
            return (long)i;
    return -1;
}
