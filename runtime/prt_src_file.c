/* prt_src_file.c — the `file` source (a path or a glob, files read in sorted order, bounded;
 * `follow: true` tails instead) and the line reader it shares with stdin (prt_lines.h).
 *
 * One partition (0); origin is the file's path and offset its 1-based line number. When
 * following, a partial last line waits for its newline, a truncated file is read again from
 * the start, and (for a glob) files that appear later are read after the current one ends.
 * Ownership: the source owns its file list, its descriptor and its reader.
 */
#include "prt_jobpriv.h"
#include "prt_lines.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- line reader */

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

/* ---------------------------------------------------------------- the source */

typedef struct file_src {
    char *pattern;    /* owned */
    int follow, is_glob;
    char **files;     /* sorted; owned */
    int nfiles;
    int cur;          /* index in files of the open file, or the next one to open */
    int fd;           /* -1 when none is open */
    prt_lines rd;
    int64_t consumed; /* bytes read from fd, to notice truncation when following */
    int64_t last_check;
} file_src;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int known(const file_src *f, const char *path)
{
    for (int i = 0; i < f->nfiles; i++)
        if (strcmp(f->files[i], path) == 0)
            return 1;
    return 0;
}

/* Adds the files matching the pattern that are not in the list yet, sorted, after the others. */
static void scan_files(file_src *f)
{
    char **add = NULL;
    size_t nadd = 0;
    if (f->is_glob) {
        glob_t g;
        if (glob(f->pattern, 0, NULL, &g) == 0) {
            add = calloc(g.gl_pathc ? g.gl_pathc : 1, sizeof *add);
            prt_assert(add != NULL);
            for (size_t i = 0; i < g.gl_pathc; i++) {
                struct stat st;
                if (stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode))
                    continue;
                if (!known(f, g.gl_pathv[i]))
                    add[nadd++] = strdup(g.gl_pathv[i]);
            }
            globfree(&g);
        }
    } else if (!known(f, f->pattern) && access(f->pattern, F_OK) == 0) {
        add = calloc(1, sizeof *add);
        prt_assert(add != NULL);
        add[nadd++] = strdup(f->pattern);
    }
    if (!nadd) {
        free(add);
        return;
    }
    qsort(add, nadd, sizeof *add, cmp_str); /* byte order, independent of the locale */
    char **v = realloc(f->files, (f->nfiles + nadd) * sizeof *v);
    prt_assert(v != NULL);
    f->files = v;
    for (size_t i = 0; i < nadd; i++) {
        prt_assert(add[i] != NULL);
        f->files[f->nfiles++] = add[i];
    }
    free(add);
}

static int open_cur(prt_source *s, file_src *f)
{
    f->fd = open(f->files[f->cur], O_RDONLY | O_CLOEXEC);
    if (f->fd < 0) {
        prt_log(s->job, "source %s: cannot open '%s': %s", s->desc->name, f->files[f->cur],
                strerror(errno));
        return PRT_ERR;
    }
    prt_lines_reset(&f->rd, f->fd);
    f->consumed = 0;
    return PRT_OK;
}

static void close_cur(file_src *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

static int file_open(prt_source *s)
{
    char key[192];
    snprintf(key, sizeof key, "%spath", s->prefix);
    const char *path = prt_cfg(s->job, key);
    if (!path || !*path) {
        prt_log(s->job, "source %s: %s is not set", s->desc->name, key);
        return PRT_ERR;
    }
    file_src *f = calloc(1, sizeof *f);
    prt_assert(f != NULL);
    snprintf(key, sizeof key, "%sfollow", s->prefix);
    if (prt_cfg_bool(s->job, key, 0, &f->follow) != PRT_OK) {
        free(f);
        return PRT_ERR;
    }
    f->pattern = strdup(path);
    prt_assert(f->pattern != NULL);
    f->is_glob = strpbrk(path, "*?[") != NULL;
    f->fd = -1;
    prt_lines_init(&f->rd, -1);
    scan_files(f);
    if (!f->nfiles && !f->follow) {
        if (f->is_glob)
            prt_log(s->job, "source %s: no file matches '%s'", s->desc->name, path);
        else
            prt_log(s->job, "source %s: cannot open '%s': %s", s->desc->name, path,
                    strerror(ENOENT));
        free(f->pattern);
        free(f);
        return PRT_ERR;
    }
    s->impl = f;
    prt_source_partition_add(s, 0);
    return PRT_OK;
}

static void sleep_ms(int ms)
{
    struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&t, NULL); /* a signal cuts it short, which is what we want */
}

/* Following and at the end of the current file: notices truncation and new files. Returns 1
 * when the reader should move to the next file. */
static int follow_check(file_src *f)
{
    int64_t now = prt_mono_ms();
    if (now - f->last_check < 250)
        return f->cur + 1 < f->nfiles;
    f->last_check = now;
    struct stat st;
    if (fstat(f->fd, &st) == 0 && (int64_t)st.st_size < f->consumed) { /* truncated: again */
        lseek(f->fd, 0, SEEK_SET);
        prt_lines_reset(&f->rd, f->fd);
        f->consumed = 0;
        return 0;
    }
    scan_files(f);
    return f->cur + 1 < f->nfiles;
}

static int file_poll(prt_source *s, int max, int timeout_ms)
{
    file_src *f = s->impl;
    int n = 0;
    while (n < max && !s->job->stop) {
        if (f->fd < 0) {
            if (f->follow && f->cur >= f->nfiles)
                scan_files(f);
            if (f->cur >= f->nfiles) {
                if (!f->follow)
                    return n ? n : PRT_SRC_EOF;
                break; /* waiting for the file to appear */
            }
            if (open_cur(s, f) != PRT_OK)
                return PRT_ERR;
        }
        prt_str line;
        if (prt_lines_next(&f->rd, &line, f->rd.eof)) {
            prt_raw raw = { line, { NULL, 0 }, f->files[f->cur], 0, f->rd.line, PRT_NO_TS };
            prt_source_deliver(s, &raw);
            n++;
            continue;
        }
        if (f->rd.eof) { /* this file is done */
            close_cur(f);
            f->cur++;
            continue;
        }
        ssize_t got = prt_lines_fill(&f->rd);
        if (got > 0) {
            f->consumed += got;
            continue;
        }
        if (got < 0) {
            if (errno == EINTR)
                break;
            prt_log(s->job, "source %s: cannot read '%s': %s", s->desc->name, f->files[f->cur],
                    strerror(errno));
            return PRT_ERR;
        }
        if (!f->follow || follow_check(f))
            f->rd.eof = 1; /* deliver a last line without newline, then move on */
        else
            break;
    }
    if (n == 0 && f->follow && timeout_ms > 0)
        sleep_ms(timeout_ms);
    return n;
}

static void file_close(prt_source *s)
{
    file_src *f = s->impl;
    if (!f)
        return;
    close_cur(f);
    prt_lines_free(&f->rd);
    for (int i = 0; i < f->nfiles; i++)
        free(f->files[i]);
    free(f->files);
    free(f->pattern);
    free(f);
    s->impl = NULL;
}

const prt_source_ops prt_src_file = { "file", file_open, file_poll, file_close };
