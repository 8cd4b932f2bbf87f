/* prt_lines.c — the line reader of prt_lines.h, shared by the file, stdin and socket sources. */
#include "prt_lines.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void guard_install(void);

void prt_lines_init(prt_lines *l, int fd)
{
    memset(l, 0, sizeof *l);
    l->fd = fd;
}

/* Gives back what is mapped, or the read buffer. */
static void lines_release(prt_lines *l)
{
    if (l->mapped) {
        if (l->buf && l->len > l->unmapped)
            munmap(l->buf + l->unmapped, l->len - l->unmapped);
    } else {
        free(l->buf);
    }
    l->buf = NULL;
    l->cap = l->len = l->off = l->scan = l->unmapped = 0;
    l->mapped = 0;
}

void prt_lines_reset(prt_lines *l, int fd)
{
    if (l->mapped)
        lines_release(l); /* the read buffer is allocated by the next fill */
    l->fd = fd;
    l->off = l->len = l->scan = 0;
    l->line = 0;
    l->eof = 0;
}

int prt_lines_map(prt_lines *l, int fd, int64_t at, size_t window)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || at < 0)
        return PRT_ERR;
    lines_release(l);
    l->fd = fd;
    l->line = 0;
    l->eof = 0;
    guard_install();
    l->mapped = 1;
    l->truncated = 0;
    l->window = window;
    l->map_at = at;
    return PRT_OK;
}

void prt_lines_free(prt_lines *l)
{
    lines_release(l);
}

static size_t page_size(void)
{
    static size_t page;
    if (!page)
        page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

/* A mapped file that another process truncates raises SIGBUS when the reader touches a page past
 * the new end. The reader being scanned on this thread is known (only prt_lines_next touches
 * the mapping's bytes before it hands a line out), so the handler maps zero pages over the rest
 * of its window, which lets the access finish, and marks the reader truncated; prt_lines_next
 * checks the mark before it returns a line. Any other SIGBUS keeps its default action. */
_Thread_local prt_lines *prt_lines_scanning;
static size_t bus_page;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    prt_lines *l = prt_lines_scanning;
    char *a = si->si_addr;
    if (l && l->mapped && l->buf && a >= l->buf && a < l->buf + l->len) {
        char *from = (char *)((uintptr_t)a & ~(uintptr_t)(bus_page - 1));
        size_t n = (size_t)(l->buf + l->len - from);
        if (mmap(from, n, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
            l->truncated = 1;
            return;
        }
    }
    signal(sig, SIG_DFL); /* not ours: die of it, as without this handler */
    raise(sig);
}

static void guard_install(void)
{
    static int installed;
    if (__atomic_exchange_n(&installed, 1, __ATOMIC_ACQ_REL))
        return;
    bus_page = page_size();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
}

int prt_lines_next_any(prt_lines *l, prt_str *line, int final)
{
    if (l->mapped && l->off - l->unmapped >= PRT_LINES_UNMAP) {
        /* the lines before off were all returned and released: give their pages back */
        size_t to = l->off & ~(page_size() - 1);
        munmap(l->buf + l->unmapped, to - l->unmapped);
        l->unmapped = to;
    }
    for (;;) {
        if (l->scan < l->off)
            l->scan = l->off;
        char *start = l->buf + l->off;
        prt_lines_scanning = l;
        char *nl = l->len > l->scan ? memchr(l->buf + l->scan, '\n', l->len - l->scan) : NULL;
        if (l->truncated) { /* the scan ran into zero pages: no line from past the cut */
            l->off = l->scan = l->len;
            return 0;
        }
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

/* Maps the window that starts at the page of the first unread byte: at least l->window bytes,
 * and twice what is unread when that is more (a line longer than the window), up to the file's
 * size now. Returns the bytes added past the old end, 0 when the file ends there. */
static ssize_t lines_map_fill(prt_lines *l)
{
    if (l->truncated) {
        errno = EIO;
        return -1;
    }
    struct stat st;
    if (fstat(l->fd, &st) != 0)
        return -1;
    int64_t pos = l->map_at + (int64_t)l->off, end = l->map_at + (int64_t)l->len;
    if ((int64_t)st.st_size <= end)
        return 0;
    int64_t at = pos & ~(int64_t)(page_size() - 1);
    size_t n = l->window > 2 * (size_t)(end - at) ? l->window : 2 * (size_t)(end - at);
    if ((int64_t)n > (int64_t)st.st_size - at)
        n = (size_t)((int64_t)st.st_size - at);
    char *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, l->fd, (off_t)at);
    if (m == MAP_FAILED)
        return -1;
    madvise(m, n, MADV_SEQUENTIAL); /* read ahead, and drop pages behind early */
    int64_t scan_at = l->map_at + (int64_t)l->scan; /* known to hold no newline before it */
    if (l->buf && l->len > l->unmapped)
        munmap(l->buf + l->unmapped, l->len - l->unmapped);
    l->buf = m;
    l->map_at = at;
    l->off = (size_t)(pos - at);
    l->scan = scan_at > at ? (size_t)(scan_at - at) : 0;
    l->len = n;
    l->unmapped = 0;
    return (ssize_t)(at + (int64_t)n - end);
}

ssize_t prt_lines_fill(prt_lines *l)
{
    if (l->mapped)
        return lines_map_fill(l);
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
