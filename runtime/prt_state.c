/* prt_state.c — the state interface: dispatch to a backend, snapshot and restore across
 * backends, and the backend-independent copy (prt_state.h). */
#include "prt_state_int.h"

#include "prt_fsutil.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

int prt_state_open(prt_state **st, const prt_state_cfg *cfg, prt_err *e)
{
    *st = NULL;
    switch (cfg->backend) {
    case PRT_STATE_MEMORY:
        return prt_state_mem_open(st, cfg, e);
    case PRT_STATE_ROCKSDB:
        return prt_state_rocks_open(st, cfg, e);
    }
    return prt_errf(e, "unknown state backend %d", (int)cfg->backend);
}

void prt_state_close(prt_state *st)
{
    if (st)
        st->vt->close(st);
}

prt_state_backend prt_state_backend_of(const prt_state *st) { return st->backend; }

const char *prt_state_backend_name(prt_state_backend b)
{
    return b == PRT_STATE_MEMORY ? "memory" : b == PRT_STATE_ROCKSDB ? "rocksdb" : "unknown";
}

int prt_state_put(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    return st->vt->put(st, op, kg, key, val, e);
}

int prt_state_del(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_err *e)
{
    return st->vt->del(st, op, kg, key, e);
}

int prt_state_get(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_buf *val, int *found, prt_err *e)
{
    return st->vt->get(st, op, kg, key, val, found, e);
}

int prt_state_scan(prt_state *st, const char *op, uint16_t kg_lo, uint16_t kg_hi, prt_state_visit_fn fn,
                   void *ctx, prt_err *e)
{
    if (kg_lo > kg_hi)
        return PRT_OK;
    return st->vt->scan(st, op, kg_lo, kg_hi, fn, ctx, e);
}

int prt_state_scan_from(prt_state *st, const char *op, uint16_t kg, prt_str start, prt_state_visit_fn fn,
                        void *ctx, prt_err *e)
{
    return st->vt->scan_from(st, op, kg, start, fn, ctx, e);
}

int prt_state_operators(prt_state *st, prt_state_op_fn fn, void *ctx, prt_err *e)
{
    return st->vt->operators(st, fn, ctx, e);
}

int prt_state_clear(prt_state *st, prt_err *e) { return st->vt->clear(st, e); }

int prt_state_snapshot(prt_state *st, const char *dir, prt_err *e)
{
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return prt_errf(e, "%s: cannot snapshot state into it: %s", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return prt_errf(e, "%s: cannot snapshot state into it: not a directory", dir);
    char *sub = prt_path_join(dir, st->backend == PRT_STATE_MEMORY ? PRT_STATE_MEM_SUBDIR : PRT_STATE_ROCKS_SUBDIR);
    int rc = st->vt->snapshot(st, sub, e);
    free(sub);
    if (rc == PRT_OK)
        rc = prt_fsync_dir(dir, e);
    return rc;
}

struct copy_ctx {
    prt_state *dst, *src;
    const char *op; /* the operator being copied */
};

static int copy_entry(void *ctx, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    struct copy_ctx *c = ctx;
    return prt_state_put(c->dst, c->op, kg, key, val, e);
}

static int copy_op(void *ctx, const char *op, prt_err *e)
{
    struct copy_ctx *c = ctx;
    c->op = op;
    return prt_state_scan(c->src, op, 0, UINT16_MAX, copy_entry, c, e);
}

int prt_state_copy(prt_state *dst, prt_state *src, prt_err *e)
{
    struct copy_ctx c = { dst, src, NULL };
    return prt_state_operators(src, copy_op, &c, e);
}

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int prt_state_open_snapshot(prt_state **st, const char *dir, prt_err *e)
{
    char *rocks = prt_path_join(dir, PRT_STATE_ROCKS_SUBDIR);
    int rc = is_dir(rocks) ? prt_state_rocks_open_snapshot(st, rocks, e)
                           : prt_errf(e, "%s: no rocksdb state snapshot there", dir);
    free(rocks);
    return rc;
}

int prt_state_restore(prt_state *st, const char *dir, prt_err *e)
{
    char *mem = prt_path_join(dir, PRT_STATE_MEM_SUBDIR), *rocks = prt_path_join(dir, PRT_STATE_ROCKS_SUBDIR);
    int rc;
    if (is_dir(mem)) {
        rc = prt_state_clear(st, e);
        if (rc == PRT_OK)
            rc = prt_state_mem_load(st, mem, e);
    } else if (is_dir(rocks) && st->backend == PRT_STATE_ROCKSDB) {
        rc = prt_state_rocks_restore(st, rocks, e);
    } else if (is_dir(rocks)) {
        prt_state *src;
        rc = prt_state_clear(st, e);
        if (rc == PRT_OK && (rc = prt_state_rocks_open_snapshot(&src, rocks, e)) == PRT_OK) {
            rc = prt_state_copy(st, src, e);
            prt_state_close(src);
        }
    } else {
        rc = prt_errf(e, "%s: no state snapshot there (neither %s/ nor %s/)", dir, PRT_STATE_MEM_SUBDIR,
                      PRT_STATE_ROCKS_SUBDIR);
    }
    if (rc != PRT_OK) {
        prt_err ignored;
        prt_state_clear(st, &ignored);
    }
    free(mem);
    free(rocks);
    return rc;
}
