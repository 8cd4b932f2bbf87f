/* prt_emit.c — records on their way out: generated code hands a formatted record to a sink
 * (prt_emit), the errors sink gets its records the same way (prt_sink_put), and the loop
 * flushes every sink (prt_sinks_flush).
 *
 * A sink that fails to write fails the job (exit 1) and nothing more is written anywhere; the
 * sink printed the reason.
 */
#include "prt_jobpriv.h"

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

void prt_emit(prt_job *j, int sink, prt_str key, prt_str value, int64_t ts)
{
    if (prt_sink_put(j, sink, key, value, ts) == PRT_OK)
        j->m.records_out++;
}

int prt_sinks_flush(prt_job *j)
{
    int rc = PRT_OK;
    for (int i = 0; j->sinks && i < j->desc->nsinks; i++) {
        prt_sink *k = j->sinks[i];
        if (k && k->ops->flush && k->ops->flush(k) != PRT_OK)
            rc = PRT_ERR; /* the connector printed the reason */
    }
    PRT_RUN(j)->unflushed = 0;
    return rc;
}
