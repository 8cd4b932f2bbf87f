/* prt_ptest.h — the binary's side of `pipec test` (docs/testing.md): `BIN test SCRIPT` runs one
 * test case written by pipec against the generated code, with every source replaced by the
 * case's input and every sink (and an isolated stage's output) printed as JSON lines.
 *
 * Only a binary built by `pipec test` can run it (its job descriptor has a prt_test_desc).
 */
#ifndef PRT_PTEST_H
#define PRT_PTEST_H

#include "prt_job.h"

/* `BIN test SCRIPT`: returns the exit status (0 ran, 1 the job failed, 2 usage or a bad script). */
int prt_ptest_cli(int argc, char **argv, const char *prog, const prt_job_desc *d);

/* A JSON object (one line) into the zeroed row struct `out` described by row; strings point into
 * line or s. PRT_ERR with e when the line is not an object or a value does not convert. */
int prt_ptest_row_read(const prt_schema *row, prt_str line, void *out, prt_scratch *s, prt_err *e);
/* The row as one JSON object, without metadata fields ('_' names), replacing b's contents. */
void prt_ptest_row_write(const prt_schema *row, const void *r, prt_buf *b);

#endif
