/* prt_admin.h — the admin HTTP endpoint of a running job (libevent's evhttp on its own thread):
 * /healthz, /readyz, /metrics, /api/job, POST /api/savepoint, POST /api/stop and the page at /.
 * Also the client side used by `BIN health|savepoint|stop` (prt_admin_ctl.c).
 *
 * Threading: the admin thread only reads what the job publishes (prt_stats.h, the immutable
 * job descriptor). What needs the job itself (a savepoint, a stop) is handed to the job's thread
 * as one pending request that prt_admin_poll serves between polls; the admin thread waits for
 * its result. Ownership: the prt_admin belongs to the run; prt_admin_stop joins the thread and
 * frees it, and must run before the job is freed.
 */
#ifndef PRT_ADMIN_H
#define PRT_ADMIN_H

#include "prt_job.h"

typedef struct prt_admin prt_admin;

/* Binds addr ("HOST:PORT"; ":PORT" or "PORT" mean 127.0.0.1; PORT 0 picks a free port) and
 * starts the admin thread. NULL with the reason in e when the address is invalid or taken. */
prt_admin *prt_admin_start(prt_job *j, const char *addr, prt_err *e);
/* "HOST:PORT" actually bound (the port resolved when 0 was asked). Borrowed from a. */
const char *prt_admin_address(const prt_admin *a);
/* Job thread, between polls: refreshes the published gauges (at most every 100 ms unless
 * force) and serves a pending savepoint or stop request. Cheap when nothing is pending. */
void prt_admin_poll(prt_admin *a, int force);
/* Answers a request still waiting (503), stops the thread (letting replies already sent
 * flush) and frees a. NULL is fine. */
void prt_admin_stop(prt_admin *a);

/* Job thread: copies watermarks and state sizes into j->stats (prt_admin_pub.c). */
void prt_stats_publish(prt_job *j);
/* Job thread, error paths: a bad record at stage (NULL: j->cur_source's parse), a late drop. */
void prt_stats_count_error(prt_job *j, const char *stage, const prt_err *e);
void prt_stats_count_late(prt_job *j, const char *stage);

/* Responses, built by the admin thread from j->stats and j->desc (prt_admin_api.c). */
void prt_admin_job_json(prt_job *j, const char *listen, prt_buf *b); /* GET /api/job */
void prt_admin_metrics(prt_job *j, prt_buf *b);                      /* GET /metrics */
extern const char prt_admin_page[];                                  /* GET / (prt_page.c) */

/* ---------------------------------------------------------------- client (prt_admin_ctl.c) */

/* `BIN health|savepoint|stop ...` (argv[1] is the command); addr_default is the YAML's
 * admin.listen or NULL. Returns the exit status: 0 done, 1 the job refused or failed, 2 usage,
 * 3 no job answers at the address. */
int prt_admin_cli(int argc, char **argv, const char *prog, const prt_job_desc *d);

#endif
