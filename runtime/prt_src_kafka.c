/* prt_src_kafka.c — the Kafka source: librdkafka's high-level consumer in a consumer group.
 *
 * Each (topic, partition) gets a dense partition index the first time it is seen, so every Kafka
 * partition has its own watermark. The startup position (earliest, latest, group-offsets,
 * timestamp, explicit offsets) applies to a partition at its first assignment in this process;
 * later (re)assignments resume from the group's committed offsets. Offsets are stored after the
 * records were delivered and committed by librdkafka's auto-commit; under checkpoint.mode
 * exactly_once the source commits nothing itself (positions live in checkpoints) and reads with
 * isolation.level=read_committed; the job's transactional Kafka sink sends its positions in each
 * checkpoint's transaction instead (prt_kafka_src_register; docs/checkpoints.md).
 *
 * bounded: true assigns every partition of the topics directly (no group join, the group is only
 * used for committed offsets) and stops at the high watermarks read at open.
 *
 * Position: the next offset to read of every partition that has one, keyed by topic name and
 * partition number (never by the dense index, which depends on discovery order), sorted. A
 * partition has one once a record was delivered from it or its start offset was concrete
 * (explicit offsets, a timestamp lookup, a seek); a partition that delivered nothing after
 * starting from earliest, latest or the group's offsets has none and starts the same way again.
 * seek keeps the restored offsets by (topic, partition): a partition found in them starts there
 * at its first assignment instead of at the startup setting (bounded: at once, by reassigning).
 * Restored partitions this source never sees stay in the position it writes. */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prt_ckpt.h"
#include "prt_kafka_int.h"
#include "prt_text.h"

#define PRT_KSRC_BATCH 512 /* messages taken from librdkafka's queue per call */
/* The prefetch queue's thresholds unless properties set them (bench/README.md, "through Kafka") */
#define PRT_KSRC_QMIN "40000"
#define PRT_KSRC_QMAX_KB "8192"

enum { PRT_KS_GROUP, PRT_KS_EARLIEST, PRT_KS_LATEST, PRT_KS_TIMESTAMP, PRT_KS_OFFSETS };

typedef struct prt_kpart {
    int t;             /* index in topics */
    int32_t partition; /* Kafka partition number */
    int started;       /* the startup position was applied */
    int assigned;
    int64_t end;       /* bounded: high watermark at open */
    int done;          /* bounded: everything up to end was delivered */
    int64_t next;      /* offset to store (last delivered + 1), when dirty */
    int dirty;
    int64_t pos;       /* next offset to read, for the position; -1: none known */
    int live;          /* pos is where this assignment reads: a record came since it was assigned,
                          or it started at a concrete offset (a refill may seek there) */
    int64_t start;     /* the offset the first assignment started at (bounded: for seek) */
} prt_kpart;

/* A restored offset (seek), by topic and partition. */
typedef struct prt_krestore {
    char *topic;       /* owned */
    int32_t partition;
    int64_t offset;
} prt_krestore;

typedef struct prt_ktopic {
    char *name;
    const rd_kafka_topic_t *rkt; /* last handle seen in a message, for a pointer compare */
    rd_kafka_topic_t *held;      /* bounded: a handle kept from open to close (ksrc_open_bounded) */
    int32_t *dense;              /* by Kafka partition number; -1 when unknown */
    int ndense;
} prt_ktopic;

typedef struct prt_ksrc {
    prt_source *s;
    char what[160];             /* "source orders" */
    rd_kafka_t *rk;
    int mode;
    int64_t start_ts;
    int64_t *offsets;           /* explicit start offsets by partition number, -1 = none */
    int noffsets;
    int bounded, remaining;     /* bounded: partitions not done yet */
    prt_ktopic *topics;
    int ntopics;
    prt_kpart *parts;           /* by dense index */
    int nparts;
    int fatal;
    int lost;                   /* the connection loss was logged and not yet recovered */
    int errs_logged;
    int closing;                /* quiet: callbacks served while closing report nothing */
    int no_commit;              /* exactly_once: offsets are never committed by the source */
    int timestamps;             /* something reads _timestamp: each message's is fetched */
    prt_krestore *restore;      /* seek: sorted by topic, then partition; owned */
    int nrestore;
    rd_kafka_topic_partition_list_t *pending; /* bounded: assigned at the first poll; owned */
    rd_kafka_queue_t *q;        /* the consumer queue, for batch reads; owned */
    int polled;                 /* poll ran: too late to seek */
    prt_kafka_refill refill;    /* when to wake the fetchers (prt_kafka_int.h) */
    const rd_kafka_topic_t *last_rkt; /* the last message's topic handle and partition, and */
    int32_t last_partition, last_d;   /* its dense index: records come in runs of a partition */
    rd_kafka_message_t **held;  /* taken from the queue at a refill, not delivered yet: held[hpos..hn),
                                   in queue order; delivered before anything queued (ksrc_hold) */
    size_t hpos, hn, hcap;
    int64_t *tail;              /* ksrc_refill's scratch: by dense index, the offset after the last held */
} prt_ksrc;

/* ---------------------------------------------------------------- partitions */

static int ksrc_topic(prt_ksrc *ks, const char *name)
{
    for (int i = 0; i < ks->ntopics; i++)
        if (strcmp(ks->topics[i].name, name) == 0)
            return i;
    prt_ktopic *v = realloc(ks->topics, (size_t)(ks->ntopics + 1) * sizeof *v);
    prt_assert(v != NULL);
    ks->topics = v;
    prt_ktopic *t = &v[ks->ntopics];
    memset(t, 0, sizeof *t);
    t->name = strdup(name);
    prt_assert(t->name != NULL);
    return ks->ntopics++;
}

/* The dense index of (topic, partition), created on first sight. */
static int32_t ksrc_part(prt_ksrc *ks, const char *topic, int32_t partition)
{
    int ti = ksrc_topic(ks, topic); /* may move ks->topics */
    prt_ktopic *t = &ks->topics[ti];
    if (partition >= t->ndense) {
        int n = t->ndense ? t->ndense : 4;
        while (n <= partition)
            n *= 2;
        int32_t *v = realloc(t->dense, (size_t)n * sizeof *v);
        prt_assert(v != NULL);
        for (int i = t->ndense; i < n; i++)
            v[i] = -1;
        t->dense = v;
        t->ndense = n;
    }
    if (t->dense[partition] < 0) {
        prt_kpart *v = realloc(ks->parts, (size_t)(ks->nparts + 1) * sizeof *v);
        prt_assert(v != NULL);
        ks->parts = v;
        memset(&v[ks->nparts], 0, sizeof v[0]);
        v[ks->nparts].pos = -1;
        v[ks->nparts].t = (int)(t - ks->topics);
        v[ks->nparts].partition = partition;
        t->dense[partition] = ks->nparts++;
    }
    return t->dense[partition];
}

/* Dense index of a message's partition: the last message's, else a pointer compare on the topic
 * handle, else found by name (and created). */
static int32_t ksrc_msg_part_slow(prt_ksrc *ks, const rd_kafka_message_t *m)
{
    int32_t d = -1;
    for (int i = 0; i < ks->ntopics && d < 0; i++) {
        prt_ktopic *t = &ks->topics[i];
        if (t->rkt == m->rkt && m->partition < t->ndense && t->dense[m->partition] >= 0)
            d = t->dense[m->partition];
    }
    if (d < 0) {
        d = ksrc_part(ks, rd_kafka_topic_name(m->rkt), m->partition);
        ks->topics[ks->parts[d].t].rkt = m->rkt;
    }
    ks->last_rkt = m->rkt;
    ks->last_partition = m->partition;
    ks->last_d = d;
    return d;
}

static inline int32_t ksrc_msg_part(prt_ksrc *ks, const rd_kafka_message_t *m)
{
    if (m->rkt == ks->last_rkt && m->partition == ks->last_partition)
        return ks->last_d; /* a dense index never changes once given */
    return ksrc_msg_part_slow(ks, m);
}

/* Start offset of a partition at its first assignment (timestamps are resolved by the caller). */
static int64_t ksrc_start_offset(const prt_ksrc *ks, int32_t partition)
{
    switch (ks->mode) {
    case PRT_KS_EARLIEST: return RD_KAFKA_OFFSET_BEGINNING;
    case PRT_KS_LATEST: return RD_KAFKA_OFFSET_END;
    case PRT_KS_TIMESTAMP: return ks->start_ts;
    case PRT_KS_OFFSETS:
        if (partition < ks->noffsets && ks->offsets[partition] >= 0)
            return ks->offsets[partition];
        return RD_KAFKA_OFFSET_INVALID;
    default: return RD_KAFKA_OFFSET_INVALID; /* committed offset, else auto.offset.reset */
    }
}

/* The restored offset of (topic, partition), if seek restored one. */
static const prt_krestore *ksrc_restored(const prt_ksrc *ks, const char *topic, int32_t partition)
{
    for (int i = 0; i < ks->nrestore; i++)
        if (ks->restore[i].partition == partition && strcmp(ks->restore[i].topic, topic) == 0)
            return &ks->restore[i];
    return NULL;
}

/* Sets the start offsets of the partitions in l that were never started (and marks them). */
static int ksrc_position(prt_ksrc *ks, rd_kafka_topic_partition_list_t *l)
{
    rd_kafka_topic_partition_list_t *by_time = rd_kafka_topic_partition_list_new(l->cnt ? l->cnt : 1);
    for (int i = 0; i < l->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &l->elems[i];
        int32_t d = ksrc_part(ks, tp->topic, tp->partition); /* may move ks->parts */
        prt_kpart *p = &ks->parts[d];
        if (p->started) {
            tp->offset = RD_KAFKA_OFFSET_INVALID;
            continue;
        }
        p->started = 2; /* now: its start offset is recorded below */
        const prt_krestore *rs = ksrc_restored(ks, tp->topic, tp->partition);
        if (rs)
            tp->offset = rs->offset;
        else
            tp->offset = ksrc_start_offset(ks, tp->partition);
        if (!rs && ks->mode == PRT_KS_TIMESTAMP)
            rd_kafka_topic_partition_list_add(by_time, tp->topic, tp->partition)->offset = ks->start_ts;
    }
    int rc = PRT_OK;
    if (by_time->cnt) {
        rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(ks->rk, by_time, 30000);
        if (err) {
            prt_log(ks->s->job, "%s: cannot look up offsets for timestamp %lld: %s", ks->what,
                    (long long)ks->start_ts, rd_kafka_err2str(err));
            rc = PRT_ERR;
        }
        for (int i = 0; i < by_time->cnt && rc == PRT_OK; i++) {
            rd_kafka_topic_partition_t *q = &by_time->elems[i];
            rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(l, q->topic, q->partition);
            /* -1 (no record at or after the timestamp) means: from the end */
            tp->offset = q->err ? RD_KAFKA_OFFSET_END : q->offset < 0 ? RD_KAFKA_OFFSET_END : q->offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(by_time);
    for (int i = 0; i < l->cnt; i++) { /* a concrete start offset is a position already */
        prt_kpart *p = &ks->parts[ksrc_part(ks, l->elems[i].topic, l->elems[i].partition)];
        if (p->started != 2)
            continue;
        p->started = 1;
        p->start = l->elems[i].offset;
        if (p->start >= 0)
            p->pos = p->start;
    }
    return rc;
}

/* Stores the offsets of what poll delivered; auto-commit sends them to the group. */
static void ksrc_store(prt_ksrc *ks)
{
    int dirty = 0;
    for (int i = 0; i < ks->nparts; i++)
        dirty += ks->parts[i].dirty;
    if (!dirty)
        return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(dirty);
    for (int i = 0; i < ks->nparts; i++) {
        prt_kpart *p = &ks->parts[i];
        if (!p->dirty)
            continue;
        p->dirty = 0;
        rd_kafka_topic_partition_list_add(l, ks->topics[p->t].name, p->partition)->offset = p->next;
    }
    /* __STATE: partitions revoked meanwhile; their records were delivered, the next owner redoes them */
    rd_kafka_offsets_store(ks->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
}

/* ---------------------------------------------------------------- held messages */

static inline int32_t ksrc_msg_part(prt_ksrc *ks, const rd_kafka_message_t *m);

/* Drops the held messages of partitions no longer assigned (a rebalance revoked them: their
 * next owner, or this consumer at a later assignment, reads them again from the committed
 * offset, which only delivered records moved). */
static void ksrc_held_drop_unassigned(prt_ksrc *ks)
{
    size_t k = ks->hpos;
    for (size_t i = ks->hpos; i < ks->hn; i++) {
        rd_kafka_message_t *m = ks->held[i];
        if (m->rkt && !ks->parts[ksrc_msg_part(ks, m)].assigned)
            rd_kafka_message_destroy(m);
        else
            ks->held[k++] = m;
    }
    ks->hn = k;
}

static void ksrc_held_free(prt_ksrc *ks)
{
    for (size_t i = ks->hpos; i < ks->hn; i++)
        rd_kafka_message_destroy(ks->held[i]);
    ks->hpos = ks->hn = 0;
}

/* Takes every message still in the queue (up to limit and a batch) into held, after what is
 * held already. Each batch is read into a local array first: a rebalance served inside the call
 * may compact held (ksrc_held_drop_unassigned). */
static void ksrc_hold(prt_ksrc *ks, size_t limit)
{
    if (ks->hpos) {
        memmove(ks->held, ks->held + ks->hpos, (ks->hn - ks->hpos) * sizeof *ks->held);
        ks->hn -= ks->hpos;
        ks->hpos = 0;
    }
    size_t taken = 0;
    for (;;) {
        rd_kafka_message_t *v[PRT_KSRC_BATCH];
        ssize_t got = rd_kafka_consume_batch_queue(ks->q, 0, v, PRT_KSRC_BATCH);
        if (got <= 0)
            break;
        if (ks->hn + (size_t)got > ks->hcap) {
            size_t cap = ks->hcap ? ks->hcap : 4 * PRT_KSRC_BATCH;
            while (cap < ks->hn + (size_t)got)
                cap *= 2;
            rd_kafka_message_t **h = realloc(ks->held, cap * sizeof *h);
            prt_assert(h != NULL);
            ks->held = h;
            ks->hcap = cap;
        }
        memcpy(ks->held + ks->hn, v, (size_t)got * sizeof *v);
        ks->hn += (size_t)got;
        taken += (size_t)got;
        if (got < PRT_KSRC_BATCH || taken > limit)
            break; /* drained; or the fetcher keeps adding: the seek drops the rest, read again */
    }
}

/* ---------------------------------------------------------------- callbacks */

static void ksrc_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t *l, void *opaque)
{
    prt_ksrc *ks = opaque;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *e = NULL;
    rd_kafka_resp_err_t aerr = 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (ksrc_position(ks, l) != PRT_OK)
            ks->fatal = 1;
        for (int i = 0; i < l->cnt; i++) {
            int32_t d = ksrc_part(ks, l->elems[i].topic, l->elems[i].partition);
            ks->parts[d].assigned = 1;
            /* resumed from the group's offset (INVALID here): pos may be behind what another
             * member read meanwhile until a record comes */
            ks->parts[d].live = l->elems[i].offset >= 0;
            prt_source_partition_add(ks->s, d);
        }
        if (coop)
            e = rd_kafka_incremental_assign(rk, l);
        else
            aerr = rd_kafka_assign(rk, l);
    } else {
        ksrc_store(ks);
        if (!rd_kafka_assignment_lost(rk) && !ks->no_commit)
            rd_kafka_commit(rk, NULL, 0); /* best effort: the next owner starts after our records */
        for (int i = 0; i < l->cnt; i++) {
            int32_t d = ksrc_part(ks, l->elems[i].topic, l->elems[i].partition);
            ks->parts[d].assigned = 0;
            ks->parts[d].live = 0;
            if (!ks->closing) /* leaving the group at close must not move the watermark */
                prt_source_partition_remove(ks->s, d);
        }
        ksrc_held_drop_unassigned(ks);
        if (coop)
            e = rd_kafka_incremental_unassign(rk, l);
        else
            aerr = rd_kafka_assign(rk, NULL);
    }
    if (e) {
        prt_log(ks->s->job, "%s: partition assignment failed: %s", ks->what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        ks->fatal = 1;
    } else if (aerr) {
        prt_log(ks->s->job, "%s: partition assignment failed: %s", ks->what, rd_kafka_err2str(aerr));
        ks->fatal = 1;
    }
}

static int prt_kafka_transient(rd_kafka_resp_err_t err)
{
    return err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
           err == RD_KAFKA_RESP_ERR__RESOLVE || err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
           err == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE;
}

static void ksrc_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    prt_ksrc *ks = opaque;
    if (ks->closing)
        return;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[512];
        rd_kafka_fatal_error(rk, buf, sizeof buf);
        prt_log(ks->s->job, "%s: fatal Kafka error: %s", ks->what, buf);
        ks->fatal = 1;
    } else if (prt_kafka_transient(err)) {
        if (!ks->lost) /* librdkafka reconnects by itself; say so once per outage */
            prt_log(ks->s->job, "%s: lost connection to Kafka (%s); retrying", ks->what, reason);
        ks->lost = 1;
    } else if (ks->errs_logged < 20) {
        ks->errs_logged++;
        prt_log(ks->s->job, "%s: Kafka: %s", ks->what, reason);
    }
}

/* ---------------------------------------------------------------- open */

typedef struct prt_koffsets_arg {
    prt_ksrc *ks;
    int bad;
} prt_koffsets_arg;

static int ksrc_offset_setting(void *arg, const char *rest, const char *value)
{
    prt_koffsets_arg *a = arg;
    prt_ksrc *ks = a->ks;
    int64_t p, o; /* the integers pipec check accepted: prt_text's grammar */
    if (prt_text_int(rest, strlen(rest), &p) != PRT_TEXT_OK || p < 0 || p > 1000000) {
        prt_log(ks->s->job, "%s: startup.offsets: '%s' is not a partition number", ks->what, rest);
        return a->bad = 1;
    }
    if (prt_text_int(value, strlen(value), &o) != PRT_TEXT_OK || o < 0) {
        prt_log(ks->s->job, "%s: startup.offsets.%s: '%s' is not an offset", ks->what, rest, value);
        return a->bad = 1;
    }
    if (p >= ks->noffsets) {
        int64_t *v = realloc(ks->offsets, (size_t)(p + 1) * sizeof *v);
        prt_assert(v != NULL);
        for (int64_t i = ks->noffsets; i <= p; i++)
            v[i] = -1;
        ks->offsets = v;
        ks->noffsets = (int)p + 1;
    }
    ks->offsets[p] = o;
    return 0;
}

static const char *ksrc_cfg(prt_ksrc *ks, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s%s", ks->s->prefix, name);
    return prt_cfg(ks->s->job, path);
}

/* startup and auto_offset_reset settings; also sets auto.offset.reset on conf. */
static int ksrc_startup(prt_ksrc *ks, rd_kafka_conf_t *conf)
{
    prt_job *j = ks->s->job;
    char path[256];
    const char *reset = ksrc_cfg(ks, "auto_offset_reset");
    if (!reset)
        reset = "latest";
    if (strcmp(reset, "earliest") != 0 && strcmp(reset, "latest") != 0) {
        prt_log(j, "%s: auto_offset_reset must be earliest or latest, not '%s'", ks->what, reset);
        return PRT_ERR;
    }
    if (prt_kafka_set(j, ks->what, conf, "auto.offset.reset", reset) != PRT_OK)
        return PRT_ERR;

    const char *st = ksrc_cfg(ks, "startup");
    snprintf(path, sizeof path, "%sstartup.timestamp", ks->s->prefix);
    if (prt_cfg(j, path)) {
        if (prt_cfg_int(j, path, 0, &ks->start_ts) != PRT_OK)
            return PRT_ERR;
        ks->mode = PRT_KS_TIMESTAMP;
        return PRT_OK;
    }
    snprintf(path, sizeof path, "%sstartup.offsets.", ks->s->prefix);
    prt_koffsets_arg a = { ks, 0 };
    prt_cfg_each(j, path, ksrc_offset_setting, &a);
    if (a.bad)
        return PRT_ERR;
    if (ks->noffsets) {
        ks->mode = PRT_KS_OFFSETS;
        return PRT_OK;
    }
    if (!st || strcmp(st, "group-offsets") == 0)
        ks->mode = PRT_KS_GROUP;
    else if (strcmp(st, "earliest") == 0)
        ks->mode = PRT_KS_EARLIEST;
    else if (strcmp(st, "latest") == 0)
        ks->mode = PRT_KS_LATEST;
    else {
        prt_log(j, "%s: startup must be earliest, latest, group-offsets, {timestamp: MS} or "
                "{offsets: {PARTITION: OFFSET}}, not '%s'", ks->what, st);
        return PRT_ERR;
    }
    return PRT_OK;
}

/* Splits the comma-joined topic list into ks->topics (in order). */
static int ksrc_topic_list(prt_ksrc *ks, const char *list)
{
    const char *p = list;
    while (*p) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        while (n && (*p == ' ')) p++, n--;
        while (n && p[n - 1] == ' ') n--;
        if (n) {
            char name[256];
            if (n >= sizeof name) {
                prt_log(ks->s->job, "%s: topic name too long", ks->what);
                return PRT_ERR;
            }
            memcpy(name, p, n);
            name[n] = 0;
            ksrc_topic(ks, name);
        }
        if (!c)
            break;
        p = c + 1;
    }
    if (ks->ntopics == 0) {
        prt_log(ks->s->job, "%s: topics is empty", ks->what);
        return PRT_ERR;
    }
    return PRT_OK;
}

/* bounded: prepares the assignment of every partition of the topics, with its end at the
 * current high watermark (ksrc_poll assigns it). */
static int ksrc_open_bounded(prt_ksrc *ks, const struct rd_kafka_metadata *md, int timeout_ms)
{
    prt_job *j = ks->s->job;
    /* A handle per topic now, from the metadata just read: librdkafka creates the partitions and
     * hands each to its leader's broker thread while the end offsets are read. Created only at
     * the assignment instead, a partition starting from a logical offset (earliest) found no
     * leader yet and retried its offset lookup 500 ms later, every run. */
    for (int t = 0; t < ks->ntopics; t++)
        if (!ks->topics[t].held)
            ks->topics[t].held = rd_kafka_topic_new(ks->rk, ks->topics[t].name, NULL);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(8);
    int rc = PRT_OK;
    for (int t = 0; t < ks->ntopics && rc == PRT_OK; t++) {
        const struct rd_kafka_metadata_topic *mt = prt_kafka_md_topic(md, ks->topics[t].name);
        for (int i = 0; mt && i < mt->partition_cnt && rc == PRT_OK; i++) {
            int32_t pn = mt->partitions[i].id;
            int64_t lo = 0, hi = 0;
            rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(ks->rk, mt->topic, pn, &lo, &hi, timeout_ms);
            if (err) {
                prt_log(j, "%s: cannot read the end offset of %s [%d]: %s", ks->what, mt->topic, pn,
                        rd_kafka_err2str(err));
                rc = PRT_ERR;
                break;
            }
            int32_t d = ksrc_part(ks, mt->topic, pn);
            ks->parts[d].end = hi;
            ks->parts[d].done = hi <= lo;
            rd_kafka_topic_partition_list_add(l, mt->topic, pn);
        }
    }
    if (rc == PRT_OK)
        rc = ksrc_position(ks, l);
    if (rc == PRT_OK) {
        ks->remaining = 0;
        for (int d = 0; d < ks->nparts; d++) {
            prt_kpart *p = &ks->parts[d];
            rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(l, ks->topics[p->t].name, p->partition);
            if (tp && (tp->offset == RD_KAFKA_OFFSET_END || (tp->offset >= 0 && tp->offset >= p->end)))
                p->done = 1;
            p->assigned = 1;
            p->live = p->pos >= 0;
            if (!p->done) {
                ks->remaining++;
                prt_source_partition_add(ks->s, d);
            }
        }
        /* assigned at the first poll, so that a seek before it changes the offsets before
         * anything is fetched (assigning twice can deliver records fetched for the first one) */
        ks->pending = l;
        return PRT_OK;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

static void ksrc_free(prt_ksrc *ks)
{
    ks->closing = 1;
    prt_kafka_src_unregister(ks);
    ksrc_held_free(ks); /* before the consumer goes: each message holds its partition */
    free(ks->held);
    free(ks->tail);
    if (ks->q)
        rd_kafka_queue_destroy(ks->q);
    if (ks->rk) {
        rd_kafka_consumer_close(ks->rk); /* commits the stored offsets, leaves the group */
        for (int i = 0; i < ks->ntopics; i++)
            if (ks->topics[i].held)
                rd_kafka_topic_destroy(ks->topics[i].held);
        rd_kafka_destroy(ks->rk);
    }
    for (int i = 0; i < ks->ntopics; i++) {
        free(ks->topics[i].name);
        free(ks->topics[i].dense);
    }
    free(ks->topics);
    free(ks->parts);
    free(ks->offsets);
    for (int i = 0; i < ks->nrestore; i++)
        free(ks->restore[i].topic);
    free(ks->restore);
    if (ks->pending)
        rd_kafka_topic_partition_list_destroy(ks->pending);
    free(ks);
}

/* exactly_once: the offsets a transactional sink commits for the group with the checkpoint */
static void ksrc_txn_offsets(void *impl, rd_kafka_topic_partition_list_t *l)
{
    prt_ksrc *ks = impl;
    for (int d = 0; d < ks->nparts; d++)
        if (ks->parts[d].pos >= 0)
            rd_kafka_topic_partition_list_add(l, ks->topics[ks->parts[d].t].name, ks->parts[d].partition)->offset =
                ks->parts[d].pos;
}

static int ksrc_open(prt_source *s)
{
    prt_job *j = s->job;
    prt_ksrc *ks = calloc(1, sizeof *ks);
    prt_assert(ks != NULL);
    ks->s = s;
    ks->timestamps = !(j->desc->no_timestamp >> s->index & 1);
    snprintf(ks->what, sizeof ks->what, "source %s", s->desc->name);

    const char *bootstrap = prt_kafka_bootstrap(j, ks->what, s->prefix);
    const char *topics = ksrc_cfg(ks, "topics");
    const char *pattern = ksrc_cfg(ks, "topic_pattern");
    const char *group = ksrc_cfg(ks, "group");
    int64_t timeout_ms = 0;
    char path[256], regex[1024];
    snprintf(path, sizeof path, "%sconnect_timeout", s->prefix);
    int rc = bootstrap ? PRT_OK : PRT_ERR;
    if (rc == PRT_OK)
        rc = prt_cfg_dur(j, path, 10000, &timeout_ms);
    snprintf(path, sizeof path, "%sbounded", s->prefix);
    if (rc == PRT_OK)
        rc = prt_cfg_bool(j, path, 0, &ks->bounded);
    if (rc == PRT_OK && !topics == !pattern) {
        prt_log(j, "%s: set exactly one of topics and topic_pattern", ks->what);
        rc = PRT_ERR;
    }
    regex_t re;
    int have_re = 0;
    if (rc == PRT_OK && pattern) {
        /* librdkafka subscribes to a regex when the name starts with ^ */
        snprintf(regex, sizeof regex, "%s%s", pattern[0] == '^' ? "" : "^", pattern);
        char rerr[256];
        int e = regcomp(&re, regex, REG_EXTENDED | REG_NOSUB);
        if (e) {
            regerror(e, &re, rerr, sizeof rerr);
            prt_log(j, "%s: topic_pattern '%s': %s", ks->what, pattern, rerr);
            rc = PRT_ERR;
        } else {
            have_re = 1;
        }
    }
    if (rc == PRT_OK && topics)
        rc = ksrc_topic_list(ks, topics);

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rc == PRT_OK) {
        /* defaults first so that properties.* can override them */
        rc = prt_kafka_set(j, ks->what, conf, "bootstrap.servers", bootstrap);
        if (rc == PRT_OK)
            rc = prt_kafka_set(j, ks->what, conf, "group.id", group ? group : j->desc->pipeline);
        if (rc == PRT_OK)
            rc = prt_kafka_set(j, ks->what, conf, "log_level", "2"); /* errors come via error_cb */
        if (rc == PRT_OK)
            rc = prt_kafka_set(j, ks->what, conf, "fetch.wait.max.ms", "100");
        if (rc == PRT_OK)
            rc = prt_kafka_set(j, ks->what, conf, "session.timeout.ms", "10000");
        /* a prefetch queue that stays in cache (librdkafka's defaults, 100,000 records or 64 MB,
         * put each record ~100,000 messages behind the fetcher when the job reads it); the
         * refill at the low-water mark keeps it from running dry (prt_kafka_refill) */
        if (rc == PRT_OK)
            rc = prt_kafka_set(j, ks->what, conf, "queued.min.messages", PRT_KSRC_QMIN);
        if (rc == PRT_OK)
            rc = prt_kafka_set(j, ks->what, conf, "queued.max.messages.kbytes", PRT_KSRC_QMAX_KB);
        if (rc == PRT_OK)
            rc = ksrc_startup(ks, conf);
        if (rc == PRT_OK)
            rc = prt_kafka_apply_properties(j, ks->what, s->prefix, conf);
        /* what the connector relies on, after the user's properties */
        if (rc == PRT_OK)
            rc = prt_kafka_set(j, ks->what, conf, "enable.auto.offset.store", "false");
        ks->no_commit = prt_ckpt_mode_of(j) == PRT_CKPT_EXACTLY_ONCE;
        if (rc == PRT_OK && ks->no_commit)
            rc = prt_kafka_set(j, ks->what, conf, "enable.auto.commit", "false");
        if (rc == PRT_OK && ks->no_commit)
            rc = prt_kafka_set(j, ks->what, conf, "isolation.level", "read_committed");
        if (rc == PRT_OK)
            rc = prt_kafka_set(j, ks->what, conf, "enable.partition.eof", ks->bounded ? "true" : "false");
    }
    if (rc != PRT_OK) {
        rd_kafka_conf_destroy(conf);
        if (have_re)
            regfree(&re);
        ksrc_free(ks);
        return PRT_ERR;
    }
    prt_kafka_refill_init(&ks->refill, conf);
    rd_kafka_conf_set_opaque(conf, ks);
    rd_kafka_conf_set_error_cb(conf, ksrc_error);
    rd_kafka_conf_set_rebalance_cb(conf, ksrc_rebalance);
    char errstr[512];
    ks->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!ks->rk) {
        prt_log(j, "%s: %s", ks->what, errstr);
        rd_kafka_conf_destroy(conf);
        rc = PRT_ERR;
    }
    if (rc == PRT_OK) {
        rd_kafka_poll_set_consumer(ks->rk);
        ks->q = rd_kafka_queue_get_consumer(ks->rk);
    }

    /* Check the cluster and the topics now, so a typo fails at start and not silently later. */
    const struct rd_kafka_metadata *md = NULL;
    if (rc == PRT_OK && !(md = prt_kafka_metadata(j, ks->what, ks->rk, bootstrap, (int)timeout_ms)))
        rc = PRT_ERR;
    for (int t = 0; rc == PRT_OK && t < ks->ntopics; t++) {
        const struct rd_kafka_metadata_topic *mt = prt_kafka_md_topic(md, ks->topics[t].name);
        if (!mt || mt->err) {
            prt_log(j, "%s: topic %s: %s", ks->what, ks->topics[t].name,
                    mt ? rd_kafka_err2str(mt->err) : "no such topic");
            rc = PRT_ERR;
        }
    }
    if (rc == PRT_OK && have_re) {
        for (int i = 0; i < md->topic_cnt; i++)
            if (regexec(&re, md->topics[i].topic, 0, NULL, 0) == 0 && !md->topics[i].err)
                ksrc_topic(ks, md->topics[i].topic);
        if (ks->ntopics == 0)
            prt_log(j, "%s: no topic matches ^%s yet%s", ks->what, pattern[0] == '^' ? pattern + 1 : pattern,
                    ks->bounded ? "" : "; waiting for one");
    }
    if (rc == PRT_OK && ks->bounded) {
        rc = ksrc_open_bounded(ks, md, (int)timeout_ms);
    } else if (rc == PRT_OK) {
        rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(ks->ntopics ? ks->ntopics : 1);
        if (have_re) {
            rd_kafka_topic_partition_list_add(sub, regex, RD_KAFKA_PARTITION_UA);
        } else {
            for (int t = 0; t < ks->ntopics; t++)
                rd_kafka_topic_partition_list_add(sub, ks->topics[t].name, RD_KAFKA_PARTITION_UA);
        }
        rd_kafka_resp_err_t err = rd_kafka_subscribe(ks->rk, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        if (err) {
            prt_log(j, "%s: cannot subscribe: %s", ks->what, rd_kafka_err2str(err));
            rc = PRT_ERR;
        }
    }
    if (md)
        rd_kafka_metadata_destroy(md);
    if (have_re)
        regfree(&re);
    if (rc != PRT_OK) {
        ksrc_free(ks);
        return PRT_ERR;
    }
    s->impl = ks;
    if (ks->no_commit)
        prt_kafka_src_register(j, ks->rk, ks, ksrc_txn_offsets);
    return PRT_OK;
}

/* ---------------------------------------------------------------- poll */

/* bounded: partition d has nothing more to deliver. */
static void ksrc_done(prt_ksrc *ks, int32_t d)
{
    prt_kpart *p = &ks->parts[d];
    if (p->done)
        return;
    p->done = 1;
    ks->remaining--;
    prt_source_partition_remove(ks->s, d); /* a finished partition no longer holds the watermark */
    if (ks->pending) /* not assigned yet: its records are skipped when they come */
        return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, ks->topics[p->t].name, p->partition);
    rd_kafka_pause_partitions(ks->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
}

/* A message that carries an error instead of a record. Returns PRT_ERR when it is fatal. */
static int ksrc_msg_error(prt_ksrc *ks, rd_kafka_message_t *m)
{
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (ks->bounded && m->rkt)
            ksrc_done(ks, ksrc_msg_part(ks, m));
        return PRT_OK;
    }
    char buf[512];
    if (m->err == RD_KAFKA_RESP_ERR__FATAL || rd_kafka_fatal_error(ks->rk, buf, sizeof buf)) {
        if (!ks->fatal)
            prt_log(ks->s->job, "%s: fatal Kafka error: %s", ks->what, rd_kafka_message_errstr(m));
        ks->fatal = 1;
        return PRT_ERR;
    }
    if (prt_kafka_transient(m->err)) {
        if (!ks->lost)
            prt_log(ks->s->job, "%s: lost connection to Kafka (%s); retrying", ks->what, rd_kafka_message_errstr(m));
        ks->lost = 1;
    } else if (ks->errs_logged < 20) {
        ks->errs_logged++;
        prt_log(ks->s->job, "%s: Kafka: %s%s%s", ks->what, m->rkt ? rd_kafka_topic_name(m->rkt) : "",
                m->rkt ? ": " : "", rd_kafka_message_errstr(m));
    }
    return PRT_OK;
}

/* One message from librdkafka: an error, a record past a bounded partition's end (skipped), or a
 * record delivered (*n counts it). Destroys m. Returns PRT_ERR when the error is fatal. */
/* always_inline: called once a record from ksrc_poll; GCC split it and called the body (-24
 * instructions a record inlined, bench/README.md) */
static inline __attribute__((always_inline)) int ksrc_take(prt_ksrc *ks, rd_kafka_message_t *m, int *n)
{
    if (m->err) {
        int rc = ksrc_msg_error(ks, m);
        rd_kafka_message_destroy(m);
        return rc;
    }
    int32_t d = ksrc_msg_part(ks, m);
    prt_kpart *p = &ks->parts[d];
    if (ks->bounded && (p->done || m->offset >= p->end)) {
        ksrc_done(ks, d);
        rd_kafka_message_destroy(m);
        return PRT_OK;
    }
    if (!ks->bounded && !p->assigned) { /* revoked by a rebalance served inside this batch */
        rd_kafka_message_destroy(m);
        return PRT_OK;
    }
    rd_kafka_timestamp_type_t tstype = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    int64_t ts = ks->timestamps ? rd_kafka_message_timestamp(m, &tstype) : -1;
    prt_raw raw = {
        .data = { m->payload ? (const char *)m->payload : "", m->payload ? m->len : 0 },
        .key = { m->key ? (const char *)m->key : "", m->key ? m->key_len : 0 },
        .origin = ks->topics[p->t].name,
        .partition = d,
        .offset = m->offset,
        .timestamp = tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ts < 0 ? PRT_NO_TS : ts,
    };
    prt_source_deliver(ks->s, &raw);
    p->next = m->offset + 1;
    p->pos = p->next;
    p->dirty = 1;
    p->live = 1;
    (*n)++;
    if (ks->bounded && m->offset >= p->end - 1)
        ksrc_done(ks, d);
    rd_kafka_message_destroy(m);
    return PRT_OK;
}

/* The fetchers may have stopped and the queue is low: everything still queued was taken into
 * held; seeks every partition that is read to the offset after the last message taken from it
 * (held, else the next to deliver when its next offset in this assignment is known), which
 * wakes its broker thread (prt_kafka_refill in prt_kafka_int.h); the seek drops only what the
 * fetcher queued since. Partitions without a known offset are left alone (never a seek back to an
 * offset from an earlier assignment); the broker threads woken for the others look at them too. */
static void ksrc_refill(prt_ksrc *ks)
{
    for (size_t i = ks->hpos; i < ks->hn; i++) /* first every partition known: nparts may grow */
        if (ks->held[i]->rkt)
            ksrc_msg_part(ks, ks->held[i]);
    int64_t *tail = realloc(ks->tail, (size_t)(ks->nparts ? ks->nparts : 1) * sizeof *tail);
    prt_assert(tail != NULL);
    ks->tail = tail;
    for (int d = 0; d < ks->nparts; d++)
        tail[d] = -1;
    for (size_t i = ks->hpos; i < ks->hn; i++) {
        const rd_kafka_message_t *m = ks->held[i];
        if (!m->err && m->rkt) /* a partition's records are in offset order: the last one wins */
            tail[ksrc_msg_part(ks, m)] = m->offset + 1;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(ks->nparts ? ks->nparts : 1);
    for (int d = 0; d < ks->nparts; d++) {
        const prt_kpart *p = &ks->parts[d];
        int64_t off = tail[d] >= 0 ? tail[d] : p->live ? p->pos : -1;
        if (p->assigned && !p->done && off >= 0 && !(ks->bounded && off >= p->end))
            rd_kafka_topic_partition_list_add(l, ks->topics[p->t].name, p->partition)->offset = off;
    }
    if (l->cnt) {
        rd_kafka_error_t *e = rd_kafka_seek_partitions(ks->rk, l, 0); /* 0: asynchronous */
        if (e) /* only for bad arguments; a seek that fails later leaves the fetcher's own timer */
            rd_kafka_error_destroy(e);
    }
    rd_kafka_topic_partition_list_destroy(l);
}

/* Up to max records: first the held ones (ksrc_hold), then from the queue: the first call may
 * wait up to timeout_ms for one message (so a record that arrives alone is delivered at once),
 * then whatever is queued is taken in batches without waiting (rd_kafka_consume_batch_queue: one
 * queue lock per batch instead of one poll per message). */
static int ksrc_poll(prt_source *s, int max, int timeout_ms)
{
    prt_ksrc *ks = s->impl;
    ks->polled = 1;
    if (ks->fatal)
        return PRT_ERR;
    if (ks->bounded && ks->remaining == 0)
        return PRT_SRC_EOF;
    if (ks->pending) {
        rd_kafka_resp_err_t err = rd_kafka_assign(ks->rk, ks->pending);
        rd_kafka_topic_partition_list_destroy(ks->pending);
        ks->pending = NULL;
        if (err) {
            prt_log(s->job, "%s: cannot assign partitions: %s", ks->what, rd_kafka_err2str(err));
            return PRT_ERR;
        }
    }
    int n = 0, rc = PRT_OK;
    while (rc == PRT_OK && n < max && ks->hpos < ks->hn)
        rc = ksrc_take(ks, ks->held[ks->hpos++], &n);
    if (ks->hpos == ks->hn)
        ks->hpos = ks->hn = 0;
    int held = n; /* delivered from held: not news from the fetcher */
    if (rc == PRT_OK && timeout_ms > 0 && n == 0 && ks->hn == 0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(ks->rk, timeout_ms);
        if (m)
            rc = ksrc_take(ks, m, &n);
    }
    while (rc == PRT_OK && n < max && ks->hn == 0) {
        rd_kafka_message_t *v[PRT_KSRC_BATCH];
        size_t want = (size_t)(max - n) < PRT_KSRC_BATCH ? (size_t)(max - n) : PRT_KSRC_BATCH;
        ssize_t got = rd_kafka_consume_batch_queue(ks->q, 0, v, want);
        if (got <= 0)
            break;
        if (!v[0]->err) { /* one record a batch sampled: the average size for the refill */
            ks->refill.n++;
            ks->refill.bytes += v[0]->len + v[0]->key_len;
        }
        for (ssize_t i = 0; i < got; i++) {
            if (rc == PRT_OK)
                rc = ksrc_take(ks, v[i], &n);
            else
                rd_kafka_message_destroy(v[i]); /* after a fatal error: dropped, never delivered */
        }
        if ((size_t)got < want)
            break; /* the queue is drained */
    }
    if (rc != PRT_OK)
        return PRT_ERR;
    size_t qlen = rd_kafka_queue_length(ks->q);
    int64_t low = prt_kafka_refill_low(&ks->refill);
    if (prt_kafka_refill_due(&ks->refill, qlen, n - held, max, (int64_t)qlen <= low ? prt_mono_ms() : 0)) {
        ksrc_hold(ks, (size_t)low + PRT_KSRC_BATCH);
        ksrc_refill(ks);
    }
    if (n > 0) {
        ksrc_store(ks);
        if (ks->lost)
            prt_log(s->job, "%s: connection to Kafka restored", ks->what);
        ks->lost = 0;
    }
    if (ks->fatal)
        return PRT_ERR;
    if (ks->bounded && ks->remaining == 0 && n == 0)
        return PRT_SRC_EOF;
    return n;
}

static void ksrc_close(prt_source *s)
{
    if (s->impl)
        ksrc_free(s->impl);
    s->impl = NULL;
}

/* ---------------------------------------------------------------- position */

typedef struct prt_kpos {
    const char *topic;
    int32_t partition;
    int64_t offset;
} prt_kpos;

static int ksrc_kpos_cmp(const void *a, const void *b)
{
    const prt_kpos *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    if (c)
        return c;
    return x->partition < y->partition ? -1 : x->partition > y->partition;
}

static int ksrc_position_write(prt_source *s, prt_buf *b, prt_err *e)
{
    prt_ksrc *ks = s->impl;
    prt_kpos *v = calloc((size_t)(ks->nparts + ks->nrestore + 1), sizeof *v);
    prt_assert(v != NULL);
    int n = 0;
    for (int d = 0; d < ks->nparts; d++)
        if (ks->parts[d].pos >= 0)
            v[n++] = (prt_kpos){ ks->topics[ks->parts[d].t].name, ks->parts[d].partition, ks->parts[d].pos };
    for (int i = 0; i < ks->nrestore; i++) { /* restored, never seen since: kept */
        const prt_krestore *r = &ks->restore[i];
        int ti = -1;
        for (int t = 0; t < ks->ntopics && ti < 0; t++)
            if (strcmp(ks->topics[t].name, r->topic) == 0)
                ti = t;
        const prt_ktopic *t = ti >= 0 ? &ks->topics[ti] : NULL;
        int seen = t && r->partition < t->ndense && t->dense[r->partition] >= 0 &&
                   ks->parts[t->dense[r->partition]].pos >= 0;
        if (!seen)
            v[n++] = (prt_kpos){ r->topic, r->partition, r->offset };
    }
    qsort(v, (size_t)n, sizeof *v, ksrc_kpos_cmp);
    prt_pos_writer w;
    prt_pos_begin(&w, b, "kafka");
    for (int i = 0; i < n; i++) {
        int64_t vals[2] = { v[i].partition, v[i].offset };
        prt_pos_put(&w, prt_str_c(v[i].topic), 2, vals);
    }
    prt_pos_end(&w);
    free(v);
    return PRT_OK;
}

/* bounded: the assignment waits for the first poll; the restored partitions start at their
 * restored offsets instead, and what is left to read is counted again. */
static void ksrc_seek_bounded(prt_ksrc *ks)
{
    for (int d = 0; d < ks->nparts; d++) {
        prt_kpart *p = &ks->parts[d];
        const prt_krestore *rs = ksrc_restored(ks, ks->topics[p->t].name, p->partition);
        if (!rs)
            continue;
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_find(ks->pending, ks->topics[p->t].name, p->partition);
        if (tp)
            tp->offset = rs->offset;
        p->start = p->pos = rs->offset;
        p->live = 1;
        if (rs->offset >= p->end) {
            ksrc_done(ks, d);
        } else if (p->done) { /* started at the end before; the restored offset is earlier */
            p->done = 0;
            ks->remaining++;
            prt_source_partition_add(ks->s, d);
        }
    }
}

static int ksrc_seek(prt_source *s, const void *pos, size_t n, prt_err *e)
{
    prt_ksrc *ks = s->impl;
    prt_pos_reader r;
    if (prt_pos_open(&r, pos, n, "kafka", e) != PRT_OK)
        return PRT_ERR;
    if (ks->polled)
        return prt_errf(e, "a Kafka source cannot seek after its first poll");
    prt_krestore *v = calloc(r.count ? r.count : 1, sizeof *v);
    prt_assert(v != NULL);
    int nv = 0, rc = PRT_OK, got;
    prt_str topic;
    int64_t vals[2];
    while ((got = prt_pos_next(&r, &topic, 2, vals, e)) == 1) {
        if (topic.n == 0 || topic.n > 249 || memchr(topic.p, 0, topic.n)) {
            rc = prt_errf(e, "malformed position: entry %d is not a topic name", nv + 1);
            break;
        }
        if (vals[0] < 0 || vals[0] > INT32_MAX || vals[1] < 0) {
            rc = prt_errf(e, "malformed position: %.*s partition %lld offset %lld", (int)topic.n,
                          topic.p, (long long)vals[0], (long long)vals[1]);
            break;
        }
        v[nv].topic = strndup(topic.p, topic.n);
        prt_assert(v[nv].topic != NULL);
        v[nv].partition = (int32_t)vals[0];
        v[nv].offset = vals[1];
        if (nv > 0 && ksrc_kpos_cmp(&(prt_kpos){ v[nv - 1].topic, v[nv - 1].partition, 0 },
                                    &(prt_kpos){ v[nv].topic, v[nv].partition, 0 }) >= 0) {
            rc = prt_errf(e, "malformed position: %s partition %d is out of order or repeated",
                          v[nv].topic, (int)v[nv].partition);
            nv++;
            break;
        }
        nv++;
    }
    if (got < 0)
        rc = PRT_ERR;
    if (rc != PRT_OK) {
        for (int i = 0; i < nv; i++)
            free(v[i].topic);
        free(v);
        return PRT_ERR;
    }
    for (int i = 0; i < ks->nrestore; i++)
        free(ks->restore[i].topic);
    free(ks->restore);
    ks->restore = v;
    ks->nrestore = nv;
    if (ks->bounded)
        ksrc_seek_bounded(ks);
    return PRT_OK;
}

static void ksrc_partition_name(prt_source *s, int32_t d, prt_buf *name)
{
    const prt_ksrc *ks = s->impl;
    prt_buf_printf(name, "%s:%d", ks->topics[ks->parts[d].t].name, (int)ks->parts[d].partition);
}

/* Consumer lag for the admin endpoint: the cached high watermark (updated by every fetch
 * response, no request) minus the next offset to read. */
static int64_t ksrc_lag(prt_source *s, int32_t d)
{
    prt_ksrc *ks = s->impl;
    if (d < 0 || d >= ks->nparts || ks->parts[d].pos < 0)
        return -1;
    const prt_kpart *p = &ks->parts[d];
    int64_t lo, hi;
    if (rd_kafka_get_watermark_offsets(ks->rk, ks->topics[p->t].name, p->partition, &lo, &hi) !=
            RD_KAFKA_RESP_ERR_NO_ERROR || hi < 0)
        return -1;
    return hi > p->pos ? hi - p->pos : 0;
}

const prt_source_ops prt_src_kafka = {
    .connector = "kafka", .open = ksrc_open, .poll = ksrc_poll, .close = ksrc_close,
    .position = ksrc_position_write, .seek = ksrc_seek, .partition_name = ksrc_partition_name,
    .lag = ksrc_lag,
};
