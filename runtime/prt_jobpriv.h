/* prt_jobpriv.h — the runtime's private view of a running job (not for generated code).
 *
 * prt_main allocates a prt_run whose first member is the public prt_job, so every prt_job*
 * the runtime hands out can be turned back into its prt_run with PRT_RUN(). The run owns
 * everything it points to.
 */
#ifndef PRT_JOBPRIV_H
#define PRT_JOBPRIV_H

#include "prt_job.h"

typedef struct prt_late_count {
    const char *stage; /* borrowed from generated code (a string literal) */
    uint64_t n;
} prt_late_count;

typedef struct prt_run {
    prt_job j;              /* first member */
    int quiet;              /* --quiet: no progress and no summary */
    int failed;             /* a sink or source failed: the job stops with exit 1 */
    int *done;              /* by source index: the source reached its end */
    int64_t started_mono;   /* monotonic ms at start */
    uint64_t unflushed;     /* records written to sinks since the last flush */
    /* errors (prt_errors.c) */
    prt_buf err_rec;        /* the errors sink's record being built */
    int64_t err_last_log;   /* monotonic ms of the last logged bad record; INT64_MIN never */
    uint64_t err_suppressed;/* bad records not logged since the last logged one */
    uint64_t err_suppressed_total;
    prt_late_count *late;   /* per stage; owned array */
    int nlate;
} prt_run;

#define PRT_RUN(jp) ((prt_run *)(jp))

/* Monotonic and wall clocks in ms. */
int64_t prt_mono_ms(void);
int64_t prt_wall_ms(void);

/* Marks the job failed (exit 1) and stops the loop; the caller already printed the reason. */
void prt_run_fail(prt_job *j);

/* A record failed (stage NULL: it did not parse). Uses j->cur and j->cur_source. */
void prt_errors_report(prt_job *j, const char *stage, const prt_err *e);
/* Writes the closing lines about bad records (suppressed log lines) on stderr. */
void prt_errors_summary(prt_job *j);
/* Per-stage late-dropped counts as "stage=N, stage=N" into b (nothing when none). */
void prt_errors_late_text(prt_job *j, prt_buf *b);
void prt_errors_free(prt_job *j);

/* Formats ms as RFC 3339 UTC into dst (for logs). */
void prt_job_fmt_ts(char *dst, size_t cap, int64_t ms);

#endif
