/* test_ckpt_sink.c — the file sink under checkpointing (prt_snk_file.c, docs/checkpoints.md):
 * exactly_once staging, sealing at prepare, commit by append, the commit record save writes, and
 * every recovery case (a commit cut short, an abandoned newer commit, a path someone truncated,
 * a fresh start sweeping staged files); at_least_once appending after a restart. Exact bytes. */
#include "prt.h"
#include "prt_be.h"
#include "prt_jobpriv.h"
#include "prt_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[256], path[512], set_path[600];
static prt_sink_desc snk_desc[1] = { { "out", "file", "json", NULL } };
static prt_job_desc desc;

static prt_job *job(const char *mode)
{
    memset(&desc, 0, sizeof desc);
    desc.abi = PRT_ABI_VERSION;
    desc.pipeline = "ck";
    desc.yaml_name = "ck.yaml";
    desc.sinks = snk_desc;
    desc.nsinks = 1;
    desc.errors_sink = -1;
    char set_mode[64];
    snprintf(set_mode, sizeof set_mode, "checkpoint.mode=%s", mode);
    const char *sets[] = { set_path, set_mode };
    return prt_job_new(&desc, sets, mode[0] ? 2 : 1);
}

static const char *slurp(const char *p)
{
    static char buf[4096];
    FILE *f = fopen(p, "r");
    if (!f)
        return "(missing)";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void put_file(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    prt_assert(f != NULL);
    fputs(text, f);
    fclose(f);
}

static const char *staged(int id)
{
    static char p[600];
    snprintf(p, sizeof p, "%s/.out.txt.pending-%d", dir, id);
    return p;
}

static void w(prt_sink *k, const char *line)
{
    CHECK_EQ_I(k->ops->write(k, PRT_STR_LIT(""), prt_str_c(line), PRT_NO_TS), PRT_OK);
}

/* the 24-byte commit record: committed length, staged length, checkpoint */
static void blob(unsigned char b[24], uint64_t len, uint64_t staged_len, uint64_t id)
{
    prt_be64_put(b, len);
    prt_be64_put(b + 8, staged_len);
    prt_be64_put(b + 16, id);
}

/* quiet: the sink's one-line reasons on stderr are expected in some cases */
static int quiet_fd = -1;
static void quiet(int on)
{
    fflush(stderr);
    if (on) {
        quiet_fd = dup(2);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        close(null);
    } else {
        dup2(quiet_fd, 2);
        close(quiet_fd);
    }
}

TEST(exactly_once_stage_seal_commit)
{
    put_file(path, "old\n");
    prt_job *j = job("exactly_once");
    prt_sink *k = prt_sink_open(j, 0);
    CHECK(k != NULL);
    CHECK_EQ_S(slurp(path), "old\n"); /* kept until recover decides */
    CHECK_EQ_I(k->ops->recover(k, 1, NULL, 0), PRT_OK);
    CHECK_EQ_S(slurp(path), ""); /* a fresh start */
    w(k, "r1");
    CHECK_EQ_I(k->ops->flush(k), PRT_OK);
    CHECK_EQ_S(slurp(path), "");
    CHECK_EQ_S(slurp(staged(1)), "r1\n");
    CHECK_EQ_I(k->ops->prepare(k, 1), PRT_OK);
    w(k, "r2"); /* after the seal: the next checkpoint's */
    CHECK_EQ_I(k->ops->flush(k), PRT_OK);
    CHECK_EQ_S(slurp(staged(1)), "r1\n");
    CHECK_EQ_S(slurp(staged(2)), "r2\n");
    prt_buf b = { 0 };
    unsigned char want[24];
    CHECK_EQ_I(k->ops->save(k, 1, &b), PRT_OK);
    blob(want, 0, 3, 1);
    CHECK(b.n == 24 && memcmp(b.p, want, 24) == 0);
    CHECK_EQ_S(slurp(path), "");
    CHECK_EQ_I(k->ops->commit(k, 1), PRT_OK);
    CHECK_EQ_S(slurp(path), "r1\n");
    CHECK(access(staged(1), F_OK) != 0);
    CHECK_EQ_I(k->ops->prepare(k, 2), PRT_OK);
    prt_buf_clear(&b);
    CHECK_EQ_I(k->ops->save(k, 2, &b), PRT_OK);
    blob(want, 3, 3, 2);
    CHECK(b.n == 24 && memcmp(b.p, want, 24) == 0);
    CHECK_EQ_I(k->ops->commit(k, 2), PRT_OK);
    CHECK_EQ_S(slurp(path), "r1\nr2\n");
    /* a checkpoint with nothing staged: no staged file, nothing appended */
    CHECK_EQ_I(k->ops->prepare(k, 3), PRT_OK);
    CHECK_EQ_I(k->ops->commit(k, 3), PRT_OK);
    CHECK(access(staged(3), F_OK) != 0);
    CHECK_EQ_S(slurp(path), "r1\nr2\n");
    /* abort: the sealed lines are not committed */
    w(k, "r4");
    CHECK_EQ_I(k->ops->prepare(k, 4), PRT_OK);
    CHECK_EQ_I(k->ops->abort(k, 4), PRT_OK);
    CHECK_EQ_S(slurp(path), "r1\nr2\n");
    prt_buf_free(&b);
    prt_sink_close(k);
    prt_job_free(j);
}

/* recover(blob of checkpoint 2: L = 3, S = 3) with path and staged files as a crash left them */
static int recover_with(const char *path_text, const char *staged2, const char *staged3)
{
    put_file(path, path_text);
    unlink(staged(2));
    unlink(staged(3));
    if (staged2)
        put_file(staged(2), staged2);
    if (staged3)
        put_file(staged(3), staged3);
    prt_job *j = job("exactly_once");
    prt_sink *k = prt_sink_open(j, 0);
    prt_assert(k != NULL);
    unsigned char b[24];
    blob(b, 3, 3, 2);
    quiet(1);
    int rc = k->ops->recover(k, 3, b, sizeof b);
    quiet(0);
    if (rc == PRT_OK) { /* and it goes on with checkpoint 3 */
        w(k, "r3");
        CHECK_EQ_I(k->ops->prepare(k, 3), PRT_OK);
        CHECK_EQ_I(k->ops->commit(k, 3), PRT_OK);
    }
    prt_sink_close(k);
    prt_job_free(j);
    return rc;
}

TEST(exactly_once_recover)
{
    /* killed before the commit began: the staged output is appended */
    CHECK_EQ_I(recover_with("r1\n", "r2\n", "x9\n"), PRT_OK);
    CHECK_EQ_S(slurp(path), "r1\nr2\nr3\n");
    CHECK(access(staged(2), F_OK) != 0);
    /* killed halfway through the append: only the missing bytes are added */
    CHECK_EQ_I(recover_with("r1\nr", "r2\n", NULL), PRT_OK);
    CHECK_EQ_S(slurp(path), "r1\nr2\nr3\n");
    /* killed after the append, before the staged file was removed */
    CHECK_EQ_I(recover_with("r1\nr2\n", "r2\n", NULL), PRT_OK);
    CHECK_EQ_S(slurp(path), "r1\nr2\nr3\n");
    /* committed; a newer checkpoint's commit (abandoned: it was corrupt) is cut off */
    CHECK_EQ_I(recover_with("r1\nr2\nzz\n", NULL, NULL), PRT_OK);
    CHECK_EQ_S(slurp(path), "r1\nr2\nr3\n");
    /* path shorter than what was committed: someone truncated it; refused */
    CHECK_EQ_I(recover_with("r1", NULL, NULL), PRT_ERR);
    CHECK_EQ_S(slurp(path), "r1");
    /* the staged output is missing although the commit never finished: refused */
    CHECK_EQ_I(recover_with("r1\n", NULL, NULL), PRT_ERR);
}

TEST(exactly_once_fresh_sweeps)
{
    put_file(path, "old\n");
    put_file(staged(7), "stale\n");
    put_file(staged(8), "stale\n");
    prt_job *j = job("exactly_once");
    prt_sink *k = prt_sink_open(j, 0);
    CHECK_EQ_I(k->ops->recover(k, 9, NULL, 0), PRT_OK);
    CHECK_EQ_S(slurp(path), "");
    CHECK(access(staged(7), F_OK) != 0);
    CHECK(access(staged(8), F_OK) != 0);
    prt_sink_close(k);
    prt_job_free(j);
}

TEST(at_least_once_appends_after_restart)
{
    put_file(path, "r1\nr2\n");
    prt_job *j = job("at_least_once");
    prt_sink *k = prt_sink_open(j, 0);
    unsigned char b[24];
    blob(b, 0, 0, 1);
    CHECK_EQ_I(k->ops->recover(k, 2, b, sizeof b), PRT_OK);
    w(k, "r2"); /* replayed since the checkpoint: a duplicate, never a loss */
    CHECK_EQ_I(k->ops->prepare(k, 2), PRT_OK);
    CHECK_EQ_S(slurp(path), "r1\nr2\nr2\n");
    CHECK_EQ_I(k->ops->commit(k, 2), PRT_OK);
    prt_sink_close(k);
    prt_job_free(j);

    j = job("at_least_once"); /* a fresh start truncates */
    k = prt_sink_open(j, 0);
    CHECK_EQ_I(k->ops->recover(k, 1, NULL, 0), PRT_OK);
    w(k, "a");
    CHECK_EQ_I(k->ops->prepare(k, 1), PRT_OK);
    CHECK_EQ_S(slurp(path), "a\n");
    prt_sink_close(k);
    prt_job_free(j);
}

TEST(no_checkpoints_truncates_at_open)
{
    put_file(path, "old\n");
    prt_job *j = job("");
    prt_sink *k = prt_sink_open(j, 0);
    CHECK_EQ_S(slurp(path), "");
    w(k, "x");
    CHECK_EQ_I(k->ops->flush(k), PRT_OK);
    CHECK_EQ_S(slurp(path), "x\n");
    prt_sink_close(k);
    prt_job_free(j);
}

/* Records formatted straight into the sink's line buffer (prt_emit_buf, prt_emit_line): the
 * same bytes as write, in order with records that come through write (a csv header), written
 * out once the buffer reaches k->full; none once the run failed; with worker threads the
 * worker's own buffer. */
TEST(lines_direct)
{
    prt_job *j = job(""); /* one worker */
    prt_sink *k = prt_sink_open(j, 0);
    CHECK(k != NULL && k->lines != NULL && j->nworkers == 1);
    j->sinks = calloc(1, sizeof *j->sinks);
    prt_assert(j->sinks != NULL);
    j->sinks[0] = k;
    prt_worker *wk = &j->workers[0];
    w(k, "h");
    prt_buf *out = prt_emit_buf(wk, 0);
    CHECK(out == k->lines);
    size_t at = out->n;
    prt_buf_put(out, "a,1", 3);
    prt_emit_at(wk, 0, PRT_STR_LIT(""), out, at, PRT_NO_TS);
    CHECK_EQ_S(slurp(path), ""); /* buffered (prt_emit_line's inline path) */
    CHECK(j->m.records_out == 1 && PRT_RUN(j)->unflushed == 1 && prt_ctr_get(&j->stats->sink_in[0]) == 1);
    k->full = 8; /* "h\na,1\n" + "b,22\n" passes it: written out without a flush */
    out = prt_emit_buf(wk, 0);
    at = out->n;
    prt_buf_put(out, "b,22", 4);
    prt_emit_at(wk, 0, PRT_STR_LIT(""), out, at, PRT_NO_TS);
    CHECK_EQ_S(slurp(path), "h\na,1\nb,22\n"); /* prt_emit_line_slow */
    CHECK(j->m.records_out == 2 && prt_ctr_get(&j->stats->sink_in[0]) == 2);
    PRT_RUN(j)->failed = 1; /* nothing more is written anywhere */
    out = prt_emit_buf(wk, 0);
    at = out->n;
    prt_buf_put(out, "c", 1);
    prt_emit_at(wk, 0, PRT_STR_LIT(""), out, at, PRT_NO_TS);
    CHECK(k->lines->n == at && j->m.records_out == 2);
    PRT_RUN(j)->failed = 0;
    j->nworkers = 2; /* worker threads: formatted in the worker's buffer, handed over by prt_emit */
    out = prt_emit_buf(wk, 0);
    CHECK(out == &wk->out && out->n == 0);
    prt_buf_put(out, "d", 1);
    prt_emit_at(wk, 0, PRT_STR_LIT(""), out, 0, PRT_NO_TS);
    j->nworkers = 1;
    CHECK_EQ_I(k->ops->flush(k), PRT_OK);
    CHECK_EQ_S(slurp(path), "h\na,1\nb,22\nd\n");
    CHECK(j->m.records_out == 3);
    prt_job_free(j); /* closes the sink */
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/prt_test_ckpt.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/out.txt", dir);
    snprintf(set_path, sizeof set_path, "sinks.out.file.path=%s", path);
    RUN(exactly_once_stage_seal_commit);
    RUN(exactly_once_recover);
    RUN(exactly_once_fresh_sweeps);
    RUN(at_least_once_appends_after_restart);
    RUN(no_checkpoints_truncates_at_open);
    RUN(lines_direct);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return test_summary();
}
