/* kafka-topics.c — creates topics on a real Kafka broker for the tests (librdkafka's admin API).
 *
 *   kafka-topics BOOTSTRAP NAME:PARTITIONS...
 *   kafka-topics --delete BOOTSTRAP NAME...
 *   kafka-topics --wait-group BOOTSTRAP GROUP MEMBERS
 *
 * Creates every topic (replication factor 1), then waits until the metadata shows each with its
 * partitions and a leader for every one, so a client started next finds them. Exit 0, or 1 with
 * one line per problem (a topic that exists already is a problem: every test run has its own
 * broker and names). Milliseconds, where a JVM admin tool would take a second or two.
 * --delete deletes the topics (a test's way to make deliveries fail under a running job).
 * --wait-group waits (30 s at most) until consumer group GROUP is Stable with MEMBERS members:
 * every member has its partitions, so a test can produce without guessing how long joins take. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#define KT_MAX 64

typedef struct {
    char name[256];
    int partitions;
} kt_topic;

static int kt_parse(const char *spec, kt_topic *t)
{
    const char *colon = strrchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    t->partitions = 1;
    if (colon) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (*end || v < 1 || v > 10000)
            return -1;
        t->partitions = (int)v;
    }
    if (n == 0 || n >= sizeof t->name)
        return -1;
    memcpy(t->name, spec, n);
    t->name[n] = 0;
    return 0;
}

/* Reports every per-topic error of a Create/DeleteTopics result; -1 when there was one. */
static int kt_results(const rd_kafka_topic_result_t **res, size_t cnt)
{
    int rc = 0;
    for (size_t i = 0; i < cnt; i++) {
        if (rd_kafka_topic_result_error(res[i])) {
            fprintf(stderr, "kafka-topics: %s: %s\n", rd_kafka_topic_result_name(res[i]),
                    rd_kafka_topic_result_error_string(res[i]));
            rc = -1;
        }
    }
    return rc;
}

static int kt_create(rd_kafka_t *rk, const kt_topic *topics, int n)
{
    char err[512];
    rd_kafka_NewTopic_t *nt[KT_MAX];
    for (int i = 0; i < n; i++) {
        nt[i] = rd_kafka_NewTopic_new(topics[i].name, topics[i].partitions, 1, err, sizeof err);
        if (!nt[i]) {
            fprintf(stderr, "kafka-topics: %s: %s\n", topics[i].name, err);
            rd_kafka_NewTopic_destroy_array(nt, (size_t)i);
            return -1;
        }
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(o, 20000, err, sizeof err);
    rd_kafka_AdminOptions_set_request_timeout(o, 30000, err, sizeof err);
    rd_kafka_CreateTopics(rk, nt, (size_t)n, o, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 40000);
    int rc = 0;
    if (!ev) {
        fprintf(stderr, "kafka-topics: no answer to CreateTopics within 40 s\n");
        rc = -1;
    } else if (rd_kafka_event_error(ev)) {
        fprintf(stderr, "kafka-topics: CreateTopics: %s\n", rd_kafka_event_error_string(ev));
        rc = -1;
    } else {
        size_t cnt;
        const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        rc = kt_results(res, cnt);
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy_array(nt, (size_t)n);
    return rc;
}

static int kt_delete(rd_kafka_t *rk, char **names, int n)
{
    char err[512];
    rd_kafka_DeleteTopic_t *dt[KT_MAX];
    for (int i = 0; i < n; i++)
        dt[i] = rd_kafka_DeleteTopic_new(names[i]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(o, 20000, err, sizeof err);
    rd_kafka_DeleteTopics(rk, dt, (size_t)n, o, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 40000);
    int rc = 0;
    if (!ev || rd_kafka_event_error(ev)) {
        fprintf(stderr, "kafka-topics: DeleteTopics: %s\n", ev ? rd_kafka_event_error_string(ev) : "no answer within 40 s");
        rc = -1;
    } else {
        size_t cnt;
        const rd_kafka_topic_result_t **res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
        rc = kt_results(res, cnt);
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    rd_kafka_DeleteTopic_destroy_array(dt, (size_t)n);
    return rc;
}

static int kt_wait_group(rd_kafka_t *rk, const char *group, int members)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    char last[128] = "no answer";
    for (;;) {
        const struct rd_kafka_group_list *gl;
        if (rd_kafka_list_groups(rk, group, &gl, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            int ok = 0;
            for (int i = 0; i < gl->group_cnt; i++) {
                const struct rd_kafka_group_info *g = &gl->groups[i];
                if (strcmp(g->group, group) != 0)
                    continue;
                snprintf(last, sizeof last, "%s with %d member(s)", g->err ? rd_kafka_err2str(g->err) : g->state,
                         g->member_cnt);
                ok = !g->err && strcmp(g->state, "Stable") == 0 && g->member_cnt == members;
            }
            rd_kafka_group_list_destroy(gl);
            if (ok)
                return 0;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= 30) {
            fprintf(stderr, "kafka-topics: group %s not Stable with %d member(s) after 30 s: %s\n", group, members, last);
            return -1;
        }
        nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
    }
}

/* 1 when the metadata shows every topic with all its partitions led */
static int kt_ready(rd_kafka_t *rk, const kt_topic *topics, int n)
{
    const struct rd_kafka_metadata *md;
    if (rd_kafka_metadata(rk, 1, NULL, &md, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return 0;
    int ok = 1;
    for (int i = 0; i < n && ok; i++) {
        int found = 0;
        for (int t = 0; t < md->topic_cnt && !found; t++) {
            const struct rd_kafka_metadata_topic *mt = &md->topics[t];
            if (strcmp(mt->topic, topics[i].name) != 0 || mt->err || mt->partition_cnt != topics[i].partitions)
                continue;
            found = 1;
            for (int p = 0; p < mt->partition_cnt; p++)
                if (mt->partitions[p].err || mt->partitions[p].leader < 0)
                    found = 0;
        }
        ok = found;
    }
    rd_kafka_metadata_destroy(md);
    return ok;
}

int main(int argc, char **argv)
{
    kt_topic topics[KT_MAX];
    int wait_group = argc == 5 && strcmp(argv[1], "--wait-group") == 0;
    int del = argc > 1 && strcmp(argv[1], "--delete") == 0;
    argc -= del;
    argv += del;
    int n = argc - 2;
    if (wait_group) {
        argc -= 1;
        argv += 1;
        n = 0;
    } else if (argc < 3 || n > KT_MAX || strncmp(argv[1], "--", 2) == 0) {
        fprintf(stderr, "usage: kafka-topics [--delete] BOOTSTRAP NAME:PARTITIONS... (at most %d)\n"
                        "       kafka-topics --wait-group BOOTSTRAP GROUP MEMBERS\n", KT_MAX);
        return 2;
    }
    for (int i = 0; i < n && !del; i++) {
        if (kt_parse(argv[i + 2], &topics[i]) != 0) {
            fprintf(stderr, "kafka-topics: bad topic '%s' (NAME:PARTITIONS)\n", argv[i + 2]);
            return 2;
        }
    }
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (rd_kafka_conf_set(c, "bootstrap.servers", argv[1], err, sizeof err) ||
        rd_kafka_conf_set(c, "log_level", "3", err, sizeof err)) {
        fprintf(stderr, "kafka-topics: %s\n", err);
        rd_kafka_conf_destroy(c);
        return 1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "kafka-topics: %s\n", err);
        rd_kafka_conf_destroy(c);
        return 1;
    }
    int rc;
    if (wait_group)
        rc = kt_wait_group(rk, argv[2], atoi(argv[3])) == 0 ? 0 : 1;
    else
        rc = (del ? kt_delete(rk, argv + 2, n) : kt_create(rk, topics, n)) == 0 ? 0 : 1;
    if (rc == 0 && !del && !wait_group) {
        /* leaders are elected right after creation: bounded polling, 30 s at most */
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        while (!kt_ready(rk, topics, n)) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec - start.tv_sec >= 30) {
                fprintf(stderr, "kafka-topics: topics created but not all partitions have a leader after 30 s\n");
                rc = 1;
                break;
            }
            nanosleep(&(struct timespec){ 0, 50 * 1000 * 1000 }, NULL);
        }
    }
    rd_kafka_destroy(rk);
    return rc;
}
