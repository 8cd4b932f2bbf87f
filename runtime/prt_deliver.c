/* prt_deliver.c — records on their way in: a source hands one raw record to the generated code
 * (prt_source_deliver), which parses it and pushes it through the stages; the record's event
 * time then moves its partition's watermark. Also the partitions a source declares.
 *
 * A record that does not parse goes to prt_errors_report; it still counts as a record in.
 */
#include "prt_jobpriv.h"
#include "prt_snap.h"
#include "prt_wm.h"

#include <stdio.h>

void prt_source_partition_add(prt_source *s, int32_t partition)
{
    if (!s->wm)
        return;
    prt_wm_partition_add(s->wm, partition, s->job->now);
    if (s->wm_seed.n)
        prt_snap_seed_partition(s, partition);
}

void prt_source_partition_remove(prt_source *s, int32_t partition)
{
    if (!s->wm)
        return;
    prt_wm_partition_remove(s->wm, partition);
    int64_t wm;
    if (prt_wm_recompute(s->wm, &wm) && s->job->desc->watermark)
        s->job->desc->watermark(s->job, s->index, wm);
}

void prt_source_deliver(prt_source *s, const prt_raw *raw)
{
    prt_job *j = s->job;
    int64_t ts = PRT_NO_TS;
    prt_err e;

    j->cur = raw;
    j->cur_source = s->index;
    prt_scratch_reset(&j->scratch);
    e.msg[0] = '\0';
    int rc = s->desc->on_record(j, raw, &ts, &e);
    if (rc == PRT_SKIP) { /* a csv header line: not a record */
        j->cur = NULL;
        return;
    }
    j->m.records_in++;
    prt_ctr_add(&j->stats->src_in[s->index], 1);
    if (rc != PRT_OK) {
        if (!e.msg[0])
            snprintf(e.msg, sizeof e.msg, "record does not parse");
        prt_errors_report(j, NULL, &e);
    } else if (s->wm && ts != PRT_NO_TS) {
        int64_t wm;
        if (prt_wm_record(s->wm, raw->partition, ts, j->now, &wm) && j->desc->watermark)
            j->desc->watermark(j, s->index, wm);
    }
    j->cur = NULL;
}
