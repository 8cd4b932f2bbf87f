/* prt_lines.c — the line reader of prt_lines.h, shared by the file and stdin sources. */
#include "prt_lines.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void prt_lines_init(prt_lines *l, int fd)
{
    memset(l, 0, sizeof *l);
    l->fd = fd;
}

void prt_lines_reset(prt_lines *l, int fd)
{
    l->fd = fd;
    l->off = l->len = l->scan = 0;
    l->line = 0;
    l->eof = 0;
}

void prt_lines_free(prt_lines *l)
{
    free(l->buf);
    l->buf = NULL;
    l->cap = l->len = l->off = l->scan = 0;
}

int prt_lines_next(prt_lines *l, prt_str *line, int final)
{
    for (;;) {
        if (l->scan < l->off)
            l->scan = l->off;
        char *start = l->buf + l->off;
        char *nl = l->len > l->scan ? memchr(l->buf + l->scan, '\n', l->len - l->scan) : NULL;
        size_t n;
        if (nl) {
            n = (size_t)(nl - start);
            l->off += n + 1;
        } else if (final && l->len > l->off) {
            n = l->len - l->off;
            l->off = l->len;
        } else {
            l->scan = l->len;
            return 0;
        }
        l->line++;
        if (n > 0 && start[n - 1] == '\r')
            n--;
        if (n == 0)
            continue; /* empty lines are skipped, but counted */
        *line = (prt_str){ start, n };
        return 1;
    }
}

ssize_t prt_lines_fill(prt_lines *l)
{
    if (l->off > 0) { /* keep the unread bytes at the start */
        memmove(l->buf, l->buf + l->off, l->len - l->off);
        l->len -= l->off;
        l->scan -= l->off < l->scan ? l->off : l->scan;
        l->off = 0;
    }
    if (l->cap - l->len < 16384) {
        size_t cap = l->cap ? l->cap * 2 : 65536;
        char *b = realloc(l->buf, cap);
        prt_assert(b != NULL);
        l->buf = b;
        l->cap = cap;
    }
    ssize_t r = read(l->fd, l->buf + l->len, l->cap - l->len);
    if (r > 0)
        l->len += (size_t)r;
    return r;
}
