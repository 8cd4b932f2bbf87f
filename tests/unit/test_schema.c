/* test_schema.c — the field-table walkers (prt_schema.h): every key type and aggregate kind
 * round-trips through the canonical encoding, deep copy and free; fingerprints change exactly
 * when a key type or an aggregate's function or input type changes; malformed bytes are refused. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "prt_distinct.h"
#include "prt_schema.h"
#include "prt_test.h"

/* A key with every key type, and an accumulator with every aggregate kind, laid out as the
 * generator lays them out. */
typedef struct key_all {
    prt_str s;
    int64_t i;
    double f;
    int b;
    int64_t t;
} key_all;

static const prt_field key_all_fields[] = {
    { "s", offsetof(key_all, s), PRT_S_STR, PRT_V_STRING, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "i", offsetof(key_all, i), PRT_S_I64, PRT_V_INT, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "f", offsetof(key_all, f), PRT_S_F64, PRT_V_FLOAT, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "b", offsetof(key_all, b), PRT_S_BOOL, PRT_V_BOOL, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "t", offsetof(key_all, t), PRT_S_I64, PRT_V_TIMESTAMP, PRT_AGG_NONE, PRT_P_VALUE, NULL },
};
static const prt_schema key_all_schema = { "key_all", sizeof(key_all), 5, key_all_fields };

typedef struct acc_all {
    int64_t n;                 /* count() */
    double total;              /* sum(float) */
    int64_t isum;              /* sum(int) */
    prt_ostr lo;               /* min(string) */
    int lo_has;
    double hi;                 /* max(float) */
    int hi_has;
    double mean_sum;           /* avg(int) */
    int64_t mean_n;
    prt_ostr first;            /* first(string) */
    uint64_t first_seq;
    int first_has;
    int64_t last;              /* last(timestamp) */
    uint64_t last_seq;
    int last_has;
    prt_distinct ids;          /* count_distinct(string) */
    prt_distinct nums;         /* count_distinct(int) */
} acc_all;

#define F(name, member, store, type, agg, part) \
    { name, offsetof(acc_all, member), store, type, agg, part, NULL }
static const prt_field acc_all_fields[] = {
    F("n", n, PRT_S_I64, PRT_V_NONE, PRT_AGG_COUNT, PRT_P_VALUE),
    F("total", total, PRT_S_F64, PRT_V_FLOAT, PRT_AGG_SUM, PRT_P_VALUE),
    F("isum", isum, PRT_S_I64, PRT_V_INT, PRT_AGG_SUM, PRT_P_VALUE),
    F("lo", lo, PRT_S_OSTR, PRT_V_STRING, PRT_AGG_MIN, PRT_P_VALUE),
    F("lo", lo_has, PRT_S_BOOL, PRT_V_STRING, PRT_AGG_MIN, PRT_P_HAS),
    F("hi", hi, PRT_S_F64, PRT_V_FLOAT, PRT_AGG_MAX, PRT_P_VALUE),
    F("hi", hi_has, PRT_S_BOOL, PRT_V_FLOAT, PRT_AGG_MAX, PRT_P_HAS),
    F("mean", mean_sum, PRT_S_F64, PRT_V_INT, PRT_AGG_AVG, PRT_P_SUM),
    F("mean", mean_n, PRT_S_I64, PRT_V_INT, PRT_AGG_AVG, PRT_P_N),
    F("first", first, PRT_S_OSTR, PRT_V_STRING, PRT_AGG_FIRST, PRT_P_VALUE),
    F("first", first_seq, PRT_S_U64, PRT_V_STRING, PRT_AGG_FIRST, PRT_P_SEQ),
    F("first", first_has, PRT_S_BOOL, PRT_V_STRING, PRT_AGG_FIRST, PRT_P_HAS),
    F("last", last, PRT_S_I64, PRT_V_TIMESTAMP, PRT_AGG_LAST, PRT_P_VALUE),
    F("last", last_seq, PRT_S_U64, PRT_V_TIMESTAMP, PRT_AGG_LAST, PRT_P_SEQ),
    F("last", last_has, PRT_S_BOOL, PRT_V_TIMESTAMP, PRT_AGG_LAST, PRT_P_HAS),
    F("ids", ids, PRT_S_DISTINCT, PRT_V_STRING, PRT_AGG_COUNT_DISTINCT, PRT_P_VALUE),
    F("nums", nums, PRT_S_DISTINCT, PRT_V_INT, PRT_AGG_COUNT_DISTINCT, PRT_P_VALUE),
};
#define NFIELDS(a) (uint32_t)(sizeof a / sizeof a[0])
static const prt_schema acc_all_schema = { "acc_all", sizeof(acc_all), NFIELDS(acc_all_fields), acc_all_fields };

/* A join buffer: a list of rows. */
typedef struct row2 {
    prt_str name;
    int64_t v;
} row2;
static const prt_field row2_fields[] = {
    { "name", offsetof(row2, name), PRT_S_STR, PRT_V_STRING, PRT_AGG_NONE, PRT_P_VALUE, NULL },
    { "v", offsetof(row2, v), PRT_S_I64, PRT_V_INT, PRT_AGG_NONE, PRT_P_VALUE, NULL },
};
static const prt_schema row2_schema = { "row2", sizeof(row2), 2, row2_fields };
typedef struct buf2 {
    prt_rows left, right;
} buf2;
static const prt_field buf2_fields[] = {
    { "left", offsetof(buf2, left), PRT_S_ROWS, PRT_V_NONE, PRT_AGG_NONE, PRT_P_VALUE, &row2_schema },
    { "right", offsetof(buf2, right), PRT_S_ROWS, PRT_V_NONE, PRT_AGG_NONE, PRT_P_VALUE, &row2_schema },
};
static const prt_schema buf2_schema = { "buf2", sizeof(buf2), 2, buf2_fields };

static void fill_acc(acc_all *a)
{
    memset(a, 0, sizeof *a);
    a->n = 7;
    a->total = -0.0; /* exact bits survive */
    a->isum = INT64_MIN;
    prt_ostr_set(&a->lo, PRT_STR_LIT("apple"));
    a->lo_has = 1;
    a->hi = 1e300;
    a->hi_has = 1;
    a->mean_sum = 10.5;
    a->mean_n = 3;
    prt_ostr_set(&a->first, PRT_STR_LIT("")); /* an empty string that was seen */
    a->first_seq = 42;
    a->first_has = 1;
    a->last = -1;
    a->last_seq = UINT64_MAX;
    a->last_has = 1;
    prt_distinct_add_str(&a->ids, PRT_STR_LIT("b"));
    prt_distinct_add_str(&a->ids, PRT_STR_LIT("a"));
    prt_distinct_add_str(&a->ids, PRT_STR_LIT(""));
    for (uint64_t i = 0; i < 100; i++)
        prt_distinct_add_u64(&a->nums, i * 7919);
}

static int same_bytes(const prt_schema *s, const void *x, const void *y)
{
    prt_buf a = { 0 }, b = { 0 };
    prt_schema_encode(s, x, &a);
    prt_schema_encode(s, y, &b);
    int eq = a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
    prt_buf_free(&a);
    prt_buf_free(&b);
    return eq;
}

TEST(key_round_trip)
{
    key_all k = { PRT_STR_LIT("SHIPPED"), -5, NAN, 1, 1716467696000 }, back, copy;
    prt_buf b = { 0 };
    prt_err e;
    prt_schema_encode(&key_all_schema, &k, &b);
    CHECK_EQ_I(b.n, 1 + 7 + 8 + 8 + 1 + 8);
    CHECK(prt_schema_decode(&key_all_schema, &back, prt_buf_str(&b), &e) == PRT_OK);
    CHECK_EQ_PS(back.s, "SHIPPED");
    CHECK(back.s.p != k.s.p); /* owned copy */
    CHECK_EQ_I(back.i, -5);
    CHECK(isnan(back.f));
    CHECK_EQ_I(back.b, 1);
    CHECK_EQ_I(back.t, 1716467696000);
    prt_schema_copy(&key_all_schema, &copy, &back);
    CHECK(same_bytes(&key_all_schema, &copy, &k));
    prt_schema_free(&key_all_schema, &back);
    prt_schema_free(&key_all_schema, &copy);
    CHECK(back.s.p == NULL && copy.s.p == NULL);
    prt_buf_free(&b);
}

TEST(int_keys_sort_as_numbers)
{
    int64_t v[] = { INT64_MIN, -2, -1, 0, 1, 255, 256, INT64_MAX };
    prt_buf prev = { 0 };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        key_all k = { PRT_STR_LIT("x"), v[i], 0, 0, 0 };
        prt_buf cur = { 0 };
        prt_schema_encode(&key_all_schema, &k, &cur);
        if (i)
            CHECK(prt_str_cmp(prt_buf_str(&prev), prt_buf_str(&cur)) < 0);
        prt_buf_free(&prev);
        prev = cur;
    }
    prt_buf_free(&prev);
}

TEST(accumulator_round_trip)
{
    acc_all a, back, copy;
    prt_buf b = { 0 };
    prt_err e;
    fill_acc(&a);
    prt_schema_encode(&acc_all_schema, &a, &b);
    CHECK(prt_schema_decode(&acc_all_schema, &back, prt_buf_str(&b), &e) == PRT_OK);
    CHECK_EQ_I(back.n, 7);
    CHECK(back.total == 0.0 && signbit(back.total));
    CHECK_EQ_I(back.isum, INT64_MIN);
    CHECK_EQ_PS(prt_ostr_str(&back.lo), "apple");
    CHECK(back.hi == 1e300 && back.hi_has && back.lo_has);
    CHECK(back.mean_sum == 10.5 && back.mean_n == 3);
    CHECK_EQ_I(back.first.n, 0);
    CHECK(back.first_has && back.first_seq == 42);
    CHECK(back.last == -1 && back.last_seq == UINT64_MAX && back.last_has);
    CHECK_EQ_I(prt_distinct_count(&back.ids), 3);
    CHECK_EQ_I(prt_distinct_count(&back.nums), 100);
    CHECK(same_bytes(&acc_all_schema, &a, &back)); /* canonical: sets encode sorted */
    prt_schema_copy(&acc_all_schema, &copy, &a);
    prt_schema_free(&acc_all_schema, &a); /* the copy owns its own */
    CHECK(same_bytes(&acc_all_schema, &copy, &back));
    prt_schema_free(&acc_all_schema, &copy);
    prt_schema_free(&acc_all_schema, &back);
    prt_buf_free(&b);
}

TEST(empty_accumulator_is_zero)
{
    acc_all z = { 0 }, back;
    prt_buf b = { 0 };
    prt_err e;
    prt_schema_encode(&acc_all_schema, &z, &b);
    CHECK(prt_schema_decode(&acc_all_schema, &back, prt_buf_str(&b), &e) == PRT_OK);
    CHECK(same_bytes(&acc_all_schema, &z, &back));
    CHECK(prt_distinct_count(&back.ids) == 0 && back.lo.p == NULL);
    prt_schema_free(&acc_all_schema, &back);
    prt_buf_free(&b);
}

TEST(distinct_sets_encode_in_order)
{
    prt_distinct a = { 0 }, b = { 0 };
    prt_buf x = { 0 }, y = { 0 };
    for (uint64_t i = 0; i < 1000; i++) {
        prt_distinct_add_u64(&a, i);
        prt_distinct_add_u64(&b, 999 - i);
    }
    prt_distinct_add_str(&a, PRT_STR_LIT("q"));
    prt_distinct_add_str(&a, PRT_STR_LIT("p"));
    prt_distinct_add_str(&b, PRT_STR_LIT("p"));
    prt_distinct_add_str(&b, PRT_STR_LIT("q"));
    prt_distinct_encode(&a, &x);
    prt_distinct_encode(&b, &y);
    CHECK(x.n == y.n && memcmp(x.p, y.p, x.n) == 0);
    prt_distinct_clear(&a);
    prt_distinct_clear(&b);
    prt_buf_free(&x);
    prt_buf_free(&y);
}

TEST(rows_round_trip)
{
    buf2 a = { 0 }, back;
    prt_buf b = { 0 };
    prt_err e;
    for (int i = 0; i < 5; i++) {
        row2 *r = prt_rows_push(&a.left, &row2_schema);
        r->name = prt_str_dup(i % 2 ? PRT_STR_LIT("odd") : PRT_STR_LIT("even"));
        r->v = i;
    }
    row2 *r = prt_rows_push(&a.right, &row2_schema);
    r->name = prt_str_dup(PRT_STR_LIT("r"));
    prt_schema_encode(&buf2_schema, &a, &b);
    CHECK(prt_schema_decode(&buf2_schema, &back, prt_buf_str(&b), &e) == PRT_OK);
    CHECK_EQ_I(back.left.n, 5);
    CHECK_EQ_I(back.right.n, 1);
    CHECK_EQ_PS(((row2 *)prt_rows_at(&back.left, &row2_schema, 3))->name, "odd");
    CHECK_EQ_I(((row2 *)prt_rows_at(&back.left, &row2_schema, 4))->v, 4);
    CHECK(same_bytes(&buf2_schema, &a, &back));
    prt_schema_free(&buf2_schema, &a);
    prt_schema_free(&buf2_schema, &back);
    prt_buf_free(&b);
}

/* Every truncation and a byte too many are refused, naming the struct; nothing leaks (ASan). */
TEST(malformed_refused)
{
    acc_all a, back;
    prt_buf b = { 0 };
    prt_err e;
    fill_acc(&a);
    prt_schema_encode(&acc_all_schema, &a, &b);
    for (size_t n = 0; n < b.n; n++) {
        if (prt_schema_decode(&acc_all_schema, &back, (prt_str){ b.p, n }, &e) == PRT_OK) {
            TEST_FAIL("a truncation to %zu of %zu bytes decoded", n, b.n);
            prt_schema_free(&acc_all_schema, &back);
            break;
        }
        if (strncmp(e.msg, "acc_all: ", 9) != 0) {
            TEST_FAIL("reason '%s' does not name the struct", e.msg);
            break;
        }
    }
    prt_buf_putc(&b, 0);
    CHECK(prt_schema_decode(&acc_all_schema, &back, prt_buf_str(&b), &e) == PRT_ERR);
    CHECK_EQ_S(e.msg, "acc_all: 1 bytes left over after the last field");
    key_all k = { PRT_STR_LIT("x"), 0, 0, 1, 0 };
    prt_buf kb = { 0 };
    prt_schema_encode(&key_all_schema, &k, &kb);
    kb.p[1 + 1 + 8 + 8] = 2; /* a bool that is neither 0 nor 1 */
    key_all kback;
    CHECK(prt_schema_decode(&key_all_schema, &kback, prt_buf_str(&kb), &e) == PRT_ERR);
    CHECK_EQ_S(e.msg, "key_all: field 'b' is malformed or truncated");
    prt_schema_free(&acc_all_schema, &a);
    prt_buf_free(&b);
    prt_buf_free(&kb);
}

/* ---- fingerprints ---- */

static uint64_t key_fp_with(const prt_field *fields, uint32_t n)
{
    prt_schema s = { "k", 64, n, fields };
    return prt_schema_key_fp(&s);
}

TEST(key_fingerprint)
{
    prt_field f[5];
    memcpy(f, key_all_fields, sizeof f);
    uint64_t base = key_fp_with(f, 5);
    CHECK(base == prt_schema_key_fp(&key_all_schema));
    f[0].name = "renamed"; /* names do not count: the bytes are the same */
    f[1].offset = 40;      /* nor does the C layout */
    CHECK(key_fp_with(f, 5) == base);
    f[1].type = PRT_V_TIMESTAMP; /* int -> timestamp: a key type changed */
    CHECK(key_fp_with(f, 5) != base);
    memcpy(f, key_all_fields, sizeof f);
    f[2].store = PRT_S_I64; /* float -> int */
    f[2].type = PRT_V_INT;
    CHECK(key_fp_with(f, 5) != base);
    CHECK(key_fp_with(key_all_fields, 4) != base); /* a key field less */
    prt_field swapped[5];
    memcpy(swapped, key_all_fields, sizeof swapped);
    swapped[0] = key_all_fields[1];
    swapped[1] = key_all_fields[0];
    CHECK(key_fp_with(swapped, 5) != base); /* (int, string) is another key than (string, int) */
}

static uint64_t agg_fp_with(const prt_field *fields, uint32_t n, const char *agg)
{
    prt_schema s = { "a", sizeof(acc_all), n, fields };
    return prt_schema_agg_fp(&s, agg);
}

TEST(aggregate_fingerprint)
{
    enum { N = NFIELDS(acc_all_fields) };
    const char *aggs[] = { "n", "total", "isum", "lo", "hi", "mean", "first", "last", "ids", "nums" };
    uint64_t base[10];
    for (int i = 0; i < 10; i++) {
        base[i] = prt_schema_agg_fp(&acc_all_schema, aggs[i]);
        CHECK(base[i] != 0);
    }
    CHECK(prt_schema_agg_fp(&acc_all_schema, "nope") == 0);
    /* sum(float) and sum(int) differ; count_distinct(string) and (int) differ */
    CHECK(base[1] != base[2]);
    CHECK(base[8] != base[9]);

    /* removing, reordering and adding aggregates leaves the others unchanged */
    prt_field f[N + 1];
    memcpy(f, acc_all_fields + 1, sizeof acc_all_fields - sizeof acc_all_fields[0]); /* count removed */
    f[N - 1] = acc_all_fields[0];                                                      /* ... and put last */
    f[N] = (prt_field){ "extra", 0, PRT_S_I64, PRT_V_INT, PRT_AGG_SUM, PRT_P_VALUE, NULL };
    for (int i = 0; i < 10; i++)
        CHECK(agg_fp_with(f, N + 1, aggs[i]) == base[i]);

    /* an aggregate's function or input type changes its fingerprint, and only its own */
    memcpy(f, acc_all_fields, sizeof acc_all_fields);
    f[5].agg = f[6].agg = PRT_AGG_MIN; /* hi: max -> min */
    CHECK(agg_fp_with(f, N, "hi") != base[4]);
    CHECK(agg_fp_with(f, N, "lo") == base[3]);
    memcpy(f, acc_all_fields, sizeof acc_all_fields);
    f[7].type = f[8].type = PRT_V_FLOAT; /* mean: avg(int) -> avg(float), same storage */
    CHECK(agg_fp_with(f, N, "mean") != base[5]);
    CHECK(agg_fp_with(f, N, "first") == base[6]);
    memcpy(f, acc_all_fields, sizeof acc_all_fields);
    f[12].type = f[13].type = f[14].type = PRT_V_INT; /* last: timestamp -> int */
    CHECK(agg_fp_with(f, N, "last") != base[7]);
    memcpy(f, acc_all_fields, sizeof acc_all_fields);
    f[0].name = "renamed_count"; /* a rename is not a change of the state */
    CHECK(agg_fp_with(f, N, "renamed_count") == base[0]);
}

int main(void)
{
    RUN(key_round_trip);
    RUN(int_keys_sort_as_numbers);
    RUN(accumulator_round_trip);
    RUN(empty_accumulator_is_zero);
    RUN(distinct_sets_encode_in_order);
    RUN(rows_round_trip);
    RUN(malformed_refused);
    RUN(key_fingerprint);
    RUN(aggregate_fingerprint);
    return test_summary();
}
