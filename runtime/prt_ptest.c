/* prt_ptest.c — `BIN test SCRIPT`: one `pipec test` case run through the generated code.
 *
 * pipec writes the script, one step per line (docs/testing.md, "How a case runs"):
 *   tap NODE               print node NODE's output instead of passing it on (a stage in isolation)
 *   meta TS KEY            the next `rec` has this message timestamp (or -) and key (Kafka's)
 *   rec SOURCE TEXT        one input line of source SOURCE, in the source's format
 *   push INPUT TS JSON     one record straight into test input INPUT (its event time TS, or -)
 *   wm SOURCE MS           the watermark of SOURCE (-1: every source) moves to MS
 *   time MS                the processing-time clock moves to MS (timers fire)
 *   end                    end of input: every watermark becomes +inf, open windows fire
 * and reads the output on stdout: `sink INDEX JSON` per record a sink receives, `tap JSON` per
 * record of the tapped node. Every sink writes JSON here, whatever its format in the YAML.
 *
 * The job is the real one (settings, watermarks, windows, the errors sink, late output) with
 * "test" connectors instead of the YAML's: the source delivers nothing by itself (the script
 * does) and the sink prints. Only the watermark settings are kept; the clock starts at 0 and
 * moves only with `time`; parallelism is 1, so the output order is deterministic.
 */
#include "prt_ptest.h"

#include "prt_jobpriv.h"
#include "prt_wm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- the test connectors */

static int tsrc_open(prt_source *s)
{
    prt_source_partition_add(s, 0);
    return PRT_OK;
}

static int tsrc_poll(prt_source *s, int max, int timeout_ms)
{
    return PRT_SRC_EOF; /* the script delivers */
}

static void tsrc_close(prt_source *s) {}

static int tsrc_position(prt_source *s, prt_buf *b, prt_err *e)
{
    return prt_errf(e, "a test source has no position");
}

static int tsrc_seek(prt_source *s, const void *pos, size_t n, prt_err *e)
{
    return prt_errf(e, "a test source cannot seek");
}

const prt_source_ops prt_src_test = {
    .connector = "test", .open = tsrc_open, .poll = tsrc_poll, .close = tsrc_close,
    .position = tsrc_position, .seek = tsrc_seek,
};

static int tsnk_open(prt_sink *k) { return PRT_OK; }

static int tsnk_write(prt_sink *k, prt_str key, prt_str value, int64_t ts)
{
    printf("sink %d %.*s\n", k->index, (int)value.n, value.p ? value.p : "");
    return PRT_OK;
}

static int tsnk_flush(prt_sink *k)
{
    if (fflush(stdout) != 0) {
        fprintf(stderr, "test: cannot write the output: %s\n", strerror(errno));
        return PRT_ERR;
    }
    return PRT_OK;
}

static void tsnk_close(prt_sink *k) {}
static int tsnk_point(prt_sink *k, int64_t checkpoint) { return tsnk_flush(k); }

const prt_sink_ops prt_snk_test = {
    .connector = "test", .open = tsnk_open, .write = tsnk_write, .flush = tsnk_flush,
    .close = tsnk_close, .prepare = tsnk_point, .commit = tsnk_point, .abort = tsnk_point,
};

/* ---------------------------------------------------------------- the tap */

void prt_test_tap(prt_worker *wk, int node, const void *row, int64_t ts)
{
    const prt_test_desc *t = wk->job->desc->test;
    prt_assert(t && node >= 0 && node < t->nnodes && t->nodes[node]);
    prt_buf b = { 0 };
    prt_ptest_row_write(t->nodes[node], row, &b);
    printf("tap %.*s\n", (int)b.n, b.p);
    prt_buf_free(&b);
}

/* ---------------------------------------------------------------- the script */

typedef struct tctx {
    prt_job *j;
    const prt_test_desc *t;
    int64_t *offsets; /* by source: input lines delivered */
    prt_buf row;      /* a pushed record's row struct */
    prt_buf key;      /* the next record's message key (meta) */
    int64_t key_ts;   /* and its message timestamp; PRT_NO_TS when none */
    int meta;         /* a meta step waits for its record */
    prt_scratch scratch;
} tctx;

/* The next space-separated word of *p as an integer ("-" is def). */
static int word_int(char **p, int64_t def, int64_t *out)
{
    char *s = *p, *end;
    while (*s == ' ')
        s++;
    if (s[0] == '-' && (s[1] == ' ' || !s[1])) {
        *out = def;
        *p = s + 1;
    } else {
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (end == s || errno || (*end && *end != ' '))
            return PRT_ERR;
        *out = v;
        *p = end;
    }
    if (**p == ' ')
        (*p)++;
    return PRT_OK;
}

static void move_watermark(tctx *c, int src, int64_t ms)
{
    prt_job *j = c->j;
    for (int i = 0; i < j->desc->nsources; i++) {
        if (src >= 0 && i != src)
            continue;
        prt_source *s = j->sources[i];
        if (s->wm ? prt_wm_force(s->wm, ms) : src < 0)
            prt_workers_watermark(j, i, ms);
    }
}

static int step(tctx *c, char *line, prt_err *e)
{
    prt_job *j = c->j;
    int64_t a, b;
    char *p = strchr(line, ' ');
    size_t cmd = p ? (size_t)(p - line) : strlen(line);
    if (p)
        p++;
    else
        p = line + cmd;
#define IS(w) (cmd == sizeof(w) - 1 && !memcmp(line, w, cmd))
    if (IS("end")) {
        for (int i = 0; i < j->desc->nsources; i++)
            prt_workers_watermark(j, i, INT64_MAX);
        prt_workers_finish(j);
    } else if (IS("tap")) {
        if (word_int(&p, -1, &a) != PRT_OK || a < 0 || !c->t || a >= c->t->nnodes || !c->t->nodes[a])
            return prt_errf(e, "tap: no such node");
        j->tap = (int)a;
    } else if (IS("time")) {
        if (word_int(&p, 0, &a) != PRT_OK)
            return prt_errf(e, "time: expected milliseconds");
        j->now = a;
        prt_workers_tick(j, a);
    } else if (IS("wm")) {
        if (word_int(&p, -1, &a) != PRT_OK || a < -1 || a >= j->desc->nsources || word_int(&p, 0, &b) != PRT_OK)
            return prt_errf(e, "wm: expected a source and milliseconds");
        move_watermark(c, (int)a, b);
    } else if (IS("meta")) {
        if (word_int(&p, PRT_NO_TS, &a) != PRT_OK)
            return prt_errf(e, "meta: expected a timestamp or -");
        c->key_ts = a;
        prt_buf_clear(&c->key);
        prt_buf_puts(&c->key, p);
        c->meta = 1;
    } else if (IS("rec")) {
        if (word_int(&p, -1, &a) != PRT_OK || a < 0 || a >= j->desc->nsources)
            return prt_errf(e, "rec: no such source");
        prt_raw raw = { .data = prt_str_c(p), .origin = "test", .partition = 0,
                        .offset = ++c->offsets[a], .timestamp = PRT_NO_TS };
        if (c->meta) {
            raw.key = prt_buf_str(&c->key);
            raw.timestamp = c->key_ts;
            c->meta = 0;
        }
        prt_source_deliver(j->sources[a], &raw);
    } else if (IS("push")) {
        if (word_int(&p, -1, &a) != PRT_OK || a < 0 || !c->t || a >= c->t->ninputs ||
            word_int(&p, PRT_NO_TS, &b) != PRT_OK)
            return prt_errf(e, "push: expected an input and an event time");
        const prt_test_input *in = &c->t->inputs[a];
        prt_buf_clear(&c->row);
        prt_buf_reserve(&c->row, in->row->size ? in->row->size : 1);
        prt_scratch_reset(&c->scratch);
        if (prt_ptest_row_read(in->row, prt_str_c(p), c->row.p, &c->scratch, e) != PRT_OK)
            return PRT_ERR;
        prt_worker *wk = j->input;
        prt_scratch_reset(&wk->scratch);
        wk->now = j->now;
        in->push(wk, c->row.p, b);
    } else {
        return prt_errf(e, "unknown step '%.*s'", (int)cmd, line);
    }
#undef IS
    return PRT_OK;
}

/* The descriptor the test job runs: the generated one with test connectors, json sinks, and
 * only the watermark settings (nothing else is read: no connector, checkpoint or admin). */
typedef struct tdesc {
    prt_job_desc d;
    prt_source_desc *sources;
    prt_sink_desc *sinks;
    prt_setting_desc *settings;
} tdesc;

static void tdesc_make(tdesc *t, const prt_job_desc *d)
{
    t->d = *d;
    t->sources = calloc((size_t)d->nsources + 1, sizeof *t->sources);
    t->sinks = calloc((size_t)d->nsinks + 1, sizeof *t->sinks);
    t->settings = calloc((size_t)d->nsettings + 1, sizeof *t->settings);
    prt_assert(t->sources && t->sinks && t->settings);
    for (int i = 0; i < d->nsources; i++) {
        t->sources[i] = d->sources[i];
        t->sources[i].connector = "test";
    }
    for (int i = 0; i < d->nsinks; i++) {
        t->sinks[i] = d->sinks[i];
        t->sinks[i].connector = "test";
        t->sinks[i].format = "json";
    }
    int n = 0;
    for (int i = 0; i < d->nsettings; i++)
        if (d->settings[i].path && !strncmp(d->settings[i].path, "sources.", 8) &&
            strstr(d->settings[i].path, ".watermark."))
            t->settings[n++] = d->settings[i];
    t->d.sources = t->sources;
    t->d.sinks = t->sinks;
    t->d.settings = t->settings;
    t->d.nsettings = n;
}

static void tdesc_free(tdesc *t)
{
    free(t->sources);
    free(t->sinks);
    free(t->settings);
}

static int run_script(const prt_job_desc *d, FILE *f, const char *prog, const char *path)
{
    tdesc td;
    tdesc_make(&td, d);
    int code = 0;
    prt_job *j = prt_job_new(&td.d, NULL, 0);
    if (!j) {
        tdesc_free(&td);
        return 2;
    }
    prt_run *run = PRT_RUN(j);
    run->quiet = 1;
    j->sources = calloc((size_t)d->nsources + 1, sizeof *j->sources);
    j->sinks = calloc((size_t)d->nsinks + 1, sizeof *j->sinks);
    prt_assert(j->sources && j->sinks);
    int64_t ooo = 0, idle = 0;
    for (int i = 0; i < d->nsinks; i++)
        if (!(j->sinks[i] = prt_sink_open(j, i)))
            code = 1;
    for (int i = 0; i < d->nsources && !code; i++) {
        char key[256];
        snprintf(key, sizeof key, "sources.%s.watermark.out_of_orderness", d->sources[i].name);
        if (prt_cfg_dur(j, key, 0, &ooo) != PRT_OK) {
            code = 2;
            break;
        }
        if (!(j->sources[i] = prt_source_open(j, i, ooo, idle))) /* no idleness: no wall clock */
            code = 1;
    }
    tctx c = { .j = j, .t = d->test };
    c.offsets = calloc((size_t)d->nsources + 1, sizeof *c.offsets);
    prt_assert(c.offsets != NULL);
    int inited = 0;
    if (!code) {
        j->now = 0; /* the test clock: moved by `time` steps only */
        inited = 1;
        if (prt_workers_init(j) != PRT_OK) {
            fprintf(stderr, "%s: test: cannot initialise the pipeline\n", prog);
            code = 1;
        }
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    while (!code && !run->failed && (n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (n && line[n - 1] == '\n')
            line[--n] = 0;
        prt_err e;
        if (step(&c, line, &e) != PRT_OK) {
            fprintf(stderr, "%s: test: %s:%ld: %s\n", prog, path, lineno, e.msg);
            code = 2;
        }
    }
    free(line);
    if (!code && prt_sinks_flush(j) != PRT_OK)
        code = 1;
    if (!code && run->failed)
        code = 1;
    prt_connectors_close(j);
    if (inited)
        prt_workers_destroy(j);
    prt_buf_free(&c.row);
    prt_buf_free(&c.key);
    prt_scratch_free(&c.scratch);
    free(c.offsets);
    prt_job_free(j);
    tdesc_free(&td);
    if (fflush(stdout) != 0)
        code = 1;
    return code;
}

int prt_ptest_cli(int argc, char **argv, const char *prog, const prt_job_desc *d)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s test SCRIPT (written by pipec test)\n", prog);
        return 2;
    }
    if (!d->test) {
        fprintf(stderr, "%s: test: this binary was not built for tests: run `pipec test %s`\n", prog,
                d->yaml_name);
        return 2;
    }
    FILE *f = strcmp(argv[2], "-") ? fopen(argv[2], "r") : stdin;
    if (!f) {
        fprintf(stderr, "%s: test: cannot open %s: %s\n", prog, argv[2], strerror(errno));
        return 2;
    }
    int code = run_script(d, f, prog, argv[2]);
    if (f != stdin)
        fclose(f);
    return code;
}
