/* prt_idtab.c — hash -> id table for the window engine's keys and windows (see prt_idtab.h). */
#include <stdlib.h>

#include "prt_core.h"
#include "prt_idtab.h"

static void alloc_slots(prt_idtab *t, size_t cap)
{
    t->slot = calloc(cap, sizeof *t->slot);
    prt_assert(t->slot != NULL);
    t->mask = cap - 1;
}

void prt_idtab_init(prt_idtab *t)
{
    alloc_slots(t, 16);
    t->n = 0;
}

static void place(prt_idtab *t, uint64_t hash, uint32_t id1)
{
    size_t i = prt_idtab_home(t, hash);
    while (t->slot[i].id)
        i = prt_idtab_next(t, i);
    t->slot[i].hash = hash;
    t->slot[i].id = id1;
}

void prt_idtab_insert(prt_idtab *t, uint64_t hash, uint32_t id)
{
    if ((t->n + 1) * 2 > t->mask + 1) { /* keep the load at most 1/2: short probes */
        prt_idtab_slot *old = t->slot;
        size_t oldcap = t->mask + 1;
        alloc_slots(t, oldcap * 2);
        for (size_t i = 0; i < oldcap; i++)
            if (old[i].id)
                place(t, old[i].hash, old[i].id);
        free(old);
    }
    place(t, hash, id + 1);
    t->n++;
}

void prt_idtab_remove(prt_idtab *t, uint64_t hash, uint32_t id)
{
    size_t i = prt_idtab_home(t, hash);
    while (t->slot[i].id != id + 1) {
        prt_assert(t->slot[i].id != 0);
        i = prt_idtab_next(t, i);
    }
    /* Backward shift: pull later entries of the probe run into the hole when their home slot
     * does not lie cyclically in (hole, j]. */
    size_t hole = i, j = i;
    for (;;) {
        j = prt_idtab_next(t, j);
        if (!t->slot[j].id)
            break;
        size_t home = prt_idtab_home(t, t->slot[j].hash);
        int stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
        if (!stays) {
            t->slot[hole] = t->slot[j];
            hole = j;
        }
    }
    t->slot[hole].id = 0;
    t->slot[hole].hash = 0;
    t->n--;
}

void prt_idtab_free(prt_idtab *t)
{
    free(t->slot);
    t->slot = NULL;
    t->mask = t->n = 0;
}
