/* prt_stats.c — the published metrics of a job (prt_stats.h): allocation, the rings of recent
 * errors and checkpoints, and the process's RSS.
 *
 * Ownership: prt_stats_new's result belongs to the caller (the run); the arrays belong to it.
 */
#include "prt_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *zalloc(int n, size_t size)
{
    void *p = calloc((size_t)(n > 0 ? n : 1), size);
    if (!p) {
        fputs("pipec runtime: out of memory\n", stderr);
        abort();
    }
    return p;
}

prt_stats *prt_stats_new(int nnodes, int nsources, int nsinks, int noperators)
{
    prt_stats *s = zalloc(1, sizeof *s);
    s->nnodes = nnodes;
    s->nsources = nsources;
    s->nsinks = nsinks;
    s->noperators = noperators;
    s->node_out = zalloc(nnodes, sizeof *s->node_out);
    s->node_errors = zalloc(nnodes, sizeof *s->node_errors);
    s->node_late = zalloc(nnodes, sizeof *s->node_late);
    s->src_in = zalloc(nsources, sizeof *s->src_in);
    s->src_reconnects = zalloc(nsources, sizeof *s->src_reconnects);
    s->sink_in = zalloc(nsinks, sizeof *s->sink_in);
    s->src_wm = zalloc(nsources, sizeof *s->src_wm);
    s->part_wm = zalloc(nsources * PRT_STATS_PARTS, sizeof *s->part_wm);
    s->part_state = zalloc(nsources * PRT_STATS_PARTS, sizeof *s->part_state);
    s->part_lag = zalloc(nsources * PRT_STATS_PARTS, sizeof *s->part_lag);
    s->part_name = zalloc(nsources * PRT_STATS_PARTS, sizeof *s->part_name);
    s->part_named = zalloc(nsources * PRT_STATS_PARTS, sizeof *s->part_named);
    s->op_keys = zalloc(noperators, sizeof *s->op_keys);
    s->op_windows = zalloc(noperators, sizeof *s->op_windows);
    s->op_chk_bytes = zalloc(noperators, sizeof *s->op_chk_bytes);
    for (int i = 0; i < nsources; i++)
        prt_gauge_set(&s->src_wm[i], INT64_MIN);
    for (int i = 0; i < nsources * PRT_STATS_PARTS; i++) {
        prt_gauge_set(&s->part_wm[i], INT64_MIN);
        prt_gauge_set(&s->part_lag[i], -1);
    }
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void prt_stats_free(prt_stats *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    free(s->node_out);
    free(s->node_errors);
    free(s->node_late);
    free(s->src_in);
    free(s->src_reconnects);
    free(s->sink_in);
    free(s->src_wm);
    free(s->part_wm);
    free(s->part_state);
    free(s->part_lag);
    free(s->part_name);
    free(s->part_named);
    free(s->op_keys);
    free(s->op_windows);
    free(s->op_chk_bytes);
    free(s);
}

void prt_stats_error(prt_stats *s, const char *where, const char *reason, int64_t now_ms)
{
    pthread_mutex_lock(&s->mu);
    prt_recent_error *r = &s->recent[s->nrecent++ % PRT_STATS_RECENT];
    r->at_ms = now_ms;
    snprintf(r->where, sizeof r->where, "%s", where ? where : "");
    snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "");
    pthread_mutex_unlock(&s->mu);
}

void prt_stats_checkpoint(prt_stats *s, int64_t id, int64_t duration_ms, int64_t bytes, int ok,
                          int64_t now_ms)
{
    pthread_mutex_lock(&s->mu);
    prt_chk_record *c = &s->chk[s->nchk++ % PRT_STATS_CHK];
    c->id = id;
    c->at_ms = now_ms;
    c->duration_ms = duration_ms;
    c->bytes = bytes;
    c->ok = ok;
    pthread_mutex_unlock(&s->mu);
    if (ok) {
        prt_gauge_set(&s->chk_last_duration_ms, duration_ms);
        prt_gauge_set(&s->chk_last_bytes, bytes);
        prt_gauge_set(&s->chk_last_id, id);
        prt_ctr_add(&s->checkpoints, 1);
    } else {
        prt_ctr_add(&s->checkpoints_failed, 1);
    }
}

int prt_stats_recent_errors(prt_stats *s, prt_recent_error *out, int cap, uint64_t *total)
{
    pthread_mutex_lock(&s->mu);
    uint64_t n = s->nrecent, first = n > PRT_STATS_RECENT ? n - PRT_STATS_RECENT : 0;
    if (n - first > (uint64_t)cap)
        first = n - (uint64_t)cap;
    int k = 0;
    for (uint64_t i = first; i < n; i++)
        out[k++] = s->recent[i % PRT_STATS_RECENT];
    if (total)
        *total = n;
    pthread_mutex_unlock(&s->mu);
    return k;
}

int prt_stats_recent_checkpoints(prt_stats *s, prt_chk_record *out, int cap)
{
    pthread_mutex_lock(&s->mu);
    uint64_t n = s->nchk, first = n > PRT_STATS_CHK ? n - PRT_STATS_CHK : 0;
    if (n - first > (uint64_t)cap)
        first = n - (uint64_t)cap;
    int k = 0;
    for (uint64_t i = first; i < n; i++)
        out[k++] = s->chk[i % PRT_STATS_CHK];
    pthread_mutex_unlock(&s->mu);
    return k;
}

int64_t prt_stats_rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    long size = 0, resident = 0;
    int n = fscanf(f, "%ld %ld", &size, &resident);
    fclose(f);
    if (n != 2)
        return 0;
    return (int64_t)resident * (int64_t)sysconf(_SC_PAGESIZE);
}
