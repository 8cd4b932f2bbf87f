/* test_format.c — unit tests of prt_format: the kv, csv and json tokenizers (values, errors with
 * their messages and byte offsets) and the json/csv/kv writers, including writer→parser round trips.
 */
#include "prt_format.h"
#include "prt_scalar.h"
#include "prt_test.h"

#include <math.h>
#include <stdlib.h>

static prt_scratch scratch;
static char out[4096];

/* ---- kv ---- */

/* Renders all pairs as "k=v|k=v|" or "ERR: msg". */
static const char *kv(const char *line)
{
    prt_kv_iter it;
    prt_str k, v;
    prt_err e;
    int r;
    size_t n = 0;
    out[0] = 0;
    prt_kv_init(&it, prt_str_c(line));
    while ((r = prt_kv_next(&it, &k, &v, &e)) == 1)
        n += (size_t)snprintf(out + n, sizeof out - n, "%.*s=%.*s|", (int)k.n, k.p, (int)v.n, v.p);
    if (r == PRT_ERR)
        snprintf(out, sizeof out, "ERR: %s", e.msg);
    return out;
}

TEST(kv_pairs)
{
    CHECK_EQ_S(kv("a=1,b=x"), "a=1|b=x|");
    CHECK_EQ_S(kv(""), "");
    CHECK_EQ_S(kv("a=1"), "a=1|");
    CHECK_EQ_S(kv("a="), "a=|");
    CHECK_EQ_S(kv("a=,b="), "a=|b=|");
    CHECK_EQ_S(kv(" a = 1 , b\t=\tx y "), "a=1|b=x y|");
    CHECK_EQ_S(kv("a=1,,b=2"), "a=1|b=2|");
    CHECK_EQ_S(kv("a=1,b=2,"), "a=1|b=2|");
    CHECK_EQ_S(kv(",a=1"), "a=1|");
    CHECK_EQ_S(kv(",,,"), "");
    CHECK_EQ_S(kv(" , \t,"), "");
    CHECK_EQ_S(kv("url=http://x/?q=1&r=2"), "url=http://x/?q=1&r=2|"); /* split on the first '=' */
    CHECK_EQ_S(kv("a==1"), "a==1|");
    CHECK_EQ_S(kv("a=1,a=2"), "a=1|a=2|"); /* duplicates are reported; the schema decides */
    CHECK_EQ_S(kv("customer=c1,status=PAID,region=eu,amount=12.5,ts=2024-05-23T12:34:56Z"),
               "customer=c1|status=PAID|region=eu|amount=12.5|ts=2024-05-23T12:34:56Z|");
    CHECK_EQ_S(kv("k=\"quoted, not\""), "ERR: invalid kv at byte 11: pair without '='"); /* no quoting */
}

TEST(kv_errors)
{
    CHECK_EQ_S(kv("a"), "ERR: invalid kv at byte 0: pair without '='");
    CHECK_EQ_S(kv("a=1,b"), "ERR: invalid kv at byte 4: pair without '='");
    CHECK_EQ_S(kv("a=1,  b  ,c=2"), "ERR: invalid kv at byte 6: pair without '='");
    CHECK_EQ_S(kv("=1"), "ERR: invalid kv at byte 0: empty key");
    CHECK_EQ_S(kv("a=1, =2"), "ERR: invalid kv at byte 5: empty key");
    CHECK_EQ_S(kv("a=1,\t= "), "ERR: invalid kv at byte 5: empty key");
    /* pairs before the error were delivered */
    prt_kv_iter it;
    prt_str k, v;
    prt_err e;
    prt_kv_init(&it, prt_str_c("x=1,bad,y=2"));
    CHECK_EQ_I(prt_kv_next(&it, &k, &v, &e), 1);
    CHECK_EQ_PS(k, "x");
    CHECK_EQ_I(prt_kv_next(&it, &k, &v, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "invalid kv at byte 4: pair without '='");
}

TEST(kv_slices)
{
    /* values are slices of the line (no copies), and only line.n bytes are read */
    const char *line = "a=1,b=2XXXX";
    prt_kv_iter it;
    prt_str k, v;
    prt_err e;
    prt_kv_init(&it, (prt_str){ line, 7 });
    CHECK_EQ_I(prt_kv_next(&it, &k, &v, &e), 1);
    CHECK(k.p == line && v.p == line + 2);
    CHECK_EQ_I(prt_kv_next(&it, &k, &v, &e), 1);
    CHECK_EQ_PS(v, "2");
    CHECK_EQ_I(prt_kv_next(&it, &k, &v, &e), 0);
    CHECK_EQ_I(prt_kv_next(&it, &k, &v, &e), 0);
    prt_kv_init(&it, (prt_str){ NULL, 0 });
    CHECK_EQ_I(prt_kv_next(&it, &k, &v, &e), 0);
}

/* Each of a pair's four edges (key start and end, value start and end) with a space, a tab or
 * a control character (kept: only spaces and tabs are blanks), values holding '=', pairs at the
 * line's ends, long lines and many pairs. */
TEST(kv_edges)
{
    CHECK_EQ_S(kv(" a=1"), "a=1|");
    CHECK_EQ_S(kv("a =1"), "a=1|");
    CHECK_EQ_S(kv("a= 1"), "a=1|");
    CHECK_EQ_S(kv("a=1 "), "a=1|");
    CHECK_EQ_S(kv("\ta=1,b\t=2,c=\t3,d=4\t"), "a=1|b=2|c=3|d=4|");
    CHECK_EQ_S(kv("a= ,b=\t"), "a=|b=|");
    CHECK_EQ_S(kv("\x01a=1\x01,b=\x02"), "\x01a=1\x01|b=\x02|");
    CHECK_EQ_S(kv("a=x y,b=x\ty"), "a=x y|b=x\ty|"); /* inner blanks stay */
    CHECK_EQ_S(kv("a=b= ,c=d"), "a=b=|c=d|");
    CHECK_EQ_S(kv("a==,b"), "ERR: invalid kv at byte 4: pair without '='");
    CHECK_EQ_S(kv(" = 1"), "ERR: invalid kv at byte 1: empty key");
    CHECK_EQ_S(kv("a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,o=15,p=16,q=17,r=18"),
               "a=1|b=2|c=3|d=4|e=5|f=6|g=7|h=8|i=9|j=10|k=11|l=12|m=13|n=14|o=15|p=16|q=17|r=18|");
    CHECK_EQ_S(kv("a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,o=15,p=16,q=17,=18"),
               "ERR: invalid kv at byte 76: empty key");
    const char *key72 = "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk";
    char line[256], want[256];
    snprintf(line, sizeof line, "%s=v,w=%s", key72, key72);
    snprintf(want, sizeof want, "%s=v|w=%s|", key72, key72);
    CHECK_EQ_S(kv(line), want);
    CHECK_EQ_S(kv(",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,a=1,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"), "a=1|");
    /* a line in the middle of a buffer: nothing after line.n is read (the ",x" would be a pair) */
    const char *mid = "XX=,a=1,b=2 ,x";
    prt_kv_iter it;
    prt_str k, v;
    prt_err e;
    prt_kv_init(&it, (prt_str){ mid + 4, 9 });
    CHECK_EQ_I(prt_kv_next(&it, &k, &v, &e), 1);
    CHECK_EQ_I(prt_kv_next(&it, &k, &v, &e), 1);
    CHECK_EQ_PS(v, "2");
    CHECK_EQ_I(prt_kv_next(&it, &k, &v, &e), 0);
}

/* ---- csv ---- */

static const char *csv_d(const char *line, char delim, int max)
{
    prt_str cols[16];
    prt_err e;
    int n = prt_csv_split(prt_str_c(line), delim, cols, max, NULL, &scratch, &e);
    if (n == PRT_ERR) {
        snprintf(out, sizeof out, "ERR: %s", e.msg);
        return out;
    }
    size_t o = (size_t)snprintf(out, sizeof out, "%d:", n);
    for (int i = 0; i < n && i < max; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "[%.*s]", (int)cols[i].n, cols[i].p);
    prt_scratch_reset(&scratch);
    return out;
}
static const char *csv(const char *line) { return csv_d(line, ',', 16); }

TEST(csv_split)
{
    CHECK_EQ_S(csv("a,b,c"), "3:[a][b][c]");
    CHECK_EQ_S(csv(""), "1:[]");
    CHECK_EQ_S(csv(","), "2:[][]");
    CHECK_EQ_S(csv("a,"), "2:[a][]");
    CHECK_EQ_S(csv(",a"), "2:[][a]");
    CHECK_EQ_S(csv("a,,c"), "3:[a][][c]");
    CHECK_EQ_S(csv(" a , b "), "2:[ a ][ b ]"); /* unquoted: taken as is */
    CHECK_EQ_S(csv("\"a,b\",c"), "2:[a,b][c]");
    CHECK_EQ_S(csv("\"say \"\"hi\"\"\",x"), "2:[say \"hi\"][x]");
    CHECK_EQ_S(csv("\"\""), "1:[]");
    CHECK_EQ_S(csv("\"\"\"\""), "1:[\"]");
    CHECK_EQ_S(csv("\"\","), "2:[][]");
    CHECK_EQ_S(csv("a,\"\""), "2:[a][]");
    CHECK_EQ_S(csv("a\"b,c"), "2:[a\"b][c]"); /* a quote inside an unquoted field */
    CHECK_EQ_S(csv(" \"a\",b"), "2:[ \"a\"][b]");
    CHECK_EQ_S(csv("\"a\nb\",c"), "2:[a\nb][c]");
    CHECK_EQ_S(csv("c1,PAID,eu,12.5,2024-05-23T12:34:56Z"), "5:[c1][PAID][eu][12.5][2024-05-23T12:34:56Z]");
    CHECK_EQ_S(csv_d("a;b,c;\"d;e\"", ';', 16), "3:[a][b,c][d;e]");
    CHECK_EQ_S(csv_d("a\tb\t\"c\td\"", '\t', 16), "3:[a][b][c\td]");
    CHECK_EQ_S(csv_d("a|b", '|', 16), "2:[a][b]");
}

TEST(csv_max_columns)
{
    CHECK_EQ_S(csv_d("a,b,c,d", ',', 2), "4:[a][b]");
    CHECK_EQ_S(csv_d("a,\"b\"\"\",\"c\"\"\",d", ',', 2), "4:[a][b\"]");
    CHECK_EQ_S(csv_d("a,b", ',', 0), "2:");
    CHECK_EQ_S(csv_d("a,\"unterminated", ',', 1), "ERR: invalid CSV at byte 2: unterminated quote");
}

TEST(csv_errors)
{
    CHECK_EQ_S(csv("\"abc"), "ERR: invalid CSV at byte 0: unterminated quote");
    CHECK_EQ_S(csv("a,\"b"), "ERR: invalid CSV at byte 2: unterminated quote");
    CHECK_EQ_S(csv("a,\"b\"\""), "ERR: invalid CSV at byte 2: unterminated quote");
    CHECK_EQ_S(csv("\""), "ERR: invalid CSV at byte 0: unterminated quote");
    CHECK_EQ_S(csv("\"a\"b,c"), "ERR: invalid CSV at byte 3: text after a closing quote");
    CHECK_EQ_S(csv("x,\"a\" ,c"), "ERR: invalid CSV at byte 5: text after a closing quote");
    CHECK_EQ_S(csv("\"a\"\"\"x"), "ERR: invalid CSV at byte 5: text after a closing quote");
}

/* Lines of 16 bytes and more without quotes take the 16-byte scan: every length to 70, the
 * delimiter at random places (runs, ends, both edges of a block), against a byte-by-byte split;
 * fewer columns than fields count them all. */
TEST(csv_split_blocks)
{
    char line[72];
    uint64_t seed = 12345;
    for (int round = 0; round < 4000; round++) {
        size_t n = 16 + (size_t)round % 55;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned r = (unsigned)(seed >> 33) % 8;
            line[i] = r < 3 ? ',' : r == 3 ? ';' : r == 4 ? ' ' : (char)('a' + i % 26);
        }
        prt_str cols[80];
        prt_err e;
        int max = round % 3 == 0 ? 3 : 80;
        int got = prt_csv_split((prt_str){ line, n }, ',', cols, max, NULL, &scratch, &e);
        int want = 0;
        size_t start = 0;
        int ok = 1;
        for (size_t i = 0; i <= n; i++) {
            if (i < n && line[i] != ',')
                continue;
            if (want < max && (cols[want].p != line + start || cols[want].n != i - start))
                ok = 0;
            want++;
            start = i + 1;
        }
        if (!ok || got != want) {
            TEST_FAIL("%.*s: %d fields, want %d%s", (int)n, line, got, want, ok ? "" : " (a field differs)");
            return;
        }
    }
    prt_scratch_reset(&scratch);
}

/* What a generated kv parser does first (source_kv.c.tmpl from pc_gen.c's kv_exact_pairs),
 * with the schema's names as data: 1 and v when the line is exactly its fields in order. */
static int kv_exact_try(prt_str line, const char *const *names, int nf, prt_str *v)
{
    uint64_t w0, w1;
    if (!prt_kv_commas(line, &w0, &w1))
        return 0;
    const char *b = line.p, *le = b + line.n;
    for (int i = 0; i < nf; i++) {
        char nameq[32];
        size_t n = strlen(names[i]);
        memcpy(nameq, names[i], n);
        nameq[n++] = '=';
        if (i < nf - 1) {
            int c = prt_kv_pop(&w0, &w1);
            if (c < 0 || !prt_kv_take(&b, line.p + c, nameq, n, &v[i]))
                return 0;
        } else if ((w0 | w1) || !prt_kv_take(&b, le, nameq, n, &v[i])) {
            return 0;
        }
    }
    return 1;
}

/* The exact line byte by byte: nf pieces between commas, piece i `names[i]=value`, no byte up
 * to ' ' at a value's ends. */
static int kv_exact_ref(const char *p, size_t n, const char *const *names, int nf)
{
    size_t b = 0;
    for (int i = 0; i < nf; i++) {
        size_t c = b;
        while (c < n && p[c] != ',')
            c++;
        if ((i < nf - 1) != (c < n))
            return 0;
        size_t kn = strlen(names[i]);
        if (c - b < kn + 1 || memcmp(p + b, names[i], kn) != 0 || p[b + kn] != '=')
            return 0;
        size_t vs = b + kn + 1;
        if (vs < c && ((unsigned char)p[vs] <= ' ' || (unsigned char)p[c - 1] <= ' '))
            return 0;
        b = c + 1;
    }
    return 1;
}

/* The exact line against prt_kv_next: random lines of 0 to 200 bytes, mostly a schema's fields
 * in order with values of random lengths, some bent (blanks or a control byte at a value's or
 * key's ends, empty values, '=' in values, empty pairs, a trailing comma, fields swapped,
 * missing, repeated or unknown, a pair without '='). When the try says yes, prt_kv_next must give
 * the same values (the same slices) for every field, each once, and no error; it must say yes
 * exactly for the lines of 32 to 128 bytes that kv_exact_ref accepts. */
TEST(kv_exact)
{
    static const char *const seed1[] = { "customer", "status", "region", "amount", "ts" };
    static const char *const one[] = { "a" };
    static const char *const longn[] = { "timestamp_millis", "k", "value_of_it" };
    static const struct {
        const char *const *names;
        int nf;
    } schemas[] = { { seed1, 5 }, { one, 1 }, { longn, 3 } };
    uint64_t seed = 4242;
#define KV_RND() (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL, (unsigned)(seed >> 33))
    int yes = 0, lens[201] = { 0 };
    for (int round = 0; round < 200000; round++) {
        const char *const *names = schemas[round % 3].names;
        int nf = schemas[round % 3].nf;
        char buf[512];
        size_t n = 0;
        size_t want_len = KV_RND() % 201; /* spreads the value lengths so every length is met */
        unsigned bend = KV_RND() % 4 ? 0 : 1 + KV_RND() % 12;
        int order[8];
        for (int i = 0; i < nf; i++)
            order[i] = i;
        if (bend == 1 && nf > 1) { /* two fields swapped */
            int a = (int)(KV_RND() % (unsigned)nf), t = order[a];
            order[a] = order[(a + 1) % nf];
            order[(a + 1) % nf] = t;
        }
        size_t names_len = 0;
        for (int i = 0; i < nf; i++)
            names_len += strlen(names[i]) + 2;
        size_t room = want_len > names_len ? want_len - names_len : 0;
        for (int i = 0; i < nf; i++) {
            if (bend == 2 && i == nf - 1 && nf > 1) /* the last field missing */
                break;
            if (i)
                buf[n++] = ',';
            if (bend == 3 && i == 0)
                buf[n++] = ',';
            const char *name = bend == 4 && i == nf / 2 ? "zz" : names[order[i]];
            if (bend == 5 && i == nf / 2)
                buf[n++] = KV_RND() % 2 ? ' ' : '\t';
            memcpy(buf + n, name, strlen(name));
            n += strlen(name);
            if (bend == 6 && i == nf / 2)
                buf[n++] = ' ';
            if (!(bend == 7 && i == nf - 1))
                buf[n++] = '=';
            size_t vl = room / (size_t)nf + (KV_RND() % 3 == 0 ? KV_RND() % 4 : 0);
            for (size_t j = 0; j < vl && n < 300; j++) {
                unsigned r = KV_RND() % 40;
                buf[n++] = r == 0 ? '=' : r == 1 && bend >= 8 ? ' ' : r == 2 && bend >= 8 ? '\t' : r == 3 && bend >= 8 ? '\x01'
                         : (char)('a' + r % 26);
            }
            if (bend == 9 && i == nf / 2)
                buf[n++] = ' ';
        }
        if (bend == 10)
            buf[n++] = ',';
        if (bend == 11) { /* a field repeated at the end */
            memcpy(buf + n, ",a=1", 4);
            n += 4;
        }
        if (bend == 12 && n)
            n -= KV_RND() % n; /* cut anywhere */
        if (n > 200)
            n = 200;
        char *line = malloc(n ? n : 1); /* exactly the line's bytes: ASan sees a read past them */
        prt_assert(line != NULL);
        memcpy(line, buf, n);
        prt_str v[8], w[8];
        int got = kv_exact_try((prt_str){ line, n }, names, nf, v);
        int want = n >= 32 && n <= 128 && kv_exact_ref(line, n, names, nf);
        if (got != want) {
            TEST_FAIL("%.*s: exact %d, want %d", (int)n, line, got, want);
            free(line);
            return;
        }
        if (got) {
            yes++;
            lens[n]++;
            prt_kv_iter it;
            prt_str k, val;
            prt_err e;
            uint64_t seen = 0;
            int rc, twice = 0;
            prt_kv_init(&it, (prt_str){ line, n });
            while ((rc = prt_kv_next(&it, &k, &val, &e)) > 0) {
                for (int i = 0; i < nf; i++)
                    if (k.n == strlen(names[i]) && memcmp(k.p, names[i], k.n) == 0) {
                        twice |= (seen >> i) & 1;
                        seen |= UINT64_C(1) << i;
                        w[i] = val;
                    }
            }
            int same = rc == 0 && !twice && seen == (UINT64_C(1) << nf) - 1;
            for (int i = 0; same && i < nf; i++)
                same = v[i].p == w[i].p && v[i].n == w[i].n;
            if (!same) {
                TEST_FAIL("%.*s: the exact line's values differ from prt_kv_next's", (int)n, line);
                free(line);
                return;
            }
        }
        free(line);
    }
#undef KV_RND
    CHECK(yes > 20000);
    for (size_t len = 32; len <= 128; len++) /* every length the try takes, the edges included */
        if (!lens[len]) {
            TEST_FAIL("no exact line of %zu bytes", len);
            return;
        }
}

/* The kv scan (the ',' and '=' masks or memchr, then the trim-free fast path or prt_kv_pair):
 * random lines of every length to 198 over ',', '=', spaces, tabs, a control character (not a blank) and letters,
 * against a byte-by-byte reading of the same rules (pairs split on ',', key and value on the
 * first '=', spaces and tabs trimmed, empty pairs skipped, a pair without '=' or key an error). */
TEST(kv_blocks)
{
    /* up to 199 bytes, separators dense or sparse: pairs inside one 64-byte block of the
     * tokenizer's masks, across two, and longer than a block */
    char buf[200];
    uint64_t seed = 777;
    for (int round = 0; round < 60000; round++) {
        size_t n = (size_t)round % 199;
        unsigned spread = round % 3 == 0 ? 12 : round % 3 == 1 ? 40 : 150;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned r = (unsigned)(seed >> 33) % spread;
            buf[i] = r == 0 ? ',' : r == 1 ? '=' : r == 2 ? ' ' : r == 3 ? '\t' : r == 4 ? '\x01' : (char)('a' + i % 26);
        }
        char *line = malloc(n ? n : 1); /* exactly the line's bytes: ASan sees a read past them */
        prt_assert(line != NULL);
        memcpy(line, buf, n);
        prt_kv_iter it;
        prt_str k, v;
        prt_err e;
        prt_kv_init(&it, (prt_str){ line, n });
        size_t b = 0;
        for (;;) {
            /* the reference: the next non-empty pair from b */
            int want = 0;
            size_t ks = 0, ke = 0, vs = 0, ve = 0;
            while (b < n) {
                size_t c = b;
                while (c < n && line[c] != ',')
                    c++;
                size_t eq = b;
                while (eq < c && line[eq] != '=')
                    eq++;
                size_t ps = b, pe = c;
                while (ps < pe && (line[ps] == ' ' || line[ps] == '\t'))
                    ps++;
                while (pe > ps && (line[pe - 1] == ' ' || line[pe - 1] == '\t'))
                    pe--;
                size_t next = c < n ? c + 1 : n;
                if (eq == c) {
                    b = next;
                    if (ps == pe)
                        continue;
                    want = -1;
                    break;
                }
                ks = b, ke = eq, vs = eq + 1, ve = c;
                while (ks < ke && (line[ks] == ' ' || line[ks] == '\t'))
                    ks++;
                while (ke > ks && (line[ke - 1] == ' ' || line[ke - 1] == '\t'))
                    ke--;
                while (vs < ve && (line[vs] == ' ' || line[vs] == '\t'))
                    vs++;
                while (ve > vs && (line[ve - 1] == ' ' || line[ve - 1] == '\t'))
                    ve--;
                b = next;
                want = ks == ke ? -1 : 1;
                break;
            }
            int got = prt_kv_next(&it, &k, &v, &e);
            if (got != want || (got == 1 && (k.p != line + ks || k.n != ke - ks || v.p != line + vs || v.n != ve - vs))) {
                TEST_FAIL("%.*s: got %d, want %d (pair ending before byte %zu)", (int)n, line, got, want, b);
                return;
            }
            if (got != 1)
                break;
        }
        free(line);
    }
}

TEST(csv_slices)
{
    /* no copy unless a "" was unescaped; only line.n bytes are read */
    const char *line = "ab,\"cd\",\"e\"\"f\",gh";
    prt_str cols[4];
    prt_err e;
    CHECK_EQ_I(prt_csv_split((prt_str){ line, 16 }, ',', cols, 4, NULL, &scratch, &e), 4);
    CHECK(cols[0].p == line);
    CHECK(cols[1].p == line + 4);
    CHECK(cols[2].p < line || cols[2].p > line + 18);
    CHECK_EQ_PS(cols[2], "e\"f");
    CHECK_EQ_PS(cols[3], "g");
    CHECK_EQ_I(prt_csv_split((prt_str){ NULL, 0 }, ',', cols, 4, NULL, &scratch, &e), 1);
    CHECK_EQ_I(cols[0].n, 0);
    prt_scratch_reset(&scratch);
}

/* ---- json ---- */

static const char *json_p(const char *line, const char *const *paths, int np)
{
    prt_str vals[8];
    uint64_t present = 0xdead;
    prt_err e;
    if (prt_json_extract(prt_str_c(line), paths, np, vals, &present, &scratch, &e) != PRT_OK) {
        snprintf(out, sizeof out, "ERR: %s", e.msg);
        return out;
    }
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < np; i++) {
        if (present >> i & 1)
            o += (size_t)snprintf(out + o, sizeof out - o, "%s=[%.*s]", paths[i], (int)vals[i].n, vals[i].p);
        else
            o += (size_t)snprintf(out + o, sizeof out - o, "%s=-", paths[i]);
        if (i + 1 < np)
            o += (size_t)snprintf(out + o, sizeof out - o, " ");
    }
    prt_scratch_reset(&scratch);
    return out;
}

static const char *const AB[] = { "a", "b" };
static const char *json(const char *line) { return json_p(line, AB, 2); }

TEST(json_values)
{
    CHECK_EQ_S(json("{\"a\":1,\"b\":\"x\"}"), "a=[1] b=[x]");
    CHECK_EQ_S(json("{}"), "a=- b=-");
    CHECK_EQ_S(json("  {\"a\" : -1.5e+3 , \"b\" : true }\t\r\n"), "a=[-1.5e+3] b=[true]");
    CHECK_EQ_S(json("{\"a\":false,\"b\":null}"), "a=[false] b=-");
    CHECK_EQ_S(json("{\"a\":0,\"b\":-0.0}"), "a=[0] b=[-0.0]");
    CHECK_EQ_S(json("{\"b\":\"\",\"c\":1}"), "a=- b=[]");
    CHECK_EQ_S(json("{\"a\":{\"x\":[1,2,{\"y\":null}]},\"b\":[ 1, \"]\" ]}"), "a=[{\"x\":[1,2,{\"y\":null}]}] b=[[ 1, \"]\" ]]");
    CHECK_EQ_S(json("{\"a\":{},\"b\":[]}"), "a=[{}] b=[[]]");
    CHECK_EQ_S(json("{\"x\":{\"a\":1},\"b\":2}"), "a=- b=[2]"); /* a nested "a" is not the path a */
    CHECK_EQ_S(json("{\"A\":1,\"a \":2}"), "a=- b=-");           /* keys match exactly */
}

TEST(json_duplicates_and_null)
{
    CHECK_EQ_S(json("{\"a\":1,\"a\":2}"), "a=[2] b=-");
    CHECK_EQ_S(json("{\"a\":1,\"a\":null}"), "a=- b=-");
    CHECK_EQ_S(json("{\"a\":null,\"a\":\"x\"}"), "a=[x] b=-");
    CHECK_EQ_S(json("{\"a\":null}"), "a=- b=-");
}

TEST(json_strings)
{
    CHECK_EQ_S(json("{\"a\":\"q\\\"b\\\\s\\/\"}"), "a=[q\"b\\s/] b=-");
    CHECK_EQ_S(json("{\"a\":\"\\b\\f\\n\\r\\t\"}"), "a=[\b\f\n\r\t] b=-");
    CHECK_EQ_S(json("{\"a\":\"\\u0041\\u00e9\\u20AC\"}"), "a=[A\xc3\xa9\xe2\x82\xac] b=-");
    CHECK_EQ_S(json("{\"a\":\"\\ud83d\\ude00!\"}"), "a=[\xf0\x9f\x98\x80!] b=-"); /* surrogate pair */
    CHECK_EQ_S(json("{\"a\":\"\\uDBFF\\uDFFF\"}"), "a=[\xf4\x8f\xbf\xbf] b=-");
    CHECK_EQ_S(json("{\"a\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}"), "a=[caf\xc3\xa9 \xf0\x9f\x98\x80] b=-");
    CHECK_EQ_S(json("{\"\\u0061\":1}"), "a=[1] b=-"); /* escaped keys are matched unescaped */
    /* \u0000 is valid JSON */
    const char *const P[] = { "a" };
    prt_str v;
    uint64_t present;
    prt_err e;
    CHECK_EQ_I(prt_json_extract(prt_str_c("{\"a\":\"x\\u0000y\"}"), P, 1, &v, &present, &scratch, &e), PRT_OK);
    CHECK_EQ_I(v.n, 3);
    CHECK(memcmp(v.p, "x\0y", 3) == 0);
    /* without escapes a value is a slice of the line */
    const char *line = "{\"a\":\"plain\"}";
    CHECK_EQ_I(prt_json_extract(prt_str_c(line), P, 1, &v, &present, &scratch, &e), PRT_OK);
    CHECK(v.p == line + 6);
    prt_scratch_reset(&scratch);
}

TEST(json_paths)
{
    static const char *const P[] = { "data.price", "data", "id", "data.meta.tag", "x.y" };
    const char *ce = "{\"specversion\":\"1.0\",\"id\":\"e1\",\"data\":{\"price\":12.5,\"meta\":{\"tag\":\"t\"}},\"x\":3}";
    CHECK_EQ_S(json_p(ce, P, 5),
               "data.price=[12.5] data=[{\"price\":12.5,\"meta\":{\"tag\":\"t\"}}] id=[e1] data.meta.tag=[t] x.y=-");
    CHECK_EQ_S(json_p("{\"data\":{\"price\":1},\"data\":{\"other\":2}}", P, 2),
               "data.price=[1] data=[{\"other\":2}]"); /* the earlier object's fields are not cleared */
    CHECK_EQ_S(json_p("{\"data\":[{\"price\":1}]}", P, 1), "data.price=-");
    CHECK_EQ_S(json_p("{\"data\":\"str\"}", P, 2), "data.price=- data=[str]");
    CHECK_EQ_S(json_p("{\"data.price\":5}", P, 1), "data.price=-"); /* component-wise */
    CHECK_EQ_S(json_p("{\"data\":{\"price\":null}}", P, 1), "data.price=-");
    CHECK_EQ_S(json_p("{\"data\":{\"price\":{\"v\":1}}}", P, 1), "data.price=[{\"v\":1}]");
    static const char *const Q[] = { "a.b.c.d" };
    CHECK_EQ_S(json_p("{\"a\":{\"b\":{\"c\":{\"d\":\"deep\"}}}}", Q, 1), "a.b.c.d=[deep]");
    CHECK_EQ_S(json_p("{\"a\":{\"b\":{\"c\":1}}}", Q, 1), "a.b.c.d=-");
    CHECK_EQ_S(json_p("{\"a\":1}", Q, 0), "");
}

TEST(json_errors)
{
    CHECK_EQ_S(json(""), "ERR: invalid JSON at byte 0: expected an object");
    CHECK_EQ_S(json("   "), "ERR: invalid JSON at byte 3: expected an object");
    CHECK_EQ_S(json("[1]"), "ERR: invalid JSON at byte 0: expected an object");
    CHECK_EQ_S(json("\"a\""), "ERR: invalid JSON at byte 0: expected an object");
    CHECK_EQ_S(json("{"), "ERR: invalid JSON at byte 1: expected a string key");
    CHECK_EQ_S(json("{\"a\" 1}"), "ERR: invalid JSON at byte 5: expected ':'");
    CHECK_EQ_S(json("{\"customer\":\"c1\",\"x\" 3}"), "ERR: invalid JSON at byte 21: expected ':'");
    CHECK_EQ_S(json("{\"a\":1 \"b\":2}"), "ERR: invalid JSON at byte 7: expected ',' or '}'");
    CHECK_EQ_S(json("{\"a\":1,}"), "ERR: invalid JSON at byte 7: expected a string key");
    CHECK_EQ_S(json("{,}"), "ERR: invalid JSON at byte 1: expected a string key");
    CHECK_EQ_S(json("{a:1}"), "ERR: invalid JSON at byte 1: expected a string key");
    CHECK_EQ_S(json("{'a':1}"), "ERR: invalid JSON at byte 1: expected a string key");
    CHECK_EQ_S(json("{\"a\":}"), "ERR: invalid JSON at byte 5: expected a value");
    CHECK_EQ_S(json("{\"a\":"), "ERR: invalid JSON at byte 5: expected a value");
    CHECK_EQ_S(json("{\"a\":1"), "ERR: invalid JSON at byte 6: expected ',' or '}'");
    CHECK_EQ_S(json("{\"a\":[1,]}"), "ERR: invalid JSON at byte 8: expected a value");
    CHECK_EQ_S(json("{\"a\":[1 2]}"), "ERR: invalid JSON at byte 8: expected ',' or ']'");
    CHECK_EQ_S(json("{\"a\":[1}"), "ERR: invalid JSON at byte 7: expected ',' or ']'");
    CHECK_EQ_S(json("{\"a\":1}}"), "ERR: invalid JSON at byte 7: unexpected text after the object");
    CHECK_EQ_S(json("{\"a\":1} {}"), "ERR: invalid JSON at byte 8: unexpected text after the object");
    CHECK_EQ_S(json("{\"a\":tru}"), "ERR: invalid JSON at byte 5: expected a value");
    CHECK_EQ_S(json("{\"a\":True}"), "ERR: invalid JSON at byte 5: expected a value");
    CHECK_EQ_S(json("{\"a\":nul"), "ERR: invalid JSON at byte 5: expected a value");
    CHECK_EQ_S(json("{\"a\":truex}"), "ERR: invalid JSON at byte 9: expected ',' or '}'");
    CHECK_EQ_S(json("{\"a\":NaN}"), "ERR: invalid JSON at byte 5: expected a value");
    CHECK_EQ_S(json("{\"a\":undefined}"), "ERR: invalid JSON at byte 5: expected a value");
}

TEST(json_number_errors)
{
    CHECK_EQ_S(json("{\"a\":01}"), "ERR: invalid JSON at byte 6: expected ',' or '}'");
    CHECK_EQ_S(json("{\"a\":+1}"), "ERR: invalid JSON at byte 5: expected a value");
    CHECK_EQ_S(json("{\"a\":.5}"), "ERR: invalid JSON at byte 5: expected a value");
    CHECK_EQ_S(json("{\"a\":-}"), "ERR: invalid JSON at byte 5: invalid number");
    CHECK_EQ_S(json("{\"a\":1.}"), "ERR: invalid JSON at byte 5: invalid number");
    CHECK_EQ_S(json("{\"a\":1e}"), "ERR: invalid JSON at byte 5: invalid number");
    CHECK_EQ_S(json("{\"a\":1e+}"), "ERR: invalid JSON at byte 5: invalid number");
    CHECK_EQ_S(json("{\"a\":-a}"), "ERR: invalid JSON at byte 5: invalid number");
    CHECK_EQ_S(json("{\"a\":0x10}"), "ERR: invalid JSON at byte 6: expected ',' or '}'");
    CHECK_EQ_S(json("{\"a\":-0,\"b\":1E-7}"), "a=[-0] b=[1E-7]");
    CHECK_EQ_S(json("{\"a\":123456789012345678901234567890}"), "a=[123456789012345678901234567890] b=-");
}

TEST(json_string_errors)
{
    CHECK_EQ_S(json("{\"a\":\"abc}"), "ERR: invalid JSON at byte 5: unterminated string");
    CHECK_EQ_S(json("{\"a\":\"abc\\"), "ERR: invalid JSON at byte 5: unterminated string");
    CHECK_EQ_S(json("{\"a"), "ERR: invalid JSON at byte 1: unterminated string");
    CHECK_EQ_S(json("{\"a\":\"x\ty\"}"), "ERR: invalid JSON at byte 7: control character in string");
    CHECK_EQ_S(json("{\"a\":\"x\ny\"}"), "ERR: invalid JSON at byte 7: control character in string");
    CHECK_EQ_S(json("{\"a\":\"\\x\"}"), "ERR: invalid JSON at byte 6: invalid escape in string");
    CHECK_EQ_S(json("{\"a\":\"\\'\"}"), "ERR: invalid JSON at byte 6: invalid escape in string");
    CHECK_EQ_S(json("{\"a\":\"\\u12\"}"), "ERR: invalid JSON at byte 6: invalid \\u escape in string");
    CHECK_EQ_S(json("{\"a\":\"\\u12G4\"}"), "ERR: invalid JSON at byte 6: invalid \\u escape in string");
    CHECK_EQ_S(json("{\"a\":\"\\ud83d\"}"), "ERR: invalid JSON at byte 6: lone surrogate in string");
    CHECK_EQ_S(json("{\"a\":\"\\ud83dx\"}"), "ERR: invalid JSON at byte 6: lone surrogate in string");
    CHECK_EQ_S(json("{\"a\":\"\\ud83d\\u0041\"}"), "ERR: invalid JSON at byte 6: lone surrogate in string");
    CHECK_EQ_S(json("{\"a\":\"\\ud83d\\ud83d\"}"), "ERR: invalid JSON at byte 6: lone surrogate in string");
    CHECK_EQ_S(json("{\"a\":\"x\\ude00\"}"), "ERR: invalid JSON at byte 7: lone surrogate in string");
    CHECK_EQ_S(json("{\"a\":\"\xff\"}"), "ERR: invalid JSON at byte 6: invalid UTF-8 in string");
    CHECK_EQ_S(json("{\"a\":\"\xc3\"}"), "ERR: invalid JSON at byte 6: invalid UTF-8 in string");
    CHECK_EQ_S(json("{\"a\":\"\xc0\xaf\"}"), "ERR: invalid JSON at byte 6: invalid UTF-8 in string"); /* overlong */
    CHECK_EQ_S(json("{\"a\":\"\xed\xa0\x80\"}"), "ERR: invalid JSON at byte 6: invalid UTF-8 in string"); /* surrogate */
    CHECK_EQ_S(json("{\"a\":\"\xf4\x90\x80\x80\"}"), "ERR: invalid JSON at byte 6: invalid UTF-8 in string"); /* > U+10FFFF */
    /* errors inside skipped values are errors too */
    CHECK_EQ_S(json("{\"z\":{\"q\":[1,{\"r\":\"\\q\"}]}}"), "ERR: invalid JSON at byte 19: invalid escape in string");
    CHECK_EQ_S(json("{\"z\\u00\":1}"), "ERR: invalid JSON at byte 3: invalid \\u escape in string");
}

TEST(json_depth)
{
    char line[512];
    size_t n = 0;
    /* 64 levels of nesting in total (the outer object is level 1) are fine */
    n += (size_t)snprintf(line + n, sizeof line - n, "{\"a\":");
    for (int i = 0; i < 63; i++)
        line[n++] = '[';
    line[n++] = '1';
    for (int i = 0; i < 63; i++)
        line[n++] = ']';
    line[n++] = '}';
    line[n] = 0;
    CHECK(strncmp(json(line), "a=[[[[", 6) == 0);
    /* 65 are not */
    n = 0;
    n += (size_t)snprintf(line + n, sizeof line - n, "{\"a\":");
    for (int i = 0; i < 64; i++)
        line[n++] = '[';
    line[n++] = '1';
    for (int i = 0; i < 64; i++)
        line[n++] = ']';
    line[n++] = '}';
    line[n] = 0;
    CHECK_EQ_S(json(line), "ERR: invalid JSON at byte 68: nesting deeper than 64");
    /* deeply nested objects along a selected path */
    n = 0;
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(line + n, sizeof line - n, "{\"a\":");
    CHECK_EQ_S(json(line), "ERR: invalid JSON at byte 320: nesting deeper than 64");
}

TEST(json_many_paths)
{
    /* more than 64 paths: values beyond 63 are still stored, without a present bit */
    static char names[70][16];
    const char *paths[70];
    prt_str vals[70];
    for (int i = 0; i < 70; i++) {
        snprintf(names[i], sizeof names[i], "k%d", i);
        paths[i] = names[i];
    }
    uint64_t present;
    prt_err e;
    CHECK_EQ_I(prt_json_extract(prt_str_c("{\"k0\":0,\"k63\":63,\"k69\":69}"), paths, 70, vals, &present, &scratch, &e), PRT_OK);
    CHECK(present == (1ULL | 1ULL << 63));
    CHECK_EQ_PS(vals[69], "69");
    CHECK_EQ_I(vals[5].n, 0);
    prt_scratch_reset(&scratch);
}

/* ---- writers ---- */

static prt_buf wb;

static const char *record(prt_out_format fmt, char delim)
{
    prt_writer w;
    prt_w_begin(&w, fmt, delim, &wb);
    prt_w_str(&w, "customer", PRT_STR_LIT("c1"));
    prt_w_int(&w, "count", 3);
    prt_w_float(&w, "total", 42.0);
    prt_w_bool(&w, "ok", 1);
    prt_w_ts(&w, "window_start", 1716467696250LL);
    prt_w_end(&w);
    snprintf(out, sizeof out, "%.*s", (int)wb.n, wb.p);
    return out;
}

TEST(writer_formats)
{
    CHECK_EQ_S(record(PRT_OUT_JSON, ','),
               "{\"customer\":\"c1\",\"count\":3,\"total\":42.0,\"ok\":true,\"window_start\":\"2024-05-23T12:34:56.250Z\"}");
    CHECK_EQ_S(record(PRT_OUT_CSV, ','), "c1,3,42.0,true,2024-05-23T12:34:56.250Z");
    CHECK_EQ_S(record(PRT_OUT_CSV, ';'), "c1;3;42.0;true;2024-05-23T12:34:56.250Z");
    CHECK_EQ_S(record(PRT_OUT_KV, ','), "customer=c1,count=3,total=42.0,ok=true,window_start=2024-05-23T12:34:56.250Z");
    /* begin clears the buffer; an empty record */
    prt_writer w;
    prt_buf_puts(&wb, "junk");
    prt_w_begin(&w, PRT_OUT_JSON, ',', &wb);
    prt_w_end(&w);
    CHECK_EQ_PS(prt_buf_str(&wb), "{}");
    prt_w_begin(&w, PRT_OUT_CSV, ',', &wb);
    prt_w_end(&w);
    CHECK_EQ_PS(prt_buf_str(&wb), "");
}

TEST(writer_json_values)
{
    prt_writer w;
    prt_w_begin(&w, PRT_OUT_JSON, ',', &wb);
    prt_w_float(&w, "nan", NAN);
    prt_w_float(&w, "inf", INFINITY);
    prt_w_float(&w, "ninf", -INFINITY);
    prt_w_float(&w, "f", 0.1);
    prt_w_float(&w, "big", 1e21);
    prt_w_int(&w, "min", INT64_MIN);
    prt_w_bool(&w, "no", 0);
    prt_w_ts(&w, "old", -1);
    prt_w_str(&w, "q\"k", PRT_STR_LIT("a\"b\\c\nd"));
    prt_w_str(&w, "e", PRT_STR_LIT(""));
    prt_w_end(&w);
    CHECK_EQ_PS(prt_buf_str(&wb), "{\"nan\":null,\"inf\":null,\"ninf\":null,\"f\":0.1,\"big\":1e+21,"
                                  "\"min\":-9223372036854775808,\"no\":false,\"old\":\"1969-12-31T23:59:59.999Z\","
                                  "\"q\\\"k\":\"a\\\"b\\\\c\\nd\",\"e\":\"\"}");
}

TEST(writer_csv_quoting)
{
    prt_writer w;
    prt_w_begin(&w, PRT_OUT_CSV, ',', &wb);
    prt_w_str(&w, "a", PRT_STR_LIT("plain"));
    prt_w_str(&w, "b", PRT_STR_LIT("x,y"));
    prt_w_str(&w, "c", PRT_STR_LIT("say \"hi\""));
    prt_w_str(&w, "d", PRT_STR_LIT(" lead"));
    prt_w_str(&w, "e", PRT_STR_LIT("trail "));
    prt_w_str(&w, "f", PRT_STR_LIT("l1\nl2"));
    prt_w_str(&w, "g", PRT_STR_LIT("cr\r"));
    prt_w_str(&w, "h", PRT_STR_LIT("in side"));
    prt_w_str(&w, "i", PRT_STR_LIT("semi;colon"));
    prt_w_str(&w, "j", PRT_STR_LIT(""));
    prt_w_float(&w, "k", NAN);
    prt_w_float(&w, "l", -INFINITY);
    prt_w_end(&w);
    CHECK_EQ_PS(prt_buf_str(&wb), "plain,\"x,y\",\"say \"\"hi\"\"\",\" lead\",\"trail \",\"l1\nl2\",\"cr\r\",in side,semi;colon,,nan,-inf");
    prt_w_begin(&w, PRT_OUT_CSV, ';', &wb);
    prt_w_str(&w, "a", PRT_STR_LIT("x,y"));
    prt_w_str(&w, "b", PRT_STR_LIT("semi;colon"));
    prt_w_end(&w);
    CHECK_EQ_PS(prt_buf_str(&wb), "x,y;\"semi;colon\"");
}

/* The 16- and 8-byte scans: one special byte at every position of strings of every length up
 * to 40 (and bytes around them: 0x80+, space, '!', '#'), against the byte-by-byte rule. */
TEST(writer_scan_positions)
{
    static const char specials[] = { ',', '"', '\r', '\n', ';', ' ', '!', '#', '\\', '\x01', '\x1f', '\x7f', (char)0xc3 };
    char s[41];
    prt_buf ref = { 0 };
    for (size_t n = 1; n <= 40; n++) {
        for (size_t pos = 0; pos < n; pos++) {
            for (size_t k = 0; k < sizeof specials; k++) {
                for (size_t i = 0; i < n; i++)
                    s[i] = (char)('a' + i % 26);
                s[pos] = specials[k];
                char c = specials[k];
                /* csv: quoted when a byte is the delimiter, '"', CR or LF, or at an end a blank */
                int quote = c == ',' || c == '"' || c == '\r' || c == '\n' || (c == ' ' && (pos == 0 || pos == n - 1));
                prt_writer w;
                prt_w_begin(&w, PRT_OUT_CSV, ',', &wb);
                prt_w_str(&w, "a", (prt_str){ s, n });
                prt_w_end(&w);
                int got = wb.n > 0 && wb.p[0] == '"';
                if (got != quote) {
                    TEST_FAIL("csv: length %zu, byte 0x%02x at %zu: quoted %d, want %d", n, (unsigned char)c, pos, got, quote);
                    prt_buf_free(&ref);
                    return;
                }
                /* json: the escaped text, built byte by byte */
                prt_buf_clear(&ref);
                prt_buf_putc(&ref, '"');
                for (size_t i = 0; i < n; i++) {
                    unsigned char u = (unsigned char)s[i];
                    if (u == '"' || u == '\\') {
                        prt_buf_putc(&ref, '\\');
                        prt_buf_putc(&ref, (char)u);
                    } else if (u == '\r') {
                        prt_buf_put(&ref, "\\r", 2);
                    } else if (u == '\n') {
                        prt_buf_put(&ref, "\\n", 2);
                    } else if (u < 0x20) {
                        prt_buf_printf(&ref, "\\u%04x", u);
                    } else {
                        prt_buf_putc(&ref, (char)u);
                    }
                }
                prt_buf_putc(&ref, '"');
                prt_buf_clear(&wb);
                prt_json_quote(&wb, (prt_str){ s, n });
                if (wb.n != ref.n || memcmp(wb.p, ref.p, ref.n) != 0) {
                    TEST_FAIL("json: length %zu, byte 0x%02x at %zu: %.*s, want %.*s", n, (unsigned char)c, pos,
                              (int)wb.n, wb.p, (int)ref.n, ref.p);
                    prt_buf_free(&ref);
                    return;
                }
            }
        }
    }
    prt_buf_free(&ref);
}

TEST(writer_kv)
{
    prt_writer w;
    prt_w_begin(&w, PRT_OUT_KV, ',', &wb);
    prt_w_str(&w, "s", PRT_STR_LIT("hello world"));
    prt_w_float(&w, "f", -0.0);
    prt_w_float(&w, "n", NAN);
    prt_w_ts(&w, "t", 0);
    prt_w_end(&w);
    CHECK_EQ_PS(prt_buf_str(&wb), "s=hello world,f=-0.0,n=nan,t=1970-01-01T00:00:00Z");
}

TEST(json_quote)
{
    prt_buf b = { 0 };
    prt_json_quote(&b, PRT_STR_LIT(""));
    CHECK_EQ_PS(prt_buf_str(&b), "\"\"");
    prt_buf_clear(&b);
    prt_json_quote(&b, PRT_STR_LIT("a\"b\\c/d"));
    CHECK_EQ_PS(prt_buf_str(&b), "\"a\\\"b\\\\c/d\"");
    prt_buf_clear(&b);
    prt_json_quote(&b, PRT_STR_LIT("\n\t\r\b\f\x01\x1f\x7f"));
    CHECK_EQ_PS(prt_buf_str(&b), "\"\\n\\t\\r\\b\\f\\u0001\\u001f\x7f\"");
    prt_buf_clear(&b);
    prt_json_quote(&b, (prt_str){ "a\0b", 3 });
    CHECK_EQ_PS(prt_buf_str(&b), "\"a\\u0000b\"");
    prt_buf_clear(&b);
    prt_json_quote(&b, PRT_STR_LIT("caf\xc3\xa9 \xf0\x9f\x98\x80"));
    CHECK_EQ_PS(prt_buf_str(&b), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
    prt_buf_free(&b);
}

/* ---- writer → parser round trips ---- */

TEST(round_trip_csv)
{
    const char *vals[] = { "plain", "", " ", "a,b", "\"", "\"\"", "say \"hi\"", " both ", "x\ny", "\t", ",", "a\"b" };
    size_t nv = sizeof vals / sizeof *vals;
    const char delims[] = { ',', ';', '\t', '|' };
    for (size_t d = 0; d < sizeof delims; d++) {
        prt_writer w;
        prt_w_begin(&w, PRT_OUT_CSV, delims[d], &wb);
        for (size_t i = 0; i < nv; i++)
            prt_w_str(&w, "f", prt_str_c(vals[i]));
        prt_w_end(&w);
        prt_str cols[16];
        prt_err e;
        int n = prt_csv_split(prt_buf_str(&wb), delims[d], cols, 16, NULL, &scratch, &e);
        CHECK_EQ_I(n, (int)nv);
        for (size_t i = 0; i < nv && n == (int)nv; i++)
            CHECK_EQ_PS(cols[i], vals[i]);
        prt_scratch_reset(&scratch);
    }
}

TEST(round_trip_json)
{
    const char *vals[] = { "plain", "", "q\"uote", "back\\slash", "nl\n", "ctl\x01\x1f", "caf\xc3\xa9",
                           "\xf0\x9f\x98\x80", "/" };
    static const char *const P[] = { "s" };
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        prt_writer w;
        prt_w_begin(&w, PRT_OUT_JSON, ',', &wb);
        prt_w_str(&w, "s", prt_str_c(vals[i]));
        prt_w_end(&w);
        prt_str v;
        uint64_t present;
        prt_err e;
        CHECK_EQ_I(prt_json_extract(prt_buf_str(&wb), P, 1, &v, &present, &scratch, &e), PRT_OK);
        CHECK_EQ_I(present, 1);
        CHECK_EQ_PS(v, vals[i]);
        prt_scratch_reset(&scratch);
    }
    /* typed fields read back through the scalar parsers */
    static const char *const Q[] = { "i", "f", "t", "b" };
    prt_writer w;
    prt_w_begin(&w, PRT_OUT_JSON, ',', &wb);
    prt_w_int(&w, "i", INT64_MIN);
    prt_w_float(&w, "f", 0.1 + 0.2);
    prt_w_ts(&w, "t", -62135596800001LL);
    prt_w_bool(&w, "b", 0);
    prt_w_end(&w);
    prt_str v[4];
    uint64_t present;
    prt_err e;
    CHECK_EQ_I(prt_json_extract(prt_buf_str(&wb), Q, 4, v, &present, &scratch, &e), PRT_OK);
    CHECK_EQ_I(present, 15);
    int64_t i, t;
    double f;
    int b;
    CHECK(prt_parse_int(v[0], &i) == PRT_OK && i == INT64_MIN);
    CHECK(prt_parse_float(v[1], &f) == PRT_OK && f == 0.1 + 0.2);
    CHECK(prt_parse_ts(v[2], &t) == PRT_OK && t == -62135596800001LL);
    CHECK(prt_parse_bool(v[3], &b) == PRT_OK && b == 0);
    prt_scratch_reset(&scratch);
}

TEST(round_trip_kv)
{
    prt_writer w;
    prt_w_begin(&w, PRT_OUT_KV, ',', &wb);
    prt_w_str(&w, "status", PRT_STR_LIT("PAID"));
    prt_w_int(&w, "n", -7);
    prt_w_float(&w, "amount", 12.5);
    prt_w_ts(&w, "ts", 1716467696250LL);
    prt_w_end(&w);
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)wb.n, wb.p);
    CHECK_EQ_S(kv(line), "status=PAID|n=-7|amount=12.5|ts=2024-05-23T12:34:56.250Z|");
}

/* The text a csv writer may copy: exactly what formatting the parsed value writes, else none. */
static const char *int_text(const char *s)
{
    int64_t v;
    if (prt_parse_int(prt_str_c(s), &v) != PRT_OK)
        return "BAD";
    prt_str t = prt_csv_int_text(prt_str_c(s)), t2 = { "x", 1 };
    int64_t v2 = 0;
    /* the parser's own decision (a csv source), inside a record and alone */
    char rec[64];
    snprintf(rec, sizeof rec, "%s,0123456789", s);
    prt_str in = { rec, strlen(rec) }, at = { rec, strlen(s) };
    if (prt_parse_int_text(at, in, &v2, &t2) != PRT_OK || v2 != v || t2.p != (t.p ? rec : NULL) || t2.n != t.n)
        return "PARSER DECIDES OTHERWISE";
    if (prt_parse_int_text(prt_str_c(s), (prt_str){ NULL, 0 }, &v2, &t2) != PRT_OK || v2 != v || !t2.p != !t.p)
        return "PARSER DECIDES OTHERWISE (alone)";
    prt_buf b = { 0 };
    prt_fmt_int(&b, v);
    int same = t.p && b.n == t.n && !memcmp(b.p, t.p, t.n);
    prt_buf_free(&b);
    if (t.p && !same)
        return "COPIED BUT NOT CANONICAL";
    return t.p ? "text" : "format";
}

static const char *ts_text(const char *s)
{
    int64_t v;
    if (prt_parse_ts(prt_str_c(s), &v) != PRT_OK)
        return "BAD";
    prt_str t = prt_csv_ts_text(prt_str_c(s), v), t2 = { "x", 1 };
    int64_t v2 = 0;
    if (prt_parse_ts_text(prt_str_c(s), &v2, &t2) != PRT_OK || v2 != v || t2.p != t.p || t2.n != t.n)
        return "PARSER DECIDES OTHERWISE";
    prt_buf b = { 0 };
    prt_fmt_ts(&b, v);
    int same = t.p && b.n == t.n && !memcmp(b.p, t.p, t.n);
    prt_buf_free(&b);
    if (t.p && !same)
        return "COPIED BUT NOT CANONICAL";
    return t.p ? "text" : "format";
}

TEST(csv_text)
{
    CHECK_EQ_S(int_text("0"), "text");
    CHECK_EQ_S(int_text("42"), "text");
    CHECK_EQ_S(int_text("-5"), "text");
    CHECK_EQ_S(int_text("9223372036854775807"), "text");
    CHECK_EQ_S(int_text("-9223372036854775808"), "text");
    CHECK_EQ_S(int_text("007"), "format");
    CHECK_EQ_S(int_text("+5"), "format");
    CHECK_EQ_S(int_text("-0"), "format");
    CHECK_EQ_S(int_text("-05"), "format");
    CHECK_EQ_S(int_text(" 5"), "format");
    CHECK_EQ_S(int_text("5 "), "format");
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56Z"), "text");
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56.250Z"), "text");
    CHECK_EQ_S(ts_text("1969-12-31T23:59:59.999Z"), "text");
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56.000Z"), "format");
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56.25Z"), "format");
    CHECK_EQ_S(ts_text("2024-05-23t12:34:56z"), "format");
    CHECK_EQ_S(ts_text("2024-05-23 12:34:56Z"), "format");
    CHECK_EQ_S(ts_text("2024-05-23T14:34:56+02:00"), "format");
    CHECK_EQ_S(ts_text("1716467696250"), "format");
    CHECK_EQ_S(ts_text("10000000000000000000"), "BAD");
    CHECK_EQ_S(ts_text(" 2024-05-23T12:34:56Z"), "format");
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56.001Z"), "text");
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56.010Z"), "text");
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56.100Z"), "text");
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56.000Z"), "format"); /* again: now the parser's memo holds it */
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56.999Z"), "text");
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56.0a0Z"), "BAD"); /* the memo's second, not its digits */
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56.00:Z"), "BAD");
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56.250z"), "format");
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56,250Z"), "BAD");
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56Z"), "text"); /* the memo's second, whole */
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56z"), "format");
    CHECK_EQ_S(ts_text("2024-05-23T12:34:56.289Z"), "text"); /* digits whose bits together pass 9 */
    CHECK_EQ_S(ts_text("2024-02-30T12:34:56Z"), "BAD");
    CHECK_EQ_S(ts_text("2024-05-23T12:34:60Z"), "BAD");
    CHECK_EQ_S(ts_text("0000-01-01T00:00:00Z"), "text");
    CHECK_EQ_S(ts_text("9999-12-31T23:59:59.999Z"), "text");
    /* strings: a plain line's field without blanks at its ends */
    CHECK(prt_csv_str_text(prt_str_c("a b"), 1).p != NULL);
    CHECK(prt_csv_str_text(prt_str_c(""), 1).p != NULL);
    CHECK(prt_csv_str_text(prt_str_c("a b"), 0).p == NULL);
    CHECK(prt_csv_str_text(prt_str_c(" a"), 1).p == NULL);
    CHECK(prt_csv_str_text(prt_str_c("a\t"), 1).p == NULL);
}

TEST(csv_plain)
{
    static const struct { const char *line; int plain; } cases[] = {
        { "a,b", 1 },
        { "", 1 },
        { "1000,1001,23215,Apple,https://x/y?query=1,2024-05-23T12:00:00Z,spkso", 1 },
        { "a,\"b\"", 0 },
        { "a,b\"c", 0 },
        { "a,b\rc", 0 },
        { "1000,1001,23215,Apple,https://x/y?query=1,2024-05-23T12:00:00Z,\"q\"", 0 },
        { "1000,1001,23215,Apple,https://x/y?query=1,2024-05-23T12:00:00Z,a\rb", 0 },
        { "0123456789abcdef\r", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        prt_str cols[8];
        prt_err e;
        int plain = -1;
        CHECK(prt_csv_split(prt_str_c(cases[i].line), ',', cols, 8, &plain, &scratch, &e) >= 1);
        if (plain != cases[i].plain)
            TEST_FAIL("plain of '%s' is %d, expected %d", cases[i].line, plain, cases[i].plain);
    }
}

/* The AVX2 way of prt_csv_split (32 bytes a turn, 64 from 64 bytes on) against the 16-byte one
 * and the byte-by-byte one (lines under 16 bytes): random lines of 0 to 140 bytes over the delimiter, '"', '\r', ';',
 * spaces and letters, each in a buffer of its exact size (ASan: nothing read past it), with
 * and without *plain, a max below and above the field count: the same count, the same fields
 * (the same slices of the line, or the same unescaped bytes), the same plain flag and error. */
#if !defined(__x86_64__) || !defined(__GNUC__)
static int prt_csv_avx2; /* no AVX2 way: the test compares the 16-byte way with itself */
#endif
TEST(csv_split_wide)
{
    int had = prt_csv_avx2;
    uint64_t seed = 777;
    for (int round = 0; round < 60000; round++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t n = (size_t)(seed >> 33) % 141;
        int quotes = round % 4 == 0; /* most lines plain, as most input */
        char *line = malloc(n ? n : 1);
        prt_assert(line != NULL);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned r = (unsigned)(seed >> 33) % 16;
            line[i] = r < 3 ? ',' : r == 3 ? ';' : r == 4 ? ' ' : r == 5 && quotes ? '"' : r == 6 && quotes ? '\r'
                    : (char)('a' + i % 26);
        }
        int max = round % 3 == 0 ? 4 : 64;
        prt_str c16[64], c32[64];
        prt_err e16, e32;
        int p16 = -1, p32 = -1, *pp16 = round % 2 ? &p16 : NULL, *pp32 = round % 2 ? &p32 : NULL;
        prt_csv_avx2 = 0;
        int n16 = prt_csv_split((prt_str){ line, n }, ',', c16, max, pp16, &scratch, &e16);
        prt_csv_avx2 = had;
        int n32 = prt_csv_split((prt_str){ line, n }, ',', c32, max, pp32, &scratch, &e32);
        int ok = n16 == n32 && p16 == p32 && (n16 >= 0 || strcmp(e16.msg, e32.msg) == 0);
        for (int i = 0; ok && i < n16 && i < max; i++)
            ok = c16[i].n == c32[i].n && (c16[i].p == c32[i].p || memcmp(c16[i].p, c32[i].p, c16[i].n) == 0);
        if (!ok) {
            TEST_FAIL("%.*s: %d fields (plain %d) the 16-byte way, %d (plain %d) the 32-byte way", (int)n, line,
                      n16, p16, n32, p32);
            free(line);
            break;
        }
        free(line);
        prt_scratch_reset(&scratch);
    }
    prt_csv_avx2 = had;
}

int main(void)
{
    RUN(kv_pairs);
    RUN(kv_errors);
    RUN(kv_slices);
    RUN(kv_edges);
    RUN(csv_split);
    RUN(csv_max_columns);
    RUN(csv_errors);
    RUN(csv_slices);
    RUN(csv_split_blocks);
    RUN(kv_blocks);
    RUN(kv_exact);
    RUN(json_values);
    RUN(json_duplicates_and_null);
    RUN(json_strings);
    RUN(json_paths);
    RUN(json_errors);
    RUN(json_number_errors);
    RUN(json_string_errors);
    RUN(json_depth);
    RUN(json_many_paths);
    RUN(writer_formats);
    RUN(writer_json_values);
    RUN(writer_csv_quoting);
    RUN(writer_kv);
    RUN(json_quote);
    RUN(writer_scan_positions);
    RUN(round_trip_csv);
    RUN(round_trip_json);
    RUN(round_trip_kv);
    RUN(csv_text);
    RUN(csv_plain);
    RUN(csv_split_wide);
    prt_buf_free(&wb);
    prt_scratch_free(&scratch);
    return test_summary();
}
