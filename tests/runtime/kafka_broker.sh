#!/bin/sh
# kafka_broker.sh — what only a real Kafka broker allows (librdkafka's mock cluster fakes or
# lacks all of it), against tests/kafka/broker.sh's broker:
#   txn_abort_invisible  an aborted transaction is invisible to read_committed consumers (kcat),
#                        and was written (read_uncommitted sees it)
#   txn_offsets          offsets sent with send_offsets_to_transaction are the group's committed
#                        offsets once the transaction commits
#   txn_fencing          a second producer with the same transactional.id fences the first: its
#                        commit fails (fatal) and its record is never visible to read_committed
#   big_topic            a partition holding more than 5 MiB (the mock keeps 5 MiB and drops the
#                        rest silently) is consumed completely by a pipeline built by pipec
#   startup_timestamp_yaml  `startup: {timestamp: MS}` in a built pipeline, on real record times
#   metadata_fields      _timestamp, _partition, _offset and _topic read by a built pipeline
#                        equal what kcat shows for each record
#   held_small_queue     30,000 records of 3 partitions through a 200-record prefetch queue
#                        and 2 KiB fetches: the source holds what is queued at its low-water
#                        mark and seeks past it again and again; each record delivered once,
#                        each partition in offset order (runtime/prt_kafka_int.h, prt_kafka_refill)
#   rebalance            a second instance of a pipeline built by pipec joins the group
#                        (partitions move to it) and leaves (they move back): every record read
#                        exactly once
# Every wait is bounded; the trap stops every process this script started.
. "$(dirname "$0")/lib.sh"
T=$TMP_ROOT
for t in "$TOOLS/kafka-topics" "$TOOLS/kafka-txn-check"; do
    [ -x "$t" ] || { skip kafka/broker "no $t (build first)"; exit 0; }
done
command -v kcat > /dev/null || { skip kafka/broker "kcat is not installed"; exit 0; }
start_cluster real --topic x-txn:1 --topic x-big:1 --topic x-ts:2 --topic x-rb:4 --topic x-hq:3
values() { kcat -C -b "$BS" -t "$1" -e -o beginning -X "isolation.level=$2" -f '%s\n' 2> /dev/null | tr '\n' ' '; }

# --- transactions (build/tools/kafka-txn-check runs the producers; kcat reads)
"$TOOLS/kafka-txn-check" "$BS" x-txn g-txn > "$T/txn.out" 2> "$T/txn.err"; rc=$?
steps=$(tr '\n' '|' < "$T/txn.out")
committed=$(values x-txn read_committed)
everything=$(values x-txn read_uncommitted)
if [ $rc -eq 0 ] && [ "$committed" = "committed-0 committed-1 committed-2 successor-0 " ] \
    && [ "$everything" = "aborted-0 aborted-1 aborted-2 committed-0 committed-1 committed-2 zombie-0 successor-0 " ]; then
    pass kafka/txn_abort_invisible
else fail kafka/txn_abort_invisible "exit $rc ($steps $(head -c 200 "$T/txn.err")); read_committed: $committed; read_uncommitted: $everything"; fi
if grep -qx 'offsets x-txn\[0\]=42' "$T/txn.out"; then pass kafka/txn_offsets
else fail kafka/txn_offsets "exit $rc: $steps $(head -c 200 "$T/txn.err")"; fi
if grep -qx 'fenced: _FENCED fatal=1' "$T/txn.out" && ! echo "$committed" | grep -q zombie; then pass kafka/txn_fencing
else fail kafka/txn_fencing "exit $rc: $steps $(head -c 200 "$T/txn.err"); read_committed: $committed"; fi

# --- pipelines built by pipec
if [ ! -x "$PIPEC" ]; then
    skip kafka/big_topic "no $PIPEC (build first)"
    skip kafka/startup_timestamp_yaml "no $PIPEC (build first)"
else
    # more than 5 MiB in one partition: 130,000 records of ~75 bytes, keys k0..k3
    awk 'BEGIN { for (i = 0; i < 130000; i++) printf "k=k%d,v=%d,ts=1000,pad=%s\n", i % 4, i, "0123456789abcdef0123456789abcdef0123456789" }' > "$T/big.kv"
    awk -F'[=,]' '{ n[$2]++; s[$2] += $4 } END { for (k in n) printf "{\"k\":\"%s\",\"window_start\":\"1970-01-01T00:00:00Z\",\"window_end\":\"1970-01-02T00:00:00Z\",\"n\":%d,\"total\":%d}\n", k, n[k], s[k] }' "$T/big.kv" | sort > "$T/big.want"
    bytes=$(wc -c < "$T/big.kv")
    kcat -P -b "$BS" -t x-big -p 0 -X linger.ms=20 < "$T/big.kv" 2> "$T/big.kcat" || echo "kcat failed" >> "$T/big.kcat"
    cat > "$T/big.yaml" <<'YAML'
pipeline: big_topic
schemas:
  r: { k: string, v: int, ts: timestamp }
sources:
  in:
    kafka: { bootstrap: "${KAFKA_BOOTSTRAP}", topics: [x-big], startup: earliest, bounded: true }
    format: kv
    schema: r
    event_time: ts
stages:
  - id: by_k
    key_by: k
  - id: w
    window: { tumbling: 1d }
    aggregate: { n: count(), total: sum(v) }
sinks:
  out: { file: { path: "${OUT}" } }
YAML
    if ! build_pipeline "$T/big.yaml" "$T/big_topic" > "$T/big.build" 2>&1; then
        fail kafka/big_topic "pipec build: $(head -n 3 "$T/big.build" | tr '\n' '|')"
    else
        KAFKA_BOOTSTRAP=$BS OUT=$T/big.got timeout 120 "$T/big_topic" run --quiet > /dev/null 2> "$T/big.err"; rc=$?
        sort -o "$T/big.got" "$T/big.got" 2> /dev/null
        if [ "$bytes" -le 5242880 ] || [ -s "$T/big.kcat" ]; then fail kafka/big_topic "$bytes bytes produced: $(head -c 200 "$T/big.kcat")"
        elif [ $rc -ne 0 ]; then fail kafka/big_topic "exit $rc: $(head -c 300 "$T/big.err")"
        elif same_file kafka/big_topic "$T/big.want" "$T/big.got"; then pass kafka/big_topic; fi
    fi

    # startup {timestamp} written in the YAML: records before it are skipped on both partitions
    printf 'k=a,v=1,ts=1000\n' | kcat -P -b "$BS" -t x-ts -p 0 2> /dev/null
    printf 'k=a,v=2,ts=1000\n' | kcat -P -b "$BS" -t x-ts -p 1 2> /dev/null
    early=$(kcat -C -b "$BS" -t x-ts -e -o beginning -f '%T\n' 2> /dev/null | sort -n | tail -n 1)
    i=0; while [ "$(date +%s%3N)" -le "$early" ] && [ $i -lt 100 ]; do sleep 0.01; i=$((i + 1)); done
    printf 'k=a,v=10,ts=1000\n' | kcat -P -b "$BS" -t x-ts -p 0 2> /dev/null
    printf 'k=a,v=20,ts=1000\n' | kcat -P -b "$BS" -t x-ts -p 1 2> /dev/null
    late=$(kcat -C -b "$BS" -t x-ts -e -o beginning -f '%T %s\n' 2> /dev/null | grep -e 'v=10,' -e 'v=20,' | sort -n | head -n 1 | cut -d' ' -f1)
    cat > "$T/ts.yaml" <<YAML
pipeline: from_time
schemas:
  r: { k: string, v: int, ts: timestamp }
sources:
  in:
    kafka:
      bootstrap: \${KAFKA_BOOTSTRAP}
      topics: [x-ts]
      startup: { timestamp: $late }
      bounded: true
    format: kv
    schema: r
    event_time: ts
stages:
  - id: by_k
    key_by: k
  - id: w
    window: { tumbling: 1d }
    aggregate: { n: count(), total: sum(v) }
sinks:
  out: { file: { path: "\${OUT}" } }
YAML
    if ! build_pipeline "$T/ts.yaml" "$T/from_time" > "$T/ts.build" 2>&1; then
        fail kafka/startup_timestamp_yaml "pipec build: $(head -n 3 "$T/ts.build" | tr '\n' '|')"
    else
        KAFKA_BOOTSTRAP=$BS OUT=$T/ts.got timeout 60 "$T/from_time" run --quiet > /dev/null 2> "$T/ts.err"; rc=$?
        echo '{"k":"a","window_start":"1970-01-01T00:00:00Z","window_end":"1970-01-02T00:00:00Z","n":2,"total":30}' > "$T/ts.want"
        if [ $rc -ne 0 ]; then fail kafka/startup_timestamp_yaml "exit $rc: $(head -c 300 "$T/ts.err")"
        elif same_file kafka/startup_timestamp_yaml "$T/ts.want" "$T/ts.got"; then pass kafka/startup_timestamp_yaml; fi
    fi
fi

# metadata fields read by a pipeline: the connector fetches the broker's record timestamp only when
# something reads _timestamp, so a job that does must get each record's own (kcat shows the truth)
if [ ! -x "$PIPEC" ]; then
    skip kafka/metadata_fields "no $PIPEC (build first)"
else
    cat > "$T/meta.yaml" <<YAML
pipeline: meta_fields
schemas:
  r: { k: string, v: int, ts: timestamp }
sources:
  in:
    kafka: { bootstrap: "\${KAFKA_BOOTSTRAP}", topics: [x-ts], startup: earliest, bounded: true }
    format: kv
    schema: r
    event_time: ts
stages:
  - id: meta
    set: { at: int(_timestamp) }
  - id: out
    select: [_partition, _offset, at, v, _topic]
sinks:
  out: { file: { path: "\${OUT}" }, format: csv }
YAML
    kcat -C -b "$BS" -t x-ts -e -o beginning -f '%p,%o,%T,%s,x-ts\n' 2> /dev/null \
        | sed 's/,k=a,v=\([0-9]*\),ts=1000,/,\1,/' | sort > "$T/meta.want"
    if ! build_pipeline "$T/meta.yaml" "$T/meta_fields" > "$T/meta.build" 2>&1; then
        fail kafka/metadata_fields "pipec build: $(head -n 3 "$T/meta.build" | tr '\n' '|')"
    else
        KAFKA_BOOTSTRAP=$BS OUT=$T/meta.got timeout 60 "$T/meta_fields" run --quiet > /dev/null 2> "$T/meta.err"; rc=$?
        sort -o "$T/meta.got" "$T/meta.got" 2> /dev/null
        if [ $rc -ne 0 ]; then fail kafka/metadata_fields "exit $rc: $(head -c 300 "$T/meta.err")"
        elif [ "$(wc -l < "$T/meta.want")" -lt 4 ]; then fail kafka/metadata_fields "kcat read $(wc -l < "$T/meta.want") records"
        elif same_file kafka/metadata_fields "$T/meta.want" "$T/meta.got"; then pass kafka/metadata_fields; fi
    fi
fi

# --- a small prefetch queue: held messages (taken from the queue at the low-water mark, the
#     partitions sought past them) are delivered exactly once and in order, on every partition
if [ ! -x "$PIPEC" ]; then
    skip kafka/held_small_queue "no $PIPEC (build first)"
else
    for p in 0 1 2; do
        awk -v p=$p 'BEGIN { for (i = 0; i < 10000; i++) printf "line=p%d-%05d\n", p, i }' \
            | kcat -P -b "$BS" -t x-hq -p $p 2> /dev/null
    done
    kcat -C -b "$BS" -t x-hq -e -o beginning -f '%p,%o,%s\n' 2> /dev/null | sed 's/,line=/,/' | sort > "$T/hq.want"
    cat > "$T/hq.yaml" <<YAML
pipeline: held_queue
schemas:
  r: { line: string }
sources:
  in:
    kafka:
      bootstrap: \${KAFKA_BOOTSTRAP}
      topics: [x-hq]
      startup: earliest
      bounded: true
      properties: { queued.min.messages: "200", max.partition.fetch.bytes: "2048" }
    format: kv
    schema: r
stages:
  - id: out
    select: [_partition, _offset, line]
sinks:
  out: { file: { path: "\${OUT}" }, format: csv }
YAML
    if ! build_pipeline "$T/hq.yaml" "$T/held_queue" > "$T/hq.build" 2>&1; then
        fail kafka/held_small_queue "pipec build: $(head -n 3 "$T/hq.build" | tr '\n' '|')"
    else
        KAFKA_BOOTSTRAP=$BS OUT=$T/hq.got timeout 120 "$T/held_queue" run --quiet > /dev/null 2> "$T/hq.err"; rc=$?
        # in offset order within each partition (the file is in delivery order)
        order=$(awk -F, '{ if ($1 in last && $2 + 0 <= last[$1]) { print NR ": " $0 " after offset " last[$1]; exit } last[$1] = $2 + 0 }' "$T/hq.got" 2> /dev/null)
        sort -o "$T/hq.got" "$T/hq.got" 2> /dev/null
        if [ $rc -ne 0 ]; then fail kafka/held_small_queue "exit $rc: $(head -c 300 "$T/hq.err")"
        elif [ "$(wc -l < "$T/hq.want")" -ne 30000 ]; then fail kafka/held_small_queue "kcat read $(wc -l < "$T/hq.want") records"
        elif [ -n "$order" ]; then fail kafka/held_small_queue "out of order: $order"
        elif same_file kafka/held_small_queue "$T/hq.want" "$T/hq.got"; then pass kafka/held_small_queue; fi
    fi
fi

# --- rebalance: instance A alone, B joins, B leaves; records carry their partition and a
#     sequence number (r<seq>-p<partition>), produced to explicit partitions
SEQ=0
burst() { # one record per partition
    for p in 0 1 2 3; do echo "r$SEQ-p$p" | kcat -P -b "$BS" -t x-rb -p $p 2> /dev/null; SEQ=$((SEQ + 1)); done
}
cat > "$T/rb.yaml" <<'YAML'
pipeline: rebalance
sources:
  in:
    kafka: { bootstrap: "${KAFKA_BOOTSTRAP}", topics: [x-rb], group: g-rb, auto_offset_reset: earliest }
    format: raw
sinks:
  out: { stdout: true, format: kv }
YAML
if [ ! -x "$PIPEC" ]; then
    skip kafka/rebalance "no $PIPEC (build first)"
    exit 0
fi
build_pipeline "$T/rb.yaml" "$T/rebalance" > "$T/rb.build" 2>&1 \
    || { fail kafka/rebalance "pipec build: $(head -n 3 "$T/rb.build" | tr '\n' '|')"; exit 0; }
instance() { # NAME: an unbounded instance of the pipeline in group g-rb, stopped with SIGINT by the test
    KAFKA_BOOTSTRAP=$BS "$T/rebalance" run --quiet > "$T/rb-$1.out" 2> "$T/rb-$1.err" &
}
read_values() { sed -n 's/^line=\(r[0-9]*-p[0-9]\)$/\1/p' "$@"; }
# wait_for SECONDS CONDITION…: bursts every 0.5 s until CONDITION holds (or SECONDS pass)
wait_for() {
    max=$(($1 * 2)); shift
    i=0
    until "$@"; do
        [ $i -lt $max ] || return 1
        burst; sleep 0.5; i=$((i + 1))
    done
}
instance A; A=$!; PIDS="$PIDS $A"
burst; burst
a_has() { [ "$(read_values "$T/rb-A.out" | wc -l)" -ge "$1" ]; }
b_read() { [ -s "$T/rb-B.out" ]; }
ok=1 why=""
i=0; while ! a_has 8 && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
a_has 8 || { ok=0; why="A alone read $(read_values "$T/rb-A.out" | wc -l) of 8"; }
instance B; B=$!; PIDS="$PIDS $B"
[ $ok -eq 0 ] || wait_for 60 b_read || { ok=0; why="B read nothing within 60 s of joining"; }
b_parts=$(read_values "$T/rb-B.out" | sed 's/.*-//' | sort -u | tr '\n' ' ')
kill -INT $B 2> /dev/null; wait $B 2> /dev/null
left_at=$SEQ
# after B left, A must read records of B's partitions produced after it left
a_took_back() {
    for bp in $b_parts; do
        read_values "$T/rb-A.out" | sed -n "s/^r\([0-9]*\)-$bp$/\1/p" | awk -v s="$left_at" '$1 >= s { f = 1 } END { exit !f }' || return 1
    done
}
[ $ok -eq 0 ] || wait_for 60 a_took_back || { ok=0; why="A did not take back partitions $b_parts within 60 s"; }
total=$SEQ
all_read() { [ "$(cat "$T/rb-A.out" "$T/rb-B.out" | read_values | wc -l)" -ge "$total" ]; }
i=0; while ! all_read && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
kill -INT $A 2> /dev/null; wait $A 2> /dev/null
cat "$T/rb-A.out" "$T/rb-B.out" | read_values | sort > "$T/rb.got"
dups=$(uniq -d "$T/rb.got" | tr '\n' ' ')
distinct=$(sort -u "$T/rb.got" | wc -l)
if [ $ok -eq 1 ] && [ "$distinct" -eq "$total" ] && [ -z "$dups" ] && [ -n "$b_parts" ]; then pass "kafka/rebalance ($total records; B held partitions ${b_parts% })"
else fail kafka/rebalance "${why:-} produced $total, read $distinct distinct, twice: ${dups:-none}; B had partitions: ${b_parts:-none}; A: $(head -c 200 "$T/rb-A.err" | tr '\n' '|') B: $(head -c 200 "$T/rb-B.err" | tr '\n' '|')"; fi
