/* prt_pos.h — the canonical byte form of a source position: what a source's `position` writes
 * and its `seek` reads back (prt_source_ops in prt_job.h).
 *
 * Version 1. Every integer is big-endian; nothing depends on the machine, the time or the
 * order in which a source happened to discover its partitions:
 *
 *   "PRTP"                magic, 4 bytes
 *   u8                    version (1)
 *   u8 n, n bytes         the connector that wrote it ("file", "kafka", "generator")
 *   u32                   number of entries
 *   each entry:
 *     u16 n, n bytes      a name: a file path, a topic, a generator kind
 *     u8 k                the number of values (fixed per connector and version)
 *     k x i64             the values
 *
 * The entries and their order belong to the connector (see docs/runtime.md):
 *   file       one per file of the glob, in reading order: path, [byte offset, line, done]
 *   kafka      one per partition, sorted by topic then partition: topic, [partition, next offset]
 *   generator  one: kind, [records emitted, seed, start ms]
 * The blob carries no checksum: the checkpoint file that holds it has one.
 *
 * Ownership: the writer appends to a caller's prt_buf; names the reader returns point into the
 * caller's blob.
 */
#ifndef PRT_POS_H
#define PRT_POS_H

#include "prt_core.h"

#define PRT_POS_VERSION 1
#define PRT_POS_MAX_VALUES 8

typedef struct prt_pos_writer {
    prt_buf *b;
    size_t count_at; /* where the entry count goes */
    uint32_t n;
} prt_pos_writer;

/* Starts a position of `connector` at the end of b. */
void prt_pos_begin(prt_pos_writer *w, prt_buf *b, const char *connector);
/* Appends one entry (name at most 65535 bytes, 0..PRT_POS_MAX_VALUES values). */
void prt_pos_put(prt_pos_writer *w, prt_str name, int nvals, const int64_t *vals);
/* Writes the entry count. */
void prt_pos_end(prt_pos_writer *w);

typedef struct prt_pos_reader {
    const unsigned char *p;
    size_t n, off;
    uint32_t count, read;
} prt_pos_reader;

/* Checks the header: magic, version and connector. PRT_ERR with e ("not a source position",
 * "truncated position ...", "position of a kafka source, not of a file source", ...). */
int prt_pos_open(prt_pos_reader *r, const void *data, size_t n, const char *connector, prt_err *e);
/* 1 and the next entry, which must have exactly nvals values; 0 after the last one (the blob
 * must end there); PRT_ERR with e when the blob is malformed or truncated. */
int prt_pos_next(prt_pos_reader *r, prt_str *name, int nvals, int64_t *vals, prt_err *e);

/* The same for a reader that does not know the connector's value count (`savepoint dump`):
 * *nvals gets it; vals has room for PRT_POS_MAX_VALUES. */
int prt_pos_next_any(prt_pos_reader *r, prt_str *name, int *nvals, int64_t *vals, prt_err *e);

#endif
