/* prt_snapint.h — private to prt_snap*.c: a snapshot's metadata as read back from disk.
 * Ownership: prt_snap_meta_load fills a snap_meta that prt_snap_meta_free releases; its strings
 * and slices point into m->raw or are owned by it.
 */
#ifndef PRT_SNAPINT_H
#define PRT_SNAPINT_H

#include "prt_schema.h"
#include "prt_window.h"

#define META_MAGIC "PRTSNAPM"
#define OP_MAGIC "PRTSNAPO"

typedef struct snap_op {
    char *id, *kind, *file;
    prt_win_spec spec;
    prt_schema *key, *acc;
    int used;                   /* taken by an operator of this build */
} snap_op;

typedef struct snap_src {
    char *name, *connector;
    int has_pos;
    prt_str pos;                /* or the reason there is none; into the metadata buffer */
    int has_wm;
    int64_t wm;
    prt_str parts;              /* (name bytes, i64 max_ts)...; into the metadata buffer */
    uint64_t nparts;
} snap_src;

typedef struct snap_meta {
    prt_buf raw;                /* the metadata file's content */
    char *pipeline, *version, *sha;
    uint64_t maxpar;
    int64_t created;
    int drained;
    snap_op *ops;
    uint64_t nops;
    snap_src *srcs;
    uint64_t nsrcs;
} snap_meta;

int prt_snap_meta_load(const char *dir, snap_meta *m, prt_err *e);
void prt_snap_meta_free(snap_meta *m);

#endif
