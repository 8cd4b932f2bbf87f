/* prt_state_rocks.c — the RocksDB state backend (Debian's librocksdb through rocksdb/c.h).
 *
 * Key layout, all big-endian so that bytewise order is (operator, key group, key):
 *   <u32 operator number> <u16 key group> <key bytes>     → value bytes
 *   <u32 0> <operator id bytes>                            → <u32 operator number>   (the catalog)
 * Operator numbers start at 1 and are given out in order of first put; the catalog lives in the
 * database itself, so every RocksDB checkpoint carries its own. One operator's key-group range
 * [lo, hi] is the contiguous range [num|lo, num|hi+1).
 *
 * Writes are buffered in a WriteBatch (flushed every BATCH_OPS operations and before any read)
 * and written with the WAL off: between checkpoints a crash loses the working database anyway,
 * and a restart restores from a checkpoint. A snapshot is rocksdb_checkpoint_create (hard links
 * to the immutable SST files after a memtable flush); a restore copies a checkpoint into the
 * working database (SST files hard-linked again) and opens it.
 *
 * The working directory: <dir>/PIPEC_STATE (a marker) and <dir>/db/ (the database, deleted at
 * every open). See prepare_workdir for why the marker makes deleting db/ safe after any kill.
 */
#include "prt_state_int.h"

#include "prt_be.h"
#include "prt_fsutil.h"

#include <errno.h>
#include <rocksdb/c.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define BATCH_OPS 1000
#define BATCH_BYTES (4u << 20)
#define DEFAULT_BUDGET (64u << 20)

typedef struct rocks_op {
    char *id;
    uint32_t num;
} rocks_op;

typedef struct rocks_state {
    prt_state base;
    rocksdb_t *db;
    rocksdb_options_t *opts;
    rocksdb_cache_t *cache;
    rocksdb_block_based_table_options_t *bbto;
    rocksdb_writeoptions_t *wo;
    rocksdb_readoptions_t *ro;
    rocksdb_writebatch_t *batch;
    size_t pending, pending_bytes;
    char *dir;
    int read_only;
    rocks_op *ops; /* sorted by id */
    size_t nops;
    uint32_t next_num;
    prt_buf k; /* key being built */
} rocks_state;

static int rerr(prt_err *e, char *err, const char *what, const char *dir)
{
    prt_errf(e, "rocksdb %s %s: %s", what, dir, err);
    free(err);
    return PRT_ERR;
}

static rocks_op *find_op(rocks_state *r, const char *id, size_t *at)
{
    size_t lo = 0, hi = r->nops;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(r->ops[mid].id, id);
        if (c == 0)
            return &r->ops[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (at)
        *at = lo;
    return NULL;
}

static void add_op(rocks_state *r, const char *id, size_t len, uint32_t num)
{
    char *s = malloc(len + 1);
    prt_assert(s);
    memcpy(s, id, len);
    s[len] = 0;
    size_t at = 0;
    prt_assert(find_op(r, s, &at) == NULL);
    rocks_op *ops = realloc(r->ops, (r->nops + 1) * sizeof *ops);
    prt_assert(ops);
    memmove(ops + at + 1, ops + at, (r->nops - at) * sizeof *ops);
    ops[at] = (rocks_op){ s, num };
    r->ops = ops;
    r->nops++;
    if (num >= r->next_num)
        r->next_num = num + 1;
}

static void free_ops(rocks_state *r)
{
    for (size_t i = 0; i < r->nops; i++)
        free(r->ops[i].id);
    free(r->ops);
    r->ops = NULL;
    r->nops = 0;
    r->next_num = 1;
}

static int flush_batch(rocks_state *r, prt_err *e)
{
    if (!r->pending)
        return PRT_OK;
    char *err = NULL;
    rocksdb_write(r->db, r->wo, r->batch, &err);
    rocksdb_writebatch_clear(r->batch);
    r->pending = r->pending_bytes = 0;
    return err ? rerr(e, err, "write to", r->dir) : PRT_OK;
}

static int batched(rocks_state *r, size_t bytes, prt_err *e)
{
    r->pending++;
    r->pending_bytes += bytes;
    if (r->pending >= BATCH_OPS || r->pending_bytes >= BATCH_BYTES)
        return flush_batch(r, e);
    return PRT_OK;
}

static void make_key(rocks_state *r, uint32_t num, uint16_t kg, prt_str key)
{
    unsigned char p[6];
    prt_be32_put(p, num);
    prt_be16_put(p + 4, kg);
    prt_buf_clear(&r->k);
    prt_buf_put(&r->k, p, 6);
    prt_buf_put(&r->k, key.p, key.n);
}

static int load_catalog(rocks_state *r, prt_err *e)
{
    free_ops(r);
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    static const char lo[4] = { 0 }, hi[4] = { 0, 0, 0, 1 };
    rocksdb_readoptions_set_iterate_upper_bound(ro, hi, 4);
    rocksdb_iterator_t *it = rocksdb_create_iterator(r->db, ro);
    int rc = PRT_OK;
    for (rocksdb_iter_seek(it, lo, 4); rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
        size_t kl, vl;
        const char *k = rocksdb_iter_key(it, &kl), *v = rocksdb_iter_value(it, &vl);
        if (kl <= 4 || vl != 4 || memchr(k + 4, 0, kl - 4)) {
            rc = prt_errf(e, "rocksdb state %s: malformed catalog entry", r->dir);
            break;
        }
        uint32_t num = prt_be32_get((const unsigned char *)v);
        if (num == 0) {
            rc = prt_errf(e, "rocksdb state %s: catalog gives operator number 0", r->dir);
            break;
        }
        add_op(r, k + 4, kl - 4, num);
    }
    char *err = NULL;
    rocksdb_iter_get_error(it, &err);
    if (err && rc == PRT_OK)
        rc = rerr(e, err, "read of the catalog in", r->dir);
    else
        free(err);
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    return rc;
}

static int r_put(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    rocks_state *r = (rocks_state *)st;
    if (r->read_only)
        return prt_errf(e, "rocksdb state %s: opened read-only", r->dir);
    rocks_op *o = find_op(r, op, NULL);
    if (!o) {
        size_t l = strlen(op);
        if (!l)
            return prt_errf(e, "rocksdb state %s: empty operator id", r->dir);
        uint32_t num = r->next_num;
        unsigned char v[4];
        prt_be32_put(v, num);
        prt_buf_clear(&r->k);
        prt_buf_put(&r->k, "\0\0\0\0", 4);
        prt_buf_put(&r->k, op, l);
        rocksdb_writebatch_put(r->batch, r->k.p, r->k.n, (const char *)v, 4);
        add_op(r, op, l, num);
        o = find_op(r, op, NULL);
        if (batched(r, r->k.n + 4, e) != PRT_OK)
            return PRT_ERR;
    }
    make_key(r, o->num, kg, key);
    rocksdb_writebatch_put(r->batch, r->k.p, r->k.n, val.p, val.n);
    return batched(r, r->k.n + val.n, e);
}

static int r_del(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_err *e)
{
    rocks_state *r = (rocks_state *)st;
    if (r->read_only)
        return prt_errf(e, "rocksdb state %s: opened read-only", r->dir);
    rocks_op *o = find_op(r, op, NULL);
    if (!o)
        return PRT_OK;
    make_key(r, o->num, kg, key);
    rocksdb_writebatch_delete(r->batch, r->k.p, r->k.n);
    return batched(r, r->k.n, e);
}

static int r_get(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_buf *val, int *found, prt_err *e)
{
    rocks_state *r = (rocks_state *)st;
    prt_buf_clear(val);
    *found = 0;
    rocks_op *o = find_op(r, op, NULL);
    if (!o)
        return PRT_OK;
    if (flush_batch(r, e) != PRT_OK)
        return PRT_ERR;
    make_key(r, o->num, kg, key);
    char *err = NULL;
    size_t vl = 0;
    char *v = rocksdb_get(r->db, r->ro, r->k.p, r->k.n, &vl, &err);
    if (err)
        return rerr(e, err, "read from", r->dir);
    if (v) {
        prt_buf_put(val, v, vl);
        *found = 1;
        rocksdb_free(v);
    }
    return PRT_OK;
}

/* visits [num|lo + start, num|hi+1); fn NULL: only tells (*any) whether the range holds an entry */
static int range_from(rocks_state *r, uint32_t num, uint16_t lo, uint16_t hi, prt_str start, prt_state_visit_fn fn,
                      void *ctx, int *any, prt_err *e)
{
    if (flush_batch(r, e) != PRT_OK)
        return PRT_ERR;
    unsigned char to[6], head[6];
    prt_buf from = { 0 };
    prt_be32_put(head, num);
    prt_be16_put(head + 4, lo);
    prt_buf_put(&from, head, 6);
    prt_buf_put(&from, start.p, start.n); /* the first key of key group lo to visit */
    if (hi == UINT16_MAX) {
        prt_be32_put(to, num + 1);
        prt_be16_put(to + 4, 0);
    } else {
        prt_be32_put(to, num);
        prt_be16_put(to + 4, (uint16_t)(hi + 1));
    }
    rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
    rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)to, 6);
    rocksdb_iterator_t *it = rocksdb_create_iterator(r->db, ro);
    int rc = PRT_OK;
    for (rocksdb_iter_seek(it, from.p, from.n); rocksdb_iter_valid(it) && rc == PRT_OK; rocksdb_iter_next(it)) {
        if (!fn) {
            *any = 1;
            break;
        }
        size_t kl, vl;
        const char *k = rocksdb_iter_key(it, &kl), *v = rocksdb_iter_value(it, &vl);
        if (kl < 6) {
            rc = prt_errf(e, "rocksdb state %s: malformed key of %zu bytes", r->dir, kl);
            break;
        }
        rc = fn(ctx, prt_be16_get((const unsigned char *)k + 4), (prt_str){ k + 6, kl - 6 }, (prt_str){ v, vl }, e);
    }
    char *err = NULL;
    rocksdb_iter_get_error(it, &err);
    if (err && rc == PRT_OK)
        rc = rerr(e, err, "scan of", r->dir);
    else
        free(err);
    rocksdb_iter_destroy(it);
    rocksdb_readoptions_destroy(ro);
    prt_buf_free(&from);
    return rc;
}

/* visits [num|lo, num|hi+1); fn NULL: only tells (*any) whether the range holds an entry */
static int range(rocks_state *r, uint32_t num, uint16_t lo, uint16_t hi, prt_state_visit_fn fn, void *ctx,
                 int *any, prt_err *e)
{
    return range_from(r, num, lo, hi, (prt_str){ "", 0 }, fn, ctx, any, e);
}

static int r_scan_from(prt_state *st, const char *op, uint16_t kg, prt_str start, prt_state_visit_fn fn, void *ctx,
                       prt_err *e)
{
    rocks_state *r = (rocks_state *)st;
    rocks_op *o = find_op(r, op, NULL);
    if (!o)
        return PRT_OK;
    return range_from(r, o->num, kg, kg, start, fn, ctx, NULL, e);
}

static int r_scan(prt_state *st, const char *op, uint16_t lo, uint16_t hi, prt_state_visit_fn fn, void *ctx,
                  prt_err *e)
{
    rocks_state *r = (rocks_state *)st;
    rocks_op *o = find_op(r, op, NULL);
    if (!o)
        return PRT_OK;
    return range(r, o->num, lo, hi, fn, ctx, NULL, e);
}

static int r_operators(prt_state *st, prt_state_op_fn fn, void *ctx, prt_err *e)
{
    rocks_state *r = (rocks_state *)st;
    for (size_t i = 0; i < r->nops; i++) {
        int any = 0;
        if (range(r, r->ops[i].num, 0, UINT16_MAX, NULL, NULL, &any, e) != PRT_OK)
            return PRT_ERR;
        if (any && fn(ctx, r->ops[i].id, e) != PRT_OK)
            return PRT_ERR;
    }
    return PRT_OK;
}

static void close_db(rocks_state *r)
{
    if (r->db)
        rocksdb_close(r->db);
    r->db = NULL;
    rocksdb_writebatch_clear(r->batch);
    r->pending = r->pending_bytes = 0;
}

static int open_db(rocks_state *r, prt_err *e)
{
    char *err = NULL;
    if (r->read_only)
        r->db = rocksdb_open_for_read_only(r->opts, r->dir, 0, &err);
    else
        r->db = rocksdb_open(r->opts, r->dir, &err);
    if (err) {
        r->db = NULL;
        return rerr(e, err, "open of", r->dir);
    }
    return load_catalog(r, e);
}

static int r_clear(prt_state *st, prt_err *e)
{
    rocks_state *r = (rocks_state *)st;
    if (r->read_only)
        return prt_errf(e, "rocksdb state %s: opened read-only", r->dir);
    close_db(r);
    free_ops(r);
    if (prt_rmtree(r->dir, e) != PRT_OK)
        return PRT_ERR;
    return open_db(r, e);
}

static int r_snapshot(prt_state *st, const char *dir, prt_err *e)
{
    rocks_state *r = (rocks_state *)st;
    if (flush_batch(r, e) != PRT_OK)
        return PRT_ERR;
    char *err = NULL;
    /* with the WAL off, the memtable must reach an SST file to be in the checkpoint */
    rocksdb_flushoptions_t *fo = rocksdb_flushoptions_create();
    rocksdb_flushoptions_set_wait(fo, 1);
    rocksdb_flush(r->db, fo, &err);
    rocksdb_flushoptions_destroy(fo);
    if (err)
        return rerr(e, err, "flush of", r->dir);
    rocksdb_checkpoint_t *cp = rocksdb_checkpoint_object_create(r->db, &err);
    if (err)
        return rerr(e, err, "checkpoint of", r->dir);
    rocksdb_checkpoint_create(cp, dir, 0, &err);
    rocksdb_checkpoint_object_destroy(cp);
    if (err)
        return rerr(e, err, "checkpoint into", dir);
    return prt_fsync_dir(dir, e);
}

static void r_close(prt_state *st)
{
    rocks_state *r = (rocks_state *)st;
    if (r->db && !r->read_only) {
        prt_err ignored;
        flush_batch(r, &ignored); /* the working database is not durable anyway */
    }
    close_db(r);
    free_ops(r);
    rocksdb_writebatch_destroy(r->batch);
    rocksdb_writeoptions_destroy(r->wo);
    rocksdb_readoptions_destroy(r->ro);
    rocksdb_options_destroy(r->opts);
    rocksdb_block_based_options_destroy(r->bbto);
    rocksdb_cache_destroy(r->cache);
    prt_buf_free(&r->k);
    free(r->dir);
    free(r);
}

static const prt_state_vt rocks_vt = {
    r_put, r_del, r_get, r_scan, r_scan_from, r_operators, r_clear, r_snapshot, r_close,
};

static rocks_state *rocks_new(const char *dir, size_t budget, int read_only)
{
    rocks_state *r = calloc(1, sizeof *r);
    prt_assert(r);
    r->base.vt = &rocks_vt;
    r->base.backend = PRT_STATE_ROCKSDB;
    r->dir = strdup(dir);
    prt_assert(r->dir);
    r->read_only = read_only;
    r->next_num = 1;
    if (!budget)
        budget = DEFAULT_BUDGET;
    /* half for the block cache, the rest for two write buffers of a quarter each */
    r->cache = rocksdb_cache_create_lru(budget / 2);
    r->bbto = rocksdb_block_based_options_create();
    rocksdb_block_based_options_set_block_cache(r->bbto, r->cache);
    r->opts = rocksdb_options_create();
    rocksdb_options_set_block_based_table_factory(r->opts, r->bbto);
    rocksdb_options_set_create_if_missing(r->opts, 1);
    rocksdb_options_set_write_buffer_size(r->opts, budget / 4);
    rocksdb_options_set_max_write_buffer_number(r->opts, 2);
    rocksdb_options_set_keep_log_file_num(r->opts, 2);
    r->wo = rocksdb_writeoptions_create();
    rocksdb_writeoptions_disable_WAL(r->wo, 1);
    r->ro = rocksdb_readoptions_create();
    r->batch = rocksdb_writebatch_create();
    return r;
}

/* The working directory cfg->dir holds a marker file and the database in db/. Only db/ is ever
 * deleted, and only under a directory with the marker (or an empty or new one): a directory
 * that holds anything else is refused, never emptied. The marker is written before the
 * database exists and never removed, so a kill at any moment leaves a directory the next open
 * accepts. */
#define WORKDIR_MARKER "PIPEC_STATE"
#define WORKDIR_DB "db"

static int prepare_workdir(const char *dir, prt_err *e)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return prt_errf(e, "rocksdb state %s: cannot create: %s", dir, strerror(errno));
    char **names;
    size_t n;
    if (prt_dir_list(dir, &names, &n, e) != PRT_OK)
        return PRT_ERR;
    int marked = 0;
    for (size_t i = 0; i < n; i++)
        marked |= !strcmp(names[i], WORKDIR_MARKER);
    prt_dir_list_free(names, n);
    if (n && !marked)
        return prt_errf(e, "rocksdb state %s: not empty and not a pipec state directory; refusing to delete anything in it", dir);
    if (marked)
        return PRT_OK;
    char *m = prt_path_join(dir, WORKDIR_MARKER);
    FILE *f = fopen(m, "we");
    int rc = PRT_OK;
    if (!f || fputs("pipec rocksdb working state: db/ is deleted at every start and rebuilt from a checkpoint\n", f) < 0)
        rc = prt_errf(e, "%s: cannot write: %s", m, strerror(errno));
    if (f && fclose(f) != 0 && rc == PRT_OK)
        rc = prt_errf(e, "%s: cannot write: %s", m, strerror(errno));
    free(m);
    return rc;
}

int prt_state_rocks_open(prt_state **st, const prt_state_cfg *cfg, prt_err *e)
{
    *st = NULL;
    if (!cfg->dir || !*cfg->dir)
        return prt_errf(e, "rocksdb state: no working directory given");
    if (prepare_workdir(cfg->dir, e) != PRT_OK)
        return PRT_ERR;
    char *db = prt_path_join(cfg->dir, WORKDIR_DB);
    rocks_state *r = rocks_new(db, cfg->memory_budget, 0);
    free(db);
    /* state comes back only through prt_state_restore: a database left by a previous run holds
     * nothing that a checkpoint does not */
    if (prt_rmtree(r->dir, e) != PRT_OK || open_db(r, e) != PRT_OK) {
        r_close(&r->base);
        return PRT_ERR;
    }
    *st = &r->base;
    return PRT_OK;
}

int prt_state_rocks_restore(prt_state *st, const char *dir, prt_err *e)
{
    rocks_state *r = (rocks_state *)st;
    close_db(r);
    free_ops(r);
    if (prt_rmtree(r->dir, e) != PRT_OK || prt_copytree(dir, r->dir, ".sst", e) != PRT_OK || open_db(r, e) != PRT_OK) {
        prt_err ignored;
        if (!r->db && prt_rmtree(r->dir, &ignored) == PRT_OK)
            open_db(r, &ignored); /* leave an empty, usable store */
        return PRT_ERR;
    }
    return PRT_OK;
}

int prt_state_rocks_open_snapshot(prt_state **st, const char *dir, prt_err *e)
{
    *st = NULL;
    rocks_state *r = rocks_new(dir, 0, 1);
    rocksdb_options_set_create_if_missing(r->opts, 0);
    if (open_db(r, e) != PRT_OK) {
        r_close(&r->base);
        return PRT_ERR;
    }
    *st = &r->base;
    return PRT_OK;
}
