/* prt_text.c — the one grammar of durations, integers, booleans and decimal numbers, shared by
 * pipec and the runtime (see prt_text.h). */
#include "prt_text.h"

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

const char *prt_text_duration_why(prt_text_rc rc)
{
    switch (rc) {
    case PRT_TEXT_NO_UNIT: return ": missing a unit";
    case PRT_TEXT_RANGE: return ": out of range";
    default: return "";
    }
}
