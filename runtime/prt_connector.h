/* prt_connector.h — what a connector (prt_src_*.c, prt_snk_*.c, prt_kafka*.c) may use beyond the
 * source and sink interfaces of prt_job.h: the clocks, the position encoding, its ops tables,
 * and the connector registry with the optional run mode a connector offers.
 *
 * Connectors never see the running job's private state (prt_jobpriv.h): they read settings with
 * prt_cfg*, log with prt_log, hand records to prt_source_deliver and watch j->stop.
 */
#ifndef PRT_CONNECTOR_H
#define PRT_CONNECTOR_H

#include "prt_clock.h"
#include "prt_job.h"
#include "prt_pos.h"

/* The connector tables, one per connector kind. */
extern const prt_source_ops prt_src_file, prt_src_stdin, prt_src_generator, prt_src_kafka, prt_src_socket,
    prt_src_pg;
extern const prt_sink_ops prt_snk_file, prt_snk_stdout, prt_snk_kafka, prt_snk_pg;
/* pipec test's connectors (prt_ptest.c): no YAML names them; `BIN test` puts them in place */
extern const prt_source_ops prt_src_test;
extern const prt_sink_ops prt_snk_test;

/* A mode of `run` that a connector offers, e.g. the Kafka connector's `--embedded-kafka` (an
 * in-process demo cluster). Given its flag, the job calls start once, after settings are
 * resolved and before any connector opens (start may override settings with prt_cfg_override),
 * and stop once every connector has closed (also after a failed start). */
typedef struct prt_run_mode {
    const char *flag; /* "--embedded-kafka" */
    const char *help; /* one line for --help */
    int (*start)(prt_job *j); /* PRT_ERR after printing one line (the run exits 1) */
    void (*stop)(prt_job *j);
} prt_run_mode;

extern const prt_run_mode prt_kafka_embedded_mode;

/* A source that lost its connection made a new one: counted per source for the admin endpoint
 * (pipec_source_reconnects_total). */
void prt_source_reconnected(prt_source *s);

/* The registry (prt_connectors.c): the ops for a connector name as written in the YAML, NULL
 * for an unknown one; the run modes in a fixed order (NULL past the last one). Borrowed,
 * static. */
const prt_source_ops *prt_connector_source(const char *connector);
const prt_sink_ops *prt_connector_sink(const char *connector);
const prt_run_mode *prt_run_mode_at(int i);

#endif
