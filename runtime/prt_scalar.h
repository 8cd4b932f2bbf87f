/* prt_scalar.h — text <-> typed scalar conversions used by every format.
 *
 * Parsers return PRT_OK or PRT_ERR; they never allocate and accept surrounding spaces.
 * Writers append to a prt_buf. Output is deterministic and locale-independent.
 */
#ifndef PRT_SCALAR_H
#define PRT_SCALAR_H

#include "prt_core.h"

#define PRT_TS_MIN INT64_MIN
#define PRT_TS_MAX INT64_MAX

/* decimal, optional sign, range-checked; inline for 1..18 plain digits (which cannot overflow),
 * the usual field, else prt_parse_int_general */
int prt_parse_int_general(prt_str s, int64_t *out);
static inline int prt_parse_int(prt_str s, int64_t *out)
{
    if (s.n && s.n <= 18) {
        uint64_t v = 0;
        size_t i = 0;
        for (; i < s.n && (unsigned)(s.p[i] - '0') <= 9; i++)
            v = v * 10 + (uint64_t)(s.p[i] - '0');
        if (i == s.n) {
            *out = (int64_t)v;
            return PRT_OK;
        }
    }
    return prt_parse_int_general(s, out);
}
int prt_parse_float(prt_str s, double *out);   /* decimal/exponent; also accepts integers; no nan/inf */
int prt_parse_bool(prt_str s, int *out);       /* true|false (case-insensitive) */
/* RFC 3339 (`2024-05-23T12:34:56Z`, `…56.250Z`, `…56+02:00`, lowercase t/z, space instead of T)
 * or an integer of epoch milliseconds. Result: ms since the epoch, UTC. */
int prt_parse_ts(prt_str s, int64_t *out);

void prt_fmt_int(prt_buf *b, int64_t v);
/* Shortest text that reads back to the same double; integral values keep a ".0" (`42.0`);
 * non-finite values are written as `null` by JSON and as `nan`/`inf`/`-inf` elsewhere. */
void prt_fmt_float(prt_buf *b, double v);
void prt_fmt_bool(prt_buf *b, int v);
/* RFC 3339 UTC with `Z`; milliseconds only when not zero: `2024-05-23T12:34:56Z`, `…56.250Z`. */
void prt_fmt_ts(prt_buf *b, int64_t ms);

#endif
