/* prt_job.h — a running pipeline: the job descriptor generated code fills in, the settings it
 * resolves at start, and the source and sink interfaces connectors implement (positions and
 * commit points included). The core that runs a job is prt_cli.c, prt_run.c and prt_loop.c
 * (docs/runtime.md, "Layout of the runtime's core"); connectors also use prt_connector.h.
 *
 * Ownership: the job owns every source, sink and the generated state; generated code borrows
 * them through the prt_job pointer for the duration of a call.
 */
#ifndef PRT_JOB_H
#define PRT_JOB_H

#include "prt_core.h"
#include "prt_schema.h"
#include "prt_stats.h"
#include "prt_window.h"

typedef struct prt_job prt_job;
typedef struct prt_source prt_source;
typedef struct prt_sink prt_sink;

/* ---------------------------------------------------------------- workers */

/* A worker: the part of a running job that processes the records of a contiguous range of key
 * groups, with its own generated state (its own window engines), scratch and output buffers.
 * Generated code reaches everything per-record through the worker it is called with.
 *
 * With parallelism 1 there is one worker (index 0, every key group) and the input thread runs
 * it: sources, the stages before key_by and the stages after it, straight through. With
 * parallelism N > 1 each worker runs on its own thread, and the input thread has a context of
 * its own (index -1, no operators) for the stages before key_by; key_by hands each record to the
 * worker that owns its key group (prt_shuffle).
 *
 * Ownership: the job owns its workers; each worker owns its state, scratch and buffers. */
typedef struct prt_worker {
    prt_job *job;
    int index;               /* 0..parallelism-1; -1: the input thread's context (N > 1) */
    uint32_t kg_lo, kg_hi;   /* key groups owned: kg * parallelism / max_parallelism == index */
    void *state;             /* generated state (desc->state_size bytes, zeroed); owned */
    prt_scratch scratch;     /* per-record strings; reset by the runtime between records */
    prt_buf out;             /* line buffer for generated writers */
    int64_t now;             /* wall clock in ms as of the record or tick being processed */
    struct prt_shuffle *shuffle; /* input context at parallelism > 1: where key_by hands records */
    prt_ctr *node_out;       /* the job's stats->node_out, for prt_node_out */
    int node_out_atomic;     /* a worker thread of several: counts with an atomic add */
} prt_worker;

/* ---------------------------------------------------------------- input records */

/* One raw input record as a connector delivers it. Borrowed for the duration of the delivery. */
typedef struct prt_raw {
    prt_str data;        /* the payload: a line without its newline, or a Kafka message value */
    prt_str key;         /* Kafka message key (empty elsewhere) */
    const char *origin;  /* file path, "stdin", topic name, or generator name: for error reports */
    int32_t partition;   /* dense partition index within the source (0 for files) */
    int64_t offset;      /* Kafka offset; 1-based line number for files and stdin */
    int64_t timestamp;   /* Kafka record timestamp (ms); PRT_NO_TS when there is none */
} prt_raw;

#define PRT_NO_TS INT64_MIN
#define PRT_SKIP 1 /* on_record: the line is not a record (a csv header line); nothing to count */

/* Generated per source: parse raw into the schema struct and push it through the stages.
 * Sets *ts to the record's event time (PRT_NO_TS without event_time). Returns PRT_ERR with e
 * when the record does not parse (the runtime then sends it to the errors sink), or PRT_SKIP for
 * a line that is no record (a csv header). */
typedef int (*prt_on_record_fn)(prt_worker *wk, const prt_raw *raw, int64_t *ts, prt_err *e);

/* ---------------------------------------------------------------- descriptors (generated) */

typedef struct prt_setting_desc {
    const char *path;  /* "sources.orders.kafka.bootstrap"; lists are comma-joined */
    const char *value; /* as written in the YAML: may hold ${NAME} and ${NAME:-default} */
    int line, col;     /* where it was written, for errors reported at start */
} prt_setting_desc;

typedef struct prt_source_desc {
    const char *name;      /* settings live under "sources.<name>." */
    const char *connector; /* "kafka" | "file" | "stdin" | "generator" | "socket" | "postgres" */
    const char *format;    /* "kv" | "csv" | "json" | "raw" */
    int event_time;        /* 1 when the source declares event_time (watermarks are made) */
    prt_on_record_fn on_record;
    const char *columns;   /* postgres: the schema's fields, "name type,…" (pipec type names), for
                            * the type check before the first row; NULL for other connectors */
} prt_source_desc;

typedef struct prt_sink_desc {
    const char *name;      /* settings live under "sinks.<name>." ("errors." for the errors sink) */
    const char *connector; /* "kafka" | "file" | "stdout" | "postgres" */
    const char *format;    /* "json" | "csv" | "kv" */
    /* postgres: the fields of each record, in the order of its csv line, as "name type,…" with
     * the pipeline's type names ("id int,name string"); NULL for the other connectors */
    const char *columns;
} prt_sink_desc;

/* A stateful operator, described so that the runtime can find, walk, encode and rebuild its
 * state without knowing the generated types. */
typedef struct prt_operator_desc {
    const char *id;     /* the stage id: the operator ID that ties state to savepoints */
    const char *previous_id; /* the id it had before an explicit rename (previous_id:), or NULL */
    const char *kind;   /* "window", "aggregate", "join" */
    const char *state;  /* human-readable state schema: key and accumulator fields */
    size_t offset;      /* where its prt_winop * lives in the generated state struct */
    const prt_schema *key, *acc;  /* field tables of its key and accumulator structs */
    const prt_win_spec *spec;     /* its window (kind, size, lateness, ...) */
} prt_operator_desc;

/* A key_by: where records change threads at parallelism > 1 (prt_shuffle). */
typedef struct prt_shuffle_desc {
    const char *stage;     /* the key_by's stage id */
    const prt_schema *row; /* its records, described for the deep copy between threads */
    /* Runs the stages after the key_by on the worker that owns the record's key group. */
    void (*on_worker)(prt_worker *wk, const void *row, int64_t ts, uint64_t kh);
} prt_shuffle_desc;
/* One node of the operator graph, for the admin endpoint: sources first (in desc->sources
 * order), then stages (YAML order), then sinks (desc->sinks order). Generated fan-out code
 * counts each record a source or stage emits with prt_node_out(wk, its node index). */
typedef struct prt_node_desc {
    const char *id;        /* source name, stage id, or sink name */
    const char *kind;      /* "source", "filter", "set", "select", "key_by", "window",
                              "aggregate", "union", "join", "function", "sink" */
    const char *what;      /* a short description for people: connector and format, the window */
    const char *from;      /* comma-separated ids of the nodes it reads ("" for a source) */
    const char *late_from; /* a sink fed by a stage's late_output: that stage's id, else NULL */
} prt_node_desc;


/* ---------------------------------------------------------------- pipec test builds */

/* Where `pipec test` can feed records straight into a stage (one entry per stage input: a
 * union has one per input, a join two). The record arrives as the stage's input row, filled
 * by the runtime from a JSON object through `row`; push computes the key hash the stage's
 * records carry (that of the key_by upstream, if any) and calls the stage's push function. */
typedef struct prt_test_input {
    const char *stage;     /* the stage id */
    const char *from;      /* the input node it stands for (a source or stage name) */
    const prt_schema *row; /* the input row's field table */
    void (*push)(prt_worker *wk, const void *row, int64_t ts);
} prt_test_input;

/* Generated only by `pipec test` (pc_gen_opts.test); NULL in every other build. */
typedef struct prt_test_desc {
    const prt_test_input *inputs;
    int ninputs;
    const prt_schema *const *nodes; /* by node (sources, then stages): the output row's table */
    int nnodes;
} prt_test_desc;

/* In a test build, a stage's fan-out first asks whether the case isolates that stage: its
 * output is then printed as a JSON line (prt_ptest.c) instead of going on. */
void prt_test_tap(prt_worker *wk, int node, const void *row, int64_t ts);

/* The operator's engine inside a worker's generated state. */
#define PRT_OPERATOR(wk, op) (*(struct prt_winop **)((char *)(wk)->state + (op)->offset))

#define PRT_ABI_VERSION 5

typedef struct prt_job_desc {
    int abi; /* PRT_ABI_VERSION the code was generated for */
    const char *pipeline, *pipec_version, *yaml_name, *yaml_sha256, *yaml_text;
    const prt_setting_desc *settings;
    int nsettings;
    const prt_source_desc *sources;
    int nsources;
    const prt_sink_desc *sinks; /* index -1 is never used; the errors sink, if declared, is last */
    int nsinks;
    int errors_sink;            /* index of the errors sink in sinks, or -1 */
    const prt_operator_desc *operators;
    int noperators;
    const prt_node_desc *nodes; /* the operator graph (NULL in code generated before it) */
    int nnodes;
    int max_parallelism;  /* key groups: state.max_parallelism, fixed when the binary is built */
    const prt_shuffle_desc *shuffles; /* by shuffle point: one per key_by */
    int nshuffles;
    const char *serial;   /* why the pipeline cannot run at parallelism > 1, or NULL */
    uint64_t no_timestamp; /* bit i: nothing reads source i's _timestamp, which its connector
                            * need not fetch (raw->timestamp may stay PRT_NO_TS); 0 when absent */
    size_t state_size;                           /* sizeof the generated state struct */
    /* The hooks run per worker, on its own state. */
    int (*init)(prt_worker *wk);                 /* connectors are open; build operators */
    void (*watermark)(prt_worker *wk, int source, int64_t wm); /* a source's watermark advanced */
    void (*tick)(prt_worker *wk, int64_t now_ms); /* wall clock, for processing-time windows */
    void (*finish)(prt_worker *wk);              /* all input ended: fire every open window */
    void (*destroy)(prt_worker *wk);
    const prt_test_desc *test; /* pipec test builds only, else NULL */
} prt_job_desc;

/* ---------------------------------------------------------------- the job */

typedef struct prt_metrics {
    uint64_t records_in, records_out, errors, late_dropped;
} prt_metrics;

struct prt_job {
    const prt_job_desc *desc;
    prt_worker *workers;   /* nworkers of them; owned */
    int nworkers;          /* parallelism */
    prt_worker *input;     /* the context sources deliver into: workers[0] when nworkers == 1 */
    prt_source **sources;  /* by source index; owned */
    prt_sink **sinks;      /* by sink index; owned */
    const prt_raw *cur;    /* the input record being processed (NULL while firing timers) */
    int cur_source;
    int64_t now;           /* wall clock in ms, refreshed by the loop */
    prt_metrics m;
    volatile int stop;     /* set by SIGINT/SIGTERM */
    struct prt_settings *cfg;
    prt_stats *stats;      /* published metrics (prt_stats.h); owned by the run */
    int tap;               /* pipec test: the node whose output a case captures, else -1 */
};

/* Generated fan-out: node n (a source or stage) emitted one record. No lock: one writer, but
 * for the nodes after a key_by at parallelism > 1, which every worker counts (an atomic add). */
static inline void prt_node_out(prt_worker *wk, int n)
{
    prt_ctr *c = &wk->node_out[n];
    if (wk->node_out_atomic)
        atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
    else
        prt_ctr_add(c, 1);
}

/* The binary's entry point (prt_cli.c): parses the command line (run, describe, --help,
 * --version, --set, a connector's run mode such as --embedded-kafka), resolves settings, opens
 * connectors and runs the loop. */
int prt_main(int argc, char **argv, const prt_job_desc *d);

/* Generated code hands one formatted output record to sink `sink` (any worker may: the sink is
 * written under one short lock when parallelism > 1). */
void prt_emit(prt_worker *wk, int sink, prt_str key, prt_str value, int64_t ts);
/* A record failed while a stage evaluated it: send it with the reason to the errors sink (on a
 * worker thread the raw input record is gone: the stage and reason are reported). */
void prt_record_error(prt_worker *wk, const char *stage, const prt_err *e);
/* A window dropped a record that was late for all its windows and has no late_output. */
void prt_late_dropped(prt_worker *wk, const char *stage);
/* key_by at parallelism > 1 (wk->shuffle set): hands a deep copy of row, with its event time and
 * key hash, to the worker that owns key group kh % max_parallelism; its shuffle desc's on_worker
 * runs there. */
void prt_shuffle(prt_worker *in, int point, const void *row, int64_t ts, uint64_t kh);
/* A csv sink's header line: written once per sink, before any record of any worker. Generated
 * code calls it before its worker's first record of the sink (a flag in the worker's state). */
void prt_emit_header(prt_worker *wk, int sink, prt_str key, prt_str line, int64_t ts);

/* ---------------------------------------------------------------- settings */

/* Resolved value of a setting (after ${...} and --set), or NULL when the YAML did not set it. */
const char *prt_cfg(prt_job *j, const char *path);
/* Typed getters: the default when unset; PRT_ERR (after printing a one-line error naming the
 * setting and its YAML position) when set but invalid. */
int prt_cfg_dur(prt_job *j, const char *path, int64_t dflt, int64_t *out); /* 250ms 30s 5m 2h 1d */
int prt_cfg_int(prt_job *j, const char *path, int64_t dflt, int64_t *out);
int prt_cfg_bool(prt_job *j, const char *path, int dflt, int *out);
/* Calls fn for every setting under prefix (e.g. "sources.orders.kafka.properties."), with the
 * rest of the path after the prefix; in YAML order. Returns the first non-zero fn result. */
int prt_cfg_each(prt_job *j, const char *prefix,
                 int (*fn)(void *arg, const char *rest, const char *value), void *arg);
/* Overrides a setting as --set does (used by --embedded-kafka for bootstrap addresses). */
void prt_cfg_override(prt_job *j, const char *path, const char *value);

/* ---------------------------------------------------------------- logging */

/* One line on stderr: "<pipeline>: <message>". Rate-limited variants live with their callers. */
void prt_log(prt_job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- connectors */

#define PRT_SRC_EOF (-2)

typedef struct prt_source_ops {
    const char *connector;
    /* Reads its settings (prt_cfg under "sources.<name>.<connector>."), connects, and declares
     * its partitions with prt_source_partition_add. On failure prints one line naming the source
     * and the cause and returns PRT_ERR. */
    int (*open)(prt_source *s);
    /* Delivers up to max records with prt_source_deliver, waiting at most timeout_ms when none is
     * ready. Returns the number delivered (0: none now), PRT_SRC_EOF when a bounded source has
     * delivered everything, PRT_ERR on an unrecoverable error (already reported). */
    int (*poll)(prt_source *s, int max, int timeout_ms);
    void (*close)(prt_source *s);
    /* Appends the source's position to b: where reading resumes, i.e. just after the last
     * record poll delivered, in the canonical encoding of prt_pos.h (deterministic: the same
     * state gives the same bytes). Called between polls. PRT_ERR with the reason in e when the
     * source has none (stdin); b is then unchanged. */
    int (*position)(prt_source *s, prt_buf *b, prt_err *e);
    /* Restores a position written by `position` of a source with the same connector, after open
     * and before the first poll: the records delivered from then on are exactly those an
     * uninterrupted run would have delivered after the position was taken. PRT_ERR with the
     * reason in e (a malformed or truncated blob, another connector's, a source that cannot
     * seek); the source is then unchanged. */
    int (*seek)(prt_source *s, const void *pos, size_t n, prt_err *e);
    /* Optional: a stable name of a dense partition index (Kafka "topic:partition"), so that
     * per-partition watermarks survive a restart in which partitions are discovered in another
     * order. NULL: the index itself names the partition (a file source's single partition). */
    void (*partition_name)(prt_source *s, int32_t partition, prt_buf *name);
    /* Optional: records of a dense partition not read yet (Kafka: the high watermark last seen
     * by the fetcher minus the next offset to read), or -1 when unknown. Between polls; must not
     * block. NULL: the connector cannot tell (the admin endpoint shows no lag). */
    int64_t (*lag)(prt_source *s, int32_t partition);
    /* Optional: after a seek, appends to b what resumes where, in words for the restore's log
     * line ("in/1.kv continues after line 1700; 1 file not in the savepoint starts from its
     * beginning: in/2.kv"). NULL: the log line says only that the source resumes. */
    void (*resumed)(prt_source *s, prt_buf *b);
} prt_source_ops;

struct prt_source {
    const prt_source_ops *ops;
    prt_job *job;
    int index;              /* in desc->sources */
    const prt_source_desc *desc;
    char prefix[128];       /* "sources.<name>.<connector>." */
    void *impl;             /* the connector's own state; freed by close */
    struct prt_wm *wm;      /* per-partition watermarks; owned by the runtime */
    prt_buf wm_seed;        /* restored per-partition max event times (prt_snap.c), applied as
                             * partitions appear; owned by the runtime */
};

/* Processes one record: parse, stages, event time, watermark; errors go to the errors sink. */
void prt_source_deliver(prt_source *s, const prt_raw *raw);
/* Partitions (dense indexes) that exist now; each holds the source watermark back until it has
 * records or is idle. Kafka calls these on (re)assignment. */
void prt_source_partition_add(prt_source *s, int32_t partition);
void prt_source_partition_remove(prt_source *s, int32_t partition);

/* The commit point. A checkpoint `id` (increasing within a run) goes through every sink as
 * prepare(id), then exactly one of commit(id) or abort(id), with no write in between unless the
 * sink's `overlap` allows it; writes after prepare belong to the next checkpoint.
 *   prepare  makes everything written so far ready to be made visible by commit: delivered or
 *            durable, or (a transactional sink) flushed into the open transaction. After a
 *            successful prepare, commit must not fail for want of the data.
 *   commit   makes what was prepared under id visible. What a sink made visible is never taken
 *            back.
 *   abort    drops what was written since the last commit where the sink can (a transaction);
 *            a sink that cannot (a plain file, stdout, a non-transactional producer) keeps it,
 *            which is at-least-once.
 * A sink that cannot do better implements prepare as flush and commit/abort as no-ops. All three
 * are required; like write and flush they print their own one-line reason before PRT_ERR. */
typedef struct prt_sink_ops {
    const char *connector;
    int (*open)(prt_sink *k);  /* settings under "sinks.<name>.<connector>."; one-line errors */
    int (*write)(prt_sink *k, prt_str key, prt_str value, int64_t ts);
    int (*flush)(prt_sink *k); /* everything written so far is delivered or durable */
    void (*close)(prt_sink *k);
    int (*prepare)(prt_sink *k, int64_t checkpoint);
    int (*commit)(prt_sink *k, int64_t checkpoint);
    int (*abort)(prt_sink *k, int64_t checkpoint);
    /* Checkpointing (prt_ckpt.c, docs/checkpoints.md); both optional (NULL: nothing to keep).
     *   save     after prepare(id): appends to blob what a restart needs to finish id's commit
     *            (the file sink: how long path was, how much is staged); kept in chk-<id>.
     *   recover  at a start with checkpointing, before the first write: blob is what save
     *            wrote for the checkpoint being restored (its commit is finished now), NULL on a
     *            fresh start; `next` is the id of the next checkpoint. */
    int (*save)(prt_sink *k, int64_t checkpoint, prt_buf *blob);
    int (*recover)(prt_sink *k, int64_t next, const void *blob, size_t n);
    /* Optional, for a sink whose commit a restart cannot finish (a Kafka transaction): 1 and
     * in *id the newest checkpoint whose commit is visible (-1: none yet), or 0 when the sink
     * does not track it (not transactional); PRT_ERR when it cannot tell (reported). Such
     * sinks commit before the others; recovery resumes from *id when it is older. */
    int (*committed)(prt_sink *k, int64_t *id);
    /* Optional: 1 when writes may come between prepare(N) and commit(N) (they belong to N+1),
     * so that checkpoint N can become durable in the background; NULL or 0: the checkpoint is
     * completed and committed before the next write (a Kafka transaction). */
    int (*overlap)(prt_sink *k);
} prt_sink_ops;

struct prt_sink {
    const prt_sink_ops *ops;
    prt_job *job;
    int index;
    const prt_sink_desc *desc;
    char prefix[128];       /* "sinks.<name>.<connector>." */
    void *impl;
    /* A sink whose records are lines in a buffer of its own (file, stdout) may set lines to
     * that buffer at open, and full to its size: at parallelism 1 generated code then formats
     * each record straight into it (prt_emit_buf) and prt_emit_line ends the line with '\n'
     * and calls flush once lines->n >= full. That spares copying each record from the
     * worker's buffer and the calls of write. The sink still takes other records (the csv
     * header, the errors sink's) through write, into the same buffer. */
    prt_buf *lines;
    size_t full;
    /* The run's failed flag and count of records not flushed yet (prt_jobpriv.h), set at open
     * (prt_sink_open), for the inline prt_emit_line. */
    const int *failed;
    uint64_t *unflushed;
};

/* Where generated code formats one record for sink `sink`: the end of the sink's own line
 * buffer when it has one and the job runs one worker (with worker threads the sinks are
 * written under a lock, prt_emit), else the worker's buffer, cleared. Then prt_emit_at with
 * the length the buffer had (0 for the worker's). */
static inline prt_buf *prt_emit_buf(prt_worker *wk, int sink)
{
    prt_sink *k = wk->job->sinks[sink];
    if (k->lines && wk->job->nworkers == 1)
        return k->lines;
    prt_buf_clear(&wk->out);
    return &wk->out;
}

/* The record in out from byte at (out from prt_emit_buf) is whole: the sink takes it. Inline
 * while the line's '\n' fits and the buffer stays below full (and the run has not failed);
 * else prt_emit_line_slow (prt_emit.c), which flushes or drops the record. */
void prt_emit_line_slow(prt_worker *wk, int sink, size_t at);
static inline void prt_emit_line(prt_worker *wk, int sink, size_t at)
{
    prt_job *j = wk->job;
    prt_sink *k = j->sinks[sink];
    prt_buf *b = k->lines;
    if (b->n + 1 < k->full && b->n < b->cap && !*k->failed) {
        b->p[b->n++] = '\n';
        (*k->unflushed)++;
        prt_ctr_add(&j->stats->sink_in[sink], 1);
        j->m.records_out++;
        return;
    }
    prt_emit_line_slow(wk, sink, at);
}
static inline void prt_emit_at(prt_worker *wk, int sink, prt_str key, prt_buf *out, size_t at, int64_t ts)
{
    if (out == &wk->out)
        prt_emit(wk, sink, key, prt_buf_str(out), ts);
    else
        prt_emit_line(wk, sink, at);
}

#endif
