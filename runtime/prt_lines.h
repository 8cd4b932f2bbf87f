/* prt_lines.h — a line reader over a file descriptor, shared by the file and stdin sources
 * (private to the runtime).
 *
 * Lines of any length (the buffer grows), "\n" or "\r\n" endings, empty lines skipped but
 * counted so line numbers match the file, and a last line without a newline still a line once
 * the end of the input is known. The reader owns its buffer, not the descriptor.
 */
#ifndef PRT_LINES_H
#define PRT_LINES_H

#include "prt_core.h"
#include <sys/types.h>

typedef struct prt_lines {
    int fd;
    char *buf;         /* owned */
    size_t off, len, cap; /* unread bytes are buf[off, len) */
    size_t scan;       /* buf[off, scan) is known to hold no newline */
    int64_t line;      /* number of the last line returned (1-based) */
    int eof;           /* read() returned 0 and no more data is expected */
} prt_lines;

void prt_lines_init(prt_lines *l, int fd);
/* Discards buffered bytes and restarts at line 0 on a (new) descriptor. */
void prt_lines_reset(prt_lines *l, int fd);
/* 1 and the next non-empty line (borrowed until the next call); 0 when no complete line is
 * buffered. With final set, the bytes after the last newline count as a line. */
int prt_lines_next(prt_lines *l, prt_str *line, int final);
/* Reads once: the number of bytes read, 0 at end of input, -1 with errno on error. */
ssize_t prt_lines_fill(prt_lines *l);
void prt_lines_free(prt_lines *l);

#endif
