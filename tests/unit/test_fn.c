/* test_fn.c — what function stages use from the runtime (prt_fn.h): the message queue keeps
 * order and deep copies across growth, the collections find and remove by their first field,
 * the timer index pops in (due, registration) order, and the state-evolution text names a
 * function's state field. */
#include <stddef.h>
#include <stdlib.h>

#include "prt_fn.h"
#include "prt_schema_wire.h"
#include "prt_window.h"
#include "prt_test.h"

typedef struct msg {
    prt_str who;
    int64_t n;
} msg;

static const prt_field msg_fields[] = {
    { "who", offsetof(msg, who), PRT_S_STR, PRT_V_STRING, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "n", offsetof(msg, n), PRT_S_I64, PRT_V_INT, PRT_AGG_NONE, PRT_P_VALUE, NULL },
};
static const prt_schema msg_schema = { "msg", sizeof(msg), 2, msg_fields };

TEST(queue_order_and_copies)
{
    prt_fnq q = { 0 };
    char buf[16];
    for (int i = 0; i < 40; i++) { /* through several growths, with the ring wrapped */
        snprintf(buf, sizeof buf, "k%d", i);
        msg m = { prt_str_c(buf), i };
        prt_fnq_push(&q, i % 3, i % 2, prt_str_c(buf), 0, &msg_schema, &m, 100 + i);
        strcpy(buf, "clobbered"); /* the queue holds copies */
        if (i % 5 == 4) {
            prt_fnmsg out;
            CHECK(prt_fnq_pop(&q, &out));
            prt_fnmsg_free(&out);
        }
    }
    prt_fnmsg out;
    int first = 1;
    int64_t last = -1;
    while (prt_fnq_pop(&q, &out)) {
        const msg *m = out.body;
        char want[16];
        snprintf(want, sizeof want, "k%lld", (long long)m->n);
        CHECK(prt_str_eq(m->who, prt_str_c(want)));
        CHECK(prt_str_eq(out.skey, prt_str_c(want)));
        CHECK_EQ_I(out.ts, 100 + m->n);
        CHECK(!out.delayed);
        CHECK(first || m->n > last);
        first = 0;
        last = m->n;
        prt_fnmsg_free(&out);
    }
    CHECK_EQ_I(last, 39);
    msg m = { PRT_STR_LIT("x"), 1 };
    prt_fnq_push_after(&q, 0, 0, (prt_str){ 0 }, 7, &msg_schema, &m, 5, 1000);
    prt_fnq_push(&q, 0, 0, (prt_str){ 0 }, 8, &msg_schema, &m, 5);
    CHECK_EQ_I((int64_t)prt_fnq_clear(&q), 2);
    CHECK(!prt_fnq_pop(&q, &out));
}

typedef struct entry {
    prt_str k;
    int64_t v;
} entry;

static const prt_field entry_fields[] = {
    { "key", offsetof(entry, k), PRT_S_STR, PRT_V_STRING, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "value", offsetof(entry, v), PRT_S_I64, PRT_V_INT, PRT_AGG_NONE, PRT_P_VALUE, NULL },
};
static const prt_schema entry_schema = { "entry", sizeof(entry), 2, entry_fields };

TEST(rows_find_remove)
{
    prt_rows r = { 0 };
    const char *keys[] = { "a", "b", "c", "d" };
    for (int i = 0; i < 4; i++) {
        entry *e = prt_rows_push(&r, &entry_schema);
        e->k = prt_str_dup(prt_str_c(keys[i]));
        e->v = i;
    }
    CHECK_EQ_I(prt_fn_find(&r, &entry_schema, 1, PRT_STR_LIT("c"), 0), 2);
    CHECK_EQ_I(prt_fn_find(&r, &entry_schema, 1, PRT_STR_LIT("z"), 0), -1);
    prt_fn_remove(&r, &entry_schema, 1); /* "b": the others keep their order */
    CHECK_EQ_I((int64_t)r.n, 3);
    CHECK_EQ_I(prt_fn_find(&r, &entry_schema, 1, PRT_STR_LIT("c"), 0), 1);
    CHECK_EQ_I(((entry *)prt_rows_at(&r, &entry_schema, 2))->v, 3);
    prt_fn_clear_rows(&r, &entry_schema);
    CHECK_EQ_I((int64_t)r.n, 0);
    free(r.p);
}

TEST(timer_index_order)
{
    prt_fnheap h = { 0 };
    int64_t due[] = { 50, 10, 30, 10, 70, 30, 20 };
    for (int i = 0; i < 7; i++)
        prt_fnheap_push(&h, due[i], i, i % 2, PRT_STR_LIT("k"), 0);
    prt_fntimer_ref r;
    CHECK(!prt_fnheap_pop_due(&h, 9, &r));
    int64_t want_due[] = { 10, 10, 20, 30, 30 }, want_seq[] = { 1, 3, 6, 2, 5 };
    for (int i = 0; i < 5; i++) {
        CHECK(prt_fnheap_pop_due(&h, 40, &r));
        CHECK_EQ_I(r.due, want_due[i]);
        CHECK_EQ_I(r.seq, want_seq[i]);
        CHECK(prt_str_eq(r.skey, PRT_STR_LIT("k")));
        prt_str_release(&r.skey);
    }
    CHECK(!prt_fnheap_pop_due(&h, 40, &r));
    CHECK_EQ_I((int64_t)h.n, 2);
    prt_fnheap_free(&h);
    CHECK_EQ_I(prt_fn_due(INT64_MIN, 5), INT64_MIN);
    CHECK_EQ_I(prt_fn_due(INT64_MAX - 1, 5), INT64_MAX);
    CHECK_EQ_I(prt_fn_due(100, -5), 100);
}

TEST(timers_round_trip)
{
    prt_rows t = { 0 };
    prt_fn_timer_add(&t, 1000, 7, 1, 900, PRT_STR_LIT("\x01\x02"));
    prt_fn_timer_add(&t, 2000, 9, 0, 950, PRT_STR_LIT(""));
    CHECK_EQ_I(prt_fn_timer_find(&t, 9), 1);
    CHECK_EQ_I(prt_fn_timer_find(&t, 8), -1);
    prt_buf b = { 0 };
    prt_schema_encode(&prt_fn_timer_schema, prt_rows_at(&t, &prt_fn_timer_schema, 0), &b);
    prt_fn_timer back;
    prt_err e;
    CHECK(prt_schema_decode(&prt_fn_timer_schema, &back, prt_buf_str(&b), &e) == PRT_OK);
    CHECK_EQ_I(back.due, 1000);
    CHECK(prt_str_eq(back.body, PRT_STR_LIT("\x01\x02")));
    prt_schema_free(&prt_fn_timer_schema, &back);
    prt_buf_free(&b);
    prt_fn_clear_rows(&t, &prt_fn_timer_schema);
    free(t.p);
}

/* A function's state fields evolve like aggregates, and say "state" when they cannot. */
typedef struct st1 {
    int64_t n;
} st1;
typedef struct st2 {
    double n;
    int64_t added;
} st2;
static const prt_field st1_fields[] = {
    { "n", offsetof(st1, n), PRT_S_I64, PRT_V_INT, PRT_AGG_STATE, PRT_P_VALUE, NULL },
};
static const prt_field st2_fields[] = {
    { "n", offsetof(st2, n), PRT_S_F64, PRT_V_FLOAT, PRT_AGG_STATE, PRT_P_VALUE, NULL },
    { "added", offsetof(st2, added), PRT_S_I64, PRT_V_INT, PRT_AGG_STATE, PRT_P_VALUE, NULL },
};
static const prt_schema st1_schema = { "st1", sizeof(st1), 1, st1_fields };
static const prt_schema st2_schema = { "st2", sizeof(st2), 2, st2_fields };
static const prt_schema st2b_schema = { "st2b", sizeof(st2), 1, st2_fields + 1 };

TEST(state_evolution_text)
{
    prt_buf changes = { 0 }, why = { 0 };
    CHECK(!prt_schema_acc_evolves(&st1_schema, &st2_schema, &changes, &why));
    CHECK_EQ_PS(prt_buf_str(&why), "state 'n': float was int");
    changes.n = why.n = 0;
    CHECK(prt_schema_acc_evolves(&st1_schema, &st2b_schema, &changes, &why));
    CHECK_EQ_PS(prt_buf_str(&changes), "added 'added' (starts empty), removed 'n'");
    prt_buf_free(&changes);
    prt_buf_free(&why);
}

/* Function state lives in a running window engine: a key can be forgotten. */
typedef struct ikey {
    int64_t id;
} ikey;
static const prt_field ikey_fields[] = {
    { "id", offsetof(ikey, id), PRT_S_I64, PRT_V_INT, PRT_AGG_NONE, PRT_P_VALUE, NULL },
};
static const prt_schema ikey_schema = { "ikey", sizeof(ikey), 1, ikey_fields };
static int ikey_eq(const void *a, const void *b) { return ((const ikey *)a)->id == ((const ikey *)b)->id; }
static void no_fire(void *ctx, const void *key, uint64_t kh, int64_t start, int64_t end, const void *acc, int64_t ts)
{
    (void)ctx, (void)key, (void)kh, (void)start, (void)end, (void)acc, (void)ts;
}

TEST(remove_key)
{
    static const prt_win_spec spec = { .kind = PRT_WIN_RUNNING };
    static const prt_win_vt vt = { &ikey_schema, &st1_schema, ikey_eq, NULL, no_fire };
    prt_winop *w = prt_winop_new(&spec, &vt, NULL);
    for (int64_t i = 1; i <= 3; i++) {
        ikey k = { i };
        CHECK_EQ_I(prt_winop_add(w, &k, (uint64_t)i, 0), 1);
        ((st1 *)prt_winop_accs(w)[0])->n = 10 * i;
        prt_winop_added(w);
    }
    ikey two = { 2 };
    CHECK(prt_winop_remove(w, &two, 2));
    CHECK(!prt_winop_remove(w, &two, 2));
    CHECK_EQ_I((int64_t)prt_winop_count(w, 128, 0, 127), 2);
    prt_winop_add(w, &two, 2, 0); /* back, empty */
    st1 *a = prt_winop_accs(w)[0];
    CHECK_EQ_I(a->n, 0);
    CHECK(prt_fn_is_empty(a, sizeof *a));
    a->n = 1;
    CHECK(!prt_fn_is_empty(a, sizeof *a));
    prt_winop_added(w);
    CHECK_EQ_I((int64_t)prt_winop_count(w, 128, 0, 127), 3);
    prt_winop_free(w);
}

int main(void)
{
    RUN(queue_order_and_copies);
    RUN(rows_find_remove);
    RUN(timer_index_order);
    RUN(timers_round_trip);
    RUN(state_evolution_text);
    RUN(remove_key);
    return test_summary();
}
