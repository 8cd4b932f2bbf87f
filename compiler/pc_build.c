/* pc_build.c — `pipec build`: generate the C, write a ninja file beside the output, and let
 * ninja compile and link one fully static binary against the runtime (libprt.a). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pc_arena.h"
#include "pc_build.h"
#include "prt_fsutil.h"

/* <dir of the pipec executable>/pipec.ninja, or $PIPEC_HOME/pipec.ninja */
const char *pc_build_toolchain(pc_arena *a, pc_diags *d)
{
    const char *home = getenv("PIPEC_HOME");
    const char *dir;
    if (home && *home) {
        dir = home;
    } else {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0) {
            pc_error_file(d, "cannot find the pipec executable: %s", strerror(errno));
            return NULL;
        }
        exe[n] = 0;
        *strrchr(exe, '/') = 0; /* readlink gives an absolute path */
        dir = pc_sprintf(a, "%s", exe);
    }
    const char *path = pc_sprintf(a, "%s/pipec.ninja", dir);
    if (access(path, R_OK) != 0) {
        pc_error_file(d, "cannot read %s: %s (run ./configure, or set PIPEC_HOME to the directory holding it)",
                      path, strerror(errno));
        return NULL;
    }
    return path;
}

/* The value of a top-level `name = value` line of the toolchain file (no variables in it). */
static const char *toolchain_var(pc_arena *a, pc_diags *d, const char *path, const char *name)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        pc_error_file(d, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char line[PATH_MAX + 64];
    size_t nl = strlen(name);
    const char *v = NULL;
    while (!v && fgets(line, sizeof line, f)) {
        if (strncmp(line, name, nl) || strncmp(line + nl, " = ", 3))
            continue;
        line[strcspn(line, "\n")] = 0;
        v = pc_sprintf(a, "%s", line + nl + 3);
    }
    fclose(f);
    if (!v)
        pc_error_file(d, "%s does not set %s (run ./configure)", path, name);
    return v;
}

const char *pc_build_templates_dir(pc_arena *a, pc_diags *d)
{
    const char *tc = pc_build_toolchain(a, d);
    return tc ? toolchain_var(a, d, tc, "pipec_templates") : NULL;
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

/* ninja build lines for the C files of the function stages (each file once, in YAML order). */
static int fn_sources(pc_arena *a, pc_diags *d, const pc_pipeline *p, const char *dir, const char **builds,
                      const char **objs)
{
    const char *slash = strrchr(p->file, '/');
    const char *ydir = slash ? pc_sprintf(a, "%.*s", (int)(slash - p->file), p->file) : ".";
    char real[PATH_MAX];
    if (!realpath(ydir, real)) {
        pc_error_file(d, "cannot resolve %s: %s", ydir, strerror(errno));
        return -1;
    }
    const char *b = "", *o = "";
    int n = 0;
    for (int k = 0; k < p->nstages; k++) {
        const pc_stage *st = &p->stages[k];
        if (st->kind != PC_S_PROCESS || !st->fn->file)
            continue;
        int seen = 0;
        for (int j = 0; j < k; j++)
            seen |= p->stages[j].kind == PC_S_PROCESS && p->stages[j].fn->file &&
                    !strcmp(p->stages[j].fn->file, st->fn->file);
        if (seen)
            continue;
        const char *src = st->fn->file[0] == '/' ? st->fn->file : pc_sprintf(a, "%s/%s", real, st->fn->file);
        if (access(src, R_OK) != 0) {
            pc_error_file(d, "cannot read %s, the code of function '%s': %s", src, st->id, strerror(errno));
            return -1;
        }
        b = pc_sprintf(a, "%sbuild fn%d_%s.o: cc %s | %s.c\n  cflags = $cflags -I%s -include %s/pipec_functions.h\n", b, n, st->id, src, p->name, dir, dir);
        o = pc_sprintf(a, "%s fn%d_%s.o", o, n, st->id);
        n++;
    }
    *builds = b;
    *objs = o;
    return 0;
}

int pc_build(const pc_pipeline *p, const pc_gen_opts *o, pc_diags *d, const char *out_bin)
{
    pc_arena a = { 0 };
    int rc = -1;
    const char *runtime_lib = getenv("PIPEC_RUNTIME_LIB"); /* e.g. build/asan/libprt.a */
    const char *extra_cflags = getenv("PIPEC_CFLAGS");
    const char *link_mode = getenv("PIPEC_LINK"); /* "dynamic" for sanitizer builds */
    if (!extra_cflags)
        extra_cflags = "";

    const char *toolchain = pc_build_toolchain(&a, d);
    if (!toolchain)
        goto done;
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
    go.templates_dir = toolchain_var(&a, d, toolchain, "pipec_templates");
    if (!go.templates_dir)
        goto done;
    const char *c_file = pc_sprintf(&a, "%s/%s.c", dir, p->name);
    if (pc_gen_emit(p, &go, d, c_file) != 0)
        goto done;

    /* the functions' C files, beside the YAML: compiled with the same flags as the generated C,
     * with this build's pipec_functions.h included first (-include), so that a stale copy
     * beside the C file (from a `pipec emit -o .`) cannot stand in for it: its include guard
     * makes the user's own #include of it empty */
    const char *fn_builds = "", *fn_objs = "";
    if (fn_sources(&a, d, p, dir, &fn_builds, &fn_objs) != 0)
        goto done;
    /* a static job links the allocator of the toolchain ($alloc_libs: jemalloc) after libprt.a,
     * where malloc is first needed, so that it is the malloc taken; librdkafka's fetcher allocates
     * each message and the job's thread frees it, which glibc's arena lock turns into a futex call
     * for one message in two (bench/README.md). A dynamic (sanitizer) build keeps the sanitizer's. */
    int dynamic = link_mode && !strcmp(link_mode, "dynamic");
    const char *ninja = pc_sprintf(&a,
        "# written by pipec build for pipeline %s — rebuilt by every `pipec build`\n"
        "# pipec_runtime, pipec_libprt and static_libs (the link line) come from configure:\n"
        "include %s\n"
        "%s%s%s"
        "cflags = -std=c11 -D_GNU_SOURCE -O2%s -I$pipec_runtime -Wall -Wextra -Werror -Wno-unused-parameter %s\n"
        "ldflags = %s%s\n"
        "rule cc\n  command = gcc -MMD -MF $out.d $cflags -c $in -o $out\n  depfile = $out.d\n  description = CC $out\n"
        "rule link\n  command = gcc $ldflags -o $out.tmp $in $pipec_libprt %s$static_libs && mv $out.tmp $out\n"
        "  description = LINK $out\n"
        "build %s.o: cc %s.c\n"
        "%s"
        "build %s: link %s.o%s | $pipec_libprt\n",
        p->name, toolchain,
        runtime_lib && *runtime_lib ? "pipec_libprt = " : "", runtime_lib && *runtime_lib ? runtime_lib : "",
        runtime_lib && *runtime_lib ? "\n" : "",
        o->debug ? " -g" : "", extra_cflags, dynamic ? extra_cflags : "-static",
        o->debug || dynamic ? "" : " -s", dynamic ? "" : "$alloc_libs ", p->name, p->name, fn_builds, abs_out, p->name, fn_objs);
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

void pc_build_tmp_remove(const char *dir)
{
    prt_err e;
    if (prt_rmtree(dir, &e) != PRT_OK)
        fprintf(stderr, "pipec: warning: could not remove %s: %s\n", dir, e.msg);
}

int pc_build_tmp(const pc_pipeline *p, const pc_gen_opts *o, pc_diags *d, const char *what, char *dir,
                 size_t dircap, char *bin, size_t bincap)
{
    const char *base = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, dircap, "%s/pipec-%s.XXXXXX", base, what);
    if (!mkdtemp(dir)) {
        pc_error_file(d, "cannot create a directory in %s: %s", base, strerror(errno));
        return -1;
    }
    snprintf(bin, bincap, "%s/%s", dir, p->name);
    if (pc_build(p, o, d, bin) != 0) {
        pc_build_tmp_remove(dir);
        return -1;
    }
    return 0;
}

int pc_run_bin(const char *const *argv, const char *out_path, const char *err_path, long *maxrss_kib)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "pipec: error: cannot run %s: %s\n", argv[0], strerror(errno));
        return -1;
    }
    if (pid == 0) {
        const char *paths[2] = { out_path, err_path };
        for (int i = 0; i < 2; i++) {
            if (!paths[i])
                continue;
            int fd = open(paths[i], O_WRONLY | O_CREAT | O_TRUNC, 0666);
            if (fd < 0 || dup2(fd, i + 1) < 0)
                _exit(127);
        }
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "pipec: error: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0)
        if (errno != EINTR)
            return -1;
    if (maxrss_kib)
        *maxrss_kib = ru.ru_maxrss;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
