/* test_state.c — the state interface: both backends give the same results for the same
 * operations (checked against a plain reference model), key-group range scans, snapshot and
 * restore within and across backends, and a RocksDB store several times its memory budget. */
#include "prt_durable.h"
#include "prt_fsutil.h"
#include "prt_state.h"
#include "prt_test.h"
#include "prt_test_dir.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>




static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static prt_state *open_store(prt_state_backend b, const char *name, size_t budget)
{
    prt_state_cfg cfg = { b, b == PRT_STATE_ROCKSDB ? tpath(name) : NULL, budget };
    prt_state *st;
    prt_err e;
    if (prt_state_open(&st, &cfg, &e) != PRT_OK) {
        TEST_FAIL("open %s: %s", prt_state_backend_name(b), e.msg);
        return NULL;
    }
    return st;
}

/* ---- a dump: every entry of every operator as text, in the interface's order ---- */

struct dump_ctx {
    prt_buf *out;
    prt_state *st;
    const char *op;
};

static void hex(prt_buf *b, prt_str s)
{
    for (size_t i = 0; i < s.n; i++)
        prt_buf_printf(b, "%02x", (unsigned char)s.p[i]);
}

static int dump_entry(void *ctx, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    struct dump_ctx *d = ctx;
    prt_buf_printf(d->out, "%s %u ", d->op, kg);
    hex(d->out, key);
    prt_buf_putc(d->out, ' ');
    hex(d->out, val);
    prt_buf_putc(d->out, '\n');
    return PRT_OK;
}

static int dump_op(void *ctx, const char *op, prt_err *e)
{
    struct dump_ctx *d = ctx;
    d->op = op;
    return prt_state_scan(d->st, op, 0, UINT16_MAX, dump_entry, d, e);
}

static void dump(prt_state *st, prt_buf *out)
{
    prt_err e;
    prt_buf_clear(out);
    struct dump_ctx d = { out, st, NULL };
    if (prt_state_operators(st, dump_op, &d, &e) != PRT_OK)
        TEST_FAIL("dump: %s", e.msg);
}

static void check_same(const prt_buf *a, const prt_buf *b, const char *what)
{
    if (a->n == b->n && memcmp(a->p, b->p, a->n) == 0)
        return;
    size_t i = 0, line = 1;
    while (i < a->n && i < b->n && a->p[i] == b->p[i])
        line += a->p[i++] == '\n';
    TEST_FAIL("%s: dumps differ at line %zu (%zu vs %zu bytes)", what, line, a->n, b->n);
}

/* ---- the reference model: a fixed pool of (operator, key group, key), each with a value or none ---- */

#define POOL 3000
static const char *ops[] = { "counts", "joins", "z_last" };
struct ref {
    const char *op;
    uint16_t kg;
    char key[16];
    size_t klen;
    int present;
    char val[64];
    size_t vlen;
} pool[POOL];

static void make_pool(void)
{
    for (int i = 0; i < POOL; i++) {
        struct ref *r = &pool[i];
        memset(r, 0, sizeof *r);
        r->op = ops[rng() % 3];
        /* key groups crowd at both ends of the 16-bit range and around 128 */
        uint64_t x = rng() % 10;
        r->kg = x < 2 ? (uint16_t)(rng() % 3) : x < 4 ? (uint16_t)(65533 + rng() % 3) : (uint16_t)(rng() % 256);
        /* keys of 0..12 bytes from a 3-letter alphabet plus NUL: many are prefixes of others */
        r->klen = rng() % 13;
        for (size_t k = 0; k < r->klen; k++)
            r->key[k] = "ab\0\xff"[rng() % 4];
        for (int j = 0; j < i; j++) /* the pool holds distinct tuples */
            if (pool[j].op == r->op && pool[j].kg == r->kg && pool[j].klen == r->klen &&
                memcmp(pool[j].key, r->key, r->klen) == 0) {
                i--;
                break;
            }
    }
}

static int ref_cmp(const void *a, const void *b)
{
    const struct ref *x = *(struct ref *const *)a, *y = *(struct ref *const *)b;
    int c = strcmp(x->op, y->op);
    if (c)
        return c;
    if (x->kg != y->kg)
        return x->kg < y->kg ? -1 : 1;
    return prt_str_cmp((prt_str){ x->key, x->klen }, (prt_str){ y->key, y->klen });
}

/* the expected dump of the reference, restricted to one operator's [lo, hi] when op != NULL */
static void ref_dump(prt_buf *out, const char *op, uint16_t lo, uint16_t hi)
{
    static struct ref *v[POOL];
    size_t n = 0;
    for (int i = 0; i < POOL; i++)
        if (pool[i].present && (!op || (!strcmp(op, pool[i].op) && pool[i].kg >= lo && pool[i].kg <= hi)))
            v[n++] = &pool[i];
    qsort(v, n, sizeof *v, ref_cmp);
    prt_buf_clear(out);
    for (size_t i = 0; i < n; i++) {
        prt_buf_printf(out, "%s %u ", v[i]->op, v[i]->kg);
        hex(out, (prt_str){ v[i]->key, v[i]->klen });
        prt_buf_putc(out, ' ');
        hex(out, (prt_str){ v[i]->val, v[i]->vlen });
        prt_buf_putc(out, '\n');
    }
}

/* applies n random puts, overwrites, deletes and gets to both stores and the reference */
static void random_ops(prt_state *a, prt_state *b, int n)
{
    prt_err e;
    prt_buf got = { 0 };
    prt_state *both[2] = { a, b };
    for (int i = 0; i < n; i++) {
        struct ref *r = &pool[rng() % POOL];
        prt_str key = { r->key, r->klen };
        uint64_t what = rng() % 10;
        if (what < 6) {
            r->vlen = rng() % 64;
            for (size_t k = 0; k < r->vlen; k++)
                r->val[k] = (char)rng();
            r->present = 1;
            for (int s = 0; s < 2; s++)
                if (prt_state_put(both[s], r->op, r->kg, key, (prt_str){ r->val, r->vlen }, &e) != PRT_OK)
                    TEST_FAIL("put: %s", e.msg);
        } else if (what < 8) {
            r->present = 0;
            for (int s = 0; s < 2; s++)
                if (prt_state_del(both[s], r->op, r->kg, key, &e) != PRT_OK)
                    TEST_FAIL("del: %s", e.msg);
        } else {
            for (int s = 0; s < 2; s++) {
                int found = -1;
                if (prt_state_get(both[s], r->op, r->kg, key, &got, &found, &e) != PRT_OK)
                    TEST_FAIL("get: %s", e.msg);
                else if (found != r->present || (found && (got.n != r->vlen || memcmp(got.p, r->val, r->vlen))))
                    TEST_FAIL("get on %s: found %d, expected %d (op %d)", prt_state_backend_name(prt_state_backend_of(both[s])),
                              found, r->present, i);
            }
        }
    }
    prt_buf_free(&got);
}

TEST(same_results_both_backends)
{
    prt_state *m = open_store(PRT_STATE_MEMORY, NULL, 0), *r = open_store(PRT_STATE_ROCKSDB, "same", 0);
    if (!m || !r)
        return;
    prt_buf dm = { 0 }, dr = { 0 }, want = { 0 };
    for (int round = 0; round < 3; round++) {
        random_ops(m, r, 20000);
        dump(m, &dm);
        dump(r, &dr);
        ref_dump(&want, NULL, 0, 0);
        check_same(&dm, &want, "memory vs reference");
        check_same(&dr, &want, "rocksdb vs reference");
    }
    CHECK(want.n > 10000);
    /* the operator list: only operators holding entries, in strcmp order */
    for (int i = 0; i < POOL; i++)
        if (!strcmp(pool[i].op, "joins") && pool[i].present) {
            prt_err e;
            CHECK(prt_state_del(m, "joins", pool[i].kg, (prt_str){ pool[i].key, pool[i].klen }, &e) == PRT_OK);
            CHECK(prt_state_del(r, "joins", pool[i].kg, (prt_str){ pool[i].key, pool[i].klen }, &e) == PRT_OK);
            pool[i].present = 0;
        }
    dump(m, &dm);
    dump(r, &dr);
    ref_dump(&want, NULL, 0, 0);
    check_same(&dm, &want, "memory vs reference, 'joins' emptied");
    check_same(&dr, &want, "rocksdb vs reference, 'joins' emptied");
    CHECK(memmem(dm.p, dm.n, "joins ", 6) == NULL);
    /* clear */
    prt_err e;
    CHECK(prt_state_clear(m, &e) == PRT_OK && prt_state_clear(r, &e) == PRT_OK);
    dump(m, &dm);
    dump(r, &dr);
    CHECK_EQ_I(dm.n, 0);
    CHECK_EQ_I(dr.n, 0);
    for (int i = 0; i < POOL; i++)
        pool[i].present = 0;
    prt_state_close(m);
    prt_state_close(r);
    prt_buf_free(&dm);
    prt_buf_free(&dr);
    prt_buf_free(&want);
}

struct range_ctx {
    prt_buf *out;
    const char *op;
    uint16_t lo, hi;
    int bad;
};

static int range_entry(void *ctx, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    struct range_ctx *c = ctx;
    if (kg < c->lo || kg > c->hi)
        c->bad++;
    struct dump_ctx d = { c->out, NULL, c->op };
    return dump_entry(&d, kg, key, val, e);
}

static int stop_at_third(void *ctx, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    int *n = ctx;
    if (++*n == 3)
        return prt_errf(e, "visitor says stop");
    return PRT_OK;
}

TEST(range_scans)
{
    prt_state *st[2] = { open_store(PRT_STATE_MEMORY, NULL, 0), open_store(PRT_STATE_ROCKSDB, "range", 0) };
    if (!st[0] || !st[1])
        return;
    random_ops(st[0], st[1], 30000);
    prt_buf got = { 0 }, want = { 0 };
    uint16_t ranges[][2] = { { 0, 0 }, { 0, 2 }, { 1, 1 }, { 2, 200 }, { 128, 128 }, { 255, 65532 },
                             { 65533, 65535 }, { 65535, 65535 }, { 0, 65535 }, { 7, 3 } };
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
            for (int o = 0; o < 3; o++) {
                prt_err e;
                prt_buf_clear(&got);
                struct range_ctx c = { &got, ops[o], ranges[i][0], ranges[i][1], 0 };
                CHECK(prt_state_scan(st[s], ops[o], c.lo, c.hi, range_entry, &c, &e) == PRT_OK);
                CHECK_EQ_I(c.bad, 0);
                if (c.lo <= c.hi)
                    ref_dump(&want, ops[o], c.lo, c.hi);
                else
                    prt_buf_clear(&want);
                check_same(&got, &want, prt_state_backend_name(prt_state_backend_of(st[s])));
            }
    /* operator 1's last key group and operator 2's first are neighbours in RocksDB's key space */
    for (int s = 0; s < 2; s++) {
        prt_err e;
        CHECK(prt_state_put(st[s], "n1", 65535, PRT_STR_LIT("k"), PRT_STR_LIT("v1"), &e) == PRT_OK);
        CHECK(prt_state_put(st[s], "n2", 0, PRT_STR_LIT(""), PRT_STR_LIT("v2"), &e) == PRT_OK);
        prt_buf_clear(&got);
        struct range_ctx c = { &got, "n1", 0, 65535, 0 };
        CHECK(prt_state_scan(st[s], "n1", 0, 65535, range_entry, &c, &e) == PRT_OK);
        CHECK_EQ_PS(prt_buf_str(&got), "n1 65535 6b 7631\n");
        prt_buf_clear(&got);
        c.op = "n2";
        CHECK(prt_state_scan(st[s], "n2", 0, 65535, range_entry, &c, &e) == PRT_OK);
        CHECK_EQ_PS(prt_buf_str(&got), "n2 0  7632\n");
        prt_buf_clear(&got);
        CHECK(prt_state_scan(st[s], "unknown", 0, 65535, range_entry, &c, &e) == PRT_OK);
        CHECK_EQ_I(got.n, 0);
        /* a visitor's error stops the scan and comes back */
        int n = 0;
        CHECK(prt_state_scan(st[s], "counts", 0, 65535, stop_at_third, &n, &e) == PRT_ERR);
        CHECK_EQ_I(n, 3);
        CHECK_EQ_S(e.msg, "visitor says stop");
    }
    prt_state_close(st[0]);
    prt_state_close(st[1]);
    for (int i = 0; i < POOL; i++)
        pool[i].present = 0;
    prt_buf_free(&got);
    prt_buf_free(&want);
}

TEST(rocksdb_workdir_guard)
{
    /* a directory holding something else is never emptied */
    char d[512], f[600];
    snprintf(d, sizeof d, "%s", tpath("precious"));
    CHECK(mkdir(d, 0755) == 0);
    snprintf(f, sizeof f, "%s/notes.txt", d);
    FILE *fp = fopen(f, "w");
    CHECK(fp && fputs("keep me", fp) >= 0 && fclose(fp) == 0);
    prt_state_cfg cfg = { PRT_STATE_ROCKSDB, d, 0 };
    prt_state *st = NULL;
    prt_err e;
    CHECK(prt_state_open(&st, &cfg, &e) == PRT_ERR);
    char want[700];
    snprintf(want, sizeof want, "rocksdb state %s: not empty and not a pipec state directory; refusing to delete anything in it", d);
    CHECK_EQ_S(e.msg, want);
    CHECK(access(f, F_OK) == 0);
    /* a working directory from an earlier run is reopened empty, whatever a kill left in db/ */
    cfg.dir = tpath("reuse");
    CHECK(prt_state_open(&st, &cfg, &e) == PRT_OK);
    CHECK(prt_state_put(st, "op", 1, PRT_STR_LIT("k"), PRT_STR_LIT("v"), &e) == PRT_OK);
    prt_state_close(st);
    char junk[700];
    snprintf(junk, sizeof junk, "%s/db/CURRENT", cfg.dir);
    CHECK(unlink(junk) == 0); /* as if killed while deleting db/ */
    snprintf(junk, sizeof junk, "%s/db/IDENTITY", cfg.dir);
    CHECK(unlink(junk) == 0);
    CHECK(prt_state_open(&st, &cfg, &e) == PRT_OK);
    prt_buf got = { 0 };
    dump(st, &got);
    CHECK_EQ_I(got.n, 0);
    prt_state_close(st);
    prt_buf_free(&got);
    /* no directory given */
    cfg.dir = NULL;
    CHECK(prt_state_open(&st, &cfg, &e) == PRT_ERR);
    CHECK_EQ_S(e.msg, "rocksdb state: no working directory given");
}

/* a listing of a directory tree with sizes and CRCs, to show a restore leaves a snapshot alone */
static void tree_sig(const char *dir, prt_buf *out)
{
    char **names;
    size_t n;
    prt_err e;
    if (prt_dir_list(dir, &names, &n, &e) != PRT_OK) {
        prt_buf_printf(out, "%s: unreadable\n", dir);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char *p = prt_path_join(dir, names[i]);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            tree_sig(p, out);
        } else {
            uint32_t crc = 0;
            uint64_t size = 0;
            prt_crc32_file(p, &crc, &size, 0, &e);
            prt_buf_printf(out, "%s %llu %08x\n", p, (unsigned long long)size, crc);
        }
        free(p);
    }
    prt_dir_list_free(names, n);
}

TEST(snapshot_restore_across_backends)
{
    prt_state *m = open_store(PRT_STATE_MEMORY, NULL, 0), *r = open_store(PRT_STATE_ROCKSDB, "src", 0);
    if (!m || !r)
        return;
    random_ops(m, r, 40000);
    prt_buf want = { 0 }, got = { 0 }, sig1 = { 0 }, sig2 = { 0 };
    ref_dump(&want, NULL, 0, 0);
    prt_err e;
    prt_state *src[2] = { m, r };
    const char *snap[2] = { "snap-mem", "snap-rocks" };
    for (int s = 0; s < 2; s++) {
        char sd[512];
        snprintf(sd, sizeof sd, "%s", tpath(snap[s]));
        CHECK(mkdir(sd, 0755) == 0);
        CHECK(prt_state_snapshot(src[s], sd, &e) == PRT_OK);
        /* the source stays usable and unchanged */
        dump(src[s], &got);
        check_same(&got, &want, "source after snapshot");
        prt_buf_clear(&sig1);
        tree_sig(sd, &sig1);
        for (int d = 0; d < 2; d++) {
            prt_state *dst = open_store(d ? PRT_STATE_ROCKSDB : PRT_STATE_MEMORY, "dst", 0);
            if (!dst)
                continue;
            /* something to be replaced */
            CHECK(prt_state_put(dst, "stale", 1, PRT_STR_LIT("x"), PRT_STR_LIT("y"), &e) == PRT_OK);
            if (prt_state_restore(dst, sd, &e) != PRT_OK)
                TEST_FAIL("restore %s snapshot into %s: %s", snap[s], d ? "rocksdb" : "memory", e.msg);
            dump(dst, &got);
            char what[100];
            snprintf(what, sizeof what, "%s restored into %s", snap[s], d ? "rocksdb" : "memory");
            check_same(&got, &want, what);
            /* the restored store works: a write goes in */
            CHECK(prt_state_put(dst, "counts", 9, PRT_STR_LIT("new"), PRT_STR_LIT("1"), &e) == PRT_OK);
            int found = 0;
            CHECK(prt_state_get(dst, "counts", 9, PRT_STR_LIT("new"), &got, &found, &e) == PRT_OK && found);
            prt_state_close(dst);
        }
        prt_buf_clear(&sig2);
        tree_sig(sd, &sig2);
        check_same(&sig1, &sig2, "snapshot directory after restores");
    }
    /* restore into the same store after it changed: back to the snapshot */
    CHECK(prt_state_put(r, "counts", 3, PRT_STR_LIT("later"), PRT_STR_LIT("z"), &e) == PRT_OK);
    CHECK(prt_state_restore(r, tpath("snap-rocks"), &e) == PRT_OK);
    dump(r, &got);
    check_same(&got, &want, "rocksdb restored in place");
    CHECK(prt_state_put(m, "counts", 3, PRT_STR_LIT("later"), PRT_STR_LIT("z"), &e) == PRT_OK);
    CHECK(prt_state_restore(m, tpath("snap-mem"), &e) == PRT_OK);
    dump(m, &got);
    check_same(&got, &want, "memory restored in place");
    /* the same state snapshots to the same bytes (memory backend files are sorted) */
    CHECK(mkdir(tpath("snap-mem2"), 0755) == 0);
    CHECK(prt_state_snapshot(m, tpath("snap-mem2"), &e) == PRT_OK);
    prt_buf_clear(&sig1);
    prt_buf_clear(&sig2);
    char **n1, **n2;
    size_t c1, c2;
    CHECK(prt_dir_list(tpath("snap-mem/memory"), &n1, &c1, &e) == PRT_OK);
    CHECK(prt_dir_list(tpath("snap-mem2/memory"), &n2, &c2, &e) == PRT_OK);
    CHECK_EQ_I(c1, 3);
    CHECK_EQ_I(c2, 3);
    for (size_t i = 0; i < c1 && i < c2; i++) {
        uint32_t a = 0, b = 1;
        uint64_t sa, sb;
        char p1[600], p2[600];
        snprintf(p1, sizeof p1, "%s/%s", tpath("snap-mem/memory"), n1[i]);
        snprintf(p2, sizeof p2, "%s/%s", tpath("snap-mem2/memory"), n2[i]);
        CHECK(prt_crc32_file(p1, &a, &sa, 0, &e) == PRT_OK && prt_crc32_file(p2, &b, &sb, 0, &e) == PRT_OK);
        CHECK(a == b && sa == sb);
    }
    prt_dir_list_free(n1, c1);
    prt_dir_list_free(n2, c2);
    /* a damaged memory snapshot: refused with the file's reason, the store left empty */
    char victim[600];
    snprintf(victim, sizeof victim, "%s/op-0002.state", tpath("snap-mem2/memory"));
    CHECK(truncate(victim, 100) == 0);
    CHECK(prt_state_restore(r, tpath("snap-mem2"), &e) == PRT_ERR);
    char reason[800];
    snprintf(reason, sizeof reason, "%s: truncated: no trailer at the end (100 bytes)", victim);
    CHECK_EQ_S(e.msg, reason);
    dump(r, &got);
    CHECK_EQ_I(got.n, 0);
    /* no snapshot at all */
    CHECK(prt_state_restore(m, tdir, &e) == PRT_ERR);
    snprintf(reason, sizeof reason, "%s: no state snapshot there (neither memory/ nor rocksdb/)", tdir);
    CHECK_EQ_S(e.msg, reason);
    prt_state_close(m);
    prt_state_close(r);
    for (int i = 0; i < POOL; i++)
        pool[i].present = 0;
    prt_buf_free(&want);
    prt_buf_free(&got);
    prt_buf_free(&sig1);
    prt_buf_free(&sig2);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void big_value(char *v, uint32_t i)
{
    for (int k = 0; k < 1024; k += 4)
        memcpy(v + k, &(uint32_t){ i * 2654435761u + (uint32_t)k }, 4);
}

struct big_ctx {
    uint32_t next, bad;
    char v[1024];
};

static int big_entry(void *ctx, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    struct big_ctx *c = ctx;
    uint32_t i = 0;
    for (size_t k = 0; k < key.n; k++)
        i = i << 8 | (unsigned char)key.p[k];
    big_value(c->v, i);
    if (key.n != 4 || kg != i % 128 || val.n != 1024 || memcmp(val.p, c->v, 1024) != 0)
        c->bad++;
    c->next++;
    return PRT_OK;
}

/* 200k keys of 1 KiB (200 MiB) in a store with a 16 MiB budget */
TEST(rocksdb_larger_than_budget)
{
    long rss0 = maxrss_kb();
    prt_state *r = open_store(PRT_STATE_ROCKSDB, "big", 16u << 20);
    if (!r)
        return;
    prt_err e;
    char v[1024];
    const uint32_t n = 200000;
    for (uint32_t i = 0; i < n; i++) {
        unsigned char k[4] = { (unsigned char)(i >> 24), (unsigned char)(i >> 16), (unsigned char)(i >> 8), (unsigned char)i };
        big_value(v, i);
        if (prt_state_put(r, "big", (uint16_t)(i % 128), (prt_str){ (char *)k, 4 }, (prt_str){ v, 1024 }, &e) != PRT_OK) {
            TEST_FAIL("put %u: %s", i, e.msg);
            break;
        }
    }
    struct big_ctx c = { 0, 0, { 0 } };
    CHECK(prt_state_scan(r, "big", 0, 127, big_entry, &c, &e) == PRT_OK);
    CHECK_EQ_I(c.next, n);
    CHECK_EQ_I(c.bad, 0);
    prt_buf got = { 0 };
    for (int t = 0; t < 1000; t++) {
        uint32_t i = (uint32_t)(rng() % n);
        unsigned char k[4] = { (unsigned char)(i >> 24), (unsigned char)(i >> 16), (unsigned char)(i >> 8), (unsigned char)i };
        int found = 0;
        big_value(v, i);
        CHECK(prt_state_get(r, "big", (uint16_t)(i % 128), (prt_str){ (char *)k, 4 }, &got, &found, &e) == PRT_OK);
        if (!found || got.n != 1024 || memcmp(got.p, v, 1024) != 0) {
            TEST_FAIL("get %u: wrong value", i);
            break;
        }
    }
    long grew = (maxrss_kb() - rss0) / 1024;
    printf("# rocksdb_larger_than_budget: 200000 x 1 KiB, budget 16 MiB, peak RSS grew by %ld MiB\n", grew);
#ifndef __SANITIZE_ADDRESS__ /* ASan's quarantine keeps up to 256 MiB of freed memory resident */
    CHECK(grew < 100);             /* well under the 200 MiB of state */
#endif
    prt_state_close(r);
    prt_buf_free(&got);
}

/* ---- PRT_BENCH=1: throughput numbers ---- */

static void bench(void)
{
    prt_err e;
    char v[1024];
    memset(v, 'v', sizeof v);
    const uint32_t n = 1000000;
    /* 0: keys in the store's order (key group, then key); 1: key group i % 128, key i (ascending
     * within each key group, interleaved across them); 2: random 32-bit keys */
    static const char *const kinds[] = { "sequential (in key order)", "sequential per key group (kg = i % 128)", "random" };
    for (int kind = 0; kind < 3; kind++) {
        prt_state *r = open_store(PRT_STATE_ROCKSDB, "bench", 0);
        double t = now();
        for (uint32_t i = 0; i < n; i++) {
            uint32_t x = kind == 2 ? (uint32_t)rng() : i;
            uint16_t kg = kind == 0 ? (uint16_t)(i / (n / 128 + 1)) : (uint16_t)(x % 128);
            unsigned char k[8] = { (unsigned char)(x >> 24), (unsigned char)(x >> 16), (unsigned char)(x >> 8), (unsigned char)x };
            prt_assert(prt_state_put(r, "op", kg, (prt_str){ (char *)k, 8 }, (prt_str){ v, 16 }, &e) == PRT_OK);
        }
        /* a get flushes the last batch into the database */
        int any = 0;
        prt_buf g = { 0 };
        prt_assert(prt_state_get(r, "op", 0, PRT_STR_LIT("x"), &g, &any, &e) == PRT_OK);
        t = now() - t;
        printf("# bench rocksdb put, %s keys (8-byte key, 16-byte value, batch 1000, WAL off): %u in %.3f s, %.0f puts/s\n",
               kinds[kind], n, t, n / t);
        prt_state_close(r);
    }
    /* a checkpoint of a ~100 MiB store */
    prt_state *r = open_store(PRT_STATE_ROCKSDB, "bench", 0);
    for (uint32_t i = 0; i < 100000; i++) {
        unsigned char k[4] = { (unsigned char)(i >> 24), (unsigned char)(i >> 16), (unsigned char)(i >> 8), (unsigned char)i };
        for (int j = 0; j < 1024; j += 8) /* incompressible */
            memcpy(v + j, &(uint64_t){ rng() }, 8);
        prt_assert(prt_state_put(r, "op", (uint16_t)(i % 128), (prt_str){ (char *)k, 4 }, (prt_str){ v, 1024 }, &e) == PRT_OK);
    }
    for (int k = 0; k < 2; k++) {
        char sd[512];
        snprintf(sd, sizeof sd, "%s/bench-chk-%d", tdir, k);
        prt_assert(mkdir(sd, 0755) == 0);
        double t = now();
        prt_assert(prt_state_snapshot(r, sd, &e) == PRT_OK);
        t = now() - t;
        printf("# bench rocksdb snapshot of 100000 x 1 KiB (%s): %.3f s\n",
               k ? "again, nothing changed" : "includes the memtable flush", t);
    }
    prt_state_close(r);
    /* memory snapshot of 1M small entries */
    prt_state *m = open_store(PRT_STATE_MEMORY, NULL, 0);
    for (uint32_t i = 0; i < n; i++) {
        unsigned char k[8] = { (unsigned char)(i >> 24), (unsigned char)(i >> 16), (unsigned char)(i >> 8), (unsigned char)i };
        prt_assert(prt_state_put(m, "op", (uint16_t)(i % 128), (prt_str){ (char *)k, 8 }, (prt_str){ v, 16 }, &e) == PRT_OK);
    }
    prt_assert(mkdir(tpath("bench-mem"), 0755) == 0);
    double t = now();
    prt_assert(prt_state_snapshot(m, tpath("bench-mem"), &e) == PRT_OK);
    t = now() - t;
    printf("# bench memory snapshot of 1000000 entries (8-byte key, 16-byte value): %.3f s\n", t);
    prt_state *m2 = open_store(PRT_STATE_MEMORY, NULL, 0);
    t = now();
    prt_assert(prt_state_restore(m2, tpath("bench-mem"), &e) == PRT_OK);
    t = now() - t;
    printf("# bench memory restore of the same: %.3f s\n", t);
    prt_state_close(m);
    prt_state_close(m2);
}

int main(void)
{
    if (tdir_make("state") != 0)
        return 1;
    make_pool();
    RUN(same_results_both_backends);
    RUN(range_scans);
    RUN(snapshot_restore_across_backends);
    RUN(rocksdb_workdir_guard);
    RUN(rocksdb_larger_than_budget);
    if (getenv("PRT_BENCH"))
        bench();
    tdir_remove();
    return test_summary();
}
