/* fuzz_scalar.c — libFuzzer harness for prt_scalar: parsers never crash, and every formatted
 * value reads back exactly (ints, floats bit for bit, timestamps in years 0000..9999).
 */
#include "prt_scalar.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); abort(); } } while (0)

static prt_buf b;

static void check_int(int64_t v)
{
    int64_t r;
    prt_buf_clear(&b);
    prt_fmt_int(&b, v);
    REQUIRE(prt_parse_int(prt_buf_str(&b), &r) == PRT_OK && r == v);
}

static void check_float(double v)
{
    double r;
    prt_buf_clear(&b);
    prt_fmt_float(&b, v);
    if (!isfinite(v)) {
        REQUIRE(prt_parse_float(prt_buf_str(&b), &r) == PRT_ERR);
        return;
    }
    REQUIRE(prt_parse_float(prt_buf_str(&b), &r) == PRT_OK);
    REQUIRE(memcmp(&r, &v, sizeof r) == 0);
    /* shortest: no longer than %.17g (+ ".0"); always has a '.' or an exponent */
    char g[40];
    snprintf(g, sizeof g, "%.17g", v);
    REQUIRE(b.n <= strlen(g) + 2);
    REQUIRE(memchr(b.p, '.', b.n) || memchr(b.p, 'e', b.n));
}

static void check_ts(int64_t v)
{
    int64_t r;
    prt_buf_clear(&b);
    prt_fmt_ts(&b, v);
    REQUIRE(b.n >= 20 && b.p[b.n - 1] == 'Z');
    if (v >= -62167219200000LL && v <= 253402300799999LL) /* years 0000..9999 */
        REQUIRE(prt_parse_ts(prt_buf_str(&b), &r) == PRT_OK && r == v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prt_str s = { (const char *)data, size };
    int64_t i;
    double f;
    int bo;
    if (prt_parse_int(s, &i) == PRT_OK) {
        check_int(i);
        double g;
        REQUIRE(prt_parse_float(s, &g) == PRT_OK || size >= 512); /* an int is a float too */
        int64_t t;
        REQUIRE(prt_parse_ts(s, &t) == PRT_OK && t == i); /* and epoch ms */
    }
    if (prt_parse_float(s, &f) == PRT_OK) {
        REQUIRE(isfinite(f));
        check_float(f);
    }
    if (prt_parse_bool(s, &bo) == PRT_OK)
        REQUIRE(bo == 0 || bo == 1);
    if (prt_parse_ts(s, &i) == PRT_OK)
        check_ts(i);
    /* the raw bytes as binary values */
    if (size >= 8) {
        uint64_t u;
        memcpy(&u, data, 8);
        memcpy(&f, &u, 8);
        check_float(f);
        check_int((int64_t)u);
        check_ts((int64_t)u);
        check_ts((int64_t)(u % 315537897600000ULL) - 62167219200000LL); /* within 0000..9999 */
    }
    return 0;
}
