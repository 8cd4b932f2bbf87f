/* prt_ckpt.c — the checkpoint coordinator (prt_ckpt.h): one consistent cut of the job between
 * two polls, made durable in checkpoint.dir/chk-<N>/ before any sink commits it.
 *
 * Checkpoint N, on the job's thread with no record in flight:
 *   1. every sink prepare(N)         staged output durable (file) or flushed (at-least-once)
 *   2. sinks' save blobs, source positions
 *   3. prt_chkdir_begin(N) + prt_snap_write_into: operator state, timers, watermarks, positions
 *   4. prt_chkdir_finish(N)          MANIFEST last, with the positions and the sinks' blobs:
 *                                    from here on a restart resumes from N and finishes its commit
 *   5. every sink commit(N)          the interval's output becomes visible
 *   6. prt_chkdir_retain(retain)
 * A failure before 4 aborts N and stops the job (the last complete checkpoint is untouched); a
 * failure in 5 stops the job too, and the restart finishes the commit from N's blobs.
 */
#include "prt_ckpt.h"
#include "prt_winstore.h"

#include "prt_be.h"
#include "prt_chkdir.h"
#include "prt_fsutil.h"
#include "prt_jobpriv.h"
#include "prt_snap.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct prt_ckpt {
    prt_job *j;
    prt_ckpt_mode mode;
    int quiet;
    int trace;              /* PRT_CKPT_LOG set: a line per checkpoint */
    char *root;             /* checkpoint.dir; owned */
    int64_t interval_ms;
    unsigned retain;
    uint64_t next;          /* id of the next checkpoint */
    uint64_t last_done;     /* id of the last complete one (0: none) */
    int64_t last_mono;      /* when the last one was taken (or the run started) */
    int sync;               /* PRT_CKPT_SYNC set: never in the background */
    /* the checkpoint being written in the background, if any */
    pid_t child;
    int child_why;          /* read end of the pipe that brings back its failure */
    uint64_t child_id;
    char *child_dir;
    double child_t0, child_pause;
    /* statistics for the closing line */
    uint64_t taken;
    double pause_total_ms, pause_max_ms, commit_max_ms;
};

/* ---------------------------------------------------------------- test hook */

static int crash_in_child; /* set in a background checkpoint writer */

/* 1 when this passage through `point` is the one PRT_CRASH_AT names (counted by the job's
 * process: a background writer's points are counted by the job before it forks) */
static int crash_due(const char *point)
{
    static int parsed;
    static char want[64];
    static long at = 1, hits;
    if (!parsed) {
        parsed = 1;
        const char *v = getenv("PRT_CRASH_AT");
        if (v && *v) {
            snprintf(want, sizeof want, "%s", v);
            char *colon = strchr(want, ':');
            if (colon) {
                *colon = '\0';
                at = strtol(colon + 1, NULL, 10);
            }
        }
    }
    return want[0] && strcmp(want, point) == 0 && ++hits == at;
}

static void crash_now(void)
{
    if (crash_in_child) /* the job dies with its background writer */
        kill(getppid(), SIGKILL);
    raise(SIGKILL);
}

void prt_crash_point(const char *point)
{
    if (crash_due(point))
        crash_now();
}

/* ---------------------------------------------------------------- settings */

prt_ckpt_mode prt_ckpt_mode_of(prt_job *j)
{
    static const char *const keys[] = { "checkpoint.interval", "checkpoint.mode", "checkpoint.dir",
                                        "checkpoint.retain" };
    int any = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        any |= prt_cfg(j, keys[i]) != NULL;
    if (!any)
        return PRT_CKPT_NONE;
    const char *m = prt_cfg(j, "checkpoint.mode");
    return m && strcmp(m, "at_least_once") == 0 ? PRT_CKPT_AT_LEAST_ONCE : PRT_CKPT_EXACTLY_ONCE;
}

static double mono_ms_f(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int prt_ckpt_new(prt_job *j, int quiet, prt_ckpt **out, prt_err *e)
{
    *out = NULL;
    prt_ckpt_mode mode = prt_ckpt_mode_of(j);
    if (mode == PRT_CKPT_NONE)
        return PRT_OK;
    const char *m = prt_cfg(j, "checkpoint.mode");
    if (m && strcmp(m, "exactly_once") != 0 && strcmp(m, "at_least_once") != 0)
        return prt_errf(e, "checkpoint.mode: '%s' is neither exactly_once nor at_least_once", m);
    int64_t interval, retain;
    if (prt_cfg_dur(j, "checkpoint.interval", 10000, &interval) != PRT_OK ||
        prt_cfg_int(j, "checkpoint.retain", 2, &retain) != PRT_OK)
        return prt_errf(e, "invalid checkpoint settings");
    if (interval <= 0)
        return prt_errf(e, "checkpoint.interval must be positive");
    if (retain < 1 || retain > 1000)
        return prt_errf(e, "checkpoint.retain must be between 1 and 1000 (is %lld)", (long long)retain);
    const char *dir = prt_cfg(j, "checkpoint.dir");
    if (!dir || !*dir)
        dir = "state";
    if (mode == PRT_CKPT_EXACTLY_ONCE)
        for (int i = 0; i < j->desc->nsinks; i++)
            if (strcmp(j->desc->sinks[i].connector, "stdout") == 0)
                return prt_errf(e, "sink %s: stdout cannot be exactly-once (what it printed cannot be taken "
                                "back after a crash); use a file or kafka sink, or checkpoint.mode: at_least_once",
                                j->desc->sinks[i].name);
    if (mode == PRT_CKPT_EXACTLY_ONCE)
        for (int i = 0; i < j->desc->nsources; i++)
            if (strcmp(j->desc->sources[i].connector, "socket") == 0)
                return prt_errf(e, "source %s: a socket cannot be exactly-once (it cannot replay what it sent "
                                "before a crash); use checkpoint.mode: at_least_once, under which its input is "
                                "at most once across a crash", j->desc->sources[i].name);
    prt_ckpt *c = calloc(1, sizeof *c);
    prt_assert(c != NULL);
    c->j = j;
    c->mode = mode;
    c->quiet = quiet;
    c->trace = getenv("PRT_CKPT_LOG") != NULL;
    c->sync = getenv("PRT_CKPT_SYNC") != NULL;
    c->root = strdup(dir);
    prt_assert(c->root != NULL);
    c->interval_ms = interval;
    c->retain = (unsigned)retain;
    c->next = 1;
    c->last_mono = prt_mono_ms();
    *out = c;
    return PRT_OK;
}

void prt_ckpt_free(prt_ckpt *c)
{
    if (!c)
        return;
    if (!c->quiet && c->taken)
        prt_log(c->j, "checkpoints: %llu taken, the last chk-%llu; record path paused %.2f ms on average, "
                "%.2f ms at most; commit at most %.2f ms",
                (unsigned long long)c->taken, (unsigned long long)c->last_done,
                c->pause_total_ms / (double)c->taken, c->pause_max_ms, c->commit_max_ms);
    if (c->child) { /* the job failed or was stopped meanwhile: the half checkpoint is dropped */
        close(c->child_why);
        kill(c->child, SIGKILL);
        while (waitpid(c->child, NULL, 0) < 0 && errno == EINTR)
            ;
        prt_err ignore;
        (void)prt_rmtree(c->child_dir, &ignore);
    }
    free(c->child_dir);
    free(c->root);
    free(c);
}

/* ---------------------------------------------------------------- blobs */

/* Per-name sections: u32 count, then per item u16 name length, name, u32 length, bytes. */
static void sect_put(prt_buf *b, const char *name, const char *p, size_t n)
{
    unsigned char h[4];
    size_t nl = strlen(name);
    prt_be16_put(h, (uint16_t)nl);
    prt_buf_put(b, h, 2);
    prt_buf_put(b, name, nl);
    prt_be32_put(h, (uint32_t)n);
    prt_buf_put(b, h, 4);
    prt_buf_put(b, p, n);
}

/* Finds the section of `name` in a blob written by sect_put: 1 with *p, *n; 0 when absent;
 * PRT_ERR when the blob is malformed. */
static int sect_find(const prt_buf *b, const char *name, const char **p, size_t *n)
{
    const unsigned char *u = (const unsigned char *)b->p;
    size_t off = 4, len = b->n;
    if (len < 4)
        return len == 0 ? 0 : PRT_ERR;
    uint32_t count = prt_be32_get(u);
    for (uint32_t i = 0; i < count; i++) {
        if (len - off < 2)
            return PRT_ERR;
        size_t nl = prt_be16_get(u + off);
        off += 2;
        if (len - off < nl + 4)
            return PRT_ERR;
        const char *nm = b->p + off;
        off += nl;
        size_t bl = prt_be32_get(u + off);
        off += 4;
        if (len - off < bl)
            return PRT_ERR;
        if (nl == strlen(name) && memcmp(nm, name, nl) == 0) {
            *p = b->p + off;
            *n = bl;
            return 1;
        }
        off += bl;
    }
    return 0;
}

static void count_put(prt_buf *b, uint32_t n)
{
    unsigned char h[4];
    prt_be32_put(h, n);
    prt_buf_put(b, h, 4);
}

/* ---------------------------------------------------------------- recovery */

/* A transactional sink (Kafka) whose last committed checkpoint is older than the newest complete
 * one did not commit that one: its output is gone (aborted), so the job resumes from the
 * checkpoint it did commit, which the other sinks committed too (they commit after it); the
 * newer ones are then removed by prt_ckpt_recover. */
static int pick_committed(prt_ckpt *c, prt_chk_manifest *m, int *found, prt_err *e)
{
    prt_job *j = c->j;
    int64_t low = INT64_MAX;
    const char *who = NULL;
    for (int i = 0; i < j->desc->nsinks; i++) {
        prt_sink *k = j->sinks[i];
        int64_t id;
        if (!k || !k->ops->committed)
            continue;
        int r = k->ops->committed(k, &id);
        if (r == PRT_ERR)
            return prt_errf(e, "sink %s cannot tell which checkpoint it committed last", k->desc->name);
        if (r == 1 && id < low) {
            low = id;
            who = k->desc->name;
        }
    }
    if (!who)
        return PRT_OK;
    int64_t newest = *found ? (int64_t)m->id : -1;
    if (low > newest) {
        prt_log(j, "sink %s committed checkpoint %lld, newer than the newest usable one: the records since "
                "then are produced again (duplicates)", who, (long long)low);
        return PRT_OK;
    }
    if (low == newest)
        return PRT_OK;
    prt_chk_manifest_free(m);
    *found = 0;
    if (low < 1) {
        prt_log(j, "sink %s has committed no checkpoint (checkpoint %lld was not committed): starting fresh", who,
                (long long)newest);
        return PRT_OK;
    }
    prt_err le;
    if (prt_chkdir_load(c->root, (uint64_t)low, 1, m, &le) != PRT_OK)
        return prt_errf(e, "sink %s committed checkpoint %lld last, which is not usable (%s): cannot resume "
                        "exactly-once", who, (long long)low, le.msg);
    prt_log(j, "checkpoint %lld was not committed by sink %s", (long long)newest, who);
    *found = 1;
    return PRT_OK;
}

int prt_ckpt_recover(prt_ckpt *c, prt_err *e)
{
    prt_job *j = c->j;
    prt_chk_manifest m = { 0 };
    prt_buf skipped = { 0 };
    int found = 0;
    if (prt_chkdir_newest(c->root, 1, &m, &found, &skipped, e) != PRT_OK) {
        prt_buf_free(&skipped);
        return PRT_ERR;
    }
    for (size_t a = 0; a < skipped.n;) { /* one log line per checkpoint passed over */
        size_t z = a;
        while (z < skipped.n && skipped.p[z] != '\n')
            z++;
        prt_log(j, "%.*s", (int)(z - a), skipped.p + a);
        a = z + 1;
    }
    prt_buf_free(&skipped);

    uint64_t *ids = NULL;
    size_t nids = 0;
    if (prt_chkdir_list(c->root, &ids, &nids, e) != PRT_OK) {
        prt_chk_manifest_free(&m);
        return PRT_ERR;
    }
    c->next = nids ? ids[nids - 1] + 1 : 1; /* ids are never reused, even those of bad ones */

    int rc = PRT_OK;
    if (pick_committed(c, &m, &found, e) != PRT_OK) {
        prt_chk_manifest_free(&m);
        free(ids);
        return PRT_ERR;
    }
    /* every checkpoint newer than the one resumed from (incomplete, corrupt, or not committed by
     * a transactional sink) is removed: it must never be resumed from later, and a background
     * writer of a killed job that still finished one must not make it look usable */
    for (size_t i = 0; i < nids; i++)
        if (ids[i] > (found ? m.id : 0)) {
            prt_buf d = { 0 };
            prt_err re;
            prt_buf_printf(&d, "%s/chk-%" PRIu64, c->root, ids[i]);
            if (prt_rmtree(d.p, &re) != PRT_OK)
                prt_log(j, "cannot remove the unusable checkpoint %s: %s", d.p, re.msg);
            prt_buf_free(&d);
        }
    free(ids);
    prt_buf dirb = { 0 };
    const char *dir = NULL;
    if (found) {
        prt_buf_printf(&dirb, "%s/chk-%" PRIu64, c->root, m.id);
        dir = dirb.p;
        prt_log(j, "resuming from checkpoint %" PRIu64 " (%s)", m.id, dir);
        c->last_done = m.id;
    } else if (!c->quiet) {
        prt_log(j, "no complete checkpoint in %s: starting fresh", c->root);
    }
    for (int i = 0; i < j->desc->nsinks && rc == PRT_OK; i++) {
        prt_sink *k = j->sinks[i];
        if (!k || !k->ops->recover)
            continue;
        const char *p = NULL;
        size_t n = 0;
        int got = found ? sect_find(&m.commit, k->desc->name, &p, &n) : 0;
        if (got == PRT_ERR)
            rc = prt_errf(e, "checkpoint %" PRIu64 ": malformed sink commit record", m.id);
        else if (k->ops->recover(k, (int64_t)c->next, got ? p : NULL, n) != PRT_OK)
            rc = prt_errf(e, "sink %s could not recover from checkpoint %" PRIu64, k->desc->name, m.id);
    }
    if (rc == PRT_OK && found) {
        prt_restore_opts o = { .allow_non_restored = 0, .quiet = c->quiet };
        if (prt_snap_restore(j, dir, &o, e) != PRT_OK)
            rc = PRT_ERR;
    }
    prt_buf_free(&dirb);
    prt_chk_manifest_free(&m);
    c->last_mono = prt_mono_ms();
    return rc;
}

/* ---------------------------------------------------------------- taking one */

static void abort_all(prt_job *j, uint64_t id)
{
    prt_shared_lock(j); /* worker threads may be writing to the sinks again */
    for (int i = 0; i < j->desc->nsinks; i++)
        if (j->sinks[i])
            (void)j->sinks[i]->ops->abort(j->sinks[i], (int64_t)id);
    prt_shared_unlock(j);
}

/* Step 1-3 on the record path: sinks prepare, commit records and positions, chk-<id>/ made.
 * On failure the reason is in e and nothing needs undoing but abort. */
static int begin_one(prt_ckpt *c, uint64_t id, char **dir, prt_buf *pos, prt_buf *commit, prt_err *e)
{
    prt_job *j = c->j;
    int rc = PRT_OK;
    /* parallelism > 1: the one input thread hands no record on while it is here, so once every
     * worker has processed all it was handed, the cut is consistent; the workers stay idle until
     * the input thread goes on (the barrier of a checkpoint) */
    prt_workers_drain(j);
    for (int i = 0; i < j->desc->nsinks && rc == PRT_OK; i++)
        if (j->sinks[i] && j->sinks[i]->ops->prepare(j->sinks[i], (int64_t)id) != PRT_OK)
            rc = prt_errf(e, "sink %s could not prepare it", j->desc->sinks[i].name);

    count_put(commit, 0);
    uint32_t nsaved = 0;
    for (int i = 0; i < j->desc->nsinks && rc == PRT_OK; i++) {
        prt_sink *k = j->sinks[i];
        if (!k || !k->ops->save)
            continue;
        prt_buf one = { 0 };
        if (k->ops->save(k, (int64_t)id, &one) != PRT_OK)
            rc = prt_errf(e, "sink %s could not save its commit record", k->desc->name);
        else {
            sect_put(commit, k->desc->name, one.p, one.n);
            nsaved++;
        }
        prt_buf_free(&one);
    }
    prt_be32_put((unsigned char *)commit->p, nsaved);

    count_put(pos, 0);
    uint32_t npos = 0;
    for (int i = 0; i < j->desc->nsources && rc == PRT_OK; i++) {
        prt_source *s = j->sources[i];
        prt_buf one = { 0 };
        prt_err pe;
        if (s && s->ops->position(s, &one, &pe) == PRT_OK) { /* stdin has none */
            sect_put(pos, s->desc->name, one.p, one.n);
            npos++;
        }
        prt_buf_free(&one);
    }
    prt_be32_put((unsigned char *)pos->p, npos);
    if (rc == PRT_OK)
        rc = prt_chkdir_begin(c->root, id, dir, e);
    return rc;
}

/* Steps 3-4: the snapshot and the MANIFEST; on the job's thread or in the forked child. */
static int write_one(prt_ckpt *c, uint64_t id, const char *dir, const prt_buf *pos, const prt_buf *commit,
                     const int die[2], int native, prt_err *e)
{
    if (die[0]) /* test hook: ckpt-prepared */
        crash_now();
    prt_winstore_memory_only(c->j, native); /* the stores' part is in dir/store-w<N>/ already */
    int rc = prt_snap_write_into(c->j, dir, 0, e);
    prt_winstore_memory_only(c->j, 0);
    if (rc != PRT_OK)
        return PRT_ERR;
    if (die[1]) /* test hook: ckpt-snapshot */
        crash_now();
    return prt_chkdir_finish(c->root, id, c->j->desc->pipeline, prt_wall_ms(), prt_buf_str(pos), prt_buf_str(commit),
                             e);
}

static int failed_one(prt_ckpt *c, uint64_t id, const char *dir, const char *why)
{
    prt_job *j = c->j;
    prt_stats_checkpoint(j->stats, (int64_t)id, 0, 0, 0, prt_wall_ms()); /* the admin endpoint's history */
    abort_all(j, id);
    if (dir) { /* leave no half checkpoint taking space (a full disk); a restart skips it anyway */
        prt_err ignore;
        (void)prt_rmtree(dir, &ignore);
    }
    if (c->last_done)
        prt_log(j, "checkpoint %" PRIu64 " failed: %s; stopping (checkpoint %" PRIu64 " in %s is kept)", id, why,
                c->last_done, c->root);
    else
        prt_log(j, "checkpoint %" PRIu64 " failed: %s; stopping (no complete checkpoint yet)", id, why);
    return PRT_ERR;
}

/* Each operator's state size for the admin endpoint: its op-<ID>.state file in the manifest (the
 * canonical snapshot; with state.backend rocksdb, of the in-memory part only: the stored part is
 * in the checkpoint's store files, counted in the checkpoint's size). */
static void publish_op_bytes(prt_job *j, const prt_chk_manifest *tm)
{
    char name[256];
    for (int op = 0; op < j->desc->noperators && op < j->stats->noperators; op++) {
        snprintf(name, sizeof name, "op-%s.state", j->desc->operators[op].id);
        for (size_t i = 0; i < tm->nfiles; i++)
            if (!strcmp(tm->files[i].path, name))
                prt_gauge_set(&j->stats->op_chk_bytes[op], (int64_t)tm->files[i].size);
    }
}

/* Steps 5-6 once checkpoint id is durable: commit (transactional sinks first), retain, stats. */
static int commit_one(prt_ckpt *c, uint64_t id, double t0, double pause_ms)
{
    prt_job *j = c->j;
    prt_err e;
    int rc = PRT_OK;
    c->last_done = id;
    double t1 = mono_ms_f();
    prt_crash_point("ckpt-complete");
    /* transactional sinks first: when their commit did not happen, recovery goes back to the
     * previous checkpoint, and the other sinks' commits of this one must not have happened */
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < j->desc->nsinks && rc == PRT_OK; i++) {
            prt_sink *k = j->sinks[i];
            if (!k || (k->ops->committed != NULL) != (pass == 0))
                continue;
            prt_shared_lock(j); /* worker threads may be writing to it again */
            int crc = k->ops->commit(k, (int64_t)id);
            prt_shared_unlock(j);
            if (crc == PRT_OK && pass == 0) /* tests: between two transactional sinks' commits */
                prt_crash_point("ckpt-sink-committed");
            if (crc != PRT_OK) {
                if (k->ops->committed)
                    prt_log(j, "checkpoint %" PRIu64 " is complete but sink %s could not commit it; stopping "
                            "(a restart resumes from the last checkpoint it committed)", id, k->desc->name);
                else
                    prt_log(j, "checkpoint %" PRIu64 " is complete but sink %s could not commit it; stopping "
                            "(a restart finishes the commit)", id, k->desc->name);
                rc = PRT_ERR;
            }
        }
    if (rc != PRT_OK)
        return PRT_ERR;
    prt_crash_point("ckpt-committed");
    double t2 = mono_ms_f();
    if (prt_chkdir_retain(c->root, c->retain, NULL, &e) != PRT_OK) /* space only: not fatal */
        prt_log(j, "checkpoint %" PRIu64 ": removing old checkpoints: %s", id, e.msg);
    if (pause_ms < 0) /* taken on the job's thread: it paused for all of it */
        pause_ms = t2 - t0;
    else
        pause_ms += t2 - t1; /* the commit runs on the job's thread */
    prt_chk_manifest tm = { 0 }; /* its size, for the admin endpoint (and the trace) */
    uint64_t bytes = 0;
    if (prt_chkdir_load(c->root, id, 0, &tm, &e) == PRT_OK) {
        for (size_t i = 0; i < tm.nfiles; i++)
            bytes += tm.files[i].size;
        publish_op_bytes(j, &tm);
    }
    prt_chk_manifest_free(&tm);
    prt_stats_checkpoint(j->stats, (int64_t)id, (int64_t)(t2 - t0 + 0.5), (int64_t)bytes, 1, prt_wall_ms());
    if (c->trace) { /* PRT_CKPT_LOG=1: one line per checkpoint, for measurements */
        prt_log(j, "checkpoint %" PRIu64 ": record path paused %.2f ms; durable after %.2f ms%s, committed in %.2f ms; "
                "%llu bytes", id, pause_ms, t1 - t0, c->child ? " (in the background)" : "", t2 - t1,
                (unsigned long long)bytes);
    }
    c->taken++;
    c->pause_total_ms += pause_ms;
    if (pause_ms > c->pause_max_ms)
        c->pause_max_ms = pause_ms;
    if (t2 - t1 > c->commit_max_ms)
        c->commit_max_ms = t2 - t1;
    c->last_mono = prt_mono_ms();
    return PRT_OK;
}

/* A checkpoint whose snapshot is written by a forked child: the child holds a copy-on-write image
 * of the job at the cut (the in-memory copy, as Redis' BGSAVE), so the record path pauses only
 * for the prepare and the fork. Only when every sink accepts writes between prepare and commit. */
static int can_fork(prt_ckpt *c)
{
    prt_job *j = c->j;
    if (c->sync)
        return 0;
    for (int i = 0; i < j->desc->nsinks; i++) {
        prt_sink *k = j->sinks[i];
        if (k && (!k->ops->overlap || !k->ops->overlap(k)))
            return 0;
    }
    return 1;
}

static int start_background(prt_ckpt *c)
{
    uint64_t id = c->next++;
    double t0 = mono_ms_f();
    prt_err e = { { 0 } };
    prt_buf pos = { 0 }, commit = { 0 };
    char *dir = NULL;
    int native = 0;
    int rc = begin_one(c, id, &dir, &pos, &commit, &e);
    if (rc == PRT_OK) /* stored state: a RocksDB checkpoint (hard links) at the cut, here */
        rc = prt_winstore_checkpoint(c->j, dir, &native, &e);
    pid_t parent = getpid(), pid = -1;
    int die[2] = { crash_due("ckpt-prepared"), crash_due("ckpt-snapshot") };
    int why[2] = { -1, -1 }; /* the child's reason for a failure comes back through a pipe */
    if (rc == PRT_OK && pipe2(why, O_CLOEXEC) != 0)
        rc = prt_errf(&e, "pipe: %s", strerror(errno));
    if (rc == PRT_OK) {
        fflush(NULL);
        pid = fork();
        if (pid < 0)
            rc = prt_errf(&e, "fork: %s", strerror(errno));
    }
    if (pid == 0) { /* the child: write, finish, exit; never touch a connector */
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* a killed job leaves no writer behind */
        if (getppid() != parent)
            _exit(1);
        crash_in_child = 1;
        signal(SIGINT, SIG_IGN);
        signal(SIGTERM, SIG_DFL);
        int r = write_one(c, id, dir, &pos, &commit, die, native, &e);
        if (r != PRT_OK)
            (void)prt_write_all(why[1], e.msg, strlen(e.msg));
        _exit(r == PRT_OK ? 0 : 1);
    }
    if (why[1] >= 0)
        close(why[1]);
    prt_buf_free(&pos);
    prt_buf_free(&commit);
    if (rc != PRT_OK) {
        if (why[0] >= 0)
            close(why[0]);
        int r = failed_one(c, id, dir, e.msg);
        free(dir);
        return r;
    }
    c->child_why = why[0];
    c->child = pid;
    c->child_id = id;
    c->child_dir = dir;
    c->child_t0 = t0;
    c->child_pause = mono_ms_f() - t0;
    return PRT_OK;
}

/* Waits (block) or looks (not block) for the background checkpoint; commits it when it is
 * durable. PRT_ERR when it failed (reported). */
static int finish_background(prt_ckpt *c, int block)
{
    if (!c->child)
        return PRT_OK;
    int st = 0;
    pid_t r;
    do
        r = waitpid(c->child, &st, block ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return PRT_OK; /* still writing */
    uint64_t id = c->child_id;
    char *dir = c->child_dir;
    c->child_dir = NULL;
    int ok = r == c->child && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    int rc;
    char why[sizeof ((prt_err *)0)->msg] = "";
    ssize_t n = read(c->child_why, why, sizeof why - 1);
    why[n > 0 ? n : 0] = '\0';
    close(c->child_why);
    c->child_why = -1;
    if (!ok) {
        if (r != c->child)
            snprintf(why, sizeof why, "waitpid: %s", strerror(errno));
        else if (WIFSIGNALED(st))
            snprintf(why, sizeof why, "its background writer was killed by signal %d", WTERMSIG(st));
        else if (!why[0])
            snprintf(why, sizeof why, "its background writer failed");
        c->child = 0;
        rc = failed_one(c, id, dir, why);
    } else {
        rc = commit_one(c, id, c->child_t0, c->child_pause);
        c->child = 0;
    }
    free(dir);
    return rc;
}

/* Steps 1-6 on the job's thread. */
static int take_sync(prt_ckpt *c)
{
    uint64_t id = c->next++;
    double t0 = mono_ms_f();
    prt_err e = { { 0 } };
    prt_buf pos = { 0 }, commit = { 0 };
    char *dir = NULL;
    int native = 0;
    int rc = begin_one(c, id, &dir, &pos, &commit, &e);
    if (rc == PRT_OK)
        rc = prt_winstore_checkpoint(c->j, dir, &native, &e);
    if (rc == PRT_OK) {
        int die[2] = { crash_due("ckpt-prepared"), crash_due("ckpt-snapshot") };
        rc = write_one(c, id, dir, &pos, &commit, die, native, &e);
    }
    prt_buf_free(&pos);
    prt_buf_free(&commit);
    if (rc != PRT_OK) {
        rc = failed_one(c, id, dir, e.msg);
        free(dir);
        return rc;
    }
    free(dir);
    return commit_one(c, id, t0, -1);
}

int prt_ckpt_take(prt_ckpt *c)
{
    if (finish_background(c, 1) != PRT_OK)
        return PRT_ERR;
    return take_sync(c);
}

int prt_ckpt_resumed(const prt_ckpt *c)
{
    return c->last_done != 0;
}

int prt_ckpt_tick(prt_ckpt *c)
{
    if (c->child)
        return finish_background(c, 0);
    if (prt_mono_ms() - c->last_mono < c->interval_ms)
        return PRT_OK;
    return can_fork(c) ? start_background(c) : take_sync(c);
}
