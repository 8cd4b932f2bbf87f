/* prt_kafka.h — Kafka beyond the connector tables in prt_job.h: the embedded demo cluster.
 *
 * `BINARY run --embedded-kafka` starts librdkafka's mock cluster inside the binary, points every
 * kafka source and sink of the job at it (prt_cfg_override of their bootstrap), creates their
 * topics, and feeds each source topic from the orders generator on a thread. Opt-in demo mode
 * only: nothing else in the product uses the mock. */
#ifndef PRT_KAFKA_H
#define PRT_KAFKA_H

#include "prt_job.h"

/* Called by prt_main before connectors open. Prints one line naming the bootstrap address. */
int prt_kafka_embedded_start(prt_job *j);
/* Stops the feeding thread and destroys the cluster (after connectors closed). */
void prt_kafka_embedded_stop(prt_job *j);

#endif
