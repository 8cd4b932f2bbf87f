/* prt_state_mem.c — the memory state backend: one open-addressing hash table per operator
 * (linear probing, backward-shift deletion); a snapshot is one prt_durable file per operator.
 *
 * Snapshot file dir/op-NNNN.state (magic "PRTMEMST", version 1; content big-endian):
 *   u32 id length, id bytes, u64 entry count,
 *   then per entry in key group then key order: u16 key group, u32 key length, key, u32 value length, value
 * Sorted, so the same state always gives the same bytes.
 */
#include "prt_state_int.h"

#include "prt_be.h"
#include "prt_durable.h"
#include "prt_fsutil.h"
#include "prt_hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define MEM_MAGIC "PRTMEMST"
#define MEM_VERSION 1

typedef struct mem_entry {
    uint64_t hash;
    uint32_t klen, vlen, vcap;
    uint16_t kg;
    char data[]; /* key, then vcap bytes of value */
} mem_entry;

typedef struct mem_op {
    char *id;
    mem_entry **slot; /* NULL: empty */
    size_t mask, n;
} mem_op;

typedef struct mem_state {
    prt_state base;
    mem_op *ops; /* sorted by id */
    size_t nops;
} mem_state;

static uint64_t key_hash(uint16_t kg, prt_str key) { return prt_hash_finish(prt_hash_str(prt_hash_u64(PRT_HASH_SEED, kg), key)); }

static mem_op *find_op(mem_state *m, const char *id, int create)
{
    size_t lo = 0, hi = m->nops;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(m->ops[mid].id, id);
        if (c == 0)
            return &m->ops[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!create)
        return NULL;
    mem_op *ops = realloc(m->ops, (m->nops + 1) * sizeof *ops);
    prt_assert(ops);
    memmove(ops + lo + 1, ops + lo, (m->nops - lo) * sizeof *ops);
    m->ops = ops;
    m->nops++;
    mem_op *o = &ops[lo];
    memset(o, 0, sizeof *o);
    o->id = strdup(id);
    o->mask = 15;
    o->slot = calloc(16, sizeof *o->slot);
    prt_assert(o->id && o->slot);
    return o;
}

/* the slot holding (kg, key), or the empty slot where it would go */
static size_t probe(const mem_op *o, uint64_t h, uint16_t kg, prt_str key)
{
    size_t i = (size_t)h & o->mask;
    for (mem_entry *x; (x = o->slot[i]) != NULL; i = (i + 1) & o->mask)
        if (x->hash == h && x->kg == kg && x->klen == key.n && memcmp(x->data, key.p, key.n) == 0)
            break;
    return i;
}

static void grow(mem_op *o)
{
    size_t cap = (o->mask + 1) * 2;
    mem_entry **old = o->slot;
    size_t oldcap = o->mask + 1;
    o->slot = calloc(cap, sizeof *o->slot);
    prt_assert(o->slot);
    o->mask = cap - 1;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i])
            continue;
        size_t j = (size_t)old[i]->hash & o->mask;
        while (o->slot[j])
            j = (j + 1) & o->mask;
        o->slot[j] = old[i];
    }
    free(old);
}

static int mem_put(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    mem_state *m = (mem_state *)st;
    if (key.n > UINT32_MAX || val.n > UINT32_MAX)
        return prt_errf(e, "state %s: key or value larger than 4 GiB", op);
    mem_op *o = find_op(m, op, 1);
    uint64_t h = key_hash(kg, key);
    size_t i = probe(o, h, kg, key);
    mem_entry *x = o->slot[i];
    if (x && val.n <= x->vcap) {
        memcpy(x->data + x->klen, val.p, val.n);
        x->vlen = (uint32_t)val.n;
        return PRT_OK;
    }
    if (x) { /* the value outgrew its room */
        x = realloc(x, sizeof *x + x->klen + val.n);
        prt_assert(x);
    } else {
        x = malloc(sizeof *x + key.n + val.n);
        prt_assert(x);
        x->hash = h;
        x->kg = kg;
        x->klen = (uint32_t)key.n;
        if (key.n)
            memcpy(x->data, key.p, key.n);
        o->n++;
    }
    x->vcap = x->vlen = (uint32_t)val.n;
    if (val.n)
        memcpy(x->data + x->klen, val.p, val.n);
    o->slot[i] = x;
    if (o->n * 4 > (o->mask + 1) * 3)
        grow(o);
    return PRT_OK;
}

static int mem_del(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_err *e)
{
    mem_op *o = find_op((mem_state *)st, op, 0);
    if (!o)
        return PRT_OK;
    size_t i = probe(o, key_hash(kg, key), kg, key);
    if (!o->slot[i])
        return PRT_OK;
    free(o->slot[i]);
    o->slot[i] = NULL;
    o->n--;
    /* backward shift: move later entries of the run into the hole when their home allows */
    for (size_t j = (i + 1) & o->mask; o->slot[j]; j = (j + 1) & o->mask) {
        size_t home = (size_t)o->slot[j]->hash & o->mask;
        if (((j - home) & o->mask) >= ((j - i) & o->mask)) {
            o->slot[i] = o->slot[j];
            o->slot[j] = NULL;
            i = j;
        }
    }
    return PRT_OK;
}

static int mem_get(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_buf *val, int *found, prt_err *e)
{
    prt_buf_clear(val);
    *found = 0;
    mem_op *o = find_op((mem_state *)st, op, 0);
    if (!o)
        return PRT_OK;
    mem_entry *x = o->slot[probe(o, key_hash(kg, key), kg, key)];
    if (x) {
        prt_buf_put(val, x->data + x->klen, x->vlen);
        *found = 1;
    }
    return PRT_OK;
}

/* sorting: each entry with a 64-bit prefix (key group, then the first 6 key bytes, zero padded)
 * compared first, so most comparisons touch no entry; equal prefixes fall back to the key */
typedef struct sort_item {
    uint64_t pre;
    mem_entry *x;
} sort_item;

static int item_cmp(const void *a, const void *b)
{
    const sort_item *p = a, *q = b;
    if (p->pre != q->pre)
        return p->pre < q->pre ? -1 : 1;
    return prt_str_cmp((prt_str){ p->x->data, p->x->klen }, (prt_str){ q->x->data, q->x->klen });
}

/* the entries of o with lo <= kg <= hi in key group then key order; the caller frees the array */
static mem_entry **sorted(const mem_op *o, uint16_t lo, uint16_t hi, size_t *n)
{
    sort_item *v = malloc((o->n ? o->n : 1) * sizeof *v);
    prt_assert(v);
    size_t k = 0;
    for (size_t i = 0; i <= o->mask; i++) {
        mem_entry *x = o->slot[i];
        if (!x || x->kg < lo || x->kg > hi)
            continue;
        uint64_t pre = (uint64_t)x->kg << 48;
        for (uint32_t j = 0; j < 6 && j < x->klen; j++)
            pre |= (uint64_t)(unsigned char)x->data[j] << (40 - 8 * j);
        v[k++] = (sort_item){ pre, x };
    }
    qsort(v, k, sizeof *v, item_cmp);
    mem_entry **out = malloc((k ? k : 1) * sizeof *out);
    prt_assert(out);
    for (size_t i = 0; i < k; i++)
        out[i] = v[i].x;
    free(v);
    *n = k;
    return out;
}

static int mem_scan(prt_state *st, const char *op, uint16_t lo, uint16_t hi, prt_state_visit_fn fn, void *ctx,
                    prt_err *e)
{
    mem_op *o = find_op((mem_state *)st, op, 0);
    if (!o || !o->n)
        return PRT_OK;
    size_t n;
    mem_entry **v = sorted(o, lo, hi, &n);
    int rc = PRT_OK;
    for (size_t i = 0; i < n && rc == PRT_OK; i++)
        rc = fn(ctx, v[i]->kg, (prt_str){ v[i]->data, v[i]->klen }, (prt_str){ v[i]->data + v[i]->klen, v[i]->vlen }, e);
    free(v);
    return rc;
}

static int mem_scan_from(prt_state *st, const char *op, uint16_t kg, prt_str start, prt_state_visit_fn fn,
                         void *ctx, prt_err *e)
{
    mem_op *o = find_op((mem_state *)st, op, 0);
    if (!o || !o->n)
        return PRT_OK;
    size_t n;
    mem_entry **v = sorted(o, kg, kg, &n);
    int rc = PRT_OK;
    for (size_t i = 0; i < n && rc == PRT_OK; i++) {
        prt_str k = { v[i]->data, v[i]->klen };
        if (prt_str_cmp(k, start) >= 0)
            rc = fn(ctx, v[i]->kg, k, (prt_str){ v[i]->data + v[i]->klen, v[i]->vlen }, e);
    }
    free(v);
    return rc;
}

static int mem_operators(prt_state *st, prt_state_op_fn fn, void *ctx, prt_err *e)
{
    mem_state *m = (mem_state *)st;
    for (size_t i = 0; i < m->nops; i++)
        if (m->ops[i].n && fn(ctx, m->ops[i].id, e) != PRT_OK)
            return PRT_ERR;
    return PRT_OK;
}

static void free_ops(mem_state *m)
{
    for (size_t i = 0; i < m->nops; i++) {
        mem_op *o = &m->ops[i];
        for (size_t j = 0; j <= o->mask; j++)
            free(o->slot[j]);
        free(o->slot);
        free(o->id);
    }
    free(m->ops);
    m->ops = NULL;
    m->nops = 0;
}

static int mem_clear(prt_state *st, prt_err *e)
{
    free_ops((mem_state *)st);
    return PRT_OK;
}

static void mem_close(prt_state *st)
{
    free_ops((mem_state *)st);
    free(st);
}

static int write_op(const mem_op *o, const char *path, prt_err *e)
{
    prt_durable_w *w;
    if (prt_durable_create(&w, path, MEM_MAGIC, MEM_VERSION, e) != PRT_OK)
        return PRT_ERR;
    size_t n, idl = strlen(o->id);
    mem_entry **v = sorted(o, 0, UINT16_MAX, &n);
    unsigned char h[12];
    prt_be32_put(h, (uint32_t)idl);
    int rc = prt_durable_write(w, h, 4, e);
    if (rc == PRT_OK)
        rc = prt_durable_write(w, o->id, idl, e);
    prt_be64_put(h, n);
    if (rc == PRT_OK)
        rc = prt_durable_write(w, h, 8, e);
    for (size_t i = 0; i < n && rc == PRT_OK; i++) {
        mem_entry *x = v[i];
        prt_be16_put(h, x->kg);
        prt_be32_put(h + 2, x->klen);
        rc = prt_durable_write(w, h, 6, e);
        if (rc == PRT_OK)
            rc = prt_durable_write(w, x->data, x->klen, e);
        prt_be32_put(h, x->vlen);
        if (rc == PRT_OK)
            rc = prt_durable_write(w, h, 4, e);
        if (rc == PRT_OK)
            rc = prt_durable_write(w, x->data + x->klen, x->vlen, e);
    }
    free(v);
    if (rc != PRT_OK) {
        prt_durable_abort(w);
        return PRT_ERR;
    }
    return prt_durable_commit(w, e);
}

static int mem_snapshot(prt_state *st, const char *dir, prt_err *e)
{
    mem_state *m = (mem_state *)st;
    if (mkdir(dir, 0755) != 0)
        return prt_errf(e, "%s: cannot create directory: %s", dir, strerror(errno));
    size_t k = 0;
    for (size_t i = 0; i < m->nops; i++) {
        if (!m->ops[i].n)
            continue;
        char name[32];
        snprintf(name, sizeof name, "op-%04zu.state", ++k);
        char *p = prt_path_join(dir, name);
        int rc = write_op(&m->ops[i], p, e);
        free(p);
        if (rc != PRT_OK)
            return PRT_ERR;
    }
    return prt_fsync_dir(dir, e);
}

/* reads a u32 length and that many bytes into b (NUL-terminated, not counted in b->n) */
static int read_bytes(prt_durable_r *r, prt_buf *b, const char *path, const char *what, prt_err *e)
{
    unsigned char h[4];
    if (prt_durable_read(r, h, 4, e) != PRT_OK)
        return PRT_ERR;
    uint32_t n = prt_be32_get(h);
    if (n > prt_durable_remaining(r))
        return prt_errf(e, "%s: malformed: %s length %u, only %llu bytes left", path, what, n,
                        (unsigned long long)prt_durable_remaining(r));
    prt_buf_clear(b);
    prt_buf_reserve(b, (size_t)n + 1);
    if (prt_durable_read(r, b->p, n, e) != PRT_OK)
        return PRT_ERR;
    b->n = n;
    b->p[n] = 0;
    return PRT_OK;
}

static int load_entries(prt_state *st, prt_durable_r *r, const char *path, prt_err *e)
{
    prt_buf id = { 0 }, key = { 0 }, val = { 0 };
    unsigned char h[8];
    int rc = read_bytes(r, &id, path, "operator id", e);
    if (rc == PRT_OK && (id.n == 0 || memchr(id.p, 0, id.n)))
        rc = prt_errf(e, "%s: malformed: bad operator id", path);
    if (rc == PRT_OK)
        rc = prt_durable_read(r, h, 8, e);
    uint64_t n = rc == PRT_OK ? prt_be64_get(h) : 0;
    for (uint64_t i = 0; i < n && rc == PRT_OK; i++) {
        if ((rc = prt_durable_read(r, h, 2, e)) != PRT_OK)
            break;
        uint16_t kg = prt_be16_get(h);
        if ((rc = read_bytes(r, &key, path, "key", e)) != PRT_OK || (rc = read_bytes(r, &val, path, "value", e)) != PRT_OK)
            break;
        rc = prt_state_put(st, id.p, kg, prt_buf_str(&key), prt_buf_str(&val), e);
    }
    if (rc == PRT_OK && prt_durable_remaining(r))
        rc = prt_errf(e, "%s: malformed: %llu bytes after the last entry", path,
                      (unsigned long long)prt_durable_remaining(r));
    prt_buf_free(&id);
    prt_buf_free(&key);
    prt_buf_free(&val);
    return rc;
}

static int load_file(prt_state *st, const char *path, prt_err *e)
{
    prt_durable_r *r;
    if (prt_durable_open(&r, path, MEM_MAGIC, MEM_VERSION, NULL, e) != PRT_OK)
        return PRT_ERR;
    if (load_entries(st, r, path, e) != PRT_OK) {
        prt_durable_close(r);
        return PRT_ERR;
    }
    return prt_durable_finish(r, e);
}

int prt_state_mem_load(prt_state *st, const char *dir, prt_err *e)
{
    char **names;
    size_t n;
    if (prt_dir_list(dir, &names, &n, e) != PRT_OK)
        return PRT_ERR;
    int rc = PRT_OK;
    for (size_t i = 0; i < n && rc == PRT_OK; i++) {
        size_t l = strlen(names[i]);
        if (names[i][0] == '.' || l < 6 || strcmp(names[i] + l - 6, ".state") != 0)
            continue;
        char *p = prt_path_join(dir, names[i]);
        rc = load_file(st, p, e);
        free(p);
    }
    prt_dir_list_free(names, n);
    return rc;
}

static const prt_state_vt mem_vt = {
    mem_put, mem_del, mem_get, mem_scan, mem_scan_from, mem_operators, mem_clear, mem_snapshot, mem_close,
};

int prt_state_mem_open(prt_state **st, const prt_state_cfg *cfg, prt_err *e)
{
    mem_state *m = calloc(1, sizeof *m);
    prt_assert(m);
    m->base.vt = &mem_vt;
    m->base.backend = PRT_STATE_MEMORY;
    *st = &m->base;
    return PRT_OK;
}
