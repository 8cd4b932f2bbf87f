/* test_chkdir.c — checkpoint directories: the MANIFEST written last, fallback past incomplete
 * and corrupt checkpoints with the reason, retention, and kill -9 at random moments while
 * checkpointing state of both backends. */
#include "prt_chkdir.h"
#include "prt_durable.h"
#include "prt_fsutil.h"
#include "prt_state.h"
#include "prt_test.h"
#include "prt_test_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>



static void raw_write(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    prt_assert(f);
    prt_assert(fwrite(p, 1, n, f) == n);
    prt_assert(fclose(f) == 0);
}

static void flip_byte(const char *path, long at)
{
    int fd = open(path, O_RDWR);
    prt_assert(fd >= 0);
    unsigned char c;
    prt_assert(pread(fd, &c, 1, at) == 1);
    c ^= 0x01;
    prt_assert(pwrite(fd, &c, 1, at) == 1);
    close(fd);
}

/* a complete checkpoint id in root with two files: data (content given) and sub/more */
static void make_chk(const char *root, uint64_t id, const char *data)
{
    prt_err e;
    char *d;
    if (prt_chkdir_begin(root, id, &d, &e) != PRT_OK) {
        TEST_FAIL("begin %llu: %s", (unsigned long long)id, e.msg);
        return;
    }
    char p[600];
    snprintf(p, sizeof p, "%s/data", d);
    raw_write(p, data, strlen(data));
    snprintf(p, sizeof p, "%s/sub", d);
    prt_assert(mkdir(p, 0755) == 0);
    snprintf(p, sizeof p, "%s/sub/more", d);
    raw_write(p, "0123456789", 10);
    char pos[32];
    snprintf(pos, sizeof pos, "pos-%llu", (unsigned long long)id);
    if (prt_chkdir_finish(root, id, "orders_by_status", 1700000000000 + (int64_t)id, prt_str_c(pos),
                          PRT_STR_LIT("commit\0blob"), &e) != PRT_OK)
        TEST_FAIL("finish %llu: %s", (unsigned long long)id, e.msg);
    free(d);
}

static char *root_of(const char *name)
{
    static char p[4][512];
    static int k;
    char *s = p[k++ & 3];
    snprintf(s, 512, "%s/%s", tdir, name);
    return s;
}

TEST(complete_and_load)
{
    char root[512];
    snprintf(root, sizeof root, "%s", root_of("a"));
    make_chk(root, 1, "hello state");
    prt_chk_manifest m;
    prt_err e;
    CHECK(prt_chkdir_load(root, 1, 1, &m, &e) == PRT_OK);
    CHECK_EQ_I(m.id, 1);
    CHECK_EQ_I(m.created_ms, 1700000000001);
    CHECK_EQ_S(m.pipeline, "orders_by_status");
    CHECK_EQ_I(m.nfiles, 2);
    if (m.nfiles == 2) {
        CHECK_EQ_S(m.files[0].path, "data");
        CHECK_EQ_I(m.files[0].size, 11);
        CHECK_EQ_I(m.files[0].crc, prt_crc32(0, "hello state", 11));
        CHECK_EQ_S(m.files[1].path, "sub/more");
        CHECK_EQ_I(m.files[1].size, 10);
    }
    CHECK_EQ_PS(prt_buf_str(&m.positions), "pos-1");
    CHECK(m.commit.n == 11 && memcmp(m.commit.p, "commit\0blob", 11) == 0);
    prt_chk_manifest_free(&m);
    /* ids are never reused: a complete checkpoint is not begun again */
    char *d;
    CHECK(prt_chkdir_begin(root, 1, &d, &e) == PRT_ERR);
    char want[700];
    snprintf(want, sizeof want, "%s/chk-1: checkpoint 1 exists and is complete", root);
    CHECK_EQ_S(e.msg, want);
    /* names that are not canonical checkpoint names are ignored */
    char p[600];
    snprintf(p, sizeof p, "%s/chk-01", root);
    CHECK(mkdir(p, 0755) == 0);
    snprintf(p, sizeof p, "%s/chk-x", root);
    CHECK(mkdir(p, 0755) == 0);
    uint64_t *ids;
    size_t n;
    CHECK(prt_chkdir_list(root, &ids, &n, &e) == PRT_OK);
    CHECK(n == 1 && ids[0] == 1);
    free(ids);
    /* an unwritable root: a path through a regular file */
    snprintf(p, sizeof p, "%s/data/x", root);
    snprintf(want, sizeof want, "%s/chk-1/data/x", root);
    CHECK(prt_chkdir_begin(want, 2, &d, &e) == PRT_ERR);
    char w2[1400];
    snprintf(w2, sizeof w2, "%s: cannot create checkpoint directory: Not a directory", want);
    CHECK_EQ_S(e.msg, w2);
}

/* a file hard-linked from the previous checkpoint lends its CRC; a same-named, same-sized file
 * that is another inode gets its own */
TEST(crc_of_linked_files)
{
    char root[512], p[700], q[700];
    snprintf(root, sizeof root, "%s", root_of("links"));
    prt_err e;
    char *d;
    CHECK(prt_chkdir_begin(root, 1, &d, &e) == PRT_OK);
    snprintf(p, sizeof p, "%s/shared.sst", d);
    raw_write(p, "immutable", 9);
    snprintf(p, sizeof p, "%s/changed", d);
    raw_write(p, "version 1", 9);
    free(d);
    CHECK(prt_chkdir_finish(root, 1, "p", 0, PRT_STR_LIT(""), PRT_STR_LIT(""), &e) == PRT_OK);
    CHECK(prt_chkdir_begin(root, 2, &d, &e) == PRT_OK);
    snprintf(p, sizeof p, "%s/chk-1/shared.sst", root);
    snprintf(q, sizeof q, "%s/shared.sst", d);
    CHECK(link(p, q) == 0);
    snprintf(q, sizeof q, "%s/changed", d);
    raw_write(q, "version 2", 9);
    free(d);
    CHECK(prt_chkdir_finish(root, 2, "p", 0, PRT_STR_LIT(""), PRT_STR_LIT(""), &e) == PRT_OK);
    prt_chk_manifest m;
    CHECK(prt_chkdir_load(root, 2, 1, &m, &e) == PRT_OK);
    CHECK_EQ_I(m.nfiles, 2);
    if (m.nfiles == 2) {
        CHECK_EQ_S(m.files[0].path, "changed");
        CHECK_EQ_I(m.files[0].crc, prt_crc32(0, "version 2", 9));
        CHECK_EQ_S(m.files[1].path, "shared.sst");
        CHECK_EQ_I(m.files[1].crc, prt_crc32(0, "immutable", 9));
    }
    prt_chk_manifest_free(&m);
}

TEST(newest_falls_back)
{
    char root[512];
    snprintf(root, sizeof root, "%s", root_of("b"));
    prt_chk_manifest m;
    prt_buf skipped = { 0 };
    prt_err e;
    int found = -1;
    /* no root at all, then an empty one: nothing found, not an error */
    CHECK(prt_chkdir_newest(root, 1, &m, &found, &skipped, &e) == PRT_OK);
    CHECK_EQ_I(found, 0);
    make_chk(root, 1, "one");
    make_chk(root, 2, "two");
    /* 3: begun, files written, never finished */
    char *d;
    CHECK(prt_chkdir_begin(root, 3, &d, &e) == PRT_OK);
    char p[700], want[4000];
    snprintf(p, sizeof p, "%s/data", d);
    raw_write(p, "three", 5);
    free(d);
    CHECK(prt_chkdir_newest(root, 1, &m, &found, &skipped, &e) == PRT_OK);
    CHECK_EQ_I(found, 1);
    CHECK_EQ_I(m.id, 2);
    CHECK_EQ_PS(prt_buf_str(&skipped), "checkpoint 3 skipped: incomplete: no MANIFEST\n");
    prt_chk_manifest_free(&m);

    /* 4: complete, then its MANIFEST damaged */
    make_chk(root, 4, "four");
    snprintf(p, sizeof p, "%s/chk-4/MANIFEST", root);
    flip_byte(p, 20);
    prt_buf raw = { 0 };
    {
        FILE *f = fopen(p, "rb");
        char tmp[4096];
        size_t r;
        while ((r = fread(tmp, 1, sizeof tmp, f)) > 0)
            prt_buf_put(&raw, tmp, r);
        fclose(f);
    }
    const unsigned char *t = (const unsigned char *)raw.p + raw.n - 16;
    uint32_t stored = (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
    uint32_t computed = prt_crc32(0, raw.p, raw.n - 16);
    prt_buf_clear(&skipped);
    CHECK(prt_chkdir_newest(root, 1, &m, &found, &skipped, &e) == PRT_OK);
    CHECK(found && m.id == 2);
    prt_chk_manifest_free(&m);
    snprintf(want, sizeof want,
             "checkpoint 4 skipped: %s: bad checksum: stored %08x, computed %08x\n"
             "checkpoint 3 skipped: incomplete: no MANIFEST\n", p, stored, computed);
    CHECK_EQ_PS(prt_buf_str(&skipped), want);

    /* 5: a data file cut short; 6: a data file with a flipped byte (caught by the CRC only);
     * 7: a manifest copied from another checkpoint; 8: a listed file removed */
    make_chk(root, 5, "five five");
    snprintf(p, sizeof p, "%s/chk-5/data", root);
    CHECK(truncate(p, 3) == 0);
    make_chk(root, 6, "six six");
    snprintf(p, sizeof p, "%s/chk-6/sub/more", root);
    flip_byte(p, 4);
    make_chk(root, 7, "seven");
    char q[700];
    snprintf(p, sizeof p, "%s/chk-2/MANIFEST", root);
    snprintf(q, sizeof q, "%s/chk-7/MANIFEST", root);
    CHECK(unlink(q) == 0 && link(p, q) == 0);
    make_chk(root, 8, "eight");
    snprintf(p, sizeof p, "%s/chk-8/sub/more", root);
    CHECK(unlink(p) == 0);
    prt_buf_clear(&skipped);
    CHECK(prt_chkdir_newest(root, 1, &m, &found, &skipped, &e) == PRT_OK);
    CHECK(found && m.id == 2);
    prt_chk_manifest_free(&m);
    snprintf(want, sizeof want,
             "checkpoint 8 skipped: %s/chk-8/sub/more: listed in the manifest but missing\n"
             "checkpoint 7 skipped: %s/chk-7/MANIFEST: names checkpoint 2\n"
             "checkpoint 6 skipped: %s/chk-6/sub/more: checksum %08x, the manifest says %08x\n"
             "checkpoint 5 skipped: %s/chk-5/data: 3 bytes, the manifest says 9\n"
             "checkpoint 4 skipped: %s/chk-4/MANIFEST: bad checksum: stored %08x, computed %08x\n"
             "checkpoint 3 skipped: incomplete: no MANIFEST\n",
             root, root, root, prt_crc32(0, "0123\x35" "56789", 10), prt_crc32(0, "0123456789", 10), root, root,
             stored, computed);
    CHECK_EQ_PS(prt_buf_str(&skipped), want);
    /* without CRC checks the flipped byte in 6 goes unnoticed: sizes only */
    CHECK(prt_chkdir_newest(root, 0, &m, &found, NULL, &e) == PRT_OK);
    CHECK(found && m.id == 6);
    prt_chk_manifest_free(&m);
    prt_buf_free(&skipped);
    prt_buf_free(&raw);
}

static size_t count_ids(const char *root, uint64_t *first)
{
    uint64_t *ids;
    size_t n;
    prt_err e;
    if (prt_chkdir_list(root, &ids, &n, &e) != PRT_OK)
        return 999;
    if (n && first)
        *first = ids[0];
    free(ids);
    return n;
}

TEST(retain)
{
    char root[512];
    snprintf(root, sizeof root, "%s", root_of("c"));
    prt_err e;
    int removed = -1;
    for (uint64_t id = 1; id <= 5; id++)
        make_chk(root, id, "x");
    CHECK(prt_chkdir_retain(root, 2, &removed, &e) == PRT_OK);
    CHECK_EQ_I(removed, 3);
    uint64_t first = 0;
    CHECK_EQ_I(count_ids(root, &first), 2);
    CHECK_EQ_I(first, 4);
    /* an incomplete newer one (in progress) is not touched, the newest complete is kept */
    char *d;
    CHECK(prt_chkdir_begin(root, 6, &d, &e) == PRT_OK);
    free(d);
    CHECK(prt_chkdir_retain(root, 1, &removed, &e) == PRT_OK);
    CHECK_EQ_I(removed, 1);
    CHECK_EQ_I(count_ids(root, &first), 2);
    CHECK_EQ_I(first, 5);
    /* a corrupt newest: the two before it are the ones kept */
    make_chk(root, 7, "x");
    make_chk(root, 8, "x");
    char p[700];
    snprintf(p, sizeof p, "%s/chk-8/MANIFEST", root);
    flip_byte(p, 30);
    /* 8 is not complete, so 7 and 5 are kept; 6 (incomplete, older than 7) goes; 8 is newer
     * than the newest complete one and is not touched */
    CHECK(prt_chkdir_retain(root, 2, &removed, &e) == PRT_OK);
    CHECK_EQ_I(removed, 1);
    CHECK_EQ_I(count_ids(root, &first), 3);
    CHECK_EQ_I(first, 5);
    snprintf(p, sizeof p, "%s/chk-6", root);
    CHECK(access(p, F_OK) != 0);
    snprintf(p, sizeof p, "%s/chk-8/MANIFEST", root);
    /* begin over an incomplete leftover clears it */
    CHECK(prt_chkdir_begin(root, 8, &d, &e) == PRT_OK);
    CHECK(access(p, F_OK) != 0);
    free(d);
    CHECK(prt_chkdir_retain(root, 0, &removed, &e) == PRT_ERR);
    CHECK_EQ_S(e.msg, "retain: must keep at least one checkpoint");
}

/* ---- kill -9 while checkpointing ---- */

static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

#define KEYS 300

static void chk_child(const char *root, prt_state_backend b, uint64_t id, int fd)
{
    prt_err e;
    char work[600];
    snprintf(work, sizeof work, "%s/work", tdir);
    prt_state_cfg cfg = { b, work, 8u << 20 };
    prt_state *st;
    if (prt_state_open(&st, &cfg, &e) != PRT_OK)
        _exit(3);
    for (;; id++) {
        /* the state is a function of the checkpoint id; it grows with it */
        for (int j = 0; j < KEYS + 500; j++) {
            char k[16], v[64];
            int kl = snprintf(k, sizeof k, "key%d", j), vl = snprintf(v, sizeof v, "value of %d at %llu", j, (unsigned long long)id);
            int rc = j < KEYS + (int)(id % 50) * 10
                ? prt_state_put(st, "agg", (uint16_t)(j % 128), (prt_str){ k, (size_t)kl }, (prt_str){ v, (size_t)vl }, &e)
                : prt_state_del(st, "agg", (uint16_t)(j % 128), (prt_str){ k, (size_t)kl }, &e);
            if (rc != PRT_OK)
                _exit(4);
        }
        char *d, pos[32], txn[32];
        if (prt_chkdir_begin(root, id, &d, &e) != PRT_OK) {
            fprintf(stderr, "child: %s\n", e.msg);
            _exit(5);
        }
        if (prt_state_snapshot(st, d, &e) != PRT_OK)
            _exit(6);
        snprintf(pos, sizeof pos, "pos=%llu", (unsigned long long)id);
        snprintf(txn, sizeof txn, "txn=%llu", (unsigned long long)id);
        if (prt_chkdir_finish(root, id, "crash", 0, prt_str_c(pos), prt_str_c(txn), &e) != PRT_OK)
            _exit(7);
        free(d);
        if (prt_chkdir_retain(root, 2, NULL, &e) != PRT_OK)
            _exit(8);
        if (write(fd, &id, sizeof id) != sizeof id)
            _exit(9);
    }
}

struct verify_ctx {
    uint64_t id;
    int n, bad;
};

static int verify_entry(void *ctx, uint16_t kg, prt_str key, prt_str val, prt_err *e)
{
    struct verify_ctx *c = ctx;
    int j;
    char v[64];
    if (sscanf(key.p, "key%d", &j) != 1)
        c->bad++;
    int vl = snprintf(v, sizeof v, "value of %d at %llu", j, (unsigned long long)c->id);
    if (kg != j % 128 || val.n != (size_t)vl || memcmp(val.p, v, val.n) != 0)
        c->bad++;
    c->n++;
    return PRT_OK;
}

/* restores chk-<id> into a memory store and checks it holds exactly the state of id */
static const char *verify_content(const char *root, uint64_t id)
{
    static char why[800];
    prt_err e;
    prt_state *st;
    prt_state_cfg cfg = { PRT_STATE_MEMORY, NULL, 0 };
    prt_assert(prt_state_open(&st, &cfg, &e) == PRT_OK);
    char d[600];
    snprintf(d, sizeof d, "%s/chk-%llu", root, (unsigned long long)id);
    const char *r = NULL;
    struct verify_ctx c = { id, 0, 0 };
    if (prt_state_restore(st, d, &e) != PRT_OK) {
        snprintf(why, sizeof why, "restore: %s", e.msg);
        r = why;
    } else if (prt_state_scan(st, "agg", 0, 127, verify_entry, &c, &e) != PRT_OK || c.bad ||
               c.n != KEYS + (int)(id % 50) * 10) {
        snprintf(why, sizeof why, "state of checkpoint %llu: %d entries, %d wrong", (unsigned long long)id, c.n, c.bad);
        r = why;
    }
    prt_state_close(st);
    return r;
}

TEST(kill9_during_checkpoints)
{
    rng_state = getenv("PRT_SEED") ? strtoull(getenv("PRT_SEED"), NULL, 10) : 424242;
    uint64_t seed = rng_state;
    char root[512];
    snprintf(root, sizeof root, "%s", root_of("crash"));
    prt_err e;
    uint64_t committed = 0, next = 1;
    int kills = 0, incomplete_seen = 0;
    prt_buf skipped = { 0 };
    for (int round = 0; round < 24; round++) {
        prt_state_backend b = round % 2 ? PRT_STATE_ROCKSDB : PRT_STATE_MEMORY;
        int fds[2];
        prt_assert(pipe(fds) == 0);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            chk_child(root, b, next, fds[1]);
        }
        close(fds[1]);
        struct timespec d = { 0, (long)(10000 + rng() % 140000) * 1000L }; /* 10..150 ms */
        nanosleep(&d, NULL);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        if (!WIFSIGNALED(st)) {
            TEST_FAIL("round %d: child exited with %d (seed %llu)", round, WEXITSTATUS(st), (unsigned long long)seed);
            break;
        }
        kills++;
        uint64_t v;
        while (read(fds[0], &v, sizeof v) == sizeof v)
            committed = v;
        close(fds[0]);
        prt_chk_manifest m;
        int found = 0;
        prt_buf_clear(&skipped);
        if (prt_chkdir_newest(root, 1, &m, &found, &skipped, &e) != PRT_OK) {
            TEST_FAIL("round %d: %s", round, e.msg);
            break;
        }
        incomplete_seen += skipped.n > 0;
        if (!found) {
            if (committed == 0)
                continue; /* killed before the first checkpoint completed */
            TEST_FAIL("round %d: no complete checkpoint, %llu was committed (seed %llu)", round,
                  (unsigned long long)committed, (unsigned long long)seed);
            break;
        }
        /* finish returned for `committed`; at most the next one completed before the kill */
        char pos[32], txn[32];
        snprintf(pos, sizeof pos, "pos=%llu", (unsigned long long)m.id);
        snprintf(txn, sizeof txn, "txn=%llu", (unsigned long long)m.id);
        const char *why = NULL;
        if (m.id < committed || m.id > committed + 1 || m.id < next - 1)
            why = "not the last committed checkpoint";
        else if (m.positions.n != strlen(pos) || memcmp(m.positions.p, pos, m.positions.n) ||
                 m.commit.n != strlen(txn) || memcmp(m.commit.p, txn, m.commit.n))
            why = "positions or commit blob of another checkpoint";
        else
            why = verify_content(root, m.id);
        if (why) {
            TEST_FAIL("round %d: checkpoint %llu (last committed %llu): %s (seed %llu)", round,
                  (unsigned long long)m.id, (unsigned long long)committed, why, (unsigned long long)seed);
            prt_chk_manifest_free(&m);
            break;
        }
        committed = m.id;
        next = m.id + 1;
        prt_chk_manifest_free(&m);
    }
    CHECK(kills >= 20);
    CHECK(next > 5); /* enough checkpoints completed between kills for the test to mean something */
    /* retention (kills between finish and retain can leave more behind): exactly two complete
     * ones stay, plus at most one incomplete newer one */
    int removed;
    CHECK(prt_chkdir_retain(root, 2, &removed, &e) == PRT_OK);
    uint64_t *ids;
    size_t n, complete = 0;
    CHECK(prt_chkdir_list(root, &ids, &n, &e) == PRT_OK);
    for (size_t i = 0; i < n; i++) {
        prt_chk_manifest m;
        if (prt_chkdir_load(root, ids[i], 1, &m, &e) == PRT_OK) {
            complete++;
            prt_chk_manifest_free(&m);
        } else if (i + 1 != n) {
            TEST_FAIL("an incomplete checkpoint %llu is left below the newest", (unsigned long long)ids[i]);
        }
    }
    free(ids);
    CHECK_EQ_I(complete, next > 2 ? 2 : next - 1);
    CHECK(n <= complete + 1);
    printf("# kill9_during_checkpoints: %d kills, %llu checkpoints, %d times an incomplete newest was passed over, seed %llu\n",
           kills, (unsigned long long)next - 1, incomplete_seen, (unsigned long long)seed);
    prt_buf_free(&skipped);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* PRT_BENCH=1: a checkpoint of a ~100 MiB rocksdb store, and of 1M small memory entries */
static void bench(void)
{
    prt_err e;
    char v[1024];
    memset(v, 'v', sizeof v);
    for (int b = 0; b < 2; b++) {
        char work[600], root[600];
        snprintf(work, sizeof work, "%s/bench-work", tdir);
        snprintf(root, sizeof root, "%s/bench-%d", tdir, b);
        prt_state_cfg cfg = { b ? PRT_STATE_MEMORY : PRT_STATE_ROCKSDB, work, 0 };
        prt_state *st;
        prt_assert(prt_state_open(&st, &cfg, &e) == PRT_OK);
        uint32_t n = b ? 1000000 : 100000;
        size_t vl = b ? 16 : 1024;
        for (uint32_t i = 0; i < n; i++) {
            unsigned char k[8] = { (unsigned char)(i >> 24), (unsigned char)(i >> 16), (unsigned char)(i >> 8), (unsigned char)i };
            for (size_t j = 0; j < vl; j += 8) /* incompressible */
                memcpy(v + j, &(uint64_t){ rng() }, 8);
            prt_assert(prt_state_put(st, "op", (uint16_t)(i % 128), (prt_str){ (char *)k, 8 }, (prt_str){ v, vl }, &e) == PRT_OK);
        }
        for (uint64_t id = 1; id <= 2; id++) {
            char *d;
            double t0 = now();
            prt_assert(prt_chkdir_begin(root, id, &d, &e) == PRT_OK);
            prt_assert(prt_state_snapshot(st, d, &e) == PRT_OK);
            double t1 = now();
            prt_assert(prt_chkdir_finish(root, id, "bench", 0, PRT_STR_LIT(""), PRT_STR_LIT(""), &e) == PRT_OK);
            double t2 = now();
            prt_chk_manifest m;
            int found;
            prt_assert(prt_chkdir_newest(root, 1, &m, &found, NULL, &e) == PRT_OK && found);
            double t3 = now();
            uint64_t bytes = 0;
            for (size_t i = 0; i < m.nfiles; i++)
                bytes += m.files[i].size;
            printf("# bench checkpoint %llu, %s, %u entries of %zu-byte values, %.1f MB in %zu files: snapshot %.3f s, "
                   "manifest (CRC + fsync of every file) %.3f s, verify on restart %.3f s\n",
                   (unsigned long long)id, b ? "memory" : "rocksdb", n, vl, (double)bytes / 1e6, m.nfiles, t1 - t0,
                   t2 - t1, t3 - t2);
            prt_chk_manifest_free(&m);
            free(d);
        }
        prt_state_close(st);
    }
}

int main(void)
{
    if (tdir_make("chkdir") != 0)
        return 1;
    RUN(complete_and_load);
    RUN(crc_of_linked_files);
    RUN(newest_falls_back);
    RUN(retain);
    RUN(kill9_during_checkpoints);
    if (getenv("PRT_BENCH"))
        bench();
    tdir_remove();
    return test_summary();
}
