/* prt_gen.c — deterministic synthetic records: seed 001's orders and the Nexmark
 * person/auction/bid streams (see prt_gen.h).
 *
 * Determinism: an own PRNG (xoshiro256** seeded through splitmix64), integer arithmetic only
 * (prices and amounts in cents, timestamps formatted without the C library's time zone code),
 * so the same spec gives the same bytes on every machine. The Nexmark shapes follow the
 * benchmark's generator: one epoch of 50 events holds 1 person, 3 auctions and 46 bids; bids
 * and auctions refer to people and auctions that exist at that point, with hot sellers, hot
 * bidders and hot auctions, and an `extra` field padding records to the benchmark's sizes.
 */
#include "prt_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- PRNG */

typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) without modulo bias (n > 0). */
static uint64_t rng_below(rng *r, uint64_t n)
{
    if (n <= 1)
        return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do
        x = rng_next(r);
    while (x >= limit);
    return x % n;
}

/* ---------------------------------------------------------------- output */

enum { F_KV, F_JSON, F_CSV };

typedef struct out {
    prt_buf *b;
    int fmt;
    int first;
    size_t size; /* format-independent size estimate, for Nexmark's `extra` padding */
} out;

static void o_sep(out *o, const char *name)
{
    if (!o->first)
        prt_buf_putc(o->b, ',');
    o->first = 0;
    if (o->fmt == F_JSON) {
        prt_buf_putc(o->b, '"');
        prt_buf_puts(o->b, name);
        prt_buf_put(o->b, "\":", 2);
    } else if (o->fmt == F_KV) {
        prt_buf_puts(o->b, name);
        prt_buf_putc(o->b, '=');
    }
}

static void o_str(out *o, const char *name, const char *v, size_t n)
{
    o_sep(o, name);
    o->size += n;
    if (o->fmt == F_JSON) {
        prt_buf_putc(o->b, '"');
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)v[i];
            if (c == '"' || c == '\\') {
                prt_buf_putc(o->b, '\\');
                prt_buf_putc(o->b, (char)c);
            } else if (c < 0x20) {
                prt_buf_printf(o->b, "\\u%04x", c);
            } else {
                prt_buf_putc(o->b, (char)c);
            }
        }
        prt_buf_putc(o->b, '"');
    } else if (o->fmt == F_CSV && memchr(v, ',', n)) {
        prt_buf_putc(o->b, '"');
        prt_buf_put(o->b, v, n);
        prt_buf_putc(o->b, '"');
    } else {
        prt_buf_put(o->b, v, n);
    }
}

static void o_cstr(out *o, const char *name, const char *v) { o_str(o, name, v, strlen(v)); }

static void o_int(out *o, const char *name, int64_t v)
{
    o_sep(o, name);
    o->size += 8;
    prt_buf_printf(o->b, "%lld", (long long)v);
}

static void o_cents(out *o, const char *name, int64_t cents) /* cents >= 0 */
{
    o_sep(o, name);
    o->size += 8;
    prt_buf_printf(o->b, "%lld.%02lld", (long long)(cents / 100), (long long)(cents % 100));
}

/* RFC 3339 UTC, milliseconds only when not zero; proleptic Gregorian, no libc time zones. */
static void fmt_ts(char *dst, size_t cap, int64_t ms)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int64_t milli = ms - secs * 1000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    /* civil_from_days (H. Hinnant) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    int n = snprintf(dst, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld", (long long)y,
                     (long long)m, (long long)d, (long long)(sod / 3600),
                     (long long)(sod / 60 % 60), (long long)(sod % 60));
    if (milli && n > 0 && (size_t)n < cap)
        n += snprintf(dst + n, cap - (size_t)n, ".%03lld", (long long)milli);
    if (n > 0 && (size_t)n < cap)
        snprintf(dst + n, cap - (size_t)n, "Z");
}

static void o_ts(out *o, const char *name, int64_t ms)
{
    char t[48];
    fmt_ts(t, sizeof t, ms);
    size_t before = o->size;
    o_str(o, name, t, strlen(t));
    o->size = before + 8; /* counts as a number, like o_int */
}

/* ---------------------------------------------------------------- kinds */

/* Kinds and their field names come from the one schema table the compiler also reads. */
enum {
#define GEN_KIND(id, name) K_##id,
#define GEN_FIELD(id, field, type)
#include "prt_gen_schema.def"
#undef GEN_KIND
#undef GEN_FIELD
    K_COUNT
};

static const char *const kind_names[] = {
#define GEN_KIND(id, name) name,
#define GEN_FIELD(id, field, type)
#include "prt_gen_schema.def"
#undef GEN_KIND
#undef GEN_FIELD
};

/* Every kind's field names, each list ended by the NULL that opens the next one. */
static const char *const all_fields[] = {
#define GEN_KIND(id, name) NULL,
#define GEN_FIELD(id, field, type) field,
#include "prt_gen_schema.def"
#undef GEN_KIND
#undef GEN_FIELD
    NULL
};

struct prt_gen {
    int kind, fmt;
    rng r;
    int64_t start, step, disorder, event_us;
    uint64_t n;           /* records generated so far */
    char hot_urls[4][96]; /* Nexmark bids: the URLs of the hot channels */
};

const char *const *prt_gen_fields(const char *kind)
{
    for (int k = 0; k < K_COUNT; k++) {
        if (!kind || strcmp(kind, kind_names[k]) != 0)
            continue;
        const char *const *f = all_fields;
        for (int seen = 0; seen <= k; f++) /* past the k+1-th NULL */
            if (*f == NULL)
                seen++;
        return f;
    }
    return NULL;
}

static void rand_letters(rng *r, char *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)('a' + rng_below(r, 26));
}

/* Nexmark's nextString: 3..max-1 letters, now and then a space (never first or last). */
static size_t rand_words(rng *r, char *dst, size_t max)
{
    size_t n = 3 + (size_t)rng_below(r, max - 3);
    for (size_t i = 0; i < n; i++)
        dst[i] = (i > 0 && i + 1 < n && rng_below(r, 13) == 0) ? ' ' : (char)('a' + rng_below(r, 26));
    return n;
}

static void base_url(rng *r, char *dst, size_t cap)
{
    char a[5], b[5], c[5];
    rand_letters(r, a, 5);
    rand_letters(r, b, 5);
    rand_letters(r, c, 5);
    snprintf(dst, cap, "https://www.nexmark.com/%.5s/%.5s/%.5s/item.htm?query=1", a, b, c);
}

prt_gen *prt_gen_new(const prt_gen_spec *spec, prt_err *e)
{
    int kind = -1, fmt;
    for (int k = 0; k < K_COUNT; k++)
        if (spec->kind && strcmp(spec->kind, kind_names[k]) == 0)
            kind = k;
    if (kind < 0) {
        prt_errf(e, "unknown generator kind '%s' (expected orders, nexmark_person, "
                 "nexmark_auction or nexmark_bid)", spec->kind ? spec->kind : "");
        return NULL;
    }
    if (spec->format && strcmp(spec->format, "kv") == 0)
        fmt = F_KV;
    else if (spec->format && strcmp(spec->format, "json") == 0)
        fmt = F_JSON;
    else if (spec->format && strcmp(spec->format, "csv") == 0)
        fmt = F_CSV;
    else {
        prt_errf(e, "generator cannot write format '%s' (expected kv, json or csv)",
                 spec->format ? spec->format : "");
        return NULL;
    }
    prt_gen *g = calloc(1, sizeof *g);
    prt_assert(g != NULL);
    g->kind = kind;
    g->fmt = fmt;
    g->start = spec->start_ms;
    g->step = spec->step_ms < 0 ? 0 : spec->step_ms;
    g->disorder = spec->disorder_ms < 0 ? 0 : spec->disorder_ms;
    g->event_us = kind == K_ORDERS || spec->event_step_us < 0 ? 0 : spec->event_step_us;
    /* each kind its own stream, so person and bid streams with one seed do not share text */
    rng_seed(&g->r, spec->seed ^ ((uint64_t)kind * 0x9e3779b97f4a7c15ULL));
    if (kind == K_BID)
        for (int i = 0; i < 4; i++)
            base_url(&g->r, g->hot_urls[i], sizeof g->hot_urls[i]);
    return g;
}

void prt_gen_free(prt_gen *g) { free(g); }

uint64_t prt_gen_count(const prt_gen *g) { return g->n; }

/* Nexmark prices: log-uniform over $1 .. $1,000,000 (in cents), integer-only. */
static int64_t next_price(rng *r)
{
    int64_t base = 100;
    for (uint64_t d = rng_below(r, 6); d > 0; d--)
        base *= 10;
    return base + (int64_t)rng_below(r, (uint64_t)base * 9);
}

static int64_t next_person(rng *r, int64_t last) /* Nexmark's nextBase0PersonId */
{
    int64_t people = last + 1;
    int64_t active = people < 1000 ? people : 1000;
    return people - active + (int64_t)rng_below(r, (uint64_t)active + 10);
}

static int64_t next_auction(rng *r, int64_t last) /* Nexmark's nextBase0AuctionId */
{
    int64_t min = last - 100 > 0 ? last - 100 : 0;
    return min + (int64_t)rng_below(r, (uint64_t)(last - min + 1 + 10));
}

static void extra(out *o, rng *r, size_t avg)
{
    char pad[1024];
    size_t n = 0;
    if (o->size < avg) {
        size_t want = avg - o->size, delta = (want * 2 + 5) / 10; /* +-20% like Nexmark */
        n = want - delta + (delta ? (size_t)rng_below(r, 2 * delta) : 0);
        if (n > sizeof pad)
            n = sizeof pad;
        rand_letters(r, pad, n);
    }
    o_str(o, "extra", pad, n);
}

static const char *const statuses[] = { "CREATED", "PAID", "SHIPPED", "DELIVERED", "CANCELLED" };
static const int status_weight[] = { 20, 25, 25, 20, 10 }; /* percent */
static const char *const regions[] = { "eu-west", "eu-central", "us-east", "us-west", "ap-south" };
static const char *const first_names[] = { "Peter", "Paul", "Luke", "John", "Saul", "Vicky",
                                           "Kate", "Julie", "Sarah", "Deiter", "Walter" };
static const char *const last_names[] = { "Shultz", "Abrams", "Spencer", "White", "Bartels",
                                          "Walton", "Smith", "Jones", "Noris" };
static const char *const us_states[] = { "AZ", "CA", "ID", "OR", "WA", "WY" };
static const char *const us_cities[] = { "Phoenix", "Los Angeles", "San Francisco", "Boise",
                                         "Portland", "Bend", "Redmond", "Seattle", "Kent",
                                         "Cheyenne" };
static const char *const hot_channels[] = { "Google", "Facebook", "Baidu", "Apple" };

#define PICK(r, a) ((a)[rng_below((r), sizeof(a) / sizeof *(a))])

static int64_t nexmark_event(int kind, int64_t i)
{
    switch (kind) {
    case K_PERSON: return i * 50;
    case K_AUCTION: return i / 3 * 50 + 1 + i % 3;
    case K_BID: return i / 46 * 50 + 4 + i % 46;
    default: return -1;
    }
}

int64_t prt_gen_nexmark_event(const char *kind, int64_t i)
{
    for (int k = 0; k < K_COUNT; k++)
        if (kind && strcmp(kind, kind_names[k]) == 0)
            return nexmark_event(k, i);
    return -1;
}

void prt_gen_next(prt_gen *g, prt_buf *line, int64_t *ts)
{
    rng *r = &g->r;
    int64_t i = (int64_t)g->n++;
    int64_t t = g->event_us ? g->start + nexmark_event(g->kind, i) * g->event_us / 1000
                            : g->start + i * g->step;
    if (g->disorder)
        t -= (int64_t)rng_below(r, (uint64_t)g->disorder + 1);
    *ts = t;

    out o = { line, g->fmt, 1, 0 };
    prt_buf_clear(line);
    if (g->fmt == F_JSON)
        prt_buf_putc(line, '{');

    char s[128];
    switch (g->kind) {
    case K_ORDERS: {
        snprintf(s, sizeof s, "customer-%03d", 1 + (int)rng_below(r, 50));
        o_cstr(&o, "customer", s);
        int w = (int)rng_below(r, 100), k = 0;
        while (w >= status_weight[k]) {
            w -= status_weight[k];
            k++;
        }
        o_cstr(&o, "status", statuses[k]);
        o_cstr(&o, "region", PICK(r, regions));
        o_cents(&o, "amount", 500 + (int64_t)rng_below(r, 49501)); /* 5.00 .. 500.00 */
        o_ts(&o, "ts", t);
        break;
    }
    case K_PERSON: {
        o_int(&o, "id", 1000 + i);
        snprintf(s, sizeof s, "%s %s", PICK(r, first_names), PICK(r, last_names));
        o_cstr(&o, "name", s);
        char a[7], b[5];
        rand_letters(r, a, 7);
        rand_letters(r, b, 5);
        snprintf(s, sizeof s, "%.7s@%.5s.com", a, b);
        o_cstr(&o, "email", s);
        snprintf(s, sizeof s, "%04d %04d %04d %04d", (int)rng_below(r, 10000),
                 (int)rng_below(r, 10000), (int)rng_below(r, 10000), (int)rng_below(r, 10000));
        o_cstr(&o, "credit_card", s);
        o_cstr(&o, "city", PICK(r, us_cities));
        o_cstr(&o, "state", PICK(r, us_states));
        o_ts(&o, "date_time", t);
        extra(&o, r, 200);
        break;
    }
    case K_AUCTION: {
        int64_t last_person = i / 3; /* one person per 3 auctions in Nexmark's event mix */
        char name[20], desc[100];
        o_int(&o, "id", 1000 + i);
        size_t nn = rand_words(r, name, sizeof name);
        o_str(&o, "item_name", name, nn);
        size_t dn = rand_words(r, desc, sizeof desc);
        o_str(&o, "description", desc, dn);
        int64_t initial = next_price(r);
        o_int(&o, "initial_bid", initial);
        o_int(&o, "reserve", initial + next_price(r));
        o_ts(&o, "date_time", t);
        o_ts(&o, "expires", t + 10000 + (int64_t)rng_below(r, 110000));
        int64_t seller = rng_below(r, 4) > 0 ? last_person / 100 * 100
                                             : next_person(r, last_person);
        o_int(&o, "seller", 1000 + seller);
        o_int(&o, "category", 10 + (int64_t)rng_below(r, 5));
        extra(&o, r, 500);
        break;
    }
    case K_BID: {
        int64_t epoch = i / 46, last_person = epoch, last_auction = epoch * 3 + 2;
        int64_t auction = rng_below(r, 2) > 0 ? last_auction / 100 * 100
                                              : next_auction(r, last_auction);
        int64_t bidder = rng_below(r, 4) > 0 ? last_person / 100 * 100 + 1
                                             : next_person(r, last_person);
        o_int(&o, "auction", 1000 + auction);
        o_int(&o, "bidder", 1000 + bidder);
        o_int(&o, "price", next_price(r));
        if (rng_below(r, 10) > 0) {
            int c = (int)rng_below(r, 4);
            o_cstr(&o, "channel", hot_channels[c]);
            o_cstr(&o, "url", g->hot_urls[c]);
        } else {
            int c = (int)rng_below(r, 10000);
            char url[128];
            snprintf(s, sizeof s, "channel-%d", c);
            o_cstr(&o, "channel", s);
            base_url(r, url, sizeof url);
            char full[160];
            snprintf(full, sizeof full, "%s&channel_id=%d", url, c);
            o_cstr(&o, "url", full);
        }
        o_ts(&o, "date_time", t);
        extra(&o, r, 100);
        break;
    }
    }
    if (g->fmt == F_JSON)
        prt_buf_putc(line, '}');
}
