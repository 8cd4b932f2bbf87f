/* prt_hash.h — the stable key hash ("pipec key hash v1").
 *
 * Key groups, and therefore savepoints, depend on these exact values: changing them breaks every
 * savepoint. Generated code hashes a key field by field in declaration order, starting from
 * PRT_HASH_SEED, then applies prt_hash_finish. Floats hash by value (-0.0 == 0.0).
 */
#ifndef PRT_HASH_H
#define PRT_HASH_H

#include "prt_core.h"

#define PRT_HASH_SEED 0x9e3779b97f4a7c15ULL

static inline uint64_t prt_hash_finish(uint64_t h) /* murmur3 fmix64 */
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static inline uint64_t prt_hash_u64(uint64_t h, uint64_t v)
{
    return (h ^ prt_hash_finish(v + 0x632be59bd9b4e019ULL)) * 0x9fb21c651e98df25ULL;
}

static inline uint64_t prt_hash_i64(uint64_t h, int64_t v) { return prt_hash_u64(h, (uint64_t)v); }
uint64_t prt_hash_f64(uint64_t h, double v);
uint64_t prt_hash_str(uint64_t h, prt_str s);
uint64_t prt_hash_str_any(uint64_t h, prt_str s); /* the same values, never from the memo */

/* The key group of a finished hash: which of max_parallelism state shards owns the key. */
static inline uint32_t prt_key_group(uint64_t hash, uint32_t max_parallelism)
{
    return (uint32_t)(hash % max_parallelism);
}

#endif
