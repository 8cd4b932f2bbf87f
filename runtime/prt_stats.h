/* prt_stats.h — what a running job publishes for the admin endpoint (/metrics, /api/job, the
 * page): counters bumped on the record path and gauges refreshed between polls.
 *
 * Threading: one writer, the job's thread; any number of readers (the admin thread). Counters
 * and gauges are relaxed atomics written with a plain load + store (one writer: no lock prefix,
 * no lock), so counting a record costs what a plain increment costs. Only the rings of recent
 * errors and checkpoints take `mu`, and only on the error and checkpoint paths.
 * Ownership: the job (prt_run.c) owns its prt_stats; readers borrow it while the job exists.
 */
#ifndef PRT_STATS_H
#define PRT_STATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef _Atomic uint64_t prt_ctr;
typedef _Atomic int64_t prt_gauge;

static inline void prt_ctr_add(prt_ctr *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}
static inline uint64_t prt_ctr_get(prt_ctr *c) { return atomic_load_explicit(c, memory_order_relaxed); }
static inline void prt_gauge_set(prt_gauge *g, int64_t v) { atomic_store_explicit(g, v, memory_order_relaxed); }
static inline int64_t prt_gauge_get(prt_gauge *g) { return atomic_load_explicit(g, memory_order_relaxed); }

#define PRT_STATS_PARTS 64   /* partitions per source with their own watermark gauge */
#define PRT_STATS_RECENT 16  /* recent errors kept for the page */
#define PRT_STATS_CHK 16     /* recent checkpoints kept for the page */

/* The job's life, as /api/job and /readyz tell it. */
enum {
    PRT_ST_STARTING,  /* connectors opening, restore running */
    PRT_ST_RUNNING,
    PRT_ST_STOPPING,  /* a signal or /api/stop: final work before exit */
    PRT_ST_FINISHED,  /* all bounded input processed */
    PRT_ST_FAILED
};

typedef struct prt_recent_error {
    int64_t at_ms;      /* wall clock */
    char where[64];     /* "source orders" or "stage not_cancelled" */
    char reason[192];
} prt_recent_error;

typedef struct prt_chk_record {
    int64_t id, at_ms, duration_ms, bytes;
    int ok;
} prt_chk_record;

typedef struct prt_stats {
    int nnodes, nsources, nsinks, noperators;
    prt_ctr *node_out;     /* per node (desc->nodes: sources, stages, sinks): records emitted */
    prt_ctr *node_errors;  /* per node: records that failed there (sources: did not parse) */
    prt_ctr *node_late;    /* per node: late records dropped */
    prt_ctr *src_in;       /* per source: records read, bad ones included */
    prt_ctr *src_reconnects; /* per source: connections made again after one was lost */
    prt_ctr *sink_in;      /* per sink: records written */
    prt_gauge *src_wm;     /* per source: watermark ms (INT64_MIN none yet, INT64_MAX ended) */
    prt_gauge *part_wm;    /* per source × PRT_STATS_PARTS: partition watermark */
    prt_gauge *part_state; /* same shape: 0 absent, 1 active, 2 idle */
    prt_gauge *part_lag;   /* same shape: records not read yet (-1 unknown; prt_source_ops.lag) */
    char (*part_name)[48]; /* same shape: the connector's partition name ("topic:3"), written
                              once by the job thread before part_named is set */
    atomic_int *part_named;
    prt_gauge *op_keys, *op_windows; /* per operator of desc->operators */
    prt_gauge *op_chk_bytes;         /* same: its state file in the last completed checkpoint */
    prt_gauge status, ready;
    prt_gauge started_ms;  /* wall clock at start */
    prt_gauge published_ms;/* wall clock of the last publish */
    prt_ctr checkpoints, checkpoints_failed;
    prt_gauge chk_last_duration_ms, chk_last_bytes, chk_last_id;
    pthread_mutex_t mu;    /* the two rings below */
    prt_recent_error recent[PRT_STATS_RECENT];
    uint64_t nrecent;      /* errors ever recorded; the ring holds the last PRT_STATS_RECENT */
    prt_chk_record chk[PRT_STATS_CHK];
    uint64_t nchk;
} prt_stats;

/* Allocates zeroed counters for the given shape; watermarks start at INT64_MIN. Owned by the
 * caller, freed with prt_stats_free. */
prt_stats *prt_stats_new(int nnodes, int nsources, int nsinks, int noperators);
void prt_stats_free(prt_stats *s);

/* Error and checkpoint paths (job thread). where/reason are copied (truncated to fit). */
void prt_stats_error(prt_stats *s, const char *where, const char *reason, int64_t now_ms);
/* A checkpoint completed (ok) or failed; the checkpoint writer calls this. */
void prt_stats_checkpoint(prt_stats *s, int64_t id, int64_t duration_ms, int64_t bytes, int ok,
                          int64_t now_ms);

/* Copies of the rings for a reader, newest last; returns how many were copied (<= cap). */
int prt_stats_recent_errors(prt_stats *s, prt_recent_error *out, int cap, uint64_t *total);
int prt_stats_recent_checkpoints(prt_stats *s, prt_chk_record *out, int cap);

/* Resident set size of this process in bytes (from /proc/self/statm), 0 when unknown. */
int64_t prt_stats_rss(void);

#endif
