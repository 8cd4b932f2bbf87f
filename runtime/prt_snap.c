/* prt_snap.c — the job snapshot (prt_snap.h): one metadata file and one state file per operator,
 * each a prt_durable file (magic, version, CRC-32), in the layout of docs/savepoint-format.md.
 *
 *   _metadata      PRTSNAPM v1: pipeline, pipec version, YAML sha256, max_parallelism, created,
 *                  drained; per operator: id, kind, window spec, key and accumulator field tables
 *                  (prt_schema_wire.h), state file name; per source: name, connector, position
 *                  (or why there is none), watermark and per-partition max event times by name
 *   op-<id>.state  PRTSNAPO v1: the operator's prt_winop_snapshot (clocks, then every key,
 *                  window, accumulator and pending timer, ordered by key group)
 */
#include "prt_ckpt.h"
#include "prt_jobpriv.h"
#include "prt_codec.h"
#include "prt_durable.h"
#include "prt_fsutil.h"
#include "prt_schema_wire.h"
#include "prt_snap.h"
#include "prt_snapint.h"
#include "prt_window_snap.h"
#include "prt_state.h"
#include "prt_winstore.h"
#include "prt_wm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>


/* ---------------------------------------------------------------- writing */

static int write_file(const char *dir, const char *name, const char *magic, prt_str content, prt_err *e)
{
    char *path = prt_path_join(dir, name);
    prt_durable_w *w;
    int rc = prt_durable_create(&w, path, magic, PRT_SNAP_VERSION, e);
    if (rc == PRT_OK && (rc = prt_durable_write(w, content.p, content.n, e)) != PRT_OK)
        prt_durable_abort(w);
    else if (rc == PRT_OK)
        rc = prt_durable_commit(w, e);
    free(path);
    return rc;
}

static void put_str(prt_buf *b, const char *s) { prt_put_bytes(b, prt_str_c(s ? s : "")); }

static void put_spec(prt_buf *b, const prt_win_spec *s)
{
    prt_put_varint(b, (uint64_t)s->kind);
    prt_put_i64(b, s->size);
    prt_put_i64(b, s->slide);
    prt_put_i64(b, s->offset);
    prt_put_i64(b, s->gap);
    prt_put_i64(b, s->count);
    prt_put_varint(b, (uint64_t)s->purge);
    prt_put_i64(b, s->lateness);
    prt_put_varint(b, (uint64_t)s->processing_time);
}

/* The stable name of a source partition (prt_source_ops.partition_name). */
static void partition_name(prt_source *s, int32_t p, prt_buf *name)
{
    name->n = 0;
    if (s->ops->partition_name)
        s->ops->partition_name(s, p, name);
    else
        prt_buf_printf(name, "%d", (int)p);
}

static void put_source(prt_buf *m, prt_source *s)
{
    prt_buf pos = { 0 }, name = { 0 };
    prt_err pe;
    put_str(m, s->desc->name);
    put_str(m, s->desc->connector);
    if (s->ops->position && s->ops->position(s, &pos, &pe) == PRT_OK) {
        prt_put_varint(m, 1);
        prt_put_bytes(m, prt_buf_str(&pos));
    } else {
        prt_put_varint(m, 0);
        put_str(m, s->ops->position ? pe.msg : "the connector has no position");
    }
    const prt_wm *w = s->wm;
    prt_put_varint(m, w != NULL);
    if (w) {
        prt_put_i64(m, w->wm);
        uint64_t n = 0;
        for (int i = 0; i < w->nparts; i++)
            n += w->parts[i].present;
        prt_put_varint(m, n);
        for (int i = 0; i < w->nparts; i++) {
            if (!w->parts[i].present)
                continue;
            partition_name(s, i, &name);
            prt_put_bytes(m, prt_buf_str(&name));
            prt_put_i64(m, w->parts[i].max_ts);
        }
    }
    prt_buf_free(&pos);
    prt_buf_free(&name);
}

/* One operator's state from every worker, each its own key groups, in worker order. */
static void snapshot_op(prt_job *j, const prt_operator_desc *op, uint32_t maxpar, prt_buf *b)
{
    int n = j->nworkers;
    const prt_winop **ws = calloc((size_t)n, sizeof *ws);
    uint32_t *lo = calloc((size_t)n, sizeof *lo), *hi = calloc((size_t)n, sizeof *hi);
    prt_assert(ws && lo && hi);
    for (int w = 0; w < n; w++) {
        ws[w] = PRT_OPERATOR(&j->workers[w], op);
        lo[w] = j->workers[w].kg_lo;
        hi[w] = j->workers[w].kg_hi;
    }
    prt_winop_snapshot_many(ws, lo, hi, n, maxpar, b);
    free(ws);
    free(lo);
    free(hi);
}

int prt_snap_write_into(prt_job *j, const char *dir, int drained, prt_err *e)
{
    const prt_job_desc *d = j->desc;
    uint32_t maxpar = d->max_parallelism > 0 ? (uint32_t)d->max_parallelism : 1;
    prt_buf m = { 0 }, b = { 0 }, fname = { 0 };
    int rc = PRT_OK;

    put_str(&m, d->pipeline);
    put_str(&m, d->pipec_version);
    put_str(&m, d->yaml_sha256);
    prt_put_varint(&m, maxpar);
    prt_put_i64(&m, prt_wall_ms());
    prt_put_varint(&m, drained != 0);
    prt_put_varint(&m, (uint64_t)d->noperators);
    for (int i = 0; i < d->noperators && rc == PRT_OK; i++) {
        const prt_operator_desc *op = &d->operators[i];
        fname.n = 0;
        prt_buf_printf(&fname, "op-%s.state", op->id);
        prt_buf_putc(&fname, 0);
        put_str(&m, op->id);
        put_str(&m, op->kind);
        put_spec(&m, op->spec);
        prt_schema_put(&m, op->key);
        prt_schema_put(&m, op->acc);
        put_str(&m, fname.p);
        b.n = 0;
        snapshot_op(j, op, maxpar, &b);
        prt_err se;
        if (prt_winstore_failed(j, &se) != PRT_OK) /* the walk could not read the store */
            rc = prt_errf(e, "operator %s: %s", op->id, se.msg);
        else
            rc = write_file(dir, fname.p, OP_MAGIC, prt_buf_str(&b), e);
        prt_crash_point("snap-op-file");
    }
    if (rc == PRT_OK) {
        prt_put_varint(&m, (uint64_t)d->nsources);
        for (int i = 0; i < d->nsources; i++)
            put_source(&m, j->sources[i]);
        rc = write_file(dir, PRT_SNAP_METADATA, META_MAGIC, prt_buf_str(&m), e);
    }
    if (rc == PRT_OK)
        rc = prt_fsync_dir(dir, e);
    prt_buf_free(&m);
    prt_buf_free(&b);
    prt_buf_free(&fname);
    return rc;
}

/* Removes DIR.tmp-* beside dir: directories of savepoint writers that were killed. */
static void sweep_temps(const char *dir)
{
    const char *slash = strrchr(dir, '/');
    char *parent = slash ? strndup(dir, (size_t)(slash - dir) + (slash == dir)) : strdup(".");
    const char *base = slash ? slash + 1 : dir;
    size_t bl = strlen(base);
    char **names;
    size_t n;
    prt_err ignore;
    prt_assert(parent != NULL);
    if (prt_dir_list(parent, &names, &n, &ignore) == PRT_OK) {
        for (size_t i = 0; i < n; i++)
            if (!strncmp(names[i], base, bl) && !strncmp(names[i] + bl, ".tmp-", 5)) {
                char *p = prt_path_join(parent, names[i]);
                prt_rmtree(p, &ignore);
                free(p);
            }
        prt_dir_list_free(names, n);
    }
    free(parent);
}

int prt_snap_target_free(const char *dir, prt_err *e)
{
    struct stat st;
    if (stat(dir, &st) == 0)
        return prt_errf(e, "savepoint %s: already exists (a savepoint is never overwritten)", dir);
    return PRT_OK;
}

int prt_snap_write(prt_job *j, const char *dir, int drained, prt_err *e)
{
    if (prt_snap_target_free(dir, e) != PRT_OK)
        return PRT_ERR;
    size_t n = strlen(dir) + 32;
    char *tmp = malloc(n);
    prt_assert(tmp != NULL);
    snprintf(tmp, n, "%s.tmp-%ld", dir, (long)getpid());
    prt_err ignore;
    sweep_temps(dir); /* what writers killed mid-savepoint left */
    int rc = PRT_OK;
    if (mkdir(tmp, 0755) != 0)
        rc = prt_errf(e, "savepoint %s: cannot create %s: %s", dir, tmp, strerror(errno));
    if (rc == PRT_OK && prt_snap_write_into(j, tmp, drained, e) != PRT_OK) {
        prt_err inner = *e;
        rc = prt_errf(e, "savepoint %s: %s", dir, inner.msg);
    }
    if (rc == PRT_OK)
        prt_crash_point("snap-written");
    if (rc == PRT_OK && rename(tmp, dir) != 0)
        rc = prt_errf(e, "savepoint %s: cannot rename %s into place: %s", dir, tmp, strerror(errno));
    if (rc == PRT_OK)
        prt_crash_point("snap-renamed");
    if (rc == PRT_OK)
        rc = prt_fsync_parent(dir, e);
    if (rc != PRT_OK)
        prt_rmtree(tmp, &ignore);
    free(tmp);
    return rc;
}

/* ---------------------------------------------------------------- reading */

static char *get_cstr(prt_str *in, int *bad)
{
    prt_str s;
    if (prt_get_bytes(in, &s) != PRT_OK) {
        *bad = 1;
        return NULL;
    }
    char *p = malloc(s.n + 1);
    prt_assert(p != NULL);
    memcpy(p, s.p, s.n);
    p[s.n] = 0;
    return p;
}

static uint64_t get_var(prt_str *in, int *bad)
{
    uint64_t v = 0;
    if (prt_get_varint(in, &v) != PRT_OK)
        *bad = 1;
    return v;
}

static int64_t get_i64(prt_str *in, int *bad)
{
    int64_t v = 0;
    if (prt_get_i64(in, &v) != PRT_OK)
        *bad = 1;
    return v;
}

void prt_snap_meta_free(snap_meta *m)
{
    for (uint64_t i = 0; i < m->nops; i++) {
        free(m->ops[i].id);
        free(m->ops[i].kind);
        free(m->ops[i].file);
        prt_schema_release(m->ops[i].key);
        prt_schema_release(m->ops[i].acc);
    }
    for (uint64_t i = 0; i < m->nsrcs; i++) {
        free(m->srcs[i].name);
        free(m->srcs[i].connector);
    }
    free(m->ops);
    free(m->srcs);
    free(m->pipeline);
    free(m->version);
    free(m->sha);
    prt_buf_free(&m->raw);
    memset(m, 0, sizeof *m);
}

int prt_snap_meta_load(const char *dir, snap_meta *m, prt_err *e)
{
    memset(m, 0, sizeof *m);
    char *path = prt_path_join(dir, PRT_SNAP_METADATA);
    uint32_t version;
    struct stat st;
    int rc;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = prt_errf(e, "%s: not a savepoint directory (%s)", dir, stat(dir, &st) ? strerror(errno) : "a file");
    else
        rc = prt_durable_load(path, META_MAGIC, PRT_SNAP_VERSION, &version, &m->raw, e);
    free(path);
    if (rc != PRT_OK)
        return rc;
    prt_str in = prt_buf_str(&m->raw);
    int bad = 0;
    m->pipeline = get_cstr(&in, &bad);
    m->version = get_cstr(&in, &bad);
    m->sha = get_cstr(&in, &bad);
    m->maxpar = get_var(&in, &bad);
    m->created = get_i64(&in, &bad);
    m->drained = (int)get_var(&in, &bad);
    uint64_t n = get_var(&in, &bad);
    if (!bad && n <= in.n) {
        m->ops = calloc(n ? n : 1, sizeof *m->ops);
        prt_assert(m->ops != NULL);
        for (uint64_t i = 0; i < n && !bad; i++, m->nops++) {
            snap_op *o = &m->ops[i];
            o->id = get_cstr(&in, &bad);
            o->kind = get_cstr(&in, &bad);
            o->spec.kind = (prt_win_kind)get_var(&in, &bad);
            o->spec.size = get_i64(&in, &bad);
            o->spec.slide = get_i64(&in, &bad);
            o->spec.offset = get_i64(&in, &bad);
            o->spec.gap = get_i64(&in, &bad);
            o->spec.count = get_i64(&in, &bad);
            o->spec.purge = (int)get_var(&in, &bad);
            o->spec.lateness = get_i64(&in, &bad);
            o->spec.processing_time = (int)get_var(&in, &bad);
            if (bad || !(o->key = prt_schema_get(&in, e)) || !(o->acc = prt_schema_get(&in, e))) {
                bad = 1;
                break;
            }
            o->file = get_cstr(&in, &bad);
        }
    } else {
        bad = 1;
    }
    n = bad ? 0 : get_var(&in, &bad);
    if (!bad && n <= in.n) {
        m->srcs = calloc(n ? n : 1, sizeof *m->srcs);
        prt_assert(m->srcs != NULL);
        for (uint64_t i = 0; i < n && !bad; i++, m->nsrcs++) {
            snap_src *s = &m->srcs[i];
            s->name = get_cstr(&in, &bad);
            s->connector = get_cstr(&in, &bad);
            s->has_pos = (int)get_var(&in, &bad);
            if (!bad && prt_get_bytes(&in, &s->pos) != PRT_OK)
                bad = 1;
            s->has_wm = (int)get_var(&in, &bad);
            if (s->has_wm && !bad) {
                s->wm = get_i64(&in, &bad);
                s->nparts = get_var(&in, &bad);
                const char *start = in.p;
                for (uint64_t k = 0; k < s->nparts && !bad; k++) {
                    prt_str pn;
                    if (prt_get_bytes(&in, &pn) != PRT_OK)
                        bad = 1;
                    get_i64(&in, &bad);
                }
                s->parts = (prt_str){ start, (size_t)(in.p - start) };
            }
        }
    } else {
        bad = 1;
    }
    if (bad || in.n) {
        prt_err inner = *e;
        prt_snap_meta_free(m);
        return prt_errf(e, "%s: the metadata is malformed%s%s", dir, inner.msg[0] ? ": " : "",
                        inner.msg[0] ? inner.msg : "");
    }
    return PRT_OK;
}

/* ---------------------------------------------------------------- restoring */

static int same_window(const prt_win_spec *a, const prt_win_spec *b, prt_buf *why)
{
    static const char *const kinds[] = { "tumbling", "sliding", "session", "global", "running" };
    if (a->kind != b->kind) {
        prt_buf_printf(why, "window kind changed (%s, was %s)", kinds[b->kind % 5], kinds[a->kind % 5]);
        return 0;
    }
    if (a->size != b->size || a->slide != b->slide || a->gap != b->gap) {
        if (a->kind == PRT_WIN_SESSION)
            prt_buf_printf(why, "session gap changed (%lldms, was %lldms)", (long long)b->gap, (long long)a->gap);
        else if (a->size != b->size)
            prt_buf_printf(why, "window size changed (%lldms, was %lldms)", (long long)b->size, (long long)a->size);
        else
            prt_buf_printf(why, "window slide changed (%lldms, was %lldms)", (long long)b->slide, (long long)a->slide);
        return 0;
    }
    if (a->offset != b->offset) {
        prt_buf_printf(why, "window offset changed (%lldms, was %lldms)", (long long)b->offset, (long long)a->offset);
        return 0;
    }
    if (a->count != b->count || a->purge != b->purge) {
        prt_buf_printf(why, "window trigger changed (every %lld records%s, was every %lld%s)", (long long)b->count,
                       b->purge ? ", purging" : "", (long long)a->count, a->purge ? ", purging" : "");
        return 0;
    }
    if (a->processing_time != b->processing_time) {
        prt_buf_printf(why, "window time changed (%s time, was %s time)", b->processing_time ? "processing" : "event",
                       a->processing_time ? "processing" : "event");
        return 0;
    }
    return 1;
}

static int same_key(const prt_schema *a, const prt_schema *b, prt_buf *why)
{
    int names = a->nfields == b->nfields;
    for (uint32_t i = 0; names && i < a->nfields; i++)
        names = !strcmp(a->fields[i].name, b->fields[i].name);
    if (names && prt_schema_key_fp(a) == prt_schema_key_fp(b))
        return 1;
    prt_buf_puts(why, "key changed (");
    for (uint32_t i = 0; i < b->nfields; i++)
        prt_buf_printf(why, "%s%s %s", i ? ", " : "", b->fields[i].name, prt_vtype_name((prt_vtype)b->fields[i].type));
    prt_buf_puts(why, ", was ");
    for (uint32_t i = 0; i < a->nfields; i++)
        prt_buf_printf(why, "%s%s %s", i ? ", " : "", a->fields[i].name, prt_vtype_name((prt_vtype)a->fields[i].type));
    prt_buf_puts(why, ")");
    return 0;
}

/* The saved operator a build operator restores from: its own id, else its previous_id. */
static snap_op *find_op(snap_meta *m, const prt_operator_desc *op)
{
    for (uint64_t i = 0; i < m->nops; i++)
        if (!strcmp(m->ops[i].id, op->id))
            return &m->ops[i];
    if (op->previous_id)
        for (uint64_t i = 0; i < m->nops; i++)
            if (!strcmp(m->ops[i].id, op->previous_id))
                return &m->ops[i];
    return NULL;
}

/* ---------------------------------------------------------------- the restore plan */

typedef enum plan_status { PLAN_RESTORED, PLAN_EVOLVED, PLAN_NEW, PLAN_DROPPED, PLAN_INCOMPATIBLE } plan_status;

typedef struct plan_entry {
    const char *id;               /* the build's operator ID, or a dropped one's */
    const prt_operator_desc *op;  /* NULL when dropped */
    snap_op *saved;               /* NULL when new */
    plan_status status;
    prt_buf text;                 /* evolved: what changed; incompatible: why */
} plan_entry;

typedef struct plan {
    plan_entry *e;
    int n;
    int incompatible, dropped;
} plan;

static void plan_free(plan *p)
{
    for (int i = 0; i < p->n; i++)
        prt_buf_free(&p->e[i].text);
    free(p->e);
}

/* What restoring m into a build of d would do, operator by operator: the build's operators in
 * YAML order, then the saved operators it lacks. The one place the evolution rules live. */
static void plan_make(const prt_job_desc *d, snap_meta *m, plan *p)
{
    memset(p, 0, sizeof *p);
    p->e = calloc((size_t)d->noperators + m->nops + 1, sizeof *p->e);
    prt_assert(p->e != NULL);
    uint64_t maxpar = (uint64_t)(d->max_parallelism > 0 ? d->max_parallelism : 1);
    for (int i = 0; i < d->noperators; i++) {
        const prt_operator_desc *op = &d->operators[i];
        plan_entry *e = &p->e[p->n++];
        e->id = op->id;
        e->op = op;
        e->saved = find_op(m, op);
        if (!e->saved) {
            e->status = PLAN_NEW;
            continue;
        }
        e->saved->used = 1;
        snap_op *so = e->saved;
        prt_buf changes = { 0 };
        int ok = 1;
        if (m->maxpar != maxpar) {
            prt_buf_printf(&e->text, "max_parallelism changed (%llu, was %llu)", (unsigned long long)maxpar,
                           (unsigned long long)m->maxpar);
            ok = 0;
        } else if (strcmp(op->kind, so->kind) != 0) {
            prt_buf_printf(&e->text, "kind changed (%s, was %s)", op->kind, so->kind);
            ok = 0;
        } else {
            ok = same_window(&so->spec, op->spec, &e->text) && same_key(so->key, op->key, &e->text) &&
                 prt_schema_acc_evolves(so->acc, op->acc, &changes, &e->text);
        }
        if (!ok) {
            e->status = PLAN_INCOMPATIBLE;
            p->incompatible++;
        } else {
            if (strcmp(so->id, op->id) != 0)
                prt_buf_printf(&e->text, "renamed from %s%s", so->id, changes.n ? ", " : "");
            if (so->spec.lateness != op->spec->lateness)
                prt_buf_printf(&e->text, "%sallowed lateness %lldms (was %lldms)", e->text.n ? ", " : "",
                               (long long)op->spec->lateness, (long long)so->spec.lateness);
            prt_buf_put(&e->text, changes.p, changes.n);
            e->status = e->text.n ? PLAN_EVOLVED : PLAN_RESTORED;
        }
        prt_buf_free(&changes);
    }
    for (uint64_t i = 0; i < m->nops; i++)
        if (!m->ops[i].used) {
            plan_entry *e = &p->e[p->n++];
            e->id = m->ops[i].id;
            e->saved = &m->ops[i];
            e->status = PLAN_DROPPED;
            p->dropped++;
        }
    for (int i = 0; i < p->n; i++)
        prt_buf_putc(&p->e[i].text, 0);
}

/* "ID: restored", "ID: evolved: ...", "ID: new", "ID: dropped", "ID: incompatible: ..." */
static void plan_line(const plan_entry *e, prt_buf *b)
{
    static const char *const word[] = { "restored", "evolved", "new", "dropped", "incompatible" };
    prt_buf_printf(b, "%s: %s", e->id, word[e->status]);
    if (e->status == PLAN_EVOLVED || e->status == PLAN_INCOMPATIBLE)
        prt_buf_printf(b, ": %s", e->text.p);
}

/* A checkpoint of a rocksdb job with stored state: the windows in dir/store-w<N>/ (each worker's
 * store at the cut) complete the operator file's in-memory part; each worker takes its key groups. */
static int load_stores(prt_job *j, const char *dir, const snap_meta *m, const plan_entry *pe,
                       const prt_schema *saved, prt_err *e)
{
    char **names;
    size_t n;
    if (prt_dir_list(dir, &names, &n, e) != PRT_OK)
        return PRT_ERR;
    int rc = PRT_OK;
    size_t pl = strlen(PRT_WINSTORE_PREFIX);
    for (size_t i = 0; i < n && rc == PRT_OK; i++) {
        if (strncmp(names[i], PRT_WINSTORE_PREFIX, pl) != 0)
            continue;
        char *sub = prt_path_join(dir, names[i]);
        prt_state *st;
        if ((rc = prt_state_open_snapshot(&st, sub, e)) == PRT_OK) {
            for (int w = 0; w < j->nworkers && rc == PRT_OK; w++) {
                prt_worker *wk = &j->workers[w];
                rc = prt_winop_load_store(PRT_OPERATOR(wk, pe->op), st, pe->saved->id, saved, (uint32_t)m->maxpar,
                                          wk->kg_lo, wk->kg_hi, e);
            }
            prt_state_close(st);
        }
        free(sub);
    }
    prt_dir_list_free(names, n);
    return rc;
}

static int load_op(prt_job *j, const char *dir, const snap_meta *m, const plan_entry *pe, prt_err *e)
{
    prt_buf content = { 0 };
    char *path = prt_path_join(dir, pe->saved->file);
    uint32_t version;
    int rc = prt_durable_load(path, OP_MAGIC, PRT_SNAP_VERSION, &version, &content, e);
    free(path);
    if (rc == PRT_OK) {
        const prt_schema *saved = prt_schema_same_layout(pe->saved->acc, pe->op->acc) ? NULL : pe->saved->acc;
        prt_err inner;
        /* each worker takes the windows of its own key groups, whatever the saved parallelism */
        for (int w = 0; w < j->nworkers && rc == PRT_OK; w++) {
            prt_worker *wk = &j->workers[w];
            rc = prt_winop_load_from(PRT_OPERATOR(wk, pe->op), prt_buf_str(&content), saved, (uint32_t)m->maxpar,
                                     wk->kg_lo, wk->kg_hi, &inner);
        }
        if (rc == PRT_OK)
            rc = load_stores(j, dir, m, pe, saved, &inner);
        if (rc != PRT_OK)
            prt_errf(e, "operator %s: %s", pe->id, inner.msg);
    }
    prt_buf_free(&content);
    return rc;
}

/* Keeps the saved per-partition max event times for prt_snap_seed_partition, and applies them to
 * the partitions the source has already declared. */
static void seed_source(prt_source *s, const snap_src *ss)
{
    prt_wm *w = s->wm;
    if (!w || !ss->has_wm)
        return;
    if (ss->wm > w->wm)
        w->wm = ss->wm; /* a watermark never goes back */
    if (strcmp(ss->connector, s->desc->connector) != 0)
        return; /* other partitions: only the source watermark carries over */
    prt_buf_put(&s->wm_seed, ss->parts.p, ss->parts.n);
    for (int i = 0; i < w->nparts; i++)
        if (w->parts[i].present)
            prt_snap_seed_partition(s, i);
}

void prt_snap_seed_partition(prt_source *s, int32_t p)
{
    prt_buf name = { 0 };
    partition_name(s, p, &name);
    prt_str in = prt_buf_str(&s->wm_seed), pn;
    int64_t max_ts;
    while (in.n && prt_get_bytes(&in, &pn) == PRT_OK && prt_get_i64(&in, &max_ts) == PRT_OK)
        if (prt_str_eq(pn, prt_buf_str(&name)) && s->wm->parts[p].max_ts < max_ts)
            s->wm->parts[p].max_ts = max_ts;
    prt_buf_free(&name);
}

static int restore_source(prt_job *j, prt_source *s, const snap_meta *m, const prt_restore_opts *o, prt_err *e)
{
    const snap_src *ss = NULL;
    for (uint64_t i = 0; i < m->nsrcs; i++)
        if (!strcmp(m->srcs[i].name, s->desc->name))
            ss = &m->srcs[i];
    if (!ss) {
        if (!o->quiet)
            prt_log(j, "source %s: not in the savepoint: starts from its own startup settings", s->desc->name);
        return PRT_OK;
    }
    seed_source(s, ss);
    if (strcmp(ss->connector, s->desc->connector) != 0) {
        if (!o->quiet)
            prt_log(j, "source %s: was a %s source, now %s: starts from its own startup settings", s->desc->name,
                    ss->connector, s->desc->connector);
        return PRT_OK;
    }
    if (!ss->has_pos) {
        if (!o->quiet)
            prt_log(j, "source %s: the savepoint holds no position (%.*s): starts from its own startup settings",
                    s->desc->name, (int)ss->pos.n, ss->pos.p);
        return PRT_OK;
    }
    prt_err se;
    if (!s->ops->seek || s->ops->seek(s, ss->pos.p, ss->pos.n, &se) != PRT_OK)
        return prt_errf(e, "source %s: cannot resume from the savepoint position: %s", s->desc->name,
                        s->ops->seek ? se.msg : "the connector cannot seek");
    if (!o->quiet)
        prt_log(j, "source %s: resumes from the savepoint position", s->desc->name);
    return PRT_OK;
}

int prt_snap_restore(prt_job *j, const char *dir, const prt_restore_opts *o, prt_err *e)
{
    const prt_job_desc *d = j->desc;
    snap_meta m;
    if (prt_snap_meta_load(dir, &m, e) != PRT_OK)
        return PRT_ERR;
    plan p;
    plan_make(d, &m, &p);
    prt_buf why = { 0 };
    int rc = PRT_OK;
    if (p.incompatible || (p.dropped && !o->allow_non_restored)) {
        for (int i = 0; i < p.n; i++) {
            if (p.e[i].status == PLAN_INCOMPATIBLE || p.e[i].status == PLAN_DROPPED) {
                prt_buf_puts(&why, why.n ? "; " : "");
                plan_line(&p.e[i], &why);
            }
        }
        if (p.dropped && !p.incompatible)
            prt_buf_puts(&why, " (rename a stage with previous_id, or run with --allow-non-restored-state to "
                               "drop the state of operators this build lacks)");
        prt_buf_putc(&why, 0);
        rc = prt_errf(e, "%s does not fit this build: %s", dir, why.p);
    }
    for (int i = 0; i < p.n && rc == PRT_OK; i++) {
        plan_entry *pe = &p.e[i];
        if (pe->status == PLAN_RESTORED || pe->status == PLAN_EVOLVED)
            rc = load_op(j, dir, &m, pe, e);
        if (rc == PRT_OK && !o->quiet) {
            why.n = 0;
            plan_line(pe, &why);
            if (pe->status == PLAN_RESTORED || pe->status == PLAN_EVOLVED) {
                uint64_t keys = 0, windows = 0;
                for (int w = 0; w < j->nworkers; w++) {
                    prt_winop_stats st;
                    prt_winop_stats_get(PRT_OPERATOR(&j->workers[w], pe->op), &st);
                    keys += st.keys;
                    windows += st.windows;
                }
                prt_buf_printf(&why, " (%llu keys, %llu windows)", (unsigned long long)keys,
                               (unsigned long long)windows);
            }
            if (pe->status == PLAN_DROPPED)
                prt_buf_puts(&why, " (--allow-non-restored-state)");
            prt_buf_putc(&why, 0);
            prt_log(j, "operator %s", why.p);
        }
    }
    for (int i = 0; i < d->nsources && rc == PRT_OK; i++)
        rc = restore_source(j, j->sources[i], &m, o, e);
    /* the generated code's view of each source's watermark (operators' clocks are restored) */
    for (int i = 0; i < d->nsources && rc == PRT_OK; i++) {
        const prt_wm *w = j->sources[i]->wm;
        if (w && w->wm != INT64_MIN)
            prt_workers_watermark(j, i, w->wm);
    }
    prt_buf_free(&why);
    plan_free(&p);
    prt_snap_meta_free(&m);
    return rc;
}

int prt_snap_check(const prt_job_desc *d, const char *dir, int allow_non_restored, prt_err *e)
{
    snap_meta m;
    if (prt_snap_meta_load(dir, &m, e) != PRT_OK)
        return PRT_ERR;
    plan p;
    plan_make(d, &m, &p);
    prt_buf line = { 0 };
    for (int i = 0; i < p.n; i++) {
        line.n = 0;
        plan_line(&p.e[i], &line);
        prt_buf_putc(&line, '\n');
        fwrite(line.p, 1, line.n, stdout);
    }
    int rc = PRT_OK;
    if (p.incompatible)
        rc = prt_errf(e, "%d operator%s incompatible", p.incompatible, p.incompatible > 1 ? "s are" : " is");
    else if (p.dropped && !allow_non_restored)
        rc = prt_errf(e, "the savepoint holds state of %d operator%s this build lacks (previous_id renames a stage; "
                      "--allow-non-restored-state drops it)", p.dropped, p.dropped > 1 ? "s" : "");
    prt_buf_free(&line);
    plan_free(&p);
    prt_snap_meta_free(&m);
    return rc;
}
