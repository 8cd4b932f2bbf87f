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
