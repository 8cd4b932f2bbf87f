/* prt_kafka_int.h — helpers shared by the Kafka source, sink and embedded cluster (private to
 * prt_src_kafka.c, prt_snk_kafka.c and prt_kafka_embedded.c; not part of the runtime API).
 *
 * Every helper that fails prints one line "<pipeline>: <what>: <cause>" (what is e.g.
 * "source orders") and returns PRT_ERR / NULL. */
#ifndef PRT_KAFKA_INT_H
#define PRT_KAFKA_INT_H

#include <librdkafka/rdkafka.h>

#include "prt_connector.h"

/* Sets one librdkafka property; on failure reports "<what>: property NAME: <librdkafka's reason>". */
int prt_kafka_set(prt_job *j, const char *what, rd_kafka_conf_t *conf, const char *name,
                  const char *value);
/* Applies every "<prefix>properties.*" setting of the YAML (in YAML order) to conf. */
int prt_kafka_apply_properties(prt_job *j, const char *what, const char *prefix,
                               rd_kafka_conf_t *conf);
/* The resolved "<prefix>bootstrap" setting; reports and returns NULL when it is missing. */
const char *prt_kafka_bootstrap(prt_job *j, const char *what, const char *prefix);
/* Metadata for all topics within timeout_ms; reports "cannot reach Kafka at B: <err>" on failure.
 * The result is freed with rd_kafka_metadata_destroy. */
const struct rd_kafka_metadata *prt_kafka_metadata(prt_job *j, const char *what, rd_kafka_t *rk,
                                                   const char *bootstrap, int timeout_ms);
/* The topic in md, or NULL. */
const struct rd_kafka_metadata_topic *prt_kafka_md_topic(const struct rd_kafka_metadata *md,
                                                         const char *name);

/* Refilling a consumer's queue. librdkafka (2.0.2 here) stops fetching while the consumer queue
 * holds queued.min.messages records or queued.max.messages.kbytes, and decides again only when
 * the partition's broker thread wakes up, which a consumer taking records from the queue does
 * not cause: after up to a second (its rd_kafka_max_block_ms; librdkafka issue #2879, the
 * fetch.queue.backoff.ms setting of 2.4 and later). A job slower than the fetcher, which is any
 * job doing real work on a backlog, drained a full queue and then sat idle for most of that
 * second, over and over (q0 over 1.84M bids: 2-5 s of wall time for 1 s of CPU). The only
 * wake-ups the API offers are an assignment and a seek, and a seek drops what is still queued
 * for the partition. So the source watches the queue's length: once it was near a threshold (the
 * fetchers may have stopped) and it fell to a low-water mark (half the threshold), the source
 * takes every message still queued into an array of its own (held; delivered first, in order)
 * and seeks each partition to the offset after the last message it took, which wakes its broker
 * thread while the held messages are being processed: the fetch overlaps the work instead of
 * the job waiting for it with an empty queue. This decides when; the caller takes and seeks. */
typedef struct prt_kafka_refill {
    int64_t qmin;       /* queued.min.messages */
    int64_t qmax_bytes; /* queued.max.messages.kbytes, in bytes */
    uint64_t n, bytes;  /* records sampled and their key + value bytes: the average record size */
    uint64_t prev;      /* the queue's length after the last poll */
    int throttled;      /* the queue was near a threshold when it last grew, since the last refill */
    int64_t last_ms;    /* when the last refill was made, while nothing came since; 0: none */
    int64_t retry_ms;   /* how long after it, with nothing come, to make another */
} prt_kafka_refill;
/* The thresholds in force in conf (after every property was applied, before rd_kafka_new). */
void prt_kafka_refill_init(prt_kafka_refill *r, const rd_kafka_conf_t *conf);
/* The low-water mark: half of queued.min.messages, or of the records queued.max.messages.kbytes
 * holds at the average size sampled, whichever is less. */
int64_t prt_kafka_refill_low(const prt_kafka_refill *r);
/* After a poll that took got records from the queue (at most max; records delivered from the
 * held array do not count) and left qlen in it, at now_ms: 1 when the fetchers should be woken
 * now. That is when the queue is at or below the low-water mark and was near a threshold when it
 * last grew, since the last refill (the margin of max: the fetcher decided on the length before
 * the poll took its records; a queue that grew while below both was being fetched into). And
 * again when the queue is empty and nothing came PRT_KAFKA_REFILL_RETRY_MS after a refill, then
 * twice, four times... as long, up to a second: a fetch that was in flight at the seek arrives
 * with the old version and can stop the fetcher again before librdkafka drops it. */
int prt_kafka_refill_due(prt_kafka_refill *r, size_t qlen, int got, int max, int64_t now_ms);
#define PRT_KAFKA_REFILL_RETRY_MS 50

/* Exactly-once (docs/checkpoints.md): a Kafka source that commits no offsets itself registers its
 * consumer, and the job's transactional Kafka sink sends each registered source's consumed
 * offsets (fn fills l with topic, partition and next offset) in every checkpoint's transaction,
 * with the consumer's group metadata. Pointers are borrowed; a source unregisters at close.
 * Everything runs on the job's thread. */
typedef void (*prt_kafka_offsets_fn)(void *impl, rd_kafka_topic_partition_list_t *l);
void prt_kafka_src_register(prt_job *j, rd_kafka_t *rk, void *impl, prt_kafka_offsets_fn fn);
void prt_kafka_src_unregister(void *impl);
/* Calls visit for every registered source of j with its consumer and its offsets now (an empty
 * list when it has none); stops at the first non-zero result and returns it. */
int prt_kafka_src_each(prt_job *j, int (*visit)(void *arg, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *l),
                       void *arg);

#endif
