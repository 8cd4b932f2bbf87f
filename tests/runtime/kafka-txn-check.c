/* kafka-txn-check.c — asks a Kafka cluster whether it really implements transactions.
 *
 *   kafka-txn-check BOOTSTRAP TOPIC
 *
 * Aborts one transactional record and commits another (with consumer offsets sent in the
 * transaction), then reads TOPIC with isolation.level=read_committed and fetches the offsets.
 * Prints `transactions: ok` (exit 0) or `transactions: missing: <what is wrong>` (exit 3).
 * librdkafka 2.0.2's mock cluster answers "missing" (see docs/kafka.md). */
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

static rd_kafka_t *tc_client(rd_kafka_type_t type, const char *bootstrap, const char *k, const char *v)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (rd_kafka_conf_set(c, "bootstrap.servers", bootstrap, err, sizeof err) ||
        rd_kafka_conf_set(c, "log_level", "0", err, sizeof err) ||
        rd_kafka_conf_set(c, k, v, err, sizeof err)) {
        fprintf(stderr, "kafka-txn-check: %s\n", err);
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    if (type == RD_KAFKA_CONSUMER &&
        (rd_kafka_conf_set(c, "isolation.level", "read_committed", err, sizeof err) ||
         rd_kafka_conf_set(c, "enable.partition.eof", "true", err, sizeof err) ||
         rd_kafka_conf_set(c, "auto.offset.reset", "earliest", err, sizeof err))) {
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

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: kafka-txn-check BOOTSTRAP TOPIC\n");
        return 2;
    }
    const char *bs = argv[1], *topic = argv[2];
    rd_kafka_t *p = tc_client(RD_KAFKA_PRODUCER, bs, "transactional.id", "pipec-txn-check");
    if (!p)
        return 1;
    rd_kafka_error_t *e;
    if ((e = rd_kafka_init_transactions(p, 10000)))
        return tc_fail("init_transactions", e);
    if ((e = rd_kafka_begin_transaction(p)))
        return tc_fail("begin_transaction", e);
    rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE("aborted", 7), RD_KAFKA_V_END);
    rd_kafka_flush(p, 10000);
    if ((e = rd_kafka_abort_transaction(p, 10000)))
        return tc_fail("abort_transaction", e);
    if ((e = rd_kafka_begin_transaction(p)))
        return tc_fail("begin_transaction", e);
    rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE("committed", 9), RD_KAFKA_V_END);
    rd_kafka_topic_partition_list_t *offs = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(offs, topic, 0)->offset = 1;
    rd_kafka_consumer_group_metadata_t *gm = rd_kafka_consumer_group_metadata_new("pipec-txn-check");
    if ((e = rd_kafka_send_offsets_to_transaction(p, offs, gm, 10000)))
        return tc_fail("send_offsets_to_transaction", e);
    rd_kafka_consumer_group_metadata_destroy(gm);
    if ((e = rd_kafka_commit_transaction(p, 10000)))
        return tc_fail("commit_transaction", e);
    rd_kafka_destroy(p);

    rd_kafka_t *c = tc_client(RD_KAFKA_CONSUMER, bs, "group.id", "pipec-txn-check");
    if (!c)
        return 1;
    int saw_aborted = 0;
    rd_kafka_topic_partition_list_t *a = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(a, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(c, a);
    for (int i = 0; i < 100; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
        if (!m)
            continue;
        int eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
        if (!m->err && m->len == 7 && memcmp(m->payload, "aborted", 7) == 0)
            saw_aborted = 1;
        rd_kafka_message_destroy(m);
        if (eof)
            break;
    }
    rd_kafka_assign(c, NULL);
    rd_kafka_resp_err_t err = rd_kafka_committed(c, offs, 10000);
    int stored = !err && offs->elems[0].offset == 1;
    rd_kafka_topic_partition_list_destroy(a);
    rd_kafka_topic_partition_list_destroy(offs);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    if (!saw_aborted && stored) {
        printf("transactions: ok\n");
        return 0;
    }
    printf("transactions: missing:%s%s\n", saw_aborted ? " a read_committed consumer sees aborted records;" : "",
           stored ? "" : " offsets sent with the transaction are not stored");
    return 3;
}
