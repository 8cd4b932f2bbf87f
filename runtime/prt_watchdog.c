/* prt_watchdog.c — a deadline for a blocking call (prt_watchdog.h). */
#include "prt_watchdog.h"

#include "prt_core.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct prt_watchdog {
    pthread_t t;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct timespec deadline; /* CLOCK_MONOTONIC */
    int done;
    char *msg;
};

static void *watch(void *arg)
{
    prt_watchdog *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->done) {
        int r = pthread_cond_timedwait(&w->cv, &w->mu, &w->deadline);
        if (r == ETIMEDOUT && !w->done) {
            size_t n = strlen(w->msg);
            ssize_t ignored = write(STDERR_FILENO, w->msg, n);
            (void)ignored;
            _exit(1);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

prt_watchdog *prt_watchdog_arm(int64_t ms, const char *msg)
{
    prt_watchdog *w = calloc(1, sizeof *w);
    prt_assert(w != NULL);
    size_t n = strlen(msg);
    w->msg = malloc(n + 2);
    prt_assert(w->msg != NULL);
    memcpy(w->msg, msg, n);
    memcpy(w->msg + n, "\n", 2);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&w->mu, NULL);
    clock_gettime(CLOCK_MONOTONIC, &w->deadline);
    w->deadline.tv_sec += ms / 1000;
    w->deadline.tv_nsec += (ms % 1000) * 1000000L;
    if (w->deadline.tv_nsec >= 1000000000L) {
        w->deadline.tv_sec++;
        w->deadline.tv_nsec -= 1000000000L;
    }
    if (pthread_create(&w->t, NULL, watch, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w->msg);
        free(w);
        return NULL;
    }
    return w;
}

void prt_watchdog_disarm(prt_watchdog *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->t, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w->msg);
    free(w);
}
