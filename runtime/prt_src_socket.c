/* prt_src_socket.c — the `socket` source: a TCP client reading lines from `host:port` (Flink's
 * socketTextStream; `nc -l PORT` is enough to feed it), unbounded.
 *
 * One partition (0); origin is "host:port" and offset the 1-based number of the line counted
 * over the whole run (all connections). When the peer goes away (end of stream, a reset) the
 * source says so on stderr and connects again after a delay that starts at `backoff` and
 * doubles up to `max_backoff`; it comes back to `backoff` once a connection delivered a line.
 * Each successful connection after the first counts as a reconnect (prt_source_reconnected:
 * pipec_source_reconnects_total). Bytes after the last newline when a connection ends are an
 * incomplete line: dropped and reported, never delivered as a record. A connection that cannot
 * be made is retried the same way. With `max_retries: N` the source gives up after N
 * consecutive failed attempts (0: at the first disconnect): it then ends (end of input) if it
 * was ever connected, else fails.
 *
 * A socket cannot replay what it sent, so the source has no position: position and seek refuse
 * with a reason that says so (across a crash its input is at most once), and checkpoint.mode
 * exactly_once refuses a pipeline with a socket source (prt_ckpt.c; docs/language.md).
 * Connecting and waiting never block the loop longer than the timeout it was given: the socket
 * is non-blocking and both wait with poll(2).
 * Ownership: the source owns its settings' copies, its address list, its socket and its reader.
 */
#include "prt_connector.h"
#include "prt_lines.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct sock_src {
    char *host, *port;          /* owned */
    char origin[300];           /* "host:port" */
    int64_t backoff, max_backoff, delay; /* ms; delay: the wait before the next attempt */
    int64_t max_retries;        /* -1: forever */
    int64_t failures;           /* consecutive failed attempts (or disconnects) */
    int64_t next_try;           /* monotonic ms of the next attempt */
    struct addrinfo *addrs, *ai; /* owned; ai: the address being tried */
    int fd;                     /* -1: not connected */
    int connecting;             /* a non-blocking connect is in progress on fd */
    int ever_connected, got_line, ended;
    int64_t line;               /* last line number delivered, over the whole run */
    prt_lines rd;
} sock_src;

static void sock_drop(sock_src *k)
{
    if (k->fd >= 0)
        close(k->fd);
    k->fd = -1;
    k->connecting = 0;
}

/* Prints a delay as the YAML would write it: "250ms", "2s", "1.5s". */
static const char *delay_text(int64_t ms, char *buf, size_t n)
{
    if (ms < 1000)
        snprintf(buf, n, "%lldms", (long long)ms);
    else if (ms % 1000 == 0)
        snprintf(buf, n, "%llds", (long long)(ms / 1000));
    else
        snprintf(buf, n, "%.1fs", (double)ms / 1000.0);
    return buf;
}

/* The attempt (or connection) failed: either gives up (PRT_SRC_EOF after a connection, PRT_ERR
 * before any) or schedules the next attempt. `why` is what happened, for the log line. */
static int sock_failed(prt_source *s, sock_src *k, const char *why)
{
    sock_drop(k);
    if (k->addrs) {
        freeaddrinfo(k->addrs);
        k->addrs = k->ai = NULL;
    }
    if (k->max_retries >= 0 && k->failures >= k->max_retries) {
        if (!k->ever_connected) {
            prt_log(s->job, "source %s: %s; giving up after %lld %s", s->desc->name, why,
                    (long long)k->failures, k->failures == 1 ? "retry" : "retries");
            return PRT_ERR;
        }
        prt_log(s->job, "source %s: %s; not reconnecting (max_retries: %lld): end of input",
                s->desc->name, why, (long long)k->max_retries);
        k->ended = 1;
        return PRT_SRC_EOF;
    }
    k->failures++;
    /* say it while the delay grows, then once a minute's worth of attempts */
    if (k->delay < k->max_backoff || k->failures % (60000 / (k->max_backoff ? k->max_backoff : 1) + 1) == 0) {
        char d[32];
        prt_log(s->job, "source %s: %s; reconnecting in %s", s->desc->name, why,
                delay_text(k->delay, d, sizeof d));
    }
    k->next_try = prt_mono_ms() + k->delay;
    k->delay = k->delay * 2 < k->max_backoff ? k->delay * 2 : k->max_backoff;
    return PRT_OK;
}

static void sock_connected(prt_source *s, sock_src *k)
{
    k->connecting = 0;
    k->got_line = 0;
    prt_lines_reset(&k->rd, k->fd);
    freeaddrinfo(k->addrs);
    k->addrs = k->ai = NULL;
    if (k->ever_connected) {
        prt_source_reconnected(s);
        prt_log(s->job, "source %s: reconnected to %s", s->desc->name, k->origin);
    } else {
        prt_log(s->job, "source %s: connected to %s", s->desc->name, k->origin);
    }
    k->ever_connected = 1;
    k->failures = 0;
}

/* Starts a non-blocking connect to the next address (resolving the name first when needed).
 * PRT_OK with fd set (connecting or connected), or the result of sock_failed. */
static int sock_start(prt_source *s, sock_src *k)
{
    char why[512];
    if (!k->addrs) {
        struct addrinfo hints;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        int rc = getaddrinfo(k->host, k->port, &hints, &k->addrs);
        if (rc != 0) {
            k->addrs = NULL;
            snprintf(why, sizeof why, "cannot resolve %s: %s", k->origin, gai_strerror(rc));
            return sock_failed(s, k, why);
        }
        k->ai = k->addrs;
    }
    int err = 0;
    while (k->ai) {
        struct addrinfo *a = k->ai;
        k->ai = a->ai_next;
        k->fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (k->fd < 0) {
            err = errno;
            continue;
        }
        if (connect(k->fd, a->ai_addr, a->ai_addrlen) == 0) {
            sock_connected(s, k);
            return PRT_OK;
        }
        if (errno == EINPROGRESS) {
            k->connecting = 1;
            return PRT_OK;
        }
        err = errno;
        sock_drop(k);
    }
    snprintf(why, sizeof why, "cannot connect to %s: %s", k->origin, strerror(err ? err : ECONNREFUSED));
    return sock_failed(s, k, why);
}

static int sock_open(prt_source *s)
{
    prt_job *j = s->job;
    char key[192];
    snprintf(key, sizeof key, "%shost", s->prefix);
    const char *host = prt_cfg(j, key);
    snprintf(key, sizeof key, "%sport", s->prefix);
    const char *port = prt_cfg(j, key);
    if (!host || !*host || !port || !*port) {
        prt_log(j, "source %s: %s%s is not set", s->desc->name, s->prefix, !host || !*host ? "host" : "port");
        return PRT_ERR;
    }
    int64_t p;
    if (prt_cfg_int(j, key, 0, &p) != PRT_OK)
        return PRT_ERR;
    if (p < 1 || p > 65535) {
        prt_log(j, "source %s: %s is %lld: a port is between 1 and 65535", s->desc->name, key, (long long)p);
        return PRT_ERR;
    }
    sock_src *k = calloc(1, sizeof *k);
    prt_assert(k != NULL);
    k->fd = -1;
    k->max_retries = -1;
    int rc = PRT_OK;
    snprintf(key, sizeof key, "%sbackoff", s->prefix);
    rc |= prt_cfg_dur(j, key, 100, &k->backoff);
    snprintf(key, sizeof key, "%smax_backoff", s->prefix);
    rc |= prt_cfg_dur(j, key, 5000, &k->max_backoff);
    snprintf(key, sizeof key, "%smax_retries", s->prefix);
    if (prt_cfg(j, key))
        rc |= prt_cfg_int(j, key, -1, &k->max_retries);
    if (rc == PRT_OK && (k->backoff <= 0 || k->max_backoff < k->backoff)) {
        prt_log(j, "source %s: backoff must be positive and at most max_backoff", s->desc->name);
        rc = PRT_ERR;
    }
    if (rc == PRT_OK && k->max_retries < -1) {
        prt_log(j, "source %s: max_retries must not be negative", s->desc->name);
        rc = PRT_ERR;
    }
    if (rc != PRT_OK) {
        free(k);
        return PRT_ERR;
    }
    k->delay = k->backoff;
    k->host = strdup(host);
    k->port = strdup(port);
    prt_assert(k->host && k->port);
    snprintf(k->origin, sizeof k->origin, strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
    prt_lines_init(&k->rd, -1);
    s->impl = k;
    prt_source_partition_add(s, 0);
    return PRT_OK;
}

/* The connection ended (the peer closed it, or reading failed): reports an incomplete last
 * line, then sock_failed. */
static int sock_lost(prt_source *s, sock_src *k, int err)
{
    char why[512];
    size_t partial = k->rd.len - k->rd.off;
    int n = err ? snprintf(why, sizeof why, "connection to %s lost: %s", k->origin, strerror(err))
                : snprintf(why, sizeof why, "%s closed the connection", k->origin);
    if (partial && n > 0 && (size_t)n < sizeof why)
        snprintf(why + n, sizeof why - (size_t)n, " (an incomplete last line of %zu bytes dropped)", partial);
    if (k->got_line) /* a working connection ended: start again from the shortest delay */
        k->delay = k->backoff;
    return sock_failed(s, k, why);
}

/* Waits for fd (events) up to ms; 1 ready, 0 not yet, -1 error (errno). */
static int wait_fd(int fd, short events, int ms)
{
    struct pollfd p = { fd, events, 0 };
    int r = poll(&p, 1, ms);
    if (r < 0 && errno == EINTR)
        return 0;
    return r;
}

static int sock_poll(prt_source *s, int max, int timeout_ms)
{
    sock_src *k = s->impl;
    int n = 0;
    if (k->ended)
        return PRT_SRC_EOF;
    while (n < max && !s->job->stop) {
        int wait = n ? 0 : timeout_ms;
        if (k->fd < 0) {
            int64_t left = k->next_try - prt_mono_ms();
            if (left > 0) {
                prt_sleep_ms(left < wait ? left : wait);
                break;
            }
            int rc = sock_start(s, k);
            if (rc != PRT_OK)
                return rc == PRT_SRC_EOF && n ? n : rc;
            continue;
        }
        if (k->connecting) {
            int r = wait_fd(k->fd, POLLOUT, wait);
            if (r == 0)
                break;
            int err = 0;
            socklen_t len = sizeof err;
            if (r < 0 || getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                err = errno;
            if (err == 0) {
                sock_connected(s, k);
                continue;
            }
            sock_drop(k);
            if (k->ai) /* another address of the name */
                continue;
            char why[512];
            snprintf(why, sizeof why, "cannot connect to %s: %s", k->origin, strerror(err));
            int rc = sock_failed(s, k, why);
            if (rc != PRT_OK)
                return rc == PRT_SRC_EOF && n ? n : rc;
            continue;
        }
        prt_str line;
        if (prt_lines_next(&k->rd, &line, 0)) {
            k->line++;
            k->got_line = 1;
            prt_raw raw = { line, { NULL, 0 }, k->origin, 0, k->line, PRT_NO_TS };
            prt_source_deliver(s, &raw);
            n++;
            continue;
        }
        int r = wait_fd(k->fd, POLLIN, wait);
        if (r == 0)
            break;
        ssize_t got = r < 0 ? -1 : prt_lines_fill(&k->rd);
        if (got > 0)
            continue;
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            break;
        int rc = sock_lost(s, k, got < 0 ? errno : 0);
        if (rc != PRT_OK)
            return rc == PRT_SRC_EOF && n ? n : rc;
    }
    return n;
}

static void sock_close(prt_source *s)
{
    sock_src *k = s->impl;
    if (!k)
        return;
    sock_drop(k);
    if (k->addrs)
        freeaddrinfo(k->addrs);
    prt_lines_free(&k->rd);
    free(k->host);
    free(k->port);
    free(k);
    s->impl = NULL;
}

static int sock_position(prt_source *s, prt_buf *b, prt_err *e)
{
    return prt_errf(e, "a socket source has no position: a socket cannot replay what it sent");
}

static int sock_seek(prt_source *s, const void *pos, size_t n, prt_err *e)
{
    return prt_errf(e, "a socket source cannot seek: a socket cannot replay what it sent");
}

const prt_source_ops prt_src_socket = {
    .connector = "socket", .open = sock_open, .poll = sock_poll, .close = sock_close,
    .position = sock_position, .seek = sock_seek,
};
