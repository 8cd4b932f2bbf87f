/* kafka-cluster.c — the test Kafka cluster: hosts librdkafka's mock cluster on loopback.
 *
 *   kafka-cluster [--brokers N] [--topic NAME:PARTITIONS]... [--port-file F]
 *
 * Prints the bootstrap address on stdout (and into F, written atomically), then serves until
 * SIGTERM/SIGINT. Control while running: SIGUSR1 takes every broker down, SIGUSR2 brings them
 * back; or lines on stdin: `down ID|all`, `up ID|all`, `topic NAME:PARTITIONS`, `quit`. The mock
 * has no CreateTopics handler, which is why topics are created here. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t kc_quit, kc_down, kc_up;

static void kc_on_signal(int sig)
{
    if (sig == SIGUSR1) kc_down = 1;
    else if (sig == SIGUSR2) kc_up = 1;
    else kc_quit = 1;
}

static int kc_topic(rd_kafka_mock_cluster_t *mc, const char *spec)
{
    char name[256];
    const char *colon = strrchr(spec, ':');
    int parts = 1;
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    if (colon) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (*end || v < 1 || v > 10000) {
            fprintf(stderr, "kafka-cluster: bad partition count in '%s'\n", spec);
            return -1;
        }
        parts = (int)v;
    }
    if (n == 0 || n >= sizeof name) {
        fprintf(stderr, "kafka-cluster: bad topic '%s'\n", spec);
        return -1;
    }
    memcpy(name, spec, n);
    name[n] = 0;
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, name, parts, 1);
    if (err) {
        fprintf(stderr, "kafka-cluster: topic %s: %s\n", name, rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

static int kc_broker_id(const char *arg, int nbrokers)
{
    if (strcmp(arg, "all") == 0) return -1;
    char *end;
    long v = strtol(arg, &end, 10);
    if (*end || v < 1 || v > nbrokers) return -2;
    return (int)v;
}

/* One stdin command; returns 1 to quit. */
static int kc_command(rd_kafka_mock_cluster_t *mc, char *line, int nbrokers)
{
    char verb[16] = "", arg[256] = "";
    if (sscanf(line, "%15s %255s", verb, arg) < 1) return 0;
    if (strcmp(verb, "quit") == 0) return 1;
    if (strcmp(verb, "topic") == 0) {
        if (kc_topic(mc, arg) == 0) printf("ok\n");
    } else if (strcmp(verb, "down") == 0 || strcmp(verb, "up") == 0) {
        int id = kc_broker_id(arg[0] ? arg : "all", nbrokers);
        if (id == -2) {
            fprintf(stderr, "kafka-cluster: no broker '%s' (1..%d or all)\n", arg, nbrokers);
            return 0;
        }
        rd_kafka_resp_err_t err = verb[0] == 'd' ? rd_kafka_mock_broker_set_down(mc, id)
                                                 : rd_kafka_mock_broker_set_up(mc, id);
        if (err) fprintf(stderr, "kafka-cluster: %s %s: %s\n", verb, arg, rd_kafka_err2str(err));
        else printf("ok\n");
    } else {
        fprintf(stderr, "kafka-cluster: unknown command '%s' (down/up ID|all, topic N:P, quit)\n", verb);
    }
    fflush(stdout);
    return 0;
}

static int kc_write_port_file(const char *path, const char *bootstrap)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return -1;
    FILE *f = fopen(tmp, "w");
    if (!f) return -1;
    int bad = fprintf(f, "%s\n", bootstrap) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void kc_usage(void)
{
    fprintf(stderr, "usage: kafka-cluster [--brokers N] [--topic NAME:PARTITIONS]... [--port-file F]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int nbrokers = 1;
    const char *port_file = NULL;
    const char *topics[256];
    int ntopics = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc) {
            nbrokers = atoi(argv[++i]);
            if (nbrokers < 1 || nbrokers > 16) kc_usage();
        } else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc && ntopics < 256) {
            topics[ntopics++] = argv[++i];
        } else if (strcmp(argv[i], "--port-file") == 0 && i + 1 < argc) {
            port_file = argv[++i];
        } else {
            kc_usage();
        }
    }

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "kafka-cluster: %s\n", errstr);
        return 1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "kafka-cluster: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, nbrokers);
    if (!mc) {
        fprintf(stderr, "kafka-cluster: cannot create the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < ntopics && rc == 0; i++) rc = kc_topic(mc, topics[i]);
    const char *bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
    if (rc == 0 && port_file && kc_write_port_file(port_file, bootstrap) != 0) {
        fprintf(stderr, "kafka-cluster: cannot write %s: %s\n", port_file, strerror(errno));
        rc = 1;
    }
    if (rc == 0) {
        printf("%s\n", bootstrap);
        fflush(stdout);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = kc_on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGUSR1, &sa, NULL);
        sigaction(SIGUSR2, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        char line[512];
        size_t have = 0;
        int stdin_open = 1;
        while (!kc_quit) {
            if (kc_down) {
                kc_down = 0;
                rd_kafka_mock_broker_set_down(mc, -1);
            }
            if (kc_up) {
                kc_up = 0;
                rd_kafka_mock_broker_set_up(mc, -1);
            }
            struct pollfd p = { .fd = 0, .events = POLLIN };
            int n = poll(&p, stdin_open ? 1 : 0, 200);
            if (n <= 0 || !(p.revents & (POLLIN | POLLHUP))) continue;
            ssize_t got = read(0, line + have, sizeof line - 1 - have);
            if (got <= 0) {
                stdin_open = 0; /* EOF: keep serving until a signal */
                continue;
            }
            have += (size_t)got;
            line[have] = 0;
            char *nl;
            while ((nl = strchr(line, '\n')) != NULL) {
                *nl = 0;
                if (kc_command(mc, line, nbrokers)) kc_quit = 1;
                size_t used = (size_t)(nl + 1 - line);
                memmove(line, nl + 1, have - used + 1);
                have -= used;
            }
            if (have == sizeof line - 1) have = 0; /* overlong line: drop it */
        }
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return rc;
}
