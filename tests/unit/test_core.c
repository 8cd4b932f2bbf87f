/* test_core.c — unit tests of prt_core (strings, buffers, scratch, errors, panics) and of the
 * key hash's pinned test vectors ("pipec key hash v1": a failure here breaks savepoints).
 */
#include "prt_core.h"
#include "prt_hash.h"
#include "prt_test.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

TEST(str_basics)
{
    prt_str a = PRT_STR_LIT("abc");
    CHECK_EQ_I(a.n, 3);
    CHECK(prt_str_eq(a, prt_str_c("abc")));
    CHECK(!prt_str_eq(a, prt_str_c("abd")));
    CHECK(!prt_str_eq(a, prt_str_c("ab")));
    CHECK(prt_str_eq(prt_str_c(NULL), PRT_STR_LIT("")));
    CHECK_EQ_I(prt_str_c(NULL).n, 0);
}

TEST(str_cmp)
{
    CHECK_EQ_I(prt_str_cmp(PRT_STR_LIT("a"), PRT_STR_LIT("a")), 0);
    CHECK_EQ_I(prt_str_cmp(PRT_STR_LIT(""), PRT_STR_LIT("")), 0);
    CHECK_EQ_I(prt_str_cmp((prt_str){ NULL, 0 }, PRT_STR_LIT("")), 0);
    CHECK(prt_str_cmp(PRT_STR_LIT("a"), PRT_STR_LIT("b")) < 0);
    CHECK(prt_str_cmp(PRT_STR_LIT("b"), PRT_STR_LIT("a")) > 0);
    CHECK(prt_str_cmp(PRT_STR_LIT("ab"), PRT_STR_LIT("abc")) < 0);
    CHECK(prt_str_cmp(PRT_STR_LIT("abc"), PRT_STR_LIT("ab")) > 0);
    CHECK(prt_str_cmp(PRT_STR_LIT(""), PRT_STR_LIT("a")) < 0);
    CHECK(prt_str_cmp(PRT_STR_LIT("\xff"), PRT_STR_LIT("a")) > 0); /* unsigned bytes */
    CHECK(prt_str_cmp(PRT_STR_LIT("B"), PRT_STR_LIT("a")) < 0);    /* bytes, not locale */
}

TEST(buf_put)
{
    prt_buf b = { 0 };
    prt_buf_putc(&b, 'x');
    prt_buf_puts(&b, "yz");
    prt_buf_put(&b, "0123", 2);
    prt_buf_put(&b, NULL, 0);
    CHECK_EQ_PS(prt_buf_str(&b), "xyz01");
    prt_buf_clear(&b);
    CHECK_EQ_I(b.n, 0);
    CHECK_EQ_PS(prt_buf_str(&b), "");
    prt_buf_free(&b);
    CHECK(b.p == NULL && b.n == 0 && b.cap == 0);
    prt_buf_free(&b); /* twice is fine */
}

TEST(buf_grows_geometrically)
{
    prt_buf b = { 0 };
    int reallocs = 0;
    size_t lastcap = 0;
    for (int i = 0; i < 1000000; i++) {
        prt_buf_putc(&b, (char)('a' + i % 26));
        if (b.cap != lastcap) {
            reallocs++;
            CHECK(b.cap >= 2 * lastcap);
            lastcap = b.cap;
        }
    }
    CHECK_EQ_I(b.n, 1000000);
    CHECK(reallocs < 20);
    CHECK(b.p[999999] == (char)('a' + 999999 % 26));
    prt_buf_reserve(&b, 0);
    size_t cap = b.cap;
    prt_buf_reserve(&b, b.cap - b.n); /* fits exactly: no growth */
    CHECK_EQ_I(b.cap, cap);
    prt_buf_free(&b);
}

TEST(buf_printf)
{
    prt_buf b = { 0 };
    prt_buf_printf(&b, "%d-%s", 42, "x");
    CHECK_EQ_PS(prt_buf_str(&b), "42-x");
    char big[1000];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = 0;
    prt_buf_printf(&b, "[%s]", big); /* longer than the spare capacity */
    CHECK_EQ_I(b.n, 4 + 1001);
    CHECK(b.p[4] == '[' && b.p[b.n - 1] == ']' && b.p[500] == 'q');
    prt_buf_printf(&b, "%s", "");
    CHECK_EQ_I(b.n, 1005);
    prt_buf_free(&b);
    prt_buf_printf(&b, "%s", ""); /* on an empty buffer */
    CHECK_EQ_I(b.n, 0);
    prt_buf_printf(&b, "%05.1f", 2.5);
    CHECK_EQ_PS(prt_buf_str(&b), "002.5");
    prt_buf_free(&b);
}

TEST(scratch_alignment)
{
    prt_scratch s = { 0 };
    for (size_t n = 0; n < 100; n++) {
        char *p = prt_scratch_alloc(&s, n);
        CHECK(p != NULL);
        CHECK_EQ_I((uintptr_t)p % 8, 0);
        memset(p, 0xab, n);
    }
    prt_scratch_free(&s);
    CHECK(s.p == NULL && s.old == NULL);
}

TEST(scratch_chains_and_keeps_largest)
{
    prt_scratch s = { 0 };
    /* earlier allocations stay valid while the scratch grows */
    char *ptrs[200];
    for (int i = 0; i < 200; i++) {
        ptrs[i] = prt_scratch_alloc(&s, 1000);
        memset(ptrs[i], i, 1000);
    }
    CHECK(s.old != NULL);
    int ok = 1;
    for (int i = 0; i < 200; i++)
        for (int k = 0; k < 1000; k++)
            ok &= ptrs[i][k] == (char)i;
    CHECK(ok);
    size_t cap = s.cap;
    char *block = s.p;
    CHECK(cap >= 200 * 1000 / 2);
    prt_scratch_reset(&s);
    CHECK(s.old == NULL);
    CHECK_EQ_I(s.n, 0);
    CHECK_EQ_I(s.cap, cap);
    /* the same volume again fits in the kept block: no new allocation */
    for (int i = 0; i < 100; i++)
        prt_scratch_alloc(&s, 1000);
    CHECK(s.p == block);
    CHECK(s.old == NULL);
    /* a single huge allocation */
    char *big = prt_scratch_alloc(&s, 10u << 20);
    memset(big, 1, 10u << 20);
    CHECK(s.cap >= 10u << 20);
    prt_scratch_reset(&s);
    prt_scratch_free(&s);
}

TEST(scratch_copy)
{
    prt_scratch s = { 0 };
    char src[] = "hello";
    prt_str c = prt_scratch_copy(&s, prt_str_c(src));
    src[0] = 'j';
    CHECK_EQ_PS(c, "hello");
    CHECK(c.p[5] == 0);
    prt_str e = prt_scratch_copy(&s, (prt_str){ NULL, 0 });
    CHECK_EQ_I(e.n, 0);
    CHECK(e.p != NULL);
    prt_scratch_free(&s);
}

TEST(errf)
{
    prt_err e;
    CHECK_EQ_I(prt_errf(&e, "bad %s at %d", "thing", 7), PRT_ERR);
    CHECK_EQ_S(e.msg, "bad thing at 7");
    char longs[600];
    memset(longs, 'x', sizeof longs - 1);
    longs[sizeof longs - 1] = 0;
    prt_errf(&e, "%s", longs); /* truncated, still terminated */
    CHECK_EQ_I(strlen(e.msg), sizeof e.msg - 1);
    CHECK_EQ_I(prt_errf(NULL, "ignored"), PRT_ERR);
}

TEST(str_dup)
{
    char src[] = "key";
    prt_str d = prt_str_dup(prt_str_c(src));
    src[0] = 'x';
    CHECK_EQ_PS(d, "key");
    prt_str_release(&d);
    CHECK(d.p == NULL && d.n == 0);
    prt_str z = prt_str_dup((prt_str){ NULL, 0 });
    CHECK(z.p != NULL && z.n == 0);
    prt_str_release(&z);
}

/* A function's string state set to a new value, to its own value and to a part of it (the copy
 * is made before the old bytes go: ASan's build would see a use after free). */
TEST(str_replace)
{
    prt_str s = { NULL, 0 };
    prt_str_replace(&s, PRT_STR_LIT("first"));
    CHECK_EQ_PS(s, "first");
    prt_str_replace(&s, s);
    CHECK_EQ_PS(s, "first");
    prt_str_replace(&s, (prt_str){ s.p + 1, 3 });
    CHECK_EQ_PS(s, "irs");
    prt_str_replace(&s, (prt_str){ NULL, 0 });
    CHECK(s.p != NULL && s.n == 0);
    prt_str_release(&s);
}

/* Runs fn in a child; returns its stderr and whether it died of SIGABRT. */
static int run_child(void (*fn)(void), char *out, size_t outn)
{
    int fds[2];
    if (pipe(fds))
        return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn();
        _exit(0);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < outn && (r = read(fds[0], out + n, outn - 1 - n)) > 0)
        n += (size_t)r;
    out[n] = 0;
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void do_panic(void) { prt_panic("x.c", 12, "bad state"); }
static void do_assert(void) { int zero = 0; prt_assert(zero == 1); }

TEST(panic)
{
    char out[4096];
    CHECK_EQ_I(run_child(do_panic, out, sizeof out), 1);
    CHECK(strstr(out, "x.c:12: internal error: bad state\n") != NULL);
    CHECK_EQ_I(run_child(do_assert, out, sizeof out), 1);
    CHECK(strstr(out, "test_core.c:") != NULL);
    CHECK(strstr(out, ": internal error: zero == 1") != NULL);
}

static uint64_t hs(const char *s) { return prt_hash_finish(prt_hash_str(PRT_HASH_SEED, prt_str_c(s))); }
static uint64_t hf(double v) { return prt_hash_finish(prt_hash_f64(PRT_HASH_SEED, v)); }
static uint64_t hi(int64_t v) { return prt_hash_finish(prt_hash_i64(PRT_HASH_SEED, v)); }

/* Pinned values of "pipec key hash v1" (cross-checked with an independent implementation).
 * Never update these to make a failing build pass: savepoints depend on them. */
TEST(hash_v1_vectors)
{
    CHECK(hs("") == 0xe016ffc5d804353bULL);
    CHECK(hs("a") == 0xa8b7cc98f3b6052eULL);
    CHECK(hs("abcdefg") == 0x063258e7ec5bc240ULL);
    CHECK(hs("abcdefgh") == 0x110c8d1787da2ad7ULL);
    CHECK(hs("abcdefghi") == 0xebecd05ff4088dd0ULL);
    CHECK(hs("hello, world") == 0xc372d187f605e3bcULL);
    CHECK(hs("CANCELLED") == 0xb6dfa26042f6bfe9ULL);
    CHECK(hs("\xc3\xa9t\xc3\xa9") == 0x464659e2e30826e5ULL);
    CHECK(hf(0.0) == 0xe016ffc5d804353bULL);
    CHECK(hf(1.0) == 0x0d87c24995c7ce1bULL);
    CHECK(hf(-1.5) == 0xd5cedf0c77b9f083ULL);
    CHECK(hf(1e300) == 0x4a81e833a7131001ULL);
    CHECK(hf(NAN) == 0xa019c90dc4ee0cc5ULL);
    CHECK(hi(0) == 0xe016ffc5d804353bULL);
    CHECK(hi(1) == 0x8bf925e7cb7da649ULL);
    CHECK(hi(-1) == 0x99f42f7d795752e7ULL);
    CHECK(hi(42) == 0xe08aad49b7255584ULL);
    CHECK(hi(INT64_MIN) == 0x90d9064ba6196234ULL);
    CHECK(hi(INT64_MAX) == 0x8ac1c0a16f993f65ULL);
    uint64_t h = PRT_HASH_SEED;
    h = prt_hash_str(h, PRT_STR_LIT("eu"));
    h = prt_hash_i64(h, 7);
    h = prt_hash_f64(h, 2.5);
    CHECK(prt_hash_finish(h) == 0x802961cf225581c6ULL);
    CHECK_EQ_I(prt_key_group(prt_hash_finish(h), 128), 0x802961cf225581c6ULL % 128);
}

TEST(hash_f64_normalizes)
{
    CHECK(hf(-0.0) == hf(0.0));
    double qnan = NAN, negnan = -NAN;
    uint64_t bits = 0x7ff0000000000001ULL; /* a signalling NaN pattern */
    double snan;
    memcpy(&snan, &bits, sizeof snan);
    CHECK(hf(negnan) == hf(qnan));
    CHECK(hf(snan) == hf(qnan));
    CHECK(hf(1.0) != hf(-1.0));
    CHECK(hf(5e-324) != hf(0.0));
}

TEST(hash_str_properties)
{
    /* the length is hashed first: zero padding does not make these collide */
    CHECK(prt_hash_str(PRT_HASH_SEED, PRT_STR_LIT("a")) != prt_hash_str(PRT_HASH_SEED, (prt_str){ "a\0", 2 }));
    CHECK(hs("ab") != hs("ba"));
    /* independent of the alignment of the bytes */
    char buf[32];
    memcpy(buf + 3, "abcdefghi", 9);
    CHECK(prt_hash_finish(prt_hash_str(PRT_HASH_SEED, (prt_str){ buf + 3, 9 })) == 0xebecd05ff4088dd0ULL);
    /* field order matters */
    uint64_t h1 = prt_hash_str(prt_hash_str(PRT_HASH_SEED, PRT_STR_LIT("x")), PRT_STR_LIT("y"));
    uint64_t h2 = prt_hash_str(prt_hash_str(PRT_HASH_SEED, PRT_STR_LIT("y")), PRT_STR_LIT("x"));
    CHECK(h1 != h2);
}

/* The byte-by-byte definition of prt_hash_str, as v1 specifies it: the word reads of the
 * little-endian fast path must give exactly these values. */
static uint64_t hash_str_ref(uint64_t h, const unsigned char *p, size_t n)
{
    h = prt_hash_u64(h, (uint64_t)n);
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = 0;
        for (size_t k = (n - i < 8 ? n - i : 8); k > 0; k--)
            w = w << 8 | p[i + k - 1];
        h = prt_hash_u64(h, w);
    }
    return h;
}

TEST(hash_str_words_match_bytes)
{
    unsigned char buf[80];
    uint64_t x = 88172645463325252ULL;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof buf; i++) { /* xorshift bytes, high bits included */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[i] = (unsigned char)x;
        }
        for (size_t off = 0; off < 8; off++)
            for (size_t n = 0; off + n <= 72; n++)
                CHECK(prt_hash_str(PRT_HASH_SEED, (prt_str){ (const char *)buf + off, n }) ==
                      hash_str_ref(PRT_HASH_SEED, buf + off, n));
    }
}

/* prt_hash_str's memo of short strings: every answer equals prt_hash_str_any's, for strings of a
 * small alphabet (many repeats: memo hits; many alike: same slot, same loads but another length,
 * another running hash, a byte changed in the middle), each in a buffer of its exact size (ASan:
 * the overlapping loads stay inside it). */
TEST(hash_str_memo_matches)
{
    uint64_t x = 0x2545f4914f6cdd1dULL;
    static const uint64_t hs_in[] = { PRT_HASH_SEED, 0, 1, 0x802961cf225581c6ULL };
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = (size_t)(x % 21);
        char *p = malloc(n ? n : 1);
        for (size_t k = 0; k < n; k++)
            p[k] = "ab\0\xff"[(x >> (8 + 2 * (k % 24))) % 4];
        uint64_t h = hs_in[(x >> 60) % 4];
        prt_str s = { p, n };
        uint64_t want = prt_hash_str_any(h, s);
        if (prt_hash_str(h, s) != want || prt_hash_str(h, s) != want) { /* a miss, then a hit */
            free(p);
            TEST_FAIL("length %zu differs", n);
            return;
        }
        free(p);
    }
}

/* prt_str_eq's inline compare of up to 8 bytes: a difference at any one position of strings of
 * length 0..20 is seen, equal bytes at other addresses are equal. */
TEST(str_eq_every_position)
{
    char a[24], b[24];
    for (size_t n = 0; n <= 20; n++) {
        for (size_t i = 0; i < n; i++)
            a[i] = b[i] = (char)('a' + (i * 7) % 26);
        CHECK(prt_str_eq((prt_str){ a, n }, (prt_str){ b, n }));
        for (size_t i = 0; i < n; i++) {
            b[i] ^= (char)(1 << (i % 8));
            CHECK(!prt_str_eq((prt_str){ a, n }, (prt_str){ b, n }));
            b[i] = a[i];
        }
        if (n)
            CHECK(!prt_str_eq((prt_str){ a, n }, (prt_str){ b, n - 1 }));
    }
}

int main(void)
{
    RUN(str_basics);
    RUN(str_eq_every_position);
    RUN(str_cmp);
    RUN(buf_put);
    RUN(buf_grows_geometrically);
    RUN(buf_printf);
    RUN(scratch_alignment);
    RUN(scratch_chains_and_keeps_largest);
    RUN(scratch_copy);
    RUN(errf);
    RUN(str_dup);
    RUN(str_replace);
    RUN(panic);
    RUN(hash_v1_vectors);
    RUN(hash_f64_normalizes);
    RUN(hash_str_properties);
    RUN(hash_str_words_match_bytes);
    RUN(hash_str_memo_matches);
    return test_summary();
}
