/* pc_build.h — `pipec build`: generate, then compile and link one fully static binary.
 *
 * Finds the runtime (headers, libprt.a) and templates relative to the pipec executable
 * (<root>/build/pipec -> <root>), or under $PIPEC_HOME when set; the static librdkafka under
 * $PIPEC_RDKAFKA_DIR or the directory configure recorded. Writes the generated C and a ninja file
 * to BINARY.build/ beside the output and runs ninja there. */
#ifndef PC_BUILD_H
#define PC_BUILD_H

#include "pc_ast.h"
#include "pc_diag.h"
#include "pc_gen.h"

const char *pc_build_root(void);          /* the pipec tree: runtime/, templates/, build/ */
const char *pc_build_templates_dir(void);
int pc_build(const pc_pipeline *p, const pc_gen_opts *o, pc_diags *d, const char *out_bin);

#endif
