/* fuzz_pipeline.c — libFuzzer harness for the front end: any bytes go through pc_load_text
 * (YAML, parse, check) with diagnostics written to /dev/null. It must never crash, hang or leak
 * past the arena. Seeds: tests/fuzz/corpus/pipeline/ (and tests/golden/ YAML files). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pc_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    if (!devnull)
        return 0;
    pc_arena arena = { 0 };
    pc_diags d;
    pc_diag_init(&d, "fuzz.yaml", NULL, 0, devnull);
    pc_load_text(&arena, &d, "fuzz.yaml", (const char *)data, size);
    pc_arena_free(&arena);
    return 0;
}
