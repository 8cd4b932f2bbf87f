/* prt_snk_file.c — the `file` and `stdout` sinks: one record per line, buffered.
 *
 * file: sinks.<name>.file.path. Records are appended to a buffer as whole lines and written out
 * when it fills and on flush, so a stop never leaves half a line behind. A failed write or flush
 * prints one line naming the sink and the cause and returns PRT_ERR (the job then stops with
 * exit 1). Ownership: the sink owns its buffer, descriptors and paths.
 *
 * Without checkpoints path is truncated at open and every line is visible once written.
 * Under checkpoint.mode at_least_once path is truncated on a fresh start only and appended to
 * after a restart (records since the checkpoint are written again: duplicates, never losses).
 * Under exactly_once a reader of path only ever sees committed records: the output of
 * checkpoint N's interval is staged in `.<name>.pending-<N>` beside path (made durable and
 * sealed by prepare: later lines go to the next one's), and commit appends it to path, syncs
 * path and removes it. save records in the
 * checkpoint how long path was (L) and how much was staged (S); after a crash recover completes
 * path to exactly L + S bytes (appending what is missing from the staged file, or cutting what a
 * newer, abandoned commit added) and removes every other staged file, so each record is in path
 * once. docs/checkpoints.md.
 *
 * stdout: the lines are visible once written; commit and abort do nothing (refused under
 * exactly_once by prt_ckpt.c).
 */
#include "prt_be.h"
#include "prt_ckpt.h"
#include "prt_connector.h"
#include "prt_fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* lines are written once this many bytes are buffered: each write call costs the kernel a fixed
 * few microseconds (ext4 updates the inode's times under its journal) besides the copy, so q0's
 * 536 MB took 0.22 s of system time in 64 KB writes against 0.16 s in 256 KB ones (dd, the same
 * unaligned sizes; bench/README.md) */
#define SINK_BUF (256 * 1024)

typedef struct file_snk {
    int fd;         /* where lines go: path, stdout, or (exactly_once) the staged file; -1: none */
    int own_fd;     /* close at the end (not stdout) */
    char *path;     /* for messages; owned */
    prt_buf buf;
    int failed;
    /* checkpointing (file only) */
    prt_ckpt_mode mode;
    char *real;         /* path as given; owned */
    int path_fd;        /* exactly_once: path itself, written only by commit and recover */
    uint64_t committed; /* exactly_once: bytes of path that commits made */
    int64_t staged_id;  /* the checkpoint the staged file belongs to */
    uint64_t staged_len;
    int64_t sealed_id;  /* prepared, awaiting commit (its staged file is closed); 0: none */
    uint64_t sealed_len;
    int staged_new;     /* created since the last prepare: its directory entry needs a sync */
} file_snk;

/* ".<base>.pending-<id>" beside path; malloc'd */
static char *staged_name(const char *path, int64_t id)
{
    const char *slash = strrchr(path, '/');
    prt_buf b = { 0 };
    if (slash)
        prt_buf_printf(&b, "%.*s/.%s.pending-%lld", (int)(slash - path), path, slash + 1, (long long)id);
    else
        prt_buf_printf(&b, ".%s.pending-%lld", path, (long long)id);
    return b.p;
}

/* Opens the staged file of the current checkpoint (exactly_once), truncating a stale one. */
static int staged_open(prt_sink *k)
{
    file_snk *f = k->impl;
    char *name = staged_name(f->real, f->staged_id);
    f->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = PRT_OK;
    if (f->fd < 0) {
        prt_log(k->job, "sink %s: cannot create '%s': %s; stopping", k->desc->name, name, strerror(errno));
        f->failed = 1;
        k->lines = NULL; /* later records go through write, which refuses them */
        rc = PRT_ERR;
    }
    f->staged_new = 1;
    free(name);
    return rc;
}

static int write_out(prt_sink *k)
{
    file_snk *f = k->impl;
    if (f->failed)
        return PRT_ERR;
    if (f->buf.n && f->fd < 0 && f->mode == PRT_CKPT_EXACTLY_ONCE && staged_open(k) != PRT_OK) {
        prt_buf_clear(&f->buf);
        return PRT_ERR;
    }
    f->staged_len += f->buf.n;
    size_t done = 0;
    while (done < f->buf.n) {
        ssize_t w = write(f->fd, f->buf.p + done, f->buf.n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            prt_log(k->job, "sink %s: cannot write to %s: %s; stopping", k->desc->name, f->path,
                    w < 0 ? strerror(errno) : "no progress");
            f->failed = 1;
            k->lines = NULL; /* later records go through write, which refuses them */
            /* drop the unwritten rest: what reached the file ends with the last whole write */
            prt_buf_clear(&f->buf);
            return PRT_ERR;
        }
        done += (size_t)w;
    }
    prt_buf_clear(&f->buf);
    return PRT_OK;
}

static int open_common(prt_sink *k, int fd, int own, const char *path)
{
    file_snk *f = calloc(1, sizeof *f);
    prt_assert(f != NULL);
    f->fd = fd;
    f->own_fd = own;
    f->path_fd = -1;
    f->path = strdup(path);
    prt_assert(f->path != NULL);
    k->impl = f;
    k->lines = &f->buf; /* records may be formatted straight into it (prt_emit_line) */
    k->full = SINK_BUF;
    return PRT_OK;
}

static int file_open(prt_sink *k)
{
    char key[192];
    snprintf(key, sizeof key, "%spath", k->prefix);
    const char *path = prt_cfg(k->job, key);
    if (!path || !*path) {
        prt_log(k->job, "sink %s: %s is not set", k->desc->name, key);
        return PRT_ERR;
    }
    /* with checkpoints path is kept until recover knows whether this is a restart */
    prt_ckpt_mode mode = prt_ckpt_mode_of(k->job);
    int flags = mode == PRT_CKPT_NONE ? O_TRUNC : mode == PRT_CKPT_AT_LEAST_ONCE ? O_APPEND : 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
    if (fd < 0) {
        prt_log(k->job, "sink %s: cannot open '%s': %s", k->desc->name, path, strerror(errno));
        return PRT_ERR;
    }
    char quoted[1100];
    snprintf(quoted, sizeof quoted, "'%s'", path);
    open_common(k, fd, 1, quoted);
    file_snk *f = k->impl;
    f->mode = mode;
    f->real = strdup(path);
    prt_assert(f->real != NULL);
    if (mode == PRT_CKPT_EXACTLY_ONCE) { /* lines go to the staged file, path only on commit */
        f->path_fd = fd;
        f->fd = -1;
    }
    return PRT_OK;
}

static int stdout_open(prt_sink *k)
{
    return open_common(k, STDOUT_FILENO, 0, "stdout");
}

static int file_write(prt_sink *k, prt_str key, prt_str value, int64_t ts)
{
    file_snk *f = k->impl;
    (void)key; /* a file line is the value alone */
    (void)ts;
    if (f->failed)
        return PRT_ERR;
    prt_buf_put(&f->buf, value.p, value.n);
    prt_buf_putc(&f->buf, '\n');
    return f->buf.n >= SINK_BUF ? write_out(k) : PRT_OK;
}

static int file_flush(prt_sink *k)
{
    return write_out(k);
}

static void file_close(prt_sink *k)
{
    file_snk *f = k->impl;
    if (!f)
        return;
    if (f->own_fd && f->fd >= 0 && close(f->fd) != 0 && !f->failed)
        prt_log(k->job, "sink %s: closing %s: %s", k->desc->name, f->path, strerror(errno));
    if (f->path_fd >= 0)
        close(f->path_fd);
    if (f->mode == PRT_CKPT_EXACTLY_ONCE && f->fd >= 0 && f->staged_len == 0) {
        char *name = staged_name(f->real, f->staged_id); /* an empty staged file: nothing to keep */
        unlink(name);
        free(name);
    }
    prt_buf_free(&f->buf);
    free(f->path);
    free(f->real);
    free(f);
    k->impl = NULL;
}

static int file_prepare(prt_sink *k, int64_t checkpoint)
{
    file_snk *f = k->impl;
    if (write_out(k) != PRT_OK)
        return PRT_ERR;
    if (f->mode == PRT_CKPT_EXACTLY_ONCE && checkpoint != f->staged_id) {
        prt_log(k->job, "sink %s: checkpoint %lld prepared while staging for %lld; stopping", k->desc->name,
                (long long)checkpoint, (long long)f->staged_id);
        f->failed = 1;
        k->lines = NULL; /* later records go through write, which refuses them */
        return PRT_ERR;
    }
    /* EINVAL: a descriptor that cannot be synced (a pipe, /dev/null): nothing to make durable */
    if (f->own_fd && f->fd >= 0 && fdatasync(f->fd) != 0 && errno != EINVAL) {
        prt_log(k->job, "sink %s: cannot sync %s: %s; stopping", k->desc->name, f->path,
                strerror(errno));
        f->failed = 1;
        k->lines = NULL; /* later records go through write, which refuses them */
        return PRT_ERR;
    }
    if (f->staged_new) { /* the staged file's name must survive a crash as well as its bytes */
        prt_err e;
        if (prt_fsync_parent(f->real, &e) != PRT_OK) {
            prt_log(k->job, "sink %s: %s; stopping", k->desc->name, e.msg);
            f->failed = 1;
            k->lines = NULL; /* later records go through write, which refuses them */
            return PRT_ERR;
        }
        f->staged_new = 0;
    }
    if (f->mode == PRT_CKPT_EXACTLY_ONCE) { /* seal: later lines belong to the next checkpoint */
        if (f->fd >= 0)
            close(f->fd);
        f->fd = -1;
        f->sealed_id = checkpoint;
        f->sealed_len = f->staged_len;
        f->staged_id = checkpoint + 1;
        f->staged_len = 0;
    }
    return PRT_OK;
}

/* commit and abort: the lines are in the file already; a failed sink said why when it failed */
static int file_settle(prt_sink *k, int64_t checkpoint)
{
    file_snk *f = k->impl;
    return f->failed ? PRT_ERR : PRT_OK;
}

static int fail_errno(prt_sink *k, const char *what, const char *name)
{
    file_snk *f = k->impl;
    prt_log(k->job, "sink %s: %s '%s': %s; stopping", k->desc->name, what, name, strerror(errno));
    f->failed = 1;
    k->lines = NULL; /* later records go through write, which refuses them */
    return PRT_ERR;
}

/* Appends bytes [from, to) of the staged file `name` to path at offset f->committed + from, then
 * syncs path. A missing staged file is an error unless there is nothing to copy. */
static int append_staged(prt_sink *k, const char *name, uint64_t from, uint64_t to)
{
    file_snk *f = k->impl;
    if (from >= to)
        return PRT_OK;
    int in = open(name, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return fail_errno(k, "cannot open the staged output", name);
    char buf[64 * 1024];
    uint64_t at = from, half = from + (to - from) / 2;
    int crashed = 0;
    while (at < to) {
        size_t want = to - at < sizeof buf ? (size_t)(to - at) : sizeof buf;
        ssize_t r = pread(in, buf, want, (off_t)at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO; /* shorter than the checkpoint recorded */
            close(in);
            return fail_errno(k, "cannot read the staged output", name);
        }
        size_t done = 0;
        while (done < (size_t)r) {
            ssize_t w = pwrite(f->path_fd, buf + done, (size_t)r - done, (off_t)(f->committed + at + done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                close(in);
                return fail_errno(k, "cannot append to", f->real);
            }
            done += (size_t)w;
        }
        at += (uint64_t)r;
        if (!crashed && at >= half) { /* tests: a commit cut short */
            crashed = 1;
            prt_crash_point("file-commit-mid");
        }
    }
    close(in);
    if (fdatasync(f->path_fd) != 0 && errno != EINVAL)
        return fail_errno(k, "cannot sync", f->real);
    return PRT_OK;
}

static int file_eo_commit(prt_sink *k, int64_t checkpoint)
{
    file_snk *f = k->impl;
    if (f->failed)
        return PRT_ERR;
    if (checkpoint != f->sealed_id) {
        prt_log(k->job, "sink %s: commit of checkpoint %lld, but %lld was prepared; stopping", k->desc->name,
                (long long)checkpoint, (long long)f->sealed_id);
        f->failed = 1;
        k->lines = NULL; /* later records go through write, which refuses them */
        return PRT_ERR;
    }
    char *name = staged_name(f->real, checkpoint);
    int rc = append_staged(k, name, 0, f->sealed_len);
    if (rc == PRT_OK) {
        if (unlink(name) != 0 && errno != ENOENT) /* none when nothing was staged */
            rc = fail_errno(k, "cannot remove the committed staged output", name);
        f->committed += f->sealed_len;
        f->sealed_len = 0;
        f->sealed_id = 0;
    }
    free(name);
    return rc;
}

/* exactly_once abort: the sealed lines are not committed (the job stops; the restart replays
 * them and sweeps the staged file) */
static int file_eo_abort(prt_sink *k, int64_t checkpoint)
{
    file_snk *f = k->impl;
    f->sealed_len = 0;
    f->sealed_id = 0;
    return f->failed ? PRT_ERR : PRT_OK;
}

static int file_save(prt_sink *k, int64_t checkpoint, prt_buf *blob)
{
    file_snk *f = k->impl;
    unsigned char b[24];
    uint64_t committed = f->mode == PRT_CKPT_EXACTLY_ONCE ? f->committed : 0;
    prt_be64_put(b, committed);
    prt_be64_put(b + 8, f->mode == PRT_CKPT_EXACTLY_ONCE ? f->sealed_len : 0);
    prt_be64_put(b + 16, (uint64_t)(f->mode == PRT_CKPT_EXACTLY_ONCE ? f->sealed_id : checkpoint));
    prt_buf_put(blob, b, sizeof b);
    return f->failed ? PRT_ERR : PRT_OK;
}

/* Removes every staged file of path (a crashed run's). */
static int sweep_staged(prt_sink *k)
{
    file_snk *f = k->impl;
    char *probe = staged_name(f->real, 0);
    char *slash = strrchr(probe, '/');
    const char *dir = ".";
    const char *base = probe;
    if (slash) {
        *slash = '\0';
        dir = probe;
        base = slash + 1;
    }
    size_t plen = strlen(base) - 1; /* ".<name>.pending-" */
    char **names = NULL;
    size_t n = 0;
    prt_err e;
    int rc = PRT_OK;
    if (prt_dir_list(dir, &names, &n, &e) != PRT_OK) {
        prt_log(k->job, "sink %s: %s", k->desc->name, e.msg);
        rc = PRT_ERR;
    }
    for (size_t i = 0; i < n && rc == PRT_OK; i++)
        if (strncmp(names[i], base, plen) == 0) {
            char *full = prt_path_join(dir, names[i]);
            if (unlink(full) != 0 && errno != ENOENT)
                rc = fail_errno(k, "cannot remove", full);
            free(full);
        }
    prt_dir_list_free(names, n);
    free(probe);
    return rc;
}

static int file_recover(prt_sink *k, int64_t next, const void *blob, size_t n)
{
    file_snk *f = k->impl;
    int fd = f->mode == PRT_CKPT_EXACTLY_ONCE ? f->path_fd : f->fd;
    f->staged_id = next;
    f->staged_len = 0;
    f->sealed_id = 0;
    f->sealed_len = 0;
    if (!blob) { /* a fresh start: path starts empty, as without checkpoints */
        if (ftruncate(fd, 0) != 0)
            return fail_errno(k, "cannot truncate", f->real);
        f->committed = 0;
        return f->mode == PRT_CKPT_EXACTLY_ONCE ? sweep_staged(k) : PRT_OK;
    }
    if (f->mode != PRT_CKPT_EXACTLY_ONCE) /* at-least-once: keep what is there, append */
        return PRT_OK;
    if (n != 24) {
        prt_log(k->job, "sink %s: malformed commit record in the checkpoint (%zu bytes)", k->desc->name, n);
        return PRT_ERR;
    }
    const unsigned char *b = blob;
    uint64_t len = prt_be64_get(b), staged = prt_be64_get(b + 8);
    int64_t id = (int64_t)prt_be64_get(b + 16);
    struct stat st;
    if (fstat(fd, &st) != 0)
        return fail_errno(k, "cannot stat", f->real);
    uint64_t cur = (uint64_t)st.st_size, want = len + staged;
    if (cur < len) {
        prt_log(k->job, "sink %s: '%s' holds %llu bytes but checkpoint output committed %llu: was it truncated "
                "or replaced? stopping", k->desc->name, f->real, (unsigned long long)cur, (unsigned long long)len);
        return PRT_ERR;
    }
    if (cur > want && ftruncate(fd, (off_t)want) != 0) /* an abandoned newer commit */
        return fail_errno(k, "cannot truncate", f->real);
    f->committed = len;
    if (cur < want) { /* the commit was cut short: finish it from the staged output */
        char *name = staged_name(f->real, id);
        int rc = append_staged(k, name, cur - len, staged);
        free(name);
        if (rc != PRT_OK)
            return PRT_ERR;
    } else if (fdatasync(fd) != 0 && errno != EINVAL) {
        return fail_errno(k, "cannot sync", f->real);
    }
    f->committed = want;
    return sweep_staged(k);
}

static int file_commit(prt_sink *k, int64_t checkpoint)
{
    file_snk *f = k->impl;
    return f->mode == PRT_CKPT_EXACTLY_ONCE ? file_eo_commit(k, checkpoint) : file_settle(k, checkpoint);
}

static int file_abort(prt_sink *k, int64_t checkpoint)
{
    file_snk *f = k->impl;
    return f->mode == PRT_CKPT_EXACTLY_ONCE ? file_eo_abort(k, checkpoint) : file_settle(k, checkpoint);
}

/* lines written after prepare(N) go to the next checkpoint's staged file (or are plainly
 * visible without exactly_once): a checkpoint may complete in the background */
static int file_overlap(prt_sink *k)
{
    return 1;
}

const prt_sink_ops prt_snk_file = {
    .connector = "file", .open = file_open, .write = file_write, .flush = file_flush,
    .close = file_close, .prepare = file_prepare, .commit = file_commit, .abort = file_abort,
    .save = file_save, .recover = file_recover, .overlap = file_overlap,
};
const prt_sink_ops prt_snk_stdout = {
    .connector = "stdout", .open = stdout_open, .write = file_write, .flush = file_flush,
    .close = file_close, .prepare = file_prepare, .commit = file_settle, .abort = file_settle,
    .overlap = file_overlap,
};
