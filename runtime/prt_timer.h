/* prt_timer.h — private to the window engine: a min-heap of timers ordered by (time, seq).
 *
 * seq is the registration number, so timers due at the same time fire in registration order and
 * the output is deterministic. Deletion is lazy: a timer names a window slot and that slot's
 * generation; the engine drops a popped timer whose generation no longer matches.
 * The heap owns its array (prt_timerq_free).
 */
#ifndef PRT_TIMER_H
#define PRT_TIMER_H

#include <stdint.h>
#include <stddef.h>

enum { PRT_TIMER_FIRE = 1, PRT_TIMER_PURGE = 2 };

typedef struct prt_timer {
    int64_t time;
    uint64_t seq;
    uint32_t win, gen; /* window slot and its generation when registered */
    uint32_t what;     /* PRT_TIMER_FIRE | PRT_TIMER_PURGE: fire first, then purge */
} prt_timer;

typedef struct prt_timerq {
    prt_timer *a;
    size_t n, cap;
    uint64_t next_seq;
} prt_timerq;

void prt_timerq_push(prt_timerq *q, int64_t time, uint32_t win, uint32_t gen, uint32_t what);
/* The same with a given registration number (rebuilding an engine); next_seq is left alone. */
void prt_timerq_push_seq(prt_timerq *q, int64_t time, uint64_t seq, uint32_t win, uint32_t gen,
                         uint32_t what);
/* Removes the earliest timer into *out; 0 when the heap is empty. */
int prt_timerq_pop(prt_timerq *q, prt_timer *out);
static inline const prt_timer *prt_timerq_top(const prt_timerq *q) { return q->n ? &q->a[0] : NULL; }
void prt_timerq_free(prt_timerq *q);

#endif
