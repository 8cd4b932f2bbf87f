/* prt_wm.h — a source's event-time watermark, tracked per partition (private to the runtime).
 *
 * Per partition: max event time seen - out_of_orderness - 1 (INT64_MIN before its first
 * record). The source watermark is the minimum over the partitions that are not idle, and it
 * never goes backwards. With an idle timeout, a partition that delivered nothing for that long
 * (wall clock; counted from when it was added if it never delivered) stops holding the watermark
 * back, and counts again from its next record. When every partition is idle the watermark stays.
 */
#ifndef PRT_WM_H
#define PRT_WM_H

#include <stdint.h>

#define PRT_WM_NO_FAST INT64_MIN

typedef struct prt_wm_part {
    int present;     /* the partition exists (dense indexes; gaps are absent) */
    int idle;
    int64_t max_ts;  /* INT64_MIN before the first record */
    int64_t last;    /* wall clock of the last record, or of when it was added */
} prt_wm_part;

struct prt_wm {
    int64_t out_of_orderness; /* ms, >= 0 */
    int64_t idle_ms;          /* 0: partitions never go idle */
    int64_t wm;               /* current source watermark; INT64_MIN at start */
    prt_wm_part *parts;       /* owned */
    int nparts;               /* allocated length of parts */
    int single;               /* the one partition that is present and not idle, when there is
                               * exactly one (set by prt_wm_recompute); -1: not so, or not known */
    int64_t fast;             /* single when it has had a record (max_ts not INT64_MIN): its
                               * records take prt_wm_record's short way; PRT_WM_NO_FAST: none
                               * (always safe; no int32 partition number equals it) */
    int64_t ts_floor;         /* INT64_MIN + out_of_orderness + 1: below it the watermark saturates */
};
typedef struct prt_wm prt_wm;

prt_wm *prt_wm_new(int64_t out_of_orderness_ms, int64_t idle_ms); /* owned by the caller */
void prt_wm_free(prt_wm *w);

void prt_wm_partition_add(prt_wm *w, int32_t p, int64_t now);
void prt_wm_partition_remove(prt_wm *w, int32_t p);

/* A record with event time ts arrived on partition p (added if unknown) at wall clock now.
 * Returns 1 and the new watermark in *wm when the source watermark advanced, else 0. */
int prt_wm_record_any(prt_wm *w, int32_t p, int64_t ts, int64_t now, int64_t *wm);
/* Inline for the usual records: a partition present and active whose highest event time it
 * does not pass, so no watermark can move; or, in order (every record of a time-ordered
 * input), the only partition that counts, whose own watermark is the source's (as
 * prt_wm_record_any computes it, saturating near INT64_MIN). */
static inline int prt_wm_record(prt_wm *w, int32_t p, int64_t ts, int64_t now, int64_t *wm)
{
    if ((int64_t)p == w->fast) { /* present, not idle, the only one that counts, has had a record */
        prt_wm_part *q = &w->parts[p];
        if (ts <= q->max_ts) {
            q->last = now;
            return 0;
        }
        if (ts >= w->ts_floor) {
            q->last = now;
            q->max_ts = ts;
            int64_t v = ts - w->out_of_orderness - 1;
            if (v <= w->wm)
                return 0;
            w->wm = v;
            *wm = v;
            return 1;
        }
    } else if (p >= 0 && p < w->nparts) {
        prt_wm_part *q = &w->parts[p];
        if (q->present && !q->idle && ts <= q->max_ts) {
            q->last = now;
            return 0;
        }
    }
    return prt_wm_record_any(w, p, ts, now, wm);
}
/* Marks partitions idle whose last record is older than idle_ms. Returns 1 and *wm when the
 * watermark advanced because of it, else 0. */
int prt_wm_check_idle(prt_wm *w, int64_t now, int64_t *wm);
/* Removing a partition may also advance the watermark: call after prt_wm_partition_remove. */
int prt_wm_recompute(prt_wm *w, int64_t *wm);

/* pipec test's `watermark:` step: the source watermark moves to wm unless it is there already
 * (never backwards). Returns 1 when it moved. */
int prt_wm_force(prt_wm *w, int64_t wm);

static inline int64_t prt_wm_current(const prt_wm *w) { return w->wm; }

#endif
