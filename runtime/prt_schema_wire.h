/* prt_schema_wire.h — field tables on disk (in savepoint and checkpoint metadata), rebuilt from
 * disk as tables of their own, compared with the build's, and the move of an accumulator from
 * the table it was saved with to the build's table (schema evolution).
 *
 * A table read back lays its struct out synthetically (every field on an 8-byte boundary): it
 * describes bytes decoded by prt_schema_decode, not a generated C struct. Ownership: a table
 * from prt_schema_get belongs to the caller (prt_schema_release).
 */
#ifndef PRT_SCHEMA_WIRE_H
#define PRT_SCHEMA_WIRE_H

#include "prt_schema.h"

/* Appends the table (names, stores, types, aggregates, parts; nested tables) to b. */
void prt_schema_put(prt_buf *b, const prt_schema *s);
/* Reads a table written by prt_schema_put from *in (consumed). NULL with e when malformed. */
prt_schema *prt_schema_get(prt_str *in, prt_err *e);
void prt_schema_release(prt_schema *s);

/* 1 when both tables describe the same bytes (same fields, in order, same stores and types). */
/* Appends an operator's fingerprints (prt_schema_key_fp, prt_schema_agg_fp): u64 key, varint
 * number of aggregates, then per aggregate in table order bytes name, u64 fingerprint. */
void prt_schema_put_fps(prt_buf *b, const prt_schema *key, const prt_schema *acc);
/* Reads fingerprints written by prt_schema_put_fps from *in (consumed) and compares them with
 * those the tables read back give. PRT_OK when they agree; else PRT_ERR with why set to what
 * differs ("stored key fingerprint ..., the key table gives ...") or "fingerprints malformed". */
int prt_schema_check_fps(prt_str *in, const prt_schema *key, const prt_schema *acc, prt_buf *why);

int prt_schema_same_layout(const prt_schema *a, const prt_schema *b);

/* Compares an accumulator table saved with a savepoint (from) with the build's (to), aggregate
 * by aggregate (by name). Returns 1 when to can be filled from from, else 0 with why set to
 * "aggregate 'x': max(float) was min(float)". changes (may be NULL) gets the evolution in words:
 * "added 'y' (starts empty), removed 'z'", empty when nothing changed. */
int prt_schema_acc_evolves(const prt_schema *from, const prt_schema *to, prt_buf *changes, prt_buf *why);

/* Moves an accumulator decoded with table `from` into a zeroed `dst` of table `to`: the parts
 * of aggregates both have move over (src gives them up), the rest of dst stays empty (each new
 * aggregate starts from its identity), and what src still owns (removed aggregates) is freed. */
void prt_schema_acc_move(const prt_schema *from, void *src, const prt_schema *to, void *dst);

#endif
