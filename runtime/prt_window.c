/* prt_window.c — the keyed window operator: assignment, per-key windows, timers, firing, allowed
 * lateness, purging and session merging with Flink WindowOperator semantics (see prt_window.h).
 *
 * Storage. Keys and windows live in chunked pools of fixed-size slots (header + key bytes, or
 * header + accumulator bytes), so their addresses never move: prt_winop_accs() can hand out
 * accumulator pointers and vt->fire() key pointers. A slot is allocated only when a new key or
 * window appears, and goes back on a free list when purged. Keys are found through an open-
 * addressing table on the generated hash (prt_idtab.c), tumbling and sliding windows through a
 * second one on (key slot, start); sessions are found on a short per-key list.
 *
 * Time. Every window registers timers in a min-heap ordered by (time, registration seq)
 * (prt_timer.c): FIRE at its max timestamp end - 1, PURGE at end - 1 + lateness (one timer doing
 * both when lateness is 0 or under processing time). A window whose extent changes (a session
 * merge) or that is freed bumps its generation, which makes its old timers stale; stale timers
 * are dropped when popped. Nothing ever scans all windows, except the end-of-input flush of
 * global panes (once per run).
 *
 * Sliding windows whose size is a multiple of the slide and whose aggregates merge exactly are
 * kept as panes instead (prt_window_pane.c: w->pane); the entry points below hand them over.
 */
#include <stdlib.h>

#include "prt_codec.h"
#include "prt_core.h"
#include "prt_hash.h"
#include "prt_window_int.h"

_Static_assert((int)PRT_WIN_TIMER_FIRE == (int)PRT_TIMER_FIRE && (int)PRT_WIN_TIMER_PURGE == (int)PRT_TIMER_PURGE,
               "walked timers carry the heap's flags");

/* ---- keys ------------------------------------------------------------------------------- */

static inline uint32_t key_find(prt_winop *w, const void *key, uint64_t hash)
{
    const prt_idtab *t = &w->keytab;
    for (size_t i = prt_idtab_home(t, hash); t->slot[i].id; i = prt_idtab_next(t, i))
        if (t->slot[i].hash == hash && w->vt->key_eq(KEY(w, t->slot[i].id - 1), key))
            return t->slot[i].id - 1;
    return NONE;
}

static uint32_t key_add(prt_winop *w, const void *key, uint64_t hash);

static inline uint32_t key_get(prt_winop *w, const void *key, uint64_t hash)
{
    uint32_t id = key_find(w, key, hash);
    return id != NONE ? id : key_add(w, key, hash);
}

/* A key not in the table: a new slot with a copy of it. */
static uint32_t key_add(prt_winop *w, const void *key, uint64_t hash)
{
    uint32_t id = pool_get(&w->keys, offsetof(wkey, next_free));
    wkey *k = K(w, id);
    *k = (wkey){ .hash = hash, .head = NONE, .next_free = NONE, .live = 1, .hint = NONE };
    if (w->key_owns)
        prt_schema_copy(w->vt->key, KEY(w, id), key);
    else
        memcpy(KEY(w, id), key, w->vt->key->size);
    prt_idtab_insert(&w->keytab, hash, id);
    w->st.keys++;
    return id;
}

static void key_release(prt_winop *w, uint32_t id)
{
    wkey *k = K(w, id);
    prt_idtab_remove(&w->keytab, k->hash, id);
    if (w->key_owns)
        prt_schema_free(w->vt->key, KEY(w, id));
    k->live = 0;
    pool_put(&w->keys, id, offsetof(wkey, next_free));
    w->st.keys--;
}

/* ---- windows ---------------------------------------------------------------------------- */

/* The window table's hash of (key id, start): in memory only (never saved, never walked in slot
 * order), so it is a cheap two-multiply mix rather than the stable key hash. */
static uint64_t win_hash(uint32_t kid, int64_t start)
{
    uint64_t h = (uint64_t)start * 0x9e3779b97f4a7c15ULL + (uint64_t)kid * 0xc2b2ae3d27d4eb4fULL;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    return h ^ (h >> 32);
}

/* Tumbling and sliding: the window of key kid starting at start, or NONE. */
static uint32_t win_find(const prt_winop *w, uint32_t kid, int64_t start)
{
    uint64_t h = win_hash(kid, start);
    const prt_idtab *t = &w->wintab;
    for (size_t i = prt_idtab_home(t, h); t->slot[i].id; i = prt_idtab_next(t, i)) {
        if (t->slot[i].hash != h)
            continue;
        const wwin *x = W(w, t->slot[i].id - 1);
        if (x->key == kid && x->start == start)
            return t->slot[i].id - 1;
    }
    return NONE;
}

static uint32_t win_new(prt_winop *w, uint32_t kid, int64_t start, int64_t end)
{
    uint32_t id = pool_get(&w->wins, offsetof(wwin, next));
    wwin *x = W(w, id);
    uint32_t gen = x->gen; /* survives reuse, so stale timers of the slot's past stay stale */
    *x = (wwin){ .start = start, .end = end, .max_ts = INT64_MIN, .key = kid, .prev = NONE,
                 .next = NONE, .gen = gen, .live = 1 };
    memset(ACC(w, id), 0, w->vt->acc->size);
    wkey *k = K(w, kid);
    k->nwin++;
    if (w->spec.kind == PRT_WIN_TUMBLING || w->spec.kind == PRT_WIN_SLIDING) {
        x->hash = win_hash(kid, start);
        prt_idtab_insert(&w->wintab, x->hash, id);
    } else { /* push on the key's list */
        x->next = k->head;
        if (k->head != NONE)
            W(w, k->head)->prev = id;
        k->head = id;
    }
    w->st.windows++;
    return id;
}

/* Frees a window (acc included); frees its key when it was the key's last window. */
static void win_release(prt_winop *w, uint32_t id)
{
    wwin *x = W(w, id);
    wkey *k = K(w, x->key);
    uint32_t kid = x->key;
    if (w->acc_owns)
        prt_schema_free(w->vt->acc, ACC(w, id));
    if (w->spec.kind == PRT_WIN_TUMBLING || w->spec.kind == PRT_WIN_SLIDING) {
        prt_idtab_remove(&w->wintab, x->hash, id);
        if (k->hint == id)
            k->hint = NONE;
    } else {
        if (x->prev != NONE)
            W(w, x->prev)->next = x->next;
        else
            k->head = x->next;
        if (x->next != NONE)
            W(w, x->next)->prev = x->prev;
    }
    x->live = 0;
    x->gen++;
    pool_put(&w->wins, id, offsetof(wwin, next));
    w->st.windows--;
    if (--k->nwin == 0)
        key_release(w, kid);
}

/* Registers the timers of a new window, or of a window whose extent just changed: FIRE at the
 * max timestamp unless the watermark already passed it (then the record fires it at once),
 * PURGE at the cleanup time; one timer doing both when the two times coincide. */
static void win_timers(prt_winop *w, uint32_t id)
{
    wwin *x = W(w, id);
    int64_t max_ts = x->end - 1, clean = prt_wi_cleanup_time(w, x->end);
    if (max_ts < w->h.due) /* the earlier of the two */
        w->h.due = max_ts;
    if (w->spec.processing_time || clean == max_ts) {
        prt_timerq_push(&w->timers, max_ts, id, x->gen, PRT_TIMER_FIRE | PRT_TIMER_PURGE);
        return;
    }
    if (max_ts > w->h.clock)
        prt_timerq_push(&w->timers, max_ts, id, x->gen, PRT_TIMER_FIRE);
    prt_timerq_push(&w->timers, clean, id, x->gen, PRT_TIMER_PURGE);
}

static void fire(prt_winop *w, uint32_t id, int64_t ts)
{
    wwin *x = W(w, id);
    w->vt->fire(w->ctx, KEY(w, x->key), K(w, x->key)->hash, x->start, x->end, ACC(w, id), ts);
    w->st.fired++;
}

/* ---- operator --------------------------------------------------------------------------- */

static prt_winop *winop_new(const prt_win_spec *spec, const prt_win_vt *vt, void *ctx, int panes)
{
    if (!spec || !vt || !vt->key || !vt->acc || spec->lateness < 0)
        return NULL;
    int maxacc = 1;
    switch (spec->kind) {
    case PRT_WIN_TUMBLING:
        if (spec->size <= 0)
            return NULL;
        break;
    case PRT_WIN_SLIDING:
        if (spec->size <= 0 || spec->slide <= 0 || spec->slide > spec->size)
            return NULL;
        if (spec->size / spec->slide + 1 > 1 << 20) /* absurd fan-out */
            return NULL;
        maxacc = (int)(spec->size / spec->slide + 1);
        break;
    case PRT_WIN_SESSION:
        if (spec->gap <= 0)
            return NULL;
        break;
    case PRT_WIN_GLOBAL:
        if (spec->count <= 0)
            return NULL;
        break;
    case PRT_WIN_RUNNING:
        break;
    default:
        return NULL;
    }
    prt_winop *w = calloc(1, sizeof *w);
    prt_assert(w != NULL);
    w->spec = *spec;
    if (w->spec.processing_time)
        w->spec.lateness = 0;
    w->vt = vt;
    w->key_owns = prt_schema_owns(vt->key);
    w->acc_owns = prt_schema_owns(vt->acc);
    w->ctx = ctx;
    w->h.clock = INT64_MIN;
    w->h.due = INT64_MIN; /* not known until the first advance */
    pool_init(&w->keys, sizeof(wkey), vt->key->size);
    pool_init(&w->wins, sizeof(wwin), vt->acc->size);
    prt_idtab_init(&w->keytab);
    prt_idtab_init(&w->wintab);
    w->maxacc = maxacc;
    w->h.accs = calloc((size_t)maxacc, sizeof *w->h.accs);
    w->acc_win = calloc((size_t)maxacc, sizeof *w->acc_win);
    prt_assert(w->h.accs && w->acc_win);
    if (panes && prt_wpane_usable(&w->spec, vt))
        prt_wpane_new(w);
    return w;
}

prt_winop *prt_winop_new(const prt_win_spec *spec, const prt_win_vt *vt, void *ctx)
{
    return winop_new(spec, vt, ctx, 1);
}

prt_winop *prt_wi_new_classic(const prt_win_spec *spec, const prt_win_vt *vt, void *ctx)
{
    return winop_new(spec, vt, ctx, 0);
}

void prt_winop_free_tables(prt_winop *w)
{
    for (uint32_t id = 0; id < w->wins.used; id++)
        if (W(w, id)->live)
            prt_schema_free(w->vt->acc, ACC(w, id));
    for (uint32_t id = 0; id < w->keys.used; id++)
        if (K(w, id)->live)
            prt_schema_free(w->vt->key, KEY(w, id));
    pool_free(&w->keys);
    pool_free(&w->wins);
    prt_idtab_free(&w->keytab);
    prt_idtab_free(&w->wintab);
    prt_timerq_free(&w->timers);
}

void prt_winop_free(prt_winop *w)
{
    if (!w)
        return;
    prt_wcold_free(w);
    prt_wpane_free(w);
    prt_winop_free_tables(w);
    free(w->h.accs);
    free(w->acc_win);
    free(w->scratch);
    free(w);
}

static inline void take(prt_winop *w, uint32_t id)
{
    K(w, W(w, id)->key)->ref = 1; /* the eviction clock spares it once */
    w->acc_win[w->h.nacc] = id;
    w->h.accs[w->h.nacc++] = ACC(w, id);
}

/* Tumbling and sliding: windows in Flink's assignment order (latest start first). */
static int add_fixed(prt_winop *w, const void *key, uint64_t hash, int64_t ts)
{
    const prt_win_spec *s = &w->spec;
    int64_t step = s->kind == PRT_WIN_SLIDING ? s->slide : s->size;
    int64_t last = prt_wi_window_start(ts, s->offset, step);
    int64_t first = s->kind == PRT_WIN_SLIDING ? ts - s->size : last - 1; /* exclusive bound */
    uint32_t kid = NONE;
    for (int64_t start = last; start > first; start -= step) {
        int64_t end = start + s->size;
        if (prt_wi_window_late(w, end))
            continue;
        if (kid == NONE)
            kid = key_get(w, key, hash);
        wkey *k = K(w, kid);
        uint32_t id;
        if (k->hint != NONE && k->hint_start == start) /* a window of kid: (kid, start) is it */
            id = k->hint;
        else if ((id = win_find(w, kid, start)) == NONE) {
            id = win_new(w, kid, start, end);
            win_timers(w, id);
        }
        if (start == last)
            k->hint = id, k->hint_start = start, k->hint_acc = ACC(w, id);
        take(w, id);
    }
    return w->h.nacc;
}

/* Tumbling: add_fixed's single window, without its loop over starts, and what
 * prt_winop_added needs to know (whether the watermark passed the window: a late firing). */
static int add_tumbling(prt_winop *w, const void *key, uint64_t hash, int64_t ts)
{
    const prt_win_spec *s = &w->spec;
    int64_t start = prt_wi_window_start(ts, s->offset, s->size), end = start + s->size;
    if (prt_wi_window_late(w, end)) {
        w->h.added = 0;
        return 0;
    }
    uint32_t kid = key_get(w, key, hash);
    wkey *k = K(w, kid);
    if (k->hint == NONE || k->hint_start != start) { /* hint: a window of kid, so (kid, start) is it */
        uint32_t id = win_find(w, kid, start);
        if (id == NONE) {
            id = win_new(w, kid, start, end);
            win_timers(w, id);
        }
        k->hint = id, k->hint_start = start, k->hint_acc = ACC(w, id);
    }
    k->ref = 1; /* take(): the eviction clock spares it once */
    w->acc_win[0] = k->hint;
    w->h.accs[0] = k->hint_acc;
    w->h.nacc = 1;
    w->h.added = !s->processing_time && end - 1 <= w->h.clock;
    return 1;
}

static int intersects(const wwin *x, int64_t start, int64_t end)
{
    return x->start <= end && x->end >= start;
}

static int by_start(const void *a, const void *b, const prt_winop *w)
{
    int64_t x = W(w, *(const uint32_t *)a)->start, y = W(w, *(const uint32_t *)b)->start;
    return (x > y) - (x < y);
}

static int add_session(prt_winop *w, const void *key, uint64_t hash, int64_t ts)
{
    int64_t start = ts, end = prt_wi_sat_add(ts, w->spec.gap);
    uint32_t kid = key_find(w, key, hash);
    size_t n = 0;
    if (kid != NONE) {
        for (uint32_t id = K(w, kid)->head; id != NONE; id = W(w, id)->next) {
            if (!intersects(W(w, id), start, end))
                continue;
            if (n == w->scratch_cap) {
                w->scratch_cap = w->scratch_cap ? w->scratch_cap * 2 : 8;
                w->scratch = realloc(w->scratch, w->scratch_cap * sizeof *w->scratch);
                prt_assert(w->scratch != NULL);
            }
            w->scratch[n++] = id;
        }
    }
    if (n == 0) { /* a lone new session: dropped when already late */
        if (prt_wi_window_late(w, end))
            return 0;
        if (kid == NONE)
            kid = key_get(w, key, hash);
        uint32_t id = win_new(w, kid, start, end);
        win_timers(w, id);
        take(w, id);
        return 1;
    }
    /* Merge: the earliest window absorbs the others and becomes the cover. Insertion sort by
     * start (few candidates; the existing windows never intersect each other). */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && by_start(&w->scratch[j - 1], &w->scratch[j], w) > 0; j--) {
            uint32_t t = w->scratch[j];
            w->scratch[j] = w->scratch[j - 1];
            w->scratch[j - 1] = t;
        }
    uint32_t target = w->scratch[0];
    int64_t cs = start, ce = end;
    for (size_t i = 0; i < n; i++) {
        const wwin *x = W(w, w->scratch[i]);
        if (x->start < cs)
            cs = x->start;
        if (x->end > ce)
            ce = x->end;
    }
    for (size_t i = 1; i < n; i++) {
        w->vt->acc_merge(ACC(w, target), ACC(w, w->scratch[i]));
        win_release(w, w->scratch[i]); /* never the key's last window: target remains */
    }
    wwin *t = W(w, target);
    if (cs != t->start || ce != t->end) {
        prt_assert(!prt_wi_window_late(w, ce)); /* covers a live window, so it cannot be late */
        t->start = cs;
        t->end = ce;
        t->gen++; /* the old extent's timers are stale now */
        win_timers(w, target);
    }
    take(w, target);
    return 1;
}

/* Global and running: the key's single pane. */
static int add_pane(prt_winop *w, const void *key, uint64_t hash, int64_t ts)
{
    uint32_t kid = key_get(w, key, hash);
    uint32_t id = K(w, kid)->head;
    if (id == NONE) {
        int g = w->spec.kind == PRT_WIN_GLOBAL;
        id = win_new(w, kid, g ? INT64_MIN : 0, g ? INT64_MAX : 0);
    }
    wwin *x = W(w, id);
    if (x->count == 0)
        x->flush_seq = w->seq;
    if (ts > x->max_ts)
        x->max_ts = ts;
    take(w, id);
    return 1;
}

int prt_winop_add(prt_winop *w, const void *key, uint64_t hash, int64_t ts)
{
    if (w->pane && w->cold)
        prt_wpane_budget(w);
    if (w->cold && !w->pane) /* over budget: evict; a key held in the store: load it (one get, on a miss only) */
        prt_wcold_before_add(w, key, hash);
    w->seq++;
    w->cur_ts = ts;
    w->h.nacc = 0;
    if (w->pane)
        return prt_wpane_add(w, key, hash, ts); /* sets h.added */
    int n;
    switch (w->spec.kind) {
    case PRT_WIN_TUMBLING:
        return add_tumbling(w, key, hash, ts); /* sets h.added */
    case PRT_WIN_SLIDING:
        n = add_fixed(w, key, hash, ts);
        break;
    case PRT_WIN_SESSION:
        n = add_session(w, key, hash, ts);
        break;
    default:
        w->h.added = 1; /* a result a record (running) or a count to keep (global) */
        return add_pane(w, key, hash, ts);
    }
    /* A late firing (prt_winop_added_any) when the watermark already passed a window taken: the
     * last one taken ends first (latest start first; a session takes one). */
    w->h.added = n > 0 && !w->spec.processing_time && W(w, w->acc_win[n - 1])->end - 1 <= w->h.clock;
    return n;
}

int prt_winop_remove(prt_winop *w, const void *key, uint64_t hash)
{
    prt_assert(w->spec.kind == PRT_WIN_RUNNING);
    if (w->cold) /* a stored key comes back first (its store entry goes), then leaves for good */
        prt_wcold_before_add(w, key, hash);
    uint32_t kid = key_find(w, key, hash);
    if (kid == NONE)
        return 0;
    if (K(w, kid)->head == NONE) /* a key without its pane does not outlive add_pane */
        key_release(w, kid);
    else
        win_release(w, K(w, kid)->head); /* and the key with its last window */
    return 1;
}

uint64_t prt_winop_seq(prt_winop *w) { return w->seq; }

static void global_fire(prt_winop *w, uint32_t id)
{
    wwin *x = W(w, id);
    fire(w, id, x->max_ts);
    x->count = 0;
    if (w->spec.purge) {
        prt_schema_free(w->vt->acc, ACC(w, id)); /* and zeroes it: the empty accumulator */
        x->max_ts = INT64_MIN;
        w->st.purged++;
    }
}

void prt_winop_added_any(prt_winop *w)
{
    if (w->pane) {
        prt_wpane_added(w);
        return;
    }
    for (int i = 0; i < w->h.nacc; i++) {
        uint32_t id = w->acc_win[i];
        wwin *x = W(w, id);
        switch (w->spec.kind) {
        case PRT_WIN_RUNNING:
            fire(w, id, w->cur_ts);
            break;
        case PRT_WIN_GLOBAL:
            if ((int64_t)++x->count >= w->spec.count)
                global_fire(w, id);
            break;
        default: /* the watermark already passed this window: a late firing, now */
            if (!w->spec.processing_time && x->end - 1 <= w->h.clock) {
                fire(w, id, x->end - 1);
                w->st.late_fired++;
            }
        }
    }
    w->h.nacc = 0;
}

typedef struct flush_ent {
    uint64_t seq;
    uint32_t id;
} flush_ent;

static int cmp_flush(const void *a, const void *b)
{
    uint64_t x = ((const flush_ent *)a)->seq, y = ((const flush_ent *)b)->seq;
    return (x > y) - (x < y);
}

/* End of input: every global pane with records since its last firing fires, in the order in
 * which those pending records began (as if each had registered a timer at +infinity). */
static void global_flush(prt_winop *w)
{
    size_t n = 0;
    flush_ent *e = malloc((w->wins.used ? w->wins.used : 1) * sizeof *e);
    prt_assert(e != NULL);
    for (uint32_t id = 0; id < w->wins.used; id++)
        if (W(w, id)->live && W(w, id)->count > 0)
            e[n++] = (flush_ent){ W(w, id)->flush_seq, id };
    qsort(e, n, sizeof *e, cmp_flush);
    for (size_t i = 0; i < n; i++)
        global_fire(w, e[i].id);
    free(e);
}

void prt_winop_advance_any(prt_winop *w, int64_t t)
{
    if (t < w->h.clock)
        return;
    w->h.clock = t;
    w->h.due = INT64_MIN; /* panes and the cold store keep their own timers: always this way */
    if (w->pane) {
        prt_wpane_advance(w, t);
        return;
    }
    for (;;) {
        const prt_timer *top = prt_timerq_top(&w->timers);
        if (w->cold && prt_wcold_step(w, t, top))
            continue; /* a cold window's timer came first: its key is back, its timers in the heap */
        if (!top || top->time > t)
            break;
        prt_timer tm;
        prt_timerq_pop(&w->timers, &tm);
        wwin *x = W(w, tm.win);
        if (!x->live || x->gen != tm.gen)
            continue; /* stale: the window was merged away or purged */
        if (tm.what & PRT_TIMER_FIRE)
            fire(w, tm.win, x->end - 1);
        if (tm.what & PRT_TIMER_PURGE) {
            win_release(w, tm.win);
            w->st.purged++;
        }
    }
    if (t == INT64_MAX && w->spec.kind == PRT_WIN_GLOBAL) {
        if (w->cold)
            prt_wcold_global_flush(w);
        else
            global_flush(w);
    }
    if (!w->cold) { /* the heap's top (perhaps stale: an earlier bound is harmless); win_timers lowers it */
        const prt_timer *top = prt_timerq_top(&w->timers);
        w->h.due = top ? top->time : INT64_MAX;
    }
}


int64_t prt_winop_next_timer(const prt_winop *w)
{
    if (w->pane)
        return prt_wpane_next_timer(w);
    const prt_timer *top = prt_timerq_top(&w->timers);
    int64_t t = top ? top->time : INT64_MAX; /* may be a stale timer: advancing to it is harmless */
    if (w->cold) {
        int64_t c = prt_wcold_next_timer(w);
        t = c < t ? c : t;
    }
    return t;
}

void prt_winop_stats_get(const prt_winop *w, prt_winop_stats *out) { *out = w->st; }

/* ---- walking and rebuilding ------------------------------------------------------------- */

const prt_win_vt *prt_winop_vt(const prt_winop *w) { return w->vt; }

void prt_winop_meta_get(const prt_winop *w, prt_winop_meta *m)
{
    *m = (prt_winop_meta){ w->h.clock, w->seq, w->timers.next_seq };
}

void prt_winop_meta_set(prt_winop *w, const prt_winop_meta *m)
{
    w->h.clock = m->clock;
    w->h.due = INT64_MIN;
    w->seq = m->seq;
    w->timers.next_seq = m->timer_seq;
}

typedef struct walk_cmp_ctx {
    const prt_winop *w;
    prt_buf a, b; /* two keys' canonical bytes, for the rare equal hashes of different keys */
} walk_cmp_ctx;

/* Key group, then key hash, then (different keys with one hash) key bytes, then window start. */
static int cmp_walk(const void *a_, const void *b_, void *ctx_)
{
    const walk_ent *a = a_, *b = b_;
    walk_cmp_ctx *c = ctx_;
    if (a->kg != b->kg)
        return a->kg < b->kg ? -1 : 1;
    if (a->hash != b->hash)
        return a->hash < b->hash ? -1 : 1;
    uint32_t ka = W(c->w, a->win)->key, kb = W(c->w, b->win)->key;
    if (ka != kb) {
        c->a.n = c->b.n = 0;
        prt_schema_encode(c->w->vt->key, KEY(c->w, ka), &c->a);
        prt_schema_encode(c->w->vt->key, KEY(c->w, kb), &c->b);
        int r = prt_str_cmp(prt_buf_str(&c->a), prt_buf_str(&c->b));
        if (r)
            return r;
    }
    return (a->start > b->start) - (a->start < b->start);
}


uint64_t prt_winop_count(const prt_winop *w, uint32_t max_parallelism, uint32_t kg_lo, uint32_t kg_hi)
{
    if (w->pane)
        return prt_wpane_count(w, max_parallelism, kg_lo, kg_hi);
    uint64_t n = 0;
    for (uint32_t id = 0; id < w->wins.used; id++) {
        const wwin *x = W(w, id);
        if (x->live) {
            uint32_t kg = prt_key_group(K(w, x->key)->hash, max_parallelism);
            n += kg >= kg_lo && kg <= kg_hi;
        }
    }
    if (w->cold && !prt_wcold_memory_only(w))
        n += prt_wcold_count(w, max_parallelism, kg_lo, kg_hi);
    return n;
}

void prt_wi_state_of(const prt_winop *w, uint32_t id, const walk_timers *tm, prt_win_state *s)
{
    const wwin *x = W(w, id);
    *s = (prt_win_state){ .key = KEY(w, x->key), .acc = ACC(w, id), .hash = K(w, x->key)->hash,
                          .start = x->start, .end = x->end, .max_ts = x->max_ts, .count = x->count,
                          .flush_seq = x->flush_seq };
    if (tm) {
        const walk_timers *wt = &tm[id];
        s->ntimers = wt->n;
        s->timers[0] = wt->t[0];
        s->timers[1] = wt->t[1];
        if (wt->n == 2 && s->timers[1].seq < s->timers[0].seq) { /* registration order */
            s->timers[0] = wt->t[1];
            s->timers[1] = wt->t[0];
        }
    }
}

int prt_wi_cmp_keys(const prt_winop *w, const void *ka, const void *kb)
{
    prt_buf a = { 0 }, b = { 0 };
    prt_schema_encode(w->vt->key, ka, &a);
    prt_schema_encode(w->vt->key, kb, &b);
    int r = prt_str_cmp(prt_buf_str(&a), prt_buf_str(&b));
    prt_buf_free(&a);
    prt_buf_free(&b);
    return r;
}

int prt_winop_walk(const prt_winop *w, uint32_t max_parallelism, uint32_t kg_lo, uint32_t kg_hi,
                   int (*fn)(void *arg, const prt_win_state *s), void *arg)
{
    prt_assert(max_parallelism > 0);
    if (w->pane) { /* the windows the panes stand for, walked as the classic engine walks them */
        prt_winop *c = prt_wpane_windows(w);
        int rc = prt_winop_walk(c, max_parallelism, kg_lo, kg_hi, fn, arg);
        prt_winop_free(c);
        return rc;
    }
    size_t nwin = w->wins.used;
    walk_timers *tm = w->timers.n ? calloc(nwin ? nwin : 1, sizeof *tm) : NULL; /* panes have none */
    walk_ent *e = malloc((nwin ? nwin : 1) * sizeof *e);
    prt_assert(e && (tm || !w->timers.n));
    for (size_t i = 0; i < w->timers.n; i++) {
        const prt_timer *t = &w->timers.a[i];
        const wwin *x = W(w, t->win);
        if (!x->live || x->gen != t->gen)
            continue; /* stale */
        walk_timers *wt = &tm[t->win];
        prt_assert(wt->n < 2);
        wt->t[wt->n++] = (prt_win_timer){ t->time, t->seq, t->what };
    }
    size_t n = 0;
    for (uint32_t id = 0; id < nwin; id++) {
        const wwin *x = W(w, id);
        if (!x->live)
            continue;
        uint64_t hash = K(w, x->key)->hash;
        uint32_t kg = prt_key_group(hash, max_parallelism);
        if (kg < kg_lo || kg > kg_hi)
            continue;
        e[n++] = (walk_ent){ kg, id, hash, x->start };
    }
    walk_cmp_ctx cc = { w, { 0 }, { 0 } };
    qsort_r(e, n, sizeof *e, cmp_walk, &cc);
    prt_buf_free(&cc.a);
    prt_buf_free(&cc.b);
    int rc = 0;
    if (w->cold && !prt_wcold_memory_only(w)) { /* windows held by the store merge into the same order */
        rc = prt_wcold_walk(w, max_parallelism, kg_lo, kg_hi, e, n, tm, fn, arg);
    } else {
        for (size_t i = 0; i < n && !rc; i++) {
            prt_win_state s;
            prt_wi_state_of(w, e[i].win, tm, &s);
            rc = fn(arg, &s);
        }
    }
    free(e);
    free(tm);
    return rc;
}

int prt_winop_restore(prt_winop *w, prt_win_state *s, prt_err *e)
{
    if (w->pane && w->cold)
        prt_wpane_budget(w);
    if (w->pane) {
        int rc = prt_wpane_restore(w, s, e);
        if (rc != 1)
            return rc;
        prt_wpane_to_classic(w); /* a window the panes cannot hold: windows from now on */
    }
    /* a restore larger than the budget goes on to the store, whole keys at a time: a key is
     * loaded back before another of its windows joins it */
    if (w->cold)
        prt_wcold_before_add(w, s->key, s->hash);
    return prt_wi_restore(w, s, e);
}

uint32_t prt_wi_key_find(prt_winop *w, const void *key, uint64_t hash) { return key_find(w, key, hash); }
uint32_t prt_wi_key_get(prt_winop *w, const void *key, uint64_t hash) { return key_get(w, key, hash); }
void prt_wi_key_release(prt_winop *w, uint32_t id) { key_release(w, id); }
uint32_t prt_wi_win_find(const prt_winop *w, uint32_t kid, int64_t start) { return win_find(w, kid, start); }
uint32_t prt_wi_win_new(prt_winop *w, uint32_t kid, int64_t start, int64_t end) { return win_new(w, kid, start, end); }
void prt_wi_win_release(prt_winop *w, uint32_t id) { win_release(w, id); }
void prt_wi_global_fire(prt_winop *w, uint32_t id) { global_fire(w, id); }

int prt_wi_restore(prt_winop *w, prt_win_state *s, prt_err *e)
{
    if (w->pane) /* the cold store loading a key back: it keeps windows, so does the operator */
        prt_wpane_to_classic(w);
    int fixed = w->spec.kind == PRT_WIN_TUMBLING || w->spec.kind == PRT_WIN_SLIDING;
    int pane = w->spec.kind == PRT_WIN_GLOBAL || w->spec.kind == PRT_WIN_RUNNING;
    if (s->ntimers < 0 || s->ntimers > 2 || (pane && s->ntimers))
        return prt_errf(e, "window [%lld, %lld): %d timers do not fit this operator",
                        (long long)s->start, (long long)s->end, s->ntimers);
    if (!pane && s->start >= s->end)
        return prt_errf(e, "window [%lld, %lld) is empty", (long long)s->start, (long long)s->end);
    if (fixed) {
        int64_t step = w->spec.kind == PRT_WIN_SLIDING ? w->spec.slide : w->spec.size;
        if (s->end - s->start != w->spec.size || prt_wi_window_start(s->start, w->spec.offset, step) != s->start)
            return prt_errf(e, "window [%lld, %lld) is not a window of this operator",
                            (long long)s->start, (long long)s->end);
    }
    uint32_t kid = key_get(w, s->key, s->hash);
    int clash = 0;
    if (fixed)
        clash = win_find(w, kid, s->start) != NONE;
    else if (pane)
        clash = K(w, kid)->head != NONE;
    else /* sessions never overlap or touch one another */
        for (uint32_t id = K(w, kid)->head; id != NONE && !clash; id = W(w, id)->next)
            clash = intersects(W(w, id), s->start, s->end);
    if (clash) {
        if (K(w, kid)->nwin == 0)
            key_release(w, kid);
        return prt_errf(e, "window [%lld, %lld) of a key appears twice or overlaps another",
                        (long long)s->start, (long long)s->end);
    }
    uint32_t id = win_new(w, kid, s->start, s->end);
    wwin *x = W(w, id);
    x->max_ts = s->max_ts;
    x->count = s->count;
    x->flush_seq = s->flush_seq;
    memcpy(ACC(w, id), s->acc, w->vt->acc->size); /* the engine owns its contents now */
    memset(s->acc, 0, w->vt->acc->size);
    if (pane)
        return PRT_OK;
    /* Timers: the saved registration numbers keep equal-time firings in their order; the times
     * come from this operator's spec, so a changed allowed lateness applies to restored windows
     * too (with the same lateness this gives back exactly the saved timers). */
    int fire, purge;
    uint64_t fire_seq, purge_seq;
    prt_win_state_timers(s, &fire, &fire_seq, &purge, &purge_seq);
    if (!fire && !purge)
        return prt_errf(e, "window [%lld, %lld) has no timer: it could never be purged",
                        (long long)s->start, (long long)s->end);
    int64_t max_ts = x->end - 1, clean = prt_wi_cleanup_time(w, x->end);
    w->h.due = INT64_MIN; /* the saved timers may come before the others */
    if (fire && (w->spec.processing_time || clean == max_ts)) {
        prt_timerq_push_seq(&w->timers, max_ts, fire_seq, id, x->gen, PRT_TIMER_FIRE | PRT_TIMER_PURGE);
        return PRT_OK;
    }
    if (fire)
        prt_timerq_push_seq(&w->timers, max_ts, fire_seq, id, x->gen, PRT_TIMER_FIRE);
    prt_timerq_push_seq(&w->timers, clean, purge ? purge_seq : fire_seq, id, x->gen, PRT_TIMER_PURGE);
    return PRT_OK;
}
