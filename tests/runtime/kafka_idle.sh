#!/bin/sh
# kafka_idle.sh — per-partition watermarks over a 3-partition topic, with a pipeline built by
# pipec: partitions 0 and 1 advance to 12 s and 13 s, partition 2 stays empty.
#   idle_held      without `idle`, the empty partition holds the watermark back: after 10 s of
#                  running, the window [0 s, 10 s) has not fired
#   idle_released  with `idle: 2s`, the empty partition stops counting after 2 s of wall clock:
#                  the watermark becomes min(12 s, 13 s) - 1 ms and [0 s, 10 s) fires (n=2)
. "$(dirname "$0")/lib.sh"
T=$TMP_ROOT
[ -x "$PIPEC" ] || { skip kafka/idle "no $PIPEC (build first)"; exit 0; }
[ -x "$TOOLS/kafka-topics" ] || { skip kafka/idle "no $TOOLS/kafka-topics (build first)"; exit 0; }
command -v kcat >/dev/null || { skip kafka/idle "kcat is not installed"; exit 0; }

pipeline() { # NAME IDLE-LINE
    cat > "$T/$1.yaml" <<YAML
pipeline: $1
schemas:
  ev: { k: string, ts: timestamp }
sources:
  events:
    kafka:
      bootstrap: \${KAFKA_BOOTSTRAP}
      topics: [idle-topic]
      startup: earliest
      group: $1
    format: kv
    schema: ev
    event_time: ts
    watermark: { out_of_orderness: 0s$2 }
stages:
  - id: by_k
    key_by: k
  - id: w
    window: { tumbling: 10s }
    aggregate: { n: count() }
sinks:
  out: { file: { path: out.jsonl } }
YAML
    build_pipeline "$T/$1.yaml" "$T/$1" > "$T/$1.buildlog" 2>&1
}
pipeline held "" || { fail kafka/idle_held "pipec build: $(head -n 3 "$T/held.buildlog" | tr '\n' '|')"; exit 0; }
pipeline released ", idle: 2s" || { fail kafka/idle_released "pipec build failed"; exit 0; }

start_cluster idle --topic idle-topic:3
BS=$BS_idle
put() { echo "$2" | kcat -P -b "$BS" -t idle-topic -p "$1" 2>/dev/null; }
put 0 'k=a,ts=1000'
put 1 'k=a,ts=2000'
put 0 'k=a,ts=12000'
put 1 'k=a,ts=13000'

# Both jobs run at once (their own consumer groups). Wait for the one with `idle` to fire — group
# join on the mock takes 3-6 s, then 2 s of idleness — and then check that the other, having had
# as long, has still fired nothing: the negative is anchored to the positive, not to a sleep.
for name in held released; do
    mkdir -p "$T/run-$name"
    (cd "$T/run-$name" && KAFKA_BOOTSTRAP=$BS exec timeout -s TERM 90 "$T/$name" run --quiet > out.log 2>&1) &
    PIDS="$PIDS $!"
    JOBS="${JOBS:-} $!"
done
i=0
while [ ! -s "$T/run-released/out.jsonl" ] && [ $i -lt 450 ]; do sleep 0.1; i=$((i + 1)); done
sleep 3
for p in $JOBS; do kill -TERM "$p" 2>/dev/null; done # timeout passes SIGTERM on to the job
for p in $JOBS; do wait "$p" 2>/dev/null; done
echo '{"k":"a","window_start":"1970-01-01T00:00:00Z","window_end":"1970-01-01T00:00:10Z","n":2}' > "$T/want"
same_file kafka/idle_released "$T/want" "$T/run-released/out.jsonl" && pass kafka/idle_released
if [ ! -s "$T/run-released/out.jsonl" ]; then
    skip kafka/idle_held "no reference point: the released job did not fire within 45 s"
elif [ -s "$T/run-held/out.jsonl" ]; then
    fail kafka/idle_held "the empty partition did not hold the watermark: $(head -c 200 "$T/run-held/out.jsonl")"
else
    pass kafka/idle_held
fi
