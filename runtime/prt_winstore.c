/* prt_winstore.c — the job's state backend (docs/state.md): with `state.backend: rocksdb`, every
 * worker opens one RocksDB store under <checkpoint.dir>/rocksdb-work/w<N>/ and attaches every
 * window operator of its state to it with a share of `state.memory_budget`; with `memory` (the
 * default) nothing happens and all state stays in memory. Checkpoints and savepoints are the
 * same canonical files for both backends (prt_snap.c walks memory and store alike).
 */
#include "prt_jobpriv.h"
#include "prt_state.h"
#include "prt_winstore.h"
#include "prt_window.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>

#define DEFAULT_BUDGET ((size_t)64 << 20)
#define STORE_MIN ((size_t)8 << 20)

int prt_parse_size(const char *s, size_t *out)
{
    char *end;
    if (!s || !isdigit((unsigned char)*s))
        return PRT_ERR;
    unsigned long long v = strtoull(s, &end, 10);
    static const struct { const char *unit; unsigned shift; } units[] = {
        { "", 0 }, { "B", 0 }, { "K", 10 }, { "KB", 10 }, { "KiB", 10 }, { "M", 20 }, { "MB", 20 },
        { "MiB", 20 }, { "G", 30 }, { "GB", 30 }, { "GiB", 30 },
    };
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcmp(end, units[i].unit) == 0) {
            if (v > (SIZE_MAX >> units[i].shift))
                return PRT_ERR;
            *out = (size_t)v << units[i].shift;
            return PRT_OK;
        }
    return PRT_ERR;
}

int prt_winstore_open(prt_job *j, prt_err *e)
{
    prt_run *run = PRT_RUN(j);
    const prt_job_desc *d = j->desc;
    const char *b = prt_cfg(j, "state.backend"), *bs = prt_cfg(j, "state.memory_budget");
    size_t budget = DEFAULT_BUDGET;
    if (bs && *bs && (prt_parse_size(bs, &budget) != PRT_OK || budget == 0))
        return prt_errf(e, "state.memory_budget: '%s' is not a size (e.g. 64MB, 512KiB, 1G)", bs);
    if (!b || !*b || strcmp(b, "memory") == 0)
        return PRT_OK;
    if (strcmp(b, "rocksdb") != 0)
        return prt_errf(e, "state.backend: '%s' is not memory or rocksdb", b);
    if (d->noperators == 0)
        return PRT_OK;
    const char *root = prt_cfg(j, "checkpoint.dir");
    if (!root || !*root)
        root = "state";
    uint32_t maxpar = d->max_parallelism > 0 ? (uint32_t)d->max_parallelism : 1;
    size_t share = budget / (size_t)d->noperators / (size_t)j->nworkers;
    run->stores = calloc((size_t)j->nworkers, sizeof *run->stores);
    prt_assert(run->stores != NULL);
    run->nstores = j->nworkers;
    char parent[4096];
    snprintf(parent, sizeof parent, "%s/rocksdb-work", root);
    if ((mkdir(root, 0755) != 0 && errno != EEXIST) || (mkdir(parent, 0755) != 0 && errno != EEXIST))
        return prt_errf(e, "rocksdb state %s: cannot create: %s", parent, strerror(errno));
    for (int w = 0; w < j->nworkers; w++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/rocksdb-work/w%d", root, w);
        /* the store's block cache and write buffers: the same budget again, at least 8 MiB
         * (smaller write buffers make RocksDB flush and compact all the time) */
        size_t sb = budget / (size_t)j->nworkers;
        prt_state_cfg cfg = { PRT_STATE_ROCKSDB, dir, sb > STORE_MIN ? sb : STORE_MIN };
        if (prt_state_open(&run->stores[w], &cfg, e) != PRT_OK)
            return PRT_ERR;
        for (int i = 0; i < d->noperators; i++) {
            const prt_operator_desc *op = &d->operators[i];
            if (prt_winop_attach(PRT_OPERATOR(&j->workers[w], op), run->stores[w], op->id, maxpar,
                                 share ? share : 1, e) != PRT_OK)
                return PRT_ERR;
        }
    }
    return PRT_OK;
}

int prt_winstore_failed(prt_job *j, prt_err *e)
{
    if (!PRT_RUN(j)->stores)
        return PRT_OK;
    for (int w = 0; w < j->nworkers; w++)
        for (int i = 0; i < j->desc->noperators; i++)
            if (prt_winop_failed(PRT_OPERATOR(&j->workers[w], &j->desc->operators[i]), e) != PRT_OK)
                return PRT_ERR;
    return PRT_OK;
}

int prt_winstore_has_cold(prt_job *j)
{
    if (!PRT_RUN(j)->stores)
        return 0;
    for (int w = 0; w < j->nworkers; w++)
        for (int i = 0; i < j->desc->noperators; i++)
            if (prt_winop_has_cold(PRT_OPERATOR(&j->workers[w], &j->desc->operators[i])))
                return 1;
    return 0;
}

int prt_winstore_checkpoint(prt_job *j, const char *dir, int *native, prt_err *e)
{
    prt_run *run = PRT_RUN(j);
    *native = 0;
    if (!prt_winstore_has_cold(j))
        return PRT_OK; /* all in memory: the snapshot is the whole state */
    for (int w = 0; w < run->nstores; w++) {
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/" PRT_WINSTORE_PREFIX "%d", dir, w);
        if (mkdir(sub, 0755) != 0)
            return prt_errf(e, "%s: cannot create: %s", sub, strerror(errno));
        if (prt_state_snapshot(run->stores[w], sub, e) != PRT_OK)
            return PRT_ERR;
    }
    *native = 1;
    return PRT_OK;
}

void prt_winstore_memory_only(prt_job *j, int on)
{
    if (!PRT_RUN(j)->stores)
        return;
    for (int w = 0; w < j->nworkers; w++)
        for (int i = 0; i < j->desc->noperators; i++)
            prt_winop_walk_memory_only(PRT_OPERATOR(&j->workers[w], &j->desc->operators[i]), on);
}

void prt_winstore_log(prt_job *j)
{
    if (!PRT_RUN(j)->stores || !getenv("PRT_STATE_LOG"))
        return;
    for (int w = 0; w < j->nworkers; w++)
        for (int i = 0; i < j->desc->noperators; i++) {
            prt_winop_cold_stats s;
            prt_winop_cold_stats_get(PRT_OPERATOR(&j->workers[w], &j->desc->operators[i]), &s);
            fprintf(stderr,
                    "state %s w%d: budget %zu, in memory %zu, evictions %llu (%llu keys), loaded %llu keys, "
                    "store gets %llu (%llu misses), puts %llu, index scans %llu, new keys without a get %llu\n",
                    j->desc->operators[i].id, w, s.budget, s.mem_bytes, (unsigned long long)s.evictions,
                    (unsigned long long)s.evicted_keys, (unsigned long long)s.loaded_keys,
                    (unsigned long long)s.gets, (unsigned long long)s.get_misses, (unsigned long long)s.puts,
                    (unsigned long long)s.index_scans, (unsigned long long)s.filtered);
        }
}

void prt_winstore_close(prt_job *j)
{
    prt_run *run = PRT_RUN(j);
    for (int w = 0; w < run->nstores; w++)
        prt_state_close(run->stores[w]);
    free(run->stores);
    run->stores = NULL;
    run->nstores = 0;
}
