/* test_position.c — source positions and sink commit points (prt_job.h, prt_pos.h).
 *
 * For the file source (a glob of several files, and a followed file) and the generator: read
 * part of the input, take the position, open a fresh source, seek, read the rest; the two parts
 * together must equal one uninterrupted read exactly, at every split point. Also the encoding's
 * exact bytes, malformed and truncated blobs refused with a clear reason (and the source left
 * as it was), stdin refusing, and the file sink's prepare/commit/abort. */
#include "prt.h"
#include "prt_jobpriv.h"
#include "prt_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[256];
static prt_buf got; /* "origin:offset:data\n" per delivered record */

static int on_record(prt_worker *wk, const prt_raw *raw, int64_t *ts, prt_err *e)
{
    prt_buf_printf(&got, "%s:%lld:%.*s\n", raw->origin, (long long)raw->offset, (int)raw->data.n,
                   raw->data.p);
    return PRT_OK;
}

static prt_source_desc src_desc[1];
static prt_sink_desc snk_desc[1] = { { "out", "file", "json", NULL } };
static prt_job_desc desc;

/* A job with one source of `connector` (and one file sink "out"), settings from sets. */
static prt_job *job(const char *connector, const char *const *sets, int nsets)
{
    src_desc[0] = (prt_source_desc){ "in", connector, "raw", 0, on_record, NULL };
    memset(&desc, 0, sizeof desc);
    desc.abi = PRT_ABI_VERSION;
    desc.pipeline = "pos";
    desc.yaml_name = "pos.yaml";
    desc.sources = src_desc;
    desc.nsources = 1;
    desc.sinks = snk_desc;
    desc.nsinks = 1;
    desc.errors_sink = -1;
    return prt_job_new(&desc, sets, nsets);
}

static void write_file(const char *name, const char *text, const char *mode)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, mode);
    prt_assert(f != NULL);
    fputs(text, f);
    fclose(f);
}

/* got as a C string (stays valid until got changes) */
static const char *got_str(void)
{
    prt_buf_reserve(&got, 1);
    got.p[got.n] = '\0';
    return got.p;
}

/* Polls until n records came (n < 0: until the end, or for a followed source until a poll
 * delivers nothing). Returns the number delivered, or -1 on a poll error. */
static int read_n(prt_source *s, int n, int per_poll)
{
    int total = 0;
    for (;;) {
        int max = per_poll;
        if (n >= 0 && n - total < max)
            max = n - total;
        if (n >= 0 && max == 0)
            return total;
        int r = s->ops->poll(s, max, 0);
        if (r == PRT_ERR)
            return -1;
        if (r == PRT_SRC_EOF || r == 0)
            return total;
        total += r;
    }
}

/* ---------------------------------------------------------------- the encoding */

TEST(encoding_bytes)
{
    prt_buf b = { 0 };
    prt_pos_writer w;
    int64_t v[2] = { 3, -2 };
    prt_pos_begin(&w, &b, "kafka");
    prt_pos_put(&w, PRT_STR_LIT("t"), 2, v);
    prt_pos_end(&w);
    static const unsigned char want[] = {
        'P', 'R', 'T', 'P', 1, 5, 'k', 'a', 'f', 'k', 'a', 0, 0, 0, 1,
        0, 1, 't', 2, 0, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    };
    CHECK_EQ_I(b.n, sizeof want);
    CHECK(b.n == sizeof want && memcmp(b.p, want, sizeof want) == 0);

    prt_pos_reader r;
    prt_err e;
    prt_str name;
    int64_t out[2];
    CHECK_EQ_I(prt_pos_open(&r, b.p, b.n, "kafka", &e), PRT_OK);
    CHECK_EQ_I(prt_pos_next(&r, &name, 2, out, &e), 1);
    CHECK_EQ_PS(name, "t");
    CHECK_EQ_I(out[0], 3);
    CHECK_EQ_I(out[1], -2);
    CHECK_EQ_I(prt_pos_next(&r, &name, 2, out, &e), 0);
    /* the wrong number of values */
    CHECK_EQ_I(prt_pos_open(&r, b.p, b.n, "kafka", &e), PRT_OK);
    CHECK_EQ_I(prt_pos_next(&r, &name, 3, out, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "malformed position: entry 1 has 2 values, expected 3");
    prt_buf_free(&b);
}

/* ---------------------------------------------------------------- file */

static void glob_inputs(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/g", dir);
    mkdir(p, 0755);
    /* CRLF, empty lines (counted, skipped), a line longer than the reader's first buffer, a last
     * line without newline, an empty file, and a file the glob does not match */
    prt_buf big = { 0 };
    prt_buf_puts(&big, "big=");
    for (int i = 0; i < 100000; i++)
        prt_buf_putc(&big, (char)('a' + i % 26));
    prt_buf_puts(&big, "\n");
    prt_buf_putc(&big, '\0');
    write_file("g/a.txt", "a1\r\n\r\na3\na4\n", "w");
    write_file("g/b.txt", big.p, "w");
    write_file("g/b.txt", "b2\n\nb4", "a");
    write_file("g/c.txt", "", "w");
    write_file("g/d.txt", "d1\nd2\n", "w");
    write_file("g/skip.log", "not matched\n", "w");
    prt_buf_free(&big);
}

/* Reads the whole input in one go: the reference. */
static char *read_whole(const char *connector, const char *const *sets, int nsets)
{
    prt_buf_clear(&got);
    prt_job *j = job(connector, sets, nsets);
    prt_source *s = j ? prt_source_open(j, 0, 0, 0) : NULL;
    if (s)
        read_n(s, -1, 7);
    prt_source_close(s);
    prt_job_free(j);
    return got.n ? strndup(got.p, got.n) : strdup("");
}

/* Helpers report a failure through why; the test that called them fails with it. */
static char why[4096];
#define FAIL_WHY(...) snprintf(why, sizeof why, __VA_ARGS__)

/* Reads k records, takes the position, then a fresh source seeks there and reads the rest. The
 * concatenation must equal the whole read. Also: the position is deterministic and a seek
 * followed by a position gives the same bytes back. */
static int split_read(const char *connector, const char *const *sets, int nsets, int k, int per_poll,
                      const char *whole, const char *const *sets2, int nsets2)
{
    prt_buf pos = { 0 }, again = { 0 }, round = { 0 };
    prt_err e;
    int ok = 1;
    prt_buf_clear(&got);
    prt_job *j = job(connector, sets, nsets);
    prt_source *s = prt_source_open(j, 0, 0, 0);
    if (!s || read_n(s, k, per_poll) != k) {
        FAIL_WHY("split %d: could not read %d records", k, k);
        ok = 0;
    }
    if (ok && (s->ops->position(s, &pos, &e) != PRT_OK || s->ops->position(s, &again, &e) != PRT_OK)) {
        FAIL_WHY("split %d: position: %s", k, e.msg);
        ok = 0;
    }
    if (ok && (pos.n != again.n || memcmp(pos.p, again.p, pos.n) != 0)) {
        FAIL_WHY("split %d: two positions of the same state differ", k);
        ok = 0;
    }
    prt_source_close(s);
    prt_job_free(j);

    j = job(connector, sets2 ? sets2 : sets, sets2 ? nsets2 : nsets);
    s = ok ? prt_source_open(j, 0, 0, 0) : NULL;
    if (s && s->ops->seek(s, pos.p, pos.n, &e) != PRT_OK) {
        FAIL_WHY("split %d: seek: %s", k, e.msg);
        ok = 0;
    }
    if (ok && s && (s->ops->position(s, &round, &e) != PRT_OK || round.n != pos.n ||
                    memcmp(round.p, pos.p, pos.n) != 0)) {
        FAIL_WHY("split %d: the position after a seek is not the position sought", k);
        ok = 0;
    }
    if (ok && s)
        read_n(s, -1, per_poll);
    prt_source_close(s);
    prt_job_free(j);
    if (ok && (got.n != strlen(whole) || memcmp(got.p, whole, got.n) != 0)) {
        FAIL_WHY("split %d: read\n%.*s\nexpected\n%s", k, (int)(got.n > 2000 ? 2000 : got.n), got.p, whole);
        ok = 0;
    }
    prt_buf_free(&pos);
    prt_buf_free(&again);
    prt_buf_free(&round);
    return ok;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

TEST(file_glob_split_everywhere)
{
    glob_inputs();
    char path[512];
    snprintf(path, sizeof path, "sources.in.file.path=%s/g/*.txt", dir);
    const char *sets[] = { path };
    char *whole = read_whole("file", sets, 1);
    int n = count_lines(whole);
    CHECK_EQ_I(n, 8); /* a1 a3 a4, big b2 b4, d1 d2 */
    char want_start[600];
    snprintf(want_start, sizeof want_start, "%s/g/a.txt:1:a1\n%s/g/a.txt:3:a3\n", dir, dir);
    CHECK(strncmp(whole, want_start, strlen(want_start)) == 0);
    for (int k = 0; k <= n; k++)
        for (int per = 1; per <= 3; per += 2)
            if (!split_read("file", sets, 1, k, per, whole, NULL, 0)) {
                TEST_FAIL("%s", why);
                k = n + 1;
                break;
            }
    free(whole);
}

TEST(file_new_files_after_seek)
{
    /* a file the glob matches only after the position was taken is read after the others */
    glob_inputs();
    char path[512];
    snprintf(path, sizeof path, "sources.in.file.path=%s/g/*.txt", dir);
    const char *sets[] = { path };
    prt_buf pos = { 0 };
    prt_err e;
    prt_buf_clear(&got);
    prt_job *j = job("file", sets, 1);
    prt_source *s = prt_source_open(j, 0, 0, 0);
    CHECK_EQ_I(read_n(s, 2, 1), 2);
    CHECK_EQ_I(s->ops->position(s, &pos, &e), PRT_OK);
    prt_source_close(s);
    write_file("g/0new.txt", "n1\n", "w"); /* sorts first, appears later */
    s = prt_source_open(j, 0, 0, 0);
    CHECK_EQ_I(s->ops->seek(s, pos.p, pos.n, &e), PRT_OK);
    read_n(s, -1, 5);
    prt_source_close(s);
    prt_job_free(j);
    char *tail = strstr(got_str(), "d2\n");
    CHECK(tail != NULL && strstr(tail, "/g/0new.txt:1:n1\n") != NULL);
    CHECK_EQ_I(count_lines(got_str()), 9); /* 2 before the position, 6 after, then n1 */
    char p[512];
    snprintf(p, sizeof p, "%s/g/0new.txt", dir);
    unlink(p);
    prt_buf_free(&pos);
}

/* The followed file: read until nothing more, append, read again. */
static void follow_round(prt_source *s, int skip_first_wait)
{
    if (!skip_first_wait)
        read_n(s, -1, 2);
    write_file("f.txt", "ial\nl5\n", "a");
    read_n(s, -1, 2);
}

TEST(file_follow_split_everywhere)
{
    char path[512];
    snprintf(path, sizeof path, "sources.in.file.path=%s/f.txt", dir);
    const char *sets[] = { path, "sources.in.file.follow=true" };
    /* the whole read: l1 l2 l3 (the partial "part" waits), then after the append partial, l5 */
    write_file("f.txt", "l1\nl2\n\nl3\npart", "w");
    prt_buf_clear(&got);
    prt_job *j = job("file", sets, 2);
    prt_source *s = prt_source_open(j, 0, 0, 0);
    follow_round(s, 0);
    prt_source_close(s);
    prt_job_free(j);
    char want[2048];
    snprintf(want, sizeof want, "%s/f.txt:1:l1\n%s/f.txt:2:l2\n%s/f.txt:4:l3\n%s/f.txt:5:partial\n"
             "%s/f.txt:6:l5\n", dir, dir, dir, dir, dir);
    CHECK_EQ_S(got_str(), want);

    for (int k = 0; k <= 3; k++) {
        prt_buf pos = { 0 };
        prt_err e;
        write_file("f.txt", "l1\nl2\n\nl3\npart", "w");
        prt_buf_clear(&got);
        j = job("file", sets, 2);
        s = prt_source_open(j, 0, 0, 0);
        CHECK_EQ_I(read_n(s, k, 1), k);
        CHECK_EQ_I(s->ops->position(s, &pos, &e), PRT_OK);
        prt_source_close(s);
        s = prt_source_open(j, 0, 0, 0);
        CHECK_EQ_I(s->ops->seek(s, pos.p, pos.n, &e), PRT_OK);
        follow_round(s, 0);
        prt_source_close(s);
        prt_job_free(j);
        if (got.n != strlen(want) || memcmp(got.p, want, got.n) != 0)
            TEST_FAIL("split %d: read\n%.*s\nexpected\n%s", k, (int)got.n, got.p, want);
        prt_buf_free(&pos);
    }
    /* a position taken while the partial line waits: the append completes it after the seek */
    {
        prt_buf pos = { 0 };
        prt_err e;
        write_file("f.txt", "l1\nl2\n\nl3\npart", "w");
        prt_buf_clear(&got);
        j = job("file", sets, 2);
        s = prt_source_open(j, 0, 0, 0);
        CHECK_EQ_I(read_n(s, -1, 4), 3);
        CHECK_EQ_I(s->ops->position(s, &pos, &e), PRT_OK);
        prt_source_close(s);
        s = prt_source_open(j, 0, 0, 0);
        CHECK_EQ_I(s->ops->seek(s, pos.p, pos.n, &e), PRT_OK);
        follow_round(s, 1);
        prt_source_close(s);
        prt_job_free(j);
        if (got.n != strlen(want) || memcmp(got.p, want, got.n) != 0)
            TEST_FAIL("waiting partial line: read\n%.*s\nexpected\n%s", (int)got.n, got.p, want);
        prt_buf_free(&pos);
    }
}

TEST(file_malformed_positions)
{
    glob_inputs();
    char path[512];
    snprintf(path, sizeof path, "sources.in.file.path=%s/g/*.txt", dir);
    const char *sets[] = { path };
    char *whole = read_whole("file", sets, 1);
    prt_buf pos = { 0 };
    prt_err e;
    prt_job *j = job("file", sets, 1);
    prt_source *s = prt_source_open(j, 0, 0, 0);
    CHECK_EQ_I(read_n(s, 5, 5), 5);
    CHECK_EQ_I(s->ops->position(s, &pos, &e), PRT_OK);
    prt_source_close(s);

    /* every truncation is refused, and the source stays as it was (reads from the start) */
    s = prt_source_open(j, 0, 0, 0);
    int refused = 0;
    for (size_t n = 0; n < pos.n; n++) {
        e.msg[0] = '\0';
        if (s->ops->seek(s, pos.p, n, &e) == PRT_ERR && e.msg[0])
            refused++;
        else
            TEST_FAIL("a position cut to %zu of %zu bytes was accepted", n, pos.n);
    }
    CHECK_EQ_I(refused, pos.n);
    CHECK_EQ_I(s->ops->seek(s, pos.p, 0, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "not a source position (0 bytes without the PRTP magic)");
    CHECK_EQ_I(s->ops->seek(s, pos.p, 6, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "truncated position: 6 bytes end inside the header");
    CHECK_EQ_I(s->ops->seek(s, pos.p, 16, &e), PRT_ERR);
    /* header: 4 magic + 1 version + 1+4 "file" + 4 count = 14; the first entry starts there */
    CHECK_EQ_S(e.msg, "truncated position: entry 1 of 4 (at byte 14) ends after byte 16");
    prt_buf_putc(&pos, 0);
    CHECK_EQ_I(s->ops->seek(s, pos.p, pos.n, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "malformed position: 1 bytes after the last of 4 entries");
    pos.n--;
    pos.p[4] = 2;
    CHECK_EQ_I(s->ops->seek(s, pos.p, pos.n, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "position version 2 is not supported (this runtime reads version 1)");
    pos.p[4] = 1;
    /* another connector's position */
    prt_buf k = { 0 };
    prt_pos_writer w;
    prt_pos_begin(&w, &k, "kafka");
    prt_pos_end(&w);
    CHECK_EQ_I(s->ops->seek(s, k.p, k.n, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "position of a kafka source, not of a file source");
    /* values that cannot be: a done file after one that is not */
    prt_buf_clear(&k);
    prt_pos_begin(&w, &k, "file");
    prt_pos_put(&w, PRT_STR_LIT("x"), 3, (int64_t[]){ 4, 1, 0 });
    prt_pos_put(&w, PRT_STR_LIT("y"), 3, (int64_t[]){ 9, 2, 1 });
    prt_pos_end(&w);
    CHECK_EQ_I(s->ops->seek(s, k.p, k.n, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "malformed position: file 'y' is done but an earlier one is not");
    prt_buf_clear(&k);
    prt_pos_begin(&w, &k, "file");
    prt_pos_put(&w, PRT_STR_LIT("x"), 3, (int64_t[]){ -1, 1, 0 });
    prt_pos_end(&w);
    CHECK_EQ_I(s->ops->seek(s, k.p, k.n, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "malformed position: file 'x' at byte -1, line 1, done 0");
    prt_buf_free(&k);

    prt_buf_clear(&got);
    read_n(s, -1, 3);
    CHECK(got.n == strlen(whole) && memcmp(got.p, whole, got.n) == 0);
    prt_source_close(s);
    prt_job_free(j);
    prt_buf_free(&pos);
    free(whole);
}

/* ---------------------------------------------------------------- generator */

TEST(generator_split_everywhere)
{
    const char *sets[] = { "sources.in.generator.count=12", "sources.in.generator.rate=unlimited",
                           "sources.in.generator.seed=7", "sources.in.generator.start=1700000000000",
                           "sources.in.generator.out_of_order=3s" };
    char *whole = read_whole("generator", sets, 5);
    CHECK_EQ_I(count_lines(whole), 12);
    for (int k = 0; k <= 12; k++)
        if (!split_read("generator", sets, 5, k, 5, whole, NULL, 0)) {
            TEST_FAIL("%s", why);
            break;
        }
    /* the start came from the clock: the position restores it */
    const char *noclock[] = { "sources.in.generator.count=12", "sources.in.generator.rate=unlimited",
                              "sources.in.generator.seed=7", "sources.in.generator.out_of_order=3s" };
    if (!split_read("generator", sets, 5, 4, 3, whole, noclock, 4))
        TEST_FAIL("%s", why);
    free(whole);
}

TEST(generator_refuses)
{
    const char *sets[] = { "sources.in.generator.count=5", "sources.in.generator.rate=unlimited",
                           "sources.in.generator.start=1000" };
    prt_buf pos = { 0 };
    prt_err e;
    prt_job *j = job("generator", sets, 3);
    prt_source *s = prt_source_open(j, 0, 0, 0);
    CHECK_EQ_I(read_n(s, 3, 5), 3);
    CHECK_EQ_I(s->ops->position(s, &pos, &e), PRT_OK);
    prt_source_close(s);
    prt_job_free(j);
    const char *other[][4] = {
        { "sources.in.generator.count=5", "sources.in.generator.kind=nexmark_bid", NULL },
        { "sources.in.generator.count=5", "sources.in.generator.seed=2", NULL },
        { "sources.in.generator.count=5", "sources.in.generator.start=2000", NULL },
        { "sources.in.generator.count=2", NULL },
    };
    const char *reason[] = {
        "position of generator kind 'orders', this source generates 'nexmark_bid'",
        "position of a generator with seed 1, this source has seed 2",
        "position of a generator starting at 1000 ms, this source's start setting says 2000 ms",
        "position past the end: 3 records emitted, count is 2",
    };
    for (int i = 0; i < 4; i++) {
        int n = 0;
        while (other[i][n])
            n++;
        j = job("generator", other[i], n);
        s = prt_source_open(j, 0, 0, 0);
        CHECK_EQ_I(s->ops->seek(s, pos.p, pos.n, &e), PRT_ERR);
        CHECK_EQ_S(e.msg, reason[i]);
        prt_source_close(s);
        prt_job_free(j);
    }
    prt_buf_free(&pos);
}

/* ---------------------------------------------------------------- stdin */

TEST(stdin_has_no_position)
{
    prt_job *j = job("stdin", NULL, 0);
    prt_source *s = prt_source_open(j, 0, 0, 0);
    prt_buf b = { 0 };
    prt_err e;
    CHECK_EQ_I(s->ops->position(s, &b, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "a stdin source has no position: standard input cannot be read again");
    CHECK_EQ_I(b.n, 0);
    CHECK_EQ_I(s->ops->seek(s, "PRTP", 4, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "a stdin source cannot seek: standard input cannot be read again");
    prt_source_close(s);
    prt_job_free(j);
}

/* ---------------------------------------------------------------- sinks */

static const char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    if (!f)
        return "(missing)";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

TEST(file_sink_commit_point)
{
    char path[512], set[600];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    snprintf(set, sizeof set, "sinks.out.file.path=%s", path);
    const char *sets[] = { set, "sources.in.generator.count=1" };
    prt_job *j = job("generator", sets, 2);
    prt_sink *k = prt_sink_open(j, 0);
    CHECK(k != NULL);
    CHECK_EQ_I(k->ops->write(k, PRT_STR_LIT(""), PRT_STR_LIT("r1"), PRT_NO_TS), PRT_OK);
    CHECK_EQ_S(slurp(path), ""); /* buffered */
    CHECK_EQ_I(k->ops->prepare(k, 1), PRT_OK);
    CHECK_EQ_S(slurp(path), "r1\n");
    CHECK_EQ_I(k->ops->commit(k, 1), PRT_OK);
    CHECK_EQ_I(k->ops->write(k, PRT_STR_LIT(""), PRT_STR_LIT("r2"), PRT_NO_TS), PRT_OK);
    CHECK_EQ_I(k->ops->prepare(k, 2), PRT_OK);
    CHECK_EQ_I(k->ops->abort(k, 2), PRT_OK);
    CHECK_EQ_S(slurp(path), "r1\nr2\n"); /* a plain file cannot take lines back */
    prt_sink_close(k);

    if (access("/dev/full", W_OK) == 0) {
        const char *full[] = { "sinks.out.file.path=/dev/full" };
        prt_job_free(j);
        j = job("generator", full, 1);
        k = prt_sink_open(j, 0);
        CHECK_EQ_I(k->ops->write(k, PRT_STR_LIT(""), PRT_STR_LIT("r1"), PRT_NO_TS), PRT_OK);
        fflush(stderr);
        int saved = dup(2), null = open("/dev/null", O_WRONLY);
        dup2(null, 2); /* the sink's one-line reason */
        close(null);
        CHECK_EQ_I(k->ops->prepare(k, 1), PRT_ERR);
        CHECK_EQ_I(k->ops->commit(k, 1), PRT_ERR);
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        prt_sink_close(k);
    }
    prt_job_free(j);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/prt_test_pos.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(encoding_bytes);
    RUN(file_glob_split_everywhere);
    RUN(file_new_files_after_seek);
    RUN(file_follow_split_everywhere);
    RUN(file_malformed_positions);
    RUN(generator_split_everywhere);
    RUN(generator_refuses);
    RUN(stdin_has_no_position);
    RUN(file_sink_commit_point);
    prt_buf_free(&got);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (!test_failures && system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    return test_summary();
}
