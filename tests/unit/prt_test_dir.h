/* prt_test_dir.h — a scratch directory for a test program (/tmp/prt-test-<name>.<pid>) and
 * paths in it; for the tests that write files (durable files, state stores, checkpoints). */
#ifndef PRT_TEST_DIR_H
#define PRT_TEST_DIR_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prt_fsutil.h"

static char tdir[256];

/* <tdir>/<name>; eight results stay valid at once */
static inline char *tpath(const char *name)
{
    static char p[8][512];
    static int k;
    char *s = p[k++ & 7];
    snprintf(s, 512, "%s/%s", tdir, name);
    return s;
}

/* Creates tdir; on failure prints a FAIL line for the whole program and returns -1. */
static inline int tdir_make(const char *name)
{
    snprintf(tdir, sizeof tdir, "/tmp/prt-test-%s.%d", name, (int)getpid());
    if (mkdir(tdir, 0755) != 0) {
        printf("FAIL %s/setup: mkdir %s: %s\n", name, tdir, strerror(errno));
        return -1;
    }
    return 0;
}

static inline void tdir_remove(void)
{
    prt_err e;
    if (prt_rmtree(tdir, &e) != PRT_OK)
        printf("# cleanup: %s\n", e.msg);
}

#endif
