/* prt_hash.c — "pipec key hash v1": the stable hash of key fields.
 *
 * Savepoints store keyed state by key group (prt_key_group of this hash), so these values are a
 * persistent format: they must be identical on every platform and in every release. Any change
 * here needs a new version name, a savepoint format bump and migration; tests/unit/test_core.c
 * pins test vectors. Bytes are taken as little-endian words: on a little-endian host read as
 * words (the same values, fewer instructions), elsewhere assembled byte by byte.
 */
#include "prt_hash.h"

#include <math.h>

uint64_t prt_hash_f64(uint64_t h, double v)
{
    uint64_t bits;
    if (v == 0)
        v = 0.0; /* -0.0 == 0.0, so they must hash alike */
    if (isnan(v))
        bits = 0x7ff8000000000000ULL; /* every NaN hashes as the canonical quiet NaN */
    else
        memcpy(&bits, &v, sizeof bits);
    return prt_hash_u64(h, bits);
}

/* The 1 to 7 bytes p[0..n) as the low bytes of a little-endian word, the rest zero. */
static inline uint64_t tail_word(const unsigned char *p, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* on a little-endian host a word copied from memory already has that layout: at most
     * three loads (4, 2 and 1 bytes) instead of a shift per byte */
    uint64_t w = 0;
    size_t k = 0;
    if (n & 4) {
        uint32_t x;
        memcpy(&x, p, 4);
        w = x;
        k = 4;
    }
    if (n & 2) {
        uint16_t x;
        memcpy(&x, p + k, 2);
        w |= (uint64_t)x << (8 * k);
        k += 2;
    }
    if (n & 1)
        w |= (uint64_t)p[k] << (8 * k);
    return w;
#else
    uint64_t w = 0;
    for (size_t k = n; k > 0; k--)
        w = w << 8 | p[k - 1];
    return w;
#endif
}

static inline uint64_t full_word(const unsigned char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
#else
    uint64_t w = 0;
    for (int k = 7; k >= 0; k--)
        w = w << 8 | p[k];
    return w;
#endif
}

/* The length, then 8-byte little-endian words, the last one zero-padded. */
uint64_t prt_hash_str_any(uint64_t h, prt_str s)
{
    const unsigned char *p = (const unsigned char *)s.p;
    h = prt_hash_u64(h, (uint64_t)s.n);
    size_t i = 0;
    for (; i + 8 <= s.n; i += 8)
        h = prt_hash_u64(h, full_word(p + i));
    if (i < s.n)
        h = prt_hash_u64(h, tail_word(p + i, s.n - i));
    return h;
}

/* Keys are mostly few and short (a status, a region, a currency): the results for strings of 1 to
 * 16 bytes are kept in a small direct-mapped memo per thread, found by two loads and three
 * compares instead of two or three mixes. A string of such a length is identified by its length
 * and two overlapping loads: its first and last 8 bytes (8..16), first and last 4 (4..7), or its
 * first, middle and last byte (1..3). */
typedef struct hash_memo {
    uint64_t in, a, b; /* the running hash given, the two loads */
    uint64_t n;        /* the length + 1; 0: empty */
    uint64_t out;
} hash_memo;
#define HASH_MEMO_BITS 4
static _Thread_local hash_memo hash_memo_tl[1 << HASH_MEMO_BITS];

/* Apart, so that the memo's hit needs no saved registers. */
__attribute__((noinline)) static uint64_t hash_memo_miss(hash_memo *m, uint64_t h, prt_str s, uint64_t a, uint64_t b)
{
    uint64_t r = prt_hash_str_any(h, s);
    *m = (hash_memo){ h, a, b, s.n + 1, r };
    return r;
}

uint64_t prt_hash_str(uint64_t h, prt_str s)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t n = s.n;
    if (n - 1 >= 16) /* empty, or longer than 16 bytes */
        return prt_hash_str_any(h, s);
    uint64_t a, b;
    if (n >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + n - 4, 4);
        a = x;
        b = y;
    } else {
        a = (uint64_t)p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16;
        b = 0;
    }
    hash_memo *m = &hash_memo_tl[((a + n) * 0x9e3779b97f4a7c15ULL) >> (64 - HASH_MEMO_BITS)];
    if (m->n == n + 1 && m->a == a && m->b == b && m->in == h)
        return m->out;
    return hash_memo_miss(m, h, s, a, b);
}
