/* prt_admin_ctl.c — the client side of the admin endpoint: `BIN health`, `BIN savepoint DIR` and
 * `BIN stop`, which act on the job listening at --admin ADDR (default: the YAML's admin.listen).
 * A job is found by its address, never by process name, so jobs run side by side.
 *
 * A minimal HTTP/1.0 client over one loopback TCP connection per request (the server is ours;
 * libevent serves it). Exit status: 0 done, 1 the job refused or failed, 2 usage, 3 no job
 * answers at the address.
 */
#include "prt_admin.h"
#include "prt_jobpriv.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef struct http_resp {
    int status;    /* 0: no connection */
    prt_buf body;
} http_resp;

/* Connects to "HOST:PORT" (":PORT"/"PORT": 127.0.0.1). -1 on failure with errno set. */
static int dial(const char *addr)
{
    char host[128];
    const char *colon = strrchr(addr, ':');
    const char *port = colon ? colon + 1 : addr;
    size_t hn = colon ? (size_t)(colon - addr) : 0;
    if (hn >= 2 && addr[0] == '[' && addr[hn - 1] == ']') {
        addr++;
        hn -= 2;
    }
    if (hn == 0 || hn >= sizeof host)
        snprintf(host, sizeof host, "127.0.0.1");
    else {
        memcpy(host, addr, hn);
        host[hn] = 0;
    }
    if (!strcmp(host, "localhost"))
        snprintf(host, sizeof host, "127.0.0.1");
    struct addrinfo hints = { 0 }, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    if (getaddrinfo(host, port, &hints, &res) != 0 || !res) {
        errno = EINVAL;
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        int err = errno;
        close(fd);
        fd = -1;
        errno = err;
    }
    freeaddrinfo(res);
    return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL); /* a peer gone is an error, not SIGPIPE */
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return PRT_ERR;
        p += w;
        n -= (size_t)w;
    }
    return PRT_OK;
}

/* One request; r->status 0 when nothing answers. timeout_s bounds the wait for the reply. */
static void http(const char *addr, const char *method, const char *path, const char *body,
                 int timeout_s, http_resp *r)
{
    r->status = 0;
    prt_buf_clear(&r->body);
    int fd = dial(addr);
    if (fd < 0)
        return;
    struct timeval tv = { timeout_s, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    prt_buf req = { 0 };
    size_t blen = body ? strlen(body) : 0;
    prt_buf_printf(&req, "%s %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n", method, path, addr);
    if (body)
        prt_buf_printf(&req, "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n", blen);
    prt_buf_puts(&req, "\r\n");
    if (body)
        prt_buf_put(&req, body, blen);
    prt_buf raw = { 0 };
    if (write_all(fd, req.p, req.n) == PRT_OK) {
        char chunk[4096];
        for (;;) {
            ssize_t n = read(fd, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            prt_buf_put(&raw, chunk, (size_t)n);
        }
    }
    close(fd);
    prt_buf_free(&req);
    prt_buf_putc(&raw, 0);
    int code = 0;
    if (sscanf(raw.p, "HTTP/%*d.%*d %d", &code) == 1) {
        r->status = code;
        const char *b = strstr(raw.p, "\r\n\r\n");
        if (b)
            prt_buf_puts(&r->body, b + 4);
    } else {
        r->status = -1; /* connected, but no HTTP reply */
    }
    prt_buf_free(&raw);
}

/* Appends s percent-encoded (RFC 3986 unreserved characters kept). */
static void urlenc(prt_buf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || c == '/')
            prt_buf_putc(b, (char)c);
        else
            prt_buf_printf(b, "%%%02X", c);
    }
}

/* DIR made absolute against our working directory: the job may run elsewhere. A DIR ending
 * in '/' is a parent (created if missing) for a new savepoint named by the UTC time, so a
 * fixed command (a Kubernetes preStop) never collides with an earlier savepoint. */
static void absolute(const char *dir, prt_buf *out)
{
    char cwd[PATH_MAX];
    if (dir[0] != '/' && getcwd(cwd, sizeof cwd))
        prt_buf_printf(out, "%s/", cwd);
    prt_buf_puts(out, dir);
    size_t n = strlen(dir);
    if (n && dir[n - 1] == '/') {
        prt_buf_putc(out, 0);
        mkdir(out->p, 0777); /* EEXIST is fine; other failures surface in the savepoint */
        out->n--;
        time_t now = time(NULL);
        struct tm tm;
        char name[40] = "savepoint";
        if (gmtime_r(&now, &tm))
            strftime(name, sizeof name, "savepoint-%Y%m%dT%H%M%SZ", &tm);
        prt_buf_puts(out, name);
    }
    prt_buf_putc(out, 0);
}

/* The "message" of a JSON reply, for people; the whole body when there is none. */
static void print_message(FILE *f, const char *prog, const http_resp *r)
{
    const char *body = r->body.p ? r->body.p : "";
    const char *m = strstr(body, "\"message\":\"");
    if (!m) {
        fprintf(f, "%s: %s", prog, body);
        return;
    }
    m += 11;
    fprintf(f, "%s: ", prog);
    for (; *m && *m != '"'; m++) {
        if (*m == '\\' && m[1])
            m++;
        fputc(*m, f);
    }
    fputc('\n', f);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int prt_admin_cli(int argc, char **argv, const char *prog, const prt_job_desc *d)
{
    const char *cmd = argv[1], *addr = NULL, *dir = NULL;
    int drain = 0, ready = 0, wait = 1;
    long timeout_s = 120;
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    prt_assert(sets != NULL);
    int nsets = 0, code = -1;
    int is_stop = !strcmp(cmd, "stop"), is_sp = !strcmp(cmd, "savepoint"), is_health = !strcmp(cmd, "health");

    for (int i = 2; i < argc && code < 0; i++) {
        const char *a = argv[i];
        const char **want = NULL;
        if (!strcmp(a, "--admin"))
            want = &addr;
        else if (!strncmp(a, "--admin=", 8))
            addr = a + 8;
        else if (!strcmp(a, "--set") && i + 1 < argc)
            sets[nsets++] = argv[++i];
        else if (!strncmp(a, "--set=", 6))
            sets[nsets++] = a + 6;
        else if (is_stop && !strcmp(a, "--savepoint"))
            want = &dir;
        else if (is_stop && !strncmp(a, "--savepoint=", 12))
            dir = a + 12;
        else if (is_stop && !strcmp(a, "--drain"))
            drain = 1;
        else if (is_stop && !strcmp(a, "--no-wait"))
            wait = 0;
        else if (is_stop && !strncmp(a, "--timeout=", 10))
            timeout_s = strtol(a + 10, NULL, 10);
        else if (is_health && !strcmp(a, "--ready"))
            ready = 1;
        else if (is_sp && a[0] != '-' && !dir)
            dir = a;
        else {
            fprintf(stderr, "%s: %s: unexpected argument '%s' (see --help)\n", prog, cmd, a);
            code = 2;
        }
        if (want) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: %s: %s needs a value\n", prog, cmd, a);
                code = 2;
            } else
                *want = argv[++i];
        }
    }
    if (code < 0 && is_sp && !dir) {
        fprintf(stderr, "%s: savepoint: name the directory: %s savepoint [--admin ADDR] DIR\n", prog, prog);
        code = 2;
    }
    prt_job *j = NULL;
    if (code < 0 && !addr) { /* the YAML's admin.listen, ${...} and --set resolved */
        j = prt_job_new(d, sets, nsets);
        if (!j)
            code = 2;
        else if (!(addr = prt_cfg(j, "admin.listen")) || !*addr) {
            fprintf(stderr, "%s: %s: no admin address: give --admin ADDR (the job's run --admin) or set "
                    "admin.listen in the YAML\n", prog, cmd);
            code = 2;
        }
    }
    if (code >= 0)
        goto done;

    http_resp r = { 0 };
    prt_buf abs = { 0 }, body = { 0 };
    if (is_health) {
        http(addr, "GET", ready ? "/readyz" : "/healthz", NULL, 10, &r);
        code = r.status == 200 ? 0 : r.status == 0 ? 3 : 1;
        if (code == 3)
            fprintf(stderr, "%s: health: no job answers at %s: %s\n", prog, addr, strerror(errno));
        else
            fputs(r.body.p ? r.body.p : "", code ? stderr : stdout);
    } else {
        if (dir) {
            absolute(dir, &abs);
            prt_buf_puts(&body, is_sp ? "dir=" : "savepoint=");
            urlenc(&body, abs.p);
        }
        if (drain)
            prt_buf_puts(&body, body.n ? "&drain=1" : "drain=1");
        prt_buf_putc(&body, 0);
        http(addr, "POST", is_sp ? "/api/savepoint" : "/api/stop", body.p, 700, &r);
        if (r.status == 0) {
            fprintf(stderr, "%s: %s: no job answers at %s: %s\n", prog, cmd, addr, strerror(errno));
            code = 3;
        } else if (r.status != 200) {
            print_message(stderr, prog, &r);
            code = 1;
        } else {
            print_message(stdout, prog, &r);
            code = 0;
        }
        if (code == 0 && is_stop && wait) { /* until the job has exited: its address goes quiet */
            int64_t until = mono_ms() + timeout_s * 1000;
            int fd;
            while ((fd = dial(addr)) >= 0 && mono_ms() < until) {
                close(fd);
                struct timespec ts = { 0, 50 * 1000 * 1000 };
                nanosleep(&ts, NULL);
            }
            if (fd >= 0) {
                close(fd);
                fprintf(stderr, "%s: stop: the job at %s still answers after %ld s\n", prog, addr, timeout_s);
                code = 1;
            } else
                printf("%s: stopped\n", prog);
        }
    }
    prt_buf_free(&abs);
    prt_buf_free(&body);
    prt_buf_free(&r.body);
done:
    prt_job_free(j);
    free(sets);
    return code;
}
