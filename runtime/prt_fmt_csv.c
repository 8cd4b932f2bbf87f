/* prt_fmt_csv.c — the csv input format: RFC 4180 quoting on one line, any single-byte delimiter.
 *
 * A field starting with '"' is quoted: it may hold the delimiter, and "" stands for one quote;
 * it must be closed and followed by the delimiter or the end of the line. Any other field is
 * taken as is, spaces and stray quotes included. Unescaped values live in the scratch allocator.
 */
#include "prt_format.h"

#include <limits.h>

int prt_csv_split(prt_str line, char delim, prt_str *cols, int max, prt_scratch *s, prt_err *e)
{
    const char *p = line.n ? line.p : "", *end = p + line.n;
    if (line.n > INT_MAX)
        return prt_errf(e, "invalid CSV: line longer than %d bytes", INT_MAX);
    int count = 0;
    for (;;) {
        prt_str v;
        const char *next; /* where the field ended: the delimiter or end */
        if (p < end && *p == '"') {
            const char *q = p + 1;
            int escaped = 0;
            for (;;) {
                q = memchr(q, '"', (size_t)(end - q));
                if (!q)
                    return prt_errf(e, "invalid CSV at byte %zu: unterminated quote", (size_t)(p - line.p));
                if (q + 1 < end && q[1] == '"') {
                    escaped = 1;
                    q += 2;
                    continue;
                }
                break;
            }
            next = q + 1;
            if (next < end && *next != delim)
                return prt_errf(e, "invalid CSV at byte %zu: text after a closing quote", (size_t)(next - line.p));
            v = (prt_str){ p + 1, (size_t)(q - p - 1) };
            if (escaped && count < max) {
                char *d = prt_scratch_alloc(s, v.n), *o = d;
                for (size_t i = 0; i < v.n; i++) {
                    *o++ = v.p[i];
                    if (v.p[i] == '"')
                        i++; /* the second quote of "" */
                }
                v = (prt_str){ d, (size_t)(o - d) };
            }
        } else {
            next = memchr(p, delim, (size_t)(end - p));
            if (!next)
                next = end;
            v = (prt_str){ p, (size_t)(next - p) };
        }
        if (count < max)
            cols[count] = v;
        count++;
        if (next >= end)
            return count;
        p = next + 1; /* past the delimiter; a delimiter at the end leaves one empty field */
    }
}
