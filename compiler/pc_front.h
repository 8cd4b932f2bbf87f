/* pc_front.h — private to the front end (pc_parse.c, pc_check.c, pc_load.c): the state of one
 * compilation while the YAML tree becomes a checked pc_pipeline. */
#ifndef PC_FRONT_H
#define PC_FRONT_H

#include "pc_arena.h"
#include "pc_ast.h"
#include "pc_diag.h"
#include "pc_expr.h"
#include "pc_yaml.h"

typedef struct pc_front {
    pc_arena *a;
    pc_diags *d;
    pc_ydoc doc;
    pc_ectx ec;
    pc_pipeline *p;
    int nsettings_cap;
    /* per stage */
    int *stage_time_given; /* window `time:` written explicitly (1 event, 2 processing) */
    pc_loc *stage_time_loc;
    pc_loc *stage_late_loc;   /* allowed_lateness key, for "needs event time" */
    pc_loc *stage_id_loc;     /* the id value, or the stage mapping when the id is generated */
    int *stage_bad;           /* the stage could not be parsed: no operation */
} pc_front;

/* pc_parse.c: YAML tree -> pipeline with rows of sources, parsed expressions, unresolved names. */
int pc_parse(pc_front *f);
/* pc_check.c: names, graph, rows, types. */
int pc_check(pc_front *f);

#endif
