#!/bin/sh
# bench_quick.sh — `bench/run --quick`: every row of the benchmark is produced and every ratio
# computed (pipec, the hand-written C peers, Flink when java and mvn are there: else its rows say
# SKIP and why), checkpoints on, and through Kafka on a broker bench/run starts (SKIP and why without
# java or the Kafka jars). Never judges a speed: speed lives in bench/ only.
. "$(dirname "$0")/lib.sh"
[ -x "$ROOT/build/bench/measure" ] || { skip bench/quick "no build/bench/measure (build first)"; exit 0; }
command -v python3 > /dev/null || { skip bench/quick "python3 is not installed"; exit 0; }
python3 "$ROOT/bench/run" --quick --out "$TMP_ROOT/results.md" --work "$TMP_ROOT/work" > "$TMP_ROOT/out" 2> "$TMP_ROOT/err"
rc=$?
grep -E '^(PASS|FAIL|SKIP) ' "$TMP_ROOT/out"
if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$TMP_ROOT/out"; then
    fail bench/quick "bench/run --quick exited $rc: $(tail -n 3 "$TMP_ROOT/err" | tr '\n' '|')"
elif [ ! -s "$TMP_ROOT/results.md" ]; then
    fail bench/quick "no results.md written"
else
    pass bench/quick-results
fi
