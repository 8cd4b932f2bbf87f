/* prt_distinct.h — exact distinct counting for count_distinct(): a set of 64-bit value patterns
 * (ints, timestamps, bools, float bits) and a set of strings (owned copies). Merge is set union.
 *
 * The struct is embedded in generated accumulators: zero-initialized it is the empty set, and
 * prt_distinct_clear frees what it holds. Its canonical encoding (for checkpoints and savepoints)
 * lists the values in sorted order, so equal sets encode to equal bytes.
 */
#ifndef PRT_DISTINCT_H
#define PRT_DISTINCT_H

#include "prt_core.h"

typedef struct prt_distinct {
    uint64_t *u;    /* u64 set; 0 marks an empty slot, the value 0 lives in has_zero */
    size_t umask, un;
    int has_zero;
    struct prt_dstr *s; /* string set */
    size_t smask, sn;
} prt_distinct;

void prt_distinct_add_u64(prt_distinct *d, uint64_t bits);
/* The pattern a float is counted by: -0.0 and 0.0 are one value. */
static inline uint64_t prt_f64_distinct_bits(double v)
{
    uint64_t bits;
    if (v == 0.0)
        v = 0.0;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}
void prt_distinct_add_str(prt_distinct *d, prt_str s); /* copies s when new */
void prt_distinct_merge(prt_distinct *dst, const prt_distinct *src);
uint64_t prt_distinct_count(const prt_distinct *d);
void prt_distinct_clear(prt_distinct *d); /* frees the contents; d is the empty set after */

/* Canonical form: varint count of values, each as 8 big-endian bytes in ascending order; then
 * varint count of strings, each length-prefixed, in prt_str_cmp order. */
void prt_distinct_encode(const prt_distinct *d, prt_buf *out);
/* Adds the values encoded at *in (consumed) to d; PRT_ERR on malformed input. */
int prt_distinct_decode(prt_distinct *d, prt_str *in);

#endif
