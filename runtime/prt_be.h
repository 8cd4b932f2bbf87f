/* prt_be.h — big-endian integer encoding for on-disk formats (durable files, state keys).
 *
 * Big-endian so that encoded numbers sort bytewise in numeric order (RocksDB keys) and read the
 * same on every machine. Inline only; nothing here allocates or owns memory.
 */
#ifndef PRT_BE_H
#define PRT_BE_H

#include <stdint.h>

static inline void prt_be16_put(unsigned char *p, uint16_t v) { p[0] = (unsigned char)(v >> 8); p[1] = (unsigned char)v; }
static inline void prt_be32_put(unsigned char *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}
static inline void prt_be64_put(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}
static inline uint16_t prt_be16_get(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t prt_be32_get(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t prt_be64_get(const unsigned char *p)
{
    return (uint64_t)prt_be32_get(p) << 32 | prt_be32_get(p + 4);
}

#endif
