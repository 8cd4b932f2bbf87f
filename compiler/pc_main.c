/* pc_main.c — the pipec command line: check, emit, build, package, compat, ids. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pc_arena.h"
#include "pc_build.h"
#include "pc_compat.h"
#include "pc_diag.h"
#include "pc_gen.h"
#include "pc_load.h"
#include "pc_package.h"
#include "pc_test.h"
#include "pc_version.h"

static void usage(FILE *f)
{
    fprintf(f,
        "usage: pipec check FILE.yaml              type-check a pipeline\n"
        "       pipec emit FILE.yaml -o DIR        write the generated C to DIR/<pipeline>.c\n"
        "       pipec build FILE.yaml -o BINARY [--savepoint DIR]\n"
        "                                          compile a fully static, stripped binary (that can restore DIR)\n"
        "       pipec package FILE.yaml -o DIR     the binary, a Dockerfile (FROM scratch) and a\n"
        "                                          Kubernetes StatefulSet, ready to ship\n"
        "       pipec compat DIR FILE.yaml         can a build of FILE.yaml restore savepoint DIR?\n"
        "       pipec ids FILE.yaml                the operator IDs of the stateful stages\n"
        "       pipec test FILE.yaml [CASES.yaml]  run the test cases of FILE.test.yaml (or CASES.yaml,\n"
        "                                          or the pipeline's tests: section) through the real\n"
        "                                          generated code; exit 1 when a case fails\n"
        "       pipec --version | --help\n"
        "options:\n"
        "       --no-line    emit no #line directives back to the YAML\n"
        "       --test-build emit: the C of a pipec test build (test entry points; docs/testing.md)\n"
        "       --case NAME  test: run only the case NAME (repeatable)\n"
        "       --debug      build/package: keep symbols and #line directives (default: stripped)\n");
}

int main(int argc, char **argv)
{
    const char *cmd = NULL, *file = NULL, *out = NULL, *savepoint = NULL, *extra = NULL;
    int line_directives = 1, debug = 0, test_build = 0, nonly = 0;
    const char *only[64]; /* --case NAME... */

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--version")) {
            printf("pipec %s\n", PC_VERSION);
            return 0;
        } else if (!strcmp(a, "-o")) {
            if (++i == argc) {
                fprintf(stderr, "pipec: error: -o needs an argument\n");
                return 2;
            }
            out = argv[i];
        } else if (!strcmp(a, "--savepoint")) {
            if (++i == argc) {
                fprintf(stderr, "pipec: error: --savepoint needs a directory\n");
                return 2;
            }
            savepoint = argv[i];
        } else if (!strcmp(a, "--case")) {
            if (++i == argc) {
                fprintf(stderr, "pipec: error: --case needs a test case's name\n");
                return 2;
            }
            if (nonly == (int)(sizeof only / sizeof *only)) {
                fprintf(stderr, "pipec: error: at most %d --case options\n", nonly);
                return 2;
            }
            only[nonly++] = argv[i];
        } else if (!strcmp(a, "--test-build")) {
            test_build = 1;
        } else if (!strcmp(a, "--no-line")) {
            line_directives = 0;
        } else if (!strcmp(a, "--debug")) {
            debug = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "pipec: error: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!cmd) {
            cmd = a;
        } else if (!file) {
            file = a;
        } else if (!extra) {
            extra = a;
        } else {
            fprintf(stderr, "pipec: error: unexpected argument '%s'\n", a);
            return 2;
        }
    }
    if (!cmd || !file) {
        usage(stderr);
        return 2;
    }
    int is_check = !strcmp(cmd, "check"), is_emit = !strcmp(cmd, "emit"), is_build = !strcmp(cmd, "build");
    int is_compat = !strcmp(cmd, "compat"), is_ids = !strcmp(cmd, "ids"), is_package = !strcmp(cmd, "package");
    int is_test = !strcmp(cmd, "test");
    if (!is_check && !is_emit && !is_build && !is_compat && !is_ids && !is_package && !is_test) {
        fprintf(stderr, "pipec: error: unknown command '%s' (check, emit, build, package, compat, ids or test)\n", cmd);
        return 2;
    }
    const char *sp_dir = NULL;
    if (is_compat) { /* pipec compat DIR FILE.yaml */
        if (!extra) {
            fprintf(stderr, "pipec: error: compat needs a savepoint and a pipeline: pipec compat DIR FILE.yaml\n");
            return 2;
        }
        sp_dir = file;
        file = extra;
    } else if (extra && !is_test) { /* pipec test FILE.yaml [CASES.yaml] */
        fprintf(stderr, "pipec: error: unexpected argument '%s'\n", extra);
        return 2;
    }
    if (nonly && !is_test) {
        fprintf(stderr, "pipec: error: --case goes with test\n");
        return 2;
    }
    if (test_build && !is_emit) {
        fprintf(stderr, "pipec: error: --test-build goes with emit (pipec test builds its own)\n");
        return 2;
    }
    if (savepoint && !is_build) {
        fprintf(stderr, "pipec: error: --savepoint goes with build\n");
        return 2;
    }
    if ((is_emit || is_build || is_package) && !out) {
        fprintf(stderr, "pipec: error: %s needs -o %s\n", cmd, is_build ? "BINARY" : "DIR");
        return 2;
    }

    pc_arena arena = { 0 };
    pc_diags diags;
    pc_diag_init(&diags, file, NULL, 0, stderr);
    pc_pipeline *p = pc_load(&arena, &diags, file);
    int rc = (p && diags.errors == 0) ? 0 : 1;

    if (is_test) { /* 2: the tests could not run, a broken pipeline included */
        pc_gen_opts o = { .templates_dir = NULL, .line_directives = 0 };
        rc = rc == 0 ? pc_test(p, &o, extra, only, nonly) : 2;
    } else if (rc == 0 && is_ids) {
        pc_ids(p, stdout);
    } else if (rc == 0 && is_compat) {
        pc_gen_opts o = { .templates_dir = NULL, .line_directives = line_directives };
        rc = pc_compat(p, &o, &diags, sp_dir);
    } else if (rc == 0 && !is_check) {
        pc_gen_opts o = { .templates_dir = NULL, .line_directives = line_directives, .debug = debug,
                          .test = test_build };
        if (!is_emit) /* a shipped binary has no use for #line; --debug keeps them */
            o.line_directives = line_directives && debug;
        if (is_emit) {
            if (mkdir(out, 0777) != 0 && errno != EEXIST) {
                fprintf(stderr, "pipec: error: cannot create %s: %s\n", out, strerror(errno));
                rc = 1;
            } else {
                o.templates_dir = pc_build_templates_dir(&arena, &diags);
                char *path = pc_sprintf(&arena, "%s/%s.c", out, p->name);
                rc = o.templates_dir && pc_gen_emit(p, &o, &diags, path) == 0 ? 0 : 1;
            }
        } else if (is_package) {
            rc = pc_package(p, &o, &diags, file, out) == 0 ? 0 : 1;
        } else {
            rc = pc_build(p, &o, &diags, out) == 0 ? 0 : 1;
            if (rc == 0 && savepoint && pc_savepoint_check(out, savepoint) != 0) {
                fprintf(stderr, "pipec: error: %s cannot restore savepoint %s: not built\n", file, savepoint);
                remove(out);
                rc = 1;
            }
        }
    }
    pc_arena_free(&arena);
    return rc;
}
