/* prt_connectors.c — the connector registry (which ops serve a connector name, which run modes
 * connectors offer) and opening and closing a job's sources and sinks.
 *
 * Sinks open before sources, so a source never delivers into a sink that is not there yet.
 * Ownership: an opened prt_source / prt_sink (and the source's watermark tracker) belongs to
 * the caller until stored in j->sources / j->sinks; then to the job.
 */
#include "prt_jobpriv.h"
#include "prt_wm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- the registry */

const prt_source_ops *prt_connector_source(const char *connector)
{
    static const prt_source_ops *const all[] = { &prt_src_file, &prt_src_stdin,
                                                 &prt_src_generator, &prt_src_kafka, &prt_src_socket,
                                                 &prt_src_pg, &prt_src_test };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (strcmp(all[i]->connector, connector) == 0)
            return all[i];
    return NULL;
}

const prt_sink_ops *prt_connector_sink(const char *connector)
{
    static const prt_sink_ops *const all[] = { &prt_snk_file, &prt_snk_stdout, &prt_snk_kafka, &prt_snk_pg,
                                               &prt_snk_test };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (strcmp(all[i]->connector, connector) == 0)
            return all[i];
    return NULL;
}

const prt_run_mode *prt_run_mode_at(int i)
{
    static const prt_run_mode *const all[] = { &prt_kafka_embedded_mode };
    return i >= 0 && (size_t)i < sizeof all / sizeof *all ? all[i] : NULL;
}

void prt_source_reconnected(prt_source *s)
{
    prt_stats *st = s->job->stats;
    if (st && s->index >= 0 && s->index < st->nsources)
        prt_ctr_add(&st->src_reconnects[s->index], 1);
}

/* ---------------------------------------------------------------- one source or sink */

prt_source *prt_source_open(prt_job *j, int index, int64_t out_of_orderness, int64_t idle)
{
    const prt_source_desc *sd = &j->desc->sources[index];
    const prt_source_ops *ops = prt_connector_source(sd->connector);
    prt_assert(ops != NULL); /* checked by prt_connectors_open or the caller */
    prt_source *s = calloc(1, sizeof *s);
    prt_assert(s != NULL);
    s->ops = ops;
    s->job = j;
    s->index = index;
    s->desc = sd;
    snprintf(s->prefix, sizeof s->prefix, "sources.%s.%s.", sd->name, sd->connector);
    if (sd->event_time)
        s->wm = prt_wm_new(out_of_orderness, idle);
    if (s->ops->open(s) != PRT_OK) {
        prt_wm_free(s->wm);
        free(s);
        return NULL;
    }
    return s;
}

void prt_source_close(prt_source *s)
{
    if (!s)
        return;
    if (s->ops->close)
        s->ops->close(s);
    prt_wm_free(s->wm);
    prt_buf_free(&s->wm_seed);
    free(s);
}

prt_sink *prt_sink_open(prt_job *j, int index)
{
    const prt_sink_desc *kd = &j->desc->sinks[index];
    const prt_sink_ops *ops = prt_connector_sink(kd->connector);
    prt_assert(ops != NULL);
    prt_sink *k = calloc(1, sizeof *k);
    prt_assert(k != NULL);
    k->ops = ops;
    k->job = j;
    k->index = index;
    k->desc = kd;
    k->failed = &PRT_RUN(j)->failed;
    k->unflushed = &PRT_RUN(j)->unflushed;
    if (index == j->desc->errors_sink)
        snprintf(k->prefix, sizeof k->prefix, "errors.%s.", kd->connector);
    else
        snprintf(k->prefix, sizeof k->prefix, "sinks.%s.%s.", kd->name, kd->connector);
    if (k->ops->open(k) != PRT_OK) {
        free(k);
        return NULL;
    }
    return k;
}

void prt_sink_close(prt_sink *k)
{
    if (!k)
        return;
    if (k->ops->close)
        k->ops->close(k);
    free(k);
}

/* ---------------------------------------------------------------- all of a job's */

int prt_connectors_open(prt_job *j, int *usage)
{
    const prt_job_desc *d = j->desc;

    j->sinks = calloc((size_t)(d->nsinks ? d->nsinks : 1), sizeof *j->sinks);
    j->sources = calloc((size_t)(d->nsources ? d->nsources : 1), sizeof *j->sources);
    prt_assert(j->sinks && j->sources);

    /* watermark settings first: a bad value is a configuration error (exit 2), found before
     * anything connects */
    int64_t *ooo = calloc((size_t)(d->nsources ? d->nsources : 1), sizeof *ooo);
    int64_t *idle = calloc((size_t)(d->nsources ? d->nsources : 1), sizeof *idle);
    prt_assert(ooo && idle);
    for (int i = 0; i < d->nsources; i++) {
        char path[256];
        snprintf(path, sizeof path, "sources.%s.watermark.out_of_orderness", d->sources[i].name);
        if (prt_cfg_dur(j, path, 0, &ooo[i]) != PRT_OK)
            *usage = 1;
        snprintf(path, sizeof path, "sources.%s.watermark.idle", d->sources[i].name);
        if (prt_cfg_dur(j, path, 0, &idle[i]) != PRT_OK)
            *usage = 1;
    }
    for (int i = 0; i < d->nsinks && !*usage; i++)
        if (!prt_connector_sink(d->sinks[i].connector)) {
            prt_log(j, "sink %s: unknown connector '%s'", d->sinks[i].name, d->sinks[i].connector);
            *usage = 1;
        }
    for (int i = 0; i < d->nsources && !*usage; i++)
        if (!prt_connector_source(d->sources[i].connector)) {
            prt_log(j, "source %s: unknown connector '%s'", d->sources[i].name,
                    d->sources[i].connector);
            *usage = 1;
        }

    int rc = *usage ? PRT_ERR : PRT_OK;
    for (int i = 0; i < d->nsinks && rc == PRT_OK; i++)
        if (!(j->sinks[i] = prt_sink_open(j, i)))
            rc = PRT_ERR;
    for (int i = 0; i < d->nsources && rc == PRT_OK; i++)
        if (!(j->sources[i] = prt_source_open(j, i, ooo[i], idle[i])))
            rc = PRT_ERR;
    free(ooo);
    free(idle);
    return rc;
}

void prt_connectors_close(prt_job *j)
{
    for (int i = 0; j->sources && i < j->desc->nsources; i++) {
        prt_source_close(j->sources[i]);
        j->sources[i] = NULL;
    }
    for (int i = 0; j->sinks && i < j->desc->nsinks; i++) {
        prt_sink_close(j->sinks[i]);
        j->sinks[i] = NULL;
    }
}
