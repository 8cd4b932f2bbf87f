/* prt_job.c — prt_main: the command line, the run loop, signals, progress lines, exit codes and
 * `describe`.
 *
 * Exit codes: 0 success (also after SIGINT/SIGTERM), 1 a runtime failure (a connector could not
 * open, a sink failed), 2 a usage or configuration error (bad command line, unresolvable
 * ${NAME}, unknown --set path, invalid setting value).
 *
 * Ownership: prt_main owns the prt_run (and through it every source, sink, watermark tracker,
 * the settings and the generated state) and frees all of it before returning.
 */
#include "prt_jobpriv.h"
#include "prt_kafka.h"
#include "prt_settings.h"
#include "prt_wm.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PRT_BATCH 1024          /* records per poll */
#define PRT_IDLE_WAIT_MS 20     /* how long a round may wait when nothing arrived anywhere */
#define PRT_STATUS_MS 10000     /* progress line interval */
#define PRT_FLUSH_MS 200        /* sinks are flushed at least this often while records flow */

/* ---------------------------------------------------------------- clocks, logging */

int64_t prt_mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int64_t prt_wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void prt_job_fmt_ts(char *dst, size_t cap, int64_t ms)
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

void prt_log(prt_job *j, const char *fmt, ...)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "%s: ", j && j->desc ? j->desc->pipeline : "pipeline");
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line); /* one call: lines from threads do not interleave */
}

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

static void signals_install(prt_job *j)
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

static void signals_restore(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sig_job = NULL;
}

/* ---------------------------------------------------------------- connectors */

static const prt_source_ops *source_ops(const char *connector)
{
    static const prt_source_ops *const all[] = { &prt_src_file, &prt_src_stdin,
                                                 &prt_src_generator, &prt_src_kafka };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (strcmp(all[i]->connector, connector) == 0)
            return all[i];
    return NULL;
}

static const prt_sink_ops *sink_ops(const char *connector)
{
    static const prt_sink_ops *const all[] = { &prt_snk_file, &prt_snk_stdout, &prt_snk_kafka };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (strcmp(all[i]->connector, connector) == 0)
            return all[i];
    return NULL;
}

void prt_run_fail(prt_job *j)
{
    PRT_RUN(j)->failed = 1;
    j->stop = 1;
}

void prt_emit(prt_job *j, int sink, prt_str key, prt_str value, int64_t ts)
{
    prt_run *run = PRT_RUN(j);
    if (run->failed)
        return;
    prt_assert(sink >= 0 && sink < j->desc->nsinks);
    prt_sink *k = j->sinks[sink];
    if (k->ops->write(k, key, value, ts) != PRT_OK) {
        prt_run_fail(j); /* the connector printed the reason */
        return;
    }
    j->m.records_out++;
    run->unflushed++;
}

void prt_source_partition_add(prt_source *s, int32_t partition)
{
    if (s->wm)
        prt_wm_partition_add(s->wm, partition, s->job->now);
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

static int flush_sinks(prt_job *j)
{
    int rc = PRT_OK;
    for (int i = 0; i < j->desc->nsinks; i++) {
        prt_sink *k = j->sinks[i];
        if (k && k->ops->flush && k->ops->flush(k) != PRT_OK)
            rc = PRT_ERR; /* the connector printed the reason */
    }
    PRT_RUN(j)->unflushed = 0;
    return rc;
}

/* ---------------------------------------------------------------- progress */

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

static void status_line(prt_job *j, const char *what)
{
    prt_run *run = PRT_RUN(j);
    char wm[48] = "none";
    int has_et = 0;
    for (int i = 0; i < j->desc->nsources; i++)
        has_et |= j->desc->sources[i].event_time;
    if (has_et)
        prt_job_fmt_ts(wm, sizeof wm, job_watermark(j));
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

/* ---------------------------------------------------------------- the run */

/* Opens sinks then sources; PRT_ERR when one failed (the connector printed why). Returns 2
 * through *usage for configuration errors found by the runtime itself. */
static int open_connectors(prt_job *j, int *usage)
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
        if (!sink_ops(d->sinks[i].connector)) {
            prt_log(j, "sink %s: unknown connector '%s'", d->sinks[i].name, d->sinks[i].connector);
            *usage = 1;
        }
    for (int i = 0; i < d->nsources && !*usage; i++)
        if (!source_ops(d->sources[i].connector)) {
            prt_log(j, "source %s: unknown connector '%s'", d->sources[i].name,
                    d->sources[i].connector);
            *usage = 1;
        }
    if (*usage) {
        free(ooo);
        free(idle);
        return PRT_ERR;
    }

    int rc = PRT_OK;
    for (int i = 0; i < d->nsinks && rc == PRT_OK; i++) {
        prt_sink *k = calloc(1, sizeof *k);
        prt_assert(k != NULL);
        k->ops = sink_ops(d->sinks[i].connector);
        k->job = j;
        k->index = i;
        k->desc = &d->sinks[i];
        if (i == d->errors_sink)
            snprintf(k->prefix, sizeof k->prefix, "errors.%s.", k->desc->connector);
        else
            snprintf(k->prefix, sizeof k->prefix, "sinks.%s.%s.", k->desc->name, k->desc->connector);
        if (k->ops->open(k) != PRT_OK) {
            free(k);
            rc = PRT_ERR;
            break;
        }
        j->sinks[i] = k;
    }
    for (int i = 0; i < d->nsources && rc == PRT_OK; i++) {
        prt_source *s = calloc(1, sizeof *s);
        prt_assert(s != NULL);
        s->ops = source_ops(d->sources[i].connector);
        s->job = j;
        s->index = i;
        s->desc = &d->sources[i];
        snprintf(s->prefix, sizeof s->prefix, "sources.%s.%s.", s->desc->name, s->desc->connector);
        if (s->desc->event_time)
            s->wm = prt_wm_new(ooo[i], idle[i]);
        j->sources[i] = s;
        if (s->ops->open(s) != PRT_OK) {
            prt_wm_free(s->wm);
            free(s);
            j->sources[i] = NULL;
            rc = PRT_ERR;
        }
    }
    free(ooo);
    free(idle);
    return rc;
}

static void close_sources(prt_job *j)
{
    for (int i = 0; j->sources && i < j->desc->nsources; i++) {
        prt_source *s = j->sources[i];
        if (!s)
            continue;
        if (s->ops->close)
            s->ops->close(s);
        prt_wm_free(s->wm);
        free(s);
        j->sources[i] = NULL;
    }
}

static void close_sinks(prt_job *j)
{
    for (int i = 0; j->sinks && i < j->desc->nsinks; i++) {
        prt_sink *k = j->sinks[i];
        if (!k)
            continue;
        if (k->ops->close)
            k->ops->close(k);
        free(k);
        j->sinks[i] = NULL;
    }
}

/* A source ended: bounded input means its watermark becomes +inf (Flink emits MAX_WATERMARK
 * when a bounded source finishes). */
static void source_done(prt_job *j, int i)
{
    PRT_RUN(j)->done[i] = 1;
    if (j->sources[i]->wm && j->desc->watermark && !j->stop)
        j->desc->watermark(j, i, INT64_MAX);
}

/* The loop; returns 1 when every source ended, 0 when stopped (signal or failure). */
static int run_loop(prt_job *j)
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
            if (flush_sinks(j) != PRT_OK)
                prt_run_fail(j);
        }
        if (!run->quiet && mono - last_status >= PRT_STATUS_MS) {
            last_status = mono;
            status_line(j, "");
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- commands */

static void usage(FILE *f, const char *prog, const prt_job_desc *d)
{
    fprintf(f,
            "usage: %s run [--set PATH=VALUE]... [--embedded-kafka] [--quiet]\n"
            "                [--from-savepoint DIR] [--allow-non-restored-state]\n"
            "       %s describe\n"
            "       %s savepoint ...\n"
            "       %s --help | --version\n"
            "\n"
            "Pipeline %s, built by pipec %s from %s.\n"
            "\n"
            "  run        run the pipeline until its input ends (bounded sources) or SIGINT/SIGTERM\n"
            "  describe   sources, sinks, operator IDs and state schemas, settings, and the YAML\n"
            "  --set PATH=VALUE    override a setting at start, e.g. --set sources.in.file.path=x.kv\n"
            "  --embedded-kafka    run against an in-process demo Kafka cluster fed by a generator\n"
            "  --quiet             no progress lines and no final summary on stderr\n"
            "\n"
            "Exit status: 0 success (also after SIGINT/SIGTERM), 1 runtime failure, 2 usage or\n"
            "configuration error.\n",
            prog, prog, prog, prog, d->pipeline, d->pipec_version, d->yaml_name);
}

static void describe(const prt_job_desc *d)
{
    printf("pipeline: %s\n", d->pipeline);
    printf("built by: pipec %s\n", d->pipec_version);
    printf("yaml: %s (sha256 %s)\n", d->yaml_name, d->yaml_sha256);
    printf("\nsources:\n");
    for (int i = 0; i < d->nsources; i++)
        printf("  %s: %s, format %s%s\n", d->sources[i].name, d->sources[i].connector,
               d->sources[i].format, d->sources[i].event_time ? ", event time" : "");
    printf("\nsinks:\n");
    for (int i = 0; i < d->nsinks; i++)
        printf("  %s: %s, format %s%s\n", d->sinks[i].name, d->sinks[i].connector,
               d->sinks[i].format, i == d->errors_sink ? " (errors)" : "");
    printf("\noperators:\n");
    if (!d->noperators)
        printf("  (none with state)\n");
    for (int i = 0; i < d->noperators; i++)
        printf("  %s: %s\n    state: %s\n", d->operators[i].id, d->operators[i].kind,
               d->operators[i].state ? d->operators[i].state : "");
    printf("\nsettings:\n");
    for (int i = 0; i < d->nsettings; i++)
        printf("  %s = %s\n", d->settings[i].path, d->settings[i].value);
    printf("\nyaml (%s):\n", d->yaml_name);
    const char *y = d->yaml_text ? d->yaml_text : "";
    fputs(y, stdout);
    if (*y && y[strlen(y) - 1] != '\n')
        putchar('\n');
}

typedef struct run_opts {
    const char **sets;
    int nsets;
    int embedded_kafka, quiet;
    const char *savepoint;
    int allow_non_restored;
} run_opts;

/* Matches "--name VALUE" and "--name=VALUE"; advances *i past a separate value. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val, int *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        *missing = 1;
        return 1;
    }
    *val = argv[++*i];
    return 1;
}

static int cmd_run(const prt_job_desc *d, const run_opts *o)
{
    prt_run *run = calloc(1, sizeof *run);
    prt_assert(run != NULL);
    prt_job *j = &run->j;
    prt_err e;
    int code = 0, usage_err = 0, kafka_started = 0, inited = 0;

    j->desc = d;
    j->cur_source = -1;
    run->quiet = o->quiet;
    run->err_last_log = INT64_MIN;
    run->started_mono = prt_mono_ms();
    run->done = calloc((size_t)(d->nsources ? d->nsources : 1), sizeof *run->done);
    prt_assert(run->done != NULL);
    j->now = prt_wall_ms();

    j->cfg = prt_settings_new(d, &e);
    if (!j->cfg) {
        fprintf(stderr, "%s\n", e.msg);
        code = 2;
        goto out;
    }
    for (int i = 0; i < o->nsets; i++)
        if (prt_settings_set(j->cfg, o->sets[i], &e) != PRT_OK) {
            fprintf(stderr, "%s\n", e.msg);
            code = 2;
            goto out;
        }
    j->state = calloc(1, d->state_size ? d->state_size : 1);
    prt_assert(j->state != NULL);

    signals_install(j);
    if (o->embedded_kafka) {
        if (prt_kafka_embedded_start(j) != PRT_OK) {
            code = 1;
            goto out;
        }
        kafka_started = 1;
    }
    if (open_connectors(j, &usage_err) != PRT_OK) {
        code = usage_err ? 2 : 1;
        goto out;
    }
    j->now = prt_wall_ms();
    inited = 1;
    if (d->init && d->init(j) != PRT_OK) {
        prt_log(j, "cannot initialise the pipeline");
        code = 1;
        goto out;
    }

    int ended = run_loop(j);
    if (ended && !run->failed) {
        j->now = prt_wall_ms();
        if (d->finish)
            d->finish(j); /* every source's watermark is +inf by now */
    }
    if (flush_sinks(j) != PRT_OK)
        run->failed = 1;
    prt_errors_summary(j);
    if (run->failed)
        code = 1;
    if (!run->quiet)
        status_line(j, run->failed ? "failed: " : ended ? "finished: " : "stopped: ");

out:
    close_sources(j);
    close_sinks(j);
    if (kafka_started)
        prt_kafka_embedded_stop(j);
    if (inited && d->destroy) /* also after a failed init: destroy copes with a partial build */
        d->destroy(j);
    signals_restore();
    free(j->state);
    free(j->sources);
    free(j->sinks);
    prt_scratch_free(&j->scratch);
    prt_buf_free(&j->out);
    prt_errors_free(j);
    prt_settings_free(j->cfg);
    free(run->done);
    free(run);
    return code;
}

int prt_main(int argc, char **argv, const prt_job_desc *d)
{
    const char *prog = argc > 0 && argv[0] ? argv[0] : d->pipeline;
    const char *slash = strrchr(prog, '/');
    if (slash)
        prog = slash + 1;

    if (d->abi != PRT_ABI_VERSION) {
        fprintf(stderr, "%s: generated for runtime ABI %d, this runtime is ABI %d: rebuild with pipec\n",
                prog, d->abi, PRT_ABI_VERSION);
        return 1;
    }
    if (argc < 2) {
        usage(stderr, prog, d);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout, prog, d);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("%s built by pipec %s from %s (sha256 %s)\n", d->pipeline, d->pipec_version,
               d->yaml_name, d->yaml_sha256);
        return 0;
    }
    if (strcmp(cmd, "describe") == 0) {
        if (argc > 2) {
            fprintf(stderr, "%s: describe: unexpected argument '%s'\n", prog, argv[2]);
            return 2;
        }
        describe(d);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (strcmp(cmd, "savepoint") == 0) {
        fprintf(stderr, "%s: savepoint: not supported yet by this runtime\n", prog);
        return 2;
    }
    if (strcmp(cmd, "run") != 0) {
        fprintf(stderr, "%s: unknown command '%s' (expected run, describe, savepoint, --help or --version)\n",
                prog, cmd);
        return 2;
    }

    run_opts o = { 0 };
    o.sets = calloc((size_t)argc, sizeof *o.sets);
    prt_assert(o.sets != NULL);
    int code = -1;
    for (int i = 2; i < argc && code < 0; i++) {
        const char *a = argv[i], *v = NULL;
        int missing = 0;
        if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
            o.quiet = 1;
        else if (strcmp(a, "--embedded-kafka") == 0)
            o.embedded_kafka = 1;
        else if (strcmp(a, "--allow-non-restored-state") == 0)
            o.allow_non_restored = 1;
        else if (opt_value(argc, argv, &i, "--set", &v, &missing)) {
            if (!missing)
                o.sets[o.nsets++] = v;
        } else if (opt_value(argc, argv, &i, "--from-savepoint", &v, &missing)) {
            o.savepoint = v;
        } else {
            fprintf(stderr, "%s: run: unknown option '%s' (see --help)\n", prog, a);
            code = 2;
        }
        if (missing) {
            fprintf(stderr, "%s: run: %s needs a value\n", prog, a);
            code = 2;
        }
    }
    if (code < 0 && o.savepoint) {
        fprintf(stderr, "%s: run: --from-savepoint: restoring from a savepoint is not supported "
                "yet by this runtime\n", prog);
        code = 2;
    }
    if (code < 0)
        code = cmd_run(d, &o);
    free(o.sets);
    return code;
}
