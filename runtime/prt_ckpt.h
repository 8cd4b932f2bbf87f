/* prt_ckpt.h — the checkpoint coordinator of a run: reads checkpoint.* settings, resumes from the
 * newest complete checkpoint at start, takes a checkpoint every checkpoint.interval (and a final
 * one at the end of bounded input or on SIGTERM), and drives the sinks' commit point. The
 * protocol is in docs/checkpoints.md; the job snapshot itself is prt_snap.h's, the directory
 * layout prt_chkdir.h's.
 *
 * Threading: everything runs on the job's thread between polls, with no record in flight; that
 * round boundary is where a later multi-worker run injects an aligned barrier.
 * Ownership: prt_ckpt_new's coordinator is owned by the run (prt_run.c) and freed with
 * prt_ckpt_free; it borrows the job.
 */
#ifndef PRT_CKPT_H
#define PRT_CKPT_H

#include "prt_job.h"

typedef enum prt_ckpt_mode {
    PRT_CKPT_NONE = 0,         /* no checkpoint section: at-most-once, as without checkpoints */
    PRT_CKPT_AT_LEAST_ONCE,
    PRT_CKPT_EXACTLY_ONCE,
} prt_ckpt_mode;

/* The mode the job's settings ask for: NONE without any checkpoint.* setting, else
 * checkpoint.mode (default exactly_once). Sinks read it at open. */
prt_ckpt_mode prt_ckpt_mode_of(prt_job *j);

typedef struct prt_ckpt prt_ckpt;

/* A coordinator for the job, or *c = NULL without a checkpoint section. Refuses (PRT_ERR, one
 * line in e, a configuration error) a sink that cannot honour the mode (stdout under
 * exactly_once) and invalid checkpoint.* values. Call after the connectors opened. */
int prt_ckpt_new(prt_job *j, int quiet, prt_ckpt **c, prt_err *e);
void prt_ckpt_free(prt_ckpt *c);

/* After desc->init and before the first poll: restores the newest complete checkpoint in
 * checkpoint.dir (sinks first, then the job snapshot), saying which on stderr and why newer ones
 * were passed over; with none, the sinks start fresh. PRT_ERR with e: the job must not run. */
int prt_ckpt_recover(prt_ckpt *c, prt_err *e);

/* 1 when prt_ckpt_recover resumed from a checkpoint (a savepoint given too is then not used). */
int prt_ckpt_resumed(const prt_ckpt *c);

/* Called by the loop after every round: takes a checkpoint when the interval has passed.
 * PRT_ERR (reported on stderr) when a checkpoint failed: the job must stop. */
int prt_ckpt_tick(prt_ckpt *c);

/* Takes a checkpoint now (the final one of a run). PRT_ERR as for prt_ckpt_tick. */
int prt_ckpt_take(prt_ckpt *c);

/* PRT_CKPT_LOG (any value) logs one line per checkpoint: its pause, when it was durable, the
 * commit, and its size (used for the numbers in docs/checkpoints.md). */

/* Test hook: when the environment variable PRT_CRASH_AT is "<point>" or "<point>:<n>", the
 * process kills itself with SIGKILL the n-th time (default 1st) it reaches that named point.
 * Points: ckpt-prepared, ckpt-snapshot, ckpt-complete, ckpt-sink-committed (after each commit of
 * a sink that keeps a marker: Kafka, PostgreSQL), ckpt-committed, file-commit-mid; and a
 * savepoint's (prt_snap.c): snap-op-file (after each operator's file), snap-written (all files
 * written, before the rename), snap-renamed (renamed, before the parent's fsync).
 * Used only by tests (crash_harness.sh, savepoint_crash.sh); free when the variable is unset. */
void prt_crash_point(const char *point);

#endif
