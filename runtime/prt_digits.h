/* prt_digits.h — the 16 decimal digits of x < 10^16 (leading zeros included), most significant
 * first, without a division per digit: for the shortest float digits of prt_scalar.c.
 *
 * Both versions split x into groups and each group into halves with a multiply and a shift
 * instead of a division, all groups at once ("lanes" of one word or one SSE2 register):
 * 10^8 -> two groups of 4 digits -> four of 2 -> eight of 1 per 8 digits. The quotients used,
 * each exact over the whole range it is applied to (checked for every value in
 * test_scalar_fast's digits16 case):
 *   x / 10^4 = (x * 0xd1b71759) >> 45   for x < 10^8
 *   v / 100  = (v * 10486) >> 20        for v < 10^4 (64-bit lanes)  or (v * 5243) >> 19 (16-bit)
 *   u / 10   = (u * 103) >> 10          for u < 100 (64-bit lanes)   or (u * 6554) >> 16 (16-bit)
 * Each returns the count of trailing '0' digits, 0..16.
 */
#ifndef PRT_DIGITS_H
#define PRT_DIGITS_H

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "prt_digits.h: prt_digits16_swar stores the first digit in a word's low byte (little-endian)"
#endif

/* The 8 digits of x < 10^8 as the bytes of a little-endian word, most significant first, each
 * 0..9 (not yet ASCII): x / 10^4 and x % 10^4 in two 32-bit lanes, then each lane's / 100 and
 * % 100 in four 16-bit lanes, then one digit a byte. The products (below 2^27 and 2^14) stay
 * inside their lanes, and the mask drops what the shift brings down from the next lane. */
static inline uint64_t prt_digits8_swar(uint32_t x)
{
    uint64_t w = (x / 10000) | ((uint64_t)(x % 10000) << 32);
    uint64_t q = ((w * 10486) >> 20) & UINT64_C(0x0000007F0000007F);
    w = q | ((w - q * 100) << 16);
    q = ((w * 103) >> 10) & UINT64_C(0x000F000F000F000F);
    return q | ((w - q * 10) << 8);
}

static inline int prt_digits16_swar(uint64_t x, char out[16])
{
    uint64_t hi = x / 100000000;
    uint64_t a = prt_digits8_swar((uint32_t)hi), b = prt_digits8_swar((uint32_t)(x - hi * 100000000));
    int tz = b ? __builtin_clzll(b) / 8 : a ? 8 + __builtin_clzll(a) / 8 : 16;
    a |= UINT64_C(0x3030303030303030);
    b |= UINT64_C(0x3030303030303030);
    memcpy(out, &a, 8);
    memcpy(out + 8, &b, 8);
    return tz;
}

#ifdef __SSE2__
/* The same steps on both 8-digit halves at once: two 64-bit lanes, then 4 x 32, 8 x 16, 16 x 8. */
static inline int prt_digits16_sse2(uint64_t x, char out[16])
{
    uint64_t hi = x / 100000000;
    __m128i v = _mm_set_epi64x((long long)(x - hi * 100000000), (long long)hi); /* lane 0: the first 8 */
    __m128i q = _mm_srli_epi64(_mm_mul_epu32(v, _mm_set1_epi32((int)0xd1b71759)), 45);
    v = _mm_sub_epi64(v, _mm_mul_epu32(q, _mm_set1_epi32(10000)));
    v = _mm_or_si128(q, _mm_slli_epi64(v, 32));
    q = _mm_srli_epi16(_mm_mulhi_epu16(v, _mm_set1_epi16(5243)), 3);
    v = _mm_sub_epi16(v, _mm_mullo_epi16(q, _mm_set1_epi16(100)));
    v = _mm_or_si128(q, _mm_slli_epi32(v, 16));
    q = _mm_mulhi_epu16(v, _mm_set1_epi16(6554));
    v = _mm_sub_epi16(v, _mm_mullo_epi16(q, _mm_set1_epi16(10)));
    v = _mm_or_si128(q, _mm_slli_epi16(v, 8));
    unsigned zeros = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_setzero_si128())); /* bit i: digit i is 0 */
    _mm_storeu_si128((__m128i *)(void *)out, _mm_add_epi8(v, _mm_set1_epi8('0')));
    return zeros == 0xFFFF ? 16 : __builtin_clz(~zeros & 0xFFFF) - 16;
}
#define prt_digits16 prt_digits16_sse2
#else
#define prt_digits16 prt_digits16_swar
#endif

#endif
