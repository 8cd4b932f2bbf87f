/* pc_build.c — `pipec build`: generate the C, write a ninja file beside the output, and let
 * ninja compile and link one fully static binary against the runtime (libprt.a). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pc_arena.h"
#include "pc_build.h"

#ifndef PC_RDKAFKA_DIR
#define PC_RDKAFKA_DIR "/var/cache/pipec/librdkafka"
#endif

static char root_buf[PATH_MAX];

static int is_root(const char *dir)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/runtime/prt.h", dir);
    return access(path, R_OK) == 0;
}

const char *pc_build_root(void)
{
    if (root_buf[0])
        return root_buf;
    const char *home = getenv("PIPEC_HOME");
    if (home && *home) {
        snprintf(root_buf, sizeof root_buf, "%s", home);
        return root_buf;
    }
    /* <root>/build/pipec or <root>/build/asan/pipec: walk up from the executable */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        for (char *slash = strrchr(exe, '/'); slash; slash = strrchr(exe, '/')) {
            *slash = 0;
            if (exe[0] && is_root(exe)) {
                snprintf(root_buf, sizeof root_buf, "%s", exe);
                return root_buf;
            }
        }
    }
    snprintf(root_buf, sizeof root_buf, ".");
    return root_buf;
}

const char *pc_build_templates_dir(void)
{
    static char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/templates", pc_build_root());
    return dir;
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = strlen(text);
    int bad = fwrite(text, 1, n, f) != n;
    return (fclose(f) != 0 || bad) ? -1 : 0;
}

int pc_build(const pc_pipeline *p, const pc_gen_opts *o, pc_diags *d, const char *out_bin)
{
    pc_arena a = { 0 };
    int rc = -1;
    const char *root = pc_build_root();
    const char *rdkafka = getenv("PIPEC_RDKAFKA_DIR");
    if (!rdkafka || !*rdkafka)
        rdkafka = PC_RDKAFKA_DIR;
    const char *runtime_lib = getenv("PIPEC_RUNTIME_LIB"); /* e.g. build/asan/libprt.a */
    const char *extra_cflags = getenv("PIPEC_CFLAGS");
    const char *link_mode = getenv("PIPEC_LINK"); /* "dynamic" for sanitizer builds */

    const char *abs_out = out_bin;
    if (out_bin[0] != '/') {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) {
            pc_error_file(d, "cannot read the current directory: %s", strerror(errno));
            goto done;
        }
        abs_out = pc_sprintf(&a, "%s/%s", cwd, out_bin);
    }
    const char *dir = pc_sprintf(&a, "%s.build", abs_out);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        pc_error_file(d, "cannot create %s: %s", dir, strerror(errno));
        goto done;
    }
    pc_gen_opts go = *o;
    go.templates_dir = pc_build_templates_dir();
    const char *c_file = pc_sprintf(&a, "%s/%s.c", dir, p->name);
    if (pc_gen_emit(p, &go, d, c_file) != 0)
        goto done;

    int dynamic = link_mode && !strcmp(link_mode, "dynamic");
    const char *lib = runtime_lib && *runtime_lib ? runtime_lib : pc_sprintf(&a, "%s/build/libprt.a", root);
    const char *ninja = pc_sprintf(&a,
        "# written by pipec build for pipeline %s — rebuilt by every `pipec build`\n"
        "cflags = -std=c11 -D_GNU_SOURCE -O2%s -I%s/runtime -Wall -Wextra -Werror "
        "-Wno-unused-parameter -Wno-unused-function %s\n"
        "ldflags = %s%s\n"
        "libs = -L%s -lrdkafka -lrocksdb -lyaml -levent_extra -levent_core -llz4 -lzstd -lssl -lcrypto "
        "-lz -lsnappy -lbz2 -lstdc++ -lm -lpthread\n"
        "rule cc\n  command = gcc -MMD -MF $out.d $cflags -c $in -o $out\n  depfile = $out.d\n  description = CC $out\n"
        "rule link\n  command = gcc $ldflags -o $out.tmp $in %s $libs && mv $out.tmp $out\n  description = LINK $out\n"
        "build %s.o: cc %s.c\n"
        "build %s: link %s.o | %s\n",
        p->name, o->debug ? " -g" : "", root, extra_cflags ? extra_cflags : "",
        dynamic ? (extra_cflags ? extra_cflags : "") : "-static", o->debug || dynamic ? "" : " -s",
        rdkafka, lib, p->name, p->name, abs_out, p->name, lib);
    if (write_text(pc_sprintf(&a, "%s/build.ninja", dir), ninja) != 0) {
        pc_error_file(d, "cannot write %s/build.ninja: %s", dir, strerror(errno));
        goto done;
    }
    /* the static link warns that getaddrinfo needs glibc's NSS at run time: expected, and
     * resolving from /etc/hosts works in an empty container; keep ninja's output for errors */
    const char *cmd = pc_sprintf(&a, "ninja -C '%s' --quiet > '%s/ninja.log' 2>&1", dir, dir);
    int st = system(cmd);
    if (st != 0) {
        pc_error_file(d, "compiling the generated C failed; see %s/ninja.log", dir);
        FILE *f = fopen(pc_sprintf(&a, "%s/ninja.log", dir), "r");
        if (f) {
            char line[1024];
            int shown = 0;
            while (fgets(line, sizeof line, f) && shown++ < 40)
                fputs(line, stderr);
            fclose(f);
        }
        goto done;
    }
    rc = 0;
done:
    pc_arena_free(&a);
    return rc;
}
