/* test_kafka_pos.c — the Kafka source's position and seek against librdkafka's mock cluster,
 * hosted in this process (topics "ta" with 2 partitions and "tb" with 3, 6 records each).
 *
 * Part of the input is read, the position taken, and a fresh source that lists the topics in
 * the other order (so it discovers the partitions in another order and numbers them
 * differently) seeks there and reads the rest: together exactly every record once, each
 * partition in offset order. Bounded (assigned partitions) and in a consumer group (offsets
 * applied at assignment); the position keyed by topic and partition, sorted; malformed
 * positions refused. Also: the source keeps reading when its queue keeps filling up (topic "tc",
 * one partition of small batches, a queue of 15 records): librdkafka's fetcher stops at the
 * threshold and would look again only a second later; the source wakes it (prt_kafka_refill),
 * holding what is still queued at the low-water mark (topic "td", 3 partitions): delivered once,
 * in order. */
#include "prt.h"
#include "prt_jobpriv.h"
#include "prt_kafka_int.h"
#include "prt_test.h"

#include <stdio.h>
#include <stdlib.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define PER_PARTITION 6
#define TOTAL (5 * PER_PARTITION)
#define TC_RECORDS 1000 /* topic tc: one partition, batches of 10 */
#define TD_PER 400      /* topic td: records a partition, 3 partitions, batches of 10 */

static char bootstrap[256];
static prt_buf got; /* "value\n" per delivered record, in delivery order */
static int ngot;

static int on_record(prt_worker *wk, const prt_raw *raw, int64_t *ts, prt_err *e)
{
    prt_buf_printf(&got, "%.*s\n", (int)raw->data.n, raw->data.p);
    ngot++;
    return PRT_OK;
}

static prt_source_desc src_desc[1] = { { "in", "kafka", "raw", 0, on_record, NULL } };
static prt_job_desc desc;

static prt_job *job_with(const char *topics, const char *group, int bounded, const char *const *more, int nmore)
{
    static char b[300], t[300], g[300], bd[100];
    snprintf(b, sizeof b, "sources.in.kafka.bootstrap=%s", bootstrap);
    snprintf(t, sizeof t, "sources.in.kafka.topics=%s", topics);
    snprintf(g, sizeof g, "sources.in.kafka.group=%s", group);
    snprintf(bd, sizeof bd, "sources.in.kafka.bounded=%s", bounded ? "true" : "false");
    const char *sets[16] = { b, t, g, bd, "sources.in.kafka.startup=earliest",
                             "sources.in.kafka.properties.session.timeout.ms=6000" };
    for (int i = 0; i < nmore && i < 10; i++)
        sets[6 + i] = more[i];
    memset(&desc, 0, sizeof desc);
    desc.abi = PRT_ABI_VERSION;
    desc.pipeline = "kpos";
    desc.yaml_name = "kpos.yaml";
    desc.sources = src_desc;
    desc.nsources = 1;
    desc.errors_sink = -1;
    return prt_job_new(&desc, sets, 6 + (nmore < 10 ? nmore : 10));
}

static prt_job *job(const char *topics, const char *group, int bounded)
{
    return job_with(topics, group, bounded, NULL, 0);
}

/* Polls until n more records came, the source ended, or 60 s passed (a safety net for a broken
 * cluster, not a measurement). Returns the number delivered. */
static int read_n(prt_source *s, int n)
{
    int total = 0;
    int64_t give_up = prt_mono_ms() + 60000;
    while (total < n && prt_mono_ms() < give_up) {
        int r = s->ops->poll(s, n - total, 100);
        if (r == PRT_ERR || r == PRT_SRC_EOF)
            break;
        total += r;
    }
    return total;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every record exactly once, and within each partition in offset order. */
static void check_all_once(const char *what)
{
    char *copy = strndup(got.p ? got.p : "", got.n), *save = NULL;
    char *lines[TOTAL + 8];
    int n = 0, last[2][3];
    memset(last, -1, sizeof last);
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (n < TOTAL + 8)
            lines[n] = l;
        n++;
        char t;
        int p, i;
        if (sscanf(l, "t%c/%d/%d", &t, &p, &i) != 3 || (t != 'a' && t != 'b') || p < 0 || p > 2) {
            TEST_FAIL("%s: unexpected record '%s'", what, l);
            continue;
        }
        if (i <= last[t - 'a'][p])
            TEST_FAIL("%s: %s arrived after t%c/%d/%d", what, l, t, p, last[t - 'a'][p]);
        last[t - 'a'][p] = i;
    }
    CHECK_EQ_I(n, TOTAL);
    if (n == TOTAL) {
        qsort(lines, (size_t)n, sizeof *lines, cmp_line);
        for (int i = 1; i < n; i++)
            if (strcmp(lines[i - 1], lines[i]) == 0)
                TEST_FAIL("%s: %s delivered twice", what, lines[i]);
    }
    free(copy);
}

/* Decodes a kafka position into "topic/partition=offset," text ("UNSORTED," after an entry that
 * does not sort after the one before it). */
static void pos_text(const prt_buf *pos, char *out, size_t cap)
{
    prt_pos_reader r;
    prt_err e;
    prt_str name;
    int64_t v[2];
    size_t n = 0;
    out[0] = '\0';
    if (prt_pos_open(&r, pos->p, pos->n, "kafka", &e) != PRT_OK) {
        snprintf(out, cap, "(%s)", e.msg);
        return;
    }
    int rc;
    prt_str prev = { "", 0 };
    int64_t prev_part = -1;
    while ((rc = prt_pos_next(&r, &name, 2, v, &e)) == 1 && n < cap) {
        n += (size_t)snprintf(out + n, cap - n, "%.*s/%lld=%lld,", (int)name.n, name.p,
                              (long long)v[0], (long long)v[1]);
        int c = prt_str_cmp(prev, name);
        if ((c > 0 || (c == 0 && prev_part >= v[0])) && n < cap)
            n += (size_t)snprintf(out + n, cap - n, "UNSORTED,");
        prev = name;
        prev_part = v[0];
    }
    if (rc < 0)
        snprintf(out, cap, "(%s)", e.msg);
}

/* Reads k records with topics "ta,tb", takes the position, then "tb,ta" seeks and reads on. */
static void split(int k, int bounded, const char *g1, const char *g2)
{
    prt_buf pos = { 0 }, round = { 0 };
    prt_err e;
    char text[1024], what[64];
    snprintf(what, sizeof what, "%s split %d", bounded ? "bounded" : "group", k);
    prt_buf_clear(&got);
    ngot = 0;
    prt_job *j = job("ta,tb", g1, bounded);
    prt_source *s = prt_source_open(j, 0, 0, 0);
    if (!s) {
        TEST_FAIL("%s: the source did not open", what);
        prt_job_free(j);
        return;
    }
    CHECK_EQ_I(read_n(s, k), k);
    CHECK_EQ_I(s->ops->position(s, &pos, &e), PRT_OK);
    prt_source_close(s);
    prt_job_free(j);

    /* sorted by topic then partition, and the offsets add up to what was read */
    pos_text(&pos, text, sizeof text);
    int64_t sum = 0;
    for (const char *p = text; (p = strchr(p, '=')) != NULL; p++)
        sum += atoll(p + 1);
    CHECK_EQ_I(sum, k); /* offsets start at 0; partitions not read yet have no position */
    CHECK(strstr(text, "UNSORTED") == NULL);

    j = job("tb,ta", g2, bounded);
    s = prt_source_open(j, 0, 0, 0);
    if (!s) {
        TEST_FAIL("%s: the second source did not open", what);
        prt_job_free(j);
        prt_buf_free(&pos);
        return;
    }
    CHECK_EQ_I(s->ops->seek(s, pos.p, pos.n, &e), PRT_OK);
    CHECK_EQ_I(s->ops->position(s, &round, &e), PRT_OK);
    if (round.n != pos.n || memcmp(round.p, pos.p, pos.n) != 0)
        TEST_FAIL("%s: the position after seek is not the one sought", what);
    CHECK_EQ_I(read_n(s, TOTAL - k), TOTAL - k);
    /* at the end: every partition's position is its end */
    prt_buf_clear(&round);
    CHECK_EQ_I(s->ops->position(s, &round, &e), PRT_OK);
    pos_text(&round, text, sizeof text);
    CHECK_EQ_S(text, "ta/0=6,ta/1=6,tb/0=6,tb/1=6,tb/2=6,");
    if (bounded)
        CHECK_EQ_I(s->ops->poll(s, 10, 0), PRT_SRC_EOF);
    prt_source_close(s);
    prt_job_free(j);
    check_all_once(what);
    prt_buf_free(&pos);
    prt_buf_free(&round);
}

TEST(bounded_split_reordered)
{
    for (int k = 0; k <= TOTAL; k += 7)
        split(k, 1, "kpos-b1", "kpos-b2");
}

TEST(group_split_reordered)
{
    /* a fresh group for the second source: its start comes from the position (and earliest for
     * partitions the position lacks), not from offsets the first one committed */
    split(13, 0, "kpos-g1", "kpos-g2");
}

TEST(explicit_position)
{
    /* a position written by hand: tb/1 from offset 4, ta/0 from 5; the rest from earliest */
    prt_buf pos = { 0 };
    prt_pos_writer w;
    prt_pos_begin(&w, &pos, "kafka");
    prt_pos_put(&w, PRT_STR_LIT("ta"), 2, (int64_t[]){ 0, 5 });
    prt_pos_put(&w, PRT_STR_LIT("tb"), 2, (int64_t[]){ 1, 4 });
    prt_pos_put(&w, PRT_STR_LIT("zz"), 2, (int64_t[]){ 0, 9 }); /* not a topic of this source */
    prt_pos_end(&w);
    prt_err e;
    prt_buf_clear(&got);
    ngot = 0;
    prt_job *j = job("tb,ta", "kpos-x", 1);
    prt_source *s = prt_source_open(j, 0, 0, 0);
    CHECK(s != NULL);
    if (s) {
        CHECK_EQ_I(s->ops->seek(s, pos.p, pos.n, &e), PRT_OK);
        CHECK_EQ_I(read_n(s, 100), TOTAL - 5 - 4);
        CHECK_EQ_I(s->ops->poll(s, 10, 0), PRT_SRC_EOF);
        CHECK(strstr(got.p, "ta/0/4\n") == NULL && strstr(got.p, "ta/0/5\n") != NULL);
        CHECK(strstr(got.p, "tb/1/3\n") == NULL && strstr(got.p, "tb/1/4\n") != NULL);
        prt_buf b = { 0 };
        char text[512];
        CHECK_EQ_I(s->ops->position(s, &b, &e), PRT_OK);
        pos_text(&b, text, sizeof text);
        CHECK_EQ_S(text, "ta/0=6,ta/1=6,tb/0=6,tb/1=6,tb/2=6,zz/0=9,");
        prt_buf_free(&b);
        prt_source_close(s);
    }
    prt_job_free(j);
    prt_buf_free(&pos);
}

TEST(malformed_positions)
{
    prt_job *j = job("ta,tb", "kpos-m", 1);
    prt_source *s = prt_source_open(j, 0, 0, 0);
    CHECK(s != NULL);
    if (!s) {
        prt_job_free(j);
        return;
    }
    prt_buf pos = { 0 };
    prt_pos_writer w;
    prt_err e;
    prt_pos_begin(&w, &pos, "kafka");
    prt_pos_put(&w, PRT_STR_LIT("tb"), 2, (int64_t[]){ 0, 1 });
    prt_pos_put(&w, PRT_STR_LIT("ta"), 2, (int64_t[]){ 0, 1 });
    prt_pos_end(&w);
    CHECK_EQ_I(s->ops->seek(s, pos.p, pos.n, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "malformed position: ta partition 0 is out of order or repeated");
    prt_buf_clear(&pos);
    prt_pos_begin(&w, &pos, "kafka");
    prt_pos_put(&w, PRT_STR_LIT("ta"), 2, (int64_t[]){ -1, 1 });
    prt_pos_end(&w);
    CHECK_EQ_I(s->ops->seek(s, pos.p, pos.n, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "malformed position: ta partition -1 offset 1");
    CHECK_EQ_I(s->ops->seek(s, pos.p, pos.n - 3, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "truncated position: entry 1 of 1 (at byte 15) ends after byte 33");
    prt_buf_clear(&pos);
    prt_pos_begin(&w, &pos, "generator");
    prt_pos_end(&w);
    CHECK_EQ_I(s->ops->seek(s, pos.p, pos.n, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "position of a generator source, not of a kafka source");
    /* refused seeks leave the source as it was: everything from earliest */
    prt_buf_clear(&got);
    ngot = 0;
    CHECK_EQ_I(read_n(s, 100), TOTAL);
    /* too late: the restored offsets could no longer apply to what is already assigned */
    prt_buf_clear(&pos);
    prt_pos_begin(&w, &pos, "kafka");
    prt_pos_end(&w);
    CHECK_EQ_I(s->ops->seek(s, pos.p, pos.n, &e), PRT_ERR);
    CHECK_EQ_S(e.msg, "a Kafka source cannot seek after its first poll");
    prt_source_close(s);
    prt_job_free(j);
    check_all_once("after refused seeks");
    prt_buf_free(&pos);
}

TEST(refill_due)
{
    prt_kafka_refill r = { .qmin = 100, .qmax_bytes = 10000 };
    CHECK_EQ_I(prt_kafka_refill_low(&r), 50);                  /* half of queued.min.messages */
    CHECK_EQ_I(prt_kafka_refill_due(&r, 0, 0, 10, 1000), 0);   /* never near a threshold: nothing to wake */
    CHECK_EQ_I(prt_kafka_refill_due(&r, 50, 10, 10, 1000), 0); /* low, but the fetcher is fetching */
    CHECK_EQ_I(prt_kafka_refill_due(&r, 90, 10, 10, 1000), 0); /* near: 90 + the 10 a poll may have taken */
    CHECK_EQ_I(r.throttled, 1);
    CHECK_EQ_I(prt_kafka_refill_due(&r, 60, 10, 10, 1000), 0); /* not at the low-water mark yet */
    CHECK_EQ_I(prt_kafka_refill_due(&r, 50, 10, 10, 1000), 1); /* there: wake the fetchers */
    CHECK_EQ_I(prt_kafka_refill_due(&r, 40, 10, 10, 1001), 0); /* once */
    CHECK_EQ_I(prt_kafka_refill_due(&r, 0, 0, 10, 1001), 0);
    CHECK_EQ_I(prt_kafka_refill_due(&r, 5, 0, 10, 1010), 0);   /* records came */
    CHECK_EQ_I(prt_kafka_refill_due(&r, 0, 5, 10, 1020), 0);
    CHECK_EQ_I(prt_kafka_refill_due(&r, 0, 0, 10, 5000), 0);   /* and were taken: no retry */
    /* near a threshold, then grown while below both: the fetcher had not stopped */
    CHECK_EQ_I(prt_kafka_refill_due(&r, 95, 10, 10, 5000), 0);
    CHECK_EQ_I(r.throttled, 1);
    CHECK_EQ_I(prt_kafka_refill_due(&r, 70, 10, 10, 5000), 0);
    CHECK_EQ_I(r.throttled, 1);                                /* 70 + 10 taken < 95: it did not grow */
    CHECK_EQ_I(prt_kafka_refill_due(&r, 75, 10, 10, 5000), 0); /* 75 + 10 > 70: it grew at 85 */
    CHECK_EQ_I(r.throttled, 0);
    CHECK_EQ_I(prt_kafka_refill_due(&r, 20, 10, 10, 5000), 0);
    CHECK_EQ_I(prt_kafka_refill_due(&r, 0, 10, 10, 5000), 0);
    r.n = 10, r.bytes = 2000;  /* 200 bytes a record: 50 reach the bytes, the low-water mark is 25 */
    CHECK_EQ_I(prt_kafka_refill_low(&r), 25);
    CHECK_EQ_I(prt_kafka_refill_due(&r, 39, 10, 10, 6000), 0);
    CHECK_EQ_I(r.throttled, 0);
    CHECK_EQ_I(prt_kafka_refill_due(&r, 40, 10, 10, 6000), 0);
    CHECK_EQ_I(prt_kafka_refill_due(&r, 26, 10, 10, 6000), 0);
    CHECK_EQ_I(prt_kafka_refill_due(&r, 25, 1, 10, 6000), 1);
    CHECK_EQ_I(prt_kafka_refill_due(&r, 0, 0, 10, 6000), 0);   /* the held 25 delivered, nothing queued */
    /* nothing comes after the refill: again after 50 ms, 100, 200, 400, 800, then librdkafka's
     * own timer (1 s) is as soon; only while the queue is empty */
    int64_t t = 6000;
    CHECK_EQ_I(prt_kafka_refill_due(&r, 0, 0, 10, t + 49), 0);
    CHECK_EQ_I(prt_kafka_refill_due(&r, 0, 0, 10, t + 49), 0);
    const int64_t again[] = { 50, 100, 200, 400, 800 };
    for (int i = 0; i < 5; i++) {
        CHECK_EQ_I(prt_kafka_refill_due(&r, 0, 0, 10, t + again[i] - 1), 0);
        CHECK_EQ_I(prt_kafka_refill_due(&r, 0, 0, 10, t + again[i]), 1);
        t += again[i];
    }
    CHECK_EQ_I(prt_kafka_refill_due(&r, 0, 0, 10, t + 5000), 0);
    /* the thresholds in force, librdkafka's defaults unless set */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    prt_kafka_refill_init(&r, conf);
    CHECK_EQ_I(r.qmin, 100000);
    CHECK_EQ_I(r.qmax_bytes, 65536 * 1024LL);
    char err[256];
    CHECK(rd_kafka_conf_set(conf, "queued.min.messages", "15", err, sizeof err) == RD_KAFKA_CONF_OK);
    CHECK(rd_kafka_conf_set(conf, "queued.max.messages.kbytes", "2048", err, sizeof err) == RD_KAFKA_CONF_OK);
    prt_kafka_refill_init(&r, conf);
    CHECK_EQ_I(r.qmin, 15);
    CHECK_EQ_I(r.qmax_bytes, 2048 * 1024LL);
    rd_kafka_conf_destroy(conf);
}

/* A queue of 15 records and fetches of small batches: the fetcher stops again and again. Woken by
 * the source, the 1000 records took 9-110 ms (19 ms with ASAN); left to librdkafka's own timer,
 * 5-16 s. Every record once, in offset order. */
TEST(refill_keeps_reading)
{
    static const char *more[] = { "sources.in.kafka.properties.queued.min.messages=15",
                                  "sources.in.kafka.properties.max.partition.fetch.bytes=64" };
    prt_buf_clear(&got);
    ngot = 0;
    prt_job *j = job_with("tc", "kpos-r", 1, more, 2);
    prt_source *s = prt_source_open(j, 0, 0, 0);
    CHECK(s != NULL);
    if (s) {
        int64_t t0 = prt_mono_ms();
        CHECK_EQ_I(read_n(s, TC_RECORDS), TC_RECORDS);
        int64_t ms = prt_mono_ms() - t0;
        if (ms > 2500)
            TEST_FAIL("%d records took %lld ms: the fetcher waited for its own timer", TC_RECORDS, (long long)ms);
        CHECK_EQ_I(s->ops->poll(s, 10, 0), PRT_SRC_EOF);
        prt_source_close(s);
    }
    prt_job_free(j);
    int next = 0;
    const char *p = got.p ? got.p : "";
    for (const char *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1, next++) {
        char want[32];
        int n = snprintf(want, sizeof want, "tc/0/%d", next);
        if ((size_t)(nl - p) != (size_t)n || memcmp(p, want, (size_t)n) != 0) {
            TEST_FAIL("record %d is '%.*s'", next, (int)(nl - p), p);
            break;
        }
    }
    CHECK_EQ_I(next, TC_RECORDS);
}

/* Topic td: 3 partitions of TD_PER records in batches of 10, a queue of 15 records (low-water
 * mark 7) and fetches of one batch a partition, read 3 records a poll: the queue falls to the
 * low-water mark with records of several partitions still in it, which the source takes and
 * holds while it seeks each partition past them. Every record exactly once, each partition in
 * offset order, in time; bounded (ends exactly at the high watermarks) and in a group. */
static void held_once_in_order(const char *what, const char *group, int bounded)
{
    static const char *more[] = { "sources.in.kafka.properties.queued.min.messages=15",
                                  "sources.in.kafka.properties.max.partition.fetch.bytes=64" };
    prt_buf_clear(&got);
    ngot = 0;
    prt_job *j = job_with("td", group, bounded, more, 2);
    prt_source *s = prt_source_open(j, 0, 0, 0);
    CHECK(s != NULL);
    if (!s) {
        prt_job_free(j);
        return;
    }
    int total = 0;
    int64_t t0 = prt_mono_ms(), give_up = t0 + 60000;
    while (total < 3 * TD_PER && prt_mono_ms() < give_up) {
        int r = s->ops->poll(s, 3, 10);
        if (r == PRT_ERR || r == PRT_SRC_EOF)
            break;
        total += r;
    }
    int64_t ms = prt_mono_ms() - t0;
    CHECK_EQ_I(total, 3 * TD_PER);
    if (ms > 5000)
        TEST_FAIL("%s: %d records took %lld ms: the fetcher waited for its own timer", what, 3 * TD_PER,
                  (long long)ms);
    if (bounded)
        CHECK_EQ_I(s->ops->poll(s, 10, 0), PRT_SRC_EOF);
    else
        CHECK_EQ_I(s->ops->poll(s, 10, 200), 0); /* nothing more */
    prt_source_close(s);
    prt_job_free(j);
    int next[3] = { 0, 0, 0 }, n = 0;
    const char *p = got.p ? got.p : "";
    for (const char *nl; (nl = strchr(p, '\n')) != NULL; p = nl + 1, n++) {
        int part, i;
        if (sscanf(p, "td/%d/%d", &part, &i) != 2 || part < 0 || part > 2 || i != next[part]) {
            TEST_FAIL("%s: record %d is '%.*s'", what, n, (int)(nl - p), p);
            break;
        }
        next[part]++;
    }
    CHECK_EQ_I(n, 3 * TD_PER);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_I(next[i], TD_PER);
}

TEST(held_once_in_order_bounded)
{
    held_once_in_order("bounded", "kpos-h", 1);
}

TEST(held_once_in_order_group)
{
    held_once_in_order("group", "kpos-hg", 0);
}

/* Hosts the mock cluster and fills the topics: "ta/P/I" at offset I of partition P. */
static int cluster_up(rd_kafka_t **host, rd_kafka_mock_cluster_t **mc)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof errstr);
    *host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!*host)
        return -1;
    *mc = rd_kafka_mock_cluster_new(*host, 1);
    if (!*mc)
        return -1;
    snprintf(bootstrap, sizeof bootstrap, "%s", rd_kafka_mock_cluster_bootstraps(*mc));
    if (rd_kafka_mock_topic_create(*mc, "ta", 2, 1) || rd_kafka_mock_topic_create(*mc, "tb", 3, 1) ||
        rd_kafka_mock_topic_create(*mc, "tc", 1, 1) || rd_kafka_mock_topic_create(*mc, "td", 3, 1))
        return -1;
    conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof errstr);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!p)
        return -1;
    int bad = 0;
    for (int i = 0; i < PER_PARTITION; i++)
        for (int t = 0; t < 2; t++)
            for (int part = 0; part < (t ? 3 : 2); part++) {
                char v[32];
                int n = snprintf(v, sizeof v, "t%c/%d/%d", t ? 'b' : 'a', part, i);
                bad |= rd_kafka_producev(p, RD_KAFKA_V_TOPIC(t ? "tb" : "ta"), RD_KAFKA_V_PARTITION(part),
                                         RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                         RD_KAFKA_V_VALUE(v, (size_t)n), RD_KAFKA_V_END) != 0;
            }
    bad |= rd_kafka_flush(p, 30000) != 0;
    for (int i = 0; i < TC_RECORDS; i++) { /* flushed every 10: a fetch of 64 bytes gets one batch */
        char v[32];
        int n = snprintf(v, sizeof v, "tc/0/%d", i);
        bad |= rd_kafka_producev(p, RD_KAFKA_V_TOPIC("tc"), RD_KAFKA_V_PARTITION(0),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_VALUE(v, (size_t)n), RD_KAFKA_V_END) != 0;
        if (i % 10 == 9)
            bad |= rd_kafka_flush(p, 30000) != 0;
    }
    for (int i = 0; i < TD_PER; i++) { /* the same, over 3 partitions */
        for (int part = 0; part < 3; part++) {
            char v[32];
            int n = snprintf(v, sizeof v, "td/%d/%d", part, i);
            bad |= rd_kafka_producev(p, RD_KAFKA_V_TOPIC("td"), RD_KAFKA_V_PARTITION(part),
                                     RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                     RD_KAFKA_V_VALUE(v, (size_t)n), RD_KAFKA_V_END) != 0;
        }
        if (i % 10 == 9)
            bad |= rd_kafka_flush(p, 30000) != 0;
    }
    rd_kafka_destroy(p);
    return bad ? -1 : 0;
}

int main(void)
{
    rd_kafka_t *host = NULL;
    rd_kafka_mock_cluster_t *mc = NULL;
    if (cluster_up(&host, &mc) != 0) {
        SKIP(kafka_position, "cannot host librdkafka's mock cluster here");
        return 0;
    }
    RUN(bounded_split_reordered);
    RUN(explicit_position);
    RUN(malformed_positions);
    RUN(group_split_reordered);
    RUN(refill_due);
    RUN(refill_keeps_reading);
    RUN(held_once_in_order_bounded);
    RUN(held_once_in_order_group);
    prt_buf_free(&got);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(host);
    return test_summary();
}
