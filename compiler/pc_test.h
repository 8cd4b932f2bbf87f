/* pc_test.h — `pipec test FILE.yaml [CASES.yaml]`: declarative tests of a pipeline
 * (docs/testing.md). The cases come from CASES.yaml, else FILE.test.yaml beside the pipeline,
 * else the pipeline's own `tests:` section. pipec builds the pipeline for tests (the generated
 * code plus test entry points), runs each case through the binary (`BIN test SCRIPT`), and
 * prints `PASS name` or `FAIL name` with a diff of the records per output, then
 * `N passed, N failed`.
 */
#ifndef PC_TEST_H
#define PC_TEST_H

#include "pc_ast.h"
#include "pc_gen.h"

/* Runs the cases of `cases` (NULL: the default, pc_test_default_cases), all of them or only those
 * named in only[0..nonly). The exit status: 0 every case run passed, 1 a case failed, 2 the
 * tests could not run (a bad test file, reported as FILE:LINE:COL like pipec check; a --case
 * naming no case; the pipeline did not build). */
int pc_test(const pc_pipeline *p, const pc_gen_opts *o, const char *cases, const char *const *only, int nonly);

/* The cases file pipec test reads for a pipeline when none is named (arena-free: malloc'd). */
char *pc_test_default_cases(const pc_pipeline *p);

#endif
