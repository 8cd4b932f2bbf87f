/* prt_durable.h — crash-safe files (checkpoint files, manifests, state snapshots), written the
 * way Redis writes its RDB: a temp file in the same directory, fsync, rename, fsync the directory.
 * After a crash at any moment the path holds either the whole old content or the whole new one.
 *
 * On disk (all integers big-endian; docs/state.md):
 *   header   magic[8] (names the file kind)  u32 version  u32 reserved = 0      16 bytes
 *   content  whatever the writer appended
 *   trailer  u64 content length  u32 CRC-32 of header+content  "PEND"           16 bytes
 * CRC-32 is zlib's (ISO-HDLC polynomial, the one `python3 -c 'import zlib'` and gzip use).
 *
 * Writer: prt_durable_create → prt_durable_write… → prt_durable_commit (or prt_durable_abort).
 * Content streams through a fixed buffer, so files may be far larger than memory. The writer is
 * owned by the caller until commit/abort, which free it (also when they fail). Any failure
 * (ENOSPC, EIO, an unwritable directory) leaves the previous file at path untouched. One writer
 * per path at a time: the temp name `.<name>.prt-tmp` is fixed, so a temp left by a killed writer
 * is replaced by the next writer of that path; prt_durable_sweep removes all of them in a dir.
 *
 * Reader: prt_durable_open checks the header, version and trailer (so truncation is caught up
 * front), prt_durable_read returns content, prt_durable_finish reads what is left and checks the
 * CRC. Content is only trustworthy once finish returned PRT_OK: apply it to something you can
 * throw away. prt_durable_load does all of it for a small file into a prt_buf the caller owns.
 */
#ifndef PRT_DURABLE_H
#define PRT_DURABLE_H

#include "prt_core.h"

#define PRT_DURABLE_HEADER 16
#define PRT_DURABLE_TRAILER 16
#define PRT_DURABLE_TMP_SUFFIX ".prt-tmp"

typedef struct prt_durable_w prt_durable_w;
typedef struct prt_durable_r prt_durable_r;

/* magic: exactly 8 bytes (not NUL-terminated necessarily) */
int prt_durable_create(prt_durable_w **w, const char *path, const char *magic, uint32_t version, prt_err *e);
int prt_durable_write(prt_durable_w *w, const void *p, size_t n, prt_err *e);
/* writes the trailer, fsyncs, renames over path, fsyncs the directory; frees w */
int prt_durable_commit(prt_durable_w *w, prt_err *e);
/* removes the temp file; frees w; the previous file stays */
void prt_durable_abort(prt_durable_w *w);
/* content bytes appended so far */
uint64_t prt_durable_written(const prt_durable_w *w);

/* Refuses, each with its own reason: a missing file, a short header, a bad magic, a version above
 * max_version (or 0), a missing trailer or a length that disagrees with the size (truncation).
 * *version (may be NULL) receives the file's version. */
int prt_durable_open(prt_durable_r **r, const char *path, const char *magic, uint32_t max_version,
                     uint32_t *version, prt_err *e);
uint64_t prt_durable_content_size(const prt_durable_r *r);
uint64_t prt_durable_remaining(const prt_durable_r *r);
/* reads exactly n content bytes; asking past the end is an error ("ends early") */
int prt_durable_read(prt_durable_r *r, void *p, size_t n, prt_err *e);
/* reads the rest of the content, checks the CRC, frees r */
int prt_durable_finish(prt_durable_r *r, prt_err *e);
/* frees r without checking */
void prt_durable_close(prt_durable_r *r);

/* the whole content, checked, appended to out (cleared first) */
int prt_durable_load(const char *path, const char *magic, uint32_t max_version, uint32_t *version,
                     prt_buf *out, prt_err *e);
/* checks a whole file without keeping it */
int prt_durable_verify(const char *path, const char *magic, uint32_t max_version, prt_err *e);
/* removes leftover temp files of killed writers in dir; *removed (may be NULL) counts them */
int prt_durable_sweep(const char *dir, int *removed, prt_err *e);

/* CRC-32 (zlib) of a buffer, continuing from crc (start with 0); and of a whole file */
uint32_t prt_crc32(uint32_t crc, const void *p, size_t n);
int prt_crc32_file(const char *path, uint32_t *crc, uint64_t *size, int do_fsync, prt_err *e);

#endif
