/* prt_loop.c — the run loop: poll every source in turn, fire processing-time timers, release
 * idle partitions, flush sinks at least every 200 ms while records flow, take a checkpoint
 * when one is due (prt_ckpt.h), and print a progress line every 10 s; plus the signals that stop it.
 *
 * The loop owns nothing: it borrows the job from prt_run.c, which opens and closes everything.
 */
#include "prt_admin.h"
#include "prt_ckpt.h"
#include "prt_jobpriv.h"
#include "prt_wm.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PRT_BATCH 1024          /* records per poll */
#define PRT_IDLE_WAIT_MS 20     /* how long a round may wait when nothing arrived anywhere */
#define PRT_STATUS_MS 10000     /* progress line interval */
#define PRT_FLUSH_MS 200        /* sinks are flushed at least this often while records flow */

/* ---------------------------------------------------------------- signals */

static prt_job *volatile sig_job;
static volatile sig_atomic_t sig_count;

static void on_signal(int sig)
{
    (void)sig;
    if (++sig_count > 1)
        _exit(130); /* a second ^C: leave at once */
    if (sig_job)
        sig_job->stop = 1;
}

void prt_signals_install(prt_job *j)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sig_count = 0;
    sig_job = j;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocking wait returns with EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is a write error, reported, not a silent death */
}

void prt_signals_restore(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sig_job = NULL;
}

/* ---------------------------------------------------------------- progress */

/* ms as RFC 3339 UTC ("-inf" / "+inf" for the extremes). */
static void fmt_ts(char *dst, size_t cap, int64_t ms)
{
    if (ms == INT64_MIN) {
        snprintf(dst, cap, "-inf");
        return;
    }
    if (ms == INT64_MAX) {
        snprintf(dst, cap, "+inf");
        return;
    }
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    int milli = (int)(ms - (int64_t)secs * 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        snprintf(dst, cap, "%lld", (long long)ms);
        return;
    }
    size_t n = strftime(dst, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    if (milli)
        snprintf(dst + n, cap - n, ".%03dZ", milli);
    else
        snprintf(dst + n, cap - n, "Z");
}

static int64_t job_watermark(prt_job *j)
{
    int64_t wm = INT64_MAX;
    int any = 0;
    for (int i = 0; i < j->desc->nsources; i++)
        if (j->sources[i] && j->sources[i]->wm) {
            int64_t w = PRT_RUN(j)->done[i] ? INT64_MAX : prt_wm_current(j->sources[i]->wm);
            if (w < wm)
                wm = w;
            any = 1;
        }
    return any ? wm : INT64_MIN;
}

void prt_status_line(prt_job *j, const char *what)
{
    prt_run *run = PRT_RUN(j);
    char wm[48] = "none";
    int has_et = 0;
    for (int i = 0; i < j->desc->nsources; i++)
        has_et |= j->desc->sources[i].event_time;
    if (has_et)
        fmt_ts(wm, sizeof wm, job_watermark(j));
    prt_buf late = { 0 };
    prt_errors_late_text(j, &late);
    double secs = (double)(prt_mono_ms() - run->started_mono) / 1000.0;
    prt_log(j, "%s%llu records in, %llu out, %llu errors, %llu late dropped%s%.*s%s, "
            "watermark %s, %.1f s",
            what, (unsigned long long)j->m.records_in, (unsigned long long)j->m.records_out,
            (unsigned long long)j->m.errors, (unsigned long long)j->m.late_dropped,
            late.n ? " (" : "", (int)late.n, late.p ? late.p : "", late.n ? ")" : "", wm, secs);
    prt_buf_free(&late);
}

/* ---------------------------------------------------------------- the loop */

/* A source ended: bounded input means its watermark becomes +inf (Flink emits MAX_WATERMARK
 * when a bounded source finishes). */
static void source_done(prt_job *j, int i)
{
    PRT_RUN(j)->done[i] = 1;
    if (j->sources[i]->wm && j->desc->watermark && !j->stop && !PRT_RUN(j)->hold_at_end)
        j->desc->watermark(j, i, INT64_MAX);
}

int prt_loop(prt_job *j)
{
    prt_run *run = PRT_RUN(j);
    const prt_job_desc *d = j->desc;
    int wait_ms = 0;
    int64_t last_tick = INT64_MIN, last_status = prt_mono_ms(), last_flush = last_status;

    while (!j->stop) {
        int delivered = 0, active = 0;
        for (int i = 0; i < d->nsources && !j->stop; i++)
            active += !run->done[i];
        for (int i = 0; i < d->nsources && !j->stop; i++) {
            if (run->done[i])
                continue;
            prt_source *s = j->sources[i];
            j->now = prt_wall_ms();
            int r = s->ops->poll(s, PRT_BATCH, active ? wait_ms / active : 0);
            if (r == PRT_SRC_EOF)
                source_done(j, i);
            else if (r == PRT_ERR)
                prt_run_fail(j);
            else if (r > 0)
                delivered += r;
        }
        if (j->stop)
            break;
        j->now = prt_wall_ms();
        if (d->tick && j->now != last_tick) { /* processing-time timers */
            last_tick = j->now;
            d->tick(j, j->now);
        }
        int all_done = 1;
        for (int i = 0; i < d->nsources; i++) {
            if (run->done[i])
                continue;
            all_done = 0;
            int64_t wm;
            prt_source *s = j->sources[i];
            if (s->wm && prt_wm_check_idle(s->wm, j->now, &wm) && d->watermark)
                d->watermark(j, i, wm);
        }
        if (all_done)
            return !j->stop;
        wait_ms = delivered ? 0 : PRT_IDLE_WAIT_MS;

        int64_t mono = prt_mono_ms();
        if (run->unflushed && (mono - last_flush >= PRT_FLUSH_MS || !delivered)) {
            last_flush = mono;
            if (prt_sinks_flush(j) != PRT_OK)
                prt_run_fail(j);
        }
        /* checkpoints at a round boundary: no record in flight (with workers: the barrier) */
        if (run->ckpt && !j->stop && prt_ckpt_tick(run->ckpt) != PRT_OK)
            prt_run_fail(j);
        prt_admin_poll(run->admin, 0); /* metrics, and a savepoint or stop asked for */
        prt_progress(j, mono);
        if (!run->quiet && !prt_progress_on(j) && mono - last_status >= PRT_STATUS_MS) {
            last_status = mono;
            prt_status_line(j, "");
        }
    }
    return 0;
}
