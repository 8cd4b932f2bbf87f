/* gen.c — writes the benchmark inputs with the runtime's generator (prt_gen.h), so pipec, the
 * hand-written C programs and Flink all read the same bytes.
 *
 *   gen orders N FILE    [--seed S] [--format kv|csv|json] [--step-ms MS]
 *       N of seed 001's orders (one line each), event times MS apart (default 1).
 *   gen nexmark N DIR    [--seed S] [--format csv|kv|json] [--rate EVENTS_PER_S]
 *       N Nexmark events as one stream (per 50: 1 person, 3 auctions, 46 bids), split by kind
 *       into DIR/person.EXT, DIR/auction.EXT, DIR/bid.EXT; event n at start + n / rate.
 *   FILE or DIR "-": generate and discard (measures the generator alone).
 * Event times start at 2024-05-23T12:00:00Z. On stderr: events, CPU seconds, events/s per core.
 */
#include "prt_core.h"
#include "prt_gen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define T0 1716465600000LL /* 2024-05-23T12:00:00Z */

static int usage(void)
{
    fprintf(stderr, "usage: gen orders N FILE [--seed S] [--format F] [--step-ms MS]\n"
                    "       gen nexmark N DIR [--seed S] [--format F] [--rate EVENTS_PER_S]\n");
    return 2;
}

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static FILE *open_out(const char *dir, const char *name, const char *ext)
{
    if (!strcmp(dir, "-"))
        return NULL;
    char path[4096];
    if (name)
        snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
    else
        snprintf(path, sizeof path, "%s", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    static char bufs[3][1 << 20];
    static int used;
    setvbuf(f, bufs[used++ % 3], _IOFBF, sizeof bufs[0]);
    return f;
}

static void put(FILE *f, const prt_buf *line)
{
    if (!f)
        return;
    prt_str s = prt_buf_str(line);
    fwrite(s.p, 1, s.n, f);
    putc('\n', f);
}

static void close_out(FILE *f)
{
    if (f && (fflush(f) != 0 || ferror(f) || fclose(f) != 0)) {
        perror("gen: write");
        exit(1);
    }
}

static prt_gen *mk(const char *kind, const char *fmt, uint64_t seed, int64_t step_ms, int64_t step_us)
{
    prt_gen_spec sp = { kind, fmt, seed, T0, step_ms, 0, step_us };
    prt_err e;
    prt_gen *g = prt_gen_new(&sp, &e);
    if (!g) {
        fprintf(stderr, "gen: %s\n", e.msg);
        exit(2);
    }
    return g;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return usage();
    const char *what = argv[1], *out = argv[3];
    long long n = atoll(argv[2]);
    const char *fmt = !strcmp(what, "orders") ? "kv" : "csv";
    uint64_t seed = 1;
    long long step_ms = 1, rate = 100000;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--format"))
            fmt = argv[i + 1];
        else if (!strcmp(argv[i], "--step-ms"))
            step_ms = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--rate"))
            rate = atoll(argv[i + 1]);
        else
            return usage();
    }
    if (n < 0 || rate <= 0 || (argc - 4) % 2)
        return usage();
    prt_buf line = { 0 };
    int64_t ts;
    double c0 = cpu_s();
    if (!strcmp(what, "orders")) {
        prt_gen *g = mk("orders", fmt, seed, step_ms, 0);
        FILE *f = open_out(out, NULL, NULL);
        for (long long i = 0; i < n; i++) {
            prt_gen_next(g, &line, &ts);
            put(f, &line);
        }
        close_out(f);
        prt_gen_free(g);
    } else if (!strcmp(what, "nexmark")) {
        int64_t us = 1000000 / rate > 0 ? 1000000 / rate : 1;
        prt_gen *p = mk("nexmark_person", fmt, seed, 0, us), *a = mk("nexmark_auction", fmt, seed, 0, us),
                *b = mk("nexmark_bid", fmt, seed, 0, us);
        FILE *fp = open_out(out, "person", fmt), *fa = open_out(out, "auction", fmt), *fb = open_out(out, "bid", fmt);
        for (long long i = 0; i < n; i++) {
            int k = (int)(i % 50);
            prt_gen *g = k == 0 ? p : k <= 3 ? a : b;
            prt_gen_next(g, &line, &ts);
            put(k == 0 ? fp : k <= 3 ? fa : fb, &line);
        }
        close_out(fp);
        close_out(fa);
        close_out(fb);
        prt_gen_free(p);
        prt_gen_free(a);
        prt_gen_free(b);
    } else {
        return usage();
    }
    double c = cpu_s() - c0;
    fprintf(stderr, "gen %s: %lld events, %.3f s CPU, %.0f events/s\n", what, n, c, c > 0 ? (double)n / c : 0.0);
    prt_buf_free(&line);
    return 0;
}
