/* prt_run.c — one `run` of the job, from start to exit status: resolve the settings, start the
 * connectors' run modes, open the connectors, build the operators, resume from the newest
 * checkpoint (prt_ckpt.h), run the loop, fire what is left at the end of bounded input, flush,
 * take the final checkpoint, summarize, and take everything down again.
 *
 * Exit status: 0 success (also after SIGINT/SIGTERM), 1 a runtime failure (a connector could
 * not open, a sink failed), 2 a configuration error (unresolvable ${NAME}, unknown --set path,
 * invalid setting value).
 * Ownership: prt_job_new's prt_run owns every source, sink, watermark tracker, the settings and
 * the generated state; prt_job_free releases all of it.
 */
#include "prt_admin.h"
#include "prt_ckpt.h"
#include "prt_jobpriv.h"
#include "prt_winstore.h"
#include "prt_settings.h"
#include "prt_snap.h"

#include <stdio.h>
#include <stdlib.h>

prt_job *prt_job_new(const prt_job_desc *d, const char *const *sets, int nsets)
{
    prt_run *run = calloc(1, sizeof *run);
    prt_assert(run != NULL);
    prt_job *j = &run->j;
    prt_err e;
    pthread_mutex_init(&run->mu, NULL);

    j->desc = d;
    j->cur_source = -1;
    j->tap = -1;
    run->err_last_log = INT64_MIN;
    run->started_mono = prt_mono_ms();
    run->done = calloc((size_t)(d->nsources ? d->nsources : 1), sizeof *run->done);
    prt_assert(run->done != NULL);
    j->now = prt_wall_ms();
    j->stats = prt_stats_new(d->nodes ? d->nnodes : 0, d->nsources, d->nsinks, d->noperators);
    prt_gauge_set(&j->stats->started_ms, j->now);

    j->cfg = prt_settings_new(d, &e);
    if (!j->cfg) {
        fprintf(stderr, "%s\n", e.msg);
        prt_job_free(j);
        return NULL;
    }
    for (int i = 0; i < nsets; i++)
        if (prt_settings_set(j->cfg, sets[i], &e) != PRT_OK) {
            fprintf(stderr, "%s\n", e.msg);
            prt_job_free(j);
            return NULL;
        }
    int64_t n;
    if (prt_cfg_int(j, "parallelism", 1, &n) != PRT_OK) {
        prt_job_free(j);
        return NULL;
    }
    if (prt_workers_new(j, n < 1 || n > INT32_MAX ? 0 : (int)n, &e) != PRT_OK) {
        fprintf(stderr, "%s\n", e.msg);
        prt_job_free(j);
        return NULL;
    }
    return j;
}

void prt_job_free(prt_job *j)
{
    if (!j)
        return;
    prt_run *run = PRT_RUN(j);
    prt_connectors_close(j);
    prt_workers_free(j);
    free(j->sources);
    free(j->sinks);
    prt_errors_free(j);
    pthread_mutex_destroy(&run->mu);
    prt_settings_free(j->cfg);
    prt_stats_free(j->stats);
    free(run->done);
    free(run);
}

int prt_run_job(const prt_job_desc *d, const prt_run_opts *o)
{
    prt_job *j = prt_job_new(d, o->sets, o->nsets);
    if (!j) {
        prt_signals_restore();
        return 2;
    }
    prt_run *run = PRT_RUN(j);
    int code = 0, usage_err = 0, inited = 0, started = 0;
    run->quiet = o->quiet;
    run->hold_at_end = o->savepoint_on_exit && !o->drain;
    const char *from = o->from_savepoint ? o->from_savepoint : prt_cfg(j, "savepoint");
    if (from && !*from)
        from = NULL; /* savepoint: ${RESTORE_FROM:-} left empty */

    if (o->savepoint_on_exit) { /* refused now rather than after the whole input */
        prt_err e;
        if (prt_snap_target_free(o->savepoint_on_exit, &e) != PRT_OK) {
            prt_log(j, "%s", e.msg);
            prt_signals_restore();
            prt_job_free(j);
            return 2;
        }
    }
    prt_signals_install(j);
    const char *admin = o->admin ? o->admin : prt_cfg(j, "admin.listen");
    if (admin && *admin) { /* first, so that /healthz answers while connectors open */
        prt_err e;
        if (!(run->admin = prt_admin_start(j, admin, &e))) {
            fprintf(stderr, "%s: %s\n", d->pipeline, e.msg);
            code = 2;
            goto out;
        }
        prt_log(j, "admin endpoint on http://%s/", prt_admin_address(run->admin));
    }
    while (started < o->nmodes) {
        if (o->modes[started++]->start(j) != PRT_OK) {
            code = 1;
            goto out;
        }
    }
    if (prt_connectors_open(j, &usage_err) != PRT_OK) {
        code = usage_err ? 2 : 1;
        goto out;
    }
    j->now = prt_wall_ms();
    inited = 1;
    if (prt_workers_init(j) != PRT_OK) {
        prt_log(j, "cannot initialise the pipeline");
        code = 1;
        goto out;
    }
    prt_err ce;
    if (prt_winstore_open(j, &ce) != PRT_OK) {
        prt_log(j, "%s", ce.msg);
        code = 2;
        goto out;
    }
    if (prt_ckpt_new(j, run->quiet, &run->ckpt, &ce) != PRT_OK) {
        prt_log(j, "%s", ce.msg);
        code = 2;
        goto out;
    }
    if (run->ckpt && prt_ckpt_recover(run->ckpt, &ce) != PRT_OK) {
        prt_log(j, "cannot resume: %s", ce.msg);
        code = 1;
        goto out;
    }
    if (from && run->ckpt && prt_ckpt_resumed(run->ckpt)) {
        prt_log(j, "savepoint %s not used: a checkpoint is newer (a savepoint seeds a fresh start only)", from);
        from = NULL;
    }
    if (from) {
        prt_restore_opts ro = { .allow_non_restored = o->allow_non_restored, .quiet = 0 };
        prt_err e;
        if (prt_snap_restore(j, from, &ro, &e) != PRT_OK) {
            prt_log(j, "cannot restore from savepoint %s: %s", from, e.msg);
            code = 1;
            goto out;
        }
        prt_log(j, "restored from savepoint %s", from);
    }
    {
        prt_err e;
        if (prt_workers_start(j, &e) != PRT_OK) {
            prt_log(j, "%s", e.msg);
            code = 1;
            goto out;
        }
    }

    prt_gauge_set(&j->stats->status, PRT_ST_RUNNING);
    prt_gauge_set(&j->stats->ready, 1); /* sources connected, restore done */
    int ended = prt_loop(j);
    prt_gauge_set(&j->stats->ready, 0);
    prt_gauge_set(&j->stats->status, run->failed ? PRT_ST_FAILED : ended ? PRT_ST_FINISHED : PRT_ST_STOPPING);
    if (ended && !run->failed && o->savepoint_on_exit) {
        prt_err e;
        if (o->drain) {
            j->now = prt_wall_ms();
            prt_workers_finish(j); /* --drain: every open window fires first */
        }
        prt_workers_drain(j); /* the workers' state is quiet while it is written */
        if (prt_snap_write(j, o->savepoint_on_exit, o->drain, &e) != PRT_OK) {
            prt_log(j, "%s", e.msg);
            run->failed = 1;
        } else {
            prt_log(j, "savepoint written to %s%s", o->savepoint_on_exit, o->drain ? " (drained)" : "");
        }
    } else if (ended && !run->failed) {
        j->now = prt_wall_ms();
        prt_workers_finish(j); /* every source's watermark is +inf by now */
    }
    prt_workers_stop(j);
    if (prt_winstore_failed(j, &ce) != PRT_OK) { /* a store call failed: results are not to be trusted */
        prt_log(j, "state: %s", ce.msg);
        run->failed = 1;
    }
    prt_winstore_log(j);
    if (prt_sinks_flush(j) != PRT_OK)
        run->failed = 1;
    /* the final checkpoint: a bounded run's output is complete (committed) when it exits 0, and
     * a stop by SIGTERM/SIGINT resumes from here */
    if (run->ckpt && !run->failed && prt_ckpt_take(run->ckpt) != PRT_OK)
        run->failed = 1;
    prt_progress_end(j);
    prt_errors_summary(j);
    if (run->failed)
        code = 1;
    if (!run->quiet)
        prt_status_line(j, run->failed ? "failed: " : ended ? "finished: " : "stopped: ");

out:
    prt_workers_stop(j); /* also when the loop stopped early */
    prt_admin_stop(run->admin); /* before anything it publishes from is closed */
    run->admin = NULL;
    prt_ckpt_free(run->ckpt);
    run->ckpt = NULL;
    prt_connectors_close(j);
    while (started > 0) /* in reverse order; also the one whose start failed */
        o->modes[--started]->stop(j);
    if (inited) /* also after a failed init: destroy copes with a partial build */
        prt_workers_destroy(j);
    prt_winstore_close(j);
    prt_signals_restore();
    prt_job_free(j);
    return code;
}
