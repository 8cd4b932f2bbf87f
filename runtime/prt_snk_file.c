/* prt_snk_file.c — the `file` and `stdout` sinks: one record per line, buffered.
 *
 * file: sinks.<name>.file.path, truncated at open. Records are appended to a buffer as whole
 * lines and written out when it fills and on flush, so a stop never leaves half a line behind.
 * A failed write or flush prints one line naming the sink and the cause and returns PRT_ERR
 * (the job then stops with exit 1). Ownership: the sink owns its buffer and descriptor.
 *
 * Commit point (prt_sink_ops): prepare writes the buffer out and, for a file, syncs it to disk;
 * commit and abort do nothing, because every line is visible in the file once written
 * (at-least-once: an abort cannot take lines back).
 */
#include "prt_connector.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SINK_BUF (64 * 1024)

typedef struct file_snk {
    int fd;
    int own_fd;     /* close at the end (not stdout) */
    char *path;     /* for messages; owned */
    prt_buf buf;
    int failed;
} file_snk;

static int write_out(prt_sink *k)
{
    file_snk *f = k->impl;
    if (f->failed)
        return PRT_ERR;
    size_t done = 0;
    while (done < f->buf.n) {
        ssize_t w = write(f->fd, f->buf.p + done, f->buf.n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            prt_log(k->job, "sink %s: cannot write to %s: %s; stopping", k->desc->name, f->path,
                    w < 0 ? strerror(errno) : "no progress");
            f->failed = 1;
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
    f->path = strdup(path);
    prt_assert(f->path != NULL);
    k->impl = f;
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
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        prt_log(k->job, "sink %s: cannot open '%s': %s", k->desc->name, path, strerror(errno));
        return PRT_ERR;
    }
    char quoted[1100];
    snprintf(quoted, sizeof quoted, "'%s'", path);
    return open_common(k, fd, 1, quoted);
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
    if (f->own_fd && close(f->fd) != 0 && !f->failed)
        prt_log(k->job, "sink %s: closing %s: %s", k->desc->name, f->path, strerror(errno));
    prt_buf_free(&f->buf);
    free(f->path);
    free(f);
    k->impl = NULL;
}

static int file_prepare(prt_sink *k, int64_t checkpoint)
{
    file_snk *f = k->impl;
    if (write_out(k) != PRT_OK)
        return PRT_ERR;
    /* EINVAL: a descriptor that cannot be synced (a pipe, /dev/null): nothing to make durable */
    if (f->own_fd && fdatasync(f->fd) != 0 && errno != EINVAL) {
        prt_log(k->job, "sink %s: cannot sync %s: %s; stopping", k->desc->name, f->path,
                strerror(errno));
        f->failed = 1;
        return PRT_ERR;
    }
    return PRT_OK;
}

/* commit and abort: the lines are in the file already; a failed sink said why when it failed */
static int file_settle(prt_sink *k, int64_t checkpoint)
{
    file_snk *f = k->impl;
    return f->failed ? PRT_ERR : PRT_OK;
}

const prt_sink_ops prt_snk_file = {
    .connector = "file", .open = file_open, .write = file_write, .flush = file_flush,
    .close = file_close, .prepare = file_prepare, .commit = file_settle, .abort = file_settle,
};
const prt_sink_ops prt_snk_stdout = {
    .connector = "stdout", .open = stdout_open, .write = file_write, .flush = file_flush,
    .close = file_close, .prepare = file_prepare, .commit = file_settle, .abort = file_settle,
};
