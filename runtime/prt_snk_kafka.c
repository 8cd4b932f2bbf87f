/* prt_snk_kafka.c — the Kafka sink: a librdkafka producer writing one message per output record
 * (key, value, record timestamp). Every delivery report is checked: a failed delivery is reported
 * and fails the job at the next write or flush, so no record is lost silently.
 *
 * Commit point (prt_sink_ops): not transactional yet, so prepare waits until everything produced
 * is delivered (flush) and commit/abort only report an earlier failed delivery; an abort cannot
 * take delivered records back (at-least-once). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prt_kafka_int.h"

typedef struct prt_ksnk {
    prt_sink *k;
    char what[160];          /* "sink out" */
    char *topic;
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    int64_t flush_timeout_ms;
    uint64_t failed;         /* deliveries that failed */
    char first_err[512];     /* the reason of the first one */
    int reported;
    int lost;
    int closing;             /* quiet: callbacks served while closing report nothing */
} prt_ksnk;

static void ksnk_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    prt_ksnk *ks = opaque;
    if (!m->err) {
        if (ks->lost)
            prt_log(ks->k->job, "%s: connection to Kafka restored", ks->what);
        ks->lost = 0;
        return;
    }
    if (ks->failed++ == 0)
        snprintf(ks->first_err, sizeof ks->first_err, "%s", rd_kafka_err2str(m->err));
}

static void ksnk_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    prt_ksnk *ks = opaque;
    if (ks->closing)
        return;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[400];
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        if (ks->failed++ == 0)
            snprintf(ks->first_err, sizeof ks->first_err, "fatal Kafka error: %s", buf);
    } else if (err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        if (!ks->lost) /* the producer retries until message.timeout.ms */
            prt_log(ks->k->job, "%s: lost connection to Kafka (%s); retrying", ks->what, reason);
        ks->lost = 1;
    } else {
        prt_log(ks->k->job, "%s: Kafka: %s", ks->what, reason);
    }
}

/* PRT_ERR (reported once) when a delivery failed. */
static int ksnk_check(prt_ksnk *ks)
{
    if (!ks->failed)
        return PRT_OK;
    if (!ks->reported)
        prt_log(ks->k->job, "%s: %llu record(s) could not be delivered to topic %s: %s", ks->what,
                (unsigned long long)ks->failed, ks->topic, ks->first_err);
    ks->reported = 1;
    return PRT_ERR;
}

static void ksnk_free(prt_ksnk *ks)
{
    ks->closing = 1;
    if (ks->rkt)
        rd_kafka_topic_destroy(ks->rkt);
    if (ks->rk)
        rd_kafka_destroy(ks->rk);
    free(ks->topic);
    free(ks);
}

static int ksnk_open(prt_sink *k)
{
    prt_job *j = k->job;
    prt_ksnk *ks = calloc(1, sizeof *ks);
    prt_assert(ks != NULL);
    ks->k = k;
    snprintf(ks->what, sizeof ks->what, "sink %s", k->desc->name);
    char path[256];
    snprintf(path, sizeof path, "%stopic", k->prefix);
    const char *topic = prt_cfg(j, path);
    const char *bootstrap = prt_kafka_bootstrap(j, ks->what, k->prefix);
    int64_t timeout_ms = 0;
    int rc = bootstrap ? PRT_OK : PRT_ERR;
    if (rc == PRT_OK && (!topic || !*topic)) {
        prt_log(j, "%s: no topic (setting %s)", ks->what, path);
        rc = PRT_ERR;
    }
    snprintf(path, sizeof path, "%sconnect_timeout", k->prefix);
    if (rc == PRT_OK)
        rc = prt_cfg_dur(j, path, 10000, &timeout_ms);
    snprintf(path, sizeof path, "%sflush_timeout", k->prefix);
    if (rc == PRT_OK)
        rc = prt_cfg_dur(j, path, 60000, &ks->flush_timeout_ms);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rc == PRT_OK)
        rc = prt_kafka_set(j, ks->what, conf, "bootstrap.servers", bootstrap);
    if (rc == PRT_OK)
        rc = prt_kafka_set(j, ks->what, conf, "linger.ms", "5");
    if (rc == PRT_OK)
        rc = prt_kafka_set(j, ks->what, conf, "log_level", "2"); /* errors come via error_cb */
    if (rc == PRT_OK)
        rc = prt_kafka_apply_properties(j, ks->what, k->prefix, conf);
    if (rc != PRT_OK) {
        rd_kafka_conf_destroy(conf);
        ksnk_free(ks);
        return PRT_ERR;
    }
    ks->topic = strdup(topic);
    prt_assert(ks->topic != NULL);
    rd_kafka_conf_set_opaque(conf, ks);
    rd_kafka_conf_set_dr_msg_cb(conf, ksnk_dr);
    rd_kafka_conf_set_error_cb(conf, ksnk_error);
    char errstr[512];
    ks->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!ks->rk) {
        prt_log(j, "%s: %s", ks->what, errstr);
        rd_kafka_conf_destroy(conf);
        ksnk_free(ks);
        return PRT_ERR;
    }
    const struct rd_kafka_metadata *md = prt_kafka_metadata(j, ks->what, ks->rk, bootstrap, (int)timeout_ms);
    if (!md) {
        ksnk_free(ks);
        return PRT_ERR;
    }
    rd_kafka_metadata_destroy(md);
    ks->rkt = rd_kafka_topic_new(ks->rk, ks->topic, NULL);
    if (!ks->rkt) {
        prt_log(j, "%s: topic %s: %s", ks->what, ks->topic, rd_kafka_err2str(rd_kafka_last_error()));
        ksnk_free(ks);
        return PRT_ERR;
    }
    k->impl = ks;
    return PRT_OK;
}

static int ksnk_write(prt_sink *k, prt_str key, prt_str value, int64_t ts)
{
    prt_ksnk *ks = k->impl;
    if (ksnk_check(ks) != PRT_OK)
        return PRT_ERR;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            ks->rk, RD_KAFKA_V_RKT(ks->rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE((void *)value.p, value.n),
            RD_KAFKA_V_KEY(key.n ? (const void *)key.p : NULL, key.n),
            RD_KAFKA_V_TIMESTAMP(ts == PRT_NO_TS || ts < 0 ? 0 : ts), RD_KAFKA_V_END);
        if (!err)
            break;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            prt_log(k->job, "%s: cannot produce to topic %s: %s", ks->what, ks->topic, rd_kafka_err2str(err));
            return PRT_ERR;
        }
        rd_kafka_poll(ks->rk, 100); /* the local queue is full: wait for deliveries */
        if (ksnk_check(ks) != PRT_OK || k->job->stop)
            return PRT_ERR;
    }
    rd_kafka_poll(ks->rk, 0); /* serve delivery reports */
    return ksnk_check(ks);
}

static int ksnk_flush(prt_sink *k)
{
    prt_ksnk *ks = k->impl;
    rd_kafka_resp_err_t err = rd_kafka_flush(ks->rk, (int)ks->flush_timeout_ms);
    if (ksnk_check(ks) != PRT_OK)
        return PRT_ERR;
    if (err) {
        prt_log(k->job, "%s: %d record(s) not yet delivered to topic %s after %lld ms: %s", ks->what,
                rd_kafka_outq_len(ks->rk), ks->topic, (long long)ks->flush_timeout_ms, rd_kafka_err2str(err));
        return PRT_ERR;
    }
    return PRT_OK;
}

static void ksnk_close(prt_sink *k)
{
    prt_ksnk *ks = k->impl;
    if (!ks)
        return;
    /* The runtime flushes before closing; anything left now was given up (job failing or stopping). */
    rd_kafka_flush(ks->rk, 1000);
    int left = rd_kafka_outq_len(ks->rk);
    if (left > 0)
        prt_log(k->job, "%s: closing with %d record(s) undelivered to topic %s", ks->what, left, ks->topic);
    ksnk_free(ks);
    k->impl = NULL;
}

static int ksnk_prepare(prt_sink *k, int64_t checkpoint)
{
    return ksnk_flush(k);
}

static int ksnk_settle(prt_sink *k, int64_t checkpoint)
{
    return ksnk_check(k->impl);
}

const prt_sink_ops prt_snk_kafka = {
    .connector = "kafka", .open = ksnk_open, .write = ksnk_write, .flush = ksnk_flush,
    .close = ksnk_close, .prepare = ksnk_prepare, .commit = ksnk_settle, .abort = ksnk_settle,
};
