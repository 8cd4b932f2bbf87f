/* prt_state.h — keyed operator state, byte level, behind one interface with two backends.
 *
 * A store maps (operator id, key group, key bytes) → value bytes. Keys and values arrive already
 * canonically encoded by the caller; the store never looks inside them. Iteration is in one
 * deterministic order for every backend: key group ascending, then key bytes (memcmp order, a
 * shorter key first on a common prefix). Backends (docs/state.md):
 *   memory   a hash map per operator; a snapshot is one prt_durable file per operator
 *   rocksdb  Debian's librocksdb (C API); keys are <u32 operator number><u16 key group><key>, all
 *            big-endian, so one operator's key-group range is one contiguous RocksDB range; writes
 *            go through a WriteBatch with the WAL off (durability comes from checkpoints); a
 *            snapshot is a RocksDB checkpoint (hard links).
 * Both give identical results byte for byte; tests/unit/test_state.c holds them to it.
 *
 * Ownership: prt_state_open returns a store the caller owns (prt_state_close). prt_state_get
 * copies the value into the caller's prt_buf. Slices passed to a visitor are valid only during
 * that call. Errors: PRT_ERR with a one-line reason in *e. Not thread-safe: one store per thread.
 */
#ifndef PRT_STATE_H
#define PRT_STATE_H

#include "prt_core.h"

typedef struct prt_state prt_state;

typedef enum prt_state_backend { PRT_STATE_MEMORY, PRT_STATE_ROCKSDB } prt_state_backend;

typedef struct prt_state_cfg {
    prt_state_backend backend;
    /* rocksdb: the store's working directory, dedicated to it: created if missing; holds a
     * marker file PIPEC_STATE and the database in db/, which is deleted at every open (state
     * comes back only through prt_state_restore). A non-empty directory without the marker is
     * refused, never emptied. memory: unused (may be NULL). */
    const char *dir;
    /* rocksdb: bytes for write buffers and block cache together; 0 means 64 MiB */
    size_t memory_budget;
} prt_state_cfg;

int prt_state_open(prt_state **st, const prt_state_cfg *cfg, prt_err *e);
void prt_state_close(prt_state *st); /* NULL is fine */
prt_state_backend prt_state_backend_of(const prt_state *st);
const char *prt_state_backend_name(prt_state_backend b); /* "memory", "rocksdb" */

/* put replaces any previous value; del of a missing key is not an error */
int prt_state_put(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_str val, prt_err *e);
int prt_state_del(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_err *e);
/* *found = 1 and the value copied into val (cleared first), or *found = 0 */
int prt_state_get(prt_state *st, const char *op, uint16_t kg, prt_str key, prt_buf *val, int *found,
                  prt_err *e);

/* A visitor returns PRT_OK to go on; PRT_ERR (with its reason in e) stops the scan, which then
 * returns PRT_ERR. The store must not be modified during a scan. */
typedef int (*prt_state_visit_fn)(void *ctx, uint16_t kg, prt_str key, prt_str val, prt_err *e);
/* every entry of op with kg_lo <= key group <= kg_hi, in key group then key order */
int prt_state_scan(prt_state *st, const char *op, uint16_t kg_lo, uint16_t kg_hi, prt_state_visit_fn fn,
                   void *ctx, prt_err *e);
/* A snapshot directory (as written by prt_state_snapshot with a rocksdb store) opened read-only,
 * as a store to read from; nothing in dir is modified. prt_state_close it. */
int prt_state_open_snapshot(prt_state **st, const char *dir, prt_err *e);
/* the entries of op in key group kg whose key is >= start (same order): a seek, so entries
 * deleted below start cost nothing (RocksDB tombstones) */
int prt_state_scan_from(prt_state *st, const char *op, uint16_t kg, prt_str start, prt_state_visit_fn fn,
                        void *ctx, prt_err *e);
/* the ids of the operators holding at least one entry, in strcmp order */
typedef int (*prt_state_op_fn)(void *ctx, const char *op, prt_err *e);
int prt_state_operators(prt_state *st, prt_state_op_fn fn, void *ctx, prt_err *e);

/* removes every entry of every operator */
int prt_state_clear(prt_state *st, prt_err *e);

/* Writes everything into dir (an existing, empty directory) as dir/memory/ or dir/rocksdb/, each
 * file durable (fsynced) when this returns. The store is unchanged and usable afterwards. */
int prt_state_snapshot(prt_state *st, const char *dir, prt_err *e);
/* Replaces the store's contents with a snapshot from either backend (dir as given to snapshot).
 * A snapshot of the other backend is read through prt_state_copy. The snapshot is not modified.
 * On failure the store is left empty. */
int prt_state_restore(prt_state *st, const char *dir, prt_err *e);
/* Backend-independent export: puts every entry of src into dst (operators in order, each by scan) */
int prt_state_copy(prt_state *dst, prt_state *src, prt_err *e);

#endif
