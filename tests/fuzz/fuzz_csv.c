/* fuzz_csv.c — libFuzzer harness for the csv tokenizer: the first byte picks the delimiter, the
 * rest is the line. Columns are counted even past max, errors name a byte offset, and writing the
 * columns with the csv writer re-reads the same columns.
 */
#include "prt_format.h"

#include <stdio.h>
#include <stdlib.h>

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); abort(); } } while (0)
#define MAXC 32

static prt_scratch scratch;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    static const char delims[] = { ',', ';', '\t', '|', ' ', 'x' };
    char delim = delims[data[0] % sizeof delims];
    prt_str line = { (const char *)data + 1, size - 1 };
    prt_str cols[MAXC], again[MAXC], few[2];
    prt_err e;
    int n = prt_csv_split(line, delim, cols, MAXC, NULL, &scratch, &e);
    int n2 = prt_csv_split(line, delim, few, 2, NULL, &scratch, &e);
    REQUIRE(n == n2); /* max does not change the count or the verdict */
    if (n == PRT_ERR) {
        REQUIRE(strncmp(e.msg, "invalid CSV at byte ", 20) == 0);
        REQUIRE((size_t)atol(e.msg + 20) < line.n);
        prt_scratch_reset(&scratch);
        return 0;
    }
    REQUIRE(n >= 1);
    for (int i = 0; i < 2 && i < n; i++)
        REQUIRE(prt_str_eq(few[i], cols[i]));
    if (n <= MAXC) {
        prt_buf out = { 0 };
        prt_writer w;
        prt_w_begin(&w, PRT_OUT_CSV, delim, &out);
        for (int i = 0; i < n; i++)
            prt_w_str(&w, "c", cols[i]);
        prt_w_end(&w);
        int m = prt_csv_split(prt_buf_str(&out), delim, again, MAXC, NULL, &scratch, &e);
        REQUIRE(m == n);
        for (int i = 0; i < n; i++)
            REQUIRE(prt_str_eq(again[i], cols[i]));
        prt_buf_free(&out);
    }
    prt_scratch_reset(&scratch);
    return 0;
}
