/* prt_hash.c — "pipec key hash v1": the stable hash of key fields.
 *
 * Savepoints store keyed state by key group (prt_key_group of this hash), so these values are a
 * persistent format: they must be identical on every platform and in every release. Any change
 * here needs a new version name, a savepoint format bump and migration; tests/unit/test_core.c
 * pins test vectors. Bytes are assembled explicitly (little-endian), never read as words.
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

/* The length, then 8-byte little-endian words, the last one zero-padded. */
uint64_t prt_hash_str(uint64_t h, prt_str s)
{
    const unsigned char *p = (const unsigned char *)s.p;
    h = prt_hash_u64(h, (uint64_t)s.n);
    size_t i = 0;
    for (; i + 8 <= s.n; i += 8) {
        uint64_t w = 0;
        for (int k = 7; k >= 0; k--)
            w = w << 8 | p[i + (size_t)k];
        h = prt_hash_u64(h, w);
    }
    if (i < s.n) {
        uint64_t w = 0;
        for (size_t k = s.n; k > i; k--)
            w = w << 8 | p[k - 1];
        h = prt_hash_u64(h, w);
    }
    return h;
}
