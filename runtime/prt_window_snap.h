/* prt_window_snap.h — the canonical byte form of a window operator's state: its clocks and every
 * (key, window, accumulator) of a key-group range with the window's pending timers, built on
 * prt_winop_walk / prt_winop_restore. What checkpoints store per operator; a snapshot taken
 * with one state backend or parallelism loads into any other (docs/savepoint-format.md).
 */
#ifndef PRT_WINDOW_SNAP_H
#define PRT_WINDOW_SNAP_H

#include "prt_window.h"

#define PRT_WINOP_SNAP_VERSION 1

/* Appends the snapshot of key groups [kg_lo, kg_hi] (of max_parallelism) to out. */
void prt_winop_snapshot(const prt_winop *w, uint32_t max_parallelism, uint32_t kg_lo,
                        uint32_t kg_hi, prt_buf *out);
/* One snapshot of an operator spread over n engines (one per worker), engine i giving the key
 * groups [kg_lo[i], kg_hi[i]]; the ranges ascend, so the windows stay in key-group order. The
 * clocks: the minimum event-time clock (no engine fired past it), the maximum arrival and timer
 * counters (numbers given after a restore come after every saved one). */
void prt_winop_snapshot_many(const prt_winop *const *ws, const uint32_t *kg_lo, const uint32_t *kg_hi, int n,
                             uint32_t max_parallelism, prt_buf *out);
/* Loads a snapshot into w, a new operator with the same vtable and spec. PRT_ERR with e on
 * malformed bytes or state that does not fit the operator; w must then be discarded. */
int prt_winop_load(prt_winop *w, prt_str in, prt_err *e);
/* The same for a restore: accumulators were saved with table `saved_acc` (NULL: the operator's
 * own), evolved into the operator's (prt_schema_acc_move); only windows whose key group lies in
 * [kg_lo, kg_hi] of max_parallelism are taken (rescaling). */
int prt_winop_load_from(prt_winop *w, prt_str in, const prt_schema *saved_acc, uint32_t max_parallelism,
                        uint32_t kg_lo, uint32_t kg_hi, prt_err *e);

/* Walks a snapshot without an operator: decodes every window with the tables given (those it
 * was saved with) and calls fn, which may move the accumulator's contents out; the clocks go to
 * *meta. Stops at the first fn error. Used by load and by `savepoint dump`. */
int prt_winop_snap_each(prt_str in, const prt_schema *key_schema, const prt_schema *acc_schema,
                        prt_winop_meta *meta, int (*fn)(void *arg, prt_win_state *s, prt_err *e), void *arg,
                        prt_err *e);

/* One window's fields after its key, as the snapshot has them: start, end, max_ts, count,
 * flush_seq and the pending timers (the accumulator's bytes follow, written by the caller). The
 * cold store of the rocksdb backend (prt_window_cold.c) keeps windows in the same form.
 * get: PRT_ERR when truncated or malformed. */
void prt_winsnap_put_window(prt_buf *b, const prt_win_state *s);
int prt_winsnap_get_window(prt_str *in, prt_win_state *s);

#endif
