/* prt_winstore.h — the job's state backend for its window operators (prt_winstore.c). The run
 * owns the stores (prt_run.stores); they are closed after the operators are destroyed.
 */
#ifndef PRT_WINSTORE_H
#define PRT_WINSTORE_H

#include "prt_job.h"

/* After the operators are built: reads state.backend and state.memory_budget; with rocksdb opens
 * a store per worker and attaches the operators. PRT_ERR with the reason (a configuration or
 * store error). */
int prt_winstore_open(prt_job *j, prt_err *e);
#define PRT_WINSTORE_PREFIX "store-w" /* a checkpoint's copies of the workers' stores */
/* A store call of some operator failed: PRT_ERR with its reason. */
int prt_winstore_failed(prt_job *j, prt_err *e);
/* Some operator holds state in its store (a walk would read it). */
int prt_winstore_has_cold(prt_job *j);
/* Checkpoint at the cut, on the job's thread before the snapshot is written: when some operator
 * holds state in its store, each worker's store is checkpointed into dir/store-w<N>/ (a RocksDB
 * checkpoint: hard links) and *native = 1; the snapshot then holds only the in-memory part
 * (prt_winstore_memory_only). */
int prt_winstore_checkpoint(prt_job *j, const char *dir, int *native, prt_err *e);
void prt_winstore_memory_only(prt_job *j, int on);
/* PRT_STATE_LOG=1: one line per operator and worker with the store counters, on stderr. */
void prt_winstore_log(prt_job *j);
void prt_winstore_close(prt_job *j); /* after the operators are freed */
/* "64MB", "512KiB", "1G", "1048576": binary units (K = 1024). */
int prt_parse_size(const char *s, size_t *out);

#endif
