/* test_job.c — the runtime around generated code: a hand-written job descriptor standing in for
 * pipec's output (a kv source, a filter that fails on negative amounts, a 10 s tumbling count,
 * three file sinks) runs files through prt_main; outputs are compared byte for byte. Also the
 * command line, exit codes, settings errors, stdin, the generator source, the errors log
 * without an errors sink, a failing sink, and SIGTERM while following a growing file. */
#include "prt.h"
#include "prt_jobpriv.h"
#include "prt_test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- the fake generated job */

#define NWIN 64

typedef struct fake_state {
    int64_t win_start[NWIN], win_count[NWIN];
    int nwin;
    int64_t wm;
    prt_buf log; /* "wm 0 9999\n", "finish\n" */
    int ticks, inits, destroys;
} fake_state;

enum { SINK_OUT, SINK_AGG, SINK_ERRORS };

static int fake_on_record(prt_worker *wk, const prt_raw *raw, int64_t *ts, prt_err *e)
{
    fake_state *st = wk->state;
    prt_kv_iter it;
    prt_str k, v, customer = { "", 0 };
    double amount = 0;
    int have_ts = 0;

    prt_kv_init(&it, raw->data);
    int r;
    while ((r = prt_kv_next(&it, &k, &v, e)) == 1) {
        if (prt_str_eq(k, PRT_STR_LIT("customer")))
            customer = v;
        else if (prt_str_eq(k, PRT_STR_LIT("amount"))) {
            if (prt_parse_float(v, &amount) != PRT_OK)
                return prt_errf(e, "field 'amount': invalid float '%.*s'", (int)v.n, v.p);
        } else if (prt_str_eq(k, PRT_STR_LIT("ts"))) {
            if (prt_parse_ts(v, ts) != PRT_OK)
                return prt_errf(e, "field 'ts': invalid timestamp '%.*s'", (int)v.n, v.p);
            have_ts = 1;
        }
    }
    if (r == PRT_ERR)
        return PRT_ERR;
    if (!have_ts)
        return prt_errf(e, "field 'ts' is missing");

    /* stage `check`: an evaluation error */
    if (amount < 0) {
        prt_err ee;
        prt_errf(&ee, "amount must not be negative: %g", amount);
        prt_record_error(wk, "check", &ee);
        return PRT_OK;
    }
    prt_writer w;
    prt_w_begin(&w, PRT_OUT_JSON, ',', &wk->out);
    prt_w_str(&w, "customer", customer);
    prt_w_float(&w, "amount", amount);
    prt_w_ts(&w, "ts", *ts);
    prt_w_end(&w);
    prt_emit(wk, SINK_OUT, (prt_str){ NULL, 0 }, prt_buf_str(&wk->out), *ts);

    /* stage `win`: tumbling 10 s count, no allowed lateness */
    int64_t start = *ts - ((*ts % 10000) + 10000) % 10000;
    if (start + 10000 - 1 <= st->wm) {
        prt_late_dropped(wk, "win");
        return PRT_OK;
    }
    for (int i = 0; i < st->nwin; i++)
        if (st->win_start[i] == start) {
            st->win_count[i]++;
            return PRT_OK;
        }
    prt_assert(st->nwin < NWIN);
    st->win_start[st->nwin] = start;
    st->win_count[st->nwin++] = 1;
    return PRT_OK;
}

static void fake_watermark(prt_worker *wk, int source, int64_t wm)
{
    fake_state *st = wk->state;
    prt_buf_printf(&st->log, "wm %d %lld\n", source, (long long)wm);
    if (wm <= st->wm)
        prt_buf_printf(&st->log, "BACKWARDS\n");
    st->wm = wm;
    for (;;) { /* fire in start order */
        int best = -1;
        for (int i = 0; i < st->nwin; i++)
            if (st->win_start[i] + 10000 - 1 <= wm && (best < 0 || st->win_start[i] < st->win_start[best]))
                best = i;
        if (best < 0)
            break;
        prt_writer w;
        prt_w_begin(&w, PRT_OUT_JSON, ',', &wk->out);
        prt_w_ts(&w, "window_start", st->win_start[best]);
        prt_w_ts(&w, "window_end", st->win_start[best] + 10000);
        prt_w_int(&w, "count", st->win_count[best]);
        prt_w_end(&w);
        prt_emit(wk, SINK_AGG, (prt_str){ NULL, 0 }, prt_buf_str(&wk->out), st->win_start[best] + 9999);
        st->win_start[best] = st->win_start[--st->nwin];
        st->win_count[best] = st->win_count[st->nwin];
    }
}

static int fake_init(prt_worker *wk)
{
    fake_state *st = wk->state;
    st->wm = INT64_MIN;
    st->inits++;
    return PRT_OK;
}

static void fake_tick(prt_worker *wk, int64_t now) { ((fake_state *)wk->state)->ticks++; (void)now; }

static void fake_finish(prt_worker *wk)
{
    fake_state *st = wk->state;
    prt_buf_printf(&st->log, "finish\n");
}

/* destroy keeps what the test inspects: a copy of the log and counters. */
static char last_log[4096];
static int last_ticks, last_inits, last_destroys;

static void fake_destroy(prt_worker *wk)
{
    fake_state *st = wk->state;
    snprintf(last_log, sizeof last_log, "%.*s", (int)st->log.n, st->log.p ? st->log.p : "");
    last_ticks = st->ticks;
    last_inits = st->inits;
    last_destroys = ++st->destroys;
    prt_buf_free(&st->log);
}

static prt_setting_desc settings[] = {
    { "sources.orders.file.path", "${PRT_T_DIR}/in/*.kv", 5, 13 },
    { "sources.orders.watermark.out_of_orderness", "2s", 8, 34 },
    { "sinks.out.file.path", "${PRT_T_DIR}/out.jsonl", 20, 13 },
    { "sinks.agg.file.path", "${PRT_T_DIR}/agg.jsonl", 24, 13 },
    { "errors.file.path", "${PRT_T_DIR}/errors.jsonl", 28, 11 },
};
static prt_source_desc sources[] = { { "orders", "file", "kv", 1, fake_on_record, NULL } };
static prt_sink_desc sinks[] = { { "out", "file", "json", NULL }, { "agg", "file", "json", NULL },
                                 { "errors", "file", "json", NULL } };
static const prt_operator_desc operators[] = {
    { .id = "win", .kind = "window", .state = "key (); acc count int" },
};

static prt_job_desc make_desc(void)
{
    prt_job_desc d = { 0 };
    d.abi = PRT_ABI_VERSION;
    d.pipeline = "fake";
    d.pipec_version = "0.1.0";
    d.yaml_name = "fake.yaml";
    d.yaml_sha256 = "0123abcd";
    d.yaml_text = "pipeline: fake\nsources:\n  orders:\n    file:\n      path: ${PRT_T_DIR}/in/*.kv";
    d.settings = settings;
    d.nsettings = (int)(sizeof settings / sizeof *settings);
    d.sources = sources;
    d.nsources = 1;
    d.sinks = sinks;
    d.nsinks = 3;
    d.errors_sink = SINK_ERRORS;
    d.operators = operators;
    d.noperators = 1;
    d.max_parallelism = 128;
    d.state_size = sizeof(fake_state);
    d.init = fake_init;
    d.watermark = fake_watermark;
    d.tick = fake_tick;
    d.finish = fake_finish;
    d.destroy = fake_destroy;
    return d;
}

/* ---------------------------------------------------------------- helpers */

static char dir[256];

static void write_file(const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    prt_assert(f != NULL);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *name)
{
    static char bufs[4][16384];
    static int which;
    char *b = bufs[which++ % 4];
    char p[512];
    snprintf(p, sizeof p, "%s/%s", name[0] == '/' ? "" : dir, name);
    FILE *f = fopen(name[0] == '/' ? name : p, "r");
    if (!f) {
        snprintf(b, 16384, "(missing %s)", name);
        return b;
    }
    size_t n = fread(b, 1, 16383, f);
    b[n] = '\0';
    fclose(f);
    return b;
}

/* "$D" in a template stands for the temp directory. */
static const char *subst(const char *tmpl)
{
    static char bufs[4][8192];
    static int which;
    char *b = bufs[which++ % 4];
    size_t n = 0;
    for (const char *p = tmpl; *p && n < 8000; p++) {
        if (p[0] == '$' && p[1] == 'D') {
            n += (size_t)snprintf(b + n, 8192 - n, "%s", dir);
            p++;
        } else {
            b[n++] = *p;
        }
    }
    b[n] = '\0';
    return b;
}

/* Runs prt_main with stdout and stderr captured into DIR/stdout and DIR/stderr. */
static int run(const prt_job_desc *d, ...)
{
    char *argv[32];
    int argc = 0;
    va_list ap;
    va_start(ap, d);
    argv[argc++] = "fake";
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 31)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;

    char p[512];
    fflush(stdout);
    fflush(stderr);
    int o1 = dup(1), o2 = dup(2);
    snprintf(p, sizeof p, "%s/stdout", dir);
    int f1 = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    snprintf(p, sizeof p, "%s/stderr", dir);
    int f2 = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(f1, 1);
    dup2(f2, 2);
    close(f1);
    close(f2);
    int rc = prt_main(argc, argv, d);
    fflush(stdout);
    fflush(stderr);
    dup2(o1, 1);
    dup2(o2, 2);
    close(o1);
    close(o2);
    return rc;
}

static void setup_inputs(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/in", dir);
    mkdir(p, 0755);
    /* a.kv: CRLF, an empty line, a bad amount, a negative amount (fails in stage check) */
    write_file("in/a.kv",
               "customer=c1,amount=10.5,ts=2024-01-01T00:00:01Z\r\n"
               "\r\n"
               "customer=c2,amount=abc,ts=2024-01-01T00:00:02Z\r\n"
               "customer=c3,amount=-1,ts=2024-01-01T00:00:03Z\r\n"
               "customer=c4,amount=2,ts=2024-01-01T00:00:12Z\n");
    /* b.kv: a record late for its window, an empty line, a last line without newline */
    write_file("in/b.kv",
               "customer=c5,amount=3,ts=2024-01-01T00:00:05Z\n"
               "\n"
               "customer=c6,amount=4,ts=1704067225000");
    write_file("in/c.txt", "not matched by the glob\n");
}

/* ---------------------------------------------------------------- tests */

#define OUT_ALL \
    "{\"customer\":\"c1\",\"amount\":10.5,\"ts\":\"2024-01-01T00:00:01Z\"}\n" \
    "{\"customer\":\"c4\",\"amount\":2.0,\"ts\":\"2024-01-01T00:00:12Z\"}\n" \
    "{\"customer\":\"c5\",\"amount\":3.0,\"ts\":\"2024-01-01T00:00:05Z\"}\n" \
    "{\"customer\":\"c6\",\"amount\":4.0,\"ts\":\"2024-01-01T00:00:25Z\"}\n"

TEST(run_files)
{
    prt_job_desc d = make_desc();
    setup_inputs();
    CHECK_EQ_I(run(&d, "run", "--quiet", NULL), 0);
    CHECK_EQ_S(read_file("out.jsonl"), OUT_ALL);
    CHECK_EQ_S(read_file("agg.jsonl"),
               "{\"window_start\":\"2024-01-01T00:00:00Z\",\"window_end\":\"2024-01-01T00:00:10Z\",\"count\":1}\n"
               "{\"window_start\":\"2024-01-01T00:00:10Z\",\"window_end\":\"2024-01-01T00:00:20Z\",\"count\":1}\n"
               "{\"window_start\":\"2024-01-01T00:00:20Z\",\"window_end\":\"2024-01-01T00:00:30Z\",\"count\":1}\n");
    CHECK_EQ_S(read_file("errors.jsonl"), subst(
               "{\"source\":\"orders\",\"origin\":\"$D/in/a.kv\",\"line\":3,\"error\":\"field 'amount': invalid float 'abc'\",\"record\":\"customer=c2,amount=abc,ts=2024-01-01T00:00:02Z\"}\n"
               "{\"source\":\"orders\",\"origin\":\"$D/in/a.kv\",\"line\":4,\"stage\":\"check\",\"error\":\"amount must not be negative: -1\",\"record\":\"customer=c3,amount=-1,ts=2024-01-01T00:00:03Z\"}\n"));
    /* watermarks: max - 2s - 1 after each advancing record, +inf at the end, then finish */
    /* (c3 failed in a stage, after the source: its event time still moves the watermark) */
    CHECK_EQ_S(last_log, "wm 0 1704067198999\nwm 0 1704067200999\nwm 0 1704067209999\n"
               "wm 0 1704067222999\nwm 0 9223372036854775807\nfinish\n");
    CHECK_EQ_I(last_inits, 1);
    CHECK_EQ_I(last_destroys, 1);
    CHECK(last_ticks >= 1);
    CHECK_EQ_S(read_file("stderr"), "");
}

TEST(summary_and_error_log)
{
    prt_job_desc d = make_desc();
    d.nsinks = 2;
    d.errors_sink = -1;
    setup_inputs();
    CHECK_EQ_I(run(&d, "run", NULL), 0);
    CHECK_EQ_S(read_file("out.jsonl"), OUT_ALL);
    const char *err = read_file("stderr");
    /* the first bad record is logged, the second (same second) only counted */
    const char *first = subst("fake: bad record in orders ($D/in/a.kv:3): field 'amount': invalid float 'abc'\n"
                              "fake: 1 more bad records not shown\n"
                              "fake: finished: 6 records in, 7 out, 2 errors, 1 late dropped (win=1), watermark +inf, ");
    if (strncmp(err, first, strlen(first)) != 0)
        TEST_FAIL("stderr is\n%s\nexpected it to start with\n%s", err, first);
    CHECK(strstr(err, " s\n") != NULL);
}

TEST(set_and_single_file)
{
    prt_job_desc d = make_desc();
    setup_inputs();
    char arg[512];
    snprintf(arg, sizeof arg, "sources.orders.file.path=%s/in/b.kv", dir);
    CHECK_EQ_I(run(&d, "run", "--quiet", "--set", arg, "--set=sources.orders.watermark.out_of_orderness=0s", NULL), 0);
    CHECK_EQ_S(read_file("out.jsonl"),
               "{\"customer\":\"c5\",\"amount\":3.0,\"ts\":\"2024-01-01T00:00:05Z\"}\n"
               "{\"customer\":\"c6\",\"amount\":4.0,\"ts\":\"2024-01-01T00:00:25Z\"}\n");
    CHECK_EQ_S(last_log, "wm 0 1704067204999\nwm 0 1704067224999\nwm 0 9223372036854775807\nfinish\n");
    CHECK_EQ_S(read_file("errors.jsonl"), "");
}

TEST(stdin_source)
{
    prt_job_desc d = make_desc();
    prt_source_desc src[1] = { { "orders", "stdin", "kv", 1, fake_on_record, NULL } };
    d.sources = src;
    d.nsettings = 1; /* drop the file path: sinks get theirs from --set */
    static prt_setting_desc s1[] = { { "sources.orders.watermark.out_of_orderness", "0s", 1, 1 } };
    d.settings = s1;
    char o[512], a[512], e[512], in[512];
    snprintf(o, sizeof o, "sinks.out.file.path=%s/out.jsonl", dir);
    snprintf(a, sizeof a, "sinks.agg.file.path=%s/agg.jsonl", dir);
    snprintf(e, sizeof e, "errors.file.path=%s/errors.jsonl", dir);
    write_file("stdin.kv", "customer=s1,amount=1,ts=1000\r\n\nbroken\ncustomer=s2,amount=2,ts=11000");
    snprintf(in, sizeof in, "%s/stdin.kv", dir);
    int saved = dup(0), fd = open(in, O_RDONLY);
    dup2(fd, 0);
    close(fd);
    int rc = run(&d, "run", "--quiet", "--set", o, "--set", a, "--set", e, NULL);
    dup2(saved, 0);
    close(saved);
    CHECK_EQ_I(rc, 0);
    CHECK_EQ_S(read_file("out.jsonl"),
               "{\"customer\":\"s1\",\"amount\":1.0,\"ts\":\"1970-01-01T00:00:01Z\"}\n"
               "{\"customer\":\"s2\",\"amount\":2.0,\"ts\":\"1970-01-01T00:00:11Z\"}\n");
    CHECK_EQ_S(read_file("errors.jsonl"),
               "{\"source\":\"orders\",\"origin\":\"stdin\",\"line\":3,\"error\":\"invalid kv at byte 0: pair without '='\",\"record\":\"broken\"}\n");
    CHECK_EQ_S(read_file("agg.jsonl"),
               "{\"window_start\":\"1970-01-01T00:00:00Z\",\"window_end\":\"1970-01-01T00:00:10Z\",\"count\":1}\n"
               "{\"window_start\":\"1970-01-01T00:00:10Z\",\"window_end\":\"1970-01-01T00:00:20Z\",\"count\":1}\n");
}

TEST(generator_source)
{
    prt_job_desc d = make_desc();
    prt_source_desc src[1] = { { "orders", "generator", "kv", 1, fake_on_record, NULL } };
    d.sources = src;
    static prt_setting_desc s2[] = {
        { "sources.orders.generator.count", "3", 3, 14 },
        { "sources.orders.generator.rate", "unlimited", 4, 13 },
        { "sources.orders.generator.start", "2024-05-23T12:34:56Z", 5, 14 },
        { "sources.orders.generator.step", "1s", 6, 13 },
        { "sinks.out.file.path", "${PRT_T_DIR}/out.jsonl", 20, 13 },
        { "sinks.agg.file.path", "${PRT_T_DIR}/agg.jsonl", 24, 13 },
        { "errors.file.path", "${PRT_T_DIR}/errors.jsonl", 28, 11 },
    };
    d.settings = s2;
    d.nsettings = (int)(sizeof s2 / sizeof *s2);
    CHECK_EQ_I(run(&d, "run", "--quiet", NULL), 0);
    CHECK_EQ_S(read_file("out.jsonl"),
               "{\"customer\":\"customer-008\",\"amount\":169.96,\"ts\":\"2024-05-23T12:34:56Z\"}\n"
               "{\"customer\":\"customer-022\",\"amount\":64.74,\"ts\":\"2024-05-23T12:34:57Z\"}\n"
               "{\"customer\":\"customer-022\",\"amount\":315.95,\"ts\":\"2024-05-23T12:34:58Z\"}\n");
    CHECK_EQ_S(read_file("agg.jsonl"),
               "{\"window_start\":\"2024-05-23T12:34:50Z\",\"window_end\":\"2024-05-23T12:35:00Z\",\"count\":3}\n");
    /* a rate: 50 records at 1000/s take about 50 ms */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_EQ_I(run(&d, "run", "--quiet", "--set", "sources.orders.generator.count=50",
                   "--set", "sources.orders.generator.rate=1000", NULL), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1000 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    CHECK(ms >= 40);
    int lines = 0;
    for (const char *p = read_file("out.jsonl"); *p; p++)
        lines += *p == '\n';
    CHECK_EQ_I(lines, 50);
    /* a bad generator setting */
    CHECK_EQ_I(run(&d, "run", "--quiet", "--set", "sources.orders.generator.kind=trades", NULL), 1);
    CHECK_EQ_S(read_file("stderr"), "fake: source orders: unknown generator kind 'trades' (expected orders, nexmark_person, nexmark_auction or nexmark_bid)\n");
}

TEST(command_line)
{
    prt_job_desc d = make_desc();
    setup_inputs();
    CHECK_EQ_I(run(&d, "--version", NULL), 0);
    CHECK_EQ_S(read_file("stdout"), "fake built by pipec 0.1.0 from fake.yaml (sha256 0123abcd)\n");
    CHECK_EQ_I(run(&d, "--help", NULL), 0);
    CHECK(strstr(read_file("stdout"), "usage: fake run") != NULL);
    CHECK_EQ_I(run(&d, "describe", NULL), 0);
    CHECK_EQ_S(read_file("stdout"),
               "pipeline: fake\n"
               "built by: pipec 0.1.0\n"
               "yaml: fake.yaml (sha256 0123abcd)\n"
               "\nsources:\n  orders: file, format kv, event time\n"
               "\nsinks:\n  out: file, format json\n  agg: file, format json\n  errors: file, format json (errors)\n"
               "\noperators (operator IDs tie state to savepoints; 128 key groups, state.max_parallelism):\n"
               "  win: window\n    state: key (); acc count int\n"
               "\nsettings:\n"
               "  sources.orders.file.path = ${PRT_T_DIR}/in/*.kv\n"
               "  sources.orders.watermark.out_of_orderness = 2s\n"
               "  sinks.out.file.path = ${PRT_T_DIR}/out.jsonl\n"
               "  sinks.agg.file.path = ${PRT_T_DIR}/agg.jsonl\n"
               "  errors.file.path = ${PRT_T_DIR}/errors.jsonl\n"
               "\nyaml (fake.yaml):\n"
               "pipeline: fake\nsources:\n  orders:\n    file:\n      path: ${PRT_T_DIR}/in/*.kv\n");
    CHECK_EQ_I(run(&d, NULL), 2);
    CHECK(strstr(read_file("stderr"), "usage:") != NULL);
    CHECK_EQ_I(run(&d, "start", NULL), 2);
    CHECK_EQ_S(read_file("stderr"), "fake: unknown command 'start' (expected run, describe, savepoint, stop, health, --help or --version)\n");
    CHECK_EQ_I(run(&d, "savepoint", "/tmp/x", NULL), 2);
    CHECK_EQ_S(read_file("stderr"), "fake: savepoint: no admin address: give --admin ADDR (the job's run --admin) "
               "or set admin.listen in the YAML\n");
    CHECK_EQ_I(run(&d, "stop", "--admin", "127.0.0.1:1", NULL), 3); /* nothing listens there */
    CHECK_EQ_I(run(&d, "stop", "--bogus", NULL), 2);
    CHECK_EQ_I(run(&d, "savepoint", "dump", NULL), 2);
    CHECK_EQ_S(read_file("stderr"), "fake: savepoint dump: which savepoint? (savepoint dump DIR [--operator ID])\n");
    CHECK_EQ_I(run(&d, "savepoint", "dump", "/nonexistent/sp", NULL), 1);
    CHECK_EQ_S(read_file("stderr"), "fake: savepoint dump: /nonexistent/sp: not a savepoint directory (No such file or directory)\n");
    CHECK_EQ_I(run(&d, "run", "--drain", NULL), 2);
    CHECK_EQ_S(read_file("stderr"), "fake: run: --drain goes with --savepoint-on-exit DIR\n");
    CHECK_EQ_I(run(&d, "run", "--bogus", NULL), 2);
    CHECK_EQ_S(read_file("stderr"), "fake: run: unknown option '--bogus' (see --help)\n");
    CHECK_EQ_I(run(&d, "run", "--set", NULL), 2);
    CHECK_EQ_S(read_file("stderr"), "fake: run: --set needs a value\n");
    CHECK_EQ_I(run(&d, "run", "--set", "sink.out.file.path=x", NULL), 2);
    CHECK_EQ_S(read_file("stderr"), "error: --set: unknown setting 'sink.out.file.path' (did you mean 'sinks.out.file.path'?)\n");
    CHECK_EQ_I(run(&d, "run", "--set", "sources.orders.watermark.idle=soon", NULL), 2);
    CHECK_EQ_S(read_file("stderr"), "error: sources.orders.watermark.idle: invalid duration 'soon' (from --set)\n");
}

/* parallelism N: worker w owns the contiguous key groups kg with kg * N / max_parallelism == w
 * (Flink's KeyGroupRangeAssignment); N > 1 has an input context of its own; bad N refused. */
TEST(worker_key_groups)
{
    prt_job_desc d = make_desc();
    static const int maxpars[] = { 128, 7, 1 }, ns[] = { 1, 2, 3, 4, 7 };
    for (size_t m = 0; m < sizeof maxpars / sizeof *maxpars; m++)
        for (size_t k = 0; k < sizeof ns / sizeof *ns; k++) {
            d.max_parallelism = maxpars[m];
            int n = ns[k];
            char set[32];
            snprintf(set, sizeof set, "parallelism=%d", n);
            const char *sets[] = { set };
            prt_job *j = prt_job_new(&d, sets, 1);
            if (n > maxpars[m]) {
                CHECK(j == NULL); /* more workers than key groups */
                continue;
            }
            CHECK(j != NULL);
            CHECK_EQ_I(j->nworkers, n);
            CHECK(n == 1 ? j->input == &j->workers[0] : j->input->index == -1 && j->input->shuffle != NULL);
            for (int kg = 0; kg < maxpars[m]; kg++) {
                int owners = 0, owner = -1;
                for (int w = 0; w < n; w++)
                    if ((uint32_t)kg >= j->workers[w].kg_lo && (uint32_t)kg <= j->workers[w].kg_hi)
                        owners++, owner = w;
                CHECK_EQ_I(owners, 1);
                CHECK_EQ_I(owner, (long long)kg * n / maxpars[m]);
            }
            prt_job_free(j);
        }
    d.max_parallelism = 128;
    d.serial = "key_by x comes after w, on the worker of another key";
    const char *two[] = { "parallelism=2" }, *one[] = { "parallelism=1" }, *zero[] = { "parallelism=0" };
    CHECK(prt_job_new(&d, two, 1) == NULL); /* runs at parallelism 1 only */
    prt_job *j = prt_job_new(&d, one, 1);
    CHECK(j != NULL);
    prt_job_free(j);
    CHECK(prt_job_new(&d, zero, 1) == NULL);
}

TEST(settings_errors)
{
    prt_job_desc d = make_desc();
    char saved[256];
    snprintf(saved, sizeof saved, "%s", getenv("PRT_T_DIR"));
    unsetenv("PRT_T_DIR");
    CHECK_EQ_I(run(&d, "run", NULL), 2);
    setenv("PRT_T_DIR", saved, 1);
    CHECK_EQ_S(read_file("stderr"), "fake.yaml:5:13: error: sources.orders.file.path: environment variable PRT_T_DIR is not set and has no default\n");
    static prt_setting_desc bad[] = {
        { "sources.orders.file.path", "${PRT_T_DIR}/in/*.kv", 5, 13 },
        { "sources.orders.watermark.out_of_orderness", "5 seconds", 8, 34 },
    };
    d.settings = bad;
    d.nsettings = 2;
    CHECK_EQ_I(run(&d, "run", NULL), 2);
    CHECK_EQ_S(read_file("stderr"), "fake.yaml:8:34: error: sources.orders.watermark.out_of_orderness: invalid duration '5 seconds'\n");
}

TEST(runtime_failures)
{
    prt_job_desc d = make_desc();
    setup_inputs();
    /* no input file: exit 1 with one line; sinks were opened (and truncated) first */
    CHECK_EQ_I(run(&d, "run", "--quiet", "--set", "sources.orders.file.path=/nonexistent/*.kv", NULL), 1);
    CHECK_EQ_S(read_file("stderr"), "fake: source orders: no file matches '/nonexistent/*.kv'\n");
    CHECK_EQ_I(run(&d, "run", "--quiet", "--set", "sources.orders.file.path=/nonexistent/x.kv", NULL), 1);
    CHECK_EQ_S(read_file("stderr"), "fake: source orders: cannot open '/nonexistent/x.kv': No such file or directory\n");
    CHECK_EQ_I(run(&d, "run", "--quiet", "--set", "sinks.agg.file.path=/nonexistent/agg", NULL), 1);
    CHECK_EQ_S(read_file("stderr"), "fake: sink agg: cannot open '/nonexistent/agg': No such file or directory\n");
    /* a sink that fails while writing stops the job with exit 1 */
    if (access("/dev/full", W_OK) == 0) {
        CHECK_EQ_I(run(&d, "run", "--quiet", "--set", "sinks.out.file.path=/dev/full", NULL), 1);
        CHECK_EQ_S(read_file("stderr"), "fake: sink out: cannot write to '/dev/full': No space left on device; stopping\n");
    }
    /* an ABI mismatch */
    d.abi = 99;
    CHECK_EQ_I(run(&d, "run", NULL), 1);
}

/* Appends to the followed file, then sends SIGTERM. */
static void *feeder(void *arg)
{
    (void)arg;
    struct timespec t = { 0, 300 * 1000000L };
    nanosleep(&t, NULL);
    char p[512];
    snprintf(p, sizeof p, "%s/follow.kv", dir);
    FILE *f = fopen(p, "a");
    fputs("customer=f2,amount=2,ts=15000\ncustomer=f3,amou", f); /* a partial line */
    fclose(f);
    nanosleep(&t, NULL);
    f = fopen(p, "a");
    fputs("nt=3,ts=16000\n", f);
    fclose(f);
    nanosleep(&t, NULL);
    kill(getpid(), SIGTERM);
    return NULL;
}

TEST(follow_and_sigterm)
{
    prt_job_desc d = make_desc();
    write_file("follow.kv", "customer=f1,amount=1,ts=1000\n");
    char arg[512];
    snprintf(arg, sizeof arg, "sources.orders.file.path=%s/follow.kv", dir);
    pthread_t th;
    pthread_create(&th, NULL, feeder, NULL);
    int rc = run(&d, "run", "--quiet", "--set", arg, "--set", "sources.orders.file.follow=true",
                 "--set", "sources.orders.watermark.out_of_orderness=0s", NULL);
    pthread_join(th, NULL);
    CHECK_EQ_I(rc, 0);
    CHECK_EQ_S(read_file("out.jsonl"),
               "{\"customer\":\"f1\",\"amount\":1.0,\"ts\":\"1970-01-01T00:00:01Z\"}\n"
               "{\"customer\":\"f2\",\"amount\":2.0,\"ts\":\"1970-01-01T00:00:15Z\"}\n"
               "{\"customer\":\"f3\",\"amount\":3.0,\"ts\":\"1970-01-01T00:00:16Z\"}\n");
    /* the first window fired by the watermark; the open one did not fire at the stop */
    CHECK_EQ_S(read_file("agg.jsonl"),
               "{\"window_start\":\"1970-01-01T00:00:00Z\",\"window_end\":\"1970-01-01T00:00:10Z\",\"count\":1}\n");
    CHECK_EQ_S(last_log, "wm 0 999\nwm 0 14999\nwm 0 15999\n");
    CHECK(last_ticks > 10);
}

TEST(idle_partition_releases)
{
    /* a source with one partition and an idle timeout: after the idle time the watermark
     * callback is not called again (all idle holds); covered in test_wm. Here: the setting is
     * read and accepted from the YAML table. */
    prt_job_desc d = make_desc();
    setup_inputs();
    CHECK_EQ_I(run(&d, "run", "--quiet", "--set", "sources.orders.watermark.idle=1m", NULL), 0);
    CHECK_EQ_S(read_file("out.jsonl"), OUT_ALL);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/prt_test_job.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    setenv("PRT_T_DIR", dir, 1);
    RUN(run_files);
    RUN(summary_and_error_log);
    RUN(set_and_single_file);
    RUN(stdin_source);
    RUN(generator_source);
    RUN(command_line);
    RUN(worker_key_groups);
    RUN(settings_errors);
    RUN(runtime_failures);
    RUN(follow_and_sigterm);
    RUN(idle_partition_releases);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (!test_failures && system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return test_summary();
}
