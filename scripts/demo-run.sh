#!/bin/sh
# scripts/demo-run.sh — run seed 001's pipeline (build/pipelines/orders_by_status) against its
# embedded Kafka cluster, and print each window result as it lands in the `flink-aggregates`
# topic (read back with kcat, as a user would). Windows are 30 s of event time and the
# generator's event time follows the wall clock, so results appear every 30 s, ~35 s after start.
# DEMO_SECONDS (default 75) bounds the run; Ctrl-C stops it earlier.
set -u
cd "$(dirname "$0")/.."
BIN=build/pipelines/orders_by_status
[ -x "$BIN" ] || { echo "demo: $BIN is not built (run: ./configure && ninja)" >&2; exit 1; }
secs=${DEMO_SECONDS:-75}
work=$(mktemp -d /tmp/pipec-demo.XXXXXX)
pids=""
stop() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
    echo
    echo "demo: late records (if any) were written to $work/late.jsonl"
}
trap stop EXIT
trap 'exit 0' INT TERM

echo "demo: $BIN run --embedded-kafka   (seed 001: Kafka -> filter -> key_by status -> tumbling 30 s -> Kafka)"
root=$(pwd)
(cd "$work" && LATE_PATH="$work/late.jsonl" STATE_DIR="$work/state" exec "$root/$BIN" run --embedded-kafka 2> "$work/job.err") &
pids="$!"
i=0
while ! grep -q 'embedded Kafka at' "$work/job.err" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
bs=$(sed -n 's/.*embedded Kafka at \([0-9.:]*\).*/\1/p' "$work/job.err" | head -n 1)
if [ -z "$bs" ]; then
    echo "demo: the job did not start:" >&2
    cat "$work/job.err" >&2
    exit 1
fi
cat "$work/job.err"
echo "demo: orders are generated into partitioned-topic; window results from flink-aggregates follow"
echo "demo: (try it yourself: kcat -C -b $bs -t flink-aggregates)   running for $secs s..."
kcat -C -b "$bs" -t flink-aggregates -o beginning -u -q 2>/dev/null &
pids="$pids $!"
sleep "$secs"
