/* prt_emit.c — records on their way out: generated code hands a formatted record to a sink
 * (prt_emit, or prt_emit_line, inline, and prt_emit_line_slow for a record formatted straight into a sink's line buffer,
 * prt_job.h), the errors sink gets its records the same way (prt_sink_put), and the loop
 * flushes every sink (prt_sinks_flush).
 *
 * A sink that fails to write fails the job (exit 1) and nothing more is written anywhere; the
 * sink printed the reason. With worker threads (parallelism > 1) every write and flush happens
 * under the run's one lock, held for the one call: records of one key come from one worker, in
 * its order, so per key the output order does not depend on the parallelism.
 */
#include "prt_jobpriv.h"

#include <stdlib.h>

void prt_shared_lock(prt_job *j)
{
    if (PRT_RUN(j)->shared)
        pthread_mutex_lock(&PRT_RUN(j)->mu);
}

void prt_shared_unlock(prt_job *j)
{
    if (PRT_RUN(j)->shared)
        pthread_mutex_unlock(&PRT_RUN(j)->mu);
}

int prt_sink_put(prt_job *j, int sink, prt_str key, prt_str value, int64_t ts)
{
    prt_run *run = PRT_RUN(j);
    if (run->failed)
        return PRT_ERR;
    prt_assert(sink >= 0 && sink < j->desc->nsinks);
    prt_sink *k = j->sinks[sink];
    if (k->ops->write(k, key, value, ts) != PRT_OK) {
        prt_run_fail(j); /* the connector printed the reason */
        return PRT_ERR;
    }
    run->unflushed++;
    prt_ctr_add(&j->stats->sink_in[sink], 1);
    return PRT_OK;
}

void prt_emit(prt_worker *wk, int sink, prt_str key, prt_str value, int64_t ts)
{
    prt_job *j = wk->job;
    prt_shared_lock(j);
    if (prt_sink_put(j, sink, key, value, ts) == PRT_OK)
        j->m.records_out++;
    prt_shared_unlock(j);
}

void prt_emit_line_slow(prt_worker *wk, int sink, size_t at)
{
    prt_job *j = wk->job;
    prt_run *run = PRT_RUN(j);
    prt_sink *k = j->sinks[sink];
    if (run->failed) { /* as prt_sink_put: nothing more is written anywhere */
        k->lines->n = at;
        return;
    }
    prt_buf_putc(k->lines, '\n');
    if (k->lines->n >= k->full && k->ops->flush(k) != PRT_OK) {
        prt_run_fail(j); /* the connector printed the reason */
        return;
    }
    run->unflushed++;
    prt_ctr_add(&j->stats->sink_in[sink], 1);
    j->m.records_out++;
}

void prt_emit_header(prt_worker *wk, int sink, prt_str key, prt_str line, int64_t ts)
{
    prt_job *j = wk->job;
    prt_run *run = PRT_RUN(j);
    prt_shared_lock(j);
    if (!run->header_done) {
        run->header_done = calloc((size_t)j->desc->nsinks, 1);
        prt_assert(run->header_done != NULL);
    }
    if (!run->header_done[sink]) {
        run->header_done[sink] = 1;
        if (prt_sink_put(j, sink, key, line, ts) == PRT_OK)
            j->m.records_out++; /* counted as a record out, as it always was */
    }
    prt_shared_unlock(j);
}

int prt_sinks_flush(prt_job *j)
{
    int rc = PRT_OK;
    prt_shared_lock(j);
    for (int i = 0; j->sinks && i < j->desc->nsinks; i++) {
        prt_sink *k = j->sinks[i];
        if (k && k->ops->flush && k->ops->flush(k) != PRT_OK)
            rc = PRT_ERR; /* the connector printed the reason */
    }
    PRT_RUN(j)->unflushed = 0;
    prt_shared_unlock(j);
    return rc;
}
