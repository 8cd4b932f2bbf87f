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
    size_t key_size, acc_size;
    int (*key_eq)(const void *a, const void *b);
    void (*key_copy)(void *dst, const void *src); /* deep copy: dst owns its strings */
    void (*key_free)(void *key);
    void (*acc_init)(void *acc);
    void (*acc_merge)(void *dst, const void *src); /* session merge: fold src into dst */
    void (*acc_free)(void *acc);
    /* One window result. For RUNNING, start = end = 0. */
    void (*fire)(void *ctx, const void *key, int64_t start, int64_t end, const void *acc, int64_t ts);
} prt_win_vt;

typedef struct prt_winop prt_winop;

/* Allocates an operator; ctx is passed to vt->fire. NULL on a bad spec (size <= 0, slide > size...). */
prt_winop *prt_winop_new(const prt_win_spec *spec, const prt_win_vt *vt, void *ctx);
void prt_winop_free(prt_winop *w);

/* Assigns a record with event time ts (processing time: the current wall clock) to its windows.
 * Returns how many windows accept it; their accumulators are prt_winop_accs(w)[0..n). */
int prt_winop_add(prt_winop *w, const void *key, uint64_t hash, int64_t ts);
void **prt_winop_accs(prt_winop *w);
uint64_t prt_winop_seq(prt_winop *w); /* arrival number of the record being added (first/last) */
void prt_winop_added(prt_winop *w);

/* Moves the operator's clock to t (never backwards): fires every window whose max timestamp
 * <= t and purges every window whose max timestamp + lateness <= t. t = INT64_MAX (end of
 * input) fires every open window, including non-empty global panes. */
void prt_winop_advance(prt_winop *w, int64_t t);
int64_t prt_winop_clock(const prt_winop *w);
int64_t prt_winop_next_timer(const prt_winop *w); /* INT64_MAX when none */

typedef struct prt_winop_stats {
    uint64_t keys, windows;     /* live */
    uint64_t fired, late_fired; /* results emitted (late firings included in fired) */
    uint64_t purged;
} prt_winop_stats;
void prt_winop_stats_get(const prt_winop *w, prt_winop_stats *out);

/* Exact distinct counting for count_distinct(): values by their 64-bit pattern, or strings. */
typedef struct prt_distinct prt_distinct;
prt_distinct *prt_distinct_new(void);
void prt_distinct_add_u64(prt_distinct *d, uint64_t bits);
void prt_distinct_add_str(prt_distinct *d, prt_str s); /* copies s when new */
void prt_distinct_merge(prt_distinct *dst, const prt_distinct *src);
uint64_t prt_distinct_count(const prt_distinct *d);
void prt_distinct_free(prt_distinct *d);

#endif
