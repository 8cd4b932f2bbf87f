/* prt_jobpriv.h — the core's private view of a running job (prt_run.c, prt_loop.c,
 * prt_connectors.c, prt_deliver.c, prt_emit.c, prt_errors.c, prt_cli.c; and unit tests).
 * Connectors use prt_connector.h instead, generated code prt_job.h.
 *
 * prt_job_new allocates a prt_run whose first member is the public prt_job, so every prt_job*
 * the runtime hands out can be turned back into its prt_run with PRT_RUN(). The run owns
 * everything it points to; prt_job_free releases all of it.
 */
#ifndef PRT_JOBPRIV_H
#define PRT_JOBPRIV_H

#include "prt_connector.h"

#include <pthread.h>

typedef struct prt_late_count {
    const char *stage; /* borrowed from generated code (a string literal) */
    uint64_t n;
} prt_late_count;

typedef struct prt_run {
    prt_job j;              /* first member */
    int quiet;              /* --quiet: no progress and no summary */
    int failed;             /* a sink or source failed: the job stops with exit 1 */
    int *done;              /* by source index: the source reached its end */
    int hold_at_end;        /* a source's end does not move its watermark to +inf (a savepoint
                             * on exit without --drain keeps open windows open) */
    int64_t started_mono;   /* monotonic ms at start */
    uint64_t unflushed;     /* records written to sinks since the last flush */
    /* errors (prt_errors.c) */
    prt_buf err_rec;        /* the errors sink's record being built */
    int64_t err_last_log;   /* monotonic ms of the last logged bad record; INT64_MIN never */
    uint64_t err_suppressed;/* bad records not logged since the last logged one */
    uint64_t err_suppressed_total;
    prt_late_count *late;   /* per stage; owned array */
    int nlate;
    /* parallelism > 1: sinks, errors and counters are shared by threads under this lock */
    int shared;
    pthread_mutex_t mu;
    uint8_t *header_done;   /* by sink index: a csv header was written */
    struct prt_admin *admin;/* the admin endpoint (prt_admin.h), or NULL; owned */
    /* the progress line on a terminal (prt_progress.c) */
    int progress_checked, progress_tty, progress_shown;
    int64_t progress_last;  /* monotonic ms of the last line */
    uint64_t progress_in;   /* records in at the last line */
    struct prt_ckpt *ckpt;  /* checkpoint coordinator (prt_ckpt.h), NULL without checkpoints; owned */
    struct prt_state **stores; /* state.backend rocksdb: one store per worker (prt_winstore.h); owned */
    int nstores;
} prt_run;

/* The shared part of the job, locked when worker threads run (prt_emit.c). */
void prt_shared_lock(prt_job *j);
void prt_shared_unlock(prt_job *j);

#define PRT_RUN(jp) ((prt_run *)(jp))

/* Marks the job failed (exit 1) and stops the loop; the caller already printed the reason. */
static inline void prt_run_fail(prt_job *j)
{
    PRT_RUN(j)->failed = 1;
    j->stop = 1;
}

/* ---------------------------------------------------------------- prt_run.c */

/* The options of `run` (prt_cli.c fills them). */
typedef struct prt_run_opts {
    const char **sets;      /* "--set" arguments, "path=value" */
    int nsets;
    const prt_run_mode *modes[8]; /* connector run modes given on the command line */
    int nmodes;
    int quiet;
    const char *from_savepoint;     /* --from-savepoint DIR (else the YAML's `savepoint:`) */
    int allow_non_restored;         /* --allow-non-restored-state */
    const char *savepoint_on_exit;  /* --savepoint-on-exit DIR: at the end of bounded input */
    int drain;                      /* --drain: fire open windows before that savepoint */
    const char *admin;      /* --admin ADDR (else the setting admin.listen), or NULL */
} prt_run_opts;

/* A job with its settings resolved (${NAME}, then the --set arguments) and its generated state
 * allocated; no connector is open. NULL after printing the diagnostic (a configuration error:
 * exit 2). Freed with prt_job_free. */
prt_job *prt_job_new(const prt_job_desc *d, const char *const *sets, int nsets);
/* Closes what is still open and frees the job (NULL is fine). */
void prt_job_free(prt_job *j);
/* `run`: the whole life of a job; returns the exit status (0, 1 or 2). */
int prt_run_job(const prt_job_desc *d, const prt_run_opts *o);

/* ---------------------------------------------------------------- prt_connectors.c */

/* Opens every sink then every source of the job (watermark settings are read first). PRT_ERR
 * when one failed: *usage is set for configuration errors found by the runtime itself (exit 2),
 * else the connector printed why (exit 1). */
int prt_connectors_open(prt_job *j, int *usage);
/* Closes and frees every open source, then every open sink. */
void prt_connectors_close(prt_job *j);
/* One source or sink of the descriptor, opened (NULL when it could not: it printed why). The
 * caller owns the result until it stores it in j->sources / j->sinks. */
prt_source *prt_source_open(prt_job *j, int index, int64_t out_of_orderness, int64_t idle);
void prt_source_close(prt_source *s);
prt_sink *prt_sink_open(prt_job *j, int index);
void prt_sink_close(prt_sink *k);

/* ---------------------------------------------------------------- prt_emit.c */

/* Writes one record to sink `sink`, counting it as unflushed; a failing sink fails the job.
 * PRT_ERR when the job has failed (now or before). */
int prt_sink_put(prt_job *j, int sink, prt_str key, prt_str value, int64_t ts);
/* Flushes every open sink; PRT_ERR when one failed (it printed why). */
int prt_sinks_flush(prt_job *j);

/* ---------------------------------------------------------------- prt_errors.c */

/* A record failed (stage NULL: it did not parse). Uses j->cur and j->cur_source. */
void prt_errors_report(prt_job *j, const char *stage, const prt_err *e);
/* Writes the closing lines about bad records (suppressed log lines) on stderr. */
void prt_errors_summary(prt_job *j);
/* Per-stage late-dropped counts as "stage=N, stage=N" into b (nothing when none). */
void prt_errors_late_text(prt_job *j, prt_buf *b);
void prt_errors_free(prt_job *j);

/* ---------------------------------------------------------------- prt_workers.c */

/* Allocates n workers with their key-group ranges and zeroed state, and with n > 1 the input
 * context and the queues (threads start later). PRT_ERR with e: a bad n, or a pipeline that
 * runs at parallelism 1 only. */
int prt_workers_new(prt_job *j, int n, prt_err *e);
void prt_workers_free(prt_job *j);
/* Starts the worker threads (n > 1; nothing otherwise). */
int prt_workers_start(prt_job *j, prt_err *e);
/* Hands every partly filled batch to its worker (the input thread, after each round). */
void prt_workers_flush(prt_job *j);
/* Waits until every worker processed everything handed to it: the workers are then quiet
 * until more is handed over (savepoints). */
void prt_workers_drain(prt_job *j);
/* Drains and ends the worker threads. */
void prt_workers_stop(prt_job *j);
/* The generated hooks on every worker: directly without threads, else in order with the
 * records through the queues (finish also drains). */
int prt_workers_init(prt_job *j);
void prt_workers_destroy(prt_job *j);
void prt_workers_watermark_any(prt_job *j, int source, int64_t wm);
/* Inline: after nearly every record of a time-ordered input, and one worker is the usual case. */
static inline void prt_workers_watermark(prt_job *j, int source, int64_t wm)
{
    if (j->nworkers == 1) {
        if (j->desc->watermark)
            j->desc->watermark(j->workers, source, wm);
        return;
    }
    prt_workers_watermark_any(j, source, wm);
}
void prt_workers_tick(prt_job *j, int64_t now);
void prt_workers_finish(prt_job *j);
/* ---------------------------------------------------------------- prt_log.c */

/* --log-format: "text" (default) or "json" (one object per line: ts, pipeline, msg). */
int prt_log_format(const char *name);

/* ---------------------------------------------------------------- prt_progress.c */

/* 1 when stderr is a terminal and not --quiet: a progress line replaces the 10 s status lines. */
int prt_progress_on(prt_job *j);
/* Rewrites the progress line (at most once a second): records, rate, percent and ETA where
 * the input's size is known. */
void prt_progress(prt_job *j, int64_t mono_ms);
/* Clears the progress line before the final summary. */
void prt_progress_end(prt_job *j);

/* ---------------------------------------------------------------- prt_loop.c */

/* Runs the loop until every source ended (returns 1) or the job stopped (signal or failure:
 * returns 0). Signals are installed by the caller (prt_signals_install). */
int prt_loop(prt_job *j);
/* "<what>N records in, N out, ..." on stderr: a progress or final line. */
void prt_status_line(prt_job *j, const char *what);
/* SIGINT/SIGTERM set j->stop (a second one exits at once); SIGPIPE is ignored. */
void prt_signals_install(prt_job *j);
void prt_signals_restore(void);

#endif
