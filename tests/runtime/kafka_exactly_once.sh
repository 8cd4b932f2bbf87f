#!/bin/sh
# kafka_exactly_once.sh — exactly-once into Kafka, against the real broker (tests/kafka/broker.sh;
# librdkafka's mock cluster has no transactions, so nothing here runs on it):
#   kafka/eo_crash      a filter and a keyed window into two transactional Kafka sinks (sharing
#                       one producer) and a file, killed with SIGKILL >= 20 times (random moments
#                       and named points, among them between the MANIFEST and the transaction's
#                       commit and between the two sinks' commit calls), restarted until done: both
#                       topics read with read_committed hold the uninterrupted run's records, as
#                       multisets, and the file is the same
#   kafka/eo_fenced     a second copy of the job fences the first: it stops with a clear error
#   kafka/eo_broker_down the broker goes down under a running job: the commit (or the loop's
#                       flush of the open transaction, whichever comes first) is retried, then
#                       the job fails clearly; after the broker is back a restart loses nothing
#   kafka/eo_source_offsets Kafka in, Kafka out: killed between a checkpoint's MANIFEST and its
#                       commit, restarted: the output exactly once, and the consumed offsets were
#                       committed for the source's group in the transactions (a fresh job of the
#                       same group reads nothing)
# SKIP (by lib.sh's need_broker) where there is no Java, no broker jars or no kcat.
. "$(dirname "$0")/lib.sh"
T=$TMP_ROOT
SEED=${SEED:-1}
[ -x "$PIPEC" ] || { skip kafka/eo_crash "no $PIPEC (build first)"; exit 0; }
start_cluster eo --topic ckpt-eo-ref:1 --topic ckpt-eo-out:1 --topic ckpt-eo-fence:1 --topic ckpt-eo-down:1 \
    --topic ckpt-eo-ref3:1 --topic ckpt-eo-out3:1 --topic ckpt-eo-side:1 \
    --topic ckpt-eo-kin:2 --topic ckpt-eo-kref:1 --topic ckpt-eo-kout:1
BS=$BS_eo

cat > "$T/p.yaml" <<'YAML'
pipeline: ckpt_kafka_eo
schemas:
  ev: { k: string, v: int, ts: timestamp }
sources:
  in:
    file: { path: "${IN}", follow: "${FOLLOW:-false}" }
    format: kv
    schema: ev
    event_time: ts
stages:
  - id: odd
    filter: v % 3 != 0
  - id: by_k
    key_by: k
  - id: sums
    window: { tumbling: 5s }
    aggregate: { n: count(), total: sum(v) }
  - id: third
    from: in
    filter: v % 3 == 0
sinks:
  rows:
    from: odd
    kafka: { bootstrap: "${BS}", topic: "${TOPIC}", flush_timeout: "${FLUSH_TIMEOUT:-60s}" }
    format: json
  thirds:
    from: third
    kafka: { bootstrap: "${BS}", topic: "${TOPIC3:-ckpt-eo-side}", flush_timeout: "${FLUSH_TIMEOUT:-60s}" }
    format: json
  sums:
    from: sums
    file: { path: "${OUT_SUMS}" }
    format: csv
checkpoint:
  interval: "${CK_INTERVAL:-20ms}"
  mode: exactly_once
  dir: "${STATE_DIR}"
YAML
BIN=$T/ckpt_kafka_eo
if ! build_pipeline "$T/p.yaml" "$BIN" > "$T/build.out" 2>&1; then
    fail kafka/eo_crash "pipec build failed: $(head -n 3 "$T/build.out" | tr '\n' '|')"
    exit 0
fi
awk 'BEGIN { for (i = 0; i < 400000; i++) printf "k=k%d,v=%d,ts=%.0f\n", i % 40, i, 1700000000000 + i * 10 }' > "$T/in.kv"
export IN="$T/in.kv" BS

# ---------------------------------------------------------------- crash harness
if ! TOPIC=ckpt-eo-ref TOPIC3=ckpt-eo-ref3 OUT_SUMS=$T/ref.csv STATE_DIR=$T/ref-state "$BIN" run --quiet 2> "$T/ref.err"; then
    fail kafka/eo_crash "reference run failed: $(head -n 3 "$T/ref.err" | tr '\n' '|')"
else
    kafka_committed ckpt-eo-ref > "$T/ref.rows"
    kafka_committed ckpt-eo-ref3 > "$T/ref3.rows"
    rnd() { awk -v s="$SEED" -v i="$1" -v m="$2" 'BEGIN { srand(s * 7919 + i); print int(rand() * m) }'; }
    kills=0 runs=0 points=0 ok=1 before_done=""
    while :; do
        runs=$((runs + 1))
        [ $runs -le 300 ] || { fail kafka/eo_crash "no completion after 300 runs (seed $SEED)"; ok=0; break; }
        crash=""
        if [ $kills -lt 20 ] && [ $((runs % 3)) = 0 ]; then
            set -- ckpt-prepared ckpt-snapshot ckpt-complete ckpt-sink-committed ckpt-committed
            shift "$(rnd "$runs" 5)"
            crash="$1:$(($(rnd "$((runs + 1000))" 3) + 1))"
        fi
        PRT_CRASH_AT=$crash TOPIC=ckpt-eo-out TOPIC3=ckpt-eo-out3 OUT_SUMS=$T/out.csv STATE_DIR=$T/state "$BIN" run --quiet 2>> "$T/crash.err" &
        pid=$!
        if [ $kills -lt 20 ] && [ -z "$crash" ]; then
            ms=$(($(rnd "$((runs + 2000))" 600) + 20))
            sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
            kill -9 $pid 2>/dev/null
        fi
        wait $pid; rc=$?
        case $rc in
        0) [ -n "$before_done" ] || before_done=$kills
           [ $kills -ge 20 ] && break
           # finished before enough kills: go on killing runs that resume from the final
           # checkpoint (they read nothing new; the named points still kill them)
           ;;
        137) kills=$((kills + 1)); [ -n "$crash" ] && points=$((points + 1)) ;;
        *) fail kafka/eo_crash "run $runs exited $rc: $(tail -n 3 "$T/crash.err" | tr '\n' '|') (seed $SEED)"; ok=0; break ;;
        esac
    done
    if [ $ok = 1 ]; then
        kafka_committed ckpt-eo-out > "$T/got.rows"
        kafka_committed ckpt-eo-out3 > "$T/got3.rows"
        if ! cmp -s "$T/ref.rows" "$T/got.rows"; then
            fail kafka/eo_crash "topic differs from the reference after $kills kills: $(wc -l < "$T/got.rows") vs $(wc -l < "$T/ref.rows") records, $(sort "$T/got.rows" | uniq -d | wc -l) duplicated (seed $SEED)"
        elif ! cmp -s "$T/ref3.rows" "$T/got3.rows"; then
            fail kafka/eo_crash "second topic differs from the reference after $kills kills: $(wc -l < "$T/got3.rows") vs $(wc -l < "$T/ref3.rows") records, $(uniq -d "$T/got3.rows" | wc -l) duplicated (seed $SEED)"
        elif same_file kafka/eo_crash "$T/ref.csv" "$T/out.csv"; then
            pass "kafka/eo_crash ($kills kills, $before_done before the input was done, $points at named points, $runs runs, $(wc -l < "$T/ref.rows") + $(wc -l < "$T/ref3.rows") records, seed $SEED)"
        fi
    fi
fi

# wait_for CMD…: until CMD succeeds (at most 30 s; no timing is asserted)
wait_for() {
    i=0
    until "$@"; do
        i=$((i + 1)); [ $i -lt 300 ] || return 1
        sleep 0.1
    done
}
has_rows() { [ "$(kafka_committed "$1" | wc -l)" -ge "$2" ]; }

# ---------------------------------------------------------------- fencing
export FOLLOW=true CK_INTERVAL=200ms
TOPIC=ckpt-eo-fence OUT_SUMS=$T/fa.csv STATE_DIR=$T/fa-state "$BIN" run --quiet 2> "$T/fa.err" &
pa=$!; PIDS="$PIDS $pa"
if ! wait_for has_rows ckpt-eo-fence 1; then
    fail kafka/eo_fenced "the first copy committed nothing: $(head -n 3 "$T/fa.err" | tr '\n' '|')"
else
    TOPIC=ckpt-eo-fence OUT_SUMS=$T/fb.csv STATE_DIR=$T/fb-state "$BIN" run --quiet 2> "$T/fb.err" &
    pb=$!; PIDS="$PIDS $pb"
    wait $pa; rca=$?
    kill -TERM $pb 2>/dev/null; wait $pb
    if [ $rca != 1 ]; then fail kafka/eo_fenced "the fenced copy exited $rca: $(head -n 3 "$T/fa.err" | tr '\n' '|')"
    elif ! grep -q "^ckpt_kafka_eo: sink rows: fenced: another copy of this job took over transactional.id ckpt_kafka_eo.rows.0" "$T/fa.err"; then
        fail kafka/eo_fenced "message: $(head -n 3 "$T/fa.err" | tr '\n' '|')"
    else pass kafka/eo_fenced; fi
fi

# ---------------------------------------------------------------- broker down during commits
want=$(awk 'END { print NR }' "$T/ref.rows")
FLUSH_TIMEOUT=3s TOPIC=ckpt-eo-down OUT_SUMS=$T/d.csv STATE_DIR=$T/d-state "$BIN" run --quiet 2> "$T/d.err" &
pd=$!; PIDS="$PIDS $pd"
if ! wait_for has_rows ckpt-eo-down 1; then
    fail kafka/eo_broker_down "nothing committed before the outage: $(head -n 3 "$T/d.err" | tr '\n' '|')"
else
    broker_down
    wait $pd; rcd=$?
    broker_up
    TOPIC=ckpt-eo-down OUT_SUMS=$T/d.csv STATE_DIR=$T/d-state "$BIN" run --quiet 2> "$T/d2.err" &
    pd=$!; PIDS="$PIDS $pd"
    wait_for has_rows ckpt-eo-down "$want"
    kill -TERM $pd; wait $pd; rc2=$?
    kafka_committed ckpt-eo-down > "$T/down.rows"
    if [ $rcd != 1 ]; then fail kafka/eo_broker_down "during the outage the job exited $rcd: $(head -n 3 "$T/d.err" | tr '\n' '|')"
    elif ! grep -q "could not commit\|cannot commit\|could not prepare\|did not answer the commit\|not yet delivered to topic" "$T/d.err"; then
        fail kafka/eo_broker_down "no clear failure: $(head -n 4 "$T/d.err" | tr '\n' '|')"
    elif [ $rc2 != 0 ]; then fail kafka/eo_broker_down "the restart exited $rc2: $(head -n 3 "$T/d2.err" | tr '\n' '|')"
    elif ! cmp -s "$T/ref.rows" "$T/down.rows"; then
        fail kafka/eo_broker_down "after the outage: $(wc -l < "$T/down.rows") records for $want, $(uniq -d "$T/down.rows" | wc -l) duplicated"
    else pass kafka/eo_broker_down; fi
fi

# ---------------------------------------------------------------- Kafka in, Kafka out
unset FOLLOW CK_INTERVAL
cat > "$T/k.yaml" <<'YAML'
pipeline: ckpt_kafka_kk
schemas:
  ev: { k: string, v: int }
sources:
  in:
    kafka:
      bootstrap: "${BS}"
      topics: [ckpt-eo-kin]
      group: "${GROUP}"
      startup: group-offsets
      auto_offset_reset: earliest
      bounded: true
    format: kv
    schema: ev
stages:
  - id: odd
    filter: v % 3 != 0
sinks:
  out:
    kafka: { bootstrap: "${BS}", topic: "${TOPIC}" }
    format: kv
checkpoint:
  interval: 20ms
  mode: exactly_once
  dir: "${STATE_DIR}"
YAML
KBIN=$T/ckpt_kafka_kk
if ! build_pipeline "$T/k.yaml" "$KBIN" > "$T/kbuild.out" 2>&1; then
    fail kafka/eo_source_offsets "pipec build failed: $(head -n 3 "$T/kbuild.out" | tr '\n' '|')"
    exit 0
fi
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "k=k%d,v=%d\n", i % 7, i }' | kcat -P -b "$BS" -t ckpt-eo-kin 2>/dev/null
GROUP=kk-ref TOPIC=ckpt-eo-kref STATE_DIR=$T/kref-state "$KBIN" run --quiet 2> "$T/kref.err"; rc0=$?
PRT_CRASH_AT=ckpt-complete:3 GROUP=kk TOPIC=ckpt-eo-kout STATE_DIR=$T/kk-state "$KBIN" run --quiet 2> "$T/kk1.err"; rc1=$?
GROUP=kk TOPIC=ckpt-eo-kout STATE_DIR=$T/kk-state "$KBIN" run --quiet 2> "$T/kk2.err"; rc2=$?
GROUP=kk TOPIC=ckpt-eo-kout STATE_DIR=$T/kk-fresh "$KBIN" run 2> "$T/kk3.err"; rc3=$?
kafka_committed ckpt-eo-kref > "$T/kref.rows"
kafka_committed ckpt-eo-kout > "$T/kout.rows"
if [ $rc0 != 0 ] || [ "$(wc -l < "$T/kref.rows")" != 66666 ]; then
    fail kafka/eo_source_offsets "reference: exit $rc0, $(wc -l < "$T/kref.rows") records: $(head -n 3 "$T/kref.err" | tr '\n' '|')"
elif [ $rc1 != 137 ]; then fail kafka/eo_source_offsets "the run to kill exited $rc1: $(head -n 3 "$T/kk1.err" | tr '\n' '|')"
elif [ $rc2 != 0 ] || ! grep -q "checkpoint 3 was not committed by sink out" "$T/kk2.err"; then
    fail kafka/eo_source_offsets "restart: exit $rc2: $(head -n 3 "$T/kk2.err" | tr '\n' '|')"
elif ! cmp -s "$T/kref.rows" "$T/kout.rows"; then
    fail kafka/eo_source_offsets "$(wc -l < "$T/kout.rows") records for 66666, $(uniq -d "$T/kout.rows" | wc -l) duplicated"
elif [ $rc3 != 0 ] || ! grep -q "finished: 0 records in, 0 out" "$T/kk3.err"; then
    fail kafka/eo_source_offsets "a fresh job of the group read again: exit $rc3: $(grep -v '^ *$' "$T/kk3.err" | tr '\n' '|' | head -c 300)"
else pass kafka/eo_source_offsets; fi
