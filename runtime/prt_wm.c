/* prt_wm.c — per-partition watermark tracking with idleness (see prt_wm.h). */
#include "prt_wm.h"
#include "prt_core.h"

#include <stdlib.h>
#include <string.h>

prt_wm *prt_wm_new(int64_t out_of_orderness_ms, int64_t idle_ms)
{
    prt_wm *w = calloc(1, sizeof *w);
    prt_assert(w != NULL);
    w->out_of_orderness = out_of_orderness_ms < 0 ? 0 : out_of_orderness_ms;
    w->idle_ms = idle_ms < 0 ? 0 : idle_ms;
    w->wm = INT64_MIN;
    w->single = -1;
    w->fast = PRT_WM_NO_FAST;
    w->ts_floor = INT64_MIN + w->out_of_orderness + 1;
    return w;
}

/* After any change of single or of a partition's present, idle or first record. */
static void fast_update(prt_wm *w)
{
    int s = w->single;
    const prt_wm_part *q = s >= 0 && s < w->nparts ? &w->parts[s] : NULL;
    w->fast = q && q->present && !q->idle && q->max_ts != INT64_MIN ? s : PRT_WM_NO_FAST;
}

void prt_wm_free(prt_wm *w)
{
    if (!w)
        return;
    free(w->parts);
    free(w);
}

static prt_wm_part *part(prt_wm *w, int32_t p)
{
    prt_assert(p >= 0);
    if (p >= w->nparts) {
        int n = w->nparts ? w->nparts : 4;
        while (n <= p)
            n *= 2;
        prt_wm_part *v = realloc(w->parts, (size_t)n * sizeof *v);
        prt_assert(v != NULL);
        memset(v + w->nparts, 0, (size_t)(n - w->nparts) * sizeof *v);
        w->parts = v;
        w->nparts = n;
    }
    return &w->parts[p];
}

void prt_wm_partition_add(prt_wm *w, int32_t p, int64_t now)
{
    prt_wm_part *q = part(w, p);
    if (q->present)
        return;
    q->present = 1;
    q->idle = 0;
    q->max_ts = INT64_MIN;
    q->last = now;
    w->single = -1;
    w->fast = PRT_WM_NO_FAST;
}

void prt_wm_partition_remove(prt_wm *w, int32_t p)
{
    if (p >= 0 && p < w->nparts)
        w->parts[p].present = 0;
    w->single = -1;
    w->fast = PRT_WM_NO_FAST;
}

static int64_t part_wm(const prt_wm *w, const prt_wm_part *q)
{
    if (q->max_ts == INT64_MIN)
        return INT64_MIN;
    /* saturate instead of overflowing for timestamps near INT64_MIN */
    if (q->max_ts < INT64_MIN + w->out_of_orderness + 1)
        return INT64_MIN;
    return q->max_ts - w->out_of_orderness - 1;
}

int prt_wm_recompute(prt_wm *w, int64_t *wm)
{
    int any = 0, last = -1;
    int64_t min = INT64_MAX;
    for (int i = 0; i < w->nparts; i++) {
        const prt_wm_part *q = &w->parts[i];
        if (!q->present || q->idle)
            continue;
        int64_t v = part_wm(w, q);
        if (v < min)
            min = v;
        any++;
        last = i;
    }
    w->single = any == 1 ? last : -1;
    fast_update(w);
    if (!any || min <= w->wm) /* all idle (or none): hold; never backwards */
        return 0;
    w->wm = min;
    *wm = min;
    return 1;
}

static int record_any(prt_wm *w, int32_t p, int64_t ts, int64_t now, int64_t *wm);

int prt_wm_record_any(prt_wm *w, int32_t p, int64_t ts, int64_t now, int64_t *wm)
{
    int rc = record_any(w, p, ts, now, wm);
    fast_update(w);
    return rc;
}

static int record_any(prt_wm *w, int32_t p, int64_t ts, int64_t now, int64_t *wm)
{
    prt_wm_part *q = p >= 0 && p < w->nparts ? &w->parts[p] : part(w, p);
    if (!q->present) {
        q->present = 1;
        q->max_ts = INT64_MIN;
        w->single = -1;
    }
    q->last = now;
    int was_idle = q->idle;
    q->idle = 0;
    if (ts <= q->max_ts && !was_idle)
        return 0; /* this partition's watermark did not move: the minimum cannot either */
    if (ts > q->max_ts)
        q->max_ts = ts;
    if (w->single == p && !was_idle) { /* the only partition that counts: its own watermark */
        int64_t v = part_wm(w, q);
        if (v <= w->wm)
            return 0;
        w->wm = v;
        *wm = v;
        return 1;
    }
    return prt_wm_recompute(w, wm);
}

int prt_wm_check_idle(prt_wm *w, int64_t now, int64_t *wm)
{
    if (w->idle_ms <= 0)
        return 0;
    int changed = 0;
    for (int i = 0; i < w->nparts; i++) {
        prt_wm_part *q = &w->parts[i];
        if (q->present && !q->idle && now - q->last >= w->idle_ms) {
            q->idle = 1;
            changed = 1;
            w->fast = PRT_WM_NO_FAST; /* prt_wm_recompute below sets it again */
        }
    }
    return changed ? prt_wm_recompute(w, wm) : 0;
}

int prt_wm_force(prt_wm *w, int64_t wm)
{
    if (wm <= w->wm)
        return 0;
    w->wm = wm;
    return 1;
}
