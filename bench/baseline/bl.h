/* bl.h — what the hand-written C peers of bench/run share: reading lines of a file in big
 * blocks, an RFC 3339 timestamp parser and writer, and the shortest round-trip float writer.
 *
 * These programs are the "careful hand-written C" a pipec job is compared with: each does
 * exactly its query's work over the same input and writes the same output bytes as the pipec
 * job (bench/run checks that), with the C library's strtod and snprintf for floats. No pipec
 * runtime code is used.
 */
#ifndef BL_H
#define BL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#define BL_BLOCK (1 << 20)

typedef struct bl_in {
    int fd;
    char *buf;
    size_t n, at, cap;
    int eof;
} bl_in;

static inline void bl_die(const char *what)
{
    perror(what);
    exit(1);
}

static inline void bl_open(bl_in *in, const char *path)
{
    in->fd = open(path, O_RDONLY);
    if (in->fd < 0)
        bl_die(path);
    in->cap = 2 * BL_BLOCK;
    in->buf = malloc(in->cap);
    if (!in->buf)
        bl_die("malloc");
    in->n = in->at = 0;
    in->eof = 0;
}

/* The next line without its '\n' (NULL at end of input); valid until the next call. */
static inline char *bl_line(bl_in *in, size_t *len)
{
    for (;;) {
        char *p = in->buf + in->at;
        char *nl = memchr(p, '\n', in->n - in->at);
        if (nl) {
            *len = (size_t)(nl - p);
            in->at = (size_t)(nl - in->buf) + 1;
            return p;
        }
        if (in->eof) {
            if (in->at == in->n)
                return NULL;
            *len = in->n - in->at;
            in->at = in->n;
            return p;
        }
        memmove(in->buf, p, in->n - in->at);
        in->n -= in->at;
        in->at = 0;
        if (in->cap - in->n < BL_BLOCK) {
            in->cap *= 2;
            in->buf = realloc(in->buf, in->cap);
            if (!in->buf)
                bl_die("realloc");
        }
        ssize_t r = read(in->fd, in->buf + in->n, in->cap - in->n);
        if (r < 0)
            bl_die("read");
        if (r == 0)
            in->eof = 1;
        in->n += (size_t)r;
    }
}

static inline FILE *bl_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        bl_die(path);
    static char buf[BL_BLOCK];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    return f;
}

static inline void bl_close(FILE *f)
{
    if (fflush(f) != 0 || ferror(f) || fclose(f) != 0)
        bl_die("write");
}

static inline int64_t bl_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static inline int bl_d2(const char *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

/* "YYYY-MM-DDTHH:MM:SS[.mmm]Z" → epoch ms; -1 on anything else (the inputs are all UTC). */
static inline int64_t bl_parse_ts(const char *p, size_t n)
{
    if (n < 20 || p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':')
        return -1;
    int64_t y = bl_d2(p) * 100 + bl_d2(p + 2), ms = 0;
    size_t i = 19;
    if (p[i] == '.') {
        if (n != 24)
            return -1;
        ms = (p[20] - '0') * 100 + (p[21] - '0') * 10 + (p[22] - '0');
        i = 23;
    }
    if (p[i] != 'Z' || i + 1 != n)
        return -1;
    int64_t days = bl_days_from_civil(y, bl_d2(p + 5), bl_d2(p + 8));
    return ((days * 24 + bl_d2(p + 11)) * 60 + bl_d2(p + 14)) * 60000 + bl_d2(p + 17) * 1000 + ms;
}

/* Epoch ms → "YYYY-MM-DDTHH:MM:SS[.mmm]Z" into dst (>= 25 bytes); returns the length. */
static inline size_t bl_fmt_ts(char *dst, int64_t t)
{
    int64_t days = t >= 0 ? t / 86400000 : -((-t + 86399999) / 86400000);
    int64_t rem = t - days * 86400000;
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    int64_t s = rem / 1000 % 60, ms = rem % 1000, hh = rem / 3600000, mi = rem / 60000 % 60;
    char *o = dst;
#define BL_2(x) (*o++ = (char)('0' + (x) / 10), *o++ = (char)('0' + (x) % 10))
    BL_2(y / 100);
    BL_2(y % 100);
    *o++ = '-';
    BL_2(m);
    *o++ = '-';
    BL_2(d);
    *o++ = 'T';
    BL_2(hh);
    *o++ = ':';
    BL_2(mi);
    *o++ = ':';
    BL_2(s);
#undef BL_2
    if (ms) {
        *o++ = '.';
        *o++ = (char)('0' + ms / 100);
        *o++ = (char)('0' + ms / 10 % 10);
        *o++ = (char)('0' + ms % 10);
    }
    *o++ = 'Z';
    return (size_t)(o - dst);
}

/* Digits of a non-negative-or-negative int64 into dst; returns the length. */
static inline size_t bl_fmt_int(char *dst, int64_t v)
{
    char tmp[24], *e = tmp + sizeof tmp, *p = e;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    memcpy(dst, p, (size_t)(e - p));
    return (size_t)(e - p);
}

/* Shortest text that reads back as v, with ".0" on integral values (finite values of the
 * magnitudes the benchmarks produce: %g switches to exponents past 15 digits). */
static inline size_t bl_fmt_float(char *dst, double v)
{
    int n = 0;
    for (int p = 15; p <= 17; p++) {
        n = snprintf(dst, 32, "%.*g", p, v);
        if (strtod(dst, NULL) == v)
            break;
    }
    if (!strpbrk(dst, ".en")) {
        dst[n++] = '.';
        dst[n++] = '0';
        dst[n] = 0;
    }
    return (size_t)n;
}

/* An unsigned decimal field; -1 when it is not one. */
static inline int64_t bl_parse_uint(const char *p, size_t n)
{
    if (!n || n > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(p[i] - '0');
        if (d > 9)
            return -1;
        v = v * 10 + d;
    }
    return v;
}

#endif
