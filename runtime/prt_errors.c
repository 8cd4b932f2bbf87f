/* prt_errors.c — where bad records go: the errors sink when the job declares one, else a
 * counter plus a log line at most once a second; and the late-dropped counters per stage.
 *
 * A bad record never stops the job and is never silently lost: it is either written to the
 * errors sink, or logged, or counted in a "not shown" line, and always counted in m.errors.
 * The counters and the record buffer live in the prt_run (prt_jobpriv.h); prt_errors_free
 * releases them.
 */
#include "prt_admin.h"
#include "prt_jobpriv.h"
#include "prt_format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static prt_out_format out_format(const char *f)
{
    if (f && strcmp(f, "csv") == 0)
        return PRT_OUT_CSV;
    if (f && strcmp(f, "kv") == 0)
        return PRT_OUT_KV;
    return PRT_OUT_JSON;
}

static const char *connector_of(prt_job *j, int src)
{
    return src >= 0 && src < j->desc->nsources ? j->desc->sources[src].connector : "";
}

/* " (data.kv:3)", " (topic partition 2 offset 17)" or " (gen #17)" for the current record. */
static void position_text(prt_job *j, prt_buf *b)
{
    const prt_raw *r = j->cur;
    const char *c = connector_of(j, j->cur_source);
    const char *origin = r->origin ? r->origin : "?";
    if (strcmp(c, "kafka") == 0)
        prt_buf_printf(b, " (%s partition %d offset %lld)", origin, (int)r->partition,
                       (long long)r->offset);
    else if (strcmp(c, "generator") == 0)
        prt_buf_printf(b, " (%s #%lld)", origin, (long long)r->offset);
    else
        prt_buf_printf(b, " (%s:%lld)", origin, (long long)r->offset);
}

static void to_sink(prt_job *j, const char *stage, const prt_err *e)
{
    prt_run *run = PRT_RUN(j);
    const prt_job_desc *d = j->desc;
    const prt_sink_desc *sd = &d->sinks[d->errors_sink];
    prt_writer w;

    prt_w_begin(&w, out_format(sd->format), ',', &run->err_rec);
    if (j->cur) {
        const prt_raw *r = j->cur;
        const char *c = connector_of(j, j->cur_source);
        prt_w_str(&w, "source", prt_str_c(d->sources[j->cur_source].name));
        prt_w_str(&w, "origin", prt_str_c(r->origin ? r->origin : ""));
        if (strcmp(c, "kafka") == 0) {
            prt_w_int(&w, "partition", r->partition);
            prt_w_int(&w, "offset", r->offset);
        } else if (strcmp(c, "generator") == 0) {
            prt_w_int(&w, "offset", r->offset);
        } else {
            prt_w_int(&w, "line", r->offset);
        }
    }
    if (stage)
        prt_w_str(&w, "stage", prt_str_c(stage));
    prt_w_str(&w, "error", prt_str_c(e->msg));
    if (j->cur)
        prt_w_str(&w, "record", j->cur->data);
    prt_w_end(&w);
    /* a failing errors sink fails the job, like any sink (prt_emit.c) */
    prt_sink_put(j, d->errors_sink, PRT_STR_LIT(""), prt_buf_str(&run->err_rec), PRT_NO_TS);
}

static void to_log(prt_job *j, const char *stage, const prt_err *e)
{
    prt_run *run = PRT_RUN(j);
    int64_t now = prt_mono_ms();
    if (run->err_last_log != INT64_MIN && now - run->err_last_log < 1000) {
        run->err_suppressed++;
        run->err_suppressed_total++;
        return;
    }
    run->err_last_log = now;
    prt_buf b = { 0 };
    if (j->cur) {
        prt_buf_printf(&b, "bad record in %s", j->desc->sources[j->cur_source].name);
        position_text(j, &b);
    } else {
        prt_buf_puts(&b, "bad record");
    }
    if (stage)
        prt_buf_printf(&b, " at stage %s", stage);
    prt_buf_printf(&b, ": %s", e->msg);
    if (run->err_suppressed)
        prt_buf_printf(&b, " (%llu more bad records not shown)",
                       (unsigned long long)run->err_suppressed);
    run->err_suppressed = 0;
    prt_log(j, "%.*s", (int)b.n, b.p);
    prt_buf_free(&b);
}

void prt_errors_report(prt_job *j, const char *stage, const prt_err *e)
{
    j->m.errors++;
    prt_stats_count_error(j, stage, e);
    if (j->desc->errors_sink >= 0 && j->sinks && j->sinks[j->desc->errors_sink])
        to_sink(j, stage, e);
    else
        to_log(j, stage, e);
}

void prt_record_error(prt_job *j, const char *stage, const prt_err *e)
{
    prt_errors_report(j, stage, e);
}

void prt_late_dropped(prt_job *j, const char *stage)
{
    prt_run *run = PRT_RUN(j);
    j->m.late_dropped++;
    prt_stats_count_late(j, stage);
    for (int i = 0; i < run->nlate; i++)
        if (run->late[i].stage == stage || strcmp(run->late[i].stage, stage) == 0) {
            run->late[i].n++;
            return;
        }
    prt_late_count *v = realloc(run->late, (size_t)(run->nlate + 1) * sizeof *v);
    prt_assert(v != NULL);
    run->late = v;
    run->late[run->nlate++] = (prt_late_count){ stage, 1 };
}

void prt_errors_late_text(prt_job *j, prt_buf *b)
{
    prt_run *run = PRT_RUN(j);
    for (int i = 0; i < run->nlate; i++)
        prt_buf_printf(b, "%s%s=%llu", i ? ", " : "", run->late[i].stage,
                       (unsigned long long)run->late[i].n);
}

void prt_errors_summary(prt_job *j)
{
    prt_run *run = PRT_RUN(j);
    if (run->err_suppressed)
        prt_log(j, "%llu more bad records not shown", (unsigned long long)run->err_suppressed);
    run->err_suppressed = 0;
}

void prt_errors_free(prt_job *j)
{
    prt_run *run = PRT_RUN(j);
    prt_buf_free(&run->err_rec);
    free(run->late);
    run->late = NULL;
    run->nlate = 0;
}
