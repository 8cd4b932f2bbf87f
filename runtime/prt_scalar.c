/* prt_scalar.c — text <-> int, float, bool and timestamp, independent of the C locale.
 *
 * What text is accepted is prt_text's grammar, shared with pipec (so a schema default pipec
 * accepts is one the record parsers accept). Floats go through strtod_l with the "C" locale, on a
 * NUL-terminated copy in a stack buffer after that grammar check (so nan, inf, hex floats and junk
 * never reach strtod). Timestamps are written with civil-from-days arithmetic (Howard Hinnant's
 * algorithms), never gmtime.
 */
#include "prt_scalar.h"
#include "prt_text.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

static int prt_is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }
static int prt_is_digit(char c) { return c >= '0' && c <= '9'; }

static prt_str prt_trim(prt_str s)
{
    while (s.n && prt_is_space(s.p[0]))
        s.p++, s.n--;
    while (s.n && prt_is_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

/* The "C" locale, created once before main (and again lazily should a constructor not run). */
static locale_t prt_c_locale;

__attribute__((constructor)) static void prt_scalar_init(void)
{
    if (!prt_c_locale)
        prt_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!prt_c_locale)
        prt_panic(__FILE__, __LINE__, "newlocale(\"C\") failed");
}

static locale_t prt_c_loc(void)
{
    if (!prt_c_locale)
        prt_scalar_init();
    return prt_c_locale;
}

/* ---- int ---- */

int prt_parse_int(prt_str s, int64_t *out)
{
    return prt_text_int(s.p, s.n, out) == PRT_TEXT_OK ? PRT_OK : PRT_ERR;
}

void prt_fmt_int(prt_buf *b, int64_t v)
{
    char tmp[24], *e = tmp + sizeof tmp, *p = e;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    prt_buf_put(b, p, (size_t)(e - p));
}

/* ---- float ---- */

#define PRT_FLOAT_MAX_TEXT 512 /* longer numbers (hundreds of digits) are rejected */

int prt_parse_float(prt_str s, double *out)
{
    s = prt_trim(s);
    if (s.n >= PRT_FLOAT_MAX_TEXT || prt_text_decimal(s.p, s.n) != PRT_TEXT_OK) /* so strtod reads it all */
        return PRT_ERR;
    char tmp[PRT_FLOAT_MAX_TEXT], *end;
    memcpy(tmp, s.p, s.n);
    tmp[s.n] = 0;
    errno = 0;
    double v = strtod_l(tmp, &end, prt_c_loc());
    if (end != tmp + s.n || isinf(v))
        return PRT_ERR; /* overflow (1e999); underflow to 0 or a subnormal is accepted */
    *out = v;
    return PRT_OK;
}

/* Splits v (finite, not zero) into its shortest round-trip decimal digits and exponent:
 * v = 0.d1d2..dn * 10^(exp+1), i.e. d1.d2..dn e exp. Returns the digit count. */
static int prt_shortest_digits(double v, char digits[20], int *exp10)
{
    char tmp[40];
    int p;
    locale_t prev = uselocale(prt_c_loc()); /* snprintf's decimal point follows the locale */
    for (p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        if (strtod_l(tmp, NULL, prt_c_loc()) == v)
            break;
    }
    uselocale(prev);
    if (p > 17)
        p = 17; /* unreachable: 17 digits always round-trip */
    /* tmp is "-d.ddde+XX" (or "de+XX" when p == 1): take the digits up to 'e'. */
    int n = 0;
    const char *c = tmp;
    for (; *c && *c != 'e'; c++)
        if (prt_is_digit(*c))
            digits[n++] = *c;
    prt_assert(*c == 'e' && n == p);
    *exp10 = atoi(c + 1);
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = 0;
    return n;
}

void prt_fmt_float(prt_buf *b, double v)
{
    if (isnan(v)) {
        prt_buf_puts(b, "nan");
        return;
    }
    if (isinf(v)) {
        prt_buf_puts(b, v < 0 ? "-inf" : "inf");
        return;
    }
    if (v == 0) {
        prt_buf_puts(b, signbit(v) ? "-0.0" : "0.0");
        return;
    }
    /* Fast path: integral values that print exactly as an int64. */
    if (fabs(v) < 1e15 && v == (double)(int64_t)v) {
        prt_fmt_int(b, (int64_t)v);
        prt_buf_puts(b, ".0");
        return;
    }
    char digits[20];
    int exp10, n = prt_shortest_digits(v, digits, &exp10);
    if (v < 0)
        prt_buf_putc(b, '-');
    if (exp10 < -4 || exp10 >= 17) {
        /* exponent form, as %g writes it: 1e+21, 1.5e-07 */
        prt_buf_putc(b, digits[0]);
        if (n > 1) {
            prt_buf_putc(b, '.');
            prt_buf_put(b, digits + 1, (size_t)n - 1);
        }
        prt_buf_printf(b, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    } else if (exp10 < 0) {
        prt_buf_puts(b, "0.");
        for (int i = -1; i > exp10; i--)
            prt_buf_putc(b, '0');
        prt_buf_put(b, digits, (size_t)n);
    } else {
        int intd = exp10 + 1; /* digits before the point */
        for (int i = 0; i < intd; i++)
            prt_buf_putc(b, i < n ? digits[i] : '0');
        prt_buf_putc(b, '.');
        if (n > intd)
            prt_buf_put(b, digits + intd, (size_t)(n - intd));
        else
            prt_buf_putc(b, '0');
    }
}

/* ---- bool ---- */

int prt_parse_bool(prt_str s, int *out)
{
    return prt_text_bool(s.p, s.n, out) == PRT_TEXT_OK ? PRT_OK : PRT_ERR;
}

void prt_fmt_bool(prt_buf *b, int v) { prt_buf_puts(b, v ? "true" : "false"); }

/* ---- timestamp ---- */

#define PRT_MS_PER_DAY 86400000LL

static void prt_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

int prt_parse_ts(prt_str s, int64_t *out)
{
    return prt_text_timestamp(s.p, s.n, out) == PRT_TEXT_OK ? PRT_OK : PRT_ERR;
}

void prt_fmt_ts(prt_buf *b, int64_t ms)
{
    int64_t days = ms / PRT_MS_PER_DAY, rem = ms % PRT_MS_PER_DAY;
    if (rem < 0) { /* floor division: times before 1970 count back from midnight */
        days--;
        rem += PRT_MS_PER_DAY;
    }
    int64_t y;
    int m, d;
    prt_civil_from_days(days, &y, &m, &d);
    int sec = (int)(rem / 1000), msec = (int)(rem % 1000);
    /* Years outside 0000..9999 (beyond RFC 3339; only from integer input) keep their sign. */
    if (y < 0)
        prt_buf_printf(b, "-%04lld", -(long long)y);
    else
        prt_buf_printf(b, "%04lld", (long long)y);
    prt_buf_printf(b, "-%02d-%02dT%02d:%02d:%02d", m, d, sec / 3600, sec / 60 % 60, sec % 60);
    if (msec)
        prt_buf_printf(b, ".%03d", msec);
    prt_buf_putc(b, 'Z');
}
