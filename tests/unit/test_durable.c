/* test_durable.c — crash-safe files: round trips, every corruption refused with its exact reason,
 * write errors that keep the previous file, and kill -9 at random moments while rewriting. */
#include "prt_durable.h"
#include "prt_fsutil.h"
#include "prt_test.h"
#include "prt_test_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define MAGIC "PRTTEST1"



static int write_file(const char *path, const void *p, size_t n, uint32_t version, prt_err *e)
{
    prt_durable_w *w;
    if (prt_durable_create(&w, path, MAGIC, version, e) != PRT_OK)
        return PRT_ERR;
    if (prt_durable_write(w, p, n, e) != PRT_OK) {
        prt_durable_abort(w);
        return PRT_ERR;
    }
    return prt_durable_commit(w, e);
}

static int raw_read(const char *path, prt_buf *b)
{
    prt_buf_clear(b);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char tmp[4096];
    size_t r;
    while ((r = fread(tmp, 1, sizeof tmp, f)) > 0)
        prt_buf_put(b, tmp, r);
    fclose(f);
    return 0;
}

static void raw_write(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    prt_assert(f);
    prt_assert(fwrite(p, 1, n, f) == n);
    prt_assert(fclose(f) == 0);
}

static int exists(const char *path) { return access(path, F_OK) == 0; }

TEST(round_trip)
{
    prt_err e = { { 0 } };
    prt_buf in = { 0 }, out = { 0 };
    /* empty, small, and 3 MB streamed in odd-sized pieces (crosses the 1 MB buffer) */
    size_t sizes[] = { 0, 5, 3 * 1024 * 1024 + 17 };
    for (size_t s = 0; s < 3; s++) {
        prt_buf_clear(&in);
        for (size_t i = 0; i < sizes[s]; i++)
            prt_buf_putc(&in, (char)(i * 131 + s));
        prt_durable_w *w;
        CHECK(prt_durable_create(&w, tpath("rt"), MAGIC, 3, &e) == PRT_OK);
        for (size_t off = 0; off < in.n;) {
            size_t k = in.n - off < 777 ? in.n - off : 777;
            CHECK(prt_durable_write(w, in.p + off, k, &e) == PRT_OK);
            off += k;
        }
        CHECK_EQ_I(prt_durable_written(w), in.n);
        CHECK(prt_durable_commit(w, &e) == PRT_OK);
        uint32_t v = 0;
        CHECK(prt_durable_load(tpath("rt"), MAGIC, 3, &v, &out, &e) == PRT_OK);
        CHECK_EQ_I(v, 3);
        CHECK_EQ_I(out.n, in.n);
        CHECK(in.n == 0 || memcmp(in.p, out.p, in.n) == 0);
        /* the file is exactly header + content + trailer, and the trailer's CRC is zlib's */
        CHECK(raw_read(tpath("rt"), &out) == 0);
        CHECK_EQ_I(out.n, in.n + 32);
        uint32_t crc = (uint32_t)crc32_z(0, (const unsigned char *)out.p, in.n + 16);
        const unsigned char *t = (const unsigned char *)out.p + out.n - 16;
        CHECK_EQ_I(((uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11]), crc);
        CHECK(memcmp(t + 12, "PEND", 4) == 0);
    }
    /* streaming reader: pieces, then finish */
    prt_durable_r *r;
    CHECK(prt_durable_open(&r, tpath("rt"), MAGIC, 3, NULL, &e) == PRT_OK);
    CHECK_EQ_I(prt_durable_content_size(r), in.n);
    char piece[100];
    CHECK(prt_durable_read(r, piece, sizeof piece, &e) == PRT_OK);
    CHECK(memcmp(piece, in.p, sizeof piece) == 0);
    CHECK(prt_durable_finish(r, &e) == PRT_OK);
    /* reading past the end is refused */
    CHECK(write_file(tpath("rt"), "abc", 3, 1, &e) == PRT_OK);
    CHECK(prt_durable_open(&r, tpath("rt"), MAGIC, 1, NULL, &e) == PRT_OK);
    CHECK(prt_durable_read(r, piece, 4, &e) == PRT_ERR);
    char want[600];
    snprintf(want, sizeof want, "%s: content ends early: 4 bytes wanted, 3 left", tpath("rt"));
    CHECK_EQ_S(e.msg, want);
    prt_durable_close(r);
    /* no temp file stays behind */
    CHECK(!exists(tpath(".rt.prt-tmp")));
    prt_buf_free(&in);
    prt_buf_free(&out);
}

/* loads path and checks the reason is exactly "<path>: <want>" */
static void expect_refused(const char *path, uint32_t maxv, const char *want, int line)
{
    prt_err e = { { 0 } };
    prt_buf out = { 0 };
    char full[700];
    snprintf(full, sizeof full, "%s: %s", path, want);
    if (prt_durable_load(path, MAGIC, maxv, NULL, &out, &e) != PRT_ERR)
        TEST_FAIL("line %d: %s was accepted, expected '%s'", line, path, want);
    else if (strcmp(e.msg, full) != 0)
        TEST_FAIL("line %d: reason '%s', expected '%s'", line, e.msg, full);
    if (prt_durable_verify(path, MAGIC, maxv, &e) != PRT_ERR)
        TEST_FAIL("line %d: verify accepted %s", line, path);
    prt_buf_free(&out);
}
#define REFUSED(path, maxv, want) expect_refused(path, maxv, want, __LINE__)

TEST(corruption_refused)
{
    prt_err e = { { 0 } };
    char content[1000];
    for (size_t i = 0; i < sizeof content; i++)
        content[i] = (char)('a' + i % 26);
    char good[512], bad[512];
    snprintf(good, sizeof good, "%s", tpath("good"));
    snprintf(bad, sizeof bad, "%s", tpath("bad"));
    CHECK(write_file(good, content, sizeof content, 1, &e) == PRT_OK);
    prt_buf g = { 0 }, b = { 0 };
    CHECK(raw_read(good, &g) == 0);
    CHECK_EQ_I(g.n, 1032);
    char want[300];

    /* a flipped content byte: the CRC catches it */
    for (size_t at = 16; at < 1016; at += 333) {
        prt_buf_clear(&b);
        prt_buf_put(&b, g.p, g.n);
        b.p[at] ^= 0x20;
        raw_write(bad, b.p, b.n);
        const unsigned char *t = (const unsigned char *)g.p + 1016;
        uint32_t stored = (uint32_t)t[8] << 24 | (uint32_t)t[9] << 16 | (uint32_t)t[10] << 8 | t[11];
        uint32_t computed = (uint32_t)crc32_z(0, (const unsigned char *)b.p, 1016);
        snprintf(want, sizeof want, "bad checksum: stored %08x, computed %08x", stored, computed);
        REFUSED(bad, 1, want);
    }
    /* a flipped header byte: magic, then version */
    prt_buf_clear(&b);
    prt_buf_put(&b, g.p, g.n);
    b.p[3] = 'X';
    raw_write(bad, b.p, b.n);
    REFUSED(bad, 1, "bad magic 'PRTXEST1' (expected 'PRTTEST1')");
    b.p[3] = 0;
    raw_write(bad, b.p, b.n);
    REFUSED(bad, 1, "bad magic 'PRT\\x00EST1' (expected 'PRTTEST1')");
    /* a file of another kind */
    prt_durable_w *w;
    CHECK(prt_durable_create(&w, bad, "PRTOTHER", 1, &e) == PRT_OK);
    CHECK(prt_durable_commit(w, &e) == PRT_OK);
    REFUSED(bad, 1, "bad magic 'PRTOTHER' (expected 'PRTTEST1')");
    /* a future version, and a version 0 */
    CHECK(write_file(bad, content, sizeof content, 2, &e) == PRT_OK);
    REFUSED(bad, 1, "unsupported format version 2 (this build reads 1 to 1)");
    CHECK(prt_durable_verify(bad, MAGIC, 2, &e) == PRT_OK);
    prt_buf_clear(&b);
    prt_buf_put(&b, g.p, g.n);
    b.p[11] = 0;
    raw_write(bad, b.p, b.n);
    REFUSED(bad, 1, "unsupported format version 0 (this build reads 1 to 1)");

    /* truncation at several points */
    size_t cuts[] = { 0, 1, 15, 16, 17, 31, 32, 500, 1015, 1016, 1017, 1024, 1031 };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        size_t n = cuts[i];
        raw_write(bad, g.p, n);
        if (n < 16)
            snprintf(want, sizeof want, "truncated: %zu bytes, shorter than the 16-byte header", n);
        else if (n < 32)
            snprintf(want, sizeof want, "truncated: %zu bytes, no room for the trailer", n);
        else
            snprintf(want, sizeof want, "truncated: no trailer at the end (%zu bytes)", n);
        REFUSED(bad, 1, want);
    }
    /* bytes appended after a whole file (two writers' output glued) */
    prt_buf_clear(&b);
    prt_buf_put(&b, g.p, g.n);
    prt_buf_put(&b, g.p + 16, 16);
    prt_buf_put(&b, g.p + g.n - 16, 16); /* ends with a valid-looking trailer */
    raw_write(bad, b.p, b.n);
    REFUSED(bad, 1, "truncated: trailer says 1000 content bytes, file has 1032");
    /* a missing file */
    REFUSED(tpath("nosuch"), 1, "cannot open: No such file or directory");
    /* the good one still loads */
    CHECK(prt_durable_verify(good, MAGIC, 1, &e) == PRT_OK);
    prt_buf_free(&g);
    prt_buf_free(&b);
}

static void expect_old(const char *path, const char *old)
{
    prt_err e = { { 0 } };
    prt_buf out = { 0 };
    if (prt_durable_load(path, MAGIC, 1, NULL, &out, &e) != PRT_OK)
        TEST_FAIL("previous file lost: %s", e.msg);
    else if (out.n != strlen(old) || memcmp(out.p, old, out.n) != 0)
        TEST_FAIL("previous file changed: '%.*s'", (int)out.n, out.p);
    prt_buf_free(&out);
}

TEST(unwritable_dir)
{
    prt_err e = { { 0 } };
    char want[700];
    /* a directory path that runs through a regular file: ENOTDIR (chmod does not stop root) */
    raw_write(tpath("plain"), "x", 1);
    prt_durable_w *w;
    CHECK(prt_durable_create(&w, tpath("plain/state"), MAGIC, 1, &e) == PRT_ERR);
    CHECK(w == NULL);
    snprintf(want, sizeof want, "%s: cannot create temp file %s: Not a directory", tpath("plain/state"),
             tpath("plain/.state.prt-tmp"));
    CHECK_EQ_S(e.msg, want);
    /* a directory that does not exist */
    CHECK(prt_durable_create(&w, tpath("nodir/state"), MAGIC, 1, &e) == PRT_ERR);
    snprintf(want, sizeof want, "%s: cannot create temp file %s: No such file or directory",
             tpath("nodir/state"), tpath("nodir/.state.prt-tmp"));
    CHECK_EQ_S(e.msg, want);
}

/* a write that fails half way (file size limit: EFBIG, as a stand-in for a full disk) keeps the
 * previous file and leaves no temp file */
TEST(write_error_keeps_previous)
{
    prt_err e = { { 0 } };
    char p[512];
    snprintf(p, sizeof p, "%s", tpath("limited"));
    CHECK(write_file(p, "old content", 11, 1, &e) == PRT_OK);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = { 64 * 1024, 64 * 1024 };
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        prt_durable_w *w;
        if (prt_durable_create(&w, p, MAGIC, 1, &e) != PRT_OK)
            _exit(11);
        static char big[1 << 20];
        memset(big, 'z', sizeof big);
        int rc = prt_durable_write(w, big, sizeof big, &e);
        if (rc == PRT_OK)
            rc = prt_durable_write(w, big, sizeof big, &e);
        if (rc == PRT_OK)
            _exit(12);
        prt_durable_abort(w);
        char want[700];
        snprintf(want, sizeof want, "%s: write failed: File too large", tpath(".limited.prt-tmp"));
        _exit(strcmp(e.msg, want) == 0 ? 0 : 13);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    expect_old(p, "old content");
    CHECK(!exists(tpath(".limited.prt-tmp")));
    /* same through commit: content fits the buffer, the trailer write or flush fails */
    pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = { 100, 100 };
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(10);
        prt_durable_w *w;
        if (prt_durable_create(&w, p, MAGIC, 1, &e) != PRT_OK)
            _exit(11);
        char buf[200];
        memset(buf, 'q', sizeof buf);
        if (prt_durable_write(w, buf, sizeof buf, &e) != PRT_OK)
            _exit(12);
        if (prt_durable_commit(w, &e) == PRT_OK)
            _exit(13);
        _exit(strstr(e.msg, "File too large") ? 0 : 14);
    }
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    expect_old(p, "old content");
    CHECK(!exists(tpath(".limited.prt-tmp")));
}

/* a real full disk and a read-only file system: a small tmpfs in a private mount namespace */
TEST(enospc_and_readonly)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
            _exit(77);
        char mnt[300];
        snprintf(mnt, sizeof mnt, "%s/mnt", tdir);
        if (mkdir(mnt, 0755) != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=256k") != 0)
            _exit(77);
        prt_err e = { { 0 } };
        char p[400], want[900];
        snprintf(p, sizeof p, "%s/state", mnt);
        if (write_file(p, "old content", 11, 1, &e) != PRT_OK)
            _exit(20);
        static char big[1 << 20];
        memset(big, 'z', sizeof big);
        if (write_file(p, big, sizeof big, 1, &e) != PRT_ERR)
            _exit(21);
        snprintf(want, sizeof want, "%s/.state.prt-tmp: write failed: No space left on device", mnt);
        if (strcmp(e.msg, want) != 0) {
            fprintf(stderr, "got '%s'\n", e.msg);
            _exit(22);
        }
        prt_buf out = { 0 };
        if (prt_durable_load(p, MAGIC, 1, NULL, &out, &e) != PRT_OK || out.n != 11 || memcmp(out.p, "old content", 11))
            _exit(23);
        snprintf(want, sizeof want, "%s/.state.prt-tmp", mnt);
        if (access(want, F_OK) == 0)
            _exit(24);
        /* read-only */
        if (mount(NULL, mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL) != 0)
            _exit(25);
        if (write_file(p, "new", 3, 1, &e) != PRT_ERR)
            _exit(26);
        snprintf(want, sizeof want, "%s: cannot create temp file %s/.state.prt-tmp: Read-only file system", p, mnt);
        if (strcmp(e.msg, want) != 0) {
            fprintf(stderr, "got '%s'\n", e.msg);
            _exit(27);
        }
        if (prt_durable_load(p, MAGIC, 1, NULL, &out, &e) != PRT_OK || out.n != 11)
            _exit(28);
        prt_buf_free(&out);
        _exit(0);
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
        test_skip_why = "cannot mount a tmpfs here (needs root and mount namespaces)";
        return;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        TEST_FAIL("child status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
    rmdir(tpath("mnt"));
}

TEST(sweep)
{
    prt_err e = { { 0 } };
    raw_write(tpath(".a.prt-tmp"), "junk", 4);
    raw_write(tpath(".b.prt-tmp"), "junk", 4);
    raw_write(tpath("keep.prt-tmp"), "not ours: no leading dot", 4);
    int n = -1;
    CHECK(prt_durable_sweep(tdir, &n, &e) == PRT_OK);
    CHECK_EQ_I(n, 2);
    CHECK(!exists(tpath(".a.prt-tmp")) && !exists(tpath(".b.prt-tmp")) && exists(tpath("keep.prt-tmp")));
    unlink(tpath("keep.prt-tmp"));
    /* the next writer of a path replaces its stale temp file */
    raw_write(tpath(".c.prt-tmp"), "stale stale stale", 17);
    CHECK(write_file(tpath("c"), "new", 3, 1, &e) == PRT_OK);
    CHECK(!exists(tpath(".c.prt-tmp")));
    expect_old(tpath("c"), "new");
}

/* ---- kill -9 while rewriting ---- */

static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* version v's content: "v=<n>\n" then a pattern of v; its size grows with v */
static size_t gen_size(uint64_t v) { return 64 + (size_t)(v % 200) * 5000; }
static unsigned char gen_byte(uint64_t v, size_t i) { return (unsigned char)((v * 2654435761u + i * 40503u) >> 7); }

static void writer_child(const char *path, uint64_t v, int fd)
{
    prt_err e;
    unsigned char buf[4096];
    for (;; v++) {
        prt_durable_w *w;
        if (prt_durable_create(&w, path, MAGIC, 1, &e) != PRT_OK)
            _exit(3);
        size_t n = gen_size(v);
        int hl = snprintf((char *)buf, sizeof buf, "v=%llu\n", (unsigned long long)v);
        size_t i = (size_t)hl;
        if (prt_durable_write(w, buf, (size_t)hl, &e) != PRT_OK)
            _exit(4);
        while (i < n) {
            size_t k = n - i < sizeof buf ? n - i : sizeof buf;
            for (size_t j = 0; j < k; j++)
                buf[j] = gen_byte(v, i + j);
            if (prt_durable_write(w, buf, k, &e) != PRT_OK)
                _exit(4);
            i += k;
        }
        if (prt_durable_commit(w, &e) != PRT_OK)
            _exit(5);
        if (write(fd, &v, sizeof v) != sizeof v)
            _exit(6);
    }
}

/* 0 and *v on a whole version; a reason otherwise */
static const char *check_version(const prt_buf *b, uint64_t *v)
{
    unsigned long long x;
    int hl;
    if (b->n < 4 || sscanf(b->p, "v=%llu\n%n", &x, &hl) != 1)
        return "no version line";
    if (b->n != gen_size(x))
        return "size does not match its version";
    for (size_t i = (size_t)hl; i < b->n; i++)
        if ((unsigned char)b->p[i] != gen_byte(x, i))
            return "content is not its version's";
    *v = x;
    return NULL;
}

TEST(kill9_while_rewriting)
{
    rng_state = getenv("PRT_SEED") ? strtoull(getenv("PRT_SEED"), NULL, 10) : 20261202;
    uint64_t seed = rng_state;
    char p[512];
    snprintf(p, sizeof p, "%s", tpath("crash")); /* tpath's buffers rotate */
    prt_err e = { { 0 } };
    prt_buf out = { 0 };
    uint64_t committed = 0, next = 1; /* last version the child reported; next to start from */
    int kills = 0, temps_seen = 0, have_file = 0;
    for (int round = 0; round < 30; round++) {
        int fds[2];
        prt_assert(pipe(fds) == 0);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            writer_child(p, next, fds[1]);
        }
        close(fds[1]);
        struct timespec d = { 0, (long)(rng() % 40000) * 1000L }; /* 0..40 ms */
        nanosleep(&d, NULL);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        if (!WIFSIGNALED(st)) {
            TEST_FAIL("writer exited by itself (status %d), seed %llu", WEXITSTATUS(st), (unsigned long long)seed);
            break;
        }
        kills++;
        uint64_t v;
        while (read(fds[0], &v, sizeof v) == sizeof v)
            committed = v;
        close(fds[0]);
        temps_seen += exists(tpath(".crash.prt-tmp"));
        if (prt_durable_load(p, MAGIC, 1, NULL, &out, &e) != PRT_OK) {
            if (!have_file && committed == 0 && strstr(e.msg, "No such file"))
                continue; /* killed before the first commit */
            TEST_FAIL("round %d: %s (seed %llu)", round, e.msg, (unsigned long long)seed);
            break;
        }
        have_file = 1;
        const char *why = check_version(&out, &v);
        if (why) {
            TEST_FAIL("round %d: %s (seed %llu)", round, why, (unsigned long long)seed);
            break;
        }
        /* a commit that returned is in the file; at most one more got renamed before the kill */
        if (v < committed || v > committed + 1 || v + 1 < next) {
            TEST_FAIL("round %d: file has version %llu, last committed %llu (seed %llu)", round,
                      (unsigned long long)v, (unsigned long long)committed, (unsigned long long)seed);
            break;
        }
        committed = v;
        next = v + 1;
    }
    CHECK(kills >= 20);
    CHECK(next > 10); /* the writer made progress between kills */
    /* the next writer replaces whatever temp the last kill left */
    CHECK(write_file(p, "done", 4, 1, &e) == PRT_OK);
    CHECK(!exists(tpath(".crash.prt-tmp")));
    printf("# kill9_while_rewriting: %d kills, %llu versions written, %d kills left a temp file, seed %llu\n",
           kills, (unsigned long long)next - 1, temps_seen, (unsigned long long)seed);
    prt_buf_free(&out);
}

/* PRT_BENCH=1: write throughput of a 100 MB file */
static void bench(void)
{
    prt_err e;
    static char buf[1 << 16];
    memset(buf, 'b', sizeof buf);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    prt_durable_w *w;
    prt_assert(prt_durable_create(&w, tpath("bench"), MAGIC, 1, &e) == PRT_OK);
    for (int i = 0; i < 1600; i++)
        prt_assert(prt_durable_write(w, buf, sizeof buf, &e) == PRT_OK);
    prt_assert(prt_durable_commit(w, &e) == PRT_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("# bench durable write 100 MiB (64 KiB writes, fsync, rename): %.3f s, %.0f MB/s\n", s, 104.8576 / s);
    clock_gettime(CLOCK_MONOTONIC, &a);
    prt_assert(prt_durable_verify(tpath("bench"), MAGIC, 1, &e) == PRT_OK);
    clock_gettime(CLOCK_MONOTONIC, &b);
    s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("# bench durable verify 100 MiB (read + CRC, page cache warm): %.3f s, %.0f MB/s\n", s, 104.8576 / s);
}

int main(void)
{
    if (tdir_make("durable") != 0)
        return 1;
    RUN(round_trip);
    RUN(corruption_refused);
    RUN(unwritable_dir);
    RUN(write_error_keeps_previous);
    RUN(enospc_and_readonly);
    RUN(sweep);
    RUN(kill9_while_rewriting);
    if (getenv("PRT_BENCH"))
        bench();
    tdir_remove();
    return test_summary();
}
