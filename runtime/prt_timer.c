/* prt_timer.c — the window engine's timer min-heap, ordered by (time, registration seq). */
#include <stdlib.h>

#include "prt_core.h"
#include "prt_timer.h"

static int before(const prt_timer *x, const prt_timer *y)
{
    return x->time < y->time || (x->time == y->time && x->seq < y->seq);
}

void prt_timerq_push(prt_timerq *q, int64_t time, uint32_t win, uint32_t gen, uint32_t what)
{
    prt_timerq_push_seq(q, time, q->next_seq++, win, gen, what);
}

void prt_timerq_push_seq(prt_timerq *q, int64_t time, uint64_t seq, uint32_t win, uint32_t gen,
                         uint32_t what)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        prt_timer *a = realloc(q->a, cap * sizeof *a);
        prt_assert(a != NULL);
        q->a = a;
        q->cap = cap;
    }
    prt_timer t = { time, seq, win, gen, what };
    size_t i = q->n++;
    while (i > 0) { /* sift up */
        size_t p = (i - 1) / 2;
        if (!before(&t, &q->a[p]))
            break;
        q->a[i] = q->a[p];
        i = p;
    }
    q->a[i] = t;
}

int prt_timerq_pop(prt_timerq *q, prt_timer *out)
{
    if (q->n == 0)
        return 0;
    *out = q->a[0];
    prt_timer last = q->a[--q->n];
    size_t i = 0, n = q->n;
    for (;;) { /* sift the last element down from the root */
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(&q->a[c + 1], &q->a[c]))
            c++;
        if (!before(&q->a[c], &last))
            break;
        q->a[i] = q->a[c];
        i = c;
    }
    if (n)
        q->a[i] = last;
    return 1;
}

void prt_timerq_free(prt_timerq *q)
{
    free(q->a);
    q->a = NULL;
    q->n = q->cap = 0;
}
