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
} prt_fnmsg;

typedef struct prt_fnq {
    prt_fnmsg *q;
    size_t head, n, cap; /* a ring: n messages from q[head] */
} prt_fnq;

/* Appends a deep copy of body (described by schema) for (target, key). */
void prt_fnq_push(prt_fnq *q, int target, int type, prt_str skey, int64_t ikey, const prt_schema *schema,
                  const void *body, int64_t ts);
/* Takes the oldest message; 0 when the queue is empty. */
int prt_fnq_pop(prt_fnq *q, prt_fnmsg *out);
void prt_fnmsg_free(prt_fnmsg *m);
/* Drops every queued message; returns how many. */
size_t prt_fnq_clear(prt_fnq *q);

/* ---- collections in a function's state: rows of `s` whose first field is the set element or
 * the map key (a prt_str or an int64_t, per `is_str`). ---- */

/* Index of the row whose first field equals the key, or -1. */
long prt_fn_find(const prt_rows *r, const prt_schema *s, int is_str, prt_str skey, int64_t ikey);
/* Removes row i (freeing what it owns), keeping the others in order. */
void prt_fn_remove(prt_rows *r, const prt_schema *s, size_t i);
/* Frees every row. */
void prt_fn_clear_rows(prt_rows *r, const prt_schema *s);

#endif
