/* test_cli.c — the command line's exact words (prt_cli.c): --help, with the run modes listed
 * from the connector registry, byte for byte (a change here is a change users see: update the
 * text deliberately); the registry's lookups. */
#include "prt.h"
#include "prt_jobpriv.h"
#include "prt_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static prt_job_desc make_desc(void)
{
    prt_job_desc d = { 0 };
    d.abi = PRT_ABI_VERSION;
    d.pipeline = "orders_by_status";
    d.pipec_version = "0.1.0";
    d.yaml_name = "orders_by_status.yaml";
    d.yaml_sha256 = "00";
    d.errors_sink = -1;
    return d;
}

/* Runs prt_main with fd (1 or 2) captured into out. */
static int capture(int fd, const prt_job_desc *d, int argc, char **argv, char *out, size_t cap)
{
    char path[] = "/tmp/prt_test_cli.XXXXXX";
    int f = mkstemp(path);
    prt_assert(f >= 0);
    fflush(stdout);
    fflush(stderr);
    int saved = dup(fd);
    dup2(f, fd);
    int rc = prt_main(argc, argv, d);
    fflush(stdout);
    fflush(stderr);
    dup2(saved, fd);
    close(saved);
    ssize_t n = pread(f, out, cap - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    close(f);
    unlink(path);
    return rc;
}

#define HELP \
    "usage: orders_by_status run [--set PATH=VALUE]... [--embedded-kafka] [--quiet]\n" \
    "                [--from-savepoint DIR] [--allow-non-restored-state]\n" \
    "                [--savepoint-on-exit DIR [--drain]]\n" \
    "                [--admin ADDR] [--log-format text|json]\n" \
    "       orders_by_status describe\n" \
    "       orders_by_status savepoint [--admin ADDR] DIR\n" \
    "       orders_by_status savepoint dump DIR [--operator ID] | savepoint check DIR\n" \
    "       orders_by_status stop [--admin ADDR] [--savepoint DIR] [--drain] [--no-wait]\n" \
    "       orders_by_status health [--admin ADDR] [--ready]\n" \
    "       orders_by_status --help | --version\n" \
    "\n" \
    "Pipeline orders_by_status, built by pipec 0.1.0 from orders_by_status.yaml.\n" \
    "\n" \
    "  run        run the pipeline until its input ends (bounded sources) or SIGINT/SIGTERM\n" \
    "  describe   sources, sinks, operator IDs and state schemas, settings, and the YAML\n" \
    "  --set PATH=VALUE    override a setting at start, e.g. --set sources.in.file.path=x.kv\n" \
    "  --from-savepoint DIR        restore operator state, source positions and watermarks\n" \
    "  --allow-non-restored-state  drop saved state of operators this build lacks\n" \
    "  --savepoint-on-exit DIR     at the end of bounded input, write a savepoint; open windows\n" \
    "                              stay open unless --drain fires them first\n" \
    "  savepoint dump DIR  the savepoint's state as JSON lines, then its source positions\n" \
    "  savepoint check DIR what restoring DIR would do, one line per operator ID\n" \
    "  --embedded-kafka    run against an in-process demo Kafka cluster fed by a generator\n" \
    "  --quiet             no progress lines and no final summary on stderr\n" \
    "  --admin ADDR        serve the admin endpoint (page, /metrics, /api/job) at ADDR\n" \
    "                      (HOST:PORT; a bare :PORT is loopback); default: admin.listen\n" \
    "  --log-format json   one JSON object per log line on stderr (default: text)\n" \
    "  savepoint, stop     act on the job running with that admin address; stop waits\n" \
    "                      until it has exited (--drain fires open windows first); a DIR\n" \
    "                      ending in / gets a new savepoint-<UTC time> inside\n" \
    "  health              exit 0 when the job at the admin address is alive (--ready:\n" \
    "                      ready); for container health checks\n" \
    "\n" \
    "Exit status: 0 success (also after SIGINT/SIGTERM), 1 runtime failure, 2 usage or\n" \
    "configuration error.\n"

TEST(help_text)
{
    prt_job_desc d = make_desc();
    char out[4096];
    char *help[] = { "bin/orders_by_status", "--help", NULL };
    CHECK_EQ_I(capture(1, &d, 2, help, out, sizeof out), 0);
    CHECK_EQ_S(out, HELP);
    char *none[] = { "orders_by_status", NULL };
    CHECK_EQ_I(capture(2, &d, 1, none, out, sizeof out), 2);
    CHECK_EQ_S(out, HELP);
}

TEST(run_modes_from_the_registry)
{
    const prt_run_mode *m = prt_run_mode_at(0);
    CHECK(m == &prt_kafka_embedded_mode);
    CHECK(prt_run_mode_at(1) == NULL);
    CHECK(prt_run_mode_at(-1) == NULL);
    CHECK(prt_connector_source("kafka") == &prt_src_kafka);
    CHECK(prt_connector_sink("stdout") == &prt_snk_stdout);
    CHECK(prt_connector_source("stdout") == NULL);
    CHECK(prt_connector_sink("generator") == NULL);
}

int main(void)
{
    RUN(help_text);
    RUN(run_modes_from_the_registry);
    return test_summary();
}
