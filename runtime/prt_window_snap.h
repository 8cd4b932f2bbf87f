/* prt_window_snap.h — the canonical byte form of a window operator's state: its clocks and every
 * (key, window, accumulator) of a key-group range with the window's pending timers, built on
 * prt_winop_walk / prt_winop_restore. What checkpoints store per operator; a snapshot taken
 * with one state backend or parallelism loads into any other (docs/state-encoding.md).
 */
#ifndef PRT_WINDOW_SNAP_H
#define PRT_WINDOW_SNAP_H

#include "prt_window.h"

#define PRT_WINOP_SNAP_VERSION 1

/* Appends the snapshot of key groups [kg_lo, kg_hi] (of max_parallelism) to out. */
void prt_winop_snapshot(const prt_winop *w, uint32_t max_parallelism, uint32_t kg_lo,
                        uint32_t kg_hi, prt_buf *out);
/* Loads a snapshot into w, a new operator with the same vtable and spec. PRT_ERR with e on
 * malformed bytes or state that does not fit the operator; w must then be discarded. */
int prt_winop_load(prt_winop *w, prt_str in, prt_err *e);

#endif
