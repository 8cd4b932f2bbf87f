#!/bin/sh
# kafka_e2e.sh — pipelines built with `pipec build` against the real test Kafka broker:
#   seed001_exact     SPEC's seed 001 job (bounded over its topic): exact window results in
#                     flink-aggregates, message timestamps = window end - 1, empty late file
#   seed001_embedded  the same binary with `run --embedded-kafka` (librdkafka's mock cluster
#                     in the process, no broker needed): starts, says where, stops
# SKIP (never PASS) while build/pipec or build/tools/kafka-topics is missing; a pipec build that
# fails is a FAIL.
. "$(dirname "$0")/lib.sh"
T=$TMP_ROOT
[ -x "$PIPEC" ] || { skip kafka/seed001_exact "no $PIPEC (build first)"; skip kafka/seed001_embedded "no $PIPEC"; exit 0; }
[ -x "$TOOLS/kafka-topics" ] || { skip kafka/seed001_exact "no $TOOLS/kafka-topics (build first)"; exit 0; }

# SPEC's seed 001 job, with `bounded: true` so that the run ends after the topic's records
cat > "$T/seed001.yaml" <<'YAML'
pipeline: orders_by_status
schemas:
  order:
    customer: string
    status:   string
    region:   string
    amount:   float
    ts:       timestamp
sources:
  orders:
    kafka:
      bootstrap: ${KAFKA_BOOTSTRAP:-localhost:9094}
      topics: [partitioned-topic]
      startup: earliest
      bounded: true
    format: kv
    schema: order
    event_time: ts
    watermark: { out_of_orderness: 5s, idle: 1m }
stages:
  - id: not_cancelled
    filter: status != "CANCELLED"
  - id: by_status
    key_by: status
  - id: counts
    window: { tumbling: 30s }
    allowed_lateness: 10s
    late_output: late
    aggregate: { count: count(), total: sum(amount), biggest: max(amount) }
sinks:
  out:
    from: counts
    kafka:
      bootstrap: ${KAFKA_BOOTSTRAP:-localhost:9094}
      topic: flink-aggregates
    format: json
  late:
    file:
      path: ${LATE_PATH:-late.jsonl}
    format: json
checkpoint:
  interval: 10s
  mode: exactly_once
  dir: ${STATE_DIR:-state}
YAML
BIN=$T/orders_by_status
if ! build_pipeline "$T/seed001.yaml" "$BIN" > "$T/build.out" 2>&1; then
    why=$(grep -m 1 -i 'error' "$T/build.out" || head -n 1 "$T/build.out")
    fail kafka/seed001_exact "pipec build failed: $why"
    fail kafka/seed001_embedded "pipec build failed"
    exit 0
fi

# embedded mode: the same binary, no cluster of its own
(cd "$T" && LATE_PATH=$T/late2.jsonl STATE_DIR=$T/state2 timeout -s INT 6 "$BIN" run --embedded-kafka --quiet \
    > "$T/emb.out" 2> "$T/emb.err"); rc=$?
if grep -q '^orders_by_status: embedded Kafka at 127.0.0.1:[0-9]* (topics: partitioned-topic, flink-aggregates)$' "$T/emb.err" \
    && ! grep -qv -e 'embedded Kafka at' -e 'stopped:' -e 'finished:' "$T/emb.err"; then
    pass kafka/seed001_embedded
else fail kafka/seed001_embedded "exit $rc: $(tr '\n' '|' < "$T/emb.err" | head -c 300)"; fi

# the real broker from here on
start_cluster e2e --topic partitioned-topic:3 --topic flink-aggregates:1
BS=$BS_e2e
put() { echo "$2" | kcat -P -b "$BS" -t partitioned-topic -p "$1" 2>/dev/null; }
# three partitions with different event-time progress; one CANCELLED (filtered), one in a 2nd window
put 0 'customer=customer-001,status=SHIPPED,region=eu-west,amount=10.25,ts=2024-05-23T12:00:01Z'
put 1 'customer=customer-002,status=SHIPPED,region=us-east,amount=20.5,ts=2024-05-23T12:00:10Z'
put 2 'customer=customer-003,status=PENDING,region=eu-west,amount=5.25,ts=2024-05-23T12:00:20Z'
put 0 'customer=customer-004,status=CANCELLED,region=eu-west,amount=99.0,ts=2024-05-23T12:00:15Z'
put 1 'customer=customer-005,status=SHIPPED,region=ap-south,amount=7.5,ts=2024-05-23T12:00:40Z'

(cd "$T" && KAFKA_BOOTSTRAP=$BS LATE_PATH=$T/late.jsonl STATE_DIR=$T/state timeout 60 "$BIN" run --quiet \
    > "$T/run.out" 2> "$T/run.err"); rc=$?
kcat -C -b "$BS" -t flink-aggregates -e -o beginning -f '%T %s\n' 2>/dev/null | sort > "$T/got"
cat > "$T/want" <<'OUT'
1716465629999 {"status":"PENDING","window_start":"2024-05-23T12:00:00Z","window_end":"2024-05-23T12:00:30Z","count":1,"total":5.25,"biggest":5.25}
1716465629999 {"status":"SHIPPED","window_start":"2024-05-23T12:00:00Z","window_end":"2024-05-23T12:00:30Z","count":2,"total":30.75,"biggest":20.5}
1716465659999 {"status":"SHIPPED","window_start":"2024-05-23T12:00:30Z","window_end":"2024-05-23T12:01:00Z","count":1,"total":7.5,"biggest":7.5}
OUT
if [ $rc -ne 0 ]; then fail kafka/seed001_exact "exit $rc: $(tr '\n' '|' < "$T/run.err" | head -c 300)"
elif same_file kafka/seed001_exact "$T/want" "$T/got"; then
    if [ -s "$T/late.jsonl" ]; then fail kafka/seed001_exact "late records: $(head -c 200 "$T/late.jsonl")"
    else pass kafka/seed001_exact; fi
fi
