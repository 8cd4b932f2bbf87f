/* pc_package.h — `pipec package FILE.yaml -o DIR`: a pipeline ready to ship. DIR receives the
 * stripped static binary, a Dockerfile (FROM scratch, non-root, a state volume, the admin port,
 * a HEALTHCHECK the binary answers itself), a Kubernetes manifest (<pipeline>.k8s.yaml: a
 * headless Service and a StatefulSet with a state volume, probes on the admin endpoint, a
 * preStop that stops with a savepoint, memory requests from the binary's measured RSS), an
 * empty state/ directory the image's volume starts from, and a .dockerignore. */
#ifndef PC_PACKAGE_H
#define PC_PACKAGE_H

#include "pc_ast.h"
#include "pc_diag.h"
#include "pc_gen.h"

int pc_package(const pc_pipeline *p, const pc_gen_opts *o, pc_diags *d, const char *yaml, const char *dir);

#endif
