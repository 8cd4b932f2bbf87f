/* fuzz_json.c — libFuzzer harness for the json tokenizer: the verdict and error message do not
 * depend on which paths are selected (matching and skipping validate alike), selected values lie
 * in the line or the scratch, and any byte string quoted by prt_json_quote reads back exactly
 * when it is valid UTF-8 (and is rejected when it is not).
 */
#include "prt_format.h"

#include <stdio.h>
#include <stdlib.h>

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); abort(); } } while (0)

static prt_scratch scratch;

/* an independent UTF-8 check (RFC 3629: no overlongs, surrogates or > U+10FFFF) */
static int valid_utf8(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        if (c < 0x80) { i++; continue; }
        size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
        if (!len || c > 0xf4 || c == 0xc0 || c == 0xc1 || i + len > n)
            return 0;
        for (size_t k = 1; k < len; k++)
            if ((p[i + k] & 0xc0) != 0x80)
                return 0;
        if (c == 0xe0 && p[i + 1] < 0xa0) return 0;
        if (c == 0xed && p[i + 1] >= 0xa0) return 0;
        if (c == 0xf0 && p[i + 1] < 0x90) return 0;
        if (c == 0xf4 && p[i + 1] >= 0x90) return 0;
        i += len;
    }
    return 1;
}

static int inside(prt_str v, prt_str line)
{
    return !v.n || (v.p >= line.p && v.p + v.n <= line.p + line.n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const paths[] = { "a", "b", "a.b", "data.price", "data", "x.y.z", "", "a.b.c" };
    enum { NP = sizeof paths / sizeof *paths };
    prt_str line = { (const char *)data, size };
    prt_str vals[NP];
    uint64_t present, p0;
    prt_err e1, e2;
    int r1 = prt_json_extract(line, paths, NP, vals, &present, &scratch, &e1);
    int r0 = prt_json_extract(line, paths, 0, NULL, &p0, &scratch, &e2);
    REQUIRE(r1 == r0);
    REQUIRE(p0 == 0);
    if (r1 == PRT_ERR) {
        REQUIRE(strcmp(e1.msg, e2.msg) == 0);
        REQUIRE(strncmp(e1.msg, "invalid JSON at byte ", 21) == 0);
        REQUIRE((size_t)atol(e1.msg + 21) <= size);
    } else {
        for (int i = 0; i < NP; i++) {
            if (!(present >> i & 1)) {
                REQUIRE(vals[i].n == 0);
                continue;
            }
            /* strings with escapes were unescaped into the scratch; everything else is a slice */
            if (!inside(vals[i], line))
                REQUIRE(vals[i].p != NULL);
            /* a selected object is raw JSON text that parses on its own (a string value is
             * preceded by its opening quote, or lives in the scratch) */
            if (vals[i].n && vals[i].p[0] == '{' && inside(vals[i], line) && vals[i].p[-1] != '"') {
                uint64_t p2;
                REQUIRE(prt_json_extract(vals[i], paths, 0, NULL, &p2, &scratch, &e2) == PRT_OK);
            }
        }
    }
    prt_scratch_reset(&scratch);

    /* quote round trip */
    prt_buf b = { 0 };
    prt_buf_puts(&b, "{\"a\":");
    prt_json_quote(&b, line);
    prt_buf_puts(&b, ",\"a\":");
    prt_json_quote(&b, line); /* last wins: the same value */
    prt_buf_putc(&b, '}');
    static const char *const A[] = { "a" };
    prt_str v;
    int r = prt_json_extract(prt_buf_str(&b), A, 1, &v, &present, &scratch, &e1);
    if (valid_utf8(data, size)) {
        REQUIRE(r == PRT_OK && present == 1 && prt_str_eq(v, line));
    } else {
        REQUIRE(r == PRT_ERR && strstr(e1.msg, "invalid UTF-8"));
    }
    prt_buf_free(&b);
    prt_scratch_reset(&scratch);
    return 0;
}
