/* prt_snk_kafka.c — the Kafka sink: a librdkafka producer writing one message per output record
 * (key, value, record timestamp). Every delivery report is checked: a failed delivery is reported
 * and fails the job at the next write or flush, so no record is lost silently.
 *
 * Commit point (prt_sink_ops). Without checkpoints or under at_least_once: prepare waits until
 * everything produced is delivered (flush) and commit/abort only report an earlier failed
 * delivery; an abort cannot take delivered records back (at-least-once).
 * Under exactly_once: an idempotent transactional producer, transactional.id
 * "<pipeline>.<sink>.<worker>" (worker 0 until parallelism; properties.transactional.id
 * overrides it). init_transactions at open fences any older copy of the job and aborts its open
 * transaction; one transaction per checkpoint: prepare(N) flushes it, commit(N) adds the offset
 * N for partition 0 of the topic under the consumer group named like the transactional.id (the
 * checkpoint marker, atomic with the records) and the job's Kafka sources' consumed offsets
 * under their consumer groups (prt_kafka_src_register), commits it, and the next one begins.
 * committed() reads that marker back so that recovery resumes from the checkpoint whose
 * transaction committed (N, or N-1 when the crash came before commit N). A fenced producer stops
 * the job with a clear error; a commit the broker does not answer is retried until
 * flush_timeout, then fails the job (nothing is lost: the restart resumes from the last
 * committed checkpoint); a librdkafka call that hangs past flush_timeout + 10 s ends the process
 * through prt_watchdog with the same explanation. docs/checkpoints.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prt_ckpt.h"
#include "prt_kafka_int.h"
#include "prt_watchdog.h"

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
    /* exactly_once */
    int txn;                 /* transactional */
    int in_txn;              /* a transaction is open */
    char *txn_id;            /* transactional.id, also the checkpoint marker's group */
    int txn_left;            /* commit: ms left for the call in progress */
    rd_kafka_error_t *txn_err; /* commit: a failed send of a source's offsets */
    char *bootstrap;
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
        if (ks->txn && strstr(buf, "enced") && !ks->reported) { /* say it once, plainly */
            prt_log(ks->k->job, "%s: fenced: another copy of this job took over transactional.id %s (%s); stopping",
                    ks->what, ks->txn_id, buf);
            ks->reported = 1;
        }
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
    free(ks->txn_id);
    free(ks->bootstrap);
    free(ks);
}

/* Reports a transactional API error; a fatal one (fenced) gets the clear explanation. Consumes e. */
static int ksnk_txn_error(prt_ksnk *ks, const char *what, rd_kafka_error_t *e)
{
    rd_kafka_resp_err_t code = rd_kafka_error_code(e);
    /* a commit that races the fencing may fail with another error ("EndTxn commit failed: Unknown
       broker error") while librdkafka has already raised the fatal fenced error: ask for it */
    char fatal_why[256];
    rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(ks->rk, fatal_why, sizeof fatal_why);
    if (code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
        code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH || fatal == RD_KAFKA_RESP_ERR__FENCED ||
        fatal == RD_KAFKA_RESP_ERR_PRODUCER_FENCED || fatal == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH ||
        (rd_kafka_error_is_fatal(e) && strstr(rd_kafka_error_string(e), "enced")))
        prt_log(ks->k->job, "%s: fenced: another copy of this job took over transactional.id %s (%s); stopping",
                ks->what, ks->txn_id, fatal ? fatal_why : rd_kafka_error_string(e));
    else
        prt_log(ks->k->job, "%s: %s: %s", ks->what, what, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    ks->failed++;
    ks->reported = 1;
    return PRT_ERR;
}

static int ksnk_begin(prt_ksnk *ks)
{
    rd_kafka_error_t *e = rd_kafka_begin_transaction(ks->rk);
    if (e)
        return ksnk_txn_error(ks, "cannot begin a transaction", e);
    ks->in_txn = 1;
    return PRT_OK;
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
    ks->txn = prt_ckpt_mode_of(j) == PRT_CKPT_EXACTLY_ONCE;
    if (rc == PRT_OK && ks->txn) {
        prt_buf id = { 0 };
        prt_buf_printf(&id, "%s.%s.0", j->desc->pipeline, k->desc->name);
        rc = prt_kafka_set(j, ks->what, conf, "transactional.id", id.p);
        if (rc == PRT_OK)
            rc = prt_kafka_set(j, ks->what, conf, "transaction.timeout.ms", "60000");
        prt_buf_free(&id);
    }
    if (rc == PRT_OK)
        rc = prt_kafka_apply_properties(j, ks->what, k->prefix, conf);
    if (rc == PRT_OK && ks->txn) {
        char v[512];
        size_t vn = sizeof v;
        if (rd_kafka_conf_get(conf, "transactional.id", v, &vn) == RD_KAFKA_CONF_OK)
            ks->txn_id = strdup(v);
        ks->bootstrap = strdup(bootstrap);
        prt_assert(ks->txn_id != NULL && ks->bootstrap != NULL);
    }
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
    if (ks->txn) { /* fences older copies and aborts what they left open */
        /* a broker started moments ago may not have its transaction coordinator yet ("Not
           coordinator"): librdkafka calls that retriable, so ask again until the timeout */
        int64_t deadline = prt_mono_ms() + timeout_ms;
        rd_kafka_error_t *e;
        while ((e = rd_kafka_init_transactions(ks->rk, (int)(deadline - prt_mono_ms()))) &&
               rd_kafka_error_is_retriable(e) && deadline - prt_mono_ms() > 500) {
            rd_kafka_error_destroy(e);
            prt_sleep_ms(200);
        }
        if ((e && ksnk_txn_error(ks, "cannot initialise transactions", e) != PRT_OK) || ksnk_begin(ks) != PRT_OK) {
            ksnk_free(ks);
            return PRT_ERR;
        }
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
    if (ks->txn && ks->in_txn) { /* uncommitted: a restart produces these records again */
        rd_kafka_error_t *e = rd_kafka_abort_transaction(ks->rk, 5000);
        if (e)
            rd_kafka_error_destroy(e);
    }
    rd_kafka_flush(ks->rk, 1000);
    int left = rd_kafka_outq_len(ks->rk);
    if (left > 0 && !ks->txn)
        prt_log(k->job, "%s: closing with %d record(s) undelivered to topic %s", ks->what, left, ks->topic);
    ksnk_free(ks);
    k->impl = NULL;
}

static int ksnk_prepare(prt_sink *k, int64_t checkpoint)
{
    return ksnk_flush(k);
}

/* One Kafka source's consumed offsets into the open transaction, for its consumer group. */
static int ksnk_send_source(void *arg, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *l)
{
    prt_ksnk *ks = arg;
    if (l->cnt == 0)
        return 0;
    rd_kafka_consumer_group_metadata_t *gm = rd_kafka_consumer_group_metadata(rk);
    if (!gm)
        return 0; /* not a consumer in a group */
    ks->txn_err = rd_kafka_send_offsets_to_transaction(ks->rk, l, gm, ks->txn_left);
    rd_kafka_consumer_group_metadata_destroy(gm);
    return ks->txn_err != NULL;
}

/* commit(N): the marker offset N, the Kafka sources' offsets and the records in one transaction; retried while the broker
 * does not answer, up to flush_timeout */
static int ksnk_commit(prt_sink *k, int64_t checkpoint)
{
    prt_ksnk *ks = k->impl;
    if (!ks->txn)
        return ksnk_check(ks);
    if (ksnk_check(ks) != PRT_OK)
        return PRT_ERR;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, ks->topic, 0)->offset = checkpoint;
    rd_kafka_consumer_group_metadata_t *gm = rd_kafka_consumer_group_metadata_new(ks->txn_id);
    int64_t deadline = prt_mono_ms() + ks->flush_timeout_ms;
    int step = 0, tries = 0; /* 0: the marker, 1: the sources' offsets, 2: commit */
    /* librdkafka 2.0 may wait forever for a group coordinator that is down (#5456) */
    prt_buf why = { 0 };
    prt_buf_printf(&why, "%s: %s: Kafka did not answer the commit of checkpoint %lld within %lld ms; stopping "
                   "(a restart resumes from the last committed checkpoint)", k->job->desc->pipeline, ks->what,
                   (long long)checkpoint, (long long)(ks->flush_timeout_ms + 10000));
    prt_watchdog *wd = prt_watchdog_arm(ks->flush_timeout_ms + 10000, why.p);
    prt_buf_free(&why);
    rd_kafka_error_t *e = NULL;
    for (;;) {
        int left = (int)(deadline - prt_mono_ms());
        if (left < 1000)
            left = 1000;
        if (step == 0)
            e = rd_kafka_send_offsets_to_transaction(ks->rk, l, gm, left);
        else if (step == 1) {
            ks->txn_left = left;
            ks->txn_err = NULL;
            prt_kafka_src_each(k->job, ksnk_send_source, ks);
            e = ks->txn_err;
        } else
            e = rd_kafka_commit_transaction(ks->rk, left);
        if (!e && step < 2) {
            step++;
            continue;
        }
        if (!e || !rd_kafka_error_is_retriable(e) || prt_mono_ms() >= deadline)
            break;
        if (tries++ == 0)
            prt_log(k->job, "%s: committing checkpoint %lld: %s; retrying", ks->what, (long long)checkpoint,
                    rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    prt_watchdog_disarm(wd);
    rd_kafka_consumer_group_metadata_destroy(gm);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        if (rd_kafka_error_txn_requires_abort(e)) {
            rd_kafka_error_t *a = rd_kafka_abort_transaction(ks->rk, 5000);
            if (a)
                rd_kafka_error_destroy(a);
            else
                ks->in_txn = 0;
        }
        return ksnk_txn_error(ks, "cannot commit the transaction of the checkpoint (a restart resumes from the "
                              "last committed one)", e);
    }
    if (tries)
        prt_log(k->job, "%s: checkpoint %lld committed", ks->what, (long long)checkpoint);
    ks->in_txn = 0;
    return ksnk_begin(ks);
}

static int ksnk_abort(prt_sink *k, int64_t checkpoint)
{
    prt_ksnk *ks = k->impl;
    if (!ks->txn)
        return ksnk_check(ks);
    rd_kafka_error_t *e = rd_kafka_abort_transaction(ks->rk, (int)ks->flush_timeout_ms);
    if (e)
        return ksnk_txn_error(ks, "cannot abort the transaction", e);
    ks->in_txn = 0;
    return ksnk_begin(ks);
}

/* the group's coordinator is not (yet) where the request went: worth asking again */
static int ksnk_coordinator_moving(rd_kafka_resp_err_t r)
{
    return r == RD_KAFKA_RESP_ERR_NOT_COORDINATOR || r == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
           r == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS;
}

/* The checkpoint marker: the committed offset of partition 0 of the topic in the group named
 * like the transactional.id, read with a short-lived consumer (read_committed). */
static int ksnk_committed(prt_sink *k, int64_t *id)
{
    prt_ksnk *ks = k->impl;
    if (!ks->txn)
        return 0;
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (prt_kafka_set(k->job, ks->what, conf, "bootstrap.servers", ks->bootstrap) != PRT_OK ||
        prt_kafka_set(k->job, ks->what, conf, "group.id", ks->txn_id) != PRT_OK ||
        prt_kafka_set(k->job, ks->what, conf, "isolation.level", "read_committed") != PRT_OK ||
        prt_kafka_set(k->job, ks->what, conf, "log_level", "2") != PRT_OK) {
        rd_kafka_conf_destroy(conf);
        return PRT_ERR;
    }
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!c) {
        prt_log(k->job, "%s: %s", ks->what, err);
        rd_kafka_conf_destroy(conf);
        return PRT_ERR;
    }
    /* a broker started moments ago may not have the group's coordinator yet: librdkafka 2.0
       returns that at once instead of retrying, so ask again until the timeout */
    int64_t deadline = prt_mono_ms() + ks->flush_timeout_ms, off = -1;
    rd_kafka_resp_err_t r;
    for (;;) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, ks->topic, 0);
        r = rd_kafka_committed(c, l, (int)(deadline - prt_mono_ms()));
        if (!r)
            r = l->elems[0].err;
        off = l->elems[0].offset;
        rd_kafka_topic_partition_list_destroy(l);
        if (!ksnk_coordinator_moving(r) || deadline - prt_mono_ms() <= 500)
            break;
        prt_sleep_ms(200);
    }
    rd_kafka_destroy(c);
    if (r) {
        prt_log(k->job, "%s: cannot read which checkpoint was committed last (group %s): %s", ks->what, ks->txn_id,
                rd_kafka_err2str(r));
        return PRT_ERR;
    }
    *id = off >= 0 ? off : -1;
    return 1;
}

/* without a transaction, prepare only waits for deliveries: later records may follow at once */
static int ksnk_overlap(prt_sink *k)
{
    prt_ksnk *ks = k->impl;
    return !ks->txn;
}

const prt_sink_ops prt_snk_kafka = {
    .connector = "kafka", .open = ksnk_open, .write = ksnk_write, .flush = ksnk_flush,
    .close = ksnk_close, .prepare = ksnk_prepare, .commit = ksnk_commit, .abort = ksnk_abort,
    .committed = ksnk_committed, .overlap = ksnk_overlap,
};
