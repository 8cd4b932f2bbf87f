/* pc_compat.h — upgrades checked before they are deployed: `pipec compat DIR NEW.yaml`,
 * `pipec build NEW.yaml --savepoint DIR`, and `pipec ids FILE.yaml`.
 *
 * The evolution rules live in one place, the runtime's restore plan (runtime/prt_snap.c): a
 * compat check builds the new pipeline and asks the binary itself (`BIN savepoint check DIR`),
 * so what pipec accepts is exactly what `run --from-savepoint` will restore.
 */
#ifndef PC_COMPAT_H
#define PC_COMPAT_H

#include "pc_ast.h"
#include "pc_diag.h"
#include "pc_gen.h"

/* Runs `bin savepoint check dir` with its stdout and stderr passed through; returns its exit
 * status (0 compatible, 1 not, 2 usage), or -1 when it could not run (reported). */
int pc_savepoint_check(const char *bin, const char *dir);
/* `pipec compat`: builds p into a temporary directory, checks, removes the build. */
int pc_compat(const pc_pipeline *p, const pc_gen_opts *o, pc_diags *d, const char *dir);
/* `pipec ids`: one line per stateful stage: its operator ID, kind, and how the ID came about. */
void pc_ids(const pc_pipeline *p, FILE *out);

#endif
