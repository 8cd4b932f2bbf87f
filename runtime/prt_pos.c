/* prt_pos.c — the source position encoding of prt_pos.h (version 1): a writer that appends to a
 * prt_buf and a reader that refuses anything malformed or truncated with a message that says
 * where. */
#include "prt_pos.h"

static const char magic[4] = { 'P', 'R', 'T', 'P' };

static void put_u(prt_buf *b, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        prt_buf_putc(b, (char)(unsigned char)(v >> (8 * i)));
}

void prt_pos_begin(prt_pos_writer *w, prt_buf *b, const char *connector)
{
    size_t n = strlen(connector);
    prt_assert(n <= 255);
    w->b = b;
    w->n = 0;
    prt_buf_put(b, magic, sizeof magic);
    put_u(b, PRT_POS_VERSION, 1);
    put_u(b, n, 1);
    prt_buf_put(b, connector, n);
    w->count_at = b->n;
    put_u(b, 0, 4);
}

void prt_pos_put(prt_pos_writer *w, prt_str name, int nvals, const int64_t *vals)
{
    prt_assert(name.n <= 65535 && nvals >= 0 && nvals <= PRT_POS_MAX_VALUES);
    put_u(w->b, name.n, 2);
    prt_buf_put(w->b, name.p, name.n);
    put_u(w->b, (uint64_t)nvals, 1);
    for (int i = 0; i < nvals; i++)
        put_u(w->b, (uint64_t)vals[i], 8);
    w->n++;
}

void prt_pos_end(prt_pos_writer *w)
{
    unsigned char *c = (unsigned char *)w->b->p + w->count_at;
    for (int i = 0; i < 4; i++)
        c[i] = (unsigned char)(w->n >> (8 * (3 - i)));
}

/* ---------------------------------------------------------------- reading */

static int get_u(prt_pos_reader *r, int bytes, uint64_t *v)
{
    if (r->n - r->off < (size_t)bytes)
        return PRT_ERR;
    uint64_t x = 0;
    for (int i = 0; i < bytes; i++)
        x = x << 8 | r->p[r->off++];
    *v = x;
    return PRT_OK;
}

int prt_pos_open(prt_pos_reader *r, const void *data, size_t n, const char *connector, prt_err *e)
{
    r->p = data;
    r->n = data ? n : 0;
    r->off = 0;
    r->count = r->read = 0;
    uint64_t version, clen, count;
    if (r->n < sizeof magic || memcmp(r->p, magic, sizeof magic) != 0)
        return prt_errf(e, "not a source position (%zu bytes without the PRTP magic)", r->n);
    r->off = sizeof magic;
    if (get_u(r, 1, &version) != PRT_OK)
        return prt_errf(e, "truncated position: %zu bytes end inside the header", r->n);
    if (version != PRT_POS_VERSION)
        return prt_errf(e, "position version %d is not supported (this runtime reads version %d)",
                        (int)version, PRT_POS_VERSION);
    if (get_u(r, 1, &clen) != PRT_OK || r->n - r->off < clen)
        return prt_errf(e, "truncated position: %zu bytes end inside the header", r->n);
    const char *c = (const char *)r->p + r->off;
    r->off += clen;
    if (clen != strlen(connector) || memcmp(c, connector, clen) != 0)
        return prt_errf(e, "position of a %.*s source, not of a %s source", (int)clen, c, connector);
    if (get_u(r, 4, &count) != PRT_OK)
        return prt_errf(e, "truncated position: %zu bytes end inside the header", r->n);
    r->count = (uint32_t)count;
    return PRT_OK;
}

int prt_pos_next(prt_pos_reader *r, prt_str *name, int nvals, int64_t *vals, prt_err *e)
{
    if (r->read == r->count) {
        if (r->off != r->n)
            return prt_errf(e, "malformed position: %zu bytes after the last of %u entries",
                            r->n - r->off, (unsigned)r->count);
        return 0;
    }
    uint64_t len, k;
    size_t at = r->off;
    if (get_u(r, 2, &len) != PRT_OK || r->n - r->off < len)
        goto truncated;
    *name = (prt_str){ (const char *)r->p + r->off, (size_t)len };
    r->off += len;
    if (get_u(r, 1, &k) != PRT_OK)
        goto truncated;
    if (nvals < 0) { /* any count (prt_pos_next_any) */
        if (k > PRT_POS_MAX_VALUES)
            return prt_errf(e, "malformed position: entry %u has %d values, at most %d", (unsigned)r->read + 1,
                            (int)k, PRT_POS_MAX_VALUES);
        nvals = (int)k;
        vals[PRT_POS_MAX_VALUES] = nvals;
    }
    if ((int)k != nvals)
        return prt_errf(e, "malformed position: entry %u has %d values, expected %d",
                        (unsigned)r->read + 1, (int)k, nvals);
    for (int i = 0; i < nvals; i++) {
        uint64_t v;
        if (get_u(r, 8, &v) != PRT_OK)
            goto truncated;
        vals[i] = (int64_t)v;
    }
    r->read++;
    return 1;
truncated:
    return prt_errf(e, "truncated position: entry %u of %u (at byte %zu) ends after byte %zu",
                    (unsigned)r->read + 1, (unsigned)r->count, at, r->n);
}

int prt_pos_next_any(prt_pos_reader *r, prt_str *name, int *nvals, int64_t *vals, prt_err *e)
{
    int64_t v[PRT_POS_MAX_VALUES + 1];
    int rc = prt_pos_next(r, name, -1, v, e);
    if (rc == 1) {
        *nvals = (int)v[PRT_POS_MAX_VALUES];
        memcpy(vals, v, (size_t)*nvals * sizeof *v);
    }
    return rc;
}
