/* prt_idtab.h — private to the window engine: an open-addressing table (linear probing,
 * backward-shift deletion, no tombstones) mapping a 64-bit hash to 32-bit ids.
 *
 * The table stores only (hash, id); the caller compares the entries themselves while probing:
 *     for (size_t i = prt_idtab_home(t, h); t->slot[i].id; i = prt_idtab_next(t, i))
 *         if (t->slot[i].hash == h && my_eq(t->slot[i].id - 1, ...)) found;
 * Ids are stored plus one (0 marks an empty slot). The table owns its array (prt_idtab_free).
 */
#ifndef PRT_IDTAB_H
#define PRT_IDTAB_H

#include <stdint.h>
#include <stddef.h>

typedef struct prt_idtab_slot {
    uint64_t hash;
    uint32_t id; /* id + 1; 0 = empty */
} prt_idtab_slot;

typedef struct prt_idtab {
    prt_idtab_slot *slot;
    size_t mask, n; /* capacity - 1 (a power of two), entries */
} prt_idtab;

void prt_idtab_init(prt_idtab *t);
static inline size_t prt_idtab_home(const prt_idtab *t, uint64_t h) { return (size_t)h & t->mask; }
static inline size_t prt_idtab_next(const prt_idtab *t, size_t i) { return (i + 1) & t->mask; }
void prt_idtab_insert(prt_idtab *t, uint64_t hash, uint32_t id); /* id must not be present */
void prt_idtab_remove(prt_idtab *t, uint64_t hash, uint32_t id); /* id must be present */
void prt_idtab_free(prt_idtab *t);

#endif
