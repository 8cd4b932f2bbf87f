#!/bin/sh
# kafka_two_sinks.sh — two exactly-once Kafka sinks in one job, against the real broker
# (tests/kafka/broker.sh; the mock cluster has no transactions):
#   kafka/eo_two_sinks  they share one producer, so one transaction a checkpoint: killed right
#                       after the first sink's commit call, restarted, both topics hold the
#                       uninterrupted run's records exactly once
#   kafka/eo_two_sinks_upgrade the same job built as before sinks shared a producer (each its
#                       own transactional.id), killed after a checkpoint's commits, restarted by
#                       the sharing build: sink b's marker is found in its old group, nothing is
#                       written twice
# SANITIZE=1: the runtime and the generated C under ASan+UBSan (as cases.sh), results named
# asan:kafka/..., topics prefixed asan- (the broker is shared with the plain run).
# SKIP (by lib.sh's need_broker) where there is no Java, no broker jars or no kcat.
. "$(dirname "$0")/lib.sh"
T=$TMP_ROOT
TAG=kafka P=""
if [ "${SANITIZE:-0}" = 1 ]; then
    export PIPEC_RUNTIME_LIB="$ROOT/build/asan/libprt.a" PIPEC_LINK=dynamic
    export PIPEC_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
    export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
    TAG=asan:kafka P=asan-
fi
[ -x "$PIPEC" ] || { skip $TAG/eo_two_sinks "no $PIPEC (build first)"; exit 0; }
start_cluster two --topic ${P}ckpt-eo-2ra:1 --topic ${P}ckpt-eo-2rb:1 --topic ${P}ckpt-eo-2a:1 \
    --topic ${P}ckpt-eo-2b:1 --topic ${P}ckpt-eo-2ua:1 --topic ${P}ckpt-eo-2ub:1
BS=$BS_two
export BS

cat > "$T/two.yaml" <<'YAML'
pipeline: ckpt_kafka_two
schemas:
  ev: { k: string, v: int }
sources:
  in:
    file: { path: "${IN2}" }
    format: kv
    schema: ev
stages:
  - id: odd
    filter: v % 3 != 0
  - id: third
    from: in
    filter: v % 3 == 0
sinks:
  a:
    from: odd
    kafka: { bootstrap: "${BS}", topic: "${TOPIC_A}" }
    format: kv
  b:
    from: third
    kafka: { bootstrap: "${BS}", topic: "${TOPIC_B}" }
    format: kv
checkpoint:
  interval: 20ms
  mode: exactly_once
  dir: "${STATE_DIR}"
YAML
TBIN=$T/ckpt_kafka_two
if ! build_pipeline "$T/two.yaml" "$TBIN" > "$T/tbuild.out" 2>&1; then
    fail $TAG/eo_two_sinks "pipec build failed: $(head -n 3 "$T/tbuild.out" | tr '\n' '|')"
else
    awk 'BEGIN { for (i = 0; i < 200000; i++) printf "k=k%d,v=%d\n", i % 7, i }' > "$T/in2.kv"
    export IN2="$T/in2.kv"
    TOPIC_A=${P}ckpt-eo-2ra TOPIC_B=${P}ckpt-eo-2rb STATE_DIR=$T/2ref-state "$TBIN" run --quiet 2> "$T/2ref.err"; rc0=$?
    # the 5th commit of a sink is sink a's of checkpoint 3: before, sink b had its own
    # transaction, still open there, and the restart wrote a's records of checkpoint 3 again
    PRT_CRASH_AT=ckpt-sink-committed:5 TOPIC_A=${P}ckpt-eo-2a TOPIC_B=${P}ckpt-eo-2b STATE_DIR=$T/2-state \
        "$TBIN" run --quiet 2> "$T/2a.err"; rc1=$?
    TOPIC_A=${P}ckpt-eo-2a TOPIC_B=${P}ckpt-eo-2b STATE_DIR=$T/2-state "$TBIN" run 2> "$T/2b.err"; rc2=$?
    kafka_committed ${P}ckpt-eo-2ra > "$T/2ra.rows"; kafka_committed ${P}ckpt-eo-2rb > "$T/2rb.rows"
    kafka_committed ${P}ckpt-eo-2a > "$T/2a.rows"; kafka_committed ${P}ckpt-eo-2b > "$T/2b.rows"
    if [ $rc0 != 0 ] || [ "$(wc -l < "$T/2ra.rows")" != 133333 ] || [ "$(wc -l < "$T/2rb.rows")" != 66667 ]; then
        fail $TAG/eo_two_sinks "reference: exit $rc0, $(wc -l < "$T/2ra.rows") + $(wc -l < "$T/2rb.rows") records: $(head -n 3 "$T/2ref.err" | tr '\n' '|')"
    elif [ $rc1 != 137 ]; then fail $TAG/eo_two_sinks "the run to kill exited $rc1: $(head -n 3 "$T/2a.err" | tr '\n' '|')"
    elif [ $rc2 != 0 ] || ! grep -q "resuming from checkpoint 3 " "$T/2b.err"; then
        fail $TAG/eo_two_sinks "restart: exit $rc2: $(grep -v '^ *$' "$T/2b.err" | head -n 3 | tr '\n' '|')"
    elif ! cmp -s "$T/2ra.rows" "$T/2a.rows"; then
        fail $TAG/eo_two_sinks "topic of sink a: $(wc -l < "$T/2a.rows") records for 133333, $(uniq -d "$T/2a.rows" | wc -l) duplicated"
    elif ! cmp -s "$T/2rb.rows" "$T/2b.rows"; then
        fail $TAG/eo_two_sinks "topic of sink b: $(wc -l < "$T/2b.rows") records for 66667, $(uniq -d "$T/2b.rows" | wc -l) duplicated"
    else pass $TAG/eo_two_sinks; fi
    # as before the sharing: sink b's own transactional.id, so its own producer, whose markers
    # are in group ckpt_kafka_two.b.0
    sed 's|topic: "${TOPIC_B}" }|topic: "${TOPIC_B}", properties: { transactional.id: ckpt_kafka_two.b.0 } }|' \
        "$T/two.yaml" > "$T/two-old.yaml"
    if ! build_pipeline "$T/two-old.yaml" "$T/two-old" > "$T/tbuild.out" 2>&1; then
        fail $TAG/eo_two_sinks_upgrade "pipec build failed: $(head -n 3 "$T/tbuild.out" | tr '\n' '|')"
    else
        PRT_CRASH_AT=ckpt-committed:3 TOPIC_A=${P}ckpt-eo-2ua TOPIC_B=${P}ckpt-eo-2ub STATE_DIR=$T/2u-state \
            "$T/two-old" run --quiet 2> "$T/2u1.err"; rc1=$?
        TOPIC_A=${P}ckpt-eo-2ua TOPIC_B=${P}ckpt-eo-2ub STATE_DIR=$T/2u-state "$TBIN" run 2> "$T/2u2.err"; rc2=$?
        kafka_committed ${P}ckpt-eo-2ua > "$T/2ua.rows"; kafka_committed ${P}ckpt-eo-2ub > "$T/2ub.rows"
        if [ $rc1 != 137 ]; then fail $TAG/eo_two_sinks_upgrade "the old build exited $rc1: $(head -n 3 "$T/2u1.err" | tr '\n' '|')"
        elif [ $rc2 != 0 ] || ! grep -q "resuming from checkpoint 3 " "$T/2u2.err"; then
            fail $TAG/eo_two_sinks_upgrade "restart: exit $rc2: $(grep -v '^ *$' "$T/2u2.err" | head -n 3 | tr '\n' '|')"
        elif ! cmp -s "$T/2ra.rows" "$T/2ua.rows" || ! cmp -s "$T/2rb.rows" "$T/2ub.rows"; then
            fail $TAG/eo_two_sinks_upgrade "$(wc -l < "$T/2ua.rows") + $(wc -l < "$T/2ub.rows") records for 133333 + 66667, $(uniq -d "$T/2ua.rows" | wc -l) + $(uniq -d "$T/2ub.rows" | wc -l) duplicated"
        else pass $TAG/eo_two_sinks_upgrade; fi
    fi
fi
