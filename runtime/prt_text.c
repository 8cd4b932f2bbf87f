/* prt_text.c — the one grammar of durations, integers, booleans, decimal numbers and timestamps,
 * shared by pipec and the runtime (see prt_text.h). Timestamps use civil-from-days arithmetic
 * (Howard Hinnant's algorithms), never timegm. */
#include "prt_text.h"

#include <stdint.h>
#include <string.h>

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* Drops the white space around s[0..*n). */
static const char *trim(const char *s, size_t *n)
{
    while (*n && is_space(s[0]))
        s++, (*n)--;
    while (*n && is_space(s[*n - 1]))
        (*n)--;
    return s;
}

/* s[0..n) equals word (lowercase) in any case */
static int word_is(const char *s, size_t n, const char *word)
{
    size_t i = 0;
    for (; i < n && word[i]; i++)
        if (lower(s[i]) != word[i])
            return 0;
    return i == n && !word[i];
}

/* Reads digits from s[*i..n) into *v; 0 when there are none, PRT_TEXT_RANGE past lim. */
static int digits(const char *s, size_t n, size_t *i, uint64_t lim, uint64_t *v)
{
    size_t start = *i;
    *v = 0;
    for (; *i < n && is_digit(s[*i]); (*i)++) {
        unsigned d = (unsigned)(s[*i] - '0');
        if (*v > (lim - d) / 10)
            return PRT_TEXT_RANGE;
        *v = *v * 10 + d;
    }
    return *i > start;
}

prt_text_rc prt_text_duration(const char *s, size_t n, int64_t *ms)
{
    static const struct { const char *unit; int64_t ms; } units[] = {
        { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
    };
    s = trim(s, &n);
    size_t i = 0;
    uint64_t v;
    int r = digits(s, n, &i, INT64_MAX, &v);
    if (r == PRT_TEXT_RANGE)
        return PRT_TEXT_RANGE;
    if (!r)
        return PRT_TEXT_BAD;
    if (i == n) {
        if (v != 0)
            return PRT_TEXT_NO_UNIT;
        *ms = 0;
        return PRT_TEXT_OK;
    }
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        const char *w = units[u].unit;
        size_t wn = 0;
        while (w[wn])
            wn++;
        if (n - i != wn)
            continue;
        size_t k = 0;
        while (k < wn && s[i + k] == w[k])
            k++;
        if (k < wn)
            continue;
        if (v > (uint64_t)(INT64_MAX / units[u].ms))
            return PRT_TEXT_RANGE;
        *ms = (int64_t)v * units[u].ms;
        return PRT_TEXT_OK;
    }
    return PRT_TEXT_BAD;
}

prt_text_rc prt_text_int(const char *s, size_t n, int64_t *v)
{
    s = trim(s, &n);
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    uint64_t u;
    int r = digits(s, n, &i, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &u);
    if (r == PRT_TEXT_RANGE)
        return PRT_TEXT_RANGE;
    if (!r || i != n)
        return PRT_TEXT_BAD;
    *v = neg ? (int64_t)(0 - u) : (int64_t)u; /* 0 - 2^63 wraps to INT64_MIN as intended */
    return PRT_TEXT_OK;
}

prt_text_rc prt_text_bool(const char *s, size_t n, int *v)
{
    s = trim(s, &n);
    if (word_is(s, n, "true"))
        *v = 1;
    else if (word_is(s, n, "false"))
        *v = 0;
    else
        return PRT_TEXT_BAD;
    return PRT_TEXT_OK;
}

prt_text_rc prt_text_switch(const char *s, size_t n, int *v)
{
    static const char *const yes[] = { "yes", "on", "1" }, *const no[] = { "no", "off", "0" };
    if (prt_text_bool(s, n, v) == PRT_TEXT_OK)
        return PRT_TEXT_OK;
    s = trim(s, &n);
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (word_is(s, n, yes[i])) {
            *v = 1;
            return PRT_TEXT_OK;
        }
        if (word_is(s, n, no[i])) {
            *v = 0;
            return PRT_TEXT_OK;
        }
    }
    return PRT_TEXT_BAD;
}

prt_text_rc prt_text_decimal(const char *s, size_t n)
{
    s = trim(s, &n);
    size_t i = 0, nd = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < n && is_digit(s[i]))
        i++, nd++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i]))
            i++, nd++;
    }
    if (!nd)
        return PRT_TEXT_BAD;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t ne = 0;
        while (i < n && is_digit(s[i]))
            i++, ne++;
        if (!ne)
            return PRT_TEXT_BAD;
    }
    return i == n ? PRT_TEXT_OK : PRT_TEXT_BAD;
}

/* ---- timestamps ---- */

#define MS_PER_DAY 86400000LL

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* [0, 399] */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* n fixed digits at s[*i]; -1 when they are not all digits */
static int fixed(const char *s, size_t len, size_t *i, int n)
{
    int v = 0;
    if (len - *i < (size_t)n)
        return -1;
    for (int k = 0; k < n; k++) {
        char c = s[*i + (size_t)k];
        if (!is_digit(c))
            return -1;
        v = v * 10 + (c - '0');
    }
    *i += (size_t)n;
    return v;
}

static int expect(const char *s, size_t n, size_t *i, char c)
{
    if (*i < n && s[*i] == c) {
        (*i)++;
        return 1;
    }
    return 0;
}

/* Event times in a stream mostly share their second with the one before, so the date
 * arithmetic runs about once per second of event time (prt_text.h). */
_Thread_local prt_ts_memo prt_ts_memo_tl;
#define ts_memo_text prt_ts_memo_tl.text
#define ts_memo_ms prt_ts_memo_tl.ms
#define ts_memo_ok prt_ts_memo_tl.ok

static int ts_memo_hit(const char *p)
{
    uint64_t a, b, x, y;
    uint32_t c, z;
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    memcpy(&c, p + 15, 4); /* bytes 15..18, overlapping b */
    memcpy(&x, ts_memo_text, 8);
    memcpy(&y, ts_memo_text + 8, 8);
    memcpy(&z, ts_memo_text + 15, 4);
    return ts_memo_ok && ((a ^ x) | (b ^ y) | (uint64_t)(c ^ z)) == 0;
}

/* Fast path for the exact shape writers produce, YYYY-MM-DDTHH:MM:SS[.mmm]Z; 0 for anything
 * else (other shapes, out-of-range fields), which the general parser below then decides. */
__attribute__((always_inline)) static inline int timestamp_fast(const char *p, size_t n, int64_t *out)
{
    if ((n != 20 && n != 24) || p[n - 1] != 'Z' || (n == 24 && p[19] != '.'))
        return 0;
#define PRT_D(i) ((unsigned)(unsigned char)p[i] - '0')
    int ms = 0;
    if (n == 24) {
        if ((PRT_D(20) > 9) | (PRT_D(21) > 9) | (PRT_D(22) > 9))
            return 0;
        ms = (int)(PRT_D(20) * 100 + PRT_D(21) * 10 + PRT_D(22));
    }
    if (ts_memo_hit(p)) {
        *out = ts_memo_ms + ms;
        return 1;
    }
    if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':')
        return 0;
    unsigned bad = (PRT_D(0) > 9) | (PRT_D(1) > 9) | (PRT_D(2) > 9) | (PRT_D(3) > 9) | (PRT_D(5) > 9) |
                   (PRT_D(6) > 9) | (PRT_D(8) > 9) | (PRT_D(9) > 9) | (PRT_D(11) > 9) | (PRT_D(12) > 9) |
                   (PRT_D(14) > 9) | (PRT_D(15) > 9) | (PRT_D(17) > 9) | (PRT_D(18) > 9);
    if (bad)
        return 0;
    int y = (int)(PRT_D(0) * 1000 + PRT_D(1) * 100 + PRT_D(2) * 10 + PRT_D(3));
    int mo = (int)(PRT_D(5) * 10 + PRT_D(6)), d = (int)(PRT_D(8) * 10 + PRT_D(9));
    int hh = (int)(PRT_D(11) * 10 + PRT_D(12)), mi = (int)(PRT_D(14) * 10 + PRT_D(15));
    int ss = (int)(PRT_D(17) * 10 + PRT_D(18));
#undef PRT_D
    if (mo < 1 || mo > 12 || d < 1 || (d > 28 && d > days_in_month(y, mo)) || hh > 23 || mi > 59 || ss > 59)
        return 0;
    int64_t sec_ms = days_from_civil(y, mo, d) * INT64_C(86400000) + ((int64_t)hh * 3600 + mi * 60 + ss) * 1000;
    memcpy(ts_memo_text, p, sizeof ts_memo_text);
    ts_memo_ms = sec_ms;
    ts_memo_ok = 1;
    *out = sec_ms + ms;
    return 1;
}

prt_text_rc prt_text_timestamp_canon(const char *s, size_t n, int64_t *out, int *canon)
{
    if (timestamp_fast(s, n, out)) {
        *canon = n == 20 || (s[20] | s[21] | s[22]) != '0'; /* ".000" is not written */
        return PRT_TEXT_OK;
    }
    *canon = 0;
    return prt_text_timestamp(s, n, out);
}

prt_text_rc prt_text_timestamp(const char *s, size_t n, int64_t *out)
{
    if (timestamp_fast(s, n, out))
        return PRT_TEXT_OK;
    s = trim(s, &n);
    /* an integer of epoch milliseconds: [+-]digits only */
    size_t i = n && (s[0] == '-' || s[0] == '+');
    size_t k = i;
    while (k < n && is_digit(s[k]))
        k++;
    if (k == n && k > i)
        return prt_text_int(s, n, out);

    i = 0;
    int y = fixed(s, n, &i, 4);
    if (y < 0 || !expect(s, n, &i, '-'))
        return PRT_TEXT_BAD;
    int mo = fixed(s, n, &i, 2);
    if (mo < 1 || mo > 12 || !expect(s, n, &i, '-'))
        return PRT_TEXT_BAD;
    int d = fixed(s, n, &i, 2);
    if (d < 1 || d > days_in_month(y, mo))
        return PRT_TEXT_BAD;
    if (!(expect(s, n, &i, 'T') || expect(s, n, &i, 't') || expect(s, n, &i, ' ')))
        return PRT_TEXT_BAD;
    int hh = fixed(s, n, &i, 2);
    if (hh < 0 || hh > 23 || !expect(s, n, &i, ':'))
        return PRT_TEXT_BAD;
    int mi = fixed(s, n, &i, 2);
    if (mi < 0 || mi > 59 || !expect(s, n, &i, ':'))
        return PRT_TEXT_BAD;
    int ss = fixed(s, n, &i, 2);
    if (ss < 0 || ss > 59) /* leap seconds (:60) are not representable in epoch ms */
        return PRT_TEXT_BAD;
    int ms = 0;
    if (expect(s, n, &i, '.')) {
        int nf = 0;
        for (; i < n && is_digit(s[i]); i++, nf++)
            if (nf < 3)
                ms = ms * 10 + (s[i] - '0'); /* digits after the third are truncated */
        if (!nf)
            return PRT_TEXT_BAD;
        for (; nf < 3; nf++)
            ms *= 10;
    }
    int off = 0; /* minutes east of UTC */
    if (expect(s, n, &i, 'Z') || expect(s, n, &i, 'z')) {
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i++] == '-' ? -1 : 1;
        int oh = fixed(s, n, &i, 2);
        if (oh < 0 || oh > 23 || !expect(s, n, &i, ':'))
            return PRT_TEXT_BAD;
        int om = fixed(s, n, &i, 2);
        if (om < 0 || om > 59)
            return PRT_TEXT_BAD;
        off = sign * (oh * 60 + om);
    } else {
        return PRT_TEXT_BAD; /* RFC 3339 requires a zone: local time would depend on the machine */
    }
    if (i != n)
        return PRT_TEXT_BAD;
    int64_t days = days_from_civil(y, mo, d);
    *out = days * MS_PER_DAY + ((int64_t)hh * 3600 + mi * 60 + ss) * 1000 + ms - (int64_t)off * 60000;
    return PRT_TEXT_OK;
}

const char *prt_text_duration_why(prt_text_rc rc)
{
    switch (rc) {
    case PRT_TEXT_NO_UNIT: return ": missing a unit";
    case PRT_TEXT_RANGE: return ": out of range";
    default: return "";
    }
}

static int sql_ident(const char *s, size_t n)
{
    if (n == 0 || n > 63 || (*s >= '0' && *s <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return 1;
}

prt_text_rc prt_text_sql_table(const char *s)
{
    size_t n = 0, dot = (size_t)-1;
    for (; s[n]; n++)
        if (s[n] == '.' && dot == (size_t)-1)
            dot = n;
    if (dot == (size_t)-1)
        return sql_ident(s, n) ? PRT_TEXT_OK : PRT_TEXT_BAD;
    return sql_ident(s, dot) && sql_ident(s + dot + 1, n - dot - 1) ? PRT_TEXT_OK : PRT_TEXT_BAD;
}
