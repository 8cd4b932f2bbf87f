/* prt_fn.h — what function stages need from the runtime: the queue of messages between
 * functions (one per worker, in the generated state) and the helpers behind the typed state API
 * that pipec generates for each function (the sets and maps of its state, kept as prt_rows in
 * insertion order).
 *
 * Messages are delivered in the order they were sent, after the handler that sent them returns,
 * and the queue is run to quiescence after every input record (generated code), so a checkpoint
 * never has a message in flight.
 *
 * Ownership: the queue owns a deep copy of every message (key and body) until it is popped; the
 * caller of prt_fnq_pop owns the popped message until prt_fnmsg_free.
 */
#ifndef PRT_FN_H
#define PRT_FN_H

#include "prt_core.h"
#include "prt_schema.h"

typedef struct prt_fnmsg {
    int target;               /* the receiving function (generated index) */
    int type;                 /* its message type (generated index) */
    prt_str skey;             /* a string key (owned), or */
    int64_t ikey;             /* an int key */
    const prt_schema *schema; /* the body's field table */
    void *body;               /* owned deep copy */
    int64_t ts;               /* event time of the input record that started the chain */
    int delayed;              /* a delayed message, due at `due` on the target's clock */
    int64_t due;
} prt_fnmsg;

typedef struct prt_fnq {
    prt_fnmsg *q;
    size_t head, n, cap; /* a ring: n messages from q[head] */
} prt_fnq;

/* Appends a deep copy of body (described by schema) for (target, key). */
void prt_fnq_push(prt_fnq *q, int target, int type, prt_str skey, int64_t ikey, const prt_schema *schema,
                  const void *body, int64_t ts);
/* The same for a delayed message, due at `due` on the target's clock (event or processing time). */
void prt_fnq_push_after(prt_fnq *q, int target, int type, prt_str skey, int64_t ikey, const prt_schema *schema,
                        const void *body, int64_t ts, int64_t due);
/* Takes the oldest message; 0 when the queue is empty. */
int prt_fnq_pop(prt_fnq *q, prt_fnmsg *out);
void prt_fnmsg_free(prt_fnmsg *m);
/* Drops every queued message; returns how many. */
size_t prt_fnq_clear(prt_fnq *q);

/* 1 when a state struct is all zero bytes: empty (no value set, no collection allocated), so
 * its key need not be kept. */
int prt_fn_is_empty(const void *state, size_t size);

/* ---- collections in a function's state: rows of `s` whose first field is the set element or
 * the map key (a prt_str or an int64_t, per `is_str`). ---- */

/* Index of the row whose first field equals the key, or -1. */
long prt_fn_find(const prt_rows *r, const prt_schema *s, int is_str, prt_str skey, int64_t ikey);
/* Removes row i (freeing what it owns), keeping the others in order. */
void prt_fn_remove(prt_rows *r, const prt_schema *s, size_t i);
/* Frees every row. */
void prt_fn_clear_rows(prt_rows *r, const prt_schema *s);

/* ---- delayed messages (timers) ----
 * A function that accepts delayed messages keeps them as keyed state: rows of prt_fn_timer in
 * its state field `_timers` (so checkpoints and savepoints carry them), and the worker keeps an
 * index of all of them, ordered by (due, seq), to find the next due one. The index is not
 * saved: it is rebuilt from the state after a restore. */
typedef struct prt_fn_timer {
    int64_t due;  /* on the target function's clock: event time (watermark) or wall clock */
    int64_t seq;  /* registration number: equal due times fire in this order */
    int64_t type; /* message type (generated index) */
    int64_t ts;   /* event time of the input record that started the chain */
    prt_str body; /* the message in its canonical encoding (prt_schema_encode); owned */
} prt_fn_timer;
extern const prt_schema prt_fn_timer_schema;

/* now + delay on a clock, saturating; a negative delay is none. INT64_MIN (no event time) stays. */
static inline int64_t prt_fn_due(int64_t now, int64_t delay)
{
    if (now == INT64_MIN)
        return INT64_MIN;
    if (delay < 0)
        delay = 0;
    return delay > INT64_MAX - now ? INT64_MAX : now + delay;
}

typedef struct prt_fntimer_ref {
    int64_t due, seq;
    int target;       /* the function (generated index) */
    prt_str skey;     /* the key (owned), or */
    int64_t ikey;
} prt_fntimer_ref;

typedef struct prt_fnheap {
    prt_fntimer_ref *h;
    size_t n, cap;
} prt_fnheap;

void prt_fnheap_push(prt_fnheap *h, int64_t due, int64_t seq, int target, prt_str skey, int64_t ikey);
/* 1 and the earliest timer (its key then owned by the caller: prt_str_release) when one is due at t. */
int prt_fnheap_pop_due(prt_fnheap *h, int64_t t, prt_fntimer_ref *out);
void prt_fnheap_free(prt_fnheap *h);

/* Stores a delayed message in a `_timers` field (copying the encoded body). */
void prt_fn_timer_add(prt_rows *timers, int64_t due, int64_t seq, int64_t type, int64_t ts, prt_str body);
/* Index of the timer with this registration number, or -1. */
long prt_fn_timer_find(const prt_rows *timers, int64_t seq);

#endif
