/* test_gen.c — generators: fixed expected first records (deterministic on every machine),
 * same spec same bytes, formats, disorder bounds, Nexmark id relations, errors. */
#include "prt_gen.h"
#include "prt_test.h"

#include <stdlib.h>

#define T0 1716467696000LL /* 2024-05-23T12:34:56Z */

static prt_gen *mk(const char *kind, const char *fmt, uint64_t seed, int64_t step, int64_t dis)
{
    prt_gen_spec sp = { kind, fmt, seed, T0, step, dis, 0 };
    prt_err e;
    prt_gen *g = prt_gen_new(&sp, &e);
    prt_assert(g != NULL);
    return g;
}

/* The next record as a C string (valid until the next call). */
static const char *next(prt_gen *g, prt_buf *b, int64_t *ts)
{
    int64_t t;
    prt_gen_next(g, b, ts ? ts : &t);
    prt_buf_putc(b, '\0');
    b->n--;
    return b->p;
}

TEST(orders_golden)
{
    prt_buf b = { 0 };
    int64_t ts;
    prt_gen *g = mk("orders", "kv", 1, 1000, 0);
    CHECK_EQ_S(next(g, &b, &ts), "customer=customer-008,status=PAID,region=eu-west,amount=169.96,ts=2024-05-23T12:34:56Z");
    CHECK_EQ_I(ts, T0);
    CHECK_EQ_S(next(g, &b, &ts), "customer=customer-022,status=SHIPPED,region=eu-central,amount=64.74,ts=2024-05-23T12:34:57Z");
    CHECK_EQ_I(ts, T0 + 1000);
    CHECK_EQ_S(next(g, &b, &ts), "customer=customer-022,status=CREATED,region=eu-central,amount=315.95,ts=2024-05-23T12:34:58Z");
    CHECK_EQ_I(prt_gen_count(g), 3);
    prt_gen_free(g);

    g = mk("orders", "json", 1, 1000, 0);
    CHECK_EQ_S(next(g, &b, NULL), "{\"customer\":\"customer-008\",\"status\":\"PAID\",\"region\":\"eu-west\",\"amount\":169.96,\"ts\":\"2024-05-23T12:34:56Z\"}");
    prt_gen_free(g);
    g = mk("orders", "csv", 1, 1000, 0);
    CHECK_EQ_S(next(g, &b, NULL), "customer-008,PAID,eu-west,169.96,2024-05-23T12:34:56Z");
    prt_gen_free(g);
    prt_buf_free(&b);
}

TEST(nexmark_golden)
{
    prt_buf b = { 0 };
    prt_gen *g = mk("nexmark_bid", "kv", 1, 1000, 0);
    CHECK_EQ_S(next(g, &b, NULL), "auction=1000,bidder=1001,price=23215,channel=Apple,url=https://www.nexmark.com/zphla/bnrhz/nqbqt/item.htm?query=1,date_time=2024-05-23T12:34:56Z,extra=spkso");
    CHECK_EQ_S(next(g, &b, NULL), "auction=1007,bidder=1001,price=136,channel=Google,url=https://www.nexmark.com/nyzst/bnhej/uzzpt/item.htm?query=1,date_time=2024-05-23T12:34:57Z,extra=tlu");
    prt_gen_free(g);
    g = mk("nexmark_person", "kv", 1, 1000, 0);
    const char *p = next(g, &b, NULL);
    const char *want = "id=1000,name=Sarah Noris,email=imsppcb@ehsgy.com,credit_card=4323 6188 9169 7172,city=Los Angeles,state=OR,date_time=2024-05-23T12:34:56Z,extra=zvgfixttxw";
    CHECK(strncmp(p, want, strlen(want)) == 0);
    prt_gen_free(g);
    g = mk("nexmark_auction", "kv", 1, 1000, 0);
    p = next(g, &b, NULL);
    want = "id=1000,item_name=m fdix,description=qtxpjnsatdhecnpajygyvdfuitlcwwdu,initial_bid=790617,reserve=791313,date_time=2024-05-23T12:34:56Z,expires=2024-05-23T12:36:18.937Z,seller=1000,category=13,extra=xemzmrcg";
    CHECK(strncmp(p, want, strlen(want)) == 0);
    if (strncmp(p, want, strlen(want)) != 0)
        printf("     got %s\n", p);
    prt_gen_free(g);
    prt_buf_free(&b);
}

TEST(same_spec_same_bytes)
{
    static const char *const kinds[] = { "orders", "nexmark_person", "nexmark_auction", "nexmark_bid" };
    static const char *const fmts[] = { "kv", "json", "csv", NULL };
    prt_buf a = { 0 }, b = { 0 };
    for (int k = 0; k < 4; k++)
        for (int f = 0; f < 3; f++) {
            prt_gen *g1 = mk(kinds[k], fmts[f], 42, 7, 300), *g2 = mk(kinds[k], fmts[f], 42, 7, 300);
            prt_gen *g3 = mk(kinds[k], fmts[f], 43, 7, 300);
            int differs = 0;
            for (int i = 0; i < 5000; i++) {
                int64_t t1, t2, t3;
                prt_gen_next(g1, &a, &t1);
                prt_gen_next(g2, &b, &t2);
                if (!prt_str_eq(prt_buf_str(&a), prt_buf_str(&b)) || t1 != t2) {
                    TEST_FAIL("%s/%s record %d differs between two identical generators", kinds[k], fmts[f], i);
                    break;
                }
                prt_gen_next(g3, &b, &t3);
                differs |= !prt_str_eq(prt_buf_str(&a), prt_buf_str(&b));
            }
            CHECK(differs); /* another seed, other records */
            prt_gen_free(g1);
            prt_gen_free(g2);
            prt_gen_free(g3);
        }
    prt_buf_free(&a);
    prt_buf_free(&b);
}

TEST(orders_shape)
{
    prt_buf b = { 0 };
    prt_gen *g = mk("orders", "kv", 7, 1, 0);
    int customers[51] = { 0 }, cancelled = 0;
    for (int i = 0; i < 20000; i++) {
        const char *l = next(g, &b, NULL);
        int c = 0;
        char status[16], region[16];
        int whole, cents;
        if (sscanf(l, "customer=customer-%3d,status=%15[A-Z],region=%15[a-z-],amount=%d.%2d,ts=", &c,
                   status, region, &whole, &cents) != 5 || c < 1 || c > 50) {
            TEST_FAIL("unexpected order '%s'", l);
            break;
        }
        customers[c] = 1;
        cancelled += strcmp(status, "CANCELLED") == 0;
        CHECK(whole >= 5 && whole <= 500);
        CHECK(strlen(strstr(l, "amount=")) > 0 && strchr(strstr(l, "amount="), '.')[3] == ',');
    }
    int seen = 0;
    for (int c = 1; c <= 50; c++)
        seen += customers[c];
    CHECK_EQ_I(seen, 50);
    CHECK(cancelled > 1000 && cancelled < 3000); /* about 10% */
    prt_gen_free(g);
    prt_buf_free(&b);
}

TEST(event_times)
{
    prt_buf b = { 0 };
    prt_gen *g = mk("orders", "kv", 3, 10, 0);
    int64_t ts;
    for (int i = 0; i < 100; i++) {
        prt_gen_next(g, &b, &ts);
        CHECK_EQ_I(ts, T0 + i * 10);
    }
    prt_gen_free(g);
    /* disorder: each time moved back by 0..disorder, and some are */
    g = mk("nexmark_bid", "json", 3, 10, 500);
    int moved = 0, maxed = 0;
    for (int i = 0; i < 10000; i++) {
        prt_gen_next(g, &b, &ts);
        int64_t nominal = T0 + (int64_t)i * 10;
        if (ts > nominal || ts < nominal - 500)
            TEST_FAIL("record %d at %lld outside [%lld, %lld]", i, (long long)ts,
                      (long long)(nominal - 500), (long long)nominal);
        moved += ts != nominal;
        maxed += ts == nominal - 500;
    }
    CHECK(moved > 9000);
    CHECK(maxed > 0);
    prt_gen_free(g);
    /* milliseconds are shown when not zero */
    prt_gen_spec sp = { "orders", "kv", 1, T0 + 250, 0, 0, 0 };
    prt_err e;
    g = prt_gen_new(&sp, &e);
    CHECK(strstr(next(g, &b, NULL), ",ts=2024-05-23T12:34:56.250Z") != NULL);
    prt_gen_free(g);
    prt_buf_free(&b);
}

TEST(nexmark_relations)
{
    prt_buf b = { 0 };
    prt_gen *g = mk("nexmark_bid", "csv", 9, 1, 0);
    for (int i = 0; i < 46 * 300; i++) {
        long long auction, bidder, price;
        char channel[32];
        const char *l = next(g, &b, NULL);
        if (sscanf(l, "%lld,%lld,%lld,%31[^,],https://www.nexmark.com/", &auction, &bidder, &price, channel) != 4) {
            TEST_FAIL("unexpected bid '%s'", l);
            break;
        }
        long long epoch = i / 46;
        /* auctions and people that exist (or are about to, as in Nexmark's lead) */
        CHECK(auction >= 1000 && auction <= 1000 + epoch * 3 + 2 + 10);
        CHECK(bidder >= 1000 && bidder <= 1000 + epoch + 10);
        CHECK(price >= 100 && price < 100000000);
        if (strncmp(channel, "channel-", 8) == 0)
            CHECK(strstr(l, "&channel_id=") != NULL);
    }
    prt_gen_free(g);
    g = mk("nexmark_auction", "json", 9, 1, 0);
    for (int i = 0; i < 1000; i++) {
        const char *l = next(g, &b, NULL);
        char want[32];
        snprintf(want, sizeof want, "{\"id\":%d,", 1000 + i);
        CHECK(strncmp(l, want, strlen(want)) == 0);
        CHECK(strlen(l) > 400 && strlen(l) < 800); /* padded towards Nexmark's 500 bytes */
    }
    prt_gen_free(g);
    prt_buf_free(&b);
}

TEST(errors_and_fields)
{
    prt_err e;
    prt_gen_spec sp = { "trades", "kv", 1, 0, 1, 0, 0 };
    CHECK(prt_gen_new(&sp, &e) == NULL);
    CHECK_EQ_S(e.msg, "unknown generator kind 'trades' (expected orders, nexmark_person, nexmark_auction or nexmark_bid)");
    prt_gen_spec sp2 = { "orders", "avro", 1, 0, 1, 0, 0 };
    CHECK(prt_gen_new(&sp2, &e) == NULL);
    CHECK_EQ_S(e.msg, "generator cannot write format 'avro' (expected kv, json or csv)");
    const char *const *f = prt_gen_fields("orders");
    CHECK(f != NULL);
    if (f) {
        CHECK_EQ_S(f[0], "customer");
        CHECK_EQ_S(f[4], "ts");
        CHECK(f[5] == NULL);
    }
    f = prt_gen_fields("nexmark_bid");
    CHECK(f != NULL);
    if (f)
        CHECK_EQ_S(f[6], "extra");
    CHECK(prt_gen_fields("nope") == NULL);
}

int main(void)
{
    RUN(orders_golden);
    RUN(nexmark_golden);
    RUN(same_spec_same_bytes);
    RUN(orders_shape);
    RUN(event_times);
    RUN(nexmark_relations);
    RUN(errors_and_fields);
    return test_summary();
}
