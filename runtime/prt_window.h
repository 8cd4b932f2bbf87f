/* prt_window.h — the keyed window engine: window assignment, per-key window state, timers,
 * firing, allowed lateness, purging and session merging, with Flink DataStream semantics.
 *
 * The engine is generic; everything type-specific is generated and reached through prt_win_vt:
 * the key struct (hashed by generated code, compared and deep-copied through the vtable) and the
 * accumulator struct (updated in place by generated code, merged/fired through the vtable).
 *
 * Per input record, generated code does:
 *     int n = prt_winop_add(w, &key, hash, ts);       // assigns, creates or merges windows
 *     if (n == 0) -> late for every window: late_output or counted as dropped
 *     for (i = 0; i < n; i++) pg_acc_add(w->accs[i], rec, w->seq);   // generated, in place
 *     prt_winop_added(w);                              // late firings, count triggers, running
 * and on every watermark (or wall-clock tick for processing time):
 *     prt_winop_advance(w, wm);                        // fires, then purges, in timer order
 *
 * Ordering (deterministic, so outputs are exact): timers fire in (time, registration order).
 * Window results carry event time end - 1; running results carry the record's time; global-window
 * results carry the largest event time seen in the pane.
 */
#ifndef PRT_WINDOW_H
#define PRT_WINDOW_H

#include "prt_core.h"
#include "prt_schema.h"

typedef enum prt_win_kind {
    PRT_WIN_TUMBLING, /* size, offset */
    PRT_WIN_SLIDING,  /* size, slide, offset */
    PRT_WIN_SESSION,  /* gap: [ts, ts + gap), merged when overlapping or touching */
    PRT_WIN_GLOBAL,   /* one pane per key; fires every `count` records (purging if `purge`) */
    PRT_WIN_RUNNING   /* no window: one accumulator per key, a result after every record */
} prt_win_kind;

typedef struct prt_win_spec {
    prt_win_kind kind;
    int64_t size, slide, offset, gap; /* milliseconds */
    int64_t count;                    /* global: trigger count */
    int purge;                        /* global: clear the pane after each count firing */
    int64_t lateness;                 /* allowed lateness, ms (event time only) */
    int processing_time;              /* windows on the wall clock: no lateness, nothing is late */
} prt_win_spec;

typedef struct prt_win_vt {
    const prt_schema *key, *acc; /* field tables: sizes, deep copy, free, canonical encoding; a
                                  * zeroed accumulator is the empty one (the aggregates' identity) */
    int (*key_eq)(const void *a, const void *b);
    /* Folds src into dst: session merges; given for a sliding window, it promises an exact merge
     * (any grouping of the records gives the same bytes), and the engine may keep panes. */
    void (*acc_merge)(void *dst, const void *src);
    /* One window result. For RUNNING, start = end = 0. */
    void (*fire)(void *ctx, const void *key, uint64_t hash, int64_t start, int64_t end, const void *acc,
                 int64_t ts); /* hash: the key's, as given to prt_winop_add */
} prt_win_vt;

typedef struct prt_winop prt_winop;

/* The head of every operator, visible so that the calls made for every record and every
 * watermark can be inline tests (private to the engine otherwise: read it only through the
 * functions below). */
typedef struct prt_winop_hot {
    int64_t clock; /* event-time (or wall) clock */
    int64_t due;   /* no pending timer is due before it (a lower bound: INT64_MIN when not known),
                    * so moving the clock below it fires and purges nothing */
    void **accs;   /* the accumulators of the record being added */
    int nacc;
    int added;     /* prt_winop_added has work for the record just added (a firing, a count) */
} prt_winop_hot;

/* Allocates an operator; ctx is passed to vt->fire. NULL on a bad spec (size <= 0, slide > size...). */
prt_winop *prt_winop_new(const prt_win_spec *spec, const prt_win_vt *vt, void *ctx);
void prt_winop_free(prt_winop *w);

/* Assigns a record with event time ts (processing time: the current wall clock) to its windows.
 * Returns how many accumulators take it, prt_winop_accs(w)[0..n): one per window that accepts it,
 * or, for sliding windows kept as panes (prt_window_pane.c), 1, the pane's; 0 when the record is
 * late for every window. */
int prt_winop_add(prt_winop *w, const void *key, uint64_t hash, int64_t ts);
static inline void **prt_winop_accs(prt_winop *w) { return ((prt_winop_hot *)w)->accs; }
uint64_t prt_winop_seq(prt_winop *w); /* arrival number of the record being added (first/last) */
void prt_winop_added_any(prt_winop *w);
/* After the accumulators took the record: late firings, count triggers, running results. Most
 * records of a time window have none: a test inline. */
static inline void prt_winop_added(prt_winop *w)
{
    prt_winop_hot *h = (prt_winop_hot *)w;
    if (h->added)
        prt_winop_added_any(w);
    else
        h->nacc = 0;
}
/* RUNNING only: forgets key (its accumulator freed) as if it had never been added; 0 when the
 * operator has no such key. Not while an accumulator of it from prt_winop_accs is in use. */
int prt_winop_remove(prt_winop *w, const void *key, uint64_t hash);

/* Moves the operator's clock to t (never backwards): fires every window whose max timestamp
 * <= t and purges every window whose max timestamp + lateness <= t. t = INT64_MAX (end of
 * input) fires every open window, including non-empty global panes. */
void prt_winop_advance_any(prt_winop *w, int64_t t);
static inline void prt_winop_advance(prt_winop *w, int64_t t)
{
    prt_winop_hot *h = (prt_winop_hot *)w;
    if (t < h->clock)
        return;
    if (t < h->due) { /* nothing due yet (the watermark after nearly every in-order record) */
        h->clock = t;
        return;
    }
    prt_winop_advance_any(w, t);
}
static inline int64_t prt_winop_clock(const prt_winop *w) { return ((const prt_winop_hot *)w)->clock; }
int64_t prt_winop_next_timer(const prt_winop *w); /* INT64_MAX when none */

typedef struct prt_winop_stats {
    uint64_t keys, windows;     /* live */
    uint64_t fired, late_fired; /* results emitted (late firings included in fired) */
    uint64_t purged;
} prt_winop_stats;
void prt_winop_stats_get(const prt_winop *w, prt_winop_stats *out);

/* ---- walking and rebuilding (checkpoints, savepoints, rescaling) ---- */

/* A pending timer of a window: due time, registration number (equal-time timers fire in that
 * order), and what it does. */
typedef struct prt_win_timer {
    int64_t time;
    uint64_t seq;
    uint32_t what; /* PRT_WIN_TIMER_FIRE | PRT_WIN_TIMER_PURGE */
} prt_win_timer;

enum { PRT_WIN_TIMER_FIRE = 1, PRT_WIN_TIMER_PURGE = 2 };

/* One window of one key: everything needed to put it back into an engine. */
typedef struct prt_win_state {
    const void *key;        /* walk: borrowed; restore: copied */
    void *acc;              /* walk: borrowed; restore: its contents move into the engine */
    uint64_t hash;          /* the key's hash: its key group is hash % max_parallelism */
    int64_t start, end;     /* RUNNING: 0, 0; GLOBAL: INT64_MIN, INT64_MAX */
    int64_t max_ts;         /* GLOBAL: largest event time in the pane */
    uint64_t count;         /* GLOBAL: records since the last firing */
    uint64_t flush_seq;     /* GLOBAL: arrival number of the first of those */
    int ntimers;
    prt_win_timer timers[2];
} prt_win_state;

/* The operator's clocks: event-time (or wall) clock, arrival counter, timer counter. */
typedef struct prt_winop_meta {
    int64_t clock;
    uint64_t seq, timer_seq;
} prt_winop_meta;

const prt_win_vt *prt_winop_vt(const prt_winop *w);
void prt_winop_meta_get(const prt_winop *w, prt_winop_meta *m);
void prt_winop_meta_set(prt_winop *w, const prt_winop_meta *m);

/* How many windows lie in key groups [kg_lo, kg_hi] of max_parallelism. */
uint64_t prt_winop_count(const prt_winop *w, uint32_t max_parallelism, uint32_t kg_lo, uint32_t kg_hi);
/* Calls fn for every window whose key group (hash % max_parallelism) lies in [kg_lo, kg_hi], in
 * a deterministic order: key group, then the key's hash, then (for different keys with one
 * hash) the key's canonical bytes, then window start. Stops at
 * and returns the first non-zero fn result. */
int prt_winop_walk(const prt_winop *w, uint32_t max_parallelism, uint32_t kg_lo, uint32_t kg_hi,
                   int (*fn)(void *arg, const prt_win_state *s), void *arg);
/* Puts one walked window into an engine being rebuilt. Its timers keep their registration
 * numbers; their times follow this operator's spec (a changed allowed lateness applies). PRT_ERR
 * with e when it does not fit the operator (not one of its windows, already present, or a
 * window without timers). */
int prt_winop_restore(prt_winop *w, prt_win_state *s, prt_err *e);

/* ---- state larger than memory (state.backend: rocksdb; prt_window_cold.c) ---- */

struct prt_state;
/* From now on keys beyond `budget` bytes of in-memory state (an estimate from slot sizes) are
 * evicted to st (borrowed; it must outlive w) under operator id `op` and key groups of
 * max_parallelism, and loaded back when a record or a timer needs them. Results are exactly
 * those of the all-in-memory engine. PRT_ERR when already attached or the arguments are bad. */
int prt_winop_attach(prt_winop *w, struct prt_state *st, const char *op, uint32_t max_parallelism,
                     size_t budget, prt_err *e);
/* A store call failed (sticky): PRT_ERR with its reason; the job must stop. */
int prt_winop_failed(const prt_winop *w, prt_err *e);
/* Something was evicted: a walk reads the store (not in a forked child). */
int prt_winop_has_cold(const prt_winop *w);

/* Checkpoints of a store taken at the cut (docs/checkpoints.md): walks and counts leave out the
 * stored windows while on (the forked child writes only the in-memory part). */
void prt_winop_walk_memory_only(prt_winop *w, int on);
/* Restores the windows stored under op in st (a checkpoint's copy of a store) whose key group
 * lies in [kg_lo, kg_hi] of max_parallelism, accumulators saved with saved_acc (NULL: w's own)
 * and evolved as prt_winop_load_from does. */
int prt_winop_load_store(prt_winop *w, struct prt_state *st, const char *op, const prt_schema *saved_acc,
                         uint32_t max_parallelism, uint32_t kg_lo, uint32_t kg_hi, prt_err *e);

typedef struct prt_winop_cold_stats {
    uint64_t evictions, evicted_keys, loaded_keys;
    uint64_t gets, get_misses, puts, index_scans; /* store calls */
    uint64_t filtered;                            /* keys not in memory known not stored: no get */
    size_t mem_bytes, budget;                     /* the estimate of in-memory state, and its limit */
} prt_winop_cold_stats;
void prt_winop_cold_stats_get(const prt_winop *w, prt_winop_cold_stats *out);

#endif
