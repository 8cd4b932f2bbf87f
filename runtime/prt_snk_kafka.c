/* prt_snk_kafka.c — the Kafka sink: a librdkafka producer writing one message per output record
 * (key, value, record timestamp). Every delivery report is checked: a failed delivery is reported
 * and fails the job at the next write or flush, so no record is lost silently.
 *
 * Commit point (prt_sink_ops). Without checkpoints or under at_least_once: prepare waits until
 * everything produced is delivered (flush) and commit/abort only report an earlier failed
 * delivery; an abort cannot take delivered records back (at-least-once).
 * Under exactly_once: an idempotent transactional producer, transactional.id
 * "<pipeline>.<sink>.<worker>" (worker 0 until parallelism; properties.transactional.id
 * overrides it). The job's exactly_once Kafka sinks with the same bootstrap, flush_timeout and
 * properties share one producer (prt_kprod), named after the first of them, so that one
 * transaction a checkpoint holds all their records: a crash can never commit one sink's records
 * of a checkpoint without the other's. init_transactions at open fences any older copy of the
 * job and aborts its open transaction; one transaction per checkpoint: prepare(N) flushes it,
 * commit(N) (the first member's call; the others' find it done) adds the offset N for partition
 * 0 of each member's topic under the consumer group named like the transactional.id (the
 * checkpoint markers, atomic with the records) and the job's Kafka sources' consumed offsets
 * under their consumer groups (prt_kafka_src_register), commits it, and the next one begins.
 * committed() reads a member's marker back so that recovery resumes from the checkpoint whose
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

typedef struct prt_ksnk prt_ksnk;

/* A producer and what it owes: its delivery failures and, under exactly_once, its transaction.
 * Owned by its members (refs); shared only by exactly_once sinks (kprod_find). */
typedef struct prt_kprod {
    prt_job *j;
    char what[160];          /* "sink out": its first member, in messages about the producer */
    char *key;               /* what a sink sharing it must match (kprod_key); NULL: not shared */
    int refs;
    rd_kafka_t *rk;
    int64_t flush_timeout_ms;
    uint64_t failed;         /* deliveries that failed */
    char first_err[512];     /* the reason of the first one */
    char first_topic[256];   /* and its topic */
    int reported;
    int lost;
    int closing;             /* quiet: callbacks served while closing report nothing */
    /* exactly_once */
    int txn;                 /* transactional */
    int in_txn;              /* a transaction is open */
    char *txn_id;            /* transactional.id, also the checkpoint markers' group */
    int txn_left;            /* commit: ms left for the call in progress */
    rd_kafka_error_t *txn_err; /* commit: a failed send of a source's offsets */
    char *bootstrap;
    int64_t settled;         /* the last checkpoint committed or aborted (by any member) */
    int settled_rc;          /* and how that went */
    prt_ksnk **members;
    int nmembers;
} prt_kprod;

struct prt_ksnk {
    prt_sink *k;
    char what[160];          /* "sink out" */
    char *topic;
    rd_kafka_topic_t *rkt;
    prt_kprod *p;
    /* exactly_once: the group this sink's marker was in before it shared its producer
     * ("<pipeline>.<sink>.0"), read when the shared group has none; NULL: the producer's own */
    char *legacy_id;
};

/* the job's producers that exactly_once sinks may share; opened and closed on the job's thread */
#define PRT_KPROD_MAX 64
static prt_kprod *kprods[PRT_KPROD_MAX];

static void kprod_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    prt_kprod *p = opaque;
    if (!m->err) {
        if (p->lost)
            prt_log(p->j, "%s: connection to Kafka restored", p->what);
        p->lost = 0;
        return;
    }
    if (p->failed++ == 0) {
        snprintf(p->first_err, sizeof p->first_err, "%s", rd_kafka_err2str(m->err));
        snprintf(p->first_topic, sizeof p->first_topic, "%s", m->rkt ? rd_kafka_topic_name(m->rkt) : "?");
    }
}

static void kprod_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    prt_kprod *p = opaque;
    if (p->closing)
        return;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[400];
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        if (p->txn && strstr(buf, "enced") && !p->reported) { /* say it once, plainly */
            prt_log(p->j, "%s: fenced: another copy of this job took over transactional.id %s (%s); stopping",
                    p->what, p->txn_id, buf);
            p->reported = 1;
        }
        if (p->failed++ == 0)
            snprintf(p->first_err, sizeof p->first_err, "fatal Kafka error: %s", buf);
    } else if (err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        if (!p->lost) /* the producer retries until message.timeout.ms */
            prt_log(p->j, "%s: lost connection to Kafka (%s); retrying", p->what, reason);
        p->lost = 1;
    } else {
        prt_log(p->j, "%s: Kafka: %s", p->what, reason);
    }
}

/* PRT_ERR (reported once, by whichever member asks first) when a delivery failed. */
static int ksnk_check(prt_ksnk *ks)
{
    prt_kprod *p = ks->p;
    if (!p->failed)
        return PRT_OK;
    if (!p->reported)
        prt_log(p->j, "%s: %llu record(s) could not be delivered to topic %s: %s", ks->what,
                (unsigned long long)p->failed, p->first_topic[0] ? p->first_topic : ks->topic, p->first_err);
    p->reported = 1;
    return PRT_ERR;
}

/* Drops one reference; the last one aborts what is still open and destroys the producer. */
static void kprod_release(prt_kprod *p)
{
    if (!p || --p->refs > 0)
        return;
    p->closing = 1;
    for (int i = 0; i < PRT_KPROD_MAX; i++)
        if (kprods[i] == p)
            kprods[i] = NULL;
    if (p->rk) {
        if (p->txn && p->in_txn) { /* uncommitted: a restart produces these records again */
            rd_kafka_error_t *e = rd_kafka_abort_transaction(p->rk, 5000);
            if (e)
                rd_kafka_error_destroy(e);
        }
        rd_kafka_flush(p->rk, 1000);
        rd_kafka_destroy(p->rk);
    }
    free(p->key);
    free(p->txn_id);
    free(p->bootstrap);
    free(p->members);
    free(p);
}

static void ksnk_free(prt_ksnk *ks)
{
    if (ks->p) {
        prt_kprod *p = ks->p;
        for (int i = 0; i < p->nmembers; i++)
            if (p->members[i] == ks)
                p->members[i] = p->members[--p->nmembers];
        if (ks->rkt)
            rd_kafka_topic_destroy(ks->rkt);
        kprod_release(p);
    }
    free(ks->topic);
    free(ks->legacy_id);
    free(ks);
}

/* Reports a transactional API error; a fatal one (fenced) gets the clear explanation. Consumes e. */
static int kprod_txn_error(prt_kprod *p, const char *what, rd_kafka_error_t *e)
{
    rd_kafka_resp_err_t code = rd_kafka_error_code(e);
    /* a commit that races the fencing may fail with another error ("EndTxn commit failed: Unknown
       broker error") while librdkafka has already raised the fatal fenced error: ask for it */
    char fatal_why[256];
    rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(p->rk, fatal_why, sizeof fatal_why);
    if (code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
        code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH || fatal == RD_KAFKA_RESP_ERR__FENCED ||
        fatal == RD_KAFKA_RESP_ERR_PRODUCER_FENCED || fatal == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH ||
        (rd_kafka_error_is_fatal(e) && strstr(rd_kafka_error_string(e), "enced")))
        prt_log(p->j, "%s: fenced: another copy of this job took over transactional.id %s (%s); stopping",
                p->what, p->txn_id, fatal ? fatal_why : rd_kafka_error_string(e));
    else
        prt_log(p->j, "%s: %s: %s", p->what, what, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    p->failed++;
    p->reported = 1;
    return PRT_ERR;
}

static int kprod_begin(prt_kprod *p)
{
    rd_kafka_error_t *e = rd_kafka_begin_transaction(p->rk);
    if (e)
        return kprod_txn_error(p, "cannot begin a transaction", e);
    p->in_txn = 1;
    return PRT_OK;
}

/* ---------------------------------------------------------------- sharing (exactly_once) */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct {
    char **v;
    int n, cap;
} str_list;

static int key_prop(void *arg, const char *rest, const char *value)
{
    str_list *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = realloc(l->v, (size_t)l->cap * sizeof *l->v);
        prt_assert(l->v != NULL);
    }
    prt_buf b = { 0 };
    prt_buf_printf(&b, "%s=%s", rest, value);
    l->v[l->n++] = b.p;
    return 0;
}

/* What two exactly_once sinks must have in common to share a producer: the bootstrap servers,
 * flush_timeout and the producer properties (in any order). malloc'd. */
static char *kprod_key(prt_sink *k, const char *bootstrap, int64_t flush_timeout_ms)
{
    char path[256];
    snprintf(path, sizeof path, "%sproperties.", k->prefix);
    str_list l = { 0 };
    prt_cfg_each(k->job, path, key_prop, &l);
    if (l.n) /* qsort of no elements still wants an array */
        qsort(l.v, (size_t)l.n, sizeof *l.v, cmp_str);
    prt_buf b = { 0 };
    prt_buf_printf(&b, "bootstrap=%s\nflush_timeout=%lld\n", bootstrap, (long long)flush_timeout_ms);
    for (int i = 0; i < l.n; i++) {
        prt_buf_printf(&b, "%s\n", l.v[i]);
        free(l.v[i]);
    }
    free(l.v);
    return b.p;
}

static prt_kprod *kprod_find(prt_job *j, const char *key)
{
    for (int i = 0; i < PRT_KPROD_MAX; i++)
        if (kprods[i] && kprods[i]->j == j && kprods[i]->key && strcmp(kprods[i]->key, key) == 0)
            return kprods[i];
    return NULL;
}

static void kprod_join(prt_kprod *p, prt_ksnk *ks)
{
    p->members = realloc(p->members, (size_t)(p->nmembers + 1) * sizeof *p->members);
    prt_assert(p->members != NULL);
    p->members[p->nmembers++] = ks;
    p->refs++;
    ks->p = p;
}

/* ---------------------------------------------------------------- the sink */

/* Creates the producer of ks from its settings (conf consumed), or joins the exactly_once
 * producer of an earlier sink with the same key. */
static int kprod_open(prt_ksnk *ks, rd_kafka_conf_t *conf, const char *bootstrap, int txn, int64_t timeout_ms,
                      int64_t flush_timeout_ms)
{
    prt_sink *k = ks->k;
    prt_job *j = k->job;
    char *key = txn ? kprod_key(k, bootstrap, flush_timeout_ms) : NULL;
    prt_kprod *p = key ? kprod_find(j, key) : NULL;
    if (p) {
        free(key);
        rd_kafka_conf_destroy(conf);
        kprod_join(p, ks);
        if (strcmp(ks->legacy_id, p->txn_id) == 0) { /* the same explicit transactional.id */
            free(ks->legacy_id);
            ks->legacy_id = NULL;
        }
        return PRT_OK;
    }
    p = calloc(1, sizeof *p);
    prt_assert(p != NULL);
    p->j = j;
    p->key = key;
    p->txn = txn;
    p->flush_timeout_ms = flush_timeout_ms;
    p->settled = -1;
    snprintf(p->what, sizeof p->what, "%s", ks->what);
    kprod_join(p, ks);
    if (txn) { /* the producer is named after its first member: that one's marker stays where it was */
        p->txn_id = ks->legacy_id;
        ks->legacy_id = NULL;
        p->bootstrap = strdup(bootstrap);
        prt_assert(p->bootstrap != NULL);
        for (int i = 0; i < PRT_KPROD_MAX; i++)
            if (!kprods[i]) {
                kprods[i] = p;
                break;
            }
    }
    rd_kafka_conf_set_opaque(conf, p);
    rd_kafka_conf_set_dr_msg_cb(conf, kprod_dr);
    rd_kafka_conf_set_error_cb(conf, kprod_error);
    char errstr[512];
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!p->rk) {
        prt_log(j, "%s: %s", ks->what, errstr);
        rd_kafka_conf_destroy(conf);
        return PRT_ERR;
    }
    const struct rd_kafka_metadata *md = prt_kafka_metadata(j, ks->what, p->rk, bootstrap, (int)timeout_ms);
    if (!md)
        return PRT_ERR;
    rd_kafka_metadata_destroy(md);
    if (txn) { /* fences older copies and aborts what they left open */
        /* a broker started moments ago may not have its transaction coordinator yet ("Not
           coordinator"): librdkafka calls that retriable, so ask again until the timeout */
        int64_t deadline = prt_mono_ms() + timeout_ms;
        rd_kafka_error_t *e;
        while ((e = rd_kafka_init_transactions(p->rk, (int)(deadline - prt_mono_ms()))) &&
               rd_kafka_error_is_retriable(e) && deadline - prt_mono_ms() > 500) {
            rd_kafka_error_destroy(e);
            prt_sleep_ms(200);
        }
        if ((e && kprod_txn_error(p, "cannot initialise transactions", e) != PRT_OK) || kprod_begin(p) != PRT_OK)
            return PRT_ERR;
    }
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
    int64_t timeout_ms = 0, flush_timeout_ms = 0;
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
        rc = prt_cfg_dur(j, path, 60000, &flush_timeout_ms);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rc == PRT_OK)
        rc = prt_kafka_set(j, ks->what, conf, "bootstrap.servers", bootstrap);
    if (rc == PRT_OK)
        rc = prt_kafka_set(j, ks->what, conf, "linger.ms", "5");
    if (rc == PRT_OK)
        rc = prt_kafka_set(j, ks->what, conf, "log_level", "2"); /* errors come via error_cb */
    int txn = prt_ckpt_mode_of(j) == PRT_CKPT_EXACTLY_ONCE;
    if (rc == PRT_OK && txn)
        rc = prt_kafka_set(j, ks->what, conf, "transaction.timeout.ms", "60000");
    if (rc == PRT_OK)
        rc = prt_kafka_apply_properties(j, ks->what, k->prefix, conf);
    if (rc == PRT_OK && txn) { /* "<pipeline>.<sink>.0" unless properties named one */
        char v[512];
        size_t vn = sizeof v;
        if (rd_kafka_conf_get(conf, "transactional.id", v, &vn) != RD_KAFKA_CONF_OK) {
            snprintf(v, sizeof v, "%s.%s.0", j->desc->pipeline, k->desc->name);
            rc = prt_kafka_set(j, ks->what, conf, "transactional.id", v);
        }
        ks->legacy_id = strdup(v);
        prt_assert(ks->legacy_id != NULL);
    }
    if (rc != PRT_OK) {
        rd_kafka_conf_destroy(conf);
        ksnk_free(ks);
        return PRT_ERR;
    }
    ks->topic = strdup(topic);
    prt_assert(ks->topic != NULL);
    if (kprod_open(ks, conf, bootstrap, txn, timeout_ms, flush_timeout_ms) != PRT_OK) {
        ksnk_free(ks);
        return PRT_ERR;
    }
    ks->rkt = rd_kafka_topic_new(ks->p->rk, ks->topic, NULL);
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
    rd_kafka_t *rk = ks->p->rk;
    if (ksnk_check(ks) != PRT_OK)
        return PRT_ERR;
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_RKT(ks->rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE((void *)value.p, value.n),
            RD_KAFKA_V_KEY(key.n ? (const void *)key.p : NULL, key.n),
            RD_KAFKA_V_TIMESTAMP(ts == PRT_NO_TS || ts < 0 ? 0 : ts), RD_KAFKA_V_END);
        if (!err)
            break;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            prt_log(k->job, "%s: cannot produce to topic %s: %s", ks->what, ks->topic, rd_kafka_err2str(err));
            return PRT_ERR;
        }
        rd_kafka_poll(rk, 100); /* the local queue is full: wait for deliveries */
        if (ksnk_check(ks) != PRT_OK || k->job->stop)
            return PRT_ERR;
    }
    rd_kafka_poll(rk, 0); /* serve delivery reports */
    return ksnk_check(ks);
}

/* Waits until everything produced is delivered (the shared producer's records of every member). */
static int ksnk_flush(prt_sink *k)
{
    prt_ksnk *ks = k->impl;
    prt_kprod *p = ks->p;
    rd_kafka_resp_err_t err = rd_kafka_flush(p->rk, (int)p->flush_timeout_ms);
    if (ksnk_check(ks) != PRT_OK)
        return PRT_ERR;
    if (err) {
        prt_log(k->job, "%s: %d record(s) not yet delivered to topic %s after %lld ms: %s", ks->what,
                rd_kafka_outq_len(p->rk), ks->topic, (long long)p->flush_timeout_ms, rd_kafka_err2str(err));
        return PRT_ERR;
    }
    return PRT_OK;
}

static void ksnk_close(prt_sink *k)
{
    prt_ksnk *ks = k->impl;
    if (!ks)
        return;
    /* The runtime flushes before closing; anything left now was given up (job failing or
     * stopping). The producer's last member aborts its open transaction (kprod_release). */
    prt_kprod *p = ks->p;
    if (!p->txn) {
        rd_kafka_flush(p->rk, 1000);
        int left = rd_kafka_outq_len(p->rk);
        if (left > 0)
            prt_log(k->job, "%s: closing with %d record(s) undelivered to topic %s", ks->what, left, ks->topic);
    }
    ksnk_free(ks);
    k->impl = NULL;
}

static int ksnk_prepare(prt_sink *k, int64_t checkpoint)
{
    return ksnk_flush(k);
}

/* One Kafka source's consumed offsets into the open transaction, for its consumer group. */
static int kprod_send_source(void *arg, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *l)
{
    prt_kprod *p = arg;
    if (l->cnt == 0)
        return 0;
    rd_kafka_consumer_group_metadata_t *gm = rd_kafka_consumer_group_metadata(rk);
    if (!gm)
        return 0; /* not a consumer in a group */
    p->txn_err = rd_kafka_send_offsets_to_transaction(p->rk, l, gm, p->txn_left);
    rd_kafka_consumer_group_metadata_destroy(gm);
    return p->txn_err != NULL;
}

/* commit(N): the markers N of every member, the Kafka sources' offsets and the records in one
 * transaction; retried while the broker does not answer, up to flush_timeout */
static int kprod_commit(prt_kprod *p, int64_t checkpoint)
{
    prt_job *j = p->j;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(p->nmembers);
    for (int i = 0; i < p->nmembers; i++)
        if (!rd_kafka_topic_partition_list_find(l, p->members[i]->topic, 0)) /* two sinks, one topic */
            rd_kafka_topic_partition_list_add(l, p->members[i]->topic, 0)->offset = checkpoint;
    rd_kafka_consumer_group_metadata_t *gm = rd_kafka_consumer_group_metadata_new(p->txn_id);
    int64_t deadline = prt_mono_ms() + p->flush_timeout_ms;
    int step = 0, tries = 0; /* 0: the markers, 1: the sources' offsets, 2: commit */
    /* librdkafka 2.0 may wait forever for a group coordinator that is down (#5456) */
    prt_buf why = { 0 };
    prt_buf_printf(&why, "%s: %s: Kafka did not answer the commit of checkpoint %lld within %lld ms; stopping "
                   "(a restart resumes from the last committed checkpoint)", j->desc->pipeline, p->what,
                   (long long)checkpoint, (long long)(p->flush_timeout_ms + 10000));
    prt_watchdog *wd = prt_watchdog_arm(p->flush_timeout_ms + 10000, why.p);
    prt_buf_free(&why);
    rd_kafka_error_t *e = NULL;
    for (;;) {
        int left = (int)(deadline - prt_mono_ms());
        if (left < 1000)
            left = 1000;
        if (step == 0)
            e = rd_kafka_send_offsets_to_transaction(p->rk, l, gm, left);
        else if (step == 1) {
            p->txn_left = left;
            p->txn_err = NULL;
            prt_kafka_src_each(j, kprod_send_source, p);
            e = p->txn_err;
        } else
            e = rd_kafka_commit_transaction(p->rk, left);
        if (!e && step < 2) {
            step++;
            continue;
        }
        if (!e || !rd_kafka_error_is_retriable(e) || prt_mono_ms() >= deadline)
            break;
        if (tries++ == 0)
            prt_log(j, "%s: committing checkpoint %lld: %s; retrying", p->what, (long long)checkpoint,
                    rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
    }
    prt_watchdog_disarm(wd);
    rd_kafka_consumer_group_metadata_destroy(gm);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        if (rd_kafka_error_txn_requires_abort(e)) {
            rd_kafka_error_t *a = rd_kafka_abort_transaction(p->rk, 5000);
            if (a)
                rd_kafka_error_destroy(a);
            else
                p->in_txn = 0;
        }
        return kprod_txn_error(p, "cannot commit the transaction of the checkpoint (a restart resumes from the "
                               "last committed one)", e);
    }
    if (tries)
        prt_log(j, "%s: checkpoint %lld committed", p->what, (long long)checkpoint);
    p->in_txn = 0;
    return kprod_begin(p);
}

static int ksnk_commit(prt_sink *k, int64_t checkpoint)
{
    prt_ksnk *ks = k->impl;
    prt_kprod *p = ks->p;
    if (!p->txn || ksnk_check(ks) != PRT_OK)
        return ksnk_check(ks);
    if (p->settled != checkpoint) { /* the first member to commit it commits everyone's */
        p->settled_rc = kprod_commit(p, checkpoint);
        p->settled = checkpoint;
    }
    return p->settled_rc;
}

static int ksnk_abort(prt_sink *k, int64_t checkpoint)
{
    prt_ksnk *ks = k->impl;
    prt_kprod *p = ks->p;
    if (!p->txn)
        return ksnk_check(ks);
    if (p->settled != checkpoint) {
        rd_kafka_error_t *e = rd_kafka_abort_transaction(p->rk, (int)p->flush_timeout_ms);
        if (e)
            p->settled_rc = kprod_txn_error(p, "cannot abort the transaction", e);
        else {
            p->in_txn = 0;
            p->settled_rc = kprod_begin(p);
        }
        p->settled = checkpoint;
    }
    return p->settled_rc;
}

/* the group's coordinator is not (yet) where the request went: worth asking again */
static int ksnk_coordinator_moving(rd_kafka_resp_err_t r)
{
    return r == RD_KAFKA_RESP_ERR_NOT_COORDINATOR || r == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
           r == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS;
}

/* The checkpoint marker of ks in group: the committed offset of partition 0 of its topic, read
 * with a short-lived consumer (read_committed); -1 when there is none. */
static int ksnk_marker(prt_ksnk *ks, const char *group, int64_t *id)
{
    prt_kprod *p = ks->p;
    prt_job *j = p->j;
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (prt_kafka_set(j, ks->what, conf, "bootstrap.servers", p->bootstrap) != PRT_OK ||
        prt_kafka_set(j, ks->what, conf, "group.id", group) != PRT_OK ||
        prt_kafka_set(j, ks->what, conf, "isolation.level", "read_committed") != PRT_OK ||
        prt_kafka_set(j, ks->what, conf, "log_level", "2") != PRT_OK) {
        rd_kafka_conf_destroy(conf);
        return PRT_ERR;
    }
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!c) {
        prt_log(j, "%s: %s", ks->what, err);
        rd_kafka_conf_destroy(conf);
        return PRT_ERR;
    }
    /* a broker started moments ago may not have the group's coordinator yet: librdkafka 2.0
       returns that at once instead of retrying, so ask again until the timeout */
    int64_t deadline = prt_mono_ms() + p->flush_timeout_ms, off = -1;
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
        prt_log(j, "%s: cannot read which checkpoint was committed last (group %s): %s", ks->what, group,
                rd_kafka_err2str(r));
        return PRT_ERR;
    }
    *id = off >= 0 ? off : -1;
    return PRT_OK;
}

/* The last checkpoint whose transaction committed this sink's records: its marker in the
 * producer's group, or, before its first commit there, in the group of its own producer of old. */
static int ksnk_committed(prt_sink *k, int64_t *id)
{
    prt_ksnk *ks = k->impl;
    if (!ks->p->txn)
        return 0;
    if (ksnk_marker(ks, ks->p->txn_id, id) != PRT_OK)
        return PRT_ERR;
    if (*id < 0 && ks->legacy_id && ksnk_marker(ks, ks->legacy_id, id) != PRT_OK)
        return PRT_ERR;
    return 1;
}

/* without a transaction, prepare only waits for deliveries: later records may follow at once */
static int ksnk_overlap(prt_sink *k)
{
    prt_ksnk *ks = k->impl;
    return !ks->p->txn;
}

const prt_sink_ops prt_snk_kafka = {
    .connector = "kafka", .open = ksnk_open, .write = ksnk_write, .flush = ksnk_flush,
    .close = ksnk_close, .prepare = ksnk_prepare, .commit = ksnk_commit, .abort = ksnk_abort,
    .committed = ksnk_committed, .overlap = ksnk_overlap,
};
