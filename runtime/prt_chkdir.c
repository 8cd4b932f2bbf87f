/* prt_chkdir.c — checkpoint directories with a durable MANIFEST written last (prt_chkdir.h). */
#include "prt_chkdir.h"

#include "prt_be.h"
#include "prt_durable.h"
#include "prt_fsutil.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define MF_MAGIC "PRTCHKMF"
#define MF_VERSION 1

void prt_chk_manifest_free(prt_chk_manifest *m)
{
    for (size_t i = 0; i < m->nfiles; i++)
        free(m->files[i].path);
    free(m->files);
    free(m->pipeline);
    prt_buf_free(&m->positions);
    prt_buf_free(&m->commit);
    memset(m, 0, sizeof *m);
}

static char *chk_path(const char *root, uint64_t id)
{
    prt_buf p = { 0 };
    prt_buf_printf(&p, "%s/chk-%" PRIu64, root, id);
    return p.p;
}

/* "chk-<N>" in canonical form (no sign, no leading zeros) → 1 and *id */
static int parse_name(const char *name, uint64_t *id)
{
    if (strncmp(name, "chk-", 4) != 0 || name[4] < '0' || name[4] > '9' || (name[4] == '0' && name[5]))
        return 0;
    uint64_t v = 0;
    for (const char *c = name + 4; *c; c++) {
        if (*c < '0' || *c > '9' || v > (UINT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    *id = v;
    return 1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int prt_chkdir_list(const char *root, uint64_t **ids, size_t *n, prt_err *e)
{
    *ids = NULL;
    *n = 0;
    char **names;
    size_t k;
    if (access(root, F_OK) != 0 && errno == ENOENT)
        return PRT_OK;
    if (prt_dir_list(root, &names, &k, e) != PRT_OK)
        return PRT_ERR;
    uint64_t *v = malloc((k ? k : 1) * sizeof *v);
    prt_assert(v);
    size_t c = 0;
    for (size_t i = 0; i < k; i++) {
        uint64_t id;
        struct stat sb;
        char *p = prt_path_join(root, names[i]);
        if (parse_name(names[i], &id) && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            v[c++] = id;
        free(p);
    }
    prt_dir_list_free(names, k);
    qsort(v, c, sizeof *v, cmp_u64);
    *ids = v;
    *n = c;
    return PRT_OK;
}

/* ---- the manifest ---- */

static void put_u32(prt_buf *b, uint32_t v)
{
    unsigned char p[4];
    prt_be32_put(p, v);
    prt_buf_put(b, p, 4);
}

static void put_u64(prt_buf *b, uint64_t v)
{
    unsigned char p[8];
    prt_be64_put(p, v);
    prt_buf_put(b, p, 8);
}

/* The previous complete checkpoint, whose CRCs a file hard-linked from it can reuse (RocksDB's
 * SST files are immutable and shared between checkpoints: a 100 MB store that did not change is
 * then not read again). Same inode means same bytes, already fsynced by that checkpoint. */
struct prev {
    prt_chk_manifest m;
    char *dir; /* NULL: none */
};

static int cmp_path(const void *key, const void *f) { return strcmp(key, ((const prt_chk_file *)f)->path); }

static int reuse_crc(const struct prev *pv, const char *rel, const struct stat *sb, prt_chk_file *f)
{
    if (!pv->dir)
        return 0;
    const prt_chk_file *old = bsearch(rel, pv->m.files, pv->m.nfiles, sizeof *old, cmp_path);
    if (!old || old->size != (uint64_t)sb->st_size)
        return 0;
    char *p = prt_path_join(pv->dir, rel);
    struct stat ob;
    int same = stat(p, &ob) == 0 && ob.st_dev == sb->st_dev && ob.st_ino == sb->st_ino;
    free(p);
    if (same) {
        f->size = old->size;
        f->crc = old->crc;
    }
    return same;
}

/* walks dir (rel: its path inside the checkpoint), appending every regular file to files */
static int collect(const char *dir, const char *rel, const struct prev *pv, prt_buf *files, prt_err *e)
{
    char **names;
    size_t n;
    if (prt_dir_list(dir, &names, &n, e) != PRT_OK)
        return PRT_ERR;
    int rc = PRT_OK;
    for (size_t i = 0; i < n && rc == PRT_OK; i++) {
        const char *nm = names[i];
        size_t l = strlen(nm), sl = strlen(PRT_DURABLE_TMP_SUFFIX);
        if ((!*rel && !strcmp(nm, PRT_CHK_MANIFEST)) || (nm[0] == '.' && l > sl && !strcmp(nm + l - sl, PRT_DURABLE_TMP_SUFFIX)))
            continue; /* the manifest itself; a killed writer's temp file */
        char *p = prt_path_join(dir, nm);
        prt_buf r = { 0 };
        prt_buf_printf(&r, "%s%s%s", rel, *rel ? "/" : "", nm);
        struct stat sb;
        if (lstat(p, &sb) != 0) {
            rc = prt_errf(e, "%s: cannot stat: %s", p, strerror(errno));
        } else if (S_ISDIR(sb.st_mode)) {
            rc = collect(p, r.p, pv, files, e);
            if (rc == PRT_OK)
                rc = prt_fsync_dir(p, e);
        } else if (S_ISREG(sb.st_mode)) {
            prt_chk_file f = { r.p, 0, 0 };
            r.p = NULL; /* now owned by f */
            if (!reuse_crc(pv, f.path, &sb, &f))
                rc = prt_crc32_file(p, &f.crc, &f.size, 1, e);
            if (rc == PRT_OK)
                prt_buf_put(files, &f, sizeof f);
            else
                free(f.path);
        } else {
            rc = prt_errf(e, "%s: not a regular file or directory", p);
        }
        prt_buf_free(&r);
        free(p);
    }
    prt_dir_list_free(names, n);
    return rc;
}

static void find_prev(const char *root, uint64_t id, struct prev *pv);

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const prt_chk_file *)a)->path, ((const prt_chk_file *)b)->path);
}

int prt_chkdir_finish(const char *root, uint64_t id, const char *pipeline, int64_t created_ms, prt_str positions,
                      prt_str commit, prt_err *e)
{
    char *dir = chk_path(root, id);
    prt_buf files = { 0 }, c = { 0 };
    struct prev pv = { { 0 }, NULL };
    find_prev(root, id, &pv);
    int rc = collect(dir, "", &pv, &files, e);
    prt_chk_manifest_free(&pv.m);
    free(pv.dir);
    prt_chk_file *f = (prt_chk_file *)(void *)files.p;
    size_t n = files.n / sizeof *f;
    if (rc == PRT_OK) {
        if (n)
            qsort(f, n, sizeof *f, cmp_file);
        put_u64(&c, id);
        put_u64(&c, (uint64_t)created_ms);
        put_u32(&c, (uint32_t)strlen(pipeline));
        prt_buf_puts(&c, pipeline);
        put_u32(&c, (uint32_t)n);
        for (size_t i = 0; i < n; i++) {
            put_u32(&c, (uint32_t)strlen(f[i].path));
            prt_buf_puts(&c, f[i].path);
            put_u64(&c, f[i].size);
            put_u32(&c, f[i].crc);
        }
        put_u64(&c, positions.n);
        prt_buf_put(&c, positions.p, positions.n);
        put_u64(&c, commit.n);
        prt_buf_put(&c, commit.p, commit.n);
        char *mp = prt_path_join(dir, PRT_CHK_MANIFEST);
        prt_durable_w *w;
        rc = prt_durable_create(&w, mp, MF_MAGIC, MF_VERSION, e);
        if (rc == PRT_OK && (rc = prt_durable_write(w, c.p, c.n, e)) != PRT_OK)
            prt_durable_abort(w);
        else if (rc == PRT_OK)
            rc = prt_durable_commit(w, e); /* fsyncs dir too */
        free(mp);
    }
    if (rc == PRT_OK)
        rc = prt_fsync_dir(root, e);
    for (size_t i = 0; i < n; i++)
        free(f[i].path);
    prt_buf_free(&files);
    prt_buf_free(&c);
    free(dir);
    return rc;
}

/* a cursor over the manifest's content */
struct rd {
    const unsigned char *p;
    size_t n;
    const char *path;
    prt_err *e;
    int bad;
};

static int need(struct rd *r, size_t k, const char *what)
{
    if (r->bad)
        return 0;
    if (r->n < k) {
        prt_errf(r->e, "%s: malformed: ends inside %s", r->path, what);
        r->bad = 1;
        return 0;
    }
    return 1;
}

static uint32_t get_u32(struct rd *r, const char *what)
{
    if (!need(r, 4, what))
        return 0;
    uint32_t v = prt_be32_get(r->p);
    r->p += 4;
    r->n -= 4;
    return v;
}

static uint64_t get_u64(struct rd *r, const char *what)
{
    if (!need(r, 8, what))
        return 0;
    uint64_t v = prt_be64_get(r->p);
    r->p += 8;
    r->n -= 8;
    return v;
}

static char *get_str(struct rd *r, const char *what)
{
    uint32_t l = get_u32(r, what);
    if (!need(r, l, what))
        return NULL;
    if (memchr(r->p, 0, l)) {
        prt_errf(r->e, "%s: malformed: NUL inside %s", r->path, what);
        r->bad = 1;
        return NULL;
    }
    char *s = malloc((size_t)l + 1);
    prt_assert(s);
    memcpy(s, r->p, l);
    s[l] = 0;
    r->p += l;
    r->n -= l;
    return s;
}

static void get_blob(struct rd *r, prt_buf *b, const char *what)
{
    uint64_t l = get_u64(r, what);
    if (!need(r, l, what))
        return;
    prt_buf_put(b, r->p, (size_t)l);
    r->p += l;
    r->n -= (size_t)l;
}

static int parse_manifest(const prt_buf *c, const char *path, prt_chk_manifest *m, prt_err *e)
{
    struct rd r = { (const unsigned char *)c->p, c->n, path, e, 0 };
    m->id = get_u64(&r, "the checkpoint id");
    m->created_ms = (int64_t)get_u64(&r, "the creation time");
    m->pipeline = get_str(&r, "the pipeline name");
    uint32_t n = get_u32(&r, "the file count");
    if (!r.bad && n > r.n / 16) {
        prt_errf(e, "%s: malformed: %u files listed in %zu bytes", path, n, r.n);
        r.bad = 1;
    }
    if (!r.bad) {
        m->files = calloc(n ? n : 1, sizeof *m->files);
        prt_assert(m->files);
    }
    for (uint32_t i = 0; i < n && !r.bad; i++) {
        prt_chk_file *f = &m->files[i];
        f->path = get_str(&r, "a file path");
        m->nfiles = i + 1;
        f->size = get_u64(&r, "a file size");
        f->crc = get_u32(&r, "a file checksum");
        if (!r.bad && (!f->path[0] || f->path[0] == '/' || strstr(f->path, "..") ||
                       !strcmp(f->path, PRT_CHK_MANIFEST))) {
            prt_errf(e, "%s: malformed: bad file path '%s'", path, f->path);
            r.bad = 1;
        }
    }
    get_blob(&r, &m->positions, "the source positions");
    get_blob(&r, &m->commit, "the sink commit");
    if (!r.bad && r.n) {
        prt_errf(e, "%s: malformed: %zu bytes after the sink commit", path, r.n);
        r.bad = 1;
    }
    return r.bad ? PRT_ERR : PRT_OK;
}

int prt_chkdir_load(const char *root, uint64_t id, int verify_crc, prt_chk_manifest *m, prt_err *e)
{
    memset(m, 0, sizeof *m);
    char *dir = chk_path(root, id), *mp = prt_path_join(dir, PRT_CHK_MANIFEST);
    prt_buf c = { 0 };
    int rc = PRT_OK;
    if (access(mp, F_OK) != 0 && errno == ENOENT)
        rc = prt_errf(e, "incomplete: no %s", PRT_CHK_MANIFEST);
    if (rc == PRT_OK)
        rc = prt_durable_load(mp, MF_MAGIC, MF_VERSION, NULL, &c, e);
    if (rc == PRT_OK)
        rc = parse_manifest(&c, mp, m, e);
    if (rc == PRT_OK && m->id != id)
        rc = prt_errf(e, "%s: names checkpoint %" PRIu64, mp, m->id);
    for (size_t i = 0; i < m->nfiles && rc == PRT_OK; i++) {
        const prt_chk_file *f = &m->files[i];
        char *p = prt_path_join(dir, f->path);
        struct stat sb;
        if (stat(p, &sb) != 0)
            rc = prt_errf(e, "%s: listed in the manifest but %s", p, errno == ENOENT ? "missing" : strerror(errno));
        else if ((uint64_t)sb.st_size != f->size)
            rc = prt_errf(e, "%s: %llu bytes, the manifest says %llu", p, (unsigned long long)sb.st_size,
                          (unsigned long long)f->size);
        else if (verify_crc) {
            uint32_t crc;
            uint64_t size;
            rc = prt_crc32_file(p, &crc, &size, 0, e);
            if (rc == PRT_OK && (crc != f->crc || size != f->size))
                rc = prt_errf(e, "%s: checksum %08x, the manifest says %08x", p, crc, f->crc);
        }
        free(p);
    }
    if (rc != PRT_OK)
        prt_chk_manifest_free(m);
    prt_buf_free(&c);
    free(mp);
    free(dir);
    return rc;
}

int prt_chkdir_newest(const char *root, int verify_crc, prt_chk_manifest *m, int *found, prt_buf *skipped,
                      prt_err *e)
{
    *found = 0;
    memset(m, 0, sizeof *m);
    uint64_t *ids;
    size_t n;
    if (prt_chkdir_list(root, &ids, &n, e) != PRT_OK)
        return PRT_ERR;
    for (size_t i = n; i-- > 0;) {
        prt_err why;
        if (prt_chkdir_load(root, ids[i], verify_crc, m, &why) == PRT_OK) {
            *found = 1;
            break;
        }
        if (skipped)
            prt_buf_printf(skipped, "checkpoint %" PRIu64 " skipped: %s\n", ids[i], why.msg);
    }
    free(ids);
    return PRT_OK;
}

/* removes one checkpoint: its MANIFEST first (made durable), then the rest */
static int remove_chk(const char *root, uint64_t id, prt_err *e)
{
    char *dir = chk_path(root, id), *mp = prt_path_join(dir, PRT_CHK_MANIFEST);
    int rc = PRT_OK;
    if (unlink(mp) == 0)
        rc = prt_fsync_dir(dir, e);
    else if (errno != ENOENT)
        rc = prt_errf(e, "%s: cannot remove: %s", mp, strerror(errno));
    if (rc == PRT_OK)
        rc = prt_rmtree(dir, e);
    free(mp);
    free(dir);
    return rc;
}

int prt_chkdir_begin(const char *root, uint64_t id, char **dir, prt_err *e)
{
    *dir = NULL;
    if (mkdir(root, 0755) != 0 && errno != EEXIST)
        return prt_errf(e, "%s: cannot create checkpoint directory: %s", root, strerror(errno));
    if (prt_durable_sweep(root, NULL, e) != PRT_OK)
        return PRT_ERR;
    char *d = chk_path(root, id);
    struct stat sb;
    if (stat(d, &sb) == 0) {
        prt_chk_manifest m;
        prt_err why;
        if (prt_chkdir_load(root, id, 0, &m, &why) == PRT_OK) {
            prt_chk_manifest_free(&m);
            prt_errf(e, "%s: checkpoint %" PRIu64 " exists and is complete", d, id);
            free(d);
            return PRT_ERR;
        }
        if (remove_chk(root, id, e) != PRT_OK) {
            free(d);
            return PRT_ERR;
        }
    }
    if (mkdir(d, 0755) != 0) {
        prt_errf(e, "%s: cannot create: %s", d, strerror(errno));
        free(d);
        return PRT_ERR;
    }
    *dir = d;
    return PRT_OK;
}

int prt_chkdir_retain(const char *root, unsigned keep, int *removed, prt_err *e)
{
    if (removed)
        *removed = 0;
    if (keep < 1)
        return prt_errf(e, "retain: must keep at least one checkpoint");
    uint64_t *ids;
    size_t n;
    if (prt_chkdir_list(root, &ids, &n, e) != PRT_OK)
        return PRT_ERR;
    /* from the newest down: nothing is touched until the newest complete one (sizes checked, not
     * CRCs); from there on the first `keep` complete ones stay and everything else goes */
    size_t kept = 0;
    int rc = PRT_OK, count = 0;
    for (size_t i = n; i-- > 0 && rc == PRT_OK;) {
        prt_chk_manifest m;
        prt_err why;
        int complete = prt_chkdir_load(root, ids[i], 0, &m, &why) == PRT_OK;
        if (complete)
            prt_chk_manifest_free(&m);
        if (complete && kept < keep)
            kept++;
        else if (kept > 0 && (rc = remove_chk(root, ids[i], e)) == PRT_OK)
            count++;
    }
    if (count && rc == PRT_OK)
        rc = prt_fsync_dir(root, e);
    free(ids);
    if (removed)
        *removed = count;
    return rc;
}

/* the newest complete checkpoint below id (sizes checked; CRCs are what it lends) */
static void find_prev(const char *root, uint64_t id, struct prev *pv)
{
    uint64_t *ids;
    size_t n;
    prt_err ignored;
    if (prt_chkdir_list(root, &ids, &n, &ignored) != PRT_OK)
        return;
    for (size_t i = n; i-- > 0;) {
        if (ids[i] >= id)
            continue;
        if (prt_chkdir_load(root, ids[i], 0, &pv->m, &ignored) == PRT_OK) {
            pv->dir = chk_path(root, ids[i]);
            break;
        }
    }
    free(ids);
}
