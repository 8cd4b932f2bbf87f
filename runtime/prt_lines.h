/* prt_lines.h — a line reader over a file descriptor, shared by the file, stdin and socket
 * sources (private to the runtime).
 *
 * Lines of any length (the buffer grows), "\n" or "\r\n" endings, empty lines skipped but
 * counted so line numbers match the file, and a last line without a newline still a line once
 * the end of the input is known. The reader owns its buffer, not the descriptor.
 *
 * Two ways to get the bytes: read() into a buffer (any descriptor), or, for a regular file
 * (prt_lines_map), a read-only mapping of a window of the file, so that lines are split where
 * the page cache holds them, without a copy. The window moves forward when a line runs past its
 * end (it then starts at the page of the first unread byte, so a line is always contiguous, and
 * grows for a line longer than itself); pages behind the lines already returned are unmapped
 * as the reader goes, so the mapped part of a large file stays small.
 */
#ifndef PRT_LINES_H
#define PRT_LINES_H

#include "prt_core.h"

#include <string.h>
#include <sys/types.h>

/* The mapping window of the file source: few mmap calls, and resident pages are unmapped
 * every PRT_LINES_UNMAP bytes behind the reader anyway. */
#define PRT_LINES_WINDOW ((size_t)64 << 20)
#define PRT_LINES_UNMAP ((size_t)1 << 20)

typedef struct prt_lines {
    int fd;
    char *buf;         /* owned: the read buffer, or the mapped window */
    size_t off, len, cap; /* unread bytes are buf[off, len) */
    size_t scan;       /* buf[off, scan) is known to hold no newline */
    int64_t line;      /* number of the last line returned (1-based) */
    int eof;           /* read() returned 0 and no more data is expected */
    /* mapped (prt_lines_map): buf holds the file's bytes from map_at on; buf[0, unmapped) are
     * already given back */
    int mapped;
    size_t window, unmapped;
    int64_t map_at;
    /* set when the mapped file was cut short under the reader (another process truncated it):
     * prt_lines_next returns no more lines and prt_lines_fill fails with EIO */
    volatile int truncated;
} prt_lines;

void prt_lines_init(prt_lines *l, int fd);
/* Discards buffered bytes and restarts at line 0 on a (new) descriptor, reading with read(). */
void prt_lines_reset(prt_lines *l, int fd);
/* Discards buffered bytes and restarts at line 0 on fd, a regular file, mapping `window` bytes
 * at a time from byte offset `at` on (nothing is mapped before the first fill). PRT_ERR, with
 * the reader unchanged, when fd is not a regular file: read it with prt_lines_reset instead. */
int prt_lines_map(prt_lines *l, int fd, int64_t at, size_t window);
/* 1 and the next non-empty line (borrowed until the next call); 0 when no complete line is
 * buffered. With final set, the bytes after the last newline count as a line. */
int prt_lines_next_any(prt_lines *l, prt_str *line, int final);
/* The reader whose mapping this thread is scanning, for the SIGBUS guard (prt_lines.c). */
extern _Thread_local prt_lines *prt_lines_scanning;
/* Inline, the usual line: whole in what is read or mapped, not empty, no '\r' before its
 * newline, nothing to give back first; anything else is prt_lines_next_any's. */
static inline int prt_lines_next(prt_lines *l, prt_str *line, int final)
{
    size_t off = l->off;
    if (l->scan <= off && off < l->len && !(l->mapped && off - l->unmapped >= PRT_LINES_UNMAP)) {
        char *start = l->buf + off;
        prt_lines_scanning = l;
        const char *nl = memchr(start, '\n', l->len - off);
        size_t n = nl ? (size_t)(nl - start) : 0;
        if (n > 0 && start[n - 1] != '\r' && !l->truncated) {
            l->off = off + n + 1;
            l->line++;
            *line = (prt_str){ start, n };
            return 1;
        }
    }
    return prt_lines_next_any(l, line, final);
}
/* Reads (or maps) once more: the number of new bytes, 0 at end of input, -1 with errno on
 * error (EIO with l->truncated set: the mapped file was truncated while it was read). Mapped, the end of input is the file's size now: a file that grew is mapped further. */
ssize_t prt_lines_fill(prt_lines *l);
void prt_lines_free(prt_lines *l);

#endif
