#!/bin/sh
# kafka_connectors.sh — the Kafka source and sink against the real test broker (tests/kafka/
# broker.sh, via lib.sh), driven by build/tools/kafka-probe (a hand-written job: no pipec needed).
# Cases: startup modes (timestamps included), topic lists and patterns, bounded reads,
# per-partition watermarks, keys and timestamps through the sink, consumer groups across
# processes, broker down and back, delivery failures, one-line errors; embedded mode and the
# Java-free build/tools/kafka-cluster (librdkafka's mock cluster, kept for demos).
# Every wait is bounded; the trap stops every process this script started.
. "$(dirname "$0")/lib.sh"
CLUSTER=$TOOLS/kafka-cluster PROBE=$TOOLS/kafka-probe
for t in "$CLUSTER" "$PROBE" "$TOOLS/kafka-topics"; do
    [ -x "$t" ] || { skip kafka/connectors "no $t (build first)"; exit 0; }
done
command -v kcat >/dev/null || { skip kafka/connectors "kcat is not installed"; exit 0; }
T=$TMP_ROOT

# --- the Java-free test cluster (README's walk-through): kcat produces to it and reads back
start_mock_cluster mock --topic m3:3
for p in 0 1 2; do printf 'k%s:v%s\n' $p $p | kcat -P -b "$BS_mock" -K: -t m3 -p $p 2> /dev/null; done
got=$(kcat -C -b "$BS_mock" -t m3 -e -o beginning -f '%p %k %s\n' 2>/dev/null | sort | tr '\n' ' ')
if [ "$got" = "0 k0 v0 1 k1 v1 2 k2 v2 " ]; then pass kafka/mock_cluster_kcat
else fail kafka/mock_cluster_kcat "kcat read: $got"; fi

# --- embedded mode: an in-process cluster fed with orders
timeout -s INT 8 "$PROBE" -s sources.in.kafka.bootstrap=nowhere:1 -s sources.in.kafka.topics=orders \
    -s sources.in.kafka.startup=earliest -s embedded.rate=50 -- run --embedded-kafka --quiet > "$T/emb.out" 2> "$T/emb.err"
n=$(grep -c '^orders p=[0-2] .*value=customer=customer-[0-9]*,status=' "$T/emb.out")
if grep -q '^kafka_probe: embedded Kafka at 127.0.0.1:[0-9]* (topics: orders)$' "$T/emb.err" && [ "$n" -ge 50 ]; then
    pass kafka/embedded
else fail kafka/embedded "$n orders read: $(tr '\n' '|' < "$T/emb.err" | head -c 300)"; fi

# --- everything below needs the real broker
start_cluster main --topic t3:3 --topic tb:2 --topic tc:1 --topic wm:3 --topic out:1 \
    --topic grp:3 --topic dn:1 --topic empty:2 --topic ts:2 --topic lost:1
BS=$BS_main
probe() { timeout 30 "$PROBE" -s "sources.in.kafka.bootstrap=$BS" "$@"; }
# probe_for SECONDS ARGS…: an unbounded probe stopped with SIGINT after SECONDS. In the
# background, start `timeout` itself (not this function): a background subshell ignores the
# SIGINT the test sends to stop it early, which then waited out all SECONDS.
probe_for() { s=$1; shift; timeout -s INT "$s" "$PROBE" -s "sources.in.kafka.bootstrap=$BS" "$@"; }
produce() { kcat -P -b "$BS" -K: "$@" 2> /dev/null; }   # produce -t TOPIC [-p N] < key:value lines
# wait_group GROUP N: until the consumer group is Stable with N members (30 s at most)
wait_group() { "$TOOLS/kafka-topics" --wait-group "$BS" "$1" "$2" 2>> "$T/groups.err"; }
# probe_until LINES MAX OUT ARGS…: an unbounded probe stopped with SIGINT once OUT has LINES
# lines (and one more second for extra ones), or after MAX seconds
probe_until() {
    want=$1 max=$2 out=$3; shift 3
    : > "$out"
    "$PROBE" -s "sources.in.kafka.bootstrap=$BS" "$@" -- run --quiet > "$out" 2> "$out.err" &
    upid=$!
    w=0
    while [ "$(wc -l < "$out")" -lt "$want" ] && [ $w -lt "$max" ] && kill -0 $upid 2>/dev/null; do
        sleep 1; w=$((w + 1))
    done
    sleep 1
    kill -INT $upid 2>/dev/null; wait $upid 2>/dev/null
}
fields() { sed -n 's/^\([^ ]*\) p=\([0-9]*\) o=\([0-9]*\) ts=[-0-9]* key=\([^ ]*\) value=\(.*\)$/\1 \3 \4 \5/p'; }

# --- the cluster itself, seen by kcat: partitions, keys
for p in 0 1 2; do printf 'k%s:v%s-0\nk%s:v%s-1\n' $p $p $p $p | produce -t t3 -p $p; done
got=$(kcat -C -b "$BS" -t t3 -e -o beginning -f '%p %k %s\n' 2>/dev/null | sort | tr '\n' ' ')
if [ "$got" = "0 k0 v0-0 0 k0 v0-1 1 k1 v1-0 1 k1 v1-1 2 k2 v2-0 2 k2 v2-1 " ]; then pass kafka/cluster_kcat
else fail kafka/cluster_kcat "kcat read: $got"; fi

# --- bounded + earliest: exactly what was there, then exit 0
probe -s sources.in.kafka.topics=t3 -s sources.in.kafka.startup=earliest -s sources.in.kafka.bounded=true \
    -- run --quiet > "$T/b.out" 2> "$T/b.err"; rc=$?
n=$(wc -l < "$T/b.out")
if [ $rc -eq 0 ] && [ "$n" -eq 6 ]; then pass kafka/bounded_earliest
else fail kafka/bounded_earliest "exit $rc, $n records: $(head -c 300 "$T/b.err")"; fi

# --- bounded over an empty topic ends at once
probe -s sources.in.kafka.topics=empty -s sources.in.kafka.startup=earliest -s sources.in.kafka.bounded=true \
    -- run --quiet > "$T/e.out" 2> "$T/e.err"; rc=$?
if [ $rc -eq 0 ] && [ ! -s "$T/e.out" ]; then pass kafka/bounded_empty
else fail kafka/bounded_empty "exit $rc: $(head -c 300 "$T/e.err")"; fi

# --- startup offsets {0: 1, 2: 1}; partition 1 falls back to auto_offset_reset (earliest)
probe -s sources.in.kafka.topics=t3 -s sources.in.kafka.startup.offsets.0=1 -s sources.in.kafka.startup.offsets.2=1 \
    -s sources.in.kafka.auto_offset_reset=earliest -s sources.in.kafka.bounded=true -s sources.in.kafka.group=g-off \
    -- run --quiet 2> "$T/o.err" | fields | sort > "$T/o.out"
got=$(awk '{print $4}' "$T/o.out" | sort | tr '\n' ' ')
if [ "$got" = "v0-1 v1-0 v1-1 v2-1 " ]; then pass kafka/startup_offsets
else fail kafka/startup_offsets "read: $got $(head -c 200 "$T/o.err")"; fi

# --- startup latest: only records produced after the start. The produce waits until the
#     group is Stable (the probe has its partitions), plus 1 s for its end-offset lookup.
timeout -s INT 30 "$PROBE" -s "sources.in.kafka.bootstrap=$BS" -s sources.in.kafka.topics=t3 -s sources.in.kafka.startup=latest \
    -s sources.in.kafka.group=g-latest -- run --quiet > "$T/l.out" 2> "$T/l.err" &
LP=$!; PIDS="$PIDS $LP"
wait_group g-latest 1; sleep 1
echo "new:after-start" | produce -t t3 -p 1
i=0; while [ ! -s "$T/l.out" ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
sleep 1 # room for records that should not be there
kill -INT $LP 2> /dev/null; wait $LP 2> /dev/null
got=$(fields < "$T/l.out" | awk '{print $4}' | tr '\n' ' ')
if [ "$got" = "after-start " ]; then pass kafka/startup_latest
else fail kafka/startup_latest "read: $got $(head -c 200 "$T/l.err")"; fi

# --- group-offsets (default): first run falls back to auto_offset_reset=earliest, commits on
#     stop; the second run resumes after the committed offsets
printf 'a:1\nb:2\nc:3\n' | produce -t tb -p 1
probe_until 3 25 "$T/g1.out" -s sources.in.kafka.topics=tb -s sources.in.kafka.group=g-resume \
    -s sources.in.kafka.auto_offset_reset=earliest
printf 'd:4\ne:5\n' | produce -t tb -p 1 # the second run uses auto_offset_reset=latest
probe_until 2 25 "$T/g2.out" -s sources.in.kafka.topics=tb -s sources.in.kafka.group=g-resume
g1=$(fields < "$T/g1.out" | awk '{print $4}' | sort | tr '\n' ' '); g2=$(fields < "$T/g2.out" | awk '{print $4}' | sort | tr '\n' ' ')
if [ "$g1" = "1 2 3 " ] && [ "$g2" = "4 5 " ]; then pass kafka/startup_group_offsets
else fail kafka/startup_group_offsets "first run: $g1, second: $g2"; fi

# --- startup timestamp, on the records' real (CreateTime) timestamps: an early batch on both
#     partitions, the clock moves past its last timestamp, a late batch. From the first late
#     timestamp: exactly the late batch; from 1: everything.
printf 'e:early-0\n' | produce -t ts -p 0; printf 'e:early-1\n' | produce -t ts -p 1
early=$(kcat -C -b "$BS" -t ts -e -o beginning -f '%T\n' 2>/dev/null | sort -n | tail -n 1)
i=0; while [ "$(date +%s%3N)" -le "$early" ] && [ $i -lt 100 ]; do sleep 0.01; i=$((i + 1)); done
printf 'l:late-0\n' | produce -t ts -p 0; printf 'l:late-1\n' | produce -t ts -p 1
late=$(kcat -C -b "$BS" -t ts -e -o beginning -f '%T %s\n' 2>/dev/null | grep ' late-' | sort -n | head -n 1 | cut -d' ' -f1)
probe -s sources.in.kafka.topics=ts -s "sources.in.kafka.startup.timestamp=$late" -s sources.in.kafka.bounded=true \
    -- run --quiet > "$T/ts.out" 2> "$T/ts.err"; rc=$?
got=$(fields < "$T/ts.out" | awk '{print $4}' | sort | tr '\n' ' ')
probe -s sources.in.kafka.topics=ts -s sources.in.kafka.startup.timestamp=1 -s sources.in.kafka.bounded=true \
    -- run --quiet > "$T/ts1.out" 2> "$T/ts1.err"
all=$(fields < "$T/ts1.out" | awk '{print $4}' | sort | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$got" = "late-0 late-1 " ] && [ "$all" = "early-0 early-1 late-0 late-1 " ]; then pass kafka/startup_timestamp
else fail kafka/startup_timestamp "early ts $early, late ts $late; from late: $got; from 1: $all $(head -c 200 "$T/ts.err")"; fi
# a timestamp after every record: nothing (the broker answers -1, "from the end")
probe -s sources.in.kafka.topics=t3 -s sources.in.kafka.startup.timestamp=4102444800000 -s sources.in.kafka.bounded=true \
    -- run --quiet > "$T/ts2.out" 2> "$T/ts2.err"; rc=$?
if [ $rc -eq 0 ] && [ ! -s "$T/ts2.out" ]; then pass kafka/startup_timestamp_future
else fail kafka/startup_timestamp_future "exit $rc, $(wc -l < "$T/ts2.out") records"; fi

# --- topic list and pattern; dense partition indexes per (topic, partition)
echo "x:c0" | produce -t tc
probe -s sources.in.kafka.topics=t3,tc -s sources.in.kafka.startup=earliest -s sources.in.kafka.bounded=true \
    -- run --quiet > "$T/tl.out" 2>&1
tl=$(awk '{print $1, $2}' "$T/tl.out" | sort -u | tr '\n' ' ')
if [ "$tl" = "t3 p=0 t3 p=1 t3 p=2 tc p=3 " ] && [ "$(wc -l < "$T/tl.out")" -eq 8 ]; then pass kafka/topic_list
else fail kafka/topic_list "partitions seen: $tl"; fi
probe -s 'sources.in.kafka.topic_pattern=t[bc]' -s sources.in.kafka.startup=earliest -s sources.in.kafka.bounded=true \
    -- run --quiet > "$T/tp.out" 2>&1
tp=$(awk '{print $1}' "$T/tp.out" | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
if [ "$tp" = "tb=5 tc=1 " ]; then pass kafka/topic_pattern
else fail kafka/topic_pattern "records per topic: $tp $(head -c 200 "$T/tp.out")"; fi

# --- keys and timestamps survive source -> sink
probe -s sources.in.kafka.topics=t3 -s sources.in.kafka.startup=earliest -s sources.in.kafka.bounded=true \
    --to-kafka -s sinks.out.kafka.bootstrap="$BS" -s sinks.out.kafka.topic=out -- run --quiet 2> "$T/k.err"; rc=$?
want=$(kcat -C -b "$BS" -t t3 -e -o beginning -f '%k %s %T\n' 2>/dev/null | sort)
got=$(kcat -C -b "$BS" -t out -e -o beginning -f '%k %s %T\n' 2>/dev/null | sort)
if [ $rc -eq 0 ] && [ -n "$got" ] && [ "$got" = "$want" ]; then pass kafka/sink_keys_timestamps
else fail kafka/sink_keys_timestamps "exit $rc; want $(echo "$want" | head -2 | tr '\n' '|') got $(echo "$got" | head -2 | tr '\n' '|')"; fi

# --- three partitions, different event-time progress: the watermark is the minimum
printf 'a:1000\na:2000\n' | produce -t wm -p 0
printf 'b:5000\n' | produce -t wm -p 1
printf 'c:3000\n' | produce -t wm -p 2
probe_until 5 25 "$T/wm.out" --event-time -s sources.in.kafka.topics=wm -s sources.in.kafka.startup=earliest \
    -s sources.in.kafka.group=g-wm -s sources.in.watermark.out_of_orderness=0s
last=$(grep '^wm=' "$T/wm.out" | tail -n 1)
max=$(grep '^wm=' "$T/wm.out" | sed 's/wm=//' | sort -n | tail -n 1)
if [ "$last" = "wm=1999" ] && [ "$max" = 1999 ]; then pass kafka/partition_watermarks
else fail kafka/partition_watermarks "last $last, max $max: $(tr '\n' '|' < "$T/wm.out" | head -c 300)"; fi

# --- one group across two processes: partitions are split, every record read once (both from
#     earliest: the records are produced once the group is Stable with both members)
timeout -s INT 40 "$PROBE" -s "sources.in.kafka.bootstrap=$BS" -s sources.in.kafka.topics=grp -s sources.in.kafka.group=g-two \
    -s sources.in.kafka.auto_offset_reset=earliest -- run --quiet > "$T/ga.out" 2> "$T/ga.err" &
A=$!; PIDS="$PIDS $A"
wait_group g-two 1
timeout -s INT 40 "$PROBE" -s "sources.in.kafka.bootstrap=$BS" -s sources.in.kafka.topics=grp -s sources.in.kafka.group=g-two \
    -s sources.in.kafka.auto_offset_reset=earliest -- run --quiet > "$T/gb.out" 2> "$T/gb.err" &
Bp=$!; PIDS="$PIDS $Bp"
wait_group g-two 2
i=0; while [ $i -lt 30 ]; do echo "k$i:r$i"; i=$((i + 1)); done | produce -t grp
i=0; while [ "$(cat "$T/ga.out" "$T/gb.out" | wc -l)" -lt 30 ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
sleep 1 # room for records read twice, which would fail the count
kill -INT $A $Bp 2>/dev/null; wait $A $Bp 2>/dev/null
na=$(wc -l < "$T/ga.out"); nb=$(wc -l < "$T/gb.out")
distinct=$(cat "$T/ga.out" "$T/gb.out" | fields | awk '{print $4}' | sort -u | wc -l)
if [ "$distinct" -eq 30 ] && [ $((na + nb)) -eq 30 ] && [ "$na" -gt 0 ] && [ "$nb" -gt 0 ]; then pass kafka/consumer_group
else fail kafka/consumer_group "process A read $na, B read $nb, distinct $distinct"; fi

# --- the broker down (stopped), then back (restarted on its data): the source logs the loss
#     once and goes on. The probe lives longer than every wait below; reconnect backoff capped at
#     1 s so that the rejoin after "up" does not wait out librdkafka's default 10 s backoff; the
#     group session (30 s) outlives the outage (~10 s with the restart) and "before" is committed
#     within 1 s. (With pipec's default 10 s session the member is expired during the restart,
#     and a group that had committed nothing yet resumes at auto_offset_reset=latest, skipping
#     "after": see docs/kafka.md.)
timeout -s INT 100 "$PROBE" -s "sources.in.kafka.bootstrap=$BS" -s sources.in.kafka.topics=dn -s sources.in.kafka.group=g-dn \
    -s sources.in.kafka.properties.reconnect.backoff.max.ms=1000 -s sources.in.kafka.properties.session.timeout.ms=30000 \
    -s sources.in.kafka.properties.auto.commit.interval.ms=1000 -s sources.in.kafka.auto_offset_reset=earliest \
    -- run --quiet > "$T/dn.out" 2> "$T/dn.err" &
D=$!; PIDS="$PIDS $D"
wait_group g-dn 1; echo "a:before" | produce -t dn
i=0; while ! grep -q 'value=before' "$T/dn.out" && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
broker_down; sleep 6; broker_up
echo "b:after" | produce -t dn
in_topic=$(kcat -C -b "$BS" -t dn -e -o beginning -f '%s\n' 2>/dev/null | grep -c '^after$')
i=0; while ! grep -q 'value=after' "$T/dn.out" && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
kill -INT $D 2>/dev/null; wait $D 2>/dev/null
got=$(fields < "$T/dn.out" | awk '{print $4}' | tr '\n' ' ')
[ "$in_topic" -eq 1 ] || got="$got(kcat could not produce 'after')"
lost=$(grep -c 'lost connection to Kafka' "$T/dn.err")
if [ "$got" = "before after " ] && [ "$lost" -eq 1 ]; then pass kafka/broker_down_up
else fail kafka/broker_down_up "read: $got; loss logged $lost times: $(head -c 300 "$T/dn.err")"; fi

# --- a failed delivery fails the job (the sink's topic deleted under the running job,
#     message.timeout.ms short); the source starts at dn's end offset, so it reads just "doomed"
end=$(kcat -Q -b "$BS" -t dn:0:-1 2> /dev/null | sed -n 's/^dn \[0\] offset \([0-9]*\)$/\1/p')
timeout 40 "$PROBE" -s "sources.in.kafka.bootstrap=$BS" -s sources.in.kafka.topics=dn -s sources.in.kafka.group=g-lost \
    -s "sources.in.kafka.startup.offsets.0=${end:-0}" --to-kafka -s "sinks.out.kafka.bootstrap=$BS" \
    -s sinks.out.kafka.topic=lost -s sinks.out.kafka.properties.message.timeout.ms=2000 -- run --quiet > /dev/null 2> "$T/lost.err" &
L=$!; PIDS="$PIDS $L"
wait_group g-lost 1; "$TOOLS/kafka-topics" --delete "$BS" lost; echo "z:doomed" | produce -t dn
wait $L; rc=$?
if [ $rc -eq 1 ] && grep -q 'sink out: 1 record(s) could not be delivered to topic lost' "$T/lost.err"; then pass kafka/sink_delivery_failure
else fail kafka/sink_delivery_failure "exit $rc: $(tr '\n' '|' < "$T/lost.err" | head -c 300)"; fi

# --- one-line errors at open
check_err() { # NAME EXPECTED-SUBSTRING ARGS…
    name=$1 want=$2; shift 2
    timeout 30 "$PROBE" "$@" -- run --quiet > /dev/null 2> "$T/err.out"; rc=$?
    if [ $rc -eq 1 ] && [ "$(wc -l < "$T/err.out")" -eq 1 ] && grep -qF "$want" "$T/err.out"; then pass "kafka/$name"
    else fail "kafka/$name" "exit $rc: $(tr '\n' '|' < "$T/err.out" | head -c 300)"; fi
}
check_err error_unknown_topic "kafka_probe: source in: topic nope: no such topic" \
    -s "sources.in.kafka.bootstrap=$BS" -s sources.in.kafka.topics=nope
check_err error_bad_property 'kafka_probe: source in: property no.such.thing: No such configuration property' \
    -s "sources.in.kafka.bootstrap=$BS" -s sources.in.kafka.topics=t3 -s sources.in.kafka.properties.no.such.thing=1
check_err error_bad_value 'kafka_probe: source in: property fetch.wait.max.ms: Invalid value' \
    -s "sources.in.kafka.bootstrap=$BS" -s sources.in.kafka.topics=t3 -s sources.in.kafka.properties.fetch.wait.max.ms=soon
check_err error_unreachable 'kafka_probe: source in: cannot reach Kafka at 127.0.0.1:1' \
    -s sources.in.kafka.bootstrap=127.0.0.1:1 -s sources.in.kafka.topics=t3 -s sources.in.kafka.connect_timeout=1s
check_err error_sink_property 'kafka_probe: sink out: property linger.ms: ' \
    -s "sources.in.kafka.bootstrap=$BS" -s sources.in.kafka.topics=t3 --to-kafka -s "sinks.out.kafka.bootstrap=$BS" \
    -s sinks.out.kafka.topic=out -s sinks.out.kafka.properties.linger.ms=-5
