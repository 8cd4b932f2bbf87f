/* prt_durable.c — crash-safe files with a magic, a version and a CRC-32 trailer (prt_durable.h).
 *
 * Why zlib's CRC-32 rather than CRC-32C: zlib is already linked into every binary, its crc32 is
 * table-driven and fast enough (well above disk speed), and any tool can check a file with it
 * (python3 zlib.crc32, gzip). CRC-32C would need our own table code for no gain that matters here.
 */
#include "prt_durable.h"

#include "prt_be.h"
#include "prt_fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define WBUF (1u << 20)
static const char end_mark[4] = { 'P', 'E', 'N', 'D' };

uint32_t prt_crc32(uint32_t crc, const void *p, size_t n)
{
    return (uint32_t)crc32_z(crc, p, n);
}

struct prt_durable_w {
    int fd;
    char *path, *tmp;
    uint32_t crc;
    uint64_t n; /* content bytes */
    unsigned char *buf;
    size_t bn;
};

static char *tmp_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    prt_buf t = { 0 };
    if (slash)
        prt_buf_printf(&t, "%.*s/.%s" PRT_DURABLE_TMP_SUFFIX, (int)(slash - path), path, slash + 1);
    else
        prt_buf_printf(&t, ".%s" PRT_DURABLE_TMP_SUFFIX, path);
    return t.p;
}

static void w_free(prt_durable_w *w)
{
    if (w->fd >= 0)
        close(w->fd);
    free(w->path);
    free(w->tmp);
    free(w->buf);
    free(w);
}

int prt_durable_create(prt_durable_w **wp, const char *path, const char *magic, uint32_t version, prt_err *e)
{
    *wp = NULL;
    prt_durable_w *w = calloc(1, sizeof *w);
    unsigned char *buf = malloc(WBUF);
    prt_assert(w && buf);
    w->buf = buf;
    w->fd = -1;
    w->path = strdup(path);
    w->tmp = tmp_name(path);
    prt_assert(w->path);
    /* a temp file left by a killed writer is dropped; O_EXCL then gives us a fresh inode */
    (void)unlink(w->tmp); /* if this fails, the O_EXCL open below says why */
    w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        prt_errf(e, "%s: cannot create temp file %s: %s", path, w->tmp, strerror(errno));
        w_free(w);
        return PRT_ERR;
    }
    memcpy(w->buf, magic, 8);
    prt_be32_put(w->buf + 8, version);
    prt_be32_put(w->buf + 12, 0);
    w->bn = PRT_DURABLE_HEADER;
    *wp = w;
    return PRT_OK;
}

static int w_flush(prt_durable_w *w, prt_err *e)
{
    if (!w->bn)
        return PRT_OK;
    if (prt_write_all(w->fd, w->buf, w->bn) != PRT_OK)
        return prt_errf(e, "%s: write failed: %s", w->tmp, strerror(errno));
    w->crc = prt_crc32(w->crc, w->buf, w->bn);
    w->bn = 0;
    return PRT_OK;
}

int prt_durable_write(prt_durable_w *w, const void *p, size_t n, prt_err *e)
{
    const unsigned char *c = p;
    w->n += n;
    while (n) {
        size_t k = WBUF - w->bn < n ? WBUF - w->bn : n;
        memcpy(w->buf + w->bn, c, k);
        w->bn += k;
        c += k;
        n -= k;
        if (w->bn == WBUF && w_flush(w, e) != PRT_OK)
            return PRT_ERR;
    }
    return PRT_OK;
}

uint64_t prt_durable_written(const prt_durable_w *w) { return w->n; }

void prt_durable_abort(prt_durable_w *w)
{
    if (!w)
        return;
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    unlink(w->tmp);
    w_free(w);
}

int prt_durable_commit(prt_durable_w *w, prt_err *e)
{
    if (w_flush(w, e) != PRT_OK)
        goto fail;
    unsigned char t[PRT_DURABLE_TRAILER];
    prt_be64_put(t, w->n);
    prt_be32_put(t + 8, w->crc);
    memcpy(t + 12, end_mark, 4);
    if (prt_write_all(w->fd, t, sizeof t) != PRT_OK) {
        prt_errf(e, "%s: write failed: %s", w->tmp, strerror(errno));
        goto fail;
    }
    if (fsync(w->fd) != 0) {
        prt_errf(e, "%s: fsync failed: %s", w->tmp, strerror(errno));
        goto fail;
    }
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0) {
        prt_errf(e, "%s: close failed: %s", w->tmp, strerror(errno));
        goto fail;
    }
    if (rename(w->tmp, w->path) != 0) {
        prt_errf(e, "%s: cannot rename %s over it: %s", w->path, w->tmp, strerror(errno));
        goto fail;
    }
    /* the rename is durable only once the directory is */
    int rc = prt_fsync_parent(w->path, e);
    w_free(w);
    return rc;
fail:
    prt_durable_abort(w);
    return PRT_ERR;
}

/* ---- reading ---- */

struct prt_durable_r {
    FILE *f;
    char *path;
    uint64_t size, left; /* content bytes: all, not yet read */
    uint32_t crc, want;
};

static void printable_magic(char out[33], const unsigned char *m)
{
    char *o = out;
    for (int i = 0; i < 8; i++) {
        if (m[i] >= 0x20 && m[i] < 0x7f && m[i] != '\\')
            *o++ = (char)m[i];
        else
            o += sprintf(o, "\\x%02x", m[i]);
    }
    *o = 0;
}

void prt_durable_close(prt_durable_r *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    free(r->path);
    free(r);
}

int prt_durable_open(prt_durable_r **rp, const char *path, const char *magic, uint32_t max_version,
                     uint32_t *version, prt_err *e)
{
    *rp = NULL;
    FILE *f = fopen(path, "rbe");
    if (!f)
        return prt_errf(e, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    unsigned char h[PRT_DURABLE_HEADER], t[PRT_DURABLE_TRAILER];
    if (fstat(fileno(f), &st) != 0) {
        prt_errf(e, "%s: cannot stat: %s", path, strerror(errno));
        goto fail;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size < PRT_DURABLE_HEADER) {
        prt_errf(e, "%s: truncated: %llu bytes, shorter than the %d-byte header", path,
                 (unsigned long long)size, PRT_DURABLE_HEADER);
        goto fail;
    }
    if (fread(h, 1, sizeof h, f) != sizeof h) {
        prt_errf(e, "%s: cannot read the header: %s", path, ferror(f) ? strerror(errno) : "short read");
        goto fail;
    }
    if (memcmp(h, magic, 8) != 0) {
        char got[33], want[33];
        printable_magic(got, h);
        printable_magic(want, (const unsigned char *)magic);
        prt_errf(e, "%s: bad magic '%s' (expected '%s')", path, got, want);
        goto fail;
    }
    uint32_t v = prt_be32_get(h + 8);
    if (v == 0 || v > max_version) {
        prt_errf(e, "%s: unsupported format version %u (this build reads 1 to %u)", path, v, max_version);
        goto fail;
    }
    if (size < PRT_DURABLE_HEADER + PRT_DURABLE_TRAILER) {
        prt_errf(e, "%s: truncated: %llu bytes, no room for the trailer", path, (unsigned long long)size);
        goto fail;
    }
    if (fseeko(f, (off_t)(size - PRT_DURABLE_TRAILER), SEEK_SET) != 0 || fread(t, 1, sizeof t, f) != sizeof t) {
        prt_errf(e, "%s: cannot read the trailer: %s", path, strerror(errno));
        goto fail;
    }
    uint64_t n = prt_be64_get(t);
    if (memcmp(t + 12, end_mark, 4) != 0) {
        prt_errf(e, "%s: truncated: no trailer at the end (%llu bytes)", path, (unsigned long long)size);
        goto fail;
    }
    if (n != size - PRT_DURABLE_HEADER - PRT_DURABLE_TRAILER) {
        prt_errf(e, "%s: truncated: trailer says %llu content bytes, file has %llu", path,
                 (unsigned long long)n, (unsigned long long)(size - PRT_DURABLE_HEADER - PRT_DURABLE_TRAILER));
        goto fail;
    }
    if (fseeko(f, PRT_DURABLE_HEADER, SEEK_SET) != 0) {
        prt_errf(e, "%s: cannot seek: %s", path, strerror(errno));
        goto fail;
    }
    prt_durable_r *r = calloc(1, sizeof *r);
    prt_assert(r);
    r->f = f;
    r->path = strdup(path);
    prt_assert(r->path);
    r->size = r->left = n;
    r->crc = prt_crc32(0, h, sizeof h);
    r->want = prt_be32_get(t + 8);
    if (version)
        *version = v;
    *rp = r;
    return PRT_OK;
fail:
    fclose(f);
    return PRT_ERR;
}

uint64_t prt_durable_content_size(const prt_durable_r *r) { return r->size; }
uint64_t prt_durable_remaining(const prt_durable_r *r) { return r->left; }

int prt_durable_read(prt_durable_r *r, void *p, size_t n, prt_err *e)
{
    if (n > r->left)
        return prt_errf(e, "%s: content ends early: %zu bytes wanted, %llu left", r->path, n,
                        (unsigned long long)r->left);
    if (n && fread(p, 1, n, r->f) != n)
        return prt_errf(e, "%s: read failed: %s", r->path, ferror(r->f) ? strerror(errno) : "file shrank");
    r->crc = prt_crc32(r->crc, p, n);
    r->left -= n;
    return PRT_OK;
}

int prt_durable_finish(prt_durable_r *r, prt_err *e)
{
    unsigned char buf[1 << 14];
    int rc = PRT_OK;
    while (r->left && rc == PRT_OK) {
        size_t k = r->left < sizeof buf ? (size_t)r->left : sizeof buf;
        rc = prt_durable_read(r, buf, k, e);
    }
    if (rc == PRT_OK && r->crc != r->want)
        rc = prt_errf(e, "%s: bad checksum: stored %08x, computed %08x", r->path, r->want, r->crc);
    prt_durable_close(r);
    return rc;
}

int prt_durable_load(const char *path, const char *magic, uint32_t max_version, uint32_t *version,
                     prt_buf *out, prt_err *e)
{
    prt_durable_r *r;
    prt_buf_clear(out);
    if (prt_durable_open(&r, path, magic, max_version, version, e) != PRT_OK)
        return PRT_ERR;
    size_t n = (size_t)r->size;
    prt_buf_reserve(out, n + 1);
    if (prt_durable_read(r, out->p, n, e) != PRT_OK) {
        prt_durable_close(r);
        return PRT_ERR;
    }
    out->n = n;
    return prt_durable_finish(r, e);
}

int prt_durable_verify(const char *path, const char *magic, uint32_t max_version, prt_err *e)
{
    prt_durable_r *r;
    if (prt_durable_open(&r, path, magic, max_version, NULL, e) != PRT_OK)
        return PRT_ERR;
    return prt_durable_finish(r, e);
}

int prt_durable_sweep(const char *dir, int *removed, prt_err *e)
{
    char **names;
    size_t n;
    int count = 0, rc = PRT_OK;
    if (removed)
        *removed = 0;
    if (prt_dir_list(dir, &names, &n, e) != PRT_OK)
        return PRT_ERR;
    size_t sl = strlen(PRT_DURABLE_TMP_SUFFIX);
    for (size_t i = 0; i < n && rc == PRT_OK; i++) {
        size_t l = strlen(names[i]);
        if (names[i][0] != '.' || l <= sl + 1 || strcmp(names[i] + l - sl, PRT_DURABLE_TMP_SUFFIX) != 0)
            continue;
        char *p = prt_path_join(dir, names[i]);
        if (unlink(p) != 0 && errno != ENOENT)
            rc = prt_errf(e, "%s: cannot remove: %s", p, strerror(errno));
        else
            count++;
        free(p);
    }
    prt_dir_list_free(names, n);
    if (removed)
        *removed = count;
    return rc;
}

int prt_crc32_file(const char *path, uint32_t *crc, uint64_t *size, int do_fsync, prt_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return prt_errf(e, "%s: cannot open: %s", path, strerror(errno));
    unsigned char *buf = malloc(WBUF);
    prt_assert(buf);
    uint32_t c = 0;
    uint64_t total = 0;
    int rc = PRT_OK;
    for (;;) {
        ssize_t r = read(fd, buf, WBUF);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = prt_errf(e, "%s: read failed: %s", path, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        c = prt_crc32(c, buf, (size_t)r);
        total += (uint64_t)r;
    }
    if (rc == PRT_OK && do_fsync && fsync(fd) != 0)
        rc = prt_errf(e, "%s: fsync failed: %s", path, strerror(errno));
    free(buf);
    close(fd);
    *crc = c;
    *size = total;
    return rc;
}
