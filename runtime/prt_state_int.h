/* prt_state_int.h — private to prt_state*.c: the backend table behind prt_state.h and the two
 * backends' constructors and snapshot helpers. Each backend struct starts with a prt_state. */
#ifndef PRT_STATE_INT_H
#define PRT_STATE_INT_H

#include "prt_state.h"

typedef struct prt_state_vt {
    int (*put)(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_str val, prt_err *e);
    int (*del)(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_err *e);
    int (*get)(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_buf *val, int *found, prt_err *e);
    int (*scan)(prt_state *st, const char *op, uint16_t lo, uint16_t hi, prt_state_visit_fn fn, void *ctx,
                prt_err *e);
    int (*scan_from)(prt_state *st, const char *op, uint16_t kg, prt_str start, prt_state_visit_fn fn, void *ctx,
                     prt_err *e);
    int (*operators)(prt_state *st, prt_state_op_fn fn, void *ctx, prt_err *e);
    int (*clear)(prt_state *st, prt_err *e);
    int (*snapshot)(prt_state *st, const char *dir, prt_err *e); /* dir: .../memory or .../rocksdb, absent */
    void (*close)(prt_state *st);
} prt_state_vt;

struct prt_state {
    const prt_state_vt *vt;
    prt_state_backend backend;
};

#define PRT_STATE_MEM_SUBDIR "memory"
#define PRT_STATE_ROCKS_SUBDIR "rocksdb"

int prt_state_mem_open(prt_state **st, const prt_state_cfg *cfg, prt_err *e);
/* reads a memory snapshot directory, putting every entry into st (any backend) */
int prt_state_mem_load(prt_state *st, const char *dir, prt_err *e);

int prt_state_rocks_open(prt_state **st, const prt_state_cfg *cfg, prt_err *e);
/* a rocksdb store's contents become a copy of the rocksdb snapshot at dir */
int prt_state_rocks_restore(prt_state *st, const char *dir, prt_err *e);
/* opens the rocksdb snapshot at dir read-only, as a store to copy from (prt_state_close it) */
int prt_state_rocks_open_snapshot(prt_state **st, const char *dir, prt_err *e);

#endif
