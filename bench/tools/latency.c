/* latency.c — processing time − event time at the sink of a job fed at a fixed rate:
 *   latency RATE COUNT BIN [ARG]...
 * Runs `BIN run --quiet ARG...` with a pipe on its stdin and stdout, writes COUNT Nexmark bids
 * (csv, from the runtime's generator, made before the clock starts so the feeder keeps up) at
 * RATE per second, each stamped with the wall-clock millisecond it is due as its date_time, and
 * reads the job's output as it comes: the last csv
 * field of every output line is that date_time, so (now - it) is the record's latency.
 * Prints "p50_ms=A p99_ms=B sent=N received=M". Millisecond resolution (event times are ms).
 */
#include "prt_core.h"
#include "prt_gen.h"
#include "prt_scalar.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: latency RATE COUNT BIN [ARG]...\n");
        return 2;
    }
    int64_t rate = atoll(argv[1]), count = atoll(argv[2]);
    if (rate <= 0 || count <= 0) {
        fprintf(stderr, "latency: RATE and COUNT must be positive\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) {
        perror("latency: pipe");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("latency: fork");
        return 2;
    }
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        char **av = calloc((size_t)argc + 2, sizeof *av);
        if (!av)
            _exit(127);
        int n = 0;
        av[n++] = argv[3];
        av[n++] = "run";
        av[n++] = "--quiet";
        for (int i = 4; i < argc; i++)
            av[n++] = argv[i];
        execv(argv[3], av);
        fprintf(stderr, "latency: %s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    fcntl(out[0], F_SETFL, O_NONBLOCK);

    prt_gen_spec sp = { "nexmark_bid", "csv", 7, 0, 0, 0, 0 };
    prt_err e;
    prt_gen *g = prt_gen_new(&sp, &e);
    if (!g) {
        fprintf(stderr, "latency: %s\n", e.msg);
        return 2;
    }
    int64_t *lat = malloc(sizeof *lat * (size_t)count);
    size_t *pre = malloc(sizeof *pre * (size_t)count), *st = malloc(sizeof *st * (size_t)(count + 1));
    prt_buf line = { 0 }, pend = { 0 }, rd = { 0 }, all = { 0 };
    if (!lat || !pre || !st) {
        perror("latency: malloc");
        return 2;
    }
    /* all bids first: bid i is all[st[i] .. st[i+1]), fields 0..4 with their comma up to pre[i],
     * then ",extra"; the date_time goes between them when it is sent */
    for (int64_t i = 0; i < count; i++) {
        int64_t ts;
        prt_gen_next(g, &line, &ts);
        prt_str l = prt_buf_str(&line);
        const char *p = l.p, *end = l.p + l.n;
        for (int f = 0; f < 5; f++)
            p = memchr(p, ',', (size_t)(end - p)) + 1;
        const char *extra = memchr(p, ',', (size_t)(end - p));
        st[i] = all.n;
        prt_buf_put(&all, l.p, (size_t)(p - l.p));
        pre[i] = all.n;
        prt_buf_put(&all, extra, (size_t)(end - extra));
    }
    st[count] = all.n;
    size_t pend_at = 0;
    int64_t sent = 0, got = 0, t0 = now_us() + 100000; /* the job has 100 ms to start */
    int in_open = 1, out_open = 1;
    while (out_open) {
        int64_t now = now_us();
        /* every record due by now, stamped with its due millisecond */
        while (sent < count && t0 + sent * 1000000 / rate <= now && pend.n - pend_at < (1 << 20)) {
            prt_buf_put(&pend, all.p + st[sent], pre[sent] - st[sent]);
            prt_fmt_ts(&pend, (t0 + sent * 1000000 / rate) / 1000);
            prt_buf_put(&pend, all.p + pre[sent], st[sent + 1] - pre[sent]);
            prt_buf_putc(&pend, '\n');
            sent++;
        }
        if (in_open && pend.n > pend_at) {
            ssize_t w = write(in[1], pend.p + pend_at, pend.n - pend_at);
            if (w > 0)
                pend_at += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                perror("latency: write");
                return 1;
            }
            if (pend_at == pend.n)
                prt_buf_clear(&pend), pend_at = 0;
        }
        if (in_open && sent == count && pend_at == pend.n) {
            close(in[1]);
            in_open = 0;
        }
        char buf[1 << 16];
        ssize_t r = read(out[0], buf, sizeof buf);
        if (r > 0) {
            int64_t at = now_us() / 1000;
            prt_buf_put(&rd, buf, (size_t)r);
            char *p = rd.p, *end = rd.p + rd.n, *nl;
            while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
                char *c = nl;
                while (c > p && c[-1] != ',')
                    c--;
                int64_t ts;
                if (prt_parse_ts((prt_str){ c, (size_t)(nl - c) }, &ts) == PRT_OK && got < count)
                    lat[got++] = at - ts;
                p = nl + 1;
            }
            size_t left = (size_t)(end - p);
            memmove(rd.p, p, left);
            rd.n = left;
        } else if (r == 0) {
            out_open = 0;
        } else if (errno != EAGAIN && errno != EINTR) {
            perror("latency: read");
            return 1;
        } else {
            struct pollfd pf[2] = { { out[0], POLLIN, 0 }, { in[1], POLLOUT, 0 } };
            int wait_ms = 1;
            if (sent == count && !in_open)
                wait_ms = 100;
            poll(pf, in_open && pend.n > pend_at ? 2 : 1, wait_ms);
        }
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "latency: the job failed (status %d)\n", status);
        return 1;
    }
    if (!got) {
        fprintf(stderr, "latency: no output line carried a timestamp\n");
        return 1;
    }
    qsort(lat, (size_t)got, sizeof *lat, cmp64);
    printf("p50_ms=%lld p99_ms=%lld sent=%lld received=%lld\n", (long long)lat[got / 2],
           (long long)lat[(size_t)((double)got * 0.99) < (size_t)got ? (size_t)((double)got * 0.99) : (size_t)got - 1],
           (long long)sent, (long long)got);
    prt_gen_free(g);
    free(lat);
    prt_buf_free(&line);
    prt_buf_free(&pend);
    prt_buf_free(&rd);
    prt_buf_free(&all);
    free(pre);
    free(st);
    return 0;
}
