/* prt_log.c — prt_log (prt_job.h): one line on stderr, "<pipeline>: <message>".
 *
 * The line is formatted first and written with one call, so lines from the Kafka threads and
 * the loop never interleave. Lines longer than 1023 bytes are cut.
 */
#include "prt_job.h"

#include <stdarg.h>
#include <stdio.h>

void prt_log(prt_job *j, const char *fmt, ...)
{
    char line[1024];
    int n = snprintf(line, sizeof line, "%s: ", j && j->desc ? j->desc->pipeline : "pipeline");
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", line);
}
