/* prt_codec.h — byte-level primitives of pipec's canonical state encoding (keys, accumulators,
 * engine snapshots): big-endian fixed-width integers, order-preserving signed integers, and
 * unsigned LEB128 varints. Writers append to a prt_buf; readers consume from a prt_str cursor
 * and return PRT_ERR on truncated input (never read past in->n).
 *
 * This is a persistent format (checkpoints, savepoints): changing an encoding needs a format
 * version bump. docs/savepoint-format.md describes it.
 */
#ifndef PRT_CODEC_H
#define PRT_CODEC_H

#include "prt_core.h"

static inline void prt_put_u64be(prt_buf *b, uint64_t v)
{
    unsigned char x[8];
    for (int i = 7; i >= 0; i--, v >>= 8)
        x[i] = (unsigned char)v;
    prt_buf_put(b, x, 8);
}

/* Signed integers with the sign bit flipped, so the bytes sort as the numbers do. */
static inline void prt_put_i64(prt_buf *b, int64_t v) { prt_put_u64be(b, (uint64_t)v ^ (UINT64_C(1) << 63)); }

static inline void prt_put_varint(prt_buf *b, uint64_t v)
{
    unsigned char x[10];
    int n = 0;
    do {
        x[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            x[n] |= 0x80;
        n++;
    } while (v);
    prt_buf_put(b, x, (size_t)n);
}

static inline void prt_put_bytes(prt_buf *b, prt_str s)
{
    prt_put_varint(b, s.n);
    prt_buf_put(b, s.p, s.n);
}

static inline int prt_get_u64be(prt_str *in, uint64_t *v)
{
    if (in->n < 8)
        return PRT_ERR;
    const unsigned char *p = (const unsigned char *)in->p;
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | p[i];
    *v = x;
    in->p += 8;
    in->n -= 8;
    return PRT_OK;
}

static inline int prt_get_i64(prt_str *in, int64_t *v)
{
    uint64_t u;
    if (prt_get_u64be(in, &u) != PRT_OK)
        return PRT_ERR;
    *v = (int64_t)(u ^ (UINT64_C(1) << 63));
    return PRT_OK;
}

static inline int prt_get_varint(prt_str *in, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (in->n == 0)
            return PRT_ERR;
        unsigned char c = (unsigned char)*in->p++;
        in->n--;
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = x;
            return PRT_OK;
        }
    }
    return PRT_ERR; /* more than 10 bytes */
}

/* A length-prefixed byte string; *s borrows from the input. */
static inline int prt_get_bytes(prt_str *in, prt_str *s)
{
    uint64_t n;
    if (prt_get_varint(in, &n) != PRT_OK || n > in->n)
        return PRT_ERR;
    *s = (prt_str){ in->p, (size_t)n };
    in->p += n;
    in->n -= (size_t)n;
    return PRT_OK;
}

#endif
