/* prt_format.h — record formats: tokenizers for input lines, writers for output records.
 *
 * Input: a tokenizer splits one line (no trailing newline) into field values; the generated
 * parser of a schema converts each value to its typed struct field (pg_<schema>_set). Values are
 * slices of the input line, or of the scratch allocator when unescaping was needed.
 *
 * Output: generated code writes one record with the writer calls below, then hands the line to
 * a sink. `first` tells a writer whether a separator is needed before the field.
 */
#ifndef PRT_FORMAT_H
#define PRT_FORMAT_H

#include "prt_core.h"
#include "prt_scalar.h" /* prt_parse_int_word */
#include "prt_text.h"   /* prt_ts_memo_tl */

/* ---- kv: `a=1,b=x` — pairs split on ',', key and value on the first '=', spaces trimmed ---- */
#include "prt_kv.h" /* inline: prt_kv_init, prt_kv_next */

/* ---- csv: RFC 4180 quoting ("a,b", "say ""hi"""), any single-byte delimiter ---- */
/* Splits line into at most max columns. Returns the column count (which may exceed max: the
 * extra columns are counted but not stored), or PRT_ERR (and e) on an unterminated quote.
 * *plain (when plain is not NULL) tells whether the line holds no '"' and no '\r' at all: then
 * no field was quoted, and none holds a byte that makes a csv writer quote it (NULL: not
 * wanted, which spares looking for '\r'). */
int prt_csv_split_any(prt_str line, char delim, prt_str *cols, int max, int *plain, prt_scratch *s,
                      prt_err *e);
#if defined(__x86_64__) && defined(__GNUC__)
/* 1 when prt_csv_split reads lines of 32 bytes or more 32 or 64 at a time (AVX2), set at start
 * from what the CPU has; tests clear it to check the 16-byte way on the same machine. */
extern int prt_csv_avx2;
/* The AVX2 way for a line of 32 bytes or more with no '"' (and, _cr, no '\r'): the column
 * count, or -1 when there is one (then prt_csv_split_any decides). */
int prt_csv_split_avx2_cr(prt_str line, char delim, prt_str *cols, int max);
int prt_csv_split_avx2(prt_str line, char delim, prt_str *cols, int max);
#endif
/* Inline, so that the usual line costs one call. */
static inline int prt_csv_split(prt_str line, char delim, prt_str *cols, int max, int *plain, prt_scratch *s,
                                prt_err *e)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (line.n >= 32 && line.n <= INT32_MAX && prt_csv_avx2) {
        int count = plain ? prt_csv_split_avx2_cr(line, delim, cols, max) : prt_csv_split_avx2(line, delim, cols, max);
        if (count >= 0) {
            if (plain)
                *plain = 1;
            return count;
        } /* a quote (or '\r'): the general way decides, and says the line is not plain */
    }
#endif
    return prt_csv_split_any(line, delim, cols, max, plain, s, e);
}

/* Input text that a csv writer may copy instead of formatting the value again: a field's text
 * when it is exactly what the writer would write for the value parsed from it, else { NULL, 0 }
 * (generated sources keep the text beside the field as `<field>_text`; pc_gen_text.c).
 * int: s, a text prt_parse_int succeeded on: digits without '+', leading zeros or spaces
 * ("-5" yes; "007", "+5", "-0", " 5" no). */
static inline prt_str prt_csv_int_text(prt_str s)
{
    size_t i = s.n && s.p[0] == '-';
    int lead = i < s.n && s.p[i] >= '1' && s.p[i] <= '9';
    if ((lead || (s.n == 1 && s.p[0] == '0')) && s.p[s.n - 1] >= '0' && s.p[s.n - 1] <= '9')
        return s;
    return (prt_str){ NULL, 0 };
}

/* An int field of a csv source whose text a csv sink may copy: parses s (prt_parse_int_in) and
 * sets *text to s when s is canonical (prt_csv_int_text), else to { NULL, 0 }; when the digits
 * were read as one word the check is whether the first is not a '0'. So the sink decides on
 * text.p alone (prt_w_int_canon). */
__attribute__((always_inline)) static inline int prt_parse_int_text(prt_str s, prt_str in, int64_t *out, prt_str *text)
{
    int rc = prt_parse_int_word(s, in, out);
    if (rc == 2) {
        *text = s.p[0] != '0' || s.n == 1 ? s : (prt_str){ NULL, 0 };
        return PRT_OK;
    }
    *text = prt_csv_int_text(s);
    return rc;
}

/* prt_parse_int_text for a field whose value nobody reads when its text is canonical (only
 * csv sinks copying the text: pc_gen_text.c): then *out is 0, not the value. Bad text fails
 * exactly as prt_parse_int's. */
__attribute__((always_inline)) static inline int prt_parse_int_text_lazy(prt_str s, prt_str in, int64_t *out,
                                                                         prt_str *text)
{
    uint64_t x;
    if (prt_int_word(s, in, &x) && (s.p[0] != '0' || s.n == 1)) {
        *out = 0;
        *text = s;
        return PRT_OK;
    }
    return prt_parse_int_text(s, in, out, text);
}

/* The same for a timestamp field (prt_parse_ts; the text when it is what prt_fmt_ts writes,
 * as prt_csv_ts_text says, decided by the parser's fast path itself: prt_w_ts_canon). Inline,
 * the usual case: the shape prt_fmt_ts writes, in the second the thread read last (its memo,
 * prt_text.h); anything else is prt_parse_ts_text_any's. */
int prt_parse_ts_text_any(prt_str s, int64_t *out, prt_str *text);
__attribute__((always_inline)) static inline int prt_parse_ts_text(prt_str s, int64_t *out, prt_str *text)
{
    if (prt_ts_memo_read(s, out)) {
        *text = s.n == 20 || *out != prt_ts_memo_tl.ms ? s : (prt_str){ NULL, 0 }; /* ".000" is not written */
        return PRT_OK;
    }
    return prt_parse_ts_text_any(s, out, text);
}

/* timestamp: s, a text prt_parse_ts read as ms: the RFC 3339 shape prt_fmt_ts writes,
 * `YYYY-MM-DDTHH:MM:SSZ`, or `…SS.mmmZ` with mmm not 000 (".000" is not written). */
static inline prt_str prt_csv_ts_text(prt_str s, int64_t ms)
{
    int shape = s.n == 20 || (s.n == 24 && s.p[19] == '.' && ms % 1000 != 0);
    if (shape && s.p[4] == '-' && s.p[10] == 'T' && s.p[s.n - 1] == 'Z')
        return s;
    return (prt_str){ NULL, 0 };
}

/* string, written to csv with the delimiter it was split on: a plain line's field (see
 * prt_csv_split) without a space or tab at either end needs no quotes, so it is written as is. */
static inline prt_str prt_csv_str_text(prt_str s, int plain)
{
    if (plain && (!s.n || (s.p[0] != ' ' && s.p[0] != '\t' && s.p[s.n - 1] != ' ' && s.p[s.n - 1] != '\t')))
        return s;
    return (prt_str){ NULL, 0 };
}

/* ---- json: one object per line; fields found by dotted path into nested objects ---- */
/* paths[i] is a dotted path ("data.price"). On success vals[i] holds the value of path i and bit
 * i of *present is set (i < 64): strings unescaped (without quotes), numbers and true/false as
 * written, nested objects/arrays as their raw JSON text; null counts as absent.
 * Returns PRT_ERR (and e, with the byte offset) for malformed JSON or a non-object line. */
int prt_json_extract(prt_str line, const char *const *paths, int npaths, prt_str *vals,
                     uint64_t *present, prt_scratch *s, prt_err *e);

/* ---- writers ---- */
typedef enum prt_out_format { PRT_OUT_JSON, PRT_OUT_CSV, PRT_OUT_KV } prt_out_format;

typedef struct prt_writer {
    prt_out_format fmt;
    char delim;     /* csv delimiter */
    prt_buf *buf;
    int first;      /* no field written yet */
} prt_writer;

void prt_w_begin(prt_writer *w, prt_out_format fmt, char delim, prt_buf *buf); /* clears buf */
/* As prt_w_begin, after what buf holds (a sink's line buffer: prt_emit_buf). */
static inline void prt_w_start(prt_writer *w, prt_out_format fmt, char delim, prt_buf *buf)
{
    w->fmt = fmt;
    w->delim = delim;
    w->buf = buf;
    w->first = 1;
    if (fmt == PRT_OUT_JSON)
        prt_buf_putc(buf, '{');
}
void prt_w_str(prt_writer *w, const char *name, prt_str v);
void prt_w_int(prt_writer *w, const char *name, int64_t v);
void prt_w_float(prt_writer *w, const char *name, double v);
void prt_w_bool(prt_writer *w, const char *name, int v);
void prt_w_ts(prt_writer *w, const char *name, int64_t ms);
static inline void prt_w_end(prt_writer *w) /* closes the record (json '}'); no newline */
{
    if (w->fmt == PRT_OUT_JSON)
        prt_buf_putc(w->buf, '}');
}
/* csv only: a field that travels with its input text is written by copying the text when that
 * is what formatting the value would give (ints and timestamps: text.p set, by prt_parse_int_text and
 * prt_parse_ts_text; strings: text.p set, by prt_csv_str_text), else formatted as prt_w_int /
 * _ts / _str would. */
static inline void prt_w_csv_text(prt_writer *w, prt_str text)
{
    prt_buf *b = w->buf;
    prt_buf_reserve(b, text.n + 1);
    if (!w->first)
        b->p[b->n++] = w->delim;
    w->first = 0;
    memcpy(b->p + b->n, text.p, text.n);
    b->n += text.n;
}
/* an int whose text is canonical when set (prt_parse_int_text) */
static inline void prt_w_int_canon(prt_writer *w, const char *name, int64_t v, prt_str text)
{
    if (text.p)
        prt_w_csv_text(w, text);
    else
        prt_w_int(w, name, v);
}
/* a timestamp whose text is canonical when set (prt_parse_ts_text) */
static inline void prt_w_ts_canon(prt_writer *w, const char *name, int64_t ms, prt_str text)
{
    if (text.p)
        prt_w_csv_text(w, text);
    else
        prt_w_ts(w, name, ms);
}
static inline void prt_w_str_text(prt_writer *w, const char *name, prt_str v, prt_str text)
{
    if (text.p)
        prt_w_csv_text(w, text);
    else
        prt_w_str(w, name, v);
}
/* JSON: a nested object `"name":{...}` holds the fields written until prt_w_close (CloudEvents'
 * `data`); csv and kv have no nesting: the fields stay flat. */
void prt_w_open(prt_writer *w, const char *name);
void prt_w_close(prt_writer *w);

/* JSON string with quotes and escapes (control chars as \u00XX, valid UTF-8 passed through). */
void prt_json_quote(prt_buf *b, prt_str v);

#endif
