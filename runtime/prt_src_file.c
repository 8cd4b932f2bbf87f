/* prt_src_file.c — the `file` source: a path or a glob, files read in sorted order, bounded;
 * `follow: true` tails instead. Lines come from the reader it shares with stdin (prt_lines.h):
 * a bounded regular file is mapped, window by window, and split in place; a followed file is
 * read with read().
 *
 * One partition (0); origin is the file's path and offset its 1-based line number. When
 * following, a partial last line waits for its newline, a truncated file is read again from
 * the start, and (for a glob) files that appear later are read after the current one ends.
 *
 * Position: every file known so far, in reading order, with [byte offset, line, done]: the
 * files already finished (done, with where they ended), the current one (the byte offset of the
 * first line not delivered yet and the number of the last line delivered), and those not begun
 * ([0, 0, 0]). seek puts the position's files first, skips those done, continues the current
 * one at its byte offset with its line numbers, then reads the files not in the position (new
 * matches of the glob) from their start.
 * Ownership: the source owns its file list, its descriptor and its reader.
 */
#include "prt_connector.h"
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

/* ---------------------------------------------------------------- the source */

/* Where a finished file ended, for the position. */
typedef struct file_end {
    int64_t bytes, line;
} file_end;

typedef struct file_src {
    char *pattern;    /* owned */
    int follow, is_glob;
    char **files;     /* in reading order (sorted, then later matches sorted); owned */
    file_end *ends;   /* by file, valid for files before cur; owned */
    int nfiles;
    int64_t resume_off, resume_line; /* seek: where the file at cur continues when opened */
    int nsaved;       /* seek: files[0, nsaved) are the position's, the rest are new matches */
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
    file_end *e = realloc(f->ends, (f->nfiles + nadd) * sizeof *e);
    prt_assert(v != NULL && e != NULL);
    f->files = v;
    f->ends = e;
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
    f->consumed = 0;
    /* a bounded regular file is mapped (no copy); a followed one is read, because it may be
     * truncated under the reader, and a mapped page past the end of a file faults */
    if (!f->follow && prt_lines_map(&f->rd, f->fd, f->resume_off, PRT_LINES_WINDOW) == PRT_OK) {
        f->consumed = f->resume_off;
        f->rd.line = f->resume_line;
        f->resume_off = f->resume_line = 0;
        return PRT_OK;
    }
    prt_lines_reset(&f->rd, f->fd);
    if (f->resume_off > 0 || f->resume_line > 0) { /* a seek into this file */
        if (lseek(f->fd, (off_t)f->resume_off, SEEK_SET) < 0) {
            prt_log(s->job, "source %s: cannot seek in '%s': %s", s->desc->name, f->files[f->cur],
                    strerror(errno));
            return PRT_ERR;
        }
        f->consumed = f->resume_off;
        f->rd.line = f->resume_line;
        f->resume_off = f->resume_line = 0;
    }
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
            f->ends[f->cur] = (file_end){ f->consumed, f->rd.line };
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
            if (f->rd.truncated)
                prt_log(s->job, "source %s: '%s' was truncated while it was read (after line %lld); stopping",
                        s->desc->name, f->files[f->cur], (long long)f->rd.line);
            else
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
        prt_sleep_ms(timeout_ms);
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
    free(f->ends);
    free(f->pattern);
    free(f);
    s->impl = NULL;
}

/* ---------------------------------------------------------------- position */

static int file_position(prt_source *s, prt_buf *b, prt_err *e)
{
    file_src *f = s->impl;
    prt_pos_writer w;
    prt_pos_begin(&w, b, "file");
    for (int i = 0; i < f->nfiles; i++) {
        int64_t v[3] = { 0, 0, 0 };
        if (i < f->cur) {
            v[0] = f->ends[i].bytes;
            v[1] = f->ends[i].line;
            v[2] = 1;
        } else if (i == f->cur && f->fd >= 0) {
            v[0] = f->consumed - (int64_t)(f->rd.len - f->rd.off); /* buffered: not delivered */
            v[1] = f->rd.line;
        } else if (i == f->cur) {
            v[0] = f->resume_off;
            v[1] = f->resume_line;
        }
        prt_pos_put(&w, prt_str_c(f->files[i]), 3, v);
    }
    prt_pos_end(&w);
    return PRT_OK;
}

static int file_seek(prt_source *s, const void *pos, size_t n, prt_err *e)
{
    file_src *f = s->impl;
    prt_pos_reader r;
    if (prt_pos_open(&r, pos, n, "file", e) != PRT_OK)
        return PRT_ERR;
    /* check everything before changing anything */
    prt_str *names = calloc(r.count ? r.count : 1, sizeof *names);
    int64_t (*vals)[3] = calloc(r.count ? r.count : 1, sizeof *vals);
    prt_assert(names && vals);
    int np = 0, ndone = 0, rc = PRT_OK, got;
    while (rc == PRT_OK && (got = prt_pos_next(&r, &names[np], 3, vals[np], e)) == 1) {
        int64_t *v = vals[np];
        prt_str nm = names[np];
        if (v[0] < 0 || v[1] < 0 || (v[2] != 0 && v[2] != 1))
            rc = prt_errf(e, "malformed position: file '%.*s' at byte %lld, line %lld, done %lld",
                          (int)nm.n, nm.p, (long long)v[0], (long long)v[1], (long long)v[2]);
        else if (v[2] && ndone < np)
            rc = prt_errf(e, "malformed position: file '%.*s' is done but an earlier one is not",
                          (int)nm.n, nm.p);
        else if (!v[2] && ndone < np && (v[0] || v[1]))
            rc = prt_errf(e, "malformed position: file '%.*s' is begun but an earlier one is not "
                          "finished", (int)nm.n, nm.p);
        else if (nm.n == 0 || memchr(nm.p, 0, nm.n))
            rc = prt_errf(e, "malformed position: entry %d is not a file name", np + 1);
        for (int i = 0; rc == PRT_OK && i < np; i++)
            if (prt_str_eq(names[i], nm))
                rc = prt_errf(e, "malformed position: file '%.*s' appears twice", (int)nm.n, nm.p);
        ndone += v[2] ? 1 : 0;
        np++;
    }
    if (rc == PRT_OK && got < 0)
        rc = PRT_ERR;
    if (rc != PRT_OK) {
        free(names);
        free(vals);
        return PRT_ERR;
    }
    /* the position's files in its order, then the files found at open that it does not name */
    int cap = np + f->nfiles;
    char **files = calloc((size_t)(cap ? cap : 1), sizeof *files);
    file_end *ends = calloc((size_t)(cap ? cap : 1), sizeof *ends);
    prt_assert(files && ends);
    int nf = 0;
    for (int i = 0; i < np; i++) {
        files[nf] = strndup(names[i].p, names[i].n);
        prt_assert(files[nf] != NULL);
        ends[nf++] = (file_end){ vals[i][0], vals[i][1] };
    }
    for (int i = 0; i < f->nfiles; i++) {
        int named = 0;
        for (int k = 0; k < np && !named; k++)
            named = prt_str_eq(names[k], prt_str_c(f->files[i]));
        if (named)
            free(f->files[i]);
        else
            files[nf++] = f->files[i];
    }
    close_cur(f);
    free(f->files);
    free(f->ends);
    f->files = files;
    f->ends = ends;
    f->nfiles = nf;
    f->cur = ndone;
    f->resume_off = ndone < np ? vals[ndone][0] : 0;
    f->resume_line = ndone < np ? vals[ndone][1] : 0;
    f->nsaved = np;
    free(names);
    free(vals);
    return PRT_OK;
}

/* Up to three names of files[from, to), then how many more. */
static void put_names(prt_buf *b, char *const *files, int from, int to)
{
    for (int i = from; i < to && i < from + 3; i++)
        prt_buf_printf(b, "%s%s", i > from ? ", " : "", files[i]);
    if (to - from > 3)
        prt_buf_printf(b, " and %d more", to - from - 3);
}

/* Right after file_seek: files before cur are finished, the one at cur continues (or starts, when
 * the position had not begun it), and files after nsaved were not in the position. */
static void file_resumed(prt_source *s, prt_buf *b)
{
    const file_src *f = s->impl;
    const char *sep = "";
    if (f->cur > 0) {
        prt_buf_printf(b, "%d file%s finished (", f->cur, f->cur == 1 ? "" : "s");
        put_names(b, f->files, 0, f->cur);
        prt_buf_puts(b, ")");
        sep = "; ";
    }
    if (f->cur < f->nsaved && (f->resume_off > 0 || f->resume_line > 0))
        prt_buf_printf(b, "%s%s continues after line %lld", sep, f->files[f->cur], (long long)f->resume_line),
            sep = "; ";
    if (f->nfiles > f->nsaved) {
        int n = f->nfiles - f->nsaved;
        prt_buf_printf(b, "%s%d file%s not in the savepoint start%s from %s beginning: ", sep, n, n == 1 ? "" : "s",
                       n == 1 ? "s" : "", n == 1 ? "its" : "their");
        put_names(b, f->files, f->nsaved, f->nfiles);
    }
}

const prt_source_ops prt_src_file = {
    .connector = "file", .open = file_open, .poll = file_poll, .close = file_close,
    .position = file_position, .seek = file_seek, .resumed = file_resumed,
};
