/* prt_window_int.h — private to the window engine (prt_window.c, prt_window_cold.c): the
 * operator's storage (slot pools, keys, windows, timers) and the few engine routines the cold
 * store (state larger than memory, prt_window_cold.c) needs. Nothing outside the engine includes it.
 */
#ifndef PRT_WINDOW_INT_H
#define PRT_WINDOW_INT_H

#include <stdlib.h>

#include "prt_core.h"
#include "prt_idtab.h"
#include "prt_timer.h"
#include "prt_window.h"

#define NONE UINT32_MAX
#define CHUNK 256 /* slots per pool chunk */

typedef struct wkey {
    uint64_t hash;
    uint32_t nwin;  /* live windows of this key; the key is freed when it drops to 0 */
    uint32_t head;  /* first window of the key's list (sessions, global, running; panes: the newest) */
    union {
        uint32_t next_free; /* a free slot: the free list */
        uint32_t tail;      /* a live key with panes: its oldest pane (prt_window_pane.c) */
    };
    uint32_t live;
    uint32_t ref;   /* touched since the eviction clock last passed (state larger than memory) */
    uint32_t hint;  /* tumbling and sliding: the window add_fixed took last for the record's latest
                     * start (a key's next records mostly fall in it again: no table probe),
                     * NONE when none or released */
    int64_t hint_start; /* while hint is not NONE: its start and accumulator (no pool lookup) */
    void *hint_acc;
} wkey;

typedef struct wwin {
    int64_t start, end;
    int64_t max_ts;     /* global: largest event time in the pane */
    uint64_t hash;      /* window-table hash (tumbling, sliding) */
    uint64_t count;     /* global: records since the last firing */
    uint64_t flush_seq; /* global: arrival number of the first record since the last firing */
    uint32_t key;       /* key slot */
    uint32_t prev, next; /* the key's window list, or the free list (next) */
    uint32_t gen;       /* bumped when freed or when the extent changes: old timers go stale */
    uint32_t live;
} wwin;

/* A pool of fixed-size slots in chunks that never move. */
typedef struct pool {
    char **chunk;
    size_t nchunk;
    size_t stride;  /* header + payload, 16-byte aligned */
    size_t hdr;     /* offset of the payload */
    uint32_t used;  /* slots ever handed out */
    uint32_t free;  /* free list head */
} pool;

struct prt_winop {
    prt_winop_hot h; /* first: the inline functions of prt_window.h read it through the pointer */
    prt_win_spec spec;
    const prt_win_vt *vt;
    int key_owns, acc_owns; /* prt_schema_owns: else keys copy by memcpy, accs free by memset */
    void *ctx;
    uint64_t seq;

    pool keys, wins;
    prt_idtab keytab, wintab;
    prt_timerq timers;

    /* the record being added */
    int64_t cur_ts;
    uint32_t *acc_win; /* the window of each of h.accs */
    int maxacc;
    uint32_t *scratch; /* session merge candidates; grows rarely */
    size_t scratch_cap;

    prt_winop_stats st;
    struct prt_wpane *pane; /* sliding windows kept as panes (prt_window_pane.c); NULL: one slot per window */
    struct prt_wcold *cold; /* state larger than memory: the RocksDB side; NULL: all in memory */
};

/* ---- pools ------------------------------------------------------------------------------ */

static inline size_t align16(size_t n) { return (n + 15) & ~(size_t)15; }

static inline void pool_init(pool *p, size_t hdr, size_t payload)
{
    memset(p, 0, sizeof *p);
    p->hdr = align16(hdr);
    p->stride = p->hdr + align16(payload ? payload : 1);
    p->free = NONE;
}

static inline void *pool_at(const pool *p, uint32_t id)
{
    return p->chunk[id / CHUNK] + (size_t)(id % CHUNK) * p->stride;
}

static inline void *pool_payload(const pool *p, uint32_t id) { return (char *)pool_at(p, id) + p->hdr; }

/* next_off: where the slot header keeps its free-list link. */
static inline uint32_t pool_get(pool *p, size_t next_off)
{
    uint32_t id = p->free;
    if (id != NONE) {
        memcpy(&p->free, (char *)pool_at(p, id) + next_off, sizeof p->free);
        return id;
    }
    prt_assert(p->used < NONE - 1);
    id = p->used++;
    if (id / CHUNK == p->nchunk) {
        char **c = realloc(p->chunk, (p->nchunk + 1) * sizeof *c);
        prt_assert(c != NULL);
        p->chunk = c;
        p->chunk[p->nchunk] = calloc(CHUNK, p->stride);
        prt_assert(p->chunk[p->nchunk] != NULL);
        p->nchunk++;
    }
    return id;
}

static inline void pool_put(pool *p, uint32_t id, size_t next_off)
{
    memcpy((char *)pool_at(p, id) + next_off, &p->free, sizeof p->free);
    p->free = id;
}

static inline void pool_free(pool *p)
{
    for (size_t i = 0; i < p->nchunk; i++)
        free(p->chunk[i]);
    free(p->chunk);
    memset(p, 0, sizeof *p);
}

static inline wkey *K(const prt_winop *w, uint32_t id) { return pool_at(&w->keys, id); }
static inline void *KEY(const prt_winop *w, uint32_t id) { return pool_payload(&w->keys, id); }
static inline wwin *W(const prt_winop *w, uint32_t id) { return pool_at(&w->wins, id); }
static inline void *ACC(const prt_winop *w, uint32_t id) { return pool_payload(&w->wins, id); }

/* ---- time arithmetic (shared by the engine's files) ---- */

static inline int64_t prt_wi_sat_add(int64_t a, int64_t b) /* b >= 0 */
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static inline int64_t prt_wi_window_start(int64_t ts, int64_t offset, int64_t size)
{
    int64_t r = (ts - offset) % size;
    if (r < 0)
        r += size;
    return ts - r;
}

/* When a window ending at end is purged (its last timer). */
static inline int64_t prt_wi_cleanup_time(const prt_winop *w, int64_t end)
{
    return w->spec.processing_time ? end - 1 : prt_wi_sat_add(end - 1, w->spec.lateness);
}

/* Late: every record it could still receive would be dropped (Flink's isWindowLate). */
static inline int prt_wi_window_late(const prt_winop *w, int64_t end)
{
    return !w->spec.processing_time && prt_wi_cleanup_time(w, end) <= w->h.clock;
}

/* ---- engine routines the cold store and the panes use (prt_window.c) ---- */

uint32_t prt_wi_key_get(prt_winop *w, const void *key, uint64_t hash); /* finds or adds */
void prt_wi_key_release(prt_winop *w, uint32_t id);
/* Tumbling and sliding: the window slot of key kid starting at start (NONE), a new one. */
uint32_t prt_wi_win_find(const prt_winop *w, uint32_t kid, int64_t start);
uint32_t prt_wi_win_new(prt_winop *w, uint32_t kid, int64_t start, int64_t end);
/* A classic operator (one slot per window, never panes), for rebuilding a pane operator's windows. */
prt_winop *prt_wi_new_classic(const prt_win_spec *spec, const prt_win_vt *vt, void *ctx);

uint32_t prt_wi_key_find(prt_winop *w, const void *key, uint64_t hash);
void prt_wi_win_release(prt_winop *w, uint32_t id);  /* frees its key with its last window */
void prt_wi_global_fire(prt_winop *w, uint32_t id);
/* prt_winop_restore without the eviction check (loading one key back window by window). */
int prt_wi_restore(prt_winop *w, prt_win_state *s, prt_err *e);

/* A window of the sorted in-memory walk. */
typedef struct walk_ent {
    uint32_t kg, win;
    uint64_t hash;
    int64_t start;
} walk_ent;
/* Fills s from window slot id (timers from tm, may be NULL). */
typedef struct walk_timers {
    prt_win_timer t[2];
    int n;
} walk_timers;
void prt_wi_state_of(const prt_winop *w, uint32_t id, const walk_timers *tm, prt_win_state *s);

/* ---- the cold store (prt_window_cold.c) ---- */

struct prt_state;
/* Keys beyond the budget go to the store; see prt_winop_attach. */
int prt_wcold_new(prt_winop *w, struct prt_state *st, const char *op, uint32_t maxpar, size_t budget,
                  prt_err *e);
void prt_wcold_free(prt_winop *w);
/* Before a record is added: evicts when over budget, then loads key back when it is cold. */
void prt_wcold_before_add(prt_winop *w, const void *key, uint64_t hash);
void prt_wcold_maybe_evict(prt_winop *w);
/* In the timer loop: when the earliest cold timer due by t comes before top (the heap's, or
 * NULL), loads its key back (its timers join the heap) and returns 1; else 0. */
int prt_wcold_step(prt_winop *w, int64_t t, const prt_timer *top);
int64_t prt_wcold_next_timer(const prt_winop *w);
/* End of input for global windows: every pane with pending records, memory and cold, fires in
 * the order those records began. */
void prt_wcold_global_flush(prt_winop *w);
/* Windows in [kg_lo, kg_hi] held by the store. */
uint64_t prt_wcold_count(const prt_winop *w, uint32_t maxpar, uint32_t kg_lo, uint32_t kg_hi);
/* The walk with cold windows merged in: e[0..n) are the sorted in-memory windows. */
int prt_wcold_walk(const prt_winop *w, uint32_t maxpar, uint32_t kg_lo, uint32_t kg_hi, const walk_ent *e,
                   size_t n, const walk_timers *tm, int (*fn)(void *arg, const prt_win_state *s), void *arg);
int prt_wcold_memory_only(const prt_winop *w);
size_t prt_wcold_budget(const prt_winop *w);
/* The key bytes tie-break of the walk order (different keys with one hash). */
int prt_wi_cmp_keys(const prt_winop *w, const void *ka, const void *kb);

/* ---- panes (prt_window_pane.c) ---- */

/* Whether an operator with this spec and vtable keeps panes: sliding, event time, size a
 * multiple of slide, an exact merge given (the compiler gives one only when every aggregate
 * merges exactly), and PRT_WIN_PANES not set to 0 in the environment. */
int prt_wpane_usable(const prt_win_spec *spec, const prt_win_vt *vt);
void prt_wpane_new(prt_winop *w);
void prt_wpane_free(prt_winop *w);
/* Frees w's keys, windows and their accumulators, both tables and the timer queue (not w). */
void prt_winop_free_tables(prt_winop *w);
/* Which of a restored window's saved timers fire and purge it, with their registration numbers. */
static inline void prt_win_state_timers(const prt_win_state *s, int *fire, uint64_t *fire_seq, int *purge,
                                        uint64_t *purge_seq)
{
    *fire = *purge = 0;
    *fire_seq = *purge_seq = 0;
    for (int i = 0; i < s->ntimers; i++) {
        if (s->timers[i].what & PRT_WIN_TIMER_FIRE)
            *fire = 1, *fire_seq = s->timers[i].seq;
        if (s->timers[i].what & PRT_WIN_TIMER_PURGE)
            *purge = 1, *purge_seq = s->timers[i].seq;
    }
}
int prt_wpane_add(prt_winop *w, const void *key, uint64_t hash, int64_t ts);
void prt_wpane_added(prt_winop *w);
void prt_wpane_advance(prt_winop *w, int64_t t); /* w->h.clock already t */
int64_t prt_wpane_next_timer(const prt_winop *w);
/* Puts a walked window back (its accumulator becomes the base its panes add to): PRT_OK, PRT_ERR
 * with e, or 1 when panes cannot hold it exactly (its timers are not the ones panes would
 * register: a changed allowed lateness; a clash): the caller turns w into windows and retries. */
int prt_wpane_restore(prt_winop *w, prt_win_state *s, prt_err *e);
uint64_t prt_wpane_count(const prt_winop *w, uint32_t maxpar, uint32_t kg_lo, uint32_t kg_hi);
/* The windows the panes stand for, as a classic operator holding exactly the windows, timers
 * and clocks the one-slot-per-window engine would hold now (caller frees it). */
prt_winop *prt_wpane_windows(const prt_winop *w);
/* Turns w into a classic operator holding those windows, for good (a restore panes cannot
 * hold, the cold store). */
void prt_wpane_to_classic(prt_winop *w);
/* With a store attached: past the memory budget, panes become windows (the store evicts whole
 * keys of windows); within it, the store is never called. */
void prt_wpane_budget(prt_winop *w);

#endif
