/* prt_src_stdin.c — the `stdin` source: lines of standard input, bounded at end of input.
 *
 * One partition (0); origin "stdin", offset the 1-based line number. Waits with poll(2) so an
 * idle terminal or pipe never blocks the loop longer than the timeout it was given.
 * Standard input cannot be read again, so the source has no position: position and seek
 * refuse with a reason that says so.
 * Ownership: the source owns its reader, not descriptor 0.
 */
#include "prt_connector.h"
#include "prt_lines.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int stdin_open(prt_source *s)
{
    prt_lines *l = calloc(1, sizeof *l);
    prt_assert(l != NULL);
    prt_lines_init(l, STDIN_FILENO);
    s->impl = l;
    prt_source_partition_add(s, 0);
    return PRT_OK;
}

static int stdin_poll(prt_source *s, int max, int timeout_ms)
{
    prt_lines *l = s->impl;
    int n = 0;
    while (n < max && !s->job->stop) {
        prt_str line;
        if (prt_lines_next(l, &line, l->eof)) {
            prt_raw raw = { line, { NULL, 0 }, "stdin", 0, l->line, PRT_NO_TS };
            prt_source_deliver(s, &raw);
            n++;
            continue;
        }
        if (l->eof)
            return n ? n : PRT_SRC_EOF;
        struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
        int r = poll(&p, 1, n ? 0 : timeout_ms);
        if (r == 0 || (r < 0 && errno == EINTR))
            break;
        if (r < 0) {
            prt_log(s->job, "source %s: cannot wait for stdin: %s", s->desc->name, strerror(errno));
            return PRT_ERR;
        }
        ssize_t got = prt_lines_fill(l);
        if (got == 0) {
            l->eof = 1;
        } else if (got < 0) {
            if (errno == EINTR || errno == EAGAIN)
                break;
            prt_log(s->job, "source %s: cannot read stdin: %s", s->desc->name, strerror(errno));
            return PRT_ERR;
        }
    }
    return n;
}

static void stdin_close(prt_source *s)
{
    prt_lines *l = s->impl;
    if (!l)
        return;
    prt_lines_free(l);
    free(l);
    s->impl = NULL;
}

static int stdin_position(prt_source *s, prt_buf *b, prt_err *e)
{
    return prt_errf(e, "a stdin source has no position: standard input cannot be read again");
}

static int stdin_seek(prt_source *s, const void *pos, size_t n, prt_err *e)
{
    return prt_errf(e, "a stdin source cannot seek: standard input cannot be read again");
}

const prt_source_ops prt_src_stdin = {
    .connector = "stdin", .open = stdin_open, .poll = stdin_poll, .close = stdin_close,
    .position = stdin_position, .seek = stdin_seek,
};
