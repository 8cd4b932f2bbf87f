/* pc_test_int.h — shared by the files of `pipec test` (pc_test*.c); not a public API.
 *
 * A test file becomes a list of cases. Each case carries the script its binary runs (prt_ptest.c
 * reads it) and what it expects per output: a sink, or the isolated stage's own output. Records
 * are kept field by field as canonical JSON values (the text the binary's json writer gives for
 * that value: `"a"`, `12`, `10.0`, `"2024-05-23T12:00:00Z"`, `true`, `null`), indexed by the
 * output row's fields, so that comparing two records is comparing strings. All memory belongs
 * to the caller's arena. */
#ifndef PC_TEST_INT_H
#define PC_TEST_INT_H

#include "pc_arena.h"
#include "pc_ast.h"
#include "pc_diag.h"
#include "pc_sb.h"
#include "pc_yaml.h"
#include "prt_core.h"

#include <stdio.h>

/* One record: vals[i] is the canonical value of row field i, NULL where it is not given. */
typedef struct pc_trec {
    const char **vals;
    pc_loc loc;        /* where it is written (expected records) */
} pc_trec;

/* What a case expects from one output. */
typedef struct pc_texpect {
    const char *target;     /* the sink name or the isolated stage's id */
    int sink;               /* sink index, or -1 for the isolated stage's output */
    const pc_row *row;      /* the fields its records have */
    pc_trec *recs;
    int nrecs;
    int subset;             /* compare only the fields each expected record gives */
    int ordered;            /* 0: any order (each expected record matched once) */
    pc_loc loc;
} pc_texpect;

typedef struct pc_tcase {
    const char *name;
    pc_loc loc;
    int stage;              /* the isolated stage's index, or -1: the whole pipeline */
    const char *script;     /* the steps for `BIN test` (prt_ptest.c) */
    pc_texpect *expects;
    int nexpects;
} pc_tcase;

typedef struct pc_tfile {
    const char *path;       /* the test file (maybe the pipeline itself, for a `tests:` section) */
    pc_tcase *cases;
    int ncases;
} pc_tfile;

/* pc_test_load.c: reads the cases of the test file at path (or of `tests:` in the pipeline's
 * own YAML when path is the pipeline file); every problem is reported through d, which the
 * caller initialised for that file. Returns NULL when there was an error. */
pc_tfile *pc_test_load(pc_arena *a, pc_diags *d, const pc_pipeline *p, const char *path);

/* pc_test_value.c: a scalar written in a test file (YAML or JSON text) as the canonical JSON
 * value of type t; NULL (and *why) when it is not one. */
const char *pc_tval_canon(pc_arena *a, pc_type t, const char *text, size_t len, int is_null, const char **why);
/* The same step by step: the checked value as plain text (a string as is, a timestamp in RFC
 * 3339, numbers as the binary writes them; "null" for a null float), and that as a JSON value. */
const char *pc_tval_plain(pc_arena *a, pc_type t, const char *text, size_t len, int is_null, const char **why);
const char *pc_tval_json_of(pc_arena *a, pc_type t, const char *plain);
/* The row of the errors sink's records (source, origin, line, partition, offset, stage, error,
 * record). */
const pc_row *pc_tval_errors_row(pc_arena *a);
/* A record as one JSON object over the fields it gives, in row order (vals canonical). */
const char *pc_tval_json(pc_arena *a, const pc_row *row, const pc_trec *r, const int *only);
/* The values of row's fields in a JSON object (len bytes of line), by field name: vals[i] and
 * present[i] per field (as prt_json_extract gives them, for rows of any width). */
int pc_tval_extract(const pc_row *row, const char *line, size_t len, prt_str *vals, char *present,
                    prt_scratch *s, prt_err *e);
/* A line of the binary's output (a JSON object) as a record of row; NULL and *why if it is not. */
pc_trec *pc_tval_parse_line(pc_arena *a, const pc_row *row, const char *line, const char **why);

/* pc_test_input.c: an input record (plain values by field of the source's row) as one line in
 * the source's format; NULL and *why when the format cannot carry a value (a ',' in kv). */
const char *pc_tin_line(pc_arena *a, const pc_source *s, const char **plain, const char **why);
/* The header line of a csv source with `header: true`, else NULL. */
const char *pc_tin_header(pc_arena *a, const pc_source *s);

/* pc_test_diff.c: compares what one output got with what was expected and, when they differ,
 * prints a diff of the records as JSON lines to out. Returns 1 when they match. */
int pc_test_compare(pc_arena *a, const pc_texpect *x, pc_trec **got, int ngot, FILE *out);

#endif
