/* pc_compat.c — compat, build --savepoint and ids (pc_compat.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pc_build.h"
#include "pc_compat.h"

int pc_savepoint_check(const char *bin, const char *dir)
{
    const char *argv[] = { bin, "savepoint", "check", dir, NULL };
    int rc = pc_run_bin(argv, NULL, NULL, NULL);
    if (rc > 128)
        fprintf(stderr, "pipec: error: %s savepoint check died (signal %d)\n", bin, rc - 128);
    return rc < 0 || rc >= 127 ? -1 : rc;
}

int pc_compat(const pc_pipeline *p, const pc_gen_opts *o, pc_diags *d, const char *dir)
{
    char tmp[4096], bin[4200];
    if (pc_build_tmp(p, o, d, "compat", tmp, sizeof tmp, bin, sizeof bin) != 0)
        return 1;
    int rc = pc_savepoint_check(bin, dir);
    pc_build_tmp_remove(tmp);
    return rc < 0 ? 1 : rc;
}

void pc_ids(const pc_pipeline *p, FILE *out)
{
    for (int i = 0; i < p->nstages; i++) {
        const pc_stage *st = &p->stages[i];
        const char *kind = st->kind == PC_S_WINDOW ? "window" : st->kind == PC_S_AGGREGATE ? "aggregate"
                         : st->kind == PC_S_JOIN ? "join" : st->kind == PC_S_PROCESS ? "function" : NULL;
        if (!kind)
            continue;
        fprintf(out, "%s: %s", st->id, kind);
        if (st->previous_id)
            fprintf(out, ", renamed from %s (previous_id)", st->previous_id);
        if (!st->id_given)
            fprintf(out, ", generated from the stage's position: add an id to keep its state across changes");
        fputc('\n', out);
    }
}
