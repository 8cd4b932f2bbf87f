/* prt_writer.c — output records as json (`{"a":1,"b":"x"}`), csv (values joined by the
 * delimiter, quoted when needed) or kv (`a=1,b=x`, no quoting: kv has none).
 *
 * Floats use prt_fmt_float (non-finite values are `null` in JSON), timestamps RFC 3339 UTC in
 * every format (a JSON string in JSON). The writer appends to the caller's buffer; no newline.
 */
#include "prt_format.h"
#include "prt_scalar.h"
#include "prt_scan.h"

#include <math.h>

void prt_json_quote(prt_buf *b, prt_str v)
{
    static const char hex[] = "0123456789abcdef";
    prt_buf_reserve(b, v.n + 2);
    prt_buf_putc(b, '"');
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    for (size_t i = 0; i < v.n && (i += prt_scan_json_special(v.p + i, v.n - i)) < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        prt_buf_put(b, v.p + run, i - run);
        run = i + 1;
        char esc[6] = { '\\', 0 };
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\t': esc[1] = 't'; break;
        case '\r': esc[1] = 'r'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            prt_buf_put(b, "\\u00", 4);
            prt_buf_putc(b, hex[c >> 4]);
            prt_buf_putc(b, hex[c & 15]);
            continue;
        }
        prt_buf_put(b, esc, 2);
    }
    prt_buf_put(b, v.p + run, v.n - run);
    prt_buf_putc(b, '"');
}

void prt_w_begin(prt_writer *w, prt_out_format fmt, char delim, prt_buf *buf)
{
    prt_buf_clear(buf);
    prt_w_start(w, fmt, delim, buf);
}

/* separator and name for json and kv (csv has no names) */
static void prt_w_field_named(prt_writer *w, const char *name)
{
    if (!w->first)
        prt_buf_putc(w->buf, ',');
    w->first = 0;
    if (w->fmt == PRT_OUT_JSON) {
        prt_json_quote(w->buf, prt_str_c(name));
        prt_buf_putc(w->buf, ':');
    } else if (w->fmt == PRT_OUT_KV) {
        prt_buf_puts(w->buf, name);
        prt_buf_putc(w->buf, '=');
    }
}

/* separator and name, as the format wants them before a value; csv inline (a byte or nothing) */
static inline void prt_w_field(prt_writer *w, const char *name)
{
    if (w->fmt != PRT_OUT_CSV) {
        prt_w_field_named(w, name);
        return;
    }
    if (!w->first)
        prt_buf_putc(w->buf, w->delim);
    w->first = 0;
}

static int prt_csv_needs_quotes(prt_str v, char delim)
{
    if (!v.n)
        return 0;
    if (v.p[0] == ' ' || v.p[0] == '\t' || v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t')
        return 1;
    return prt_scan_csv_special(v.p, v.n, delim) < v.n;
}

void prt_w_str(prt_writer *w, const char *name, prt_str v)
{
    prt_w_field(w, name);
    if (w->fmt == PRT_OUT_JSON) {
        prt_json_quote(w->buf, v);
    } else if (w->fmt == PRT_OUT_CSV && prt_csv_needs_quotes(v, w->delim)) {
        prt_buf_putc(w->buf, '"');
        for (size_t i = 0; i < v.n; i++) {
            if (v.p[i] == '"')
                prt_buf_putc(w->buf, '"');
            prt_buf_putc(w->buf, v.p[i]);
        }
        prt_buf_putc(w->buf, '"');
    } else {
        prt_buf_put(w->buf, v.p, v.n);
    }
}

void prt_w_int(prt_writer *w, const char *name, int64_t v)
{
    prt_w_field(w, name);
    prt_fmt_int(w->buf, v);
}

void prt_w_float(prt_writer *w, const char *name, double v)
{
    prt_w_field(w, name);
    if (w->fmt == PRT_OUT_JSON && !isfinite(v))
        prt_buf_puts(w->buf, "null");
    else
        prt_fmt_float(w->buf, v);
}

void prt_w_bool(prt_writer *w, const char *name, int v)
{
    prt_w_field(w, name);
    prt_fmt_bool(w->buf, v);
}

void prt_w_ts(prt_writer *w, const char *name, int64_t ms)
{
    prt_w_field(w, name);
    if (w->fmt == PRT_OUT_JSON)
        prt_buf_putc(w->buf, '"');
    prt_fmt_ts(w->buf, ms);
    if (w->fmt == PRT_OUT_JSON)
        prt_buf_putc(w->buf, '"');
}

void prt_w_open(prt_writer *w, const char *name)
{
    if (w->fmt != PRT_OUT_JSON)
        return;
    prt_w_field(w, name);
    prt_buf_putc(w->buf, '{');
    w->first = 1;
}

void prt_w_close(prt_writer *w)
{
    if (w->fmt != PRT_OUT_JSON)
        return;
    prt_buf_putc(w->buf, '}');
    w->first = 0;
}

