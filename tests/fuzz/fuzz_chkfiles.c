/* fuzz_chkfiles.c — libFuzzer harness for the readers of checkpoint files: the first byte picks
 * the target, the rest is a file. 0: raw bytes through the durable-file reader; 1: the content
 * of a MANIFEST (wrapped in a valid durable file, so the parser behind the CRC is reached);
 * 2: the content of a memory-state snapshot file, restored into a store. Every input is either
 * accepted or refused with a reason; nothing crashes, leaks or reads out of bounds.
 */
#include "prt_be.h"
#include "prt_chkdir.h"
#include "prt_durable.h"
#include "prt_fsutil.h"
#include "prt_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define REQUIRE(c) do { if (!(c)) { fprintf(stderr, "invariant failed: %s (%s:%d)\n", #c, __FILE__, __LINE__); abort(); } } while (0)

static char root[128];

static void cleanup(void)
{
    prt_err e;
    prt_rmtree(root, &e);
}

static void write_raw(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    REQUIRE(fwrite(p, 1, n, f) == n);
    REQUIRE(fclose(f) == 0);
}

static void write_durable(const char *path, const char *magic, const uint8_t *p, size_t n)
{
    prt_err e;
    prt_durable_w *w;
    REQUIRE(prt_durable_create(&w, path, magic, 1, &e) == PRT_OK);
    REQUIRE(prt_durable_write(w, p, n, &e) == PRT_OK);
    REQUIRE(prt_durable_commit(w, &e) == PRT_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    if (!root[0]) {
        snprintf(root, sizeof root, "/dev/shm/prt-fuzz-chkfiles.%d", (int)getpid());
        if (mkdir(root, 0755) != 0) {
            snprintf(root, sizeof root, "/tmp/prt-fuzz-chkfiles.%d", (int)getpid());
            REQUIRE(mkdir(root, 0755) == 0);
        }
        atexit(cleanup);
    }
    prt_err e;
    char path[256];
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0: {
        snprintf(path, sizeof path, "%s/raw", root);
        write_raw(path, p, n);
        prt_buf out = { 0 };
        uint32_t v = 0;
        if (prt_durable_load(path, "PRTFUZZ1", 3, &v, &out, &e) == PRT_OK) {
            REQUIRE(n == out.n + 32 && v >= 1 && v <= 3);
            REQUIRE(memcmp(p, "PRTFUZZ1", 8) == 0);
        } else {
            REQUIRE(strncmp(e.msg, path, strlen(path)) == 0);
        }
        prt_buf_free(&out);
        break;
    }
    case 1: {
        snprintf(path, sizeof path, "%s/chk-1", root);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/chk-1/MANIFEST", root);
        write_durable(path, "PRTCHKMF", p, n);
        prt_chk_manifest m;
        if (prt_chkdir_load(root, 1, 1, &m, &e) == PRT_OK) {
            REQUIRE(m.id == 1 && m.pipeline);
            for (size_t i = 0; i < m.nfiles; i++)
                REQUIRE(m.files[i].path[0] != '/' && !strstr(m.files[i].path, ".."));
            prt_chk_manifest_free(&m);
        } else {
            REQUIRE(e.msg[0]);
        }
        break;
    }
    case 2: {
        snprintf(path, sizeof path, "%s/snap", root);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/snap/memory", root);
        mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/snap/memory/op-0001.state", root);
        write_durable(path, "PRTMEMST", p, n);
        prt_state_cfg cfg = { PRT_STATE_MEMORY, NULL, 0 };
        prt_state *st;
        REQUIRE(prt_state_open(&st, &cfg, &e) == PRT_OK);
        snprintf(path, sizeof path, "%s/snap", root);
        if (prt_state_restore(st, path, &e) != PRT_OK)
            REQUIRE(e.msg[0]);
        prt_state_close(st);
        break;
    }
    }
    return 0;
}
