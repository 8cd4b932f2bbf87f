/* prt_admin_pub.c — the job thread's side of publishing: copies what is not counted on the
 * record path (source and partition watermarks, live keys and windows per operator) into
 * j->stats, where the admin thread reads it without a lock. Called between polls.
 */
#include "prt_admin.h"
#include "prt_jobpriv.h"
#include "prt_wm.h"

#include <stdio.h>
#include <string.h>

void prt_stats_publish(prt_job *j)
{
    prt_stats *s = j->stats;
    const prt_job_desc *d = j->desc;
    if (!s)
        return;
    for (int i = 0; i < d->nsources && i < s->nsources; i++) {
        prt_source *src = j->sources ? j->sources[i] : NULL;
        if (!src)
            continue;
        for (int p = 0; p < PRT_STATS_PARTS; p++) {
            int k = i * PRT_STATS_PARTS + p;
            int64_t lag = src->ops->lag ? src->ops->lag(src, p) : -1;
            prt_gauge_set(&s->part_lag[k], lag);
            int known = lag >= 0 || (src->wm && p < src->wm->nparts && src->wm->parts[p].present);
            if (known && src->ops->partition_name &&
                !atomic_load_explicit(&s->part_named[k], memory_order_relaxed)) {
                prt_buf b = { 0 };
                src->ops->partition_name(src, p, &b);
                snprintf(s->part_name[k], sizeof s->part_name[k], "%.*s", (int)b.n, b.p ? b.p : "");
                prt_buf_free(&b);
                atomic_store_explicit(&s->part_named[k], 1, memory_order_release); /* name first */
            }
        }
        if (!src->wm)
            continue;
        int done = PRT_RUN(j)->done[i];
        prt_gauge_set(&s->src_wm[i], done ? INT64_MAX : prt_wm_current(src->wm));
        for (int p = 0; p < PRT_STATS_PARTS; p++) {
            int k = i * PRT_STATS_PARTS + p;
            if (p >= src->wm->nparts || !src->wm->parts[p].present) {
                prt_gauge_set(&s->part_state[k], 0);
                continue;
            }
            const prt_wm_part *part = &src->wm->parts[p];
            int64_t w = part->max_ts == INT64_MIN ? INT64_MIN
                                                  : part->max_ts - src->wm->out_of_orderness - 1;
            prt_gauge_set(&s->part_wm[k], done ? INT64_MAX : w);
            prt_gauge_set(&s->part_state[k], part->idle ? 2 : 1);
        }
    }
    for (int i = 0; i < d->noperators && i < s->noperators; i++) {
        struct prt_winop *w = j->state ? PRT_OPERATOR(j, &d->operators[i]) : NULL;
        if (!w)
            continue;
        prt_winop_stats st;
        prt_winop_stats_get(w, &st);
        prt_gauge_set(&s->op_keys[i], (int64_t)st.keys);
        prt_gauge_set(&s->op_windows[i], (int64_t)st.windows);
    }
    prt_gauge_set(&s->published_ms, prt_wall_ms());
}

/* The graph node of a stage id (sources are named by index), or -1. Error path only. */
static int stage_node(const prt_job *j, const char *stage)
{
    const prt_job_desc *d = j->desc;
    for (int i = d->nsources; d->nodes && i < d->nnodes && i < j->stats->nnodes; i++)
        if (!strcmp(d->nodes[i].id, stage))
            return i;
    return -1;
}

void prt_stats_count_error(prt_job *j, const char *stage, const prt_err *e)
{
    prt_stats *s = j->stats;
    int n = stage ? stage_node(j, stage) : j->cur_source;
    if (n >= 0 && n < s->nnodes)
        prt_ctr_add(&s->node_errors[n], 1);
    char where[64];
    if (stage)
        snprintf(where, sizeof where, "stage %s", stage);
    else if (j->cur_source >= 0)
        snprintf(where, sizeof where, "source %s", j->desc->sources[j->cur_source].name);
    else
        snprintf(where, sizeof where, "?");
    prt_stats_error(s, where, e->msg, prt_wall_ms());
}

void prt_stats_count_late(prt_job *j, const char *stage)
{
    int n = stage_node(j, stage);
    if (n >= 0)
        prt_ctr_add(&j->stats->node_late[n], 1);
}
