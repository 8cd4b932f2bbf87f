/* prt_kafka_embedded.c — `run --embedded-kafka`: librdkafka's mock cluster inside the binary.
 *
 * Starts a one-broker mock cluster on loopback, points every kafka source and sink at it, creates
 * their topics (3 partitions each: the mock has no CreateTopics handler) and feeds each source
 * topic with order events from prt_gen on a thread with its own producer, at `embedded.rate`
 * records per second (default 200), event time starting now. Demo mode only: the Kafka
 * connector offers it to `run` as prt_kafka_embedded_mode (prt_connector.h); nothing else in the
 * product uses the mock. The cluster is process-wide state, started and stopped once per run. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prt_gen.h"
#include "prt_kafka_int.h"

#include <librdkafka/rdkafka_mock.h> /* after rdkafka.h (from prt_kafka_int.h) */

#define PRT_EMB_PARTITIONS 3
#define PRT_EMB_MAX_FEEDS 64

typedef struct prt_emb_feed {
    char *topic;
    prt_gen *gen;
} prt_emb_feed;

static struct prt_emb {
    int running;
    rd_kafka_t *host;            /* the handle the mock cluster is bound to */
    rd_kafka_mock_cluster_t *mc;
    rd_kafka_t *producer;        /* the feeder's own producer */
    prt_emb_feed feeds[PRT_EMB_MAX_FEEDS];
    int nfeeds;
    int64_t rate;
    pthread_t thread;
    int thread_started;
    atomic_int stop;
    prt_job *job;
} prt_emb;

static void *prt_emb_feeder(void *arg)
{
    struct prt_emb *e = arg;
    prt_buf line = { 0 };
    int64_t t0 = prt_mono_ms();
    uint64_t sent = 0;
    int warned = 0;
    while (!atomic_load(&e->stop)) {
        uint64_t due = (uint64_t)((prt_mono_ms() - t0) * e->rate / 1000);
        for (; sent < due && !atomic_load(&e->stop); sent++) {
            for (int i = 0; i < e->nfeeds; i++) {
                int64_t ts;
                prt_gen_next(e->feeds[i].gen, &line, &ts);
                rd_kafka_resp_err_t err = rd_kafka_producev(
                    e->producer, RD_KAFKA_V_TOPIC(e->feeds[i].topic),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(line.p, line.n),
                    RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_END);
                if (err && !warned++)
                    prt_log(e->job, "embedded Kafka: cannot produce to %s: %s", e->feeds[i].topic,
                            rd_kafka_err2str(err));
            }
        }
        rd_kafka_poll(e->producer, 10);
    }
    prt_buf_free(&line);
    return NULL;
}

static int prt_emb_topic(prt_job *j, const char *topic, char *list, size_t cap)
{
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(prt_emb.mc, topic, PRT_EMB_PARTITIONS, 1);
    if (err) {
        prt_log(j, "embedded Kafka: cannot create topic %s: %s", topic, rd_kafka_err2str(err));
        return PRT_ERR;
    }
    size_t n = strlen(list);
    snprintf(list + n, cap - n, "%s%s", n ? ", " : "", topic);
    return PRT_OK;
}

static int prt_emb_feed_add(prt_job *j, const prt_source_desc *sd, const char *topic, int64_t now)
{
    if (prt_emb.nfeeds == PRT_EMB_MAX_FEEDS) {
        prt_log(j, "embedded Kafka: more than %d source topics", PRT_EMB_MAX_FEEDS);
        return PRT_ERR;
    }
    const char *fmt = sd->format;
    if (!fmt || (strcmp(fmt, "json") != 0 && strcmp(fmt, "csv") != 0))
        fmt = "kv";
    int64_t step = 1000 / prt_emb.rate;
    prt_gen_spec spec = { .kind = "orders", .format = fmt, .seed = 1 + (uint64_t)prt_emb.nfeeds,
                          .start_ms = now, .step_ms = step > 0 ? step : 1, .disorder_ms = 0 };
    prt_err e;
    prt_gen *g = prt_gen_new(&spec, &e);
    if (!g) {
        prt_log(j, "embedded Kafka: source %s: %s", sd->name, e.msg);
        return PRT_ERR;
    }
    prt_emb_feed *f = &prt_emb.feeds[prt_emb.nfeeds++];
    f->gen = g;
    f->topic = strdup(topic);
    prt_assert(f->topic != NULL);
    return PRT_OK;
}

static void prt_kafka_embedded_stop(prt_job *j);

static int prt_kafka_embedded_start(prt_job *j)
{
    const prt_job_desc *d = j->desc;
    char errstr[512], path[256], topics[2048] = "";
    memset(&prt_emb, 0, sizeof prt_emb);
    prt_emb.job = j;
    atomic_init(&prt_emb.stop, 0);
    prt_emb.running = 1;
    if (prt_cfg_int(j, "embedded.rate", 200, &prt_emb.rate) != PRT_OK)
        goto fail;
    if (prt_emb.rate < 1 || prt_emb.rate > 1000000) {
        prt_log(j, "embedded.rate must be between 1 and 1000000 records per second");
        goto fail;
    }

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (prt_kafka_set(j, "embedded Kafka", conf, "log_level", "2") != PRT_OK) {
        rd_kafka_conf_destroy(conf);
        goto fail;
    }
    prt_emb.host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!prt_emb.host) {
        rd_kafka_conf_destroy(conf);
        prt_log(j, "embedded Kafka: %s", errstr);
        goto fail;
    }
    prt_emb.mc = rd_kafka_mock_cluster_new(prt_emb.host, 1);
    if (!prt_emb.mc) {
        prt_log(j, "embedded Kafka: cannot start the mock cluster");
        goto fail;
    }
    const char *bootstrap = rd_kafka_mock_cluster_bootstraps(prt_emb.mc);

    int64_t now = prt_wall_ms();
    for (int i = 0; i < d->nsources; i++) {
        const prt_source_desc *sd = &d->sources[i];
        if (strcmp(sd->connector, "kafka") != 0)
            continue;
        snprintf(path, sizeof path, "sources.%s.kafka.bootstrap", sd->name);
        prt_cfg_override(j, path, bootstrap);
        snprintf(path, sizeof path, "sources.%s.kafka.topics", sd->name);
        const char *list = prt_cfg(j, path);
        if (!list) {
            prt_log(j, "embedded Kafka: source %s uses topic_pattern; create and feed its topics "
                    "yourself (kcat -b %s)", sd->name, bootstrap);
            continue;
        }
        char *copy = strdup(list), *save = NULL;
        prt_assert(copy != NULL);
        int rc = PRT_OK;
        for (char *t = strtok_r(copy, ",", &save); t && rc == PRT_OK; t = strtok_r(NULL, ",", &save)) {
            while (*t == ' ')
                t++;
            size_t n = strlen(t);
            while (n && t[n - 1] == ' ')
                t[--n] = 0;
            if (!n)
                continue;
            rc = prt_emb_topic(j, t, topics, sizeof topics);
            if (rc == PRT_OK)
                rc = prt_emb_feed_add(j, sd, t, now);
        }
        free(copy);
        if (rc != PRT_OK)
            goto fail;
    }
    for (int i = 0; i < d->nsinks; i++) {
        const prt_sink_desc *kd = &d->sinks[i];
        if (strcmp(kd->connector, "kafka") != 0)
            continue;
        snprintf(path, sizeof path, "sinks.%s.kafka.bootstrap", kd->name);
        prt_cfg_override(j, path, bootstrap);
        snprintf(path, sizeof path, "sinks.%s.kafka.topic", kd->name);
        const char *t = prt_cfg(j, path);
        if (t && *t && prt_emb_topic(j, t, topics, sizeof topics) != PRT_OK)
            goto fail;
    }

    if (prt_emb.nfeeds) {
        conf = rd_kafka_conf_new();
        if (prt_kafka_set(j, "embedded Kafka", conf, "bootstrap.servers", bootstrap) != PRT_OK ||
            prt_kafka_set(j, "embedded Kafka", conf, "linger.ms", "5") != PRT_OK ||
            prt_kafka_set(j, "embedded Kafka", conf, "log_level", "2") != PRT_OK) {
            rd_kafka_conf_destroy(conf);
            goto fail;
        }
        prt_emb.producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
        if (!prt_emb.producer) {
            rd_kafka_conf_destroy(conf);
            prt_log(j, "embedded Kafka: %s", errstr);
            goto fail;
        }
        if (pthread_create(&prt_emb.thread, NULL, prt_emb_feeder, &prt_emb) != 0) {
            prt_log(j, "embedded Kafka: cannot start the feeder thread");
            goto fail;
        }
        prt_emb.thread_started = 1;
    }
    prt_log(j, "embedded Kafka at %s (topics: %s)", bootstrap, topics[0] ? topics : "none");
    return PRT_OK;
fail:
    prt_kafka_embedded_stop(j);
    return PRT_ERR;
}

static void prt_kafka_embedded_stop(prt_job *j)
{
    if (!prt_emb.running)
        return;
    atomic_store(&prt_emb.stop, 1);
    if (prt_emb.thread_started)
        pthread_join(prt_emb.thread, NULL);
    if (prt_emb.producer) {
        rd_kafka_flush(prt_emb.producer, 2000);
        rd_kafka_destroy(prt_emb.producer);
    }
    for (int i = 0; i < prt_emb.nfeeds; i++) {
        prt_gen_free(prt_emb.feeds[i].gen);
        free(prt_emb.feeds[i].topic);
    }
    if (prt_emb.mc)
        rd_kafka_mock_cluster_destroy(prt_emb.mc);
    if (prt_emb.host)
        rd_kafka_destroy(prt_emb.host);
    memset(&prt_emb, 0, sizeof prt_emb);
}

const prt_run_mode prt_kafka_embedded_mode = {
    .flag = "--embedded-kafka",
    .help = "run against an in-process demo Kafka cluster fed by a generator",
    .start = prt_kafka_embedded_start,
    .stop = prt_kafka_embedded_stop,
};
