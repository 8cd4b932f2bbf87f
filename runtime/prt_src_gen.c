/* prt_src_gen.c — the `generator` source: synthetic records (prt_gen.h) at a wall-clock rate.
 *
 * Settings under sources.<name>.generator.: kind (orders), rate (records per second, or
 * `unlimited`; 1000), count (bounded after N; unbounded by default), seed (1), start (RFC 3339
 * or epoch ms; now, rounded down to the second), step (event-time distance; 1000/rate ms, at
 * least 1 ms), out_of_order (maximum disorder; 0). Records take the normal parsing path in the
 * source's format (a `raw` source receives kv lines). One partition; origin is the source name,
 * offset the 1-based record number.
 *
 * Position: the generator kind, the records emitted, the seed and the start time (which
 * defaults to the wall clock, so it is saved). seek rebuilds the generator with that start and
 * generates the emitted records again without delivering them (the generator's random draws per
 * record vary, so it cannot jump); the rate then continues from the seek.
 * Ownership: the source owns its generator and line buffer.
 */
#include "prt_connector.h"
#include "prt_gen.h"
#include "prt_scalar.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct gen_src {
    prt_gen *g;
    prt_gen_spec spec; /* kind and format point into settings or literals */
    int start_set;     /* the start setting was given (else it came from the clock) */
    prt_buf line;
    int64_t rate;   /* records per second; 0: unlimited */
    int64_t count;  /* -1: unbounded */
    int64_t t0;     /* monotonic ms at open or seek */
    int64_t base;   /* records already emitted at t0 */
} gen_src;

static int bad(prt_source *s, const char *key, const char *value)
{
    prt_log(s->job, "source %s: %s: invalid value '%s'", s->desc->name, key, value);
    return PRT_ERR;
}

static int gen_open(prt_source *s)
{
    prt_job *j = s->job;
    char key[192];
    const char *v;
    int64_t rate = 1000, count = -1, seed = 1, start, step, disorder;

#define KEY(name) (snprintf(key, sizeof key, "%s%s", s->prefix, name), key)
    const char *kind = prt_cfg(j, KEY("kind"));
    if (!kind)
        kind = "orders";
    if ((v = prt_cfg(j, KEY("rate"))) != NULL) {
        if (strcmp(v, "unlimited") == 0)
            rate = 0;
        else if (prt_cfg_int(j, key, 1000, &rate) != PRT_OK)
            return PRT_ERR;
        else if (rate <= 0)
            return bad(s, key, v);
    }
    if (prt_cfg_int(j, KEY("count"), -1, &count) != PRT_OK ||
        prt_cfg_int(j, KEY("seed"), 1, &seed) != PRT_OK)
        return PRT_ERR;
    int start_set = (v = prt_cfg(j, KEY("start"))) != NULL;
    if (start_set) {
        if (prt_parse_ts(prt_str_c(v), &start) != PRT_OK) {
            prt_log(j, "source %s: %s: invalid timestamp '%s'", s->desc->name, key, v);
            return PRT_ERR;
        }
    } else {
        start = prt_wall_ms() / 1000 * 1000;
    }
    int64_t dstep = rate ? 1000 / rate : 1;
    if (dstep < 1)
        dstep = 1;
    if (prt_cfg_dur(j, KEY("step"), dstep, &step) != PRT_OK ||
        prt_cfg_dur(j, KEY("out_of_order"), 0, &disorder) != PRT_OK)
        return PRT_ERR;
#undef KEY

    const char *fmt = s->desc->format;
    if (strcmp(fmt, "raw") == 0)
        fmt = "kv";
    prt_gen_spec spec = { kind, fmt, (uint64_t)seed, start, step, disorder, 0 };
    prt_err e;
    prt_gen *g = prt_gen_new(&spec, &e);
    if (!g) {
        prt_log(j, "source %s: %s", s->desc->name, e.msg);
        return PRT_ERR;
    }
    gen_src *gs = calloc(1, sizeof *gs);
    prt_assert(gs != NULL);
    gs->g = g;
    gs->spec = spec;
    gs->start_set = start_set;
    gs->rate = rate;
    gs->count = count;
    gs->t0 = prt_mono_ms();
    s->impl = gs;
    prt_source_partition_add(s, 0);
    return PRT_OK;
}

/* How many records are due by now at the configured rate (the first one at once). */
static int64_t due(const gen_src *gs, int64_t mono)
{
    return gs->base + (mono - gs->t0) * gs->rate / 1000 + 1;
}

static int gen_poll(prt_source *s, int max, int timeout_ms)
{
    gen_src *gs = s->impl;
    int64_t made = (int64_t)prt_gen_count(gs->g);
    if (gs->count >= 0 && made >= gs->count)
        return PRT_SRC_EOF;
    int64_t n = max;
    if (gs->rate) {
        int64_t mono = prt_mono_ms();
        n = due(gs, mono) - made;
        if (n <= 0 && timeout_ms > 0) {
            /* sleep until the next record is due, at most timeout_ms */
            int64_t next = gs->t0 + ((made - gs->base) * 1000 + gs->rate - 1) / gs->rate;
            int64_t wait = next - mono;
            if (wait > timeout_ms)
                wait = timeout_ms;
            prt_sleep_ms(wait);
            n = due(gs, prt_mono_ms()) - made;
        }
        if (n > max)
            n = max;
    }
    if (gs->count >= 0 && n > gs->count - made)
        n = gs->count - made;
    int delivered = 0;
    for (; delivered < n && !s->job->stop; delivered++) {
        int64_t ts;
        prt_gen_next(gs->g, &gs->line, &ts);
        prt_raw raw = { prt_buf_str(&gs->line), { NULL, 0 }, s->desc->name, 0,
                        (int64_t)prt_gen_count(gs->g), PRT_NO_TS };
        prt_source_deliver(s, &raw);
    }
    return delivered;
}

static void gen_close(prt_source *s)
{
    gen_src *gs = s->impl;
    if (!gs)
        return;
    prt_gen_free(gs->g);
    prt_buf_free(&gs->line);
    free(gs);
    s->impl = NULL;
}

static int gen_position(prt_source *s, prt_buf *b, prt_err *e)
{
    gen_src *gs = s->impl;
    prt_pos_writer w;
    int64_t v[3] = { (int64_t)prt_gen_count(gs->g), (int64_t)gs->spec.seed, gs->spec.start_ms };
    prt_pos_begin(&w, b, "generator");
    prt_pos_put(&w, prt_str_c(gs->spec.kind), 3, v);
    prt_pos_end(&w);
    return PRT_OK;
}

static int gen_seek(prt_source *s, const void *pos, size_t n, prt_err *e)
{
    gen_src *gs = s->impl;
    prt_pos_reader r;
    prt_str kind, none;
    int64_t v[3], nv[3];
    if (prt_pos_open(&r, pos, n, "generator", e) != PRT_OK)
        return PRT_ERR;
    if (r.count != 1)
        return prt_errf(e, "malformed position: %u entries, a generator position has one",
                        (unsigned)r.count);
    if (prt_pos_next(&r, &kind, 3, v, e) != 1 || prt_pos_next(&r, &none, 3, nv, e) != 0)
        return PRT_ERR;
    int64_t emitted = v[0], seed = v[1], start = v[2];
    if (!prt_str_eq(kind, prt_str_c(gs->spec.kind)))
        return prt_errf(e, "position of generator kind '%.*s', this source generates '%s'",
                        (int)kind.n, kind.p, gs->spec.kind);
    if ((uint64_t)seed != gs->spec.seed)
        return prt_errf(e, "position of a generator with seed %lld, this source has seed %llu",
                        (long long)seed, (unsigned long long)gs->spec.seed);
    if (gs->start_set && start != gs->spec.start_ms)
        return prt_errf(e, "position of a generator starting at %lld ms, this source's start "
                        "setting says %lld ms", (long long)start, (long long)gs->spec.start_ms);
    if (emitted < 0)
        return prt_errf(e, "malformed position: %lld records emitted", (long long)emitted);
    if (gs->count >= 0 && emitted > gs->count)
        return prt_errf(e, "position past the end: %lld records emitted, count is %lld",
                        (long long)emitted, (long long)gs->count);
    prt_gen_spec spec = gs->spec;
    spec.start_ms = start;
    prt_gen *g = prt_gen_new(&spec, e);
    if (!g)
        return PRT_ERR;
    for (int64_t i = 0; i < emitted; i++) {
        int64_t ts;
        prt_gen_next(g, &gs->line, &ts);
    }
    prt_gen_free(gs->g);
    gs->g = g;
    gs->spec = spec;
    gs->t0 = prt_mono_ms();
    gs->base = emitted;
    return PRT_OK;
}

const prt_source_ops prt_src_generator = {
    .connector = "generator", .open = gen_open, .poll = gen_poll, .close = gen_close,
    .position = gen_position, .seek = gen_seek,
};
