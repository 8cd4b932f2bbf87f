/* kafka_consume.c — the bare librdkafka consumer pipec's Kafka source is measured against
 * (bench/run's "through Kafka" row): no pipec code, librdkafka only.
 *
 *   kafka_consume BOOTSTRAP TOPIC [--crc]
 *
 * Assigns every partition of TOPIC from its low watermark (no group join, no commits, like a
 * bounded pipec source), reads with the batch API (rd_kafka_consume_batch_queue, 10,000 at a
 * time) as fast as it can up to the high watermarks queried at start, and prints
 * `records=N bytes=B` (B = key + value bytes). With --crc (bench/run's check of what the topic
 * holds, never in a measured run) also `crc=X`: the CRC-32 (zlib's) of every value followed by a
 * newline, in the order read, which equals the CRC-32 of the file `kcat -P -l` produced from when
 * the one-partition topic holds its lines in order. Exit 0, or 1 with one line on stderr.
 *
 * Like pipec's source (prt_kafka_refill in runtime/prt_kafka_int.h), it wakes librdkafka's
 * fetcher when it has emptied a queue that was near librdkafka's thresholds (queued.min.messages
 * 100,000, queued.max.messages.kbytes 64 MB, librdkafka's defaults, which it keeps): the fetcher
 * stops there and would look again only up to a second later. A consumer that falls behind (a
 * load spike) then reads on at once instead of idling. (pipec's source reads through a shorter
 * queue and refills it earlier, at a low-water mark, holding what is still queued: a consumer
 * that keeps up with its fetcher, as this one does, gains nothing from either; bench/README.md.)
 *
 * KC_QUEUED_MIN=N and KC_QUEUED_KB=K in the environment set queued.min.messages and
 * queued.max.messages.kbytes (and the refill's thresholds) instead: to compare with pipec's
 * source at the same queue depth (bench/README.md); bench/run never sets them. */
#include <librdkafka/rdkafka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KC_BATCH 10000
#define KC_MAX_PARTS 1024
#define KC_QMIN 100000                 /* librdkafka's queued.min.messages */
#define KC_QMAX_BYTES (65536LL * 1024) /* librdkafka's queued.max.messages.kbytes */

/* CRC-32 (the reflected polynomial 0xEDB88320, as zlib), one byte at a time: fine for a check. */
static uint32_t kc_crc_table[256];

static void kc_crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        kc_crc_table[i] = c;
    }
}

static uint32_t kc_crc(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = kc_crc_table[(crc ^ b[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static int64_t kc_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int kc_fail(const char *what, const char *why)
{
    fprintf(stderr, "kafka_consume: %s: %s\n", what, why);
    return 1;
}

static int kc_conf(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "kafka_consume: %s: %s\n", k, err);
        return -1;
    }
    return 0;
}

/* Partitions of topic into ids[], their low and high watermarks into lo[] and hi[]; returns the
 * count or -1. */
static int kc_partitions(rd_kafka_t *rk, const char *topic, int32_t *ids, int64_t *lo, int64_t *hi)
{
    rd_kafka_topic_t *t = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, t, &md, 10000);
    rd_kafka_topic_destroy(t);
    if (e) {
        kc_fail(topic, rd_kafka_err2str(e));
        return -1;
    }
    int n = -1;
    if (md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt <= KC_MAX_PARTS) {
        n = md->topics[0].partition_cnt;
        for (int i = 0; i < n; i++)
            ids[i] = md->topics[0].partitions[i].id;
    } else {
        kc_fail(topic, md->topic_cnt == 1 ? rd_kafka_err2str(md->topics[0].err) : "no such topic");
    }
    rd_kafka_metadata_destroy(md);
    for (int i = 0; i < n; i++) {
        e = rd_kafka_query_watermark_offsets(rk, topic, ids[i], &lo[i], &hi[i], 10000);
        if (e) {
            kc_fail("watermarks", rd_kafka_err2str(e));
            return -1;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    int crc_on = argc == 4 && strcmp(argv[3], "--crc") == 0;
    if (argc != 3 && !crc_on) {
        fprintf(stderr, "usage: kafka_consume BOOTSTRAP TOPIC [--crc]\n");
        return 2;
    }
    uint32_t crc = 0;
    if (crc_on)
        kc_crc_init();
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (kc_conf(conf, "bootstrap.servers", argv[1]) || kc_conf(conf, "group.id", "bench-bare") ||
        kc_conf(conf, "enable.auto.commit", "false") || kc_conf(conf, "log_level", "2"))
        return 1;
    int64_t qmin = KC_QMIN, qmax_bytes = KC_QMAX_BYTES;
    const char *qm = getenv("KC_QUEUED_MIN"), *qk = getenv("KC_QUEUED_KB");
    if (qm && (kc_conf(conf, "queued.min.messages", qm) || (qmin = atoll(qm)) <= 0))
        return 1;
    if (qk && (kc_conf(conf, "queued.max.messages.kbytes", qk) || (qmax_bytes = atoll(qk) * 1024) <= 0))
        return 1;
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk)
        return kc_fail("rd_kafka_new", err);
    static int32_t ids[KC_MAX_PARTS];
    static int64_t lo[KC_MAX_PARTS], hi[KC_MAX_PARTS];
    int n = kc_partitions(rk, argv[2], ids, lo, hi);
    if (n < 0)
        return 1;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    int open = 0;
    for (int i = 0; i < n; i++) {
        if (hi[i] <= lo[i])
            continue;
        rd_kafka_topic_partition_list_add(parts, argv[2], ids[i])->offset = lo[i];
        open++;
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (e)
        return kc_fail("assign", rd_kafka_err2str(e));
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    static rd_kafka_message_t *batch[KC_BATCH];
    static int64_t next[KC_MAX_PARTS]; /* next offset to read, by index in ids */
    for (int i = 0; i < n; i++)
        next[i] = lo[i];
    uint64_t records = 0, bytes = 0;
    int throttled = 0;
    int64_t last_ms = 0, retry_ms = 50; /* the last refill while nothing came since, the next */
    while (open > 0) {
        /* no waiting for more records than are left, nor, throttled, for a full batch (the
         * fetcher may be the one waiting): either would idle up to the timeout */
        int64_t left = 0;
        for (int i = 0; i < n; i++)
            left += hi[i] > next[i] ? hi[i] - next[i] : 0;
        size_t want = left < KC_BATCH ? (size_t)left : KC_BATCH;
        int wait_ms = throttled ? 0 : last_ms ? 50 : 1000; /* after a refill: watch for the retry */
        ssize_t got = rd_kafka_consume_batch_queue(q, wait_ms, batch, want ? want : 1);
        if (got < 0)
            return kc_fail("consume", rd_kafka_err2str(rd_kafka_last_error()));
        for (ssize_t k = 0; k < got; k++) {
            rd_kafka_message_t *m = batch[k];
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    return kc_fail("consume", rd_kafka_message_errstr(m));
            } else {
                records++;
                bytes += m->len + m->key_len;
                if (crc_on) {
                    crc = kc_crc(crc, m->payload ? m->payload : "", m->len);
                    crc = kc_crc(crc, "\n", 1);
                }
                for (int i = 0; i < n; i++) /* the last record of a partition closes it */
                    if (ids[i] == m->partition) {
                        next[i] = m->offset + 1;
                        if (m->offset + 1 == hi[i])
                            open--;
                    }
            }
            rd_kafka_message_destroy(m);
        }
        /* the refill: near a threshold (the margin: what this batch took), then empty */
        size_t qlen = rd_kafka_queue_length(q);
        uint64_t near = qlen + KC_BATCH, avg = records ? bytes / records : 0;
        if (near >= (uint64_t)qmin || near * avg >= (uint64_t)qmax_bytes)
            throttled = 1;
        /* and again 50, 100, ... 800 ms after a refill while nothing came (a fetch in flight
         * at the seek can stop the fetcher again), as pipec's source does */
        int64_t now = got == 0 && qlen == 0 && last_ms ? kc_mono_ms() : 0;
        if (got > 0)
            last_ms = 0;
        int again = now && now - last_ms >= retry_ms && retry_ms < 1000;
        if ((throttled || again) && qlen == 0 && open > 0) {
            retry_ms = throttled ? 50 : retry_ms * 2;
            throttled = 0;
            last_ms = kc_mono_ms();
            rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
            for (int i = 0; i < n; i++)
                if (next[i] < hi[i])
                    rd_kafka_topic_partition_list_add(l, argv[2], ids[i])->offset = next[i];
            rd_kafka_error_t *serr = l->cnt ? rd_kafka_seek_partitions(rk, l, 0) : NULL;
            if (serr)
                rd_kafka_error_destroy(serr);
            rd_kafka_topic_partition_list_destroy(l);
        }
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    printf("records=%" PRIu64 " bytes=%" PRIu64, records, bytes);
    if (crc_on)
        printf(" crc=%08" PRIx32, crc);
    printf("\n");
    return 0;
}
