/* pc_ast.h — the checked pipeline: what the front end (pc_load) produces and the code generator
 * reads. All memory belongs to the compilation's arena (pc_ctx.arena).
 *
 * Positions: pc_loc is 1-based line and column, end exclusive, pointing into the YAML file.
 * Graph: sources and stages share one namespace of node indexes: node i < nsources is
 * sources[i], node nsources + k is stages[k].
 */
#ifndef PC_AST_H
#define PC_AST_H

#include <stddef.h>
#include <stdint.h>

typedef struct pc_loc {
    int line, col;         /* first character */
    int end_line, end_col; /* one past the last character */
} pc_loc;

typedef enum pc_type {
    PC_T_ERROR = 0, /* an expression that already produced a diagnostic */
    PC_T_STRING,
    PC_T_INT,       /* int64_t */
    PC_T_FLOAT,     /* double */
    PC_T_BOOL,
    PC_T_TIMESTAMP  /* int64_t ms since the epoch, UTC */
} pc_type;

const char *pc_type_name(pc_type t); /* "string", "int", ... */

typedef struct pc_name {
    const char *s; /* NULL when absent */
    pc_loc loc;
} pc_name;

/* ---------------------------------------------------------------- rows (record shapes) */

typedef struct pc_field {
    const char *name;
    pc_type type;
    const char *path; /* json input: dotted path into nested objects (default: name) */
    const char *dflt; /* input: value text used when the field is absent; NULL: absence is an error */
    int hidden;       /* metadata (_key, _timestamp, _partition, _offset, _topic): never written by
                         sinks unless a set/select names it into a visible field */
    pc_loc loc;
} pc_field;

typedef struct pc_row {
    pc_field *fields;
    int nfields;
} pc_row;

typedef struct pc_schema {
    const char *name;
    pc_row row;
    pc_loc loc;
} pc_schema;

/* ---------------------------------------------------------------- expressions */

typedef enum pc_expr_kind {
    PC_E_INT, PC_E_FLOAT, PC_E_STRING, PC_E_BOOL, /* literals (a duration literal is PC_E_INT ms) */
    PC_E_FIELD,                                    /* a field of the scope row */
    PC_E_UNARY,                                    /* op: '-' or '!' ; args[0] */
    PC_E_BINARY,                                   /* op: see pc_op; args[0], args[1] */
    PC_E_CALL                                      /* name(args...) incl. if(c, a, b) */
} pc_expr_kind;

typedef enum pc_op {
    PC_OP_ADD = '+', PC_OP_SUB = '-', PC_OP_MUL = '*', PC_OP_DIV = '/', PC_OP_MOD = '%',
    PC_OP_LT = '<', PC_OP_GT = '>', PC_OP_NOT = '!',
    PC_OP_EQ = 256, PC_OP_NE, PC_OP_LE, PC_OP_GE, PC_OP_AND, PC_OP_OR
} pc_op;

typedef struct pc_expr {
    pc_expr_kind kind;
    pc_type type;  /* result type, set by the checker; operands of mixed int/float arithmetic and
                      comparisons are widened to float (the only implicit conversion) */
    pc_loc loc;    /* the whole span of this (sub)expression */
    int op;        /* UNARY, BINARY */
    int64_t i;     /* INT, BOOL */
    double f;      /* FLOAT */
    const char *s; /* STRING value (unescaped, NUL-terminated; slen bytes), FIELD name, CALL name */
    size_t slen;
    int field;     /* FIELD: index into the scope row, set by the checker */
    int side;      /* FIELD in a join: 0 = left row, 1 = right row */
    struct pc_expr **args;
    int nargs;
} pc_expr;

/* ---------------------------------------------------------------- sources and sinks */

/* Sources' connectors first, in the order of pc_parse.c's pc_conn_src; then the sinks' own. */
typedef enum pc_conn { PC_CONN_KAFKA, PC_CONN_FILE, PC_CONN_STDIN, PC_CONN_GENERATOR, PC_CONN_SOCKET,
                       PC_CONN_POSTGRES, PC_CONN_STDOUT } pc_conn;
typedef enum pc_fmt { PC_FMT_KV, PC_FMT_CSV, PC_FMT_JSON, PC_FMT_RAW } pc_fmt;

typedef struct pc_format {
    pc_fmt kind;
    int csv_header;  /* csv: first line names the columns (input) / write a header (output) */
    char csv_delim;  /* csv: default ',' */
    pc_loc loc;
} pc_format;

/* Limits of the generated code, enforced by pc_check so that `pipec check` refuses what `pipec
 * build` could not compile: a source's fields are tracked in one 64-bit mask while parsing, and
 * the sources upstream of each node in another. */
#define PC_MAX_SOURCES 64
#define PC_MAX_SOURCE_FIELDS 64

typedef struct pc_source {
    const char *name;
    pc_loc loc;
    pc_conn conn;
    const char *generator; /* GENERATOR: "orders", "nexmark_person", "nexmark_auction", "nexmark_bid" */
    pc_format format;
    pc_name schema_name;    /* NULL s: inline schema, or the generator's built-in one */
    pc_row row;             /* the record the source produces: schema fields, then hidden metadata */
    int event_time;         /* index of the event_time field in row, -1 when none */
    pc_loc event_time_loc;
} pc_source;

typedef struct pc_sink {
    const char *name;
    pc_loc loc;
    pc_conn conn;          /* KAFKA, FILE, STDOUT, POSTGRES */
    pc_format format;      /* default json */
    pc_name from;          /* as written; s == NULL when defaulted */
    int from_node;         /* resolved node feeding the sink, or -1 (a late_output-only sink) */
    int late_from_stage;   /* stage index whose late_output feeds this sink, or -1 */
    int is_errors;         /* the `errors:` sink */
    pc_expr *key;          /* kafka: key expression over the input row, or NULL */
    pc_name *pg_key;       /* postgres: the key columns (record fields) of an upsert */
    int npg_key;
    pc_loc pg_key_loc;     /* where `key:` is written */
    int pg_mode;           /* postgres: 0 append, 1 upsert, -1 given by ${...} (checked at start) */
    pc_loc pg_mode_loc;
} pc_sink;

/* ---------------------------------------------------------------- stages */

typedef enum pc_stage_kind {
    PC_S_FILTER, PC_S_SET, PC_S_SELECT, PC_S_KEY_BY,
    PC_S_WINDOW,    /* window: + aggregate: */
    PC_S_AGGREGATE, /* running aggregate: aggregate: after key_by, no window */
    PC_S_UNION, PC_S_JOIN, PC_S_PROCESS
} pc_stage_kind;

typedef enum pc_agg_fn {
    PC_A_COUNT, PC_A_SUM, PC_A_MIN, PC_A_MAX, PC_A_AVG, PC_A_FIRST, PC_A_LAST, PC_A_COUNT_DISTINCT
} pc_agg_fn;

typedef struct pc_agg {
    const char *name; /* output field */
    pc_loc loc;
    pc_agg_fn fn;
    pc_expr *arg;     /* NULL for count() */
    pc_type type;     /* result: count/count_distinct int; avg float; sum/min/max/first/last: arg's */
} pc_agg;

typedef struct pc_assign {
    const char *name;
    pc_loc loc;
    pc_expr *expr;
} pc_assign;

typedef enum pc_win_kind { PC_W_TUMBLING, PC_W_SLIDING, PC_W_SESSION, PC_W_GLOBAL } pc_win_kind;

typedef struct pc_window {
    pc_win_kind kind;
    pc_loc loc;
    int64_t size, slide, gap, offset; /* ms */
    int64_t count;                    /* global trigger count */
    int purge;                        /* global: clear the pane after each firing (default 1) */
    int processing_time;              /* time: processing (default: event when the input has event time) */
    int64_t lateness;                 /* allowed_lateness, ms */
    pc_name late_output;              /* sink name, or s == NULL */
    int late_sink;                    /* resolved sink index, or -1 */
} pc_window;

/* ---- function stages (process: / function:) ---- */

typedef enum pc_fstate_kind {
    PC_FS_SCALAR, /* one value of `type` */
    PC_FS_RECORD, /* one record of schema `row` (a declared schema) */
    PC_FS_SET,    /* a set of `type` values, in insertion order */
    PC_FS_MAP     /* `key_type` -> `type` (or -> records of `row`), in insertion order */
} pc_fstate_kind;

typedef struct pc_fstate {
    const char *name;
    pc_loc loc;
    pc_fstate_kind kind;
    pc_type type;       /* SCALAR, SET: the values; MAP: the values when row is NULL */
    pc_type key_type;   /* MAP */
    const char *schema; /* RECORD, MAP of records: the schema's name */
    const pc_row *row;  /* RECORD, MAP of records: its fields */
} pc_fstate;

typedef struct pc_fmsg {
    const char *name; /* message type, per target function */
    pc_loc loc;
    pc_row row;
} pc_fmsg;

typedef struct pc_function {
    const char *file;        /* the user's C file, relative to the YAML's directory */
    pc_loc file_loc;
    pc_type key_type;        /* string or int */
    pc_loc key_loc;
    pc_expr *when;           /* route: which input records reach the function (NULL: all) */
    pc_expr *key;            /* route: the key of the function instance an input record reaches */
    pc_loc route_loc;
    pc_fstate *state; int nstate;
    pc_fmsg *msgs;    int nmsgs;
    pc_name *messages_to; int nmessages_to;
    int *targets;             /* resolved messages_to: stage indexes */
    pc_name egress;           /* schema of the records it egresses (its output row), or s == NULL */
    int timers;               /* accepts delayed messages on its clock: 0 no, PC_FT_EVENT, PC_FT_PROCESSING */
    pc_loc timers_loc;
} pc_function;

enum { PC_FT_EVENT = 1, PC_FT_PROCESSING = 2 };

typedef struct pc_stage {
    const char *id;
    int id_given;            /* 0: generated id ("<kind>_<n>"), warned about when stateful */
    const char *previous_id; /* previous_id: the operator ID its state was saved under, or NULL */
    pc_loc previous_id_loc;
    pc_loc loc;              /* the stage mapping */
    pc_loc op_loc;           /* the operation key (filter:, window:, ...) */
    pc_stage_kind kind;
    pc_name from;            /* as written; s == NULL when defaulted to the previous stage */

    pc_expr *filter;                     /* FILTER */
    pc_assign *sets;   int nsets;        /* SET */
    pc_name *select;   int nselect;      /* SELECT */
    pc_name *keys;     int nkeys;        /* KEY_BY */
    pc_window win;                       /* WINDOW, and JOIN's window */
    pc_agg *aggs;      int naggs;        /* WINDOW, AGGREGATE */
    pc_name *inputs;   int ninputs;      /* UNION (as written) */
    pc_name left, right;                 /* JOIN inputs (keyed streams with equal key types) */
    pc_assign *fields; int nfields;      /* JOIN output fields over left.x / right.y */
    pc_function *fn;                     /* PROCESS (process: / function:) */

    /* ---- resolved by the checker ---- */
    int *in_nodes;  int nin;             /* input nodes: 1, or N for UNION, 2 for JOIN (left, right) */
    pc_row in_row;                       /* input row (UNION: the common row; JOIN: left row) */
    pc_row out_row;                      /* output row */
    int *key_fields; int nkey;           /* WINDOW/AGGREGATE/JOIN: indexes in in_row of the key */
    int *right_key_fields;               /* JOIN: indexes in the right row */
    pc_row right_row;                    /* JOIN */
    int keyed;                           /* the output stream is keyed (KEY_BY, and filters/sets after it) */
    int *out_key_fields;                 /* keyed output: key indexes in out_row */
    int has_event_time;                  /* records arriving here carry event time */
} pc_stage;

/* ---------------------------------------------------------------- the pipeline */

/* A runtime setting: a scalar the binary reads at start (connectors, watermark, checkpoint,
 * generator, state). path is dotted from the top ("sources.orders.kafka.bootstrap"); lists are
 * comma-joined; `properties:` maps are flattened ("….properties.fetch.min.bytes"). */
typedef struct pc_setting {
    const char *path;
    const char *value; /* as written, ${...} unresolved */
    pc_loc loc;
} pc_setting;

typedef struct pc_pipeline {
    const char *name;
    const char *file;      /* the path as given on the command line */
    const char *text;      /* the YAML source, NUL-terminated */
    size_t text_len;
    pc_schema *schemas;  int nschemas;
    pc_source *sources;  int nsources;
    pc_stage *stages;    int nstages;
    pc_sink *sinks;      int nsinks;  /* the `errors:` sink, when declared, is last */
    pc_setting *settings; int nsettings;
    int parallelism;       /* default 1 */
    int max_parallelism;   /* state.max_parallelism, default 128 */
} pc_pipeline;

/* node helpers */
static inline int pc_node_is_source(const pc_pipeline *p, int node) { return node < p->nsources; }
const pc_row *pc_node_row(const pc_pipeline *p, int node);   /* the output row of a node */
const char *pc_node_name(const pc_pipeline *p, int node);

#endif
