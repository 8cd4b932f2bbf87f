/* pc_load.h — the front end: read a YAML pipeline, parse it, type-check it.
 *
 * pc_load reports every problem it finds through d (not just the first) and returns NULL when
 * there was at least one error. Warnings do not fail. The result lives in the arena. */
#ifndef PC_LOAD_H
#define PC_LOAD_H

#include "pc_arena.h"
#include "pc_ast.h"
#include "pc_diag.h"

pc_pipeline *pc_load(pc_arena *a, pc_diags *d, const char *path);
/* The same from memory (fuzzing, tests): file is the name used in diagnostics. */
pc_pipeline *pc_load_text(pc_arena *a, pc_diags *d, const char *file, const char *text, size_t len);

#endif
