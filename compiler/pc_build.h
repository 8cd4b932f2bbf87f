/* pc_build.h — `pipec build`: generate, then compile and link one fully static binary.
 *
 * Everything pipec needs from the tree it was built in is in one file that ./configure writes
 * beside the executable: pipec.ninja (build/pipec.ninja, build/asan/pipec.ninja), or
 * $PIPEC_HOME/pipec.ninja when PIPEC_HOME is set. It names the templates, the runtime headers,
 * libprt.a and the static link line; the per-pipeline ninja file includes it, so the link line
 * is written once, by configure. Writes the generated C and that ninja file to BINARY.build/
 * beside the output and runs ninja there. Environment overrides for sanitizer builds:
 * PIPEC_RUNTIME_LIB (another libprt.a), PIPEC_CFLAGS (added to compile and link), PIPEC_LINK=dynamic. */
#ifndef PC_BUILD_H
#define PC_BUILD_H

#include "pc_arena.h"
#include "pc_ast.h"
#include "pc_diag.h"
#include "pc_gen.h"

/* Absolute path of pipec.ninja; NULL (reported through d) when it cannot be found or read. */
const char *pc_build_toolchain(pc_arena *a, pc_diags *d);
/* The templates directory named by pipec.ninja (pipec_templates); NULL (reported) when missing. */
const char *pc_build_templates_dir(pc_arena *a, pc_diags *d);
int pc_build(const pc_pipeline *p, const pc_gen_opts *o, pc_diags *d, const char *out_bin);
/* Builds p into a new directory $TMPDIR/pipec-<what>.XXXXXX (compat, test): the directory in
 * dir, the binary in bin. 0, or -1 after reporting (the directory is then already removed). */
int pc_build_tmp(const pc_pipeline *p, const pc_gen_opts *o, pc_diags *d, const char *what, char *dir,
                 size_t dircap, char *bin, size_t bincap);
/* Removes such a directory (a warning when it cannot). */
void pc_build_tmp_remove(const char *dir);

/* Runs a built binary: argv[0] is its path, argv ends with NULL. Its stdout goes to out_path and
 * its stderr to err_path when given (truncated), else they are pipec's. The exit status, 128 +
 * the signal when it died, 127 when it could not be run; -1 (reported) when pipec cannot fork.
 * maxrss_kib, when given, gets the child's peak RSS in KiB. */
int pc_run_bin(const char *const *argv, const char *out_path, const char *err_path, long *maxrss_kib);

#endif
