/* fuzz_kv.c — libFuzzer harness for the kv tokenizer: pairs are trimmed slices of the line with
 * a non-empty key, errors name a byte offset, and writing the pairs back as kv re-reads the same.
 */
#include "prt_format.h"

#include <stdio.h>
#include <stdlib.h>

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); abort(); } } while (0)
#define MAXP 64

static int blank(char c) { return c == ' ' || c == '\t'; }

/* A generated parser's first try (source_kv.c.tmpl, prt_kv.h) with the line's own keys as the
 * schema (when they are distinct names, no byte up to ' ' in them): when it takes the line, it
 * gives the very slices prt_kv_next gave. */
static void exact_try(prt_str line, const prt_str *keys, const prt_str *vals, int n)
{
    char nameq[256];
    prt_str v;
    uint64_t w0, w1;
    if (n < 1 || !prt_kv_commas(line, &w0, &w1))
        return;
    for (int i = 0; i < n; i++) {
        if (keys[i].n + 1 > sizeof nameq)
            return;
        for (size_t j = 0; j < keys[i].n; j++)
            if ((unsigned char)keys[i].p[j] <= ' ')
                return;
        for (int j = 0; j < i; j++)
            if (prt_str_eq(keys[i], keys[j]))
                return;
    }
    const char *b = line.p, *le = line.p + line.n;
    for (int i = 0; i < n; i++) {
        memcpy(nameq, keys[i].p, keys[i].n);
        nameq[keys[i].n] = '=';
        int c = i < n - 1 ? prt_kv_pop(&w0, &w1) : -1;
        if (i < n - 1 ? c < 0 || !prt_kv_take(&b, line.p + c, nameq, keys[i].n + 1, &v)
                      : (w0 | w1) || !prt_kv_take(&b, le, nameq, keys[i].n + 1, &v))
            return;
        REQUIRE(v.p == vals[i].p && v.n == vals[i].n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prt_str line = { (const char *)data, size };
    prt_str keys[MAXP], vals[MAXP];
    int n = 0, r;
    prt_kv_iter it;
    prt_err e;
    prt_str k, v;
    prt_kv_init(&it, line);
    while ((r = prt_kv_next(&it, &k, &v, &e)) == 1) {
        REQUIRE(k.n > 0);
        REQUIRE(k.p >= line.p && k.p + k.n <= line.p + line.n);
        REQUIRE(v.p >= line.p && v.p + v.n <= line.p + line.n);
        REQUIRE(!memchr(k.p, '=', k.n) && !memchr(k.p, ',', k.n) && !memchr(v.p, ',', v.n));
        REQUIRE(!blank(k.p[0]) && !blank(k.p[k.n - 1]));
        REQUIRE(!v.n || (!blank(v.p[0]) && !blank(v.p[v.n - 1])));
        if (n < MAXP)
            keys[n] = k, vals[n] = v;
        n++;
    }
    if (r == PRT_ERR) {
        REQUIRE(strncmp(e.msg, "invalid kv at byte ", 19) == 0);
        REQUIRE((size_t)atol(e.msg + 19) < size);
        return 0;
    }
    REQUIRE(r == 0);
    if (n > MAXP)
        return 0;
    exact_try(line, keys, vals, n);
    /* write back (keys must be C strings for the writer) and re-read */
    prt_buf out = { 0 }, names = { 0 };
    prt_writer w;
    prt_w_begin(&w, PRT_OUT_KV, ',', &out);
    size_t off[MAXP];
    for (int i = 0; i < n; i++) {
        off[i] = names.n;
        prt_buf_put(&names, keys[i].p, keys[i].n);
        prt_buf_putc(&names, 0);
    }
    int has_nul = 0;
    for (int i = 0; i < n; i++) {
        has_nul |= memchr(keys[i].p, 0, keys[i].n) != NULL;
        if (!has_nul)
            prt_w_str(&w, names.p + off[i], vals[i]);
    }
    prt_w_end(&w);
    if (!has_nul) {
        prt_kv_init(&it, prt_buf_str(&out));
        for (int i = 0; i < n; i++) {
            REQUIRE(prt_kv_next(&it, &k, &v, &e) == 1);
            REQUIRE(prt_str_eq(k, keys[i]) && prt_str_eq(v, vals[i]));
        }
        REQUIRE(prt_kv_next(&it, &k, &v, &e) == 0);
    }
    prt_buf_free(&out);
    prt_buf_free(&names);
    return 0;
}
