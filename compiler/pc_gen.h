/* pc_gen.h — the code generator: a checked pipeline in, one C translation unit out.
 *
 * The output is deterministic (same YAML bytes, same C bytes): no timestamps, no absolute paths,
 * emission in YAML order. It is assembled from templates/ (one per operator kind, one for main). */
#ifndef PC_GEN_H
#define PC_GEN_H

#include "pc_ast.h"
#include "pc_diag.h"

typedef struct pc_gen_opts {
    const char *templates_dir; /* the directory holding the *.c.tmpl files */
    int line_directives;       /* emit #line back to the YAML for user expressions */
    int debug;                 /* pipec build: keep symbols (-g, no strip); else stripped */
    int test;                  /* pipec test: stage entry points and taps, every sink as json */
} pc_gen_opts;

/* Writes the generated C of p to out_c (a path). Returns 0, or -1 after reporting through d. */
int pc_gen_emit(const pc_pipeline *p, const pc_gen_opts *o, pc_diags *d, const char *out_c);

#endif
