/* prt_workers.c — the workers of a job (prt_job.h): their key-group ranges and generated state,
 * the generated hooks run on each of them, and, at parallelism N > 1, their threads and the
 * shuffle that feeds them.
 *
 * Parallelism 1: one worker, run by the input thread straight through (no thread, no queue).
 * Parallelism N: the input thread parses and runs the stages before key_by in its own context;
 * key_by hands each record (a deep copy) to the worker that owns its key group through that
 * worker's bounded queue of batches, so the record path takes no lock per record. Watermarks,
 * ticks and the end of input go into every worker's batch in order with the records; a drain
 * waits until every worker has processed everything handed to it.
 *
 * A watermark reaches a worker just before its next record or control message (or when its batch
 * is handed over): the watermarks between two of a worker's records collapse into the last one
 * of each source. A watermark only moves forward and fires timers in time order, so the worker
 * fires the same windows, in the same order per key, as with each one applied; and no record
 * meets a watermark other than the one it would have met.
 *
 * Ownership: the job owns the workers (j->workers, j->input); this file allocates and frees them.
 */
#include "prt_jobpriv.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define BATCH_BYTES (64 * 1024) /* a batch is handed over once it holds this much */
#define QUEUE_BATCHES 8         /* batches a worker may have waiting before the input thread waits */

enum { MSG_REC = 1, MSG_WM, MSG_TICK, MSG_FINISH, MSG_STOP };

/* One message in a batch; a record's row follows (8-byte aligned), then its strings' bytes. */
typedef struct msg {
    uint32_t kind, arg; /* REC: shuffle point; WM: source */
    uint32_t size;      /* bytes of the whole message, a multiple of 8 */
    uint32_t pad_;
    int64_t ts;         /* REC: event time; WM: watermark; TICK: wall clock */
    int64_t now;        /* REC: wall clock when it was read */
    uint64_t kh;        /* REC: key hash */
} msg;

typedef struct batch {
    prt_buf b;
    struct batch *next;
} batch;

typedef struct wq {
    pthread_mutex_t mu;
    pthread_cond_t more, room, done;
    batch *head, *tail, *spare; /* queued for the worker; recycled */
    int queued;
    uint64_t handed, processed; /* batches given to the worker; batches it finished */
    batch *cur;                 /* being filled by the input thread */
    int64_t *wm;                /* by source: the latest watermark not yet in a batch */
    uint8_t *wm_due;            /* by source: wm[source] is waiting */
    int wm_any;
    pthread_t th;
    prt_worker *wk;
} wq;

struct prt_shuffle {
    wq *q; /* by worker */
    int n, running;
};

/* ---------------------------------------------------------------- key groups */

/* Flink's KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex. */
static void kg_range(uint32_t maxpar, uint32_t n, uint32_t w, uint32_t *lo, uint32_t *hi)
{
    *lo = (uint32_t)(((uint64_t)w * maxpar + n - 1) / n);
    *hi = (uint32_t)(((uint64_t)(w + 1) * maxpar - 1) / n);
}

static void worker_init(prt_job *j, prt_worker *wk, int index)
{
    wk->job = j;
    wk->index = index;
    wk->node_out = j->stats ? j->stats->node_out : NULL;
    wk->node_out_atomic = index >= 0 && j->nworkers > 1; /* j->nworkers is set first */
    wk->state = calloc(1, j->desc->state_size ? j->desc->state_size : 1);
    prt_assert(wk->state != NULL);
    wk->now = j->now;
}

static void worker_free(prt_worker *wk)
{
    free(wk->state);
    prt_scratch_free(&wk->scratch);
    prt_buf_free(&wk->out);
}

int prt_workers_new(prt_job *j, int n, prt_err *e)
{
    const prt_job_desc *d = j->desc;
    uint32_t maxpar = d->max_parallelism > 0 ? (uint32_t)d->max_parallelism : 1;
    if (n < 1 || (uint32_t)n > maxpar)
        return prt_errf(e, "error: parallelism %d must be between 1 and state.max_parallelism (%u)", n, maxpar);
    if (n > 1 && d->serial)
        return prt_errf(e, "error: parallelism %d: this pipeline runs at parallelism 1 only: %s", n, d->serial);
    j->workers = calloc((size_t)n, sizeof *j->workers);
    prt_assert(j->workers != NULL);
    j->nworkers = n;
    for (int w = 0; w < n; w++) {
        worker_init(j, &j->workers[w], w);
        kg_range(maxpar, (uint32_t)n, (uint32_t)w, &j->workers[w].kg_lo, &j->workers[w].kg_hi);
    }
    if (n == 1) {
        j->input = &j->workers[0];
        return PRT_OK;
    }
    j->input = calloc(1, sizeof *j->input);
    prt_assert(j->input != NULL);
    worker_init(j, j->input, -1);
    j->input->kg_lo = 1;
    j->input->kg_hi = 0; /* owns no key group */
    struct prt_shuffle *s = calloc(1, sizeof *s);
    prt_assert(s != NULL);
    s->n = n;
    s->q = calloc((size_t)n, sizeof *s->q);
    prt_assert(s->q != NULL);
    for (int w = 0; w < n; w++) {
        wq *q = &s->q[w];
        pthread_mutex_init(&q->mu, NULL);
        pthread_cond_init(&q->more, NULL);
        pthread_cond_init(&q->room, NULL);
        pthread_cond_init(&q->done, NULL);
        q->wk = &j->workers[w];
        q->wm = calloc((size_t)d->nsources + 1, sizeof *q->wm);
        q->wm_due = calloc((size_t)d->nsources + 1, 1);
        prt_assert(q->wm && q->wm_due);
    }
    j->input->shuffle = s;
    return PRT_OK;
}

static void batches_free(batch *b)
{
    while (b) {
        batch *next = b->next;
        prt_buf_free(&b->b);
        free(b);
        b = next;
    }
}

void prt_workers_free(prt_job *j)
{
    if (j->input && j->input != j->workers) {
        struct prt_shuffle *s = j->input->shuffle;
        for (int w = 0; s && w < s->n; w++) {
            wq *q = &s->q[w];
            batches_free(q->head);
            batches_free(q->spare);
            batches_free(q->cur);
            free(q->wm);
            free(q->wm_due);
            pthread_mutex_destroy(&q->mu);
            pthread_cond_destroy(&q->more);
            pthread_cond_destroy(&q->room);
            pthread_cond_destroy(&q->done);
        }
        if (s)
            free(s->q);
        free(s);
        worker_free(j->input);
        free(j->input);
    }
    for (int w = 0; w < j->nworkers; w++)
        worker_free(&j->workers[w]);
    free(j->workers);
    j->workers = NULL;
    j->input = NULL;
    j->nworkers = 0;
}

/* ---------------------------------------------------------------- the worker threads */

static void run_batch(prt_worker *wk, prt_buf *b, int *stop)
{
    const prt_job_desc *d = wk->job->desc;
    for (size_t off = 0; off < b->n;) {
        msg *m = (msg *)(b->p + off);
        off += m->size;
        switch (m->kind) {
        case MSG_REC: {
            char *row = (char *)(m + 1);
            const prt_shuffle_desc *sd = &d->shuffles[m->arg];
            /* strings were appended after the row: their pointers are offsets from the row */
            for (uint32_t i = 0; i < sd->row->nfields; i++) {
                const prt_field *f = &sd->row->fields[i];
                if (f->store == PRT_S_STR) {
                    prt_str *s = (prt_str *)(row + f->offset);
                    s->p = s->n ? row + (uintptr_t)s->p : NULL;
                }
            }
            prt_scratch_reset(&wk->scratch);
            wk->now = m->now;
            sd->on_worker(wk, row, m->ts, m->kh);
            break;
        }
        case MSG_WM:
            d->watermark(wk, (int)m->arg, m->ts);
            break;
        case MSG_TICK:
            wk->now = m->ts;
            d->tick(wk, m->ts);
            break;
        case MSG_FINISH:
            d->finish(wk);
            break;
        case MSG_STOP:
            *stop = 1;
            break;
        }
    }
}

static void *worker_main(void *arg)
{
    wq *q = arg;
    int stop = 0;
    while (!stop) {
        pthread_mutex_lock(&q->mu);
        while (!q->head)
            pthread_cond_wait(&q->more, &q->mu);
        batch *b = q->head;
        q->head = b->next;
        if (!q->head)
            q->tail = NULL;
        q->queued--;
        pthread_cond_signal(&q->room);
        pthread_mutex_unlock(&q->mu);

        run_batch(q->wk, &b->b, &stop);

        pthread_mutex_lock(&q->mu);
        b->b.n = 0;
        b->next = q->spare;
        q->spare = b;
        q->processed++;
        pthread_cond_broadcast(&q->done);
        pthread_mutex_unlock(&q->mu);
    }
    return NULL;
}

int prt_workers_start(prt_job *j, prt_err *e)
{
    struct prt_shuffle *s = j->input->shuffle;
    if (!s)
        return PRT_OK;
    for (int w = 0; w < s->n; w++)
        if (pthread_create(&s->q[w].th, NULL, worker_main, &s->q[w]) != 0) {
            s->n = w; /* only those started are stopped */
            return prt_errf(e, "cannot start worker thread %d", w);
        }
    s->running = 1;
    PRT_RUN(j)->shared = 1;
    return PRT_OK;
}

/* ---------------------------------------------------------------- handing over */

static batch *cur_batch(wq *q)
{
    if (q->cur)
        return q->cur;
    pthread_mutex_lock(&q->mu);
    batch *b = q->spare;
    if (b)
        q->spare = b->next;
    pthread_mutex_unlock(&q->mu);
    if (!b) {
        b = calloc(1, sizeof *b);
        prt_assert(b != NULL);
        prt_buf_reserve(&b->b, BATCH_BYTES + 4096);
    }
    b->next = NULL;
    q->cur = b;
    return b;
}

/* Hands the batch being filled to the worker, waiting while its queue is full. */
static void hand_over(wq *q)
{
    batch *b = q->cur;
    if (!b || !b->b.n)
        return;
    q->cur = NULL;
    pthread_mutex_lock(&q->mu);
    while (q->queued >= QUEUE_BATCHES)
        pthread_cond_wait(&q->room, &q->mu);
    if (q->tail)
        q->tail->next = b;
    else
        q->head = b;
    q->tail = b;
    q->queued++;
    q->handed++;
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->mu);
}

static msg *put_msg(wq *q, uint32_t kind, uint32_t arg, size_t extra)
{
    batch *b = cur_batch(q);
    size_t size = (sizeof(msg) + extra + 7) & ~(size_t)7;
    prt_buf_reserve(&b->b, size);
    msg *m = (msg *)(b->b.p + b->b.n);
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->arg = arg;
    m->size = (uint32_t)size;
    b->b.n += size;
    return m;
}

/* The watermarks waiting for worker q go into its batch, in source order. */
static void put_watermarks(wq *q, int nsources)
{
    if (!q->wm_any)
        return;
    q->wm_any = 0;
    for (int i = 0; i < nsources; i++)
        if (q->wm_due[i]) {
            q->wm_due[i] = 0;
            put_msg(q, MSG_WM, (uint32_t)i, 0)->ts = q->wm[i];
        }
}

void prt_shuffle(prt_worker *in, int point, const void *row, int64_t ts, uint64_t kh)
{
    prt_job *j = in->job;
    struct prt_shuffle *s = in->shuffle;
    const prt_schema *rs = j->desc->shuffles[point].row;
    uint32_t maxpar = (uint32_t)j->desc->max_parallelism;
    uint32_t w = (uint32_t)((uint64_t)(kh % maxpar) * (uint32_t)s->n / maxpar);
    wq *q = &s->q[w];
    size_t strs = 0;
    for (uint32_t i = 0; i < rs->nfields; i++)
        if (rs->fields[i].store == PRT_S_STR)
            strs += ((const prt_str *)((const char *)row + rs->fields[i].offset))->n;
    put_watermarks(q, j->desc->nsources);
    msg *m = put_msg(q, MSG_REC, (uint32_t)point, rs->size + strs);
    m->ts = ts;
    m->now = j->now;
    m->kh = kh;
    char *dst = (char *)(m + 1);
    memcpy(dst, row, rs->size);
    size_t at = rs->size;
    for (uint32_t i = 0; i < rs->nfields; i++) {
        if (rs->fields[i].store != PRT_S_STR)
            continue;
        prt_str *v = (prt_str *)(dst + rs->fields[i].offset);
        if (v->n)
            memcpy(dst + at, v->p, v->n);
        v->p = (const char *)(uintptr_t)at; /* made a pointer again by the worker */
        at += v->n;
    }
    if (q->cur->b.n >= BATCH_BYTES)
        hand_over(q);
}

static void broadcast(prt_job *j, uint32_t kind, uint32_t arg, int64_t v)
{
    struct prt_shuffle *s = j->input->shuffle;
    for (int w = 0; w < s->n; w++) {
        wq *q = &s->q[w];
        if (kind == MSG_WM) { /* waits for the worker's next record or message */
            q->wm[arg] = v;
            q->wm_due[arg] = 1;
            q->wm_any = 1;
            continue;
        }
        put_watermarks(q, j->desc->nsources);
        put_msg(q, kind, arg, 0)->ts = v;
    }
}

void prt_workers_flush(prt_job *j)
{
    struct prt_shuffle *s = j->input->shuffle;
    for (int w = 0; s && s->running && w < s->n; w++) {
        put_watermarks(&s->q[w], j->desc->nsources);
        hand_over(&s->q[w]);
    }
}

void prt_workers_drain(prt_job *j)
{
    struct prt_shuffle *s = j->input->shuffle;
    if (!s || !s->running)
        return;
    prt_workers_flush(j);
    for (int w = 0; w < s->n; w++) {
        wq *q = &s->q[w];
        pthread_mutex_lock(&q->mu);
        while (q->processed < q->handed)
            pthread_cond_wait(&q->done, &q->mu);
        pthread_mutex_unlock(&q->mu);
    }
}

void prt_workers_stop(prt_job *j)
{
    struct prt_shuffle *s = j->input ? j->input->shuffle : NULL;
    if (!s || !s->running)
        return;
    broadcast(j, MSG_STOP, 0, 0);
    prt_workers_flush(j);
    for (int w = 0; w < s->n; w++)
        pthread_join(s->q[w].th, NULL);
    s->running = 0;
    PRT_RUN(j)->shared = 0;
}

/* ---------------------------------------------------------------- the hooks, on every worker */

static int threaded(prt_job *j)
{
    return j->input && j->input->shuffle && j->input->shuffle->running;
}

int prt_workers_init(prt_job *j)
{
    for (int w = 0; w < j->nworkers; w++)
        if (j->desc->init && j->desc->init(&j->workers[w]) != PRT_OK)
            return PRT_ERR;
    return PRT_OK;
}

void prt_workers_destroy(prt_job *j)
{
    for (int w = 0; w < j->nworkers; w++)
        if (j->desc->destroy)
            j->desc->destroy(&j->workers[w]);
}

void prt_workers_watermark_any(prt_job *j, int source, int64_t wm)
{
    if (!j->desc->watermark)
        return;
    if (threaded(j)) {
        broadcast(j, MSG_WM, (uint32_t)source, wm);
        return;
    }
    for (int w = 0; w < j->nworkers; w++)
        j->desc->watermark(&j->workers[w], source, wm);
}

void prt_workers_tick(prt_job *j, int64_t now)
{
    if (!j->desc->tick)
        return;
    if (threaded(j)) {
        broadcast(j, MSG_TICK, 0, now);
        return;
    }
    for (int w = 0; w < j->nworkers; w++) {
        j->workers[w].now = now;
        j->desc->tick(&j->workers[w], now);
    }
}

void prt_workers_finish(prt_job *j)
{
    if (!j->desc->finish)
        return;
    if (threaded(j)) {
        broadcast(j, MSG_FINISH, 0, 0);
        prt_workers_drain(j);
        return;
    }
    for (int w = 0; w < j->nworkers; w++) {
        j->workers[w].now = j->now;
        j->desc->finish(&j->workers[w]);
    }
}
