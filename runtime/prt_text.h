/* prt_text.h — the one grammar of durations, integers, booleans, decimal numbers and timestamps.
 *
 * Compiled into the runtime (settings, --set, record fields) and into pipec (configure links
 * this file into both), so `pipec check` accepts exactly what a pipeline binary accepts at run
 * time. Dependency-free on purpose: libc's <stddef.h> and <stdint.h> only, no prt_core.
 *
 * Every parser takes a slice (s, n), ignores ASCII white space around the value, never
 * allocates, and returns PRT_TEXT_OK or why the text was refused.
 */
#ifndef PRT_TEXT_H
#define PRT_TEXT_H

#include <stddef.h>
#include <stdint.h>

typedef enum prt_text_rc {
    PRT_TEXT_OK = 0,
    PRT_TEXT_BAD = -1,     /* not of the grammar */
    PRT_TEXT_NO_UNIT = -2, /* a duration written as a bare integer other than 0 */
    PRT_TEXT_RANGE = -3,   /* of the grammar, but it does not fit in an int64 */
} prt_text_rc;

/* An integer and a unit: 250ms 30s 5m 2h 1d (a bare 0 needs none), as milliseconds. */
prt_text_rc prt_text_duration(const char *s, size_t n, int64_t *ms);
/* Decimal with an optional sign: [+-]digits. */
prt_text_rc prt_text_int(const char *s, size_t n, int64_t *v);
/* A record's bool: true or false, in any case. */
prt_text_rc prt_text_bool(const char *s, size_t n, int *v);
/* A setting's switch: a bool, or yes/no, on/off, 1/0 (any case). */
prt_text_rc prt_text_switch(const char *s, size_t n, int *v);
/* The syntax of a decimal number, checked before strtod sees it (no nan, inf or hex):
 * [+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)?  (no conversion: see prt_scalar.h) */
prt_text_rc prt_text_decimal(const char *s, size_t n);
/* RFC 3339 (`2024-05-23T12:34:56Z`, `…56.250Z`, `…56+02:00`, lowercase t/z, a space for T; a
 * zone is required) or an integer of epoch milliseconds; as ms since the epoch, UTC. */
prt_text_rc prt_text_timestamp(const char *s, size_t n, int64_t *ms);
/* prt_text_timestamp, and *canon 1 when s is exactly what formatting *ms writes (RFC 3339 UTC,
 * `Z`, milliseconds only when not zero: the shape its fast path reads), else 0. */
prt_text_rc prt_text_timestamp_canon(const char *s, size_t n, int64_t *ms, int *canon);
/* The second of the last timestamp the fast path read on this thread: its 19 bytes
 * "YYYY-MM-DDTHH:MM:SS" and their epoch ms, once ok; inline readers may use it (prt_format.h's
 * prt_parse_ts_text). */
typedef struct prt_ts_memo {
    char text[19];
    int ok;
    int64_t ms;
} prt_ts_memo;
extern _Thread_local prt_ts_memo prt_ts_memo_tl;

/* A SQL table name as a pipeline may write it (the postgres connectors): name or schema.name,
 * each [A-Za-z_][A-Za-z0-9_]*, at most 63 bytes; used in SQL as written. The whole string s. */
prt_text_rc prt_text_sql_table(const char *s);

/* Why a duration was refused, to follow "invalid duration 'TEXT'": ": missing a unit",
 * ": out of range", or "" (then PRT_TEXT_DURATION_HELP says what a duration is). */
const char *prt_text_duration_why(prt_text_rc rc);
#define PRT_TEXT_DURATION_HELP "a duration is an integer and a unit: 250ms, 30s, 5m, 2h or 1d"

#endif
