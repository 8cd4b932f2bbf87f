/* pc_test.c — `pipec test`: load the cases, build the pipeline for tests once, run every case
 * through the binary, compare, report (pc_test.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pc_build.h"
#include "pc_test.h"
#include "pc_test_int.h"

char *pc_test_default_cases(const pc_pipeline *p)
{
    size_t n = strlen(p->file);
    const char *ext = n > 5 && !strcmp(p->file + n - 5, ".yaml") ? ".yaml"
                    : n > 4 && !strcmp(p->file + n - 4, ".yml") ? ".yml" : "";
    size_t stem = n - strlen(ext);
    char *path = malloc(stem + 16);
    if (!path)
        abort();
    snprintf(path, stem + 16, "%.*s.test%s", (int)stem, p->file, *ext ? ext : ".yaml");
    if (access(path, F_OK) == 0)
        return path;
    free(path); /* no file beside it: the `tests:` section of the pipeline itself */
    path = malloc(n + 1);
    if (!path)
        abort();
    memcpy(path, p->file, n + 1);
    return path;
}

/* Runs `bin test script`, its stdout into out_path and stderr into err_path: the exit status, or
 * -1 (reported) when it did not run or died. */
static int run_case(const char *bin, const char *script, const char *out_path, const char *err_path)
{
    const char *argv[] = { bin, "test", script, NULL };
    return pc_run_bin(argv, out_path, err_path, NULL);
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = strlen(text);
    int bad = fwrite(text, 1, n, f) != n;
    return fclose(f) != 0 || bad ? -1 : 0;
}

/* Prints the lines of a file, indented (what the binary said on stderr when it failed). */
static void show_file(const char *path, FILE *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[4096];
    int shown = 0;
    while (fgets(line, sizeof line, f) && shown++ < 20)
        fprintf(out, "    %s%s", line, strchr(line, '\n') ? "" : "\n");
    fclose(f);
}

typedef struct outputs {
    pc_trec ***recs; /* by output: sinks 0..nsinks-1, then the tap */
    int *n, *cap;
} outputs;

static void add(pc_arena *a, outputs *o, int k, pc_trec *r)
{
    if (o->n[k] == o->cap[k]) {
        o->cap[k] = o->cap[k] ? 2 * o->cap[k] : 16;
        pc_trec **g = pc_alloc(a, sizeof(pc_trec *) * (size_t)o->cap[k]);
        if (o->n[k])
            memcpy(g, o->recs[k], sizeof(pc_trec *) * (size_t)o->n[k]);
        o->recs[k] = g;
    }
    o->recs[k][o->n[k]++] = r;
}

/* Reads the binary's output into records of each expected output's row. Returns 0, or -1 with
 * *why when a line is not what prt_ptest.c writes. */
static int read_outputs(pc_arena *a, const pc_pipeline *p, const pc_tcase *tc, const char *path, outputs *o,
                        const char **why)
{
    int nout = p->nsinks + 1;
    o->recs = pc_alloc(a, sizeof(pc_trec **) * (size_t)nout);
    o->n = pc_alloc(a, sizeof(int) * (size_t)nout);
    o->cap = pc_alloc(a, sizeof(int) * (size_t)nout);
    const pc_row **rows = pc_alloc(a, sizeof(pc_row *) * (size_t)nout);
    for (int i = 0; i < tc->nexpects; i++)
        rows[tc->expects[i].sink >= 0 ? tc->expects[i].sink : p->nsinks] = tc->expects[i].row;
    FILE *f = fopen(path, "r");
    if (!f) {
        *why = pc_sprintf(a, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        if (n && line[n - 1] == '\n')
            line[--n] = 0;
        int k;
        const char *json;
        char *end;
        if (!strncmp(line, "tap ", 4)) {
            k = p->nsinks;
            json = line + 4;
        } else if (!strncmp(line, "sink ", 5) && (k = (int)strtol(line + 5, &end, 10)) >= 0 && k < p->nsinks &&
                   *end == ' ') {
            json = end + 1;
        } else {
            *why = pc_sprintf(a, "unexpected output line '%.60s'", line);
            rc = -1;
            break;
        }
        if (!rows[k])
            continue; /* an output the case does not look at */
        pc_trec *r = pc_tval_parse_line(a, rows[k], json, why);
        if (!r)
            rc = -1;
        else
            add(a, o, k, r);
    }
    free(line);
    fclose(f);
    return rc;
}

/* 1 when case `name` is to run: every case, or the ones --case named. */
static int selected(const char *name, const char *const *only, int nonly)
{
    for (int k = 0; k < nonly; k++)
        if (!strcmp(name, only[k]))
            return 1;
    return nonly == 0;
}

int pc_test(const pc_pipeline *p, const pc_gen_opts *o, const char *cases, const char *const *only, int nonly)
{
    pc_arena a = { 0 };
    char *dflt = cases ? NULL : pc_test_default_cases(p);
    const char *path = cases ? cases : dflt;
    pc_diags td;
    pc_diag_init(&td, path, NULL, 0, stderr);
    pc_diag_sort_begin(&td); /* in source order, whichever order they were found in */
    pc_tfile *tf = pc_test_load(&a, &td, p, path);
    pc_diag_flush(&td);
    int code = 2;
    if (!tf || td.errors)
        goto done;
    for (int k = 0; k < nonly; k++) {
        int found = 0;
        for (int i = 0; i < tf->ncases && !found; i++)
            found = !strcmp(tf->cases[i].name, only[k]);
        if (!found) {
            fprintf(stderr, "pipec: error: %s has no test case named '%s'\n", path, only[k]);
            goto done;
        }
    }

    pc_diags pd;
    pc_diag_init(&pd, p->file, p->text, p->text_len, stderr);
    pc_gen_opts to = *o;
    to.test = 1;
    char dir[4096], bin[4200];
    if (pc_build_tmp(p, &to, &pd, "test", dir, sizeof dir, bin, sizeof bin) != 0)
        goto done;
    int passed = 0, failed = 0;
    char *script = pc_sprintf(&a, "%s/case.script", dir), *out = pc_sprintf(&a, "%s/case.out", dir);
    char *err = pc_sprintf(&a, "%s/case.err", dir);
    for (int i = 0; i < tf->ncases; i++) {
        const pc_tcase *tc = &tf->cases[i];
        if (!selected(tc->name, only, nonly))
            continue;
        pc_arena ca = { 0 }; /* per case: the records read back */
        int ok = 1, rc = -1;
        if (write_file(script, tc->script) != 0) {
            fprintf(stderr, "pipec: error: cannot write %s: %s\n", script, strerror(errno));
        } else {
            rc = run_case(bin, script, out, err);
        }
        /* the diff goes into memory first: PASS or FAIL comes before it */
        char *report = NULL;
        size_t report_n = 0;
        FILE *rep = open_memstream(&report, &report_n);
        if (!rep)
            abort();
        if (rc != 0) {
            ok = 0;
            if (rc > 0)
                fprintf(rep, "  the pipeline binary exited with status %d:\n", rc);
            show_file(err, rep);
        } else {
            outputs got;
            const char *why = "";
            if (read_outputs(&ca, p, tc, out, &got, &why) != 0) {
                ok = 0;
                fprintf(rep, "  cannot read the output: %s\n", why);
            } else {
                for (int k = 0; k < tc->nexpects; k++) {
                    const pc_texpect *x = &tc->expects[k];
                    int slot = x->sink >= 0 ? x->sink : p->nsinks;
                    ok &= pc_test_compare(&ca, x, got.recs[slot], got.n[slot], rep);
                }
            }
        }
        fclose(rep);
        printf("%s %s\n", ok ? "PASS" : "FAIL", tc->name);
        fwrite(report, 1, report_n, stdout);
        free(report);
        pc_arena_free(&ca);
        if (ok)
            passed++;
        else
            failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    fflush(stdout);
    pc_build_tmp_remove(dir);
    code = failed ? 1 : 0;
done:
    free(dflt);
    pc_arena_free(&a);
    return code;
}
