/* pc_gen_int.h — shared state of the code generator's files (pc_gen*.c); not a public API. */
#ifndef PC_GEN_INT_H
#define PC_GEN_INT_H

#include "pc_arena.h"
#include "pc_ast.h"
#include "pc_diag.h"
#include "pc_gen.h"
#include "pc_sb.h"
#include "pc_tmpl.h"

typedef struct pc_gen {
    const pc_pipeline *p;
    const pc_gen_opts *o;
    pc_arena *a;
    pc_diags *d;
    pc_tmpls *t;
    const char *yaml_base;   /* basename of the YAML file: the header comment */
    const char *yaml_lit;    /* the same escaped for a C string literal: #line, the job descriptor */
    const char *c_name;      /* "<pipeline>.c": #line back to the generated file */
    const char **ctype;      /* per node: C type of its output row */
    int *topo;               /* stage indexes in topological order (YAML order when possible) */
    uint64_t *upstream;      /* per node: bit set of the sources upstream of it (<= 64 sources) */
    pc_sb state;             /* fields of pg__state */
    pc_sb init, event_time, processing_time, finish, destroy, operators;
    int noperators;
    pc_sb shuffles;          /* rows of pg__shuffles: one per key_by, in emission order */
    int nshuffles;
    const char *serial;      /* why the pipeline runs at parallelism 1 only, or NULL */
    int **text_origin;       /* pc_gen_text.c: per node and field, the csv source field it copies */
    unsigned char *text_want; /* per source field (source * PC_MAX_SOURCE_FIELDS + field) */
    int ev_uses;             /* expressions emitted so far that report through ev (pc_gen_eval) */
    int wm_set;              /* the watermark hook's w holds the minimum over the sources wm_up */
    uint64_t wm_up;
    int failed;
} pc_gen;

/* pc_gen.c */
int pc_gen_node(const pc_pipeline *p, int stage_index);          /* node index of a stage */
const char *pc_gen_cname(pc_gen *g, const char *field);           /* field name safe as a C member */
const char *pc_gen_ctype(pc_type t);                              /* prt_str, int64_t, double, int */
const char *pc_gen_out_call(pc_gen *g, int node, const char *ptr); /* "pg_<n>_out(j, ptr, ts);" */
/* Wraps code (one or more C lines) in #line directives pointing at loc in the YAML. */
const char *pc_gen_lined(pc_gen *g, pc_loc loc, const char *code);
const char *pc_gen_row_build(pc_gen *g, const char *src, int node);
/* The statements that set kh to the "pipec key hash v1" (prt_hash.h) of the key fields key_idx
 * of `row`, read through `src` ("r->" or "o."). The one place that decides how a key hashes:
 * key_by and a set that rewrites a key field both use it, so equal keys hash alike. */
const char *pc_gen_key_hash(pc_gen *g, const pc_row *row, const int *key_idx, int nkey, const char *src);
/* Sets w in the watermark hook (g->event_time) to the minimum watermark of the sources in the
 * bit set up; emits nothing when w already holds it (the hook never changes source_wm). */
void pc_gen_upstream_wm(pc_gen *g, uint64_t up);
/* The evaluation context of a stage, only when one of its expressions emitted since g->ev_uses
 * was `since` can fail: *init declares ev (eval_init.c.tmpl), *check sends a failed record to the
 * errors sink naming `where`, then runs on_error ("return;"). Both "" when none can fail. */
void pc_gen_eval(pc_gen *g, int since, const char *where, const char *on_error, const char **init,
                 const char **check);

/* pc_gen_expr.c: a C expression for e evaluated over the row pointers row (and right, in
 * joins); helpers that can fail report through a prt_eval named `ev` in scope. */
const char *pc_gen_expr(pc_gen *g, const pc_expr *e, const char *row, const char *right);
/* The same converted to type `to` (int -> float widening, or any -> string for Kafka keys). */
const char *pc_gen_expr_as(pc_gen *g, const pc_expr *e, pc_type to, const char *row, const char *right);
const char *pc_gen_str_lit(pc_gen *g, const char *s, size_t n);   /* PRT_STR_LIT("...") */

/* pc_gen_stage.c */
void pc_gen_stage(pc_gen *g, pc_sb *out, int stage_index);
/* A select keeping every field of its input in their order (metadata aside): it passes the input
 * record on, and its output row is the input's C type. */
int pc_gen_select_view(pc_gen *g, int node);
/* The prt_field rows describing `row` as the C struct `type` (no aggregates). */
const char *pc_gen_row_table(pc_gen *g, const pc_row *row, const char *type);
/* pc_gen_text.c: fields a csv sink writes from their input text (after topo_sort) */
void pc_gen_text_plan(pc_gen *g);
int pc_gen_text_kept(pc_gen *g, int node, int field);                 /* the row has <field>_text */
int pc_gen_text_written(pc_gen *g, const pc_sink *sk, int field);     /* the sink copies it */
int pc_gen_line_kept(pc_gen *g, int node);                            /* the row has _csv_line */
int pc_gen_line_written(pc_gen *g, const pc_sink *sk);                /* the sink may write it */
int pc_gen_value_unread(pc_gen *g, int source, int field); /* only csv sinks copying its text read it */
int pc_gen_hidden_unread(pc_gen *g, int source, const char *name); /* a metadata field nothing reads */
/* pc_gen_meta.c: 0 when no expression, select, key, sink key or event time names the field */
int pc_gen_meta_read(pc_gen *g, const char *name);
/* pc_gen_test.c: pipec test builds only */
void pc_gen_test(pc_gen *g, pc_sb *out);                /* field tables and stage entry points */
const char *pc_gen_test_tap(pc_gen *g, int node);       /* the fan-out's tap, or "" */
/* The push functions of a stage's input i, as the fan-out calls them. */
const char *pc_gen_push_name(pc_gen *g, int stage_index, int input);
/* pc_gen_window.c */
void pc_gen_window(pc_gen *g, pc_sb *out, int stage_index);
const char *pc_gen_vtype_enum(pc_type t); /* PRT_V_INT, ... (prt_schema.h) */
const char *pc_gen_store_enum(pc_type t); /* PRT_S_I64, ... */

/* pc_gen_fn.c: function stages. The pipeline's header (<pipeline>.h: the typed API the
 * functions' C files include) goes to `header`; pc_gen_fn_prelude adds to the generated C what
 * every function needs before the stages (the header's #include, prototypes), pc_gen_fn_stage
 * one function's section, pc_gen_fn_delivery the message delivery loop. */
int pc_gen_has_functions(const pc_pipeline *p);
void pc_gen_fn_header(pc_gen *g, pc_sb *header);
void pc_gen_fn_prelude(pc_gen *g, pc_sb *out);
void pc_gen_fn_stage(pc_gen *g, pc_sb *out, int stage_index);
void pc_gen_fn_delivery(pc_gen *g, pc_sb *out);

#endif
