/* pc_gen_fn.c — code for function stages (process: / function:): the pipeline's header with
 * the typed API every function's C file includes (state getters and setters, sends, egress),
 * and in the generated C the routing of input records, the calls into the handlers and the
 * delivery of messages. State per key lives in a running prt_winop, described by field
 * tables, so checkpoints and savepoints carry it like any keyed state (operator ID = the
 * function's id). */
#include <string.h>

#include "pc_gen_int.h"
#include "pc_version.h"

#define MAX_MESSAGES "100000"

int pc_gen_has_functions(const pc_pipeline *p)
{
    for (int k = 0; k < p->nstages; k++)
        if (p->stages[k].kind == PC_S_PROCESS)
            return 1;
    return 0;
}

static const char *arena_str(pc_gen *g, pc_sb *b)
{
    const char *s = pc_sb_arena(b, g->a);
    pc_sb_free(b);
    return s ? s : "";
}

static int fn_index(const pc_pipeline *p, int stage)
{
    int n = 0;
    for (int k = 0; k < stage; k++)
        n += p->stages[k].kind == PC_S_PROCESS;
    return n;
}

static const char *key_ctype(pc_type t) { return t == PC_T_STRING ? "prt_str" : "int64_t"; }

/* One row of a field table. */
static void table_row(pc_sb *t, const char *name, const char *type, const char *member, const char *store,
                      const char *vtype, const char *agg, const char *sub)
{
    pc_sb_printf(t, "{ \"%s\", offsetof(%s, %s), %s, %s, %s, PRT_P_VALUE, %s },\n", name, type, member, store,
                 vtype, agg, sub);
}

/* The members of a record struct and its field table (`prefix` before each member). */
static void row_members(pc_gen *g, const pc_row *r, const char *type, const char *prefix, const char *name_prefix,
                        int visible_only, pc_sb *fields, pc_sb *table)
{
    for (int i = 0; i < r->nfields; i++) {
        const pc_field *f = &r->fields[i];
        if (visible_only && f->hidden)
            continue;
        const char *n = pc_gen_cname(g, f->name);
        if (fields)
            pc_sb_printf(fields, "%s %s;%s\n", pc_gen_ctype(f->type), n,
                         f->type == PC_T_TIMESTAMP ? " /* timestamp: ms since the epoch, UTC */"
                         : f->type == PC_T_BOOL ? " /* bool */" : "");
        if (table)
            table_row(table, pc_sprintf(g->a, "%s%s", name_prefix, f->name), type, pc_sprintf(g->a, "%s%s", prefix, n),
                      pc_gen_store_enum(f->type), pc_gen_vtype_enum(f->type), "PRT_AGG_NONE", "NULL");
    }
}

static void gen_record(pc_gen *g, pc_sb *out, const char *name, const pc_row *r)
{
    pc_sb fields = { 0 }, table = { 0 };
    row_members(g, r, name, "", "", 1, &fields, &table);
    pc_sb_puts(out, "\n");
    pc_tmpl(g->t, out, "fn_record", "name", name, "fields", arena_str(g, &fields), "table", arena_str(g, &table),
            "nfields", pc_sprintf(g->a, "%d", r->nfields), NULL);
}

/* ------------------------------------------------------------------ the header */

static int schema_used(const pc_pipeline *p, const char *name)
{
    for (int k = 0; k < p->nstages; k++) {
        const pc_function *fn = p->stages[k].fn;
        if (p->stages[k].kind != PC_S_PROCESS)
            continue;
        if (fn->egress.s && !strcmp(fn->egress.s, name))
            return 1;
        for (int i = 0; i < fn->nstate; i++)
            if (fn->state[i].schema && !strcmp(fn->state[i].schema, name))
                return 1;
    }
    return 0;
}

/* "prt_str_dup(v)" for strings (the state owns its copy), "v" otherwise */
static const char *owned(pc_gen *g, pc_type t, const char *v)
{
    return t == PC_T_STRING ? pc_sprintf(g->a, "prt_str_dup(%s)", v) : v;
}

/* The key arguments of prt_fn_find / prt_fnq_push for a value v of type t: (skey, ikey). */
static const char *key_args(pc_gen *g, pc_type t, const char *v)
{
    return t == PC_T_STRING ? pc_sprintf(g->a, "%s, 0", v) : pc_sprintf(g->a, "(prt_str){ 0 }, %s", v);
}

static void gen_state(pc_gen *g, const pc_stage *st, pc_sb *types, pc_sb *fields, pc_sb *table, pc_sb *api)
{
    const pc_function *fn = st->fn;
    const char *id = st->id;
    const char *stype = pc_sprintf(g->a, "pg_%s_state", id);
    for (int i = 0; i < fn->nstate; i++) {
        const pc_fstate *s = &fn->state[i];
        const char *m = pc_gen_cname(g, s->name);
        pc_sb_puts(api, "\n");
        switch (s->kind) {
        case PC_FS_SCALAR: {
            const char *ct = pc_gen_ctype(s->type);
            pc_sb_printf(fields, "%s %s;%s\n", ct, m, s->type == PC_T_STRING ? " /* owned */" : "");
            table_row(table, s->name, stype, m, pc_gen_store_enum(s->type), pc_gen_vtype_enum(s->type),
                      "PRT_AGG_STATE", "NULL");
            const char *body = s->type == PC_T_STRING ? pc_sprintf(g->a, "prt_str_replace(&c->s_->%s, v);", m)
                                                      : pc_sprintf(g->a, "c->s_->%s = v;", m);
            pc_tmpl(g->t, api, "fn_scalar", "id", id, "name", s->name, "member", m, "ctype", ct,
                    "type", pc_type_name(s->type), "set_body", body, NULL);
            break;
        }
        case PC_FS_RECORD:
            pc_sb_printf(fields, "prt_rows %s; /* at most one %s */\n", m, s->schema);
            table_row(table, s->name, stype, m, "PRT_S_ROWS", "PRT_V_NONE", "PRT_AGG_STATE",
                      pc_sprintf(g->a, "&pg_%s_schema", s->schema));
            pc_tmpl(g->t, api, "fn_recstate", "id", id, "name", s->name, "member", m, "rtype", s->schema, NULL);
            break;
        case PC_FS_SET:
        case PC_FS_MAP: {
            int map = s->kind == PC_FS_MAP;
            pc_type kt = map ? s->key_type : s->type;
            const char *et = pc_sprintf(g->a, "pg_%s_%s_entry", id, s->name);
            pc_sb ef = { 0 }, etab = { 0 };
            pc_sb_printf(&ef, "%s %s;\n", pc_gen_ctype(kt), map ? "k" : "v");
            table_row(&etab, map ? "key" : "value", et, map ? "k" : "v", pc_gen_store_enum(kt), pc_gen_vtype_enum(kt),
                      "PRT_AGG_NONE", "NULL");
            const char *vct = s->row ? s->schema : pc_gen_ctype(s->type);
            if (map) {
                pc_sb_printf(&ef, "%s v;\n", vct);
                if (s->row)
                    row_members(g, s->row, et, "v.", "value.", 1, NULL, &etab);
                else
                    table_row(&etab, "value", et, "v", pc_gen_store_enum(s->type), pc_gen_vtype_enum(s->type),
                              "PRT_AGG_NONE", "NULL");
            }
            const char *what = map ? pc_sprintf(g->a, "%s: a map of %s to %s", s->name, pc_type_name(kt),
                                                s->row ? s->schema : pc_type_name(s->type))
                                   : pc_sprintf(g->a, "%s: a set of %s", s->name, pc_type_name(kt));
            if (types->n) /* a blank line between entries; the template has those around them */
                pc_sb_puts(types, "\n");
            pc_tmpl(g->t, types, "fn_entry", "id", id, "name", s->name, "what", what, "fields", arena_str(g, &ef),
                    "table", arena_str(g, &etab), NULL);
            pc_sb_printf(fields, "prt_rows %s; /* %s, in insertion order */\n", m, what + strlen(s->name) + 2);
            table_row(table, s->name, stype, m, "PRT_S_ROWS", map ? "PRT_V_NONE" : pc_gen_vtype_enum(kt),
                      "PRT_AGG_STATE", pc_sprintf(g->a, "&%s_schema", et));
            const char *is_str = kt == PC_T_STRING ? "1" : "0";
            if (!map) {
                pc_tmpl(g->t, api, "fn_set", "id", id, "name", s->name, "member", m, "ctype", pc_gen_ctype(kt),
                        "type", pc_type_name(kt), "is_str", is_str, "find_args", key_args(g, kt, "v"),
                        "new_value", owned(g, kt, "v"), NULL);
                break;
            }
            const char *put_type = s->row ? pc_sprintf(g->a, "const %s *", vct) : vct;
            pc_sb pv = { 0 };
            if (s->row)
                pc_tmpl(g->t, &pv, "fn_map_put_row", "rtype", vct, NULL);
            else
                pc_sb_puts(&pv, s->type == PC_T_STRING ? "prt_str_replace(&e->v, value);" : "e->v = value;");
            const char *put_value = arena_str(g, &pv);
            pc_tmpl(g->t, api, "fn_map", "id", id, "name", s->name, "member", m, "kctype", pc_gen_ctype(kt),
                    "ktype", pc_type_name(kt), "vctype", vct,
                    "vtype_name", s->row ? s->schema : pc_type_name(s->type), "is_str", is_str,
                    "find_args", key_args(g, kt, "key"), "put_type", put_type,
                    "new_key", owned(g, kt, "key"), "put_value", put_value, NULL);
            break;
        }
        }
    }
    if (fn->timers) {
        pc_sb_puts(fields, "prt_rows timers_; /* delayed messages waiting for this key (prt_fn_timer) */\n");
        table_row(table, "_timers", stype, "timers_", "PRT_S_ROWS", "PRT_V_NONE", "PRT_AGG_STATE", "&prt_fn_timer_schema");
    }
    if (!fn->nstate && !fn->timers) {
        pc_sb_puts(fields, "char empty_; /* no state */\n");
        pc_sb_puts(table, "{ 0 }, /* no state */\n");
    }
}

static void gen_api(pc_gen *g, pc_sb *out, int k)
{
    const pc_pipeline *p = g->p;
    const pc_stage *st = &p->stages[k];
    const pc_function *fn = st->fn;
    const char *id = st->id;
    pc_sb ev = { 0 }, types = { 0 }, fields = { 0 }, table = { 0 }, api = { 0 }, handlers = { 0 }, sends = { 0 },
          egress = { 0 };
    row_members(g, &st->in_row, "", "", "", 1, &ev, NULL);
    if (!ev.n)
        pc_sb_puts(&ev, "char empty_; /* no fields */\n");
    gen_state(g, st, &types, &fields, &table, &api);
    pc_sb_printf(&handlers, "int %s_on_event(%s_ctx *c, const %s_event *e);\n", id, id, id);
    for (int i = 0; i < fn->nmsgs; i++)
        pc_sb_printf(&handlers, "int %s_on_%s(%s_ctx *c, const %s_%s *m);\n", id, fn->msgs[i].name, id, id,
                     fn->msgs[i].name);
    for (int t = 0; t < fn->nmessages_to; t++) {
        int ts = fn->targets[t];
        if (ts < 0)
            continue;
        const pc_stage *tst = &p->stages[ts];
        for (int i = 0; i < tst->fn->nmsgs; i++) {
            pc_sb_puts(&sends, "\n");
            pc_tmpl(g->t, &sends, "fn_send", "id", id, "target", tst->id, "msg", tst->fn->msgs[i].name,
                    "tkey_ctype", key_ctype(tst->fn->key_type), "tkey_type", pc_type_name(tst->fn->key_type),
                    "target_index", pc_sprintf(g->a, "%d", fn_index(p, ts)),
                    "msg_index", pc_sprintf(g->a, "%d", i),
                    "key_args", key_args(g, tst->fn->key_type, "key"), NULL);
            if (!tst->fn->timers)
                continue;
            int evt = tst->fn->timers == PC_FT_EVENT;
            pc_sb_puts(&sends, "\n");
            pc_tmpl(g->t, &sends, "fn_send_after", "id", id, "target", tst->id, "msg", tst->fn->msgs[i].name,
                    "tkey_ctype", key_ctype(tst->fn->key_type),
                    "target_index", pc_sprintf(g->a, "%d", fn_index(p, ts)),
                    "msg_index", pc_sprintf(g->a, "%d", i),
                    "key_args", key_args(g, tst->fn->key_type, "key"),
                    "clock", evt ? "event" : "processing",
                    "due", evt ? "prt_fn_due(c->ts_, delay)" : "prt_fn_due(c->now_, delay)", NULL);
        }
    }
    if (!sends.n)
        pc_sb_puts(&sends, "/* none: messages_to is empty */\n");
    if (fn->egress.s)
        pc_sb_printf(&egress, "\n/* ---- egress: a %s record to the sinks reading %s ---- */\n"
                              "void %s_egress(%s_ctx *c, const %s *r);\n", fn->egress.s, id, id, id, fn->egress.s);
    pc_sb_puts(out, "\n");
    pc_tmpl(g->t, out, "fn_api", "id", id, "file", fn->file ? fn->file : "", "key_ctype", key_ctype(fn->key_type),
            "key_type", pc_type_name(fn->key_type), "event_fields", arena_str(g, &ev),
            "state_types", arena_str(g, &types), "state_fields", arena_str(g, &fields),
            "state_table", arena_str(g, &table), "nstate", pc_sprintf(g->a, "%d", fn->nstate + (fn->timers ? 1 : 0)),
            "handlers", arena_str(g, &handlers), "state_api", arena_str(g, &api), "sends", arena_str(g, &sends),
            "egress", arena_str(g, &egress),
            "clear_body", fn->timers ? pc_sprintf(g->a, "prt_rows timers = c->s_->timers_; /* delayed messages stay */\n"
                                                       "c->s_->timers_ = (prt_rows){ 0 };\n"
                                                       "prt_schema_free(&pg_%s_state_schema, c->s_);\n"
                                                       "c->s_->timers_ = timers;", id)
                                     : pc_sprintf(g->a, "prt_schema_free(&pg_%s_state_schema, c->s_);", id), NULL);
}

void pc_gen_fn_header(pc_gen *g, pc_sb *header)
{
    const pc_pipeline *p = g->p;
    pc_sb records = { 0 }, messages = { 0 }, fns = { 0 };
    for (int i = 0; i < p->nschemas; i++)
        if (schema_used(p, p->schemas[i].name))
            gen_record(g, &records, p->schemas[i].name, &p->schemas[i].row);
    if (!records.n)
        pc_sb_puts(&records, "/* none */\n");
    for (int k = 0; k < p->nstages; k++) {
        const pc_stage *st = &p->stages[k];
        if (st->kind != PC_S_PROCESS)
            continue;
        for (int i = 0; i < st->fn->nmsgs; i++)
            gen_record(g, &messages, pc_sprintf(g->a, "%s_%s", st->id, st->fn->msgs[i].name), &st->fn->msgs[i].row);
        gen_api(g, &fns, k);
    }
    if (!messages.n)
        pc_sb_puts(&messages, "/* none */\n");
    const char *guard = "PIPEC_FUNCTIONS_H";
    pc_tmpl(g->t, header, "fn_header", "version", PC_VERSION, "yaml_name", g->yaml_base, "pipeline", p->name,
            "guard", guard, "records", arena_str(g, &records), "messages", arena_str(g, &messages),
            "functions", arena_str(g, &fns), NULL);
}

/* ------------------------------------------------------------------ the generated C */

void pc_gen_fn_prelude(pc_gen *g, pc_sb *out)
{
    const pc_pipeline *p = g->p;
    pc_sb_printf(out, "\n/* ---- functions: their typed API (the header their C files include) ---- */\n"
                      "#include \"pipec_functions.h\"\n\nstatic void pg__fn_run(prt_worker *wk, const char *origin);\n");
    pc_sb_puts(&g->state, "prt_fnq fnq; /* messages between functions, delivered after each input record */\n"
                          "int fn_running; /* pg__fn_run is delivering */\n");
    pc_sb_puts(&g->destroy, "prt_fnq_clear(&st->fnq);\n");
    for (int k = 0; k < p->nstages; k++)
        if (p->stages[k].kind == PC_S_PROCESS)
            pc_sb_printf(out, "static void pg_%s_message(prt_worker *wk, const prt_fnmsg *m);\n", p->stages[k].id);
    g->serial = "function stages deliver their messages within one worker";
    int ev = 0, pt = 0;
    uint64_t up = 0;
    for (int k = 0; k < p->nstages; k++)
        if (p->stages[k].kind == PC_S_PROCESS && p->stages[k].fn->timers) {
            ev |= p->stages[k].fn->timers == PC_FT_EVENT;
            pt |= p->stages[k].fn->timers == PC_FT_PROCESSING;
            up |= g->upstream[pc_gen_node(p, k)];
        }
    if (!ev && !pt)
        return;
    pc_sb_puts(out, "static void pg__fn_index(prt_worker *wk);\n");
    pc_sb_puts(&g->state, "int fn_indexed; /* the timer index is built (pg__fn_index) */\n"
                          "int64_t fn_timer_seq; /* registration number of the next delayed message */\n"
                          "prt_fnheap fn_ev_timers, fn_pt_timers; /* delayed messages on event and processing time */\n");
    pc_sb_puts(&g->destroy, "prt_fnheap_free(&st->fn_ev_timers);\nprt_fnheap_free(&st->fn_pt_timers);\n");
    if (ev) {
        pc_gen_upstream_wm(g, up);
        pc_sb_puts(&g->event_time, "pg__fn_timers(wk, w, 0); /* delayed messages of functions */\n");
        pc_sb_puts(&g->finish, "if (st->fn_ev_timers.n || !st->fn_indexed) /* every delayed message on event time */\n"
                               "    pg__fn_timers(wk, INT64_MAX, 0);\n");
    }
    if (pt)
        pc_sb_puts(&g->processing_time, "if (st->fn_pt_timers.n || !st->fn_indexed) /* delayed messages of functions */\n"
                                        "    pg__fn_timers(wk, now, 1);\n");
    pc_sb_puts(out, "static void pg__fn_timers(prt_worker *wk, int64_t t, int processing);\n");
}

/* The key's hash, "pipec key hash v1" of its one field, as a key_by on it would compute it. */
static const char *key_hash(pc_type t)
{
    return t == PC_T_STRING ? "kh = prt_hash_finish(prt_hash_str(PRT_HASH_SEED, k.id));"
                            : "kh = prt_hash_finish(prt_hash_i64(PRT_HASH_SEED, k.id));";
}

void pc_gen_fn_stage(pc_gen *g, pc_sb *out, int k)
{
    const pc_pipeline *p = g->p;
    const pc_stage *st = &p->stages[k];
    const pc_function *fn = st->fn;
    const char *id = st->id;
    int node = pc_gen_node(p, k);
    int str = fn->key_type == PC_T_STRING;
    pc_sb on_msgs = { 0 }, egress = { 0 }, build = { 0 }, title = { 0 };

    for (int i = 0; i < fn->nmsgs; i++)
        pc_sb_printf(&on_msgs, "case %d:\n    pg_%s_leave(&c, %s_on_%s(&c, m->body), \"message %s\");\n    break;\n", i,
                     id, id, fn->msgs[i].name, fn->msgs[i].name);
    if (!fn->nmsgs)
        pc_sb_puts(&on_msgs, "default:\n    break; /* accepts no messages */\n");
    if (fn->egress.s) {
        pc_sb eb = { 0 };
        for (int i = 0; i < st->out_row.nfields; i++) {
            const char *n = pc_gen_cname(g, st->out_row.fields[i].name);
            pc_sb_printf(&eb, "o.%s = r->%s;\n", n, n);
        }
        pc_tmpl(g->t, &egress, "fn_egress", "id", id, "type", fn->egress.s, "out_type", g->ctype[node],
                "copy", arena_str(g, &eb), NULL);
    } else {
        pc_sb_printf(&egress, "/* no egress: nothing reads %s */", id);
    }
    for (int i = 0; i < st->in_row.nfields; i++) {
        if (st->in_row.fields[i].hidden)
            continue;
        const char *n = pc_gen_cname(g, st->in_row.fields[i].name);
        pc_sb_printf(&build, "e.%s = r->%s;\n", n, n);
    }
    if (!build.n)
        pc_sb_puts(&build, "e.empty_ = 0;\n");
    const char *when = "/* every input record */";
    int since = g->ev_uses;
    if (fn->when)
        when = pc_gen_lined(g, fn->when->loc, pc_sprintf(g->a, "take = %s;", pc_gen_expr(g, fn->when, "r", NULL)));
    const char *route_key = pc_gen_lined(g, fn->key->loc, pc_sprintf(g->a, "key = %s;", pc_gen_expr(g, fn->key, "r", NULL)));
    const char *init, *check;
    pc_gen_eval(g, since, id, "return;", &init, &check);
    pc_sb_printf(&title, "keyed by %s, %d state field%s, %d message type%s", pc_type_name(fn->key_type), fn->nstate,
                 fn->nstate == 1 ? "" : "s", fn->nmsgs, fn->nmsgs == 1 ? "" : "s");

    pc_sb timer_fns = { 0 };
    const char *delayed = "";
    if (fn->timers) {
        pc_sb ond = { 0 };
        for (int i = 0; i < fn->nmsgs; i++) {
            const char *mt = pc_sprintf(g->a, "%s_%s", id, fn->msgs[i].name);
            pc_tmpl(g->t, &ond, "fn_delayed_case", "index", pc_sprintf(g->a, "%d", i), "id", id,
                    "msg", fn->msgs[i].name, "mtype", mt, NULL);
        }
        pc_sb_puts(&ond, "default:\n    prt_errf(&e, \"delayed message of unknown type %lld\", (long long)type);\n");
        pc_sb_puts(&timer_fns, "\n");
        pc_tmpl(g->t, &timer_fns, "fn_timer", "id", id, "index", pc_sprintf(g->a, "%d", fn_index(p, k)),
                "heap", fn->timers == PC_FT_EVENT ? "fn_ev_timers" : "fn_pt_timers",
                "key_from_ref", key_args(g, fn->key_type, "c->key_"),
                "key_from_key", key_args(g, fn->key_type, "k->id"),
                "key_from_ref2", str ? "r->skey" : "r->ikey",
                "time_of_call", fn->timers == PC_FT_EVENT ? "/* event time: the call happens at its due time */"
                                                          : "c.ts_ = t->ts; /* processing time: the chain's event time */",
                "on_delayed", arena_str(g, &ond), NULL);
        pc_sb d = { 0 };
        pc_tmpl(g->t, &d, "fn_delayed", "id", id, NULL);
        delayed = arena_str(g, &d);
    }
    /* a deleted key goes (unless delayed messages wait for it), and so does a key left empty */
    const char *delete_when = pc_sprintf(g->a, "%s || prt_fn_is_empty(c->s_, sizeof *c->s_)",
                                         fn->timers ? "(c->deleted_ && c->s_->timers_.n == 0)" : "c->deleted_");
    pc_tmpl(g->t, out, "function", "id", id, "timer_fns", arena_str(g, &timer_fns), "delayed", delayed,
            "delete_when", delete_when, "file", fn->file ? fn->file : "", "title", arena_str(g, &title),
            "in_type", g->ctype[st->in_nodes[0]], "key_ctype", key_ctype(fn->key_type),
            "key_store", pc_gen_store_enum(fn->key_type), "key_vtype", pc_gen_vtype_enum(fn->key_type),
            "key_eq", str ? "prt_str_eq(a->id, b->id)" : "a->id == b->id", "key_hash", key_hash(fn->key_type),
            "key_from_msg", str ? "m->skey" : "m->ikey",
            "key_text_fmt", str ? "\\\"%.*s\\\"" : "%lld",
            "key_text_args", str ? "(int)(c->key_.n > 64 ? 64 : c->key_.n), c->key_.p" : "(long long)c->key_",
            "eval_init", init, "when", when, "take", *init ? "take && !ev.failed" : "take", "route_key", route_key,
            "eval_check", check, "event_build", arena_str(g, &build),
            "on_messages", arena_str(g, &on_msgs), "egress", arena_str(g, &egress), NULL);

    /* the engine that keeps the state per key, and its description for checkpoints and savepoints */
    pc_sb_printf(&g->state, "prt_winop *op_%s; /* function %s */\n", id, id);
    pc_sb_printf(&g->init, "st->op_%s = prt_winop_new(&pg_%s_spec, &pg_%s_vt, wk);\nif (!st->op_%s)\n    return PRT_ERR;\n",
                 id, id, id, id);
    pc_sb_printf(&g->destroy, "prt_winop_free(st->op_%s); /* NULL when init failed early */\n", id);
    pc_sb_printf(&g->operators, "{ .id = \"%s\", .kind = \"function\",\n", id);
    if (st->previous_id)
        pc_sb_printf(&g->operators, "  .previous_id = \"%s\",\n", st->previous_id);
    pc_sb_printf(&g->operators, "  .state = \"key(id %s) state(", pc_type_name(fn->key_type));
    for (int i = 0; i < fn->nstate; i++) {
        const pc_fstate *s = &fn->state[i];
        pc_sb_printf(&g->operators, "%s%s ", i ? ", " : "", s->name);
        switch (s->kind) {
        case PC_FS_SCALAR: pc_sb_puts(&g->operators, pc_type_name(s->type)); break;
        case PC_FS_RECORD: pc_sb_puts(&g->operators, s->schema); break;
        case PC_FS_SET: pc_sb_printf(&g->operators, "set<%s>", pc_type_name(s->type)); break;
        case PC_FS_MAP:
            pc_sb_printf(&g->operators, "map<%s, %s>", pc_type_name(s->key_type),
                         s->row ? s->schema : pc_type_name(s->type));
            break;
        }
    }
    pc_sb_printf(&g->operators, ")\",\n  .offset = offsetof(pg__state, op_%s), .key = &pg_%s_key_schema,\n"
                                "  .acc = &pg_%s_state_schema, .spec = &pg_%s_spec },\n", id, id, id, id);
    g->noperators++;
}

void pc_gen_fn_delivery(pc_gen *g, pc_sb *out)
{
    const pc_pipeline *p = g->p;
    pc_sb deliver = { 0 };
    for (int k = 0; k < p->nstages; k++)
        if (p->stages[k].kind == PC_S_PROCESS) {
            pc_sb_printf(&deliver, "case %d:\n", fn_index(p, k));
            if (g->o->test) /* a case that isolates one function: the others do not run */
                pc_sb_printf(&deliver, "    if (wk->job->tap >= 0 && wk->job->tap != %d)\n        break; /* pipec test */\n",
                             pc_gen_node(p, k));
            pc_sb_printf(&deliver, "    pg_%s_message(wk, &m);\n    break;\n", p->stages[k].id);
        }
    pc_sb timers = { 0 }, index = { 0 }, fire = { 0 };
    for (int k = 0; k < p->nstages; k++) {
        const pc_stage *st = &p->stages[k];
        if (st->kind != PC_S_PROCESS || !st->fn->timers)
            continue;
        pc_sb_printf(&index, "prt_winop_walk(st->op_%s, maxp, wk->kg_lo, wk->kg_hi, pg_%s_index_key, st);\n", st->id, st->id);
        pc_sb_printf(&fire, "case %d:\n    pg_%s_timer_due(wk, &r);\n    pg__fn_run(wk, \"%s\");\n    break;\n", fn_index(p, k),
                     st->id, st->id);
    }
    if (index.n)
        pc_tmpl(g->t, &timers, "fn_timers_run", "index_calls", arena_str(g, &index), "fire", arena_str(g, &fire), NULL);
    pc_sb_free(&index);
    pc_sb_free(&fire);
    pc_sb_puts(out, "\n");
    pc_tmpl(g->t, out, "functions", "deliver", arena_str(g, &deliver), "max_messages", MAX_MESSAGES,
            "timers", arena_str(g, &timers), NULL);
}
