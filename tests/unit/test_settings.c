/* test_settings.c — settings resolution: ${NAME} / ${NAME:-default} / $${, errors with YAML
 * positions, --set (known paths, connector prefixes, job-wide keys, unknown paths with a hint,
 * refused at start with exit 2), typed getters. */
#include "prt_job.h"
#include "prt_settings.h"
#include "prt_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const prt_setting_desc settings[] = {
    { "sources.orders.kafka.bootstrap", "${PRT_T_HOST:-localhost:9094}", 12, 18 },
    { "sources.orders.kafka.topics", "partitioned-topic", 13, 15 },
    { "sources.orders.watermark.out_of_orderness", "5s", 17, 34 },
    { "sinks.out.kafka.topic", "flink-aggregates", 30, 14 },
    { "sinks.late.file.path", "${PRT_T_LATE:-late.jsonl}", 35, 13 },
    { "checkpoint.interval", "10s", 40, 13 },
    { "checkpoint.dir", "$${STATE_DIR}/x", 42, 8 },
    { "sources.orders.kafka.properties.fetch.min.bytes", "1", 14, 30 },
    { "sources.orders.kafka.bounded", "yes", 15, 16 },
};

static const prt_source_desc sources[] = { { "orders", "kafka", "kv", 1, NULL, NULL } };
static const prt_sink_desc sinks[] = { { "out", "kafka", "json", NULL }, { "late", "file", "json", NULL },
                                       { "errors", "file", "json", NULL } };

static prt_job_desc desc_with(const prt_setting_desc *s, int n)
{
    prt_job_desc d = { 0 };
    d.abi = PRT_ABI_VERSION;
    d.pipeline = "orders_by_status";
    d.yaml_name = "orders.yaml";
    d.settings = s;
    d.nsettings = n;
    d.sources = sources;
    d.nsources = 1;
    d.sinks = sinks;
    d.nsinks = 3;
    d.errors_sink = 2;
    return d;
}

static char *expand(const char *s, prt_err *e)
{
    char *out = NULL;
    if (prt_settings_expand(s, &out, e) != PRT_OK)
        return NULL;
    return out;
}

#define CHECK_EXPAND(in, want) do { prt_err e_; char *o_ = expand(in, &e_); \
        CHECK_EQ_S(o_ ? o_ : e_.msg, want); free(o_); } while (0)
#define CHECK_EXPAND_ERR(in, want) do { prt_err e_; char *o_ = expand(in, &e_); \
        CHECK(o_ == NULL); if (!o_) CHECK_EQ_S(e_.msg, want); free(o_); } while (0)

TEST(expand)
{
    setenv("PRT_T_A", "alpha", 1);
    setenv("PRT_T_EMPTY", "", 1);
    unsetenv("PRT_T_UNSET");
    CHECK_EXPAND("plain", "plain");
    CHECK_EXPAND("", "");
    CHECK_EXPAND("${PRT_T_A}", "alpha");
    CHECK_EXPAND("x-${PRT_T_A}-${PRT_T_A}.y", "x-alpha-alpha.y");
    CHECK_EXPAND("${PRT_T_UNSET:-localhost:9094}", "localhost:9094");
    CHECK_EXPAND("${PRT_T_A:-other}", "alpha");
    CHECK_EXPAND("${PRT_T_EMPTY:-dflt}", "dflt");
    CHECK_EXPAND("${PRT_T_EMPTY}", "");
    CHECK_EXPAND("${PRT_T_UNSET:-}", "");
    CHECK_EXPAND("$${PRT_T_A}", "${PRT_T_A}");
    CHECK_EXPAND("cost $5 and $x", "cost $5 and $x");
    CHECK_EXPAND("$$", "$$");
    CHECK_EXPAND_ERR("${PRT_T_UNSET}", "environment variable PRT_T_UNSET is not set and has no default");
    CHECK_EXPAND_ERR("a${PRT_T_A", "unterminated '${PRT_T_A'");
    CHECK_EXPAND_ERR("${PRT_T_A:-x", "unterminated '${PRT_T_A'");
    CHECK_EXPAND_ERR("${}", "invalid variable reference '${': expected a name");
    CHECK_EXPAND_ERR("${A-b}", "invalid variable reference '${A-': expected '}' or ':-default'");
}

TEST(resolve_at_start)
{
    setenv("PRT_T_HOST", "broker:9092", 1);
    unsetenv("PRT_T_LATE");
    prt_job_desc d = desc_with(settings, (int)(sizeof settings / sizeof *settings));
    prt_err e;
    prt_settings *st = prt_settings_new(&d, &e);
    CHECK(st != NULL);
    if (!st)
        return;
    prt_job j = { 0 };
    j.desc = &d;
    j.cfg = st;
    CHECK_EQ_S(prt_cfg(&j, "sources.orders.kafka.bootstrap"), "broker:9092");
    CHECK_EQ_S(prt_cfg(&j, "sinks.late.file.path"), "late.jsonl");
    CHECK_EQ_S(prt_cfg(&j, "checkpoint.dir"), "${STATE_DIR}/x");
    CHECK(prt_cfg(&j, "sources.orders.kafka.group") == NULL);
    CHECK_EQ_S(prt_settings_find(st, "sources.orders.kafka.bootstrap")->raw,
               "${PRT_T_HOST:-localhost:9094}");
    prt_settings_free(st);
}

TEST(unset_without_default)
{
    static const prt_setting_desc s[] = {
        { "sources.orders.kafka.topics", "t", 3, 5 },
        { "sources.orders.kafka.bootstrap", "${PRT_T_UNSET}", 12, 18 },
    };
    unsetenv("PRT_T_UNSET");
    prt_job_desc d = desc_with(s, 2);
    prt_err e;
    CHECK(prt_settings_new(&d, &e) == NULL);
    CHECK_EQ_S(e.msg, "orders.yaml:12:18: error: sources.orders.kafka.bootstrap: environment "
               "variable PRT_T_UNSET is not set and has no default");
}

static prt_settings *fresh(prt_job_desc *d)
{
    prt_err e;
    setenv("PRT_T_HOST", "h", 1);
    *d = desc_with(settings, (int)(sizeof settings / sizeof *settings));
    prt_settings *st = prt_settings_new(d, &e);
    prt_assert(st != NULL);
    st->quiet_errors = 1;
    return st;
}

#define CHECK_SET_ERR(st, arg, want) do { prt_err e_; \
        CHECK(prt_settings_set(st, arg, &e_) == PRT_ERR); CHECK_EQ_S(e_.msg, want); } while (0)

TEST(set_override)
{
    prt_job_desc d;
    prt_settings *st = fresh(&d);
    prt_job j = { 0 };
    j.desc = &d;
    j.cfg = st;
    prt_err e;
    /* a known path: replaced, and the value is not expanded */
    CHECK(prt_settings_set(st, "sinks.late.file.path=${PRT_T_HOST}/x=y", &e) == PRT_OK);
    CHECK_EQ_S(prt_cfg(&j, "sinks.late.file.path"), "${PRT_T_HOST}/x=y");
    /* new paths under a connector prefix, checkpoint., state., watermark. */
    CHECK(prt_settings_set(st, "sources.orders.kafka.properties.linger.ms=5", &e) == PRT_OK);
    CHECK(prt_settings_set(st, "sources.orders.kafka.group=g2", &e) == PRT_OK);
    CHECK(prt_settings_set(st, "sinks.out.kafka.properties.acks=all", &e) == PRT_OK);
    CHECK(prt_settings_set(st, "errors.file.path=err.jsonl", &e) == PRT_OK);
    CHECK(prt_settings_set(st, "checkpoint.retain=3", &e) == PRT_OK);
    CHECK(prt_settings_set(st, "state.backend=memory", &e) == PRT_OK);
    CHECK(prt_settings_set(st, "sources.orders.watermark.idle=1m", &e) == PRT_OK);
    CHECK(prt_settings_set(st, "sinks.late.file.path=", &e) == PRT_OK);
    CHECK_EQ_S(prt_cfg(&j, "sinks.late.file.path"), "");
    CHECK_EQ_S(prt_cfg(&j, "sources.orders.kafka.group"), "g2");
    CHECK_EQ_S(prt_cfg(&j, "errors.file.path"), "err.jsonl");
    /* unknown paths */
    CHECK_SET_ERR(st, "sinks.out.kafak.topic=x",
                  "error: --set: unknown setting 'sinks.out.kafak.topic' (did you mean 'sinks.out.kafka.topic'?)");
    CHECK_SET_ERR(st, "sources.orders.file.path=x",
                  "error: --set: unknown setting 'sources.orders.file.path'");
    CHECK_SET_ERR(st, "sources.nope.watermark.idle=1s",
                  "error: --set: unknown setting 'sources.nope.watermark.idle' (did you mean 'sources.orders.watermark.idle'?)");
    CHECK_SET_ERR(st, "sinks.errors.file.path=x",
                  "error: --set: unknown setting 'sinks.errors.file.path' (did you mean 'errors.file.path'?)");
    CHECK_SET_ERR(st, "checkpoint.=x",
                  "error: --set: unknown setting 'checkpoint.' (did you mean 'checkpoint.dir'?)");
    CHECK_SET_ERR(st, "completely.different=x",
                  "error: --set: unknown setting 'completely.different'");
    /* checkpoint., state. and parallelism: the language's keys only, with a hint for a typo */
    CHECK(prt_settings_set(st, "checkpoint.mode=at_least_once", &e) == PRT_OK);
    CHECK(prt_settings_set(st, "parallelism=2", &e) == PRT_OK);
    CHECK_EQ_S(prt_cfg(&j, "checkpoint.mode"), "at_least_once");
    CHECK_EQ_S(prt_cfg(&j, "parallelism"), "2");
    CHECK_SET_ERR(st, "checkpoint.intervall=5s",
                  "error: --set: unknown setting 'checkpoint.intervall' (did you mean 'checkpoint.interval'?)");
    CHECK_SET_ERR(st, "checkpoint.retian=3",
                  "error: --set: unknown setting 'checkpoint.retian' (did you mean 'checkpoint.retain'?)");
    CHECK_SET_ERR(st, "state.backnd=memory",
                  "error: --set: unknown setting 'state.backnd' (did you mean 'state.backend'?)");
    CHECK_SET_ERR(st, "state.ttl=1d", "error: --set: unknown setting 'state.ttl'");
    CHECK_SET_ERR(st, "paralelism=4",
                  "error: --set: unknown setting 'paralelism' (did you mean 'parallelism'?)");
    CHECK_SET_ERR(st, "state.max_parallelism=256",
                  "error: --set: state.max_parallelism is fixed when the binary is built; "
                  "change it in the YAML and rebuild with pipec");
    CHECK(prt_cfg(&j, "checkpoint.intervall") == NULL);
    CHECK_SET_ERR(st, "no_equals", "error: --set: expected path=value, got 'no_equals'");
    CHECK_SET_ERR(st, "=v", "error: --set: expected path=value, got '=v'");
    prt_settings_free(st);
}

TEST(typed_getters)
{
    prt_job_desc d;
    prt_settings *st = fresh(&d);
    prt_job j = { 0 };
    j.desc = &d;
    j.cfg = st;
    int64_t v;
    int b;
    CHECK(prt_cfg_dur(&j, "sources.orders.watermark.out_of_orderness", 0, &v) == PRT_OK);
    CHECK_EQ_I(v, 5000);
    CHECK(prt_cfg_dur(&j, "sources.orders.watermark.idle", -7, &v) == PRT_OK);
    CHECK_EQ_I(v, -7);
    CHECK(prt_cfg_int(&j, "sources.orders.kafka.properties.fetch.min.bytes", 0, &v) == PRT_OK);
    CHECK_EQ_I(v, 1);
    CHECK(prt_cfg_bool(&j, "sources.orders.kafka.bounded", 0, &b) == PRT_OK);
    CHECK_EQ_I(b, 1);
    CHECK(prt_cfg_bool(&j, "sources.orders.kafka.follow", 1, &b) == PRT_OK);
    CHECK_EQ_I(b, 1);
    /* invalid YAML values name the position of the value */
    CHECK(prt_cfg_int(&j, "sources.orders.kafka.topics", 0, &v) == PRT_ERR);
    CHECK_EQ_S(st->last_err, "orders.yaml:13:15: error: sources.orders.kafka.topics: invalid integer 'partitioned-topic'");
    CHECK(prt_cfg_dur(&j, "sinks.out.kafka.topic", 0, &v) == PRT_ERR);
    CHECK_EQ_S(st->last_err, "orders.yaml:30:14: error: sinks.out.kafka.topic: invalid duration 'flink-aggregates'");
    CHECK(prt_cfg_bool(&j, "checkpoint.interval", 0, &b) == PRT_ERR);
    CHECK_EQ_S(st->last_err, "orders.yaml:40:13: error: checkpoint.interval: invalid boolean '10s'");
    /* values from --set say so */
    prt_err e;
    CHECK(prt_settings_set(st, "checkpoint.interval=10 parsecs", &e) == PRT_OK);
    CHECK(prt_cfg_dur(&j, "checkpoint.interval", 0, &v) == PRT_ERR);
    CHECK_EQ_S(st->last_err, "error: checkpoint.interval: invalid duration '10 parsecs' (from --set)");
    prt_settings_free(st);
}

TEST(durations)
{
    static const struct { const char *s; int64_t ms; } ok[] = {
        { "250ms", 250 }, { "30s", 30000 }, { "5m", 300000 }, { "2h", 7200000 },
        { "1d", 86400000 }, { "0", 0 }, { " 7s ", 7000 }, { "0ms", 0 },
    };
    static const char *const bad[] = { "", "s", "5", "5x", "-1s", "1.5s", "5 m s", "1sec", "ms" };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t v = -1;
        CHECK(prt_parse_duration(ok[i].s, &v) == PRT_OK);
        CHECK_EQ_I(v, ok[i].ms);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t v;
        if (prt_parse_duration(bad[i], &v) != PRT_ERR)
            TEST_FAIL("duration '%s' accepted", bad[i]);
    }
}

static int collect(void *arg, const char *rest, const char *value)
{
    prt_buf *b = arg;
    prt_buf_printf(b, "%s=%s;", rest, value);
    return 0;
}

static int stop_at_second(void *arg, const char *rest, const char *value)
{
    int *n = arg;
    (void)rest;
    (void)value;
    return ++*n == 2 ? 42 : 0;
}

TEST(each_and_override)
{
    prt_job_desc d;
    prt_settings *st = fresh(&d);
    prt_job j = { 0 };
    j.desc = &d;
    j.cfg = st;
    prt_err e;
    CHECK(prt_settings_set(st, "sources.orders.kafka.properties.linger.ms=5", &e) == PRT_OK);
    prt_buf b = { 0 };
    CHECK_EQ_I(prt_cfg_each(&j, "sources.orders.kafka.", collect, &b), 0);
    prt_buf_putc(&b, '\0');
    CHECK_EQ_S(b.p, "bootstrap=h;topics=partitioned-topic;properties.fetch.min.bytes=1;"
               "bounded=yes;properties.linger.ms=5;");
    int n = 0;
    CHECK_EQ_I(prt_cfg_each(&j, "sources.", stop_at_second, &n), 42);
    prt_cfg_override(&j, "sources.orders.kafka.bootstrap", "127.0.0.1:4000");
    CHECK_EQ_S(prt_cfg(&j, "sources.orders.kafka.bootstrap"), "127.0.0.1:4000");
    CHECK(prt_settings_find(st, "sources.orders.kafka.bootstrap")->from_set);
    prt_buf_free(&b);
    prt_settings_free(st);
}

/* `run --set ARG` refused before anything opens: exit 2 and exactly want (one line) on stderr. */
static void check_set_refused(const char *arg, const char *want)
{
    prt_job_desc d = desc_with(settings, (int)(sizeof settings / sizeof *settings));
    char *argv[] = { "orders_by_status", "run", "--set", (char *)arg, NULL };
    char path[] = "/tmp/prt_test_settings.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    int rc = prt_main(4, argv, &d);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    CHECK_EQ_I(rc, 2);
    char buf[512] = "";
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    CHECK_EQ_S(buf, want);
    close(fd);
    unlink(path);
}

/* checkpoint.* and state.* are checked at start like every other setting, with a hint */
TEST(unknown_setting_at_start)
{
    check_set_refused("checkpoint.intervall=5s",
                      "error: --set: unknown setting 'checkpoint.intervall' (did you mean 'checkpoint.interval'?)\n");
    check_set_refused("state.backedn=rocksdb",
                      "error: --set: unknown setting 'state.backedn' (did you mean 'state.backend'?)\n");
    check_set_refused("checkpoint.retian=3",
                      "error: --set: unknown setting 'checkpoint.retian' (did you mean 'checkpoint.retain'?)\n");
}

int main(void)
{
    RUN(expand);
    RUN(resolve_at_start);
    RUN(unset_without_default);
    RUN(set_override);
    RUN(typed_getters);
    RUN(durations);
    RUN(each_and_override);
    RUN(unknown_setting_at_start);
    return test_summary();
}
