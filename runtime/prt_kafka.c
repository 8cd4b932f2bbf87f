/* prt_kafka.c — helpers shared by the Kafka connectors: librdkafka configuration from the
 * YAML settings (bootstrap, properties.* passthrough), the metadata check made at open, and the
 * registry through which a transactional sink finds the job's Kafka sources (exactly-once). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prt_kafka_int.h"

int prt_kafka_set(prt_job *j, const char *what, rd_kafka_conf_t *conf, const char *name,
                  const char *value)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        size_t n = strlen(errstr); /* some of librdkafka's reasons end with a newline */
        while (n && (errstr[n - 1] == '\n' || errstr[n - 1] == ' '))
            errstr[--n] = 0;
        prt_log(j, "%s: property %s: %s", what, name, errstr);
        return PRT_ERR;
    }
    return PRT_OK;
}

typedef struct prt_kafka_props {
    prt_job *j;
    const char *what;
    rd_kafka_conf_t *conf;
} prt_kafka_props;

static int prt_kafka_prop(void *arg, const char *rest, const char *value)
{
    prt_kafka_props *p = arg;
    return prt_kafka_set(p->j, p->what, p->conf, rest, value) == PRT_OK ? 0 : 1;
}

int prt_kafka_apply_properties(prt_job *j, const char *what, const char *prefix,
                               rd_kafka_conf_t *conf)
{
    char path[256];
    if (snprintf(path, sizeof path, "%sproperties.", prefix) >= (int)sizeof path) {
        prt_log(j, "%s: settings prefix too long", what);
        return PRT_ERR;
    }
    prt_kafka_props p = { j, what, conf };
    return prt_cfg_each(j, path, prt_kafka_prop, &p) ? PRT_ERR : PRT_OK;
}

const char *prt_kafka_bootstrap(prt_job *j, const char *what, const char *prefix)
{
    char path[256];
    snprintf(path, sizeof path, "%sbootstrap", prefix);
    const char *b = prt_cfg(j, path);
    if (!b || !*b) {
        prt_log(j, "%s: no bootstrap servers (setting %s)", what, path);
        return NULL;
    }
    return b;
}

const struct rd_kafka_metadata *prt_kafka_metadata(prt_job *j, const char *what, rd_kafka_t *rk,
                                                   const char *bootstrap, int timeout_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (err) {
        prt_log(j, "%s: cannot reach Kafka at %s: %s", what, bootstrap, rd_kafka_err2str(err));
        return NULL;
    }
    return md;
}

const struct rd_kafka_metadata_topic *prt_kafka_md_topic(const struct rd_kafka_metadata *md,
                                                         const char *name)
{
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, name) == 0)
            return &md->topics[i];
    return NULL;
}

/* ---------------------------------------------------------------- sources, for transactions */

#define PRT_KAFKA_MAX_SRC 64

static struct {
    prt_job *j;
    rd_kafka_t *rk;
    void *impl;
    prt_kafka_offsets_fn fn;
} ksrcs[PRT_KAFKA_MAX_SRC];

void prt_kafka_src_register(prt_job *j, rd_kafka_t *rk, void *impl, prt_kafka_offsets_fn fn)
{
    for (int i = 0; i < PRT_KAFKA_MAX_SRC; i++)
        if (!ksrcs[i].impl) {
            ksrcs[i].j = j;
            ksrcs[i].rk = rk;
            ksrcs[i].impl = impl;
            ksrcs[i].fn = fn;
            return;
        }
    prt_assert(!"more than 64 Kafka sources");
}

void prt_kafka_src_unregister(void *impl)
{
    for (int i = 0; i < PRT_KAFKA_MAX_SRC; i++)
        if (ksrcs[i].impl == impl)
            memset(&ksrcs[i], 0, sizeof ksrcs[i]);
}

int prt_kafka_src_each(prt_job *j, int (*visit)(void *arg, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *l),
                       void *arg)
{
    int rc = 0;
    for (int i = 0; i < PRT_KAFKA_MAX_SRC && !rc; i++) {
        if (!ksrcs[i].impl || ksrcs[i].j != j)
            continue;
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
        ksrcs[i].fn(ksrcs[i].impl, l);
        rc = visit(arg, ksrcs[i].rk, l);
        rd_kafka_topic_partition_list_destroy(l);
    }
    return rc;
}

/* ---------------------------------------------------------------- refilling the queue */

static int64_t conf_int(const rd_kafka_conf_t *conf, const char *name, int64_t dflt)
{
    char v[64];
    size_t n = sizeof v;
    if (rd_kafka_conf_get(conf, name, v, &n) != RD_KAFKA_CONF_OK)
        return dflt;
    char *end;
    long long x = strtoll(v, &end, 10);
    return end != v && x > 0 ? (int64_t)x : dflt;
}

void prt_kafka_refill_init(prt_kafka_refill *r, const rd_kafka_conf_t *conf)
{
    memset(r, 0, sizeof *r);
    r->qmin = conf_int(conf, "queued.min.messages", 100000);
    r->qmax_bytes = conf_int(conf, "queued.max.messages.kbytes", 65536) * 1024;
}

int64_t prt_kafka_refill_low(const prt_kafka_refill *r)
{
    int64_t low = r->qmin / 2;
    uint64_t avg = r->n ? r->bytes / r->n : 0;
    if (avg && (uint64_t)r->qmax_bytes / avg / 2 < (uint64_t)low)
        low = (int64_t)((uint64_t)r->qmax_bytes / avg / 2);
    return low;
}

int prt_kafka_refill_due(prt_kafka_refill *r, size_t qlen, int got, int max, int64_t now_ms)
{
    if (got > 0)
        r->last_ms = 0; /* records came: the last refill worked */
    /* The fetcher adds to the queue only after deciding, below both thresholds, to fetch: when the
     * queue grew, it is stopped now only if it was near one. */
    if ((uint64_t)qlen + (uint64_t)(got > 0 ? got : 0) > r->prev) {
        uint64_t near = (uint64_t)qlen + (uint64_t)(max > 0 ? max : 0);
        uint64_t avg = r->n ? r->bytes / r->n : 0;
        r->throttled = near >= (uint64_t)r->qmin || near * avg >= (uint64_t)r->qmax_bytes;
    }
    r->prev = qlen;
    if ((int64_t)qlen > prt_kafka_refill_low(r))
        return 0;
    if (r->throttled) {
        r->throttled = 0;
        r->last_ms = now_ms;
        r->retry_ms = PRT_KAFKA_REFILL_RETRY_MS;
        return 1;
    }
    if (qlen == 0 && got == 0 && r->last_ms && now_ms - r->last_ms >= r->retry_ms && r->retry_ms < 1000) {
        r->last_ms = now_ms;
        r->retry_ms *= 2;
        return 1;
    }
    return 0;
}
