/* kafka-txn-check.c — exercises Kafka transactions the way exactly-once needs them.
 *
 *   kafka-txn-check BOOTSTRAP TOPIC GROUP
 *
 * On partition 0 of TOPIC, with transactional ids derived from GROUP:
 *   1. a transaction of 3 records ("aborted-0".."aborted-2") that is aborted;
 *   2. a transaction of 3 records ("committed-0".."committed-2") that also sends the offset
 *      TOPIC[0]=42 for GROUP (send_offsets_to_transaction), then commits;
 *   3. the committed offset of GROUP, read back with a consumer that commits nothing itself;
 *   4. fencing: producer A opens a transaction and writes "zombie"; producer B with the same
 *      transactional.id initializes (which fences A and aborts its transaction), writes
 *      "successor" and commits; then A tries to commit.
 * Prints one line per step (`aborted 3`, `committed 3`, `offsets TOPIC[0]=N`,
 * `fenced: <error name> fatal=<0|1>` or `fenced: no`), exit 0; exit 1 when a step cannot be
 * run at all. tests/runtime/kafka_broker.sh checks the lines and reads TOPIC with kcat in both
 * isolation levels. (librdkafka's mock cluster accepts all of this and implements none of it.) */
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

static rd_kafka_t *tc_client(rd_kafka_type_t type, const char *bootstrap, const char *k, const char *v)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof err) ||
        rd_kafka_conf_set(c, "log_level", "0", err, sizeof err) || rd_kafka_conf_set(c, k, v, err, sizeof err) ||
        (type == RD_KAFKA_CONSUMER && rd_kafka_conf_set(c, "enable.auto.commit", "false", err, sizeof err))) {
        fprintf(stderr, "kafka-txn-check: %s\n", err);
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    rd_kafka_t *rk = rd_kafka_new(type, c, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "kafka-txn-check: %s\n", err);
        rd_kafka_conf_destroy(c);
    }
    return rk;
}

static int tc_fail(const char *what, rd_kafka_error_t *e)
{
    fprintf(stderr, "kafka-txn-check: %s: %s\n", what, rd_kafka_error_string(e));
    rd_kafka_error_destroy(e);
    return 1;
}

/* writes N records "<prefix>-<i>" to TOPIC[0] inside the open transaction and flushes them */
static int tc_write(rd_kafka_t *p, const char *topic, const char *prefix, int n)
{
    for (int i = 0; i < n; i++) {
        char v[64];
        int len = snprintf(v, sizeof v, "%s-%d", prefix, i);
        rd_kafka_resp_err_t err = rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                                    RD_KAFKA_V_VALUE(v, (size_t)len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                                    RD_KAFKA_V_END);
        if (err) {
            fprintf(stderr, "kafka-txn-check: produce: %s\n", rd_kafka_err2str(err));
            return 1;
        }
    }
    if (rd_kafka_flush(p, 10000)) {
        fprintf(stderr, "kafka-txn-check: flush timed out\n");
        return 1;
    }
    return 0;
}

static int tc_abort_commit(const char *bs, const char *topic, const char *group)
{
    char id[300];
    snprintf(id, sizeof id, "%s-txn", group);
    rd_kafka_t *p = tc_client(RD_KAFKA_PRODUCER, bs, "transactional.id", id);
    if (!p)
        return 1;
    rd_kafka_error_t *e;
    if ((e = rd_kafka_init_transactions(p, 30000)))
        return tc_fail("init_transactions", e);
    if ((e = rd_kafka_begin_transaction(p)))
        return tc_fail("begin_transaction", e);
    if (tc_write(p, topic, "aborted", 3))
        return 1;
    if ((e = rd_kafka_abort_transaction(p, 30000)))
        return tc_fail("abort_transaction", e);
    printf("aborted 3\n");
    if ((e = rd_kafka_begin_transaction(p)))
        return tc_fail("begin_transaction", e);
    if (tc_write(p, topic, "committed", 3))
        return 1;
    rd_kafka_topic_partition_list_t *offs = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(offs, topic, 0)->offset = 42;
    rd_kafka_consumer_group_metadata_t *gm = rd_kafka_consumer_group_metadata_new(group);
    e = rd_kafka_send_offsets_to_transaction(p, offs, gm, 30000);
    rd_kafka_consumer_group_metadata_destroy(gm);
    rd_kafka_topic_partition_list_destroy(offs);
    if (e)
        return tc_fail("send_offsets_to_transaction", e);
    if ((e = rd_kafka_commit_transaction(p, 30000)))
        return tc_fail("commit_transaction", e);
    printf("committed 3\n");
    rd_kafka_destroy(p);
    return 0;
}

static int tc_offsets(const char *bs, const char *topic, const char *group)
{
    rd_kafka_t *c = tc_client(RD_KAFKA_CONSUMER, bs, "group.id", group);
    if (!c)
        return 1;
    rd_kafka_topic_partition_list_t *offs = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(offs, topic, 0);
    rd_kafka_resp_err_t err = rd_kafka_committed(c, offs, 30000);
    if (err || offs->elems[0].err)
        fprintf(stderr, "kafka-txn-check: committed: %s\n", rd_kafka_err2str(err ? err : offs->elems[0].err));
    else
        printf("offsets %s[0]=%lld\n", topic, (long long)offs->elems[0].offset);
    rd_kafka_topic_partition_list_destroy(offs);
    rd_kafka_destroy(c);
    return err ? 1 : 0;
}

static int tc_fencing(const char *bs, const char *topic, const char *group)
{
    char id[300];
    snprintf(id, sizeof id, "%s-fence", group);
    rd_kafka_t *a = tc_client(RD_KAFKA_PRODUCER, bs, "transactional.id", id);
    if (!a)
        return 1;
    rd_kafka_error_t *e;
    if ((e = rd_kafka_init_transactions(a, 30000)))
        return tc_fail("A init_transactions", e);
    if ((e = rd_kafka_begin_transaction(a)))
        return tc_fail("A begin_transaction", e);
    if (tc_write(a, topic, "zombie", 1))
        return 1;
    rd_kafka_t *b = tc_client(RD_KAFKA_PRODUCER, bs, "transactional.id", id);
    if (!b)
        return 1;
    if ((e = rd_kafka_init_transactions(b, 60000)))
        return tc_fail("B init_transactions", e);
    if ((e = rd_kafka_begin_transaction(b)))
        return tc_fail("B begin_transaction", e);
    if (tc_write(b, topic, "successor", 1))
        return 1;
    if ((e = rd_kafka_commit_transaction(b, 30000)))
        return tc_fail("B commit_transaction", e);
    e = rd_kafka_commit_transaction(a, 30000);
    if (e) {
        printf("fenced: %s fatal=%d\n", rd_kafka_err2name(rd_kafka_error_code(e)), rd_kafka_error_is_fatal(e));
        rd_kafka_error_destroy(e);
    } else {
        printf("fenced: no\n");
    }
    rd_kafka_destroy(b);
    rd_kafka_destroy(a);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: kafka-txn-check BOOTSTRAP TOPIC GROUP\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (tc_abort_commit(argv[1], argv[2], argv[3]) || tc_offsets(argv[1], argv[2], argv[3]) ||
        tc_fencing(argv[1], argv[2], argv[3]))
        return 1;
    return 0;
}
