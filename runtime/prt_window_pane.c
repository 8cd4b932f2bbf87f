/* prt_window_pane.c — sliding windows kept as panes: when the size is a multiple of the slide,
 * one accumulator per key and slide-long pane [p, p + slide) instead of one per key and window;
 * a window's result is the merge (vt->acc_merge) of its size / slide panes, made when it fires.
 * A record then updates one accumulator instead of size / slide.
 *
 * Exactness. The results, their order, and every snapshot are those of the one-slot-per-window
 * engine (prt_window.c), byte for byte:
 * - Contents: a live window has received every record of its panes (a record is added to every
 *   window of its pane that is not late, and a window is purged as soon as it is late), so the
 *   merge of its panes is its accumulator. The compiler gives acc_merge for a sliding window only
 *   when every aggregate merges exactly (count, int sum, min/max of non-floats, first/last by
 *   arrival number, count_distinct); float sums and averages keep one slot per window.
 * - Order: the classic engine fires equal-time windows in the order their timers were
 *   registered, i.e. the order in which the windows appeared. Windows with one end fire at one
 *   time, so a bucket per window end keeps its windows (key, registration number) in the order
 *   they appear; buckets fire in end order. The registration numbers are taken from the same
 *   counter (w->timers.next_seq), one or two per window exactly as win_timers() would.
 * - A window of key k and start s appears with the first record of k in [s, s + size) that is not
 *   late for it: with a new pane, the windows it belongs to that are not late and hold no other
 *   pane of k (its neighbours in the key's pane list tell).
 * - Purge: the pane starting at p is in windows ending in (p, p + size]; it goes when the last,
 *   ending at p + size, is purged. Panes go in start order, so it is the key's oldest pane.
 * - Snapshots, savepoints, rescaling: walks see the windows rebuilt from the panes
 *   (prt_wpane_windows), so the canonical format holds windows as before. A restore puts windows
 *   back; an accumulator cannot be split into panes, so a restored window keeps its own as a
 *   *base* slot (found by key and start in the window table, as the classic engine finds its
 *   windows) that its panes' records since are merged onto. A restored window whose timers panes
 *   would not register (lateness changed), or panes passing the memory budget of state.backend
 *   rocksdb (the store evicts whole keys of windows), turn the operator into a classic one for
 *   good. Within the budget the store is never called.
 *
 * Storage: panes are the window pool's slots (wwin header: start, end = start + slide, key; the
 * key's list runs newest to oldest through next, K->head newest, K->tail oldest). Buckets are a
 * small array sorted by end, each a vector of entries in registration order.
 */
#include <stdlib.h>
#include <string.h>

#include "prt_core.h"
#include "prt_hash.h"
#include "prt_window_int.h"

typedef struct pentry {
    uint64_t seq;  /* registration number of the window's first timer */
    uint32_t kid;  /* key slot */
    uint32_t fire; /* registered a FIRE timer (not created after its max timestamp had passed) */
} pentry;

typedef struct pbucket {
    int64_t end;
    pentry *e;
    uint32_t n, cap;
    int fired;
    int unsorted; /* restored entries came in walk order: sorted by seq before firing */
} pbucket;

struct prt_wpane {
    pbucket *b; /* ascending end */
    size_t nb, capb;
    pentry **spare; /* entry vectors of purged buckets, reused */
    uint32_t *spare_cap;
    size_t nspare, capspare;
    int64_t nwin;     /* windows per pane: size / slide */
    uint64_t npanes;  /* live */
    uint64_t nbase;   /* live restored windows (base accumulators: see prt_wpane_restore) */
    uint32_t cur_kid; /* the record being added */
    int64_t *late;    /* starts of its windows to fire late, in firing order */
    int nlate;
    void *tmp;        /* a window's merged accumulator */
};

int prt_wpane_usable(const prt_win_spec *spec, const prt_win_vt *vt)
{
    /* Processing time: a window purged at its end is made again, empty, by a record that comes
     * at the same wall-clock millisecond; panes cannot tell its records from the old window's. */
    if (spec->kind != PRT_WIN_SLIDING || !vt->acc_merge || spec->size % spec->slide != 0 ||
        spec->processing_time)
        return 0;
    const char *e = getenv("PRT_WIN_PANES"); /* 0: one slot per window (tests compare the two) */
    return !(e && strcmp(e, "0") == 0);
}

void prt_wpane_new(prt_winop *w)
{
    struct prt_wpane *p = calloc(1, sizeof *p);
    prt_assert(p != NULL);
    p->nwin = w->spec.size / w->spec.slide;
    p->late = calloc((size_t)p->nwin, sizeof *p->late);
    p->tmp = calloc(1, w->vt->acc->size ? w->vt->acc->size : 1);
    prt_assert(p->late && p->tmp);
    w->pane = p;
}

void prt_wpane_free(prt_winop *w)
{
    struct prt_wpane *p = w->pane;
    if (!p)
        return;
    for (size_t i = 0; i < p->nb; i++)
        free(p->b[i].e);
    for (size_t i = 0; i < p->nspare; i++)
        free(p->spare[i]);
    free(p->b);
    free(p->spare);
    free(p->spare_cap);
    free(p->late);
    free(p->tmp);
    free(p);
    w->pane = NULL;
}

/* ---- panes ------------------------------------------------------------------------------ */

/* The pane of key kid starting at ps; a new one is linked between *older and *newer (NONE at the
 * ends of the list), which are left as its neighbours. */
static uint32_t pane_get(prt_winop *w, uint32_t kid, int64_t ps, int *created, uint32_t *older, uint32_t *newer)
{
    wkey *k = K(w, kid);
    uint32_t nw = NONE, id = k->head;
    while (id != NONE && W(w, id)->start > ps) { /* newest first: the current pane is the head */
        nw = id;
        id = W(w, id)->next;
    }
    if (id != NONE && W(w, id)->start == ps) {
        *created = 0;
        return id;
    }
    uint32_t nid = pool_get(&w->wins, offsetof(wwin, next));
    wwin *x = W(w, nid);
    uint32_t gen = x->gen;
    *x = (wwin){ .start = ps, .end = ps + w->spec.slide, .max_ts = INT64_MIN, .key = kid, .prev = nw,
                 .next = id, .gen = gen, .live = 1 };
    memset(ACC(w, nid), 0, w->vt->acc->size);
    k = K(w, kid);
    if (nw == NONE)
        k->head = nid;
    else
        W(w, nw)->next = nid;
    if (id == NONE)
        k->tail = nid;
    else
        W(w, id)->prev = nid;
    k->nwin++;
    w->pane->npanes++;
    *created = 1;
    *older = id;
    *newer = nw;
    return nid;
}

static void pane_release(prt_winop *w, uint32_t id)
{
    wwin *x = W(w, id);
    uint32_t kid = x->key;
    wkey *k = K(w, kid);
    if (w->acc_owns)
        prt_schema_free(w->vt->acc, ACC(w, id));
    if (x->prev != NONE)
        W(w, x->prev)->next = x->next;
    else
        k->head = x->next;
    if (x->next != NONE)
        W(w, x->next)->prev = x->prev;
    else
        k->tail = x->prev;
    x->live = 0;
    x->gen++;
    pool_put(&w->wins, id, offsetof(wwin, next));
    w->pane->npanes--;
    if (--k->nwin == 0)
        prt_wi_key_release(w, kid);
}

/* Merges key kid's panes in [start, end) into p->tmp (emptied first). */
static void *merged(const prt_winop *w, uint32_t kid, int64_t start, int64_t end)
{
    struct prt_wpane *p = w->pane;
    if (p->nbase) { /* a restored window: what it held then, plus its panes since */
        uint32_t b = prt_wi_win_find(w, kid, start);
        if (b != NONE)
            w->vt->acc_merge(p->tmp, ACC(w, b));
    }
    for (uint32_t id = K(w, kid)->head; id != NONE; id = W(w, id)->next) {
        const wwin *x = W(w, id);
        if (x->start >= end)
            continue;
        if (x->start < start)
            break;
        w->vt->acc_merge(p->tmp, ACC(w, id));
    }
    return p->tmp;
}

static void tmp_clear(const prt_winop *w)
{
    if (w->acc_owns)
        prt_schema_free(w->vt->acc, w->pane->tmp); /* and zeroes it */
    else
        memset(w->pane->tmp, 0, w->vt->acc->size);
}

static void fire_window(prt_winop *w, uint32_t kid, int64_t start, int64_t end)
{
    const void *acc = merged(w, kid, start, end);
    w->vt->fire(w->ctx, KEY(w, kid), K(w, kid)->hash, start, end, acc, end - 1);
    tmp_clear(w);
    w->st.fired++;
}

/* ---- buckets ---------------------------------------------------------------------------- */

static pbucket *bucket_get(struct prt_wpane *p, int64_t end)
{
    size_t lo = 0, hi = p->nb;
    if (p->nb && p->b[p->nb - 1].end < end) { /* the common case: a new latest end */
        lo = p->nb;
    } else {
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (p->b[mid].end < end)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < p->nb && p->b[lo].end == end)
            return &p->b[lo];
    }
    if (p->nb == p->capb) {
        p->capb = p->capb ? p->capb * 2 : 16;
        p->b = realloc(p->b, p->capb * sizeof *p->b);
        prt_assert(p->b != NULL);
    }
    memmove(&p->b[lo + 1], &p->b[lo], (p->nb - lo) * sizeof *p->b);
    p->nb++;
    pbucket *b = &p->b[lo];
    *b = (pbucket){ .end = end };
    if (p->nspare) { /* a purged bucket's vector */
        p->nspare--;
        b->e = p->spare[p->nspare];
        b->cap = p->spare_cap[p->nspare];
    }
    return b;
}

static void entry_append(pbucket *b, pentry e)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->e = realloc(b->e, b->cap * sizeof *b->e);
        prt_assert(b->e != NULL);
    }
    if (b->n && b->e[b->n - 1].seq > e.seq)
        b->unsorted = 1;
    b->e[b->n++] = e;
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = ((const pentry *)a)->seq, y = ((const pentry *)b)->seq;
    return (x > y) - (x < y);
}

/* A new window of key kid ending at end: its registration numbers, as win_timers() takes them. */
static void window_new(prt_winop *w, uint32_t kid, int64_t end)
{
    pbucket *b = bucket_get(w->pane, end);
    int64_t max_ts = end - 1, clean = prt_wi_cleanup_time(w, end);
    uint64_t seq = w->timers.next_seq;
    uint32_t fire = 1;
    if (w->spec.processing_time || clean == max_ts)
        w->timers.next_seq += 1; /* one timer: FIRE | PURGE */
    else if (max_ts > w->h.clock)
        w->timers.next_seq += 2; /* FIRE, then PURGE */
    else
        w->timers.next_seq += 1, fire = 0; /* already due: fired by the record, PURGE only */
    entry_append(b, (pentry){ seq, kid, fire });
    w->st.windows++;
}

/* ---- the operator ----------------------------------------------------------------------- */

int prt_wpane_add(prt_winop *w, const void *key, uint64_t hash, int64_t ts)
{
    struct prt_wpane *p = w->pane;
    const prt_win_spec *s = &w->spec;
    int64_t ps = prt_wi_window_start(ts, s->offset, s->slide);
    /* The pane's windows, latest start first, as add_fixed assigns them; late ones are a suffix.
     * Usually the watermark has not reached the pane's end: none is late or due. */
    int calm = s->processing_time || ps + s->slide - 1 > w->h.clock;
    int64_t m = calm ? p->nwin : 0;
    while (m < p->nwin && !prt_wi_window_late(w, ps - m * s->slide + s->size))
        m++;
    p->nlate = 0;
    w->h.added = 0;
    if (m == 0)
        return 0;
    uint32_t kid = prt_wi_key_get(w, key, hash);
    int created;
    uint32_t older = NONE, newer = NONE;
    uint32_t id = pane_get(w, kid, ps, &created, &older, &newer);
    for (int64_t j = 0; j < m && (created || !calm); j++) {
        int64_t start = ps - j * s->slide, end = start + s->size;
        if (created) { /* a window appears unless another pane of the key lies in it */
            int held = (older != NONE && W(w, older)->start >= start) ||
                       (newer != NONE && W(w, newer)->start < end) ||
                       (p->nbase && prt_wi_win_find(w, kid, start) != NONE); /* a restored window */
            if (!held)
                window_new(w, kid, end);
        }
        if (!calm && end - 1 <= w->h.clock)
            p->late[p->nlate++] = start; /* the watermark passed it: fires again after the update */
    }
    p->cur_kid = kid;
    w->h.accs[0] = ACC(w, id);
    w->h.nacc = 1;
    w->h.added = p->nlate != 0; /* late firings for prt_wpane_added */
    return 1;
}

void prt_wpane_added(prt_winop *w)
{
    struct prt_wpane *p = w->pane;
    for (int i = 0; i < p->nlate; i++) {
        fire_window(w, p->cur_kid, p->late[i], p->late[i] + w->spec.size);
        w->st.late_fired++;
    }
    p->nlate = 0;
    w->h.nacc = 0;
}

static void bucket_purge(prt_winop *w, pbucket *b)
{
    struct prt_wpane *p = w->pane;
    int64_t first = b->end - w->spec.size; /* the start of the panes that go */
    for (uint32_t i = 0; i < b->n; i++) {
        uint32_t kid = b->e[i].kid, t = K(w, kid)->tail;
        /* older panes went with older buckets; a restored window may have none */
        prt_assert(t == NONE || W(w, t)->start >= first);
        uint32_t base = p->nbase ? prt_wi_win_find(w, kid, first) : NONE;
        prt_assert(t != NONE || base != NONE);
        if (base != NONE) { /* first: the key outlives it while the pane remains */
            prt_wi_win_release(w, base);
            w->st.windows++; /* counted with the bucket's entries below */
            p->nbase--;
        }
        if (t != NONE && W(w, t)->start == first)
            pane_release(w, t);
    }
    w->st.purged += b->n;
    w->st.windows -= b->n;
    if (p->nspare == p->capspare) {
        p->capspare = p->capspare ? p->capspare * 2 : 16;
        p->spare = realloc(p->spare, p->capspare * sizeof *p->spare);
        p->spare_cap = realloc(p->spare_cap, p->capspare * sizeof *p->spare_cap);
        prt_assert(p->spare && p->spare_cap);
    }
    p->spare[p->nspare] = b->e;
    p->spare_cap[p->nspare++] = b->cap;
    b->e = NULL;
}

void prt_wpane_advance(prt_winop *w, int64_t t)
{
    struct prt_wpane *p = w->pane;
    size_t purged = 0;
    for (size_t i = 0; i < p->nb; i++) {
        pbucket *b = &p->b[i];
        if (b->end - 1 > t) /* nor is any later bucket due */
            break;
        if (!b->fired) {
            b->fired = 1;
            if (b->unsorted) {
                qsort(b->e, b->n, sizeof *b->e, by_seq);
                b->unsorted = 0;
            }
            for (uint32_t j = 0; j < b->n; j++)
                if (b->e[j].fire)
                    fire_window(w, b->e[j].kid, b->end - w->spec.size, b->end);
        }
        if (prt_wi_cleanup_time(w, b->end) <= t) { /* purge times grow with the end: a prefix goes */
            prt_assert(i == purged);
            bucket_purge(w, b);
            purged++;
        }
    }
    if (purged) {
        memmove(p->b, p->b + purged, (p->nb - purged) * sizeof *p->b);
        p->nb -= purged;
    }
}

int64_t prt_wpane_next_timer(const prt_winop *w)
{
    const struct prt_wpane *p = w->pane;
    if (!p->nb)
        return INT64_MAX;
    int64_t t = prt_wi_cleanup_time(w, p->b[0].end);
    for (size_t i = 0; i < p->nb; i++)
        if (!p->b[i].fired) {
            if (p->b[i].end - 1 < t)
                t = p->b[i].end - 1;
            break;
        }
    return t;
}

uint64_t prt_wpane_count(const prt_winop *w, uint32_t maxpar, uint32_t kg_lo, uint32_t kg_hi)
{
    const struct prt_wpane *p = w->pane;
    uint64_t n = 0;
    for (size_t i = 0; i < p->nb; i++)
        for (uint32_t j = 0; j < p->b[i].n; j++) {
            uint32_t kg = prt_key_group(K(w, p->b[i].e[j].kid)->hash, maxpar);
            n += kg >= kg_lo && kg <= kg_hi;
        }
    return n;
}

prt_winop *prt_wpane_windows(const prt_winop *w)
{
    const struct prt_wpane *p = w->pane;
    prt_winop *c = prt_wi_new_classic(&w->spec, w->vt, w->ctx);
    prt_assert(c != NULL);
    c->h.clock = w->h.clock;
    c->seq = w->seq;
    for (size_t i = 0; i < p->nb; i++) {
        const pbucket *b = &p->b[i];
        int64_t start = b->end - w->spec.size, max_ts = b->end - 1, clean = prt_wi_cleanup_time(w, b->end);
        int one = w->spec.processing_time || clean == max_ts;
        for (uint32_t j = 0; j < b->n; j++) {
            const pentry *e = &b->e[j];
            prt_win_state s = { .key = KEY(w, e->kid), .hash = K(w, e->kid)->hash, .start = start, .end = b->end,
                                .max_ts = INT64_MIN };
            s.acc = merged(w, e->kid, start, b->end);
            if (one)
                s.timers[s.ntimers++] = (prt_win_timer){ max_ts, e->seq, PRT_WIN_TIMER_FIRE | PRT_WIN_TIMER_PURGE };
            else if (!e->fire)
                s.timers[s.ntimers++] = (prt_win_timer){ clean, e->seq, PRT_WIN_TIMER_PURGE };
            else {
                if (!b->fired)
                    s.timers[s.ntimers++] = (prt_win_timer){ max_ts, e->seq, PRT_WIN_TIMER_FIRE };
                s.timers[s.ntimers++] = (prt_win_timer){ clean, e->seq + 1, PRT_WIN_TIMER_PURGE };
            }
            prt_err err;
            int rc = prt_wi_restore(c, &s, &err); /* moves tmp's contents: tmp is empty again */
            prt_assert(rc == PRT_OK);
        }
    }
    c->timers.next_seq = w->timers.next_seq;
    c->st.fired = w->st.fired;
    c->st.late_fired = w->st.late_fired;
    c->st.purged = w->st.purged;
    return c;
}

int prt_wpane_restore(prt_winop *w, prt_win_state *s, prt_err *e)
{
    const prt_win_spec *sp = &w->spec;
    if (s->ntimers < 1 || s->ntimers > 2 || s->end - s->start != sp->size ||
        prt_wi_window_start(s->start, sp->offset, sp->slide) != s->start)
        return 1; /* not a window of this operator: the classic restore says why */
    int fire, purge;
    uint64_t fire_seq, purge_seq;
    prt_win_state_timers(s, &fire, &fire_seq, &purge, &purge_seq);
    /* The entry that gives back exactly the timers prt_wi_restore would register (see
     * prt_wpane_windows); anything else (a lateness changed since the snapshot) does not fit. */
    int64_t max_ts = s->end - 1;
    pentry en;
    if (prt_wi_cleanup_time(w, s->end) == max_ts) {
        if (!fire)
            return 1;
        en = (pentry){ fire_seq, 0, 1 };
    } else if (fire) {
        if (!purge || purge_seq != fire_seq + 1 || (s->timers[0].what & PRT_WIN_TIMER_PURGE))
            return 1;
        en = (pentry){ fire_seq, 0, 1 };
    } else {
        if (!purge)
            return 1;
        en = (pentry){ purge_seq, 0, 0 };
    }
    uint32_t kid = prt_wi_key_find(w, s->key, s->hash);
    if (kid != NONE && (K(w, kid)->head != NONE || prt_wi_win_find(w, kid, s->start) != NONE))
        return 1; /* the key has panes already, or this window twice */
    if (kid == NONE)
        kid = prt_wi_key_get(w, s->key, s->hash);
    uint32_t id = prt_wi_win_new(w, kid, s->start, s->end); /* counts the window */
    memcpy(ACC(w, id), s->acc, w->vt->acc->size); /* the engine owns its contents now */
    memset(s->acc, 0, w->vt->acc->size);
    w->pane->nbase++;
    en.kid = kid;
    entry_append(bucket_get(w->pane, s->end), en);
    (void)e;
    return PRT_OK;
}

void prt_wpane_budget(prt_winop *w)
{
    /* the cold store's estimate (prt_window_cold.c mem_bytes) with panes: key slots and their
     * table share, pane slots, one entry per window */
    size_t mem = (size_t)w->st.keys * (w->keys.stride + 2 * sizeof(prt_idtab_slot)) +
                 (size_t)(w->pane->npanes + w->pane->nbase) * w->wins.stride +
                 (size_t)w->st.windows * sizeof(pentry);
    if (mem > prt_wcold_budget(w))
        prt_wpane_to_classic(w);
}

void prt_wpane_to_classic(prt_winop *w)
{
    prt_winop *c = prt_wpane_windows(w);
    prt_wpane_free(w);
    /* w's keys and panes go; c's keys and windows take their place */
    prt_winop_free_tables(w);
    w->keys = c->keys;
    w->wins = c->wins;
    w->keytab = c->keytab;
    w->wintab = c->wintab;
    w->timers = c->timers;
    w->st = c->st;
    w->h.due = INT64_MIN; /* c's timers: the next advance finds the earliest */
    free(c->h.accs);
    free(c->acc_win);
    free(c->scratch);
    free(c);
}
