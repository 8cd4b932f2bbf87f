/* prt_ptest_row.c — pipec test's view of generated rows: a JSON object read into a row struct
 * and a row struct written as a JSON object, both through the row's field table (prt_schema).
 *
 * Only the kinds of fields a record row holds are handled: strings, 64-bit integers and
 * timestamps, doubles and bools. Fields whose name starts with '_' are metadata: read when the
 * object has them, never written. Ownership: the strings of a row read here point into the
 * line or into the scratch allocator given; the caller keeps both alive while the row is used.
 */
#include "prt_ptest.h"

#include "prt_format.h"
#include "prt_scalar.h"

#include <stdlib.h>

/* One field's value text into the row. */
static int put(const prt_field *f, char *at, prt_str v, prt_err *e)
{
    int rc = PRT_OK;
    switch (f->store) {
    case PRT_S_STR:
        memcpy(at, &v, sizeof(prt_str));
        break;
    case PRT_S_I64:
        rc = f->type == PRT_V_TIMESTAMP ? prt_parse_ts(v, (int64_t *)(void *)at) : prt_parse_int(v, (int64_t *)(void *)at);
        break;
    case PRT_S_F64:
        rc = prt_parse_float(v, (double *)(void *)at);
        break;
    case PRT_S_BOOL:
        rc = prt_parse_bool(v, (int *)(void *)at);
        break;
    default:
        return prt_errf(e, "field '%s': a kind of field test records cannot hold", f->name);
    }
    if (rc != PRT_OK)
        return prt_errf(e, "field '%s': invalid value '%.*s'", f->name, (int)v.n, v.p);
    return PRT_OK;
}

int prt_ptest_row_read(const prt_schema *row, prt_str line, void *out, prt_scratch *s, prt_err *e)
{
    memset(out, 0, row->size);
    /* prt_json_extract looks for at most 64 paths at a time: wider rows in several passes */
    for (uint32_t base = 0; base < row->nfields || base == 0; base += 64) {
        const char *paths[64] = { 0 };
        prt_str vals[64];
        uint64_t present = 0;
        uint32_t n = row->nfields - base < 64 ? row->nfields - base : 64;
        for (uint32_t i = 0; i < n; i++)
            paths[i] = row->fields[base + i].name;
        if (prt_json_extract(line, paths, (int)n, vals, &present, s, e) != PRT_OK)
            return PRT_ERR;
        for (uint32_t i = 0; i < n; i++) /* absent: zero, as pipec test only leaves out metadata */
            if ((present & (UINT64_C(1) << i)) &&
                put(&row->fields[base + i], (char *)out + row->fields[base + i].offset, vals[i], e) != PRT_OK)
                return PRT_ERR;
        if (!row->nfields)
            break;
    }
    return PRT_OK;
}

void prt_ptest_row_write(const prt_schema *row, const void *r, prt_buf *b)
{
    prt_writer w;
    prt_w_begin(&w, PRT_OUT_JSON, ',', b);
    for (uint32_t i = 0; i < row->nfields; i++) {
        const prt_field *f = &row->fields[i];
        const char *at = (const char *)r + f->offset;
        if (f->name[0] == '_')
            continue;
        switch (f->store) {
        case PRT_S_STR: {
            prt_str v;
            memcpy(&v, at, sizeof v);
            prt_w_str(&w, f->name, v);
            break;
        }
        case PRT_S_I64: {
            int64_t v;
            memcpy(&v, at, sizeof v);
            if (f->type == PRT_V_TIMESTAMP)
                prt_w_ts(&w, f->name, v);
            else
                prt_w_int(&w, f->name, v);
            break;
        }
        case PRT_S_F64: {
            double v;
            memcpy(&v, at, sizeof v);
            prt_w_float(&w, f->name, v);
            break;
        }
        case PRT_S_BOOL: {
            int v;
            memcpy(&v, at, sizeof v);
            prt_w_bool(&w, f->name, v);
            break;
        }
        default:
            break;
        }
    }
    prt_w_end(&w);
}
