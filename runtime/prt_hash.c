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
uint64_t prt_hash_str(uint64_t h, prt_str s)
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
