/* prt_progress.c — the progress line on a terminal: when stderr is a tty (and not --quiet), one
 * line rewritten in place every second with the records in, the rate, and — where the input's
 * size is known (files, a generator with a count) — the percent done and the time left.
 *
 * Where the input's size comes from: each source's position (prt_pos.h), which names the bytes
 * read per file and the records a generator emitted, against the files' sizes and the
 * generator's count. Job thread only; the state is the run's (prt_progress fields in prt_run).
 */
#include "prt_jobpriv.h"
#include "prt_pos.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROGRESS_MS 1000

/* Fraction of source s read, in [0, 1]; -1 when unknown (followed files, stdin, Kafka). */
static double source_done(prt_job *j, int i)
{
    prt_source *s = j->sources[i];
    const char *conn = j->desc->sources[i].connector;
    if (PRT_RUN(j)->done[i])
        return 1.0;
    if (!s->ops->position || (strcmp(conn, "file") && strcmp(conn, "generator")))
        return -1;
    char path[192];
    int follow = 0;
    snprintf(path, sizeof path, "sources.%s.file.follow", j->desc->sources[i].name);
    if (!strcmp(conn, "file") && (prt_cfg_bool(j, path, 0, &follow) != PRT_OK || follow))
        return -1;
    prt_buf b = { 0 };
    prt_err e;
    prt_pos_reader r;
    double frac = -1;
    if (s->ops->position(s, &b, &e) == PRT_OK && prt_pos_open(&r, b.p, b.n, conn, &e) == PRT_OK) {
        prt_str name;
        int64_t v[3];
        if (!strcmp(conn, "generator")) {
            int64_t count = 0;
            snprintf(path, sizeof path, "sources.%s.generator.count", j->desc->sources[i].name);
            if (prt_pos_next(&r, &name, 3, v, &e) == 1 && prt_cfg_int(j, path, 0, &count) == PRT_OK && count > 0)
                frac = (double)v[0] / (double)count;
        } else {
            double got = 0, total = 0;
            int rc;
            while ((rc = prt_pos_next(&r, &name, 3, v, &e)) == 1) {
                char file[4096];
                struct stat st;
                snprintf(file, sizeof file, "%.*s", (int)name.n, name.p);
                if (stat(file, &st) != 0)
                    break;
                total += (double)st.st_size;
                got += v[2] ? (double)st.st_size : (double)v[0];
            }
            if (rc == 0 && total > 0)
                frac = got / total;
        }
    }
    prt_buf_free(&b);
    return frac > 1 ? 1 : frac;
}

int prt_progress_on(prt_job *j)
{
    prt_run *run = PRT_RUN(j);
    if (!run->progress_checked) {
        run->progress_checked = 1;
        run->progress_tty = !run->quiet && isatty(2);
    }
    return run->progress_tty;
}

void prt_progress(prt_job *j, int64_t mono)
{
    prt_run *run = PRT_RUN(j);
    if (!prt_progress_on(j))
        return;
    if (!run->progress_last)
        run->progress_last = run->started_mono;
    if (mono - run->progress_last < PROGRESS_MS)
        return;
    int64_t dt = mono - run->progress_last;
    uint64_t in = j->m.records_in;
    double rate = dt > 0 ? (double)(in - run->progress_in) * 1000.0 / (double)dt : 0;
    run->progress_last = mono;
    run->progress_in = in;

    double frac = 0;
    int known = j->desc->nsources > 0;
    for (int i = 0; i < j->desc->nsources && known; i++) {
        double f = source_done(j, i);
        if (f < 0)
            known = 0;
        else
            frac += f / j->desc->nsources;
    }
    char line[256];
    int n = snprintf(line, sizeof line, "\r%s: %llu records in, %llu out, %.0f/s", j->desc->pipeline,
                     (unsigned long long)in, (unsigned long long)j->m.records_out, rate);
    if (known && n > 0 && (size_t)n < sizeof line) {
        double secs = (double)(mono - run->started_mono) / 1000.0;
        n += snprintf(line + n, sizeof line - (size_t)n, ", %.0f%%", frac * 100);
        if (frac > 0.001 && frac < 1 && (size_t)n < sizeof line)
            snprintf(line + n, sizeof line - (size_t)n, ", ETA %.0f s", secs * (1 - frac) / frac);
    }
    fprintf(stderr, "%s\033[K", line);
    run->progress_shown = 1;
}

void prt_progress_end(prt_job *j)
{
    prt_run *run = PRT_RUN(j);
    if (run->progress_shown)
        fputs("\r\033[K", stderr); /* the summary line takes its place */
    run->progress_shown = 0;
}
