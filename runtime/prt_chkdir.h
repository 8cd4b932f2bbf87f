/* prt_chkdir.h — the checkpoint directory: `<root>/chk-<N>/` holds one checkpoint's files (the
 * state backend's snapshot, anything else the caller puts there) and, written last, a durable
 * MANIFEST. A checkpoint without a valid MANIFEST, or whose files disagree with it, is not
 * complete and is never used.
 *
 * MANIFEST (a prt_durable file, magic "PRTCHKMF", version 1; content big-endian, docs/state.md):
 *   u64 checkpoint id, i64 created (ms since the epoch), u32 len + pipeline name,
 *   u32 file count, per file (sorted by path): u32 len + path relative to chk-<N>, u64 size, u32 CRC-32,
 *   u64 len + source positions blob, u64 len + sink commit blob (both opaque to this module)
 *
 * Use: dir = begin(root, N); write files under dir; finish(root, N, ...); retain(root, 2).
 * On restart: newest(root, ...) gives the newest complete checkpoint and says why each newer one
 * was passed over. Ownership: prt_chkdir_begin's *dir and a loaded prt_chk_manifest belong to the
 * caller (free, prt_chk_manifest_free). Errors: PRT_ERR with a one-line reason in *e.
 */
#ifndef PRT_CHKDIR_H
#define PRT_CHKDIR_H

#include "prt_core.h"

#define PRT_CHK_MANIFEST "MANIFEST"

typedef struct prt_chk_file {
    char *path; /* relative to the checkpoint's directory, '/'-separated */
    uint64_t size;
    uint32_t crc;
} prt_chk_file;

typedef struct prt_chk_manifest {
    uint64_t id;
    int64_t created_ms;
    char *pipeline;
    prt_chk_file *files;
    size_t nfiles;
    prt_buf positions, commit;
} prt_chk_manifest;

void prt_chk_manifest_free(prt_chk_manifest *m); /* frees what m holds and zeroes it */

/* Creates <root>/chk-<id>/ (and root if missing) and gives its path in *dir. An incomplete
 * chk-<id> left by a crash is removed first; a complete one is refused (ids are never reused).
 * Leftover temp files of killed writers in root are swept. */
int prt_chkdir_begin(const char *root, uint64_t id, char **dir, prt_err *e);

/* Lists every file under chk-<id> with its size and CRC-32 (fsyncing each one and each
 * directory), writes the MANIFEST durably, then fsyncs chk-<id> and root. When this returns
 * PRT_OK the checkpoint is complete and survives a crash. A file that is a hard link to the same
 * path in the previous complete checkpoint (RocksDB's immutable SST files) takes its size and
 * CRC from that checkpoint's MANIFEST instead of being read and fsynced again. */
int prt_chkdir_finish(const char *root, uint64_t id, const char *pipeline, int64_t created_ms, prt_str positions,
                      prt_str commit, prt_err *e);

/* Loads chk-<id>'s MANIFEST into *m and checks that it is complete: the manifest is valid and
 * names this id, and every file it lists exists with its size (and its CRC when verify_crc). */
int prt_chkdir_load(const char *root, uint64_t id, int verify_crc, prt_chk_manifest *m, prt_err *e);

/* The newest complete checkpoint into *m (*found = 1), or *found = 0 when there is none (not an
 * error; a missing root counts as empty). Every newer checkpoint passed over is reported in
 * skipped (may be NULL) as one line "checkpoint <N> skipped: <reason>\n". */
int prt_chkdir_newest(const char *root, int verify_crc, prt_chk_manifest *m, int *found, prt_buf *skipped,
                      prt_err *e);

/* Keeps the newest `keep` (>= 1) complete checkpoints and removes every other chk-<N> older than
 * the newest complete one, complete or not (MANIFEST first, so a removal cut short leaves an
 * incomplete one). Nothing newer than the newest complete checkpoint (one in progress) is
 * touched. Completeness here checks sizes, not CRCs. *removed (may be NULL) counts. */
int prt_chkdir_retain(const char *root, unsigned keep, int *removed, prt_err *e);

/* The ids of all chk-<N> directories in root, ascending (complete or not); *ids is malloc'd */
int prt_chkdir_list(const char *root, uint64_t **ids, size_t *n, prt_err *e);

#endif
