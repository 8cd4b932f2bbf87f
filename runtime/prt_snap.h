/* prt_snap.h — a consistent cut of a running job, on disk: every stateful operator's state (its
 * field tables, clocks, and every key, window and accumulator, ordered by key group), and every
 * source's position and watermark. The savepoint format (docs/savepoint-format.md): canonical,
 * versioned, independent of the state backend and of parallelism. Checkpoints store the same
 * files inside chk-<N>/ (prt_chkdir.h), so one writer and one reader serve both.
 *
 * Threading: called on the job's thread between polls (no record in flight). Errors: PRT_ERR
 * with a one-line reason in *e; nothing half-written is ever left where a reader would take it.
 */
#ifndef PRT_SNAP_H
#define PRT_SNAP_H

#include "prt_job.h"

#define PRT_SNAP_VERSION 1
#define PRT_SNAP_METADATA "_metadata"   /* the directory's metadata file */

/* Writes the snapshot files into dir, an existing empty directory, each durable (fsynced) when
 * this returns, the directory fsynced too. `drained` records whether open windows were fired
 * first (a stop with --drain). For checkpoints: completeness is the MANIFEST's job. */
int prt_snap_write_into(prt_job *j, const char *dir, int drained, prt_err *e);

/* A savepoint: writes into a temp directory beside dir and renames it to dir (which must not
 * exist), then fsyncs the parent: dir is complete or absent. */
int prt_snap_write(prt_job *j, const char *dir, int drained, prt_err *e);

/* PRT_OK when a savepoint may be written to dir (nothing is there yet); prt_snap_write checks it
 * again, and `run --savepoint-on-exit` checks it before the first record, so a long bounded run
 * is not refused only at its end. */
int prt_snap_target_free(const char *dir, prt_err *e);

typedef struct prt_restore_opts {
    int allow_non_restored; /* drop state of operator IDs this build lacks (listed on stderr) */
    int quiet;              /* no "restored ..." lines on stderr */
} prt_restore_opts;

/* Restores a snapshot directory (savepoint or chk-<N>) into a job whose operators are built
 * (desc->init ran) and whose sources are open but not yet polled: operator state (evolved to
 * this build's field tables where the rules allow, docs/savepoint-format.md), source positions
 * (per source name and connector; a source the snapshot lacks or whose connector changed starts
 * from its own startup settings, and says so) and watermarks. Refused with the reason when the
 * snapshot is not compatible: another max_parallelism, a changed key or window, an aggregate
 * whose function or input type changed, or state of an operator ID this build lacks (unless
 * o->allow_non_restored). On failure the job must not run. */
int prt_snap_restore(prt_job *j, const char *dir, const prt_restore_opts *o, prt_err *e);

/* `BINARY savepoint check DIR`: prints what restoring dir into this build would do, one line per
 * operator ID ("ID: restored", "ID: evolved: <what>", "ID: new", "ID: dropped",
 * "ID: incompatible: <why>"); PRT_OK exactly when `run --from-savepoint dir` would restore. */
int prt_snap_check(const prt_job_desc *d, const char *dir, int allow_non_restored, prt_err *e);

/* `BINARY savepoint ...` (prt_snap_dump.c): argv as given to prt_main; the exit status. */
int prt_snap_cli(int argc, char **argv, const char *prog, const prt_job_desc *d);

/* Applies a restored max event time to a partition that just appeared (prt_deliver.c). */
void prt_snap_seed_partition(prt_source *s, int32_t partition);

#endif
