/* prt_log.c — prt_log (prt_job.h): one line on stderr per event, "<pipeline>: <message>", or
 * with --log-format json one object per line: {"ts":"<RFC 3339>","pipeline":"…","msg":"…"}.
 *
 * The line is formatted first and written with one call, so lines from the Kafka threads, the
 * admin thread and the loop never interleave. Messages longer than 1023 bytes are cut.
 */
#include "prt_jobpriv.h"
#include "prt_format.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_json; /* set once by the command line, before any thread starts */

int prt_log_format(const char *name)
{
    if (!strcmp(name, "json"))
        log_json = 1;
    else if (!strcmp(name, "text"))
        log_json = 0;
    else
        return PRT_ERR;
    return PRT_OK;
}

void prt_log(prt_job *j, const char *fmt, ...)
{
    const char *pipeline = j && j->desc ? j->desc->pipeline : "pipeline";
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!log_json) { /* on a terminal, over the progress line (prt_progress.c) if one is shown */
        fprintf(stderr, "%s%s: %s\n", isatty(2) ? "\r\033[K" : "", pipeline, msg);
        return;
    }
    struct timespec ts;
    struct tm tm;
    char when[40] = "";
    clock_gettime(CLOCK_REALTIME, &ts);
    if (gmtime_r(&ts.tv_sec, &tm))
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    prt_buf b = { 0 };
    prt_buf_printf(&b, "{\"ts\":\"%s.%03ldZ\",\"pipeline\":", when, ts.tv_nsec / 1000000);
    prt_json_quote(&b, prt_str_c(pipeline));
    prt_buf_puts(&b, ",\"msg\":");
    prt_json_quote(&b, prt_str_c(msg));
    prt_buf_puts(&b, "}\n");
    fwrite(b.p, 1, b.n, stderr);
    prt_buf_free(&b);
}
