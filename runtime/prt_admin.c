/* prt_admin.c — the admin endpoint's server: the evhttp thread, routing, and the hand-over of
 * savepoint and stop requests to the job's thread (prt_admin.h).
 *
 * Why evhttp: libevent is well kept, packaged by Debian and links fully static as Debian ships
 * it (-levent_extra -levent_core); see the README. The admin thread owns its event base; the
 * job thread talks to it only through `mu`/`cv` (one request at a time) and a wake-up pipe.
 */
#include "prt_admin.h"
#include "prt_jobpriv.h"
#include "prt_format.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "prt_snap.h"

#define PUBLISH_MS 100        /* gauges are refreshed at most this often */
#define REQUEST_WAIT_S 600    /* how long a savepoint or stop may take before 504 */

enum { REQ_NONE, REQ_SAVEPOINT, REQ_STOP };

struct prt_admin {
    prt_job *j;
    char listen[128];
    struct event_base *base;
    struct evhttp *http;
    struct event *wake_ev;
    int wake[2];              /* job thread -> admin thread: leave the loop */
    pthread_t th;
    int started;
    int64_t last_publish;     /* job thread only */
    /* the request hand-over */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int pending;       /* a request waits for the job thread */
    int req, drain, closing, done, rc;
    char dir[PATH_MAX];
    char msg[PATH_MAX + 512];
};

/* ---------------------------------------------------------------- job thread side */

static void serve_request(prt_admin *a)
{
    prt_job *j = a->j;
    pthread_mutex_lock(&a->mu);
    int req = a->req, drain = a->drain;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", a->dir);
    pthread_mutex_unlock(&a->mu);

    int rc = PRT_OK;
    char msg[PATH_MAX + 512] = "";
    prt_err e;
    e.msg[0] = 0;
    if (req == REQ_STOP) { /* not ready from here on: the drain and the savepoint are part of the stop */
        prt_gauge_set(&j->stats->ready, 0);
        prt_gauge_set(&j->stats->status, PRT_ST_STOPPING);
    }
    if (req == REQ_STOP && drain && j->desc->finish) {
        prt_log(j, "stop requested with --drain: firing every open window");
        j->now = prt_wall_ms();
        prt_workers_finish(j); /* as at the end of bounded input */
    }
    if (dir[0]) {
        prt_workers_drain(j); /* every worker's state is quiet while it is written */
        int64_t t0 = prt_mono_ms();
        rc = prt_snap_write(j, dir, req == REQ_STOP && drain, &e);
        if (rc == PRT_OK) {
            snprintf(msg, sizeof msg, "savepoint written to %s in %lld ms", dir,
                     (long long)(prt_mono_ms() - t0));
            prt_log(j, "%s", msg);
        } else {
            snprintf(msg, sizeof msg, "savepoint to %s failed: %s", dir, e.msg);
            prt_log(j, "%s", msg);
        }
    }
    if (req == REQ_STOP && rc != PRT_OK) { /* the stop is refused: the job runs on */
        prt_gauge_set(&j->stats->status, PRT_ST_RUNNING);
        prt_gauge_set(&j->stats->ready, 1);
    }
    if (req == REQ_STOP && rc == PRT_OK) {
        prt_log(j, "stop requested through the admin endpoint");
        if (!msg[0])
            snprintf(msg, sizeof msg, "stopping");
        j->stop = 1;
    }
    pthread_mutex_lock(&a->mu);
    a->rc = rc;
    snprintf(a->msg, sizeof a->msg, "%s", msg);
    a->done = 1;
    atomic_store(&a->pending, 0);
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

void prt_admin_poll(prt_admin *a, int force)
{
    if (!a)
        return;
    int64_t now = prt_mono_ms();
    if (force || now - a->last_publish >= PUBLISH_MS) {
        a->last_publish = now;
        prt_stats_publish(a->j);
    }
    if (atomic_load_explicit(&a->pending, memory_order_acquire)) {
        prt_stats_publish(a->j);
        serve_request(a);
    }
}

/* ---------------------------------------------------------------- admin thread side */

static void reply(struct evhttp_request *req, int code, const char *reason, const char *type,
                  const char *body, size_t n)
{
    struct evbuffer *out = evbuffer_new();
    if (!out) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    evbuffer_add(out, body, n);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", type);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_send_reply(req, code, reason, out);
    evbuffer_free(out);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
    reply(req, code, reason, "text/plain; charset=utf-8", text, strlen(text));
}

static void reply_json_msg(struct evhttp_request *req, int code, const char *reason, int ok,
                           const char *msg)
{
    prt_buf b = { 0 };
    prt_buf_printf(&b, "{\"ok\":%s,\"message\":", ok ? "true" : "false");
    prt_json_quote(&b, prt_str_c(msg));
    prt_buf_puts(&b, "}\n");
    reply(req, code, reason, "application/json", b.p, b.n);
    prt_buf_free(&b);
}

/* A parameter from the query string or a form-encoded body (body wins). */
static int param(struct evhttp_request *req, const char *name, char *out, size_t cap)
{
    struct evkeyvalq q;
    int found = 0;
    out[0] = 0;
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    if (query && evhttp_parse_query_str(query, &q) == 0) {
        const char *v = evhttp_find_header(&q, name);
        if (v) {
            snprintf(out, cap, "%s", v);
            found = 1;
        }
        evhttp_clear_headers(&q);
    }
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t n = evbuffer_get_length(in);
    if (n > 0 && n < 65536) {
        char *body = malloc(n + 1);
        if (body) {
            evbuffer_copyout(in, body, n);
            body[n] = 0;
            if (evhttp_parse_query_str(body, &q) == 0) {
                const char *v = evhttp_find_header(&q, name);
                if (v) {
                    snprintf(out, cap, "%s", v);
                    found = 1;
                }
                evhttp_clear_headers(&q);
            }
            free(body);
        }
    }
    return found;
}

static int truthy(const char *v)
{
    return !strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !v[0];
}

/* Hands a request to the job thread and waits for its result. */
static void job_request(prt_admin *a, struct evhttp_request *req, int kind, const char *dir, int drain)
{
    pthread_mutex_lock(&a->mu);
    if (a->closing || atomic_load(&a->pending) || a->req != REQ_NONE) {
        pthread_mutex_unlock(&a->mu);
        reply_json_msg(req, 409, "Conflict", 0,
                       a->closing ? "the job is stopping" : "another savepoint or stop is in progress");
        return;
    }
    a->req = kind;
    a->drain = drain;
    a->done = 0;
    snprintf(a->dir, sizeof a->dir, "%s", dir ? dir : "");
    atomic_store_explicit(&a->pending, 1, memory_order_release);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += REQUEST_WAIT_S;
    int timed_out = 0;
    while (!a->done && !a->closing && !timed_out)
        timed_out = pthread_cond_timedwait(&a->cv, &a->mu, &until) == ETIMEDOUT;
    int done = a->done, rc = a->rc;
    char msg[PATH_MAX + 512];
    snprintf(msg, sizeof msg, "%s", a->done ? a->msg : "the job ended before serving the request");
    a->req = REQ_NONE;
    pthread_mutex_unlock(&a->mu);
    if (!done)
        reply_json_msg(req, timed_out ? 504 : 503, timed_out ? "Gateway Timeout" : "Service Unavailable", 0,
                       timed_out ? "the job did not serve the request in time" : msg);
    else if (rc != PRT_OK)
        reply_json_msg(req, 500, "Internal Server Error", 0, msg);
    else
        reply_json_msg(req, 200, "OK", 1, msg);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    prt_admin *a = arg;
    prt_job *j = a->j;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    int get = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD, post = cmd == EVHTTP_REQ_POST;
    if (!path)
        path = "/";

    if (!strcmp(path, "/healthz") && get) {
        reply_text(req, 200, "OK", "ok\n");
    } else if (!strcmp(path, "/readyz") && get) {
        int64_t st = prt_gauge_get(&j->stats->status);
        if (prt_gauge_get(&j->stats->ready))
            reply_text(req, 200, "OK", "ready\n");
        else
            reply_text(req, 503, "Service Unavailable",
                       st == PRT_ST_STARTING ? "starting: sources connecting or restore running\n"
                                             : "not ready: the job is stopping\n");
    } else if (!strcmp(path, "/metrics") && get) {
        prt_buf b = { 0 };
        prt_admin_metrics(j, &b);
        reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", b.p, b.n);
        prt_buf_free(&b);
    } else if (!strcmp(path, "/api/job") && get) {
        prt_buf b = { 0 };
        prt_admin_job_json(j, a->listen, &b);
        reply(req, 200, "OK", "application/json", b.p, b.n);
        prt_buf_free(&b);
    } else if ((!strcmp(path, "/") || !strcmp(path, "/index.html")) && get) {
        reply(req, 200, "OK", "text/html; charset=utf-8", prt_admin_page, strlen(prt_admin_page));
    } else if (!strcmp(path, "/api/savepoint") && post) {
        char dir[PATH_MAX];
        if (!param(req, "dir", dir, sizeof dir) || !dir[0])
            reply_json_msg(req, 400, "Bad Request", 0, "name the savepoint directory: dir=PATH");
        else
            job_request(a, req, REQ_SAVEPOINT, dir, 0);
    } else if (!strcmp(path, "/api/stop") && post) {
        char dir[PATH_MAX], drain[16];
        param(req, "savepoint", dir, sizeof dir);
        int d = param(req, "drain", drain, sizeof drain) && truthy(drain);
        job_request(a, req, REQ_STOP, dir, d);
    } else if (!strcmp(path, "/api/savepoint") || !strcmp(path, "/api/stop")) {
        reply_text(req, 405, "Method Not Allowed", "use POST\n");
    } else {
        reply_text(req, 404, "Not Found", "not found: try /, /api/job, /metrics, /healthz, /readyz\n");
    }
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    prt_admin *a = arg;
    char c;
    (void)what;
    while (read(fd, &c, 1) > 0)
        ;
    /* let replies already handed to evhttp reach their clients, then leave */
    struct timeval grace = { 0, 200 * 1000 };
    event_base_loopexit(a->base, &grace);
}

static void *admin_main(void *arg)
{
    prt_admin *a = arg;
    event_base_dispatch(a->base);
    return NULL;
}

/* Splits "HOST:PORT", ":PORT", "PORT" or "[V6]:PORT"; loopback when no host is written. */
static int split_addr(const char *addr, char *host, size_t cap, int *port)
{
    const char *colon = strrchr(addr, ':');
    const char *p = colon ? colon + 1 : addr;
    char *end;
    long v = strtol(p, &end, 10);
    if (!*p || *end || v < 0 || v > 65535)
        return PRT_ERR;
    *port = (int)v;
    size_t hn = colon ? (size_t)(colon - addr) : 0;
    if (hn >= 2 && addr[0] == '[' && addr[hn - 1] == ']') {
        addr++;
        hn -= 2;
    }
    if (hn == 0) {
        snprintf(host, cap, "127.0.0.1");
        return PRT_OK;
    }
    if (hn >= cap)
        return PRT_ERR;
    memcpy(host, addr, hn);
    host[hn] = 0;
    if (!strcmp(host, "localhost")) /* no resolver in an empty container */
        snprintf(host, cap, "127.0.0.1");
    return PRT_OK;
}

static void admin_free(prt_admin *a)
{
    if (a->wake_ev)
        event_free(a->wake_ev);
    if (a->http)
        evhttp_free(a->http);
    if (a->base)
        event_base_free(a->base);
    if (a->wake[0] >= 0)
        close(a->wake[0]);
    if (a->wake[1] >= 0)
        close(a->wake[1]);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

prt_admin *prt_admin_start(prt_job *j, const char *addr, prt_err *e)
{
    char host[96];
    int port;
    if (split_addr(addr, host, sizeof host, &port) != PRT_OK) {
        prt_errf(e, "admin.listen: invalid address '%s' (expected HOST:PORT, e.g. 127.0.0.1:8081)", addr);
        return NULL;
    }
    prt_admin *a = calloc(1, sizeof *a);
    prt_assert(a != NULL);
    a->j = j;
    a->wake[0] = a->wake[1] = -1;
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    a->last_publish = INT64_MIN / 2;
    if (pipe2(a->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        prt_errf(e, "admin: pipe: %s", strerror(errno));
        goto fail;
    }
    a->base = event_base_new();
    a->http = a->base ? evhttp_new(a->base) : NULL;
    if (!a->http) {
        prt_errf(e, "admin: cannot create the HTTP server");
        goto fail;
    }
    evhttp_set_allowed_methods(a->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
    evhttp_set_max_body_size(a->http, 65536);
    evhttp_set_gencb(a->http, on_request, a);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(a->http, host, (ev_uint16_t)port);
    if (!bs) {
        prt_errf(e, "admin.listen: cannot listen on %s:%d: %s", host, port, strerror(errno));
        goto fail;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int bound = port;
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0)
        bound = ss.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                                         : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    snprintf(a->listen, sizeof a->listen, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, bound);
    a->wake_ev = event_new(a->base, a->wake[0], EV_READ | EV_PERSIST, on_wake, a);
    if (!a->wake_ev || event_add(a->wake_ev, NULL) != 0) {
        prt_errf(e, "admin: cannot watch the wake-up pipe");
        goto fail;
    }
    /* signals (SIGINT/SIGTERM) are the job thread's: the admin thread blocks them all */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int started = pthread_create(&a->th, NULL, admin_main, a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started != 0) {
        prt_errf(e, "admin: cannot start the admin thread");
        goto fail;
    }
    a->started = 1;
    return a;
fail:
    admin_free(a);
    return NULL;
}

const char *prt_admin_address(const prt_admin *a) { return a->listen; }

void prt_admin_stop(prt_admin *a)
{
    if (!a)
        return;
    prt_stats_publish(a->j); /* the last numbers; a request still waiting gets 503 */
    pthread_mutex_lock(&a->mu);
    a->closing = 1;
    pthread_cond_broadcast(&a->cv);
    pthread_mutex_unlock(&a->mu);
    if (a->started) {
        char c = 'x';
        while (write(a->wake[1], &c, 1) < 0 && errno == EINTR)
            ;
        pthread_join(a->th, NULL);
    }
    admin_free(a);
}
