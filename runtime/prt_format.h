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

/* ---- kv: `a=1,b=x` — pairs split on ',', key and value on the first '=', spaces trimmed ---- */
#include "prt_kv.h" /* inline: prt_kv_init, prt_kv_next */

/* ---- csv: RFC 4180 quoting ("a,b", "say ""hi"""), any single-byte delimiter ---- */
/* Splits line into at most max columns. Returns the column count (which may exceed max: the
 * extra columns are counted but not stored), or PRT_ERR (and e) on an unterminated quote. */
int prt_csv_split(prt_str line, char delim, prt_str *cols, int max, prt_scratch *s, prt_err *e);

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
void prt_w_str(prt_writer *w, const char *name, prt_str v);
void prt_w_int(prt_writer *w, const char *name, int64_t v);
void prt_w_float(prt_writer *w, const char *name, double v);
void prt_w_bool(prt_writer *w, const char *name, int v);
void prt_w_ts(prt_writer *w, const char *name, int64_t ms);
void prt_w_end(prt_writer *w); /* closes the record (json '}'); no newline */
/* JSON: a nested object `"name":{...}` holds the fields written until prt_w_close (CloudEvents'
 * `data`); csv and kv have no nesting: the fields stay flat. */
void prt_w_open(prt_writer *w, const char *name);
void prt_w_close(prt_writer *w);

/* JSON string with quotes and escapes (control chars as \u00XX, valid UTF-8 passed through). */
void prt_json_quote(prt_buf *b, prt_str v);

#endif
