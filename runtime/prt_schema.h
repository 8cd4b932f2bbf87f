/* prt_schema.h — field tables that describe generated state structs (keys, accumulators, buffered
 * join rows), nanopb-style, and the one generic routine set that walks them: canonical encoding
 * and decoding, deep copy, free, and schema fingerprints.
 *
 * Generated code emits one prt_schema per struct; the runtime never sees the struct types. The
 * canonical byte form (docs/savepoint-format.md) is what checkpoints and savepoints store, so it
 * is independent of the C layout, the platform and the state backend.
 *
 * Ownership: an object described by a schema owns its strings (PRT_S_STR: bytes from malloc,
 * PRT_S_OSTR), sets (PRT_S_DISTINCT) and lists (PRT_S_ROWS); prt_schema_free releases them.
 */
#ifndef PRT_SCHEMA_H
#define PRT_SCHEMA_H

#include "prt_core.h"

/* The pipeline type of a value, as the language names it. */
typedef enum prt_vtype {
    PRT_V_NONE, /* count(): no input */
    PRT_V_INT,
    PRT_V_FLOAT,
    PRT_V_BOOL,
    PRT_V_TIMESTAMP,
    PRT_V_STRING,
} prt_vtype;

/* How a field is stored in the struct. */
typedef enum prt_store {
    PRT_S_I64 = 1,  /* int64_t */
    PRT_S_U64,      /* uint64_t: an arrival sequence number */
    PRT_S_F64,      /* double */
    PRT_S_BOOL,     /* int, 0 or 1 */
    PRT_S_STR,      /* prt_str whose bytes the object owns (malloc); type PRT_V_NONE: bytes, not text */
    PRT_S_OSTR,     /* prt_ostr */
    PRT_S_DISTINCT, /* prt_distinct */
    PRT_S_ROWS,     /* prt_rows of records described by .sub */
} prt_store;

/* Which aggregate a field belongs to (none for keys and rows). */
typedef enum prt_aggfn {
    PRT_AGG_NONE,
    PRT_AGG_COUNT,
    PRT_AGG_SUM,
    PRT_AGG_MIN,
    PRT_AGG_MAX,
    PRT_AGG_AVG,
    PRT_AGG_FIRST,
    PRT_AGG_LAST,
    PRT_AGG_COUNT_DISTINCT,
    PRT_AGG_STATE, /* a function's state field (a value, or a collection of rows) */
} prt_aggfn;

/* Which part of its aggregate a field is. */
typedef enum prt_part {
    PRT_P_VALUE, /* the value (count, sum, min, max, first, last, the distinct set; key fields) */
    PRT_P_SUM,   /* avg: running sum */
    PRT_P_N,     /* avg: number of values */
    PRT_P_HAS,   /* min/max/first/last: a value was seen */
    PRT_P_SEQ,   /* first/last: arrival number of the value */
} prt_part;

typedef struct prt_schema prt_schema;

typedef struct prt_field {
    const char *name;       /* key field or aggregate name */
    uint32_t offset;        /* offsetof in the struct */
    uint8_t store;          /* prt_store */
    uint8_t type;           /* prt_vtype: of the key field, or of the aggregate's input */
    uint8_t agg;            /* prt_aggfn */
    uint8_t part;           /* prt_part */
    const prt_schema *sub;  /* PRT_S_ROWS: the records of the list */
} prt_field;

struct prt_schema {
    const char *name;       /* the C struct, for messages */
    uint32_t size;          /* sizeof the struct */
    uint32_t nfields;
    const prt_field *fields;
};

/* A growable list of records (join buffers); zero-initialized it is empty. */
typedef struct prt_rows {
    void *p;
    size_t n, cap;
} prt_rows;

/* Appends a zeroed record of s->size bytes and returns it. */
void *prt_rows_push(prt_rows *r, const prt_schema *s);
static inline void *prt_rows_at(const prt_rows *r, const prt_schema *s, size_t i)
{
    return (char *)r->p + i * s->size;
}

/* Appends obj's canonical bytes to out. */
void prt_schema_encode(const prt_schema *s, const void *obj, prt_buf *out);
/* Fills obj (s->size bytes; overwritten, then owned by the caller) from exactly the bytes of
 * in. PRT_ERR with e naming the field when in is malformed or has bytes left over; obj then
 * holds nothing to free. */
int prt_schema_decode(const prt_schema *s, void *obj, prt_str in, prt_err *e);
/* Deep copy: dst (overwritten) owns copies of everything src owns. */
void prt_schema_copy(const prt_schema *s, void *dst, const void *src);
/* Frees what obj owns and zeroes it. */
void prt_schema_free(const prt_schema *s, void *obj);
/* 1 when objects of the table own memory (strings, sets, rows): only then do copy and free
 * need more than memcpy and memset. The window engine asks once per operator. */
int prt_schema_owns(const prt_schema *s);

/* Fingerprints ("pipec schema fingerprint v1"). The key fingerprint covers the key fields'
 * types in order; an aggregate's covers its function, input type and stored parts. Names and
 * the order of aggregates do not count: renaming, adding, removing or reordering aggregates
 * leaves every other aggregate's fingerprint unchanged. */
uint64_t prt_schema_key_fp(const prt_schema *key);
/* 0 when the schema has no aggregate of that name. */
uint64_t prt_schema_agg_fp(const prt_schema *acc, const char *agg);

const char *prt_vtype_name(prt_vtype t);   /* "int", "float", ... */
const char *prt_aggfn_name(prt_aggfn f);   /* "count", "sum", ... */

#endif
