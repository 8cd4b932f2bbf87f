#!/bin/sh
# tests/run.sh — the whole test suite over an already built tree (scripts/test.sh builds first).
#
# Every part prints one line per case: "PASS name", "FAIL name: why" or "SKIP name: reason";
# this script runs the parts, echoes those lines, and ends with "N passed, N failed, N skipped".
#   unit      build/tests/*        runtime unit tests (and build/asan/tests/* under ASan+UBSan)
#   golden    tests/golden.sh      diagnostics and generated C, with build/pipec and build/asan/pipec
#   runtime   tests/runtime/*.sh   built pipeline binaries run over files, a real Kafka broker and a
#                                  real PostgreSQL server (tests/kafka/broker.sh, tests/pg/server.sh:
#                                  one of each for the whole part, always stopped)
#   fuzz      build/fuzz/*         short libFuzzer runs over the YAML front end and record parsers
# Usage: tests/run.sh [part…]   (default: all parts); FUZZ_SECONDS (default 10) per fuzzer.
set -u
cd "$(dirname "$0")/.."
parts=${*:-unit golden runtime fuzz}
log=$(mktemp -d)
broker=""
pg=""
# the broker and the PostgreSQL server are stopped however this script ends; if it is killed
# outright, their own watchdogs (they poll this script's pid) stop them
trap '[ -z "$broker" ] || sh tests/kafka/broker.sh stop "$broker"; [ -z "$pg" ] || sh tests/pg/server.sh stop "$pg"; rm -rf "$log"' EXIT
trap 'exit 1' INT TERM
out="$log/all"
: > "$out"

# run NAME CMD…: runs one test program; a crash or non-zero exit without a FAIL line is a FAIL.
run() {
    name=$1; shift
    "$@" > "$log/one" 2>"$log/err"
    rc=$?
    grep -E '^(PASS|FAIL|SKIP) ' "$log/one" | tee -a "$out"
    if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$log/one"; then
        echo "FAIL $name: exited $rc: $(tail -n 3 "$log/err" | tr '\n' ' ')" | tee -a "$out"
    fi
    if ! grep -qE '^(PASS|FAIL|SKIP) ' "$log/one" && [ $rc -eq 0 ]; then
        echo "FAIL $name: printed no result" | tee -a "$out"
    fi
}

for part in $parts; do
    case $part in
    unit)
        for t in build/tests/*; do [ -x "$t" ] && run "unit/${t##*/}" "$t"; done
        for t in build/asan/tests/*; do
            [ -x "$t" ] || continue
            ASAN_OPTIONS=detect_leaks=1 run "asan/${t##*/}" sh -c "'$t' | sed 's/^\(PASS\|FAIL\|SKIP\) /\1 asan:/'"
        done ;;
    golden)
        run golden sh tests/golden.sh build/pipec
        run golden-asan sh -c "sh tests/golden.sh build/asan/pipec | sed 's/^\(PASS\|FAIL\|SKIP\) /\1 asan:/'" ;;
    runtime)
        # one real Kafka broker for every Kafka test (lib.sh's need_broker / start_cluster)
        if why=$(sh tests/kafka/broker.sh check); then
            broker=$log/broker
            t0=$(date +%s%N)
            if KAFKA_TEST_BOOTSTRAP=$(sh tests/kafka/broker.sh start "$broker" $$ 2> "$log/broker.err"); then
                echo "kafka: broker at $KAFKA_TEST_BOOTSTRAP, up in $((($(date +%s%N) - t0) / 1000000)) ms"
                export KAFKA_TEST_BOOTSTRAP KAFKA_TEST_DIR=$broker
            else
                echo "FAIL kafka/broker: did not start: $(tr '\n' ' ' < "$log/broker.err")" | tee -a "$out"
                export KAFKA_TEST_SKIP="the broker did not start"
            fi
        else
            export KAFKA_TEST_SKIP="$why"
        fi
        # one PostgreSQL server for every PostgreSQL test (lib.sh's need_pg)
        if why=$(sh tests/pg/server.sh check); then
            pg=$log/pg
            t0=$(date +%s%N)
            if PG_TEST_DSN=$(sh tests/pg/server.sh start "$pg" $$ 2> "$log/pg.err"); then
                echo "postgres: server at $PG_TEST_DSN, up in $((($(date +%s%N) - t0) / 1000000)) ms"
                export PG_TEST_DSN PG_TEST_DIR=$pg
            else
                echo "FAIL postgres/server: did not start: $(tr '\n' ' ' < "$log/pg.err")" | tee -a "$out"
                export PG_TEST_SKIP="the server did not start"
            fi
        else
            export PG_TEST_SKIP="$why"
        fi
        for t in tests/runtime/*.sh; do
            case ${t##*/} in lib.sh) continue ;; esac # sourced by the others
            [ -f "$t" ] && run "runtime/${t##*/}" sh "$t"
        done
        run runtime/cases-asan env SANITIZE=1 sh tests/runtime/cases.sh
        run runtime/functions-asan env SANITIZE=1 sh tests/runtime/functions.sh
        run runtime/ptest-asan env SANITIZE=1 sh tests/runtime/ptest.sh
        run runtime/kafka_two_sinks-asan env SANITIZE=1 sh tests/runtime/kafka_two_sinks.sh
        if [ -n "$broker" ]; then sh tests/kafka/broker.sh stop "$broker"; broker=""; fi
        if [ -n "$pg" ]; then sh tests/pg/server.sh stop "$pg"; pg=""; fi ;;
    fuzz)
        secs=${FUZZ_SECONDS:-10}
        for f in build/fuzz/*; do
            [ -x "$f" ] && [ -f "$f" ] || continue
            n=${f##*/}
            corpus=tests/fuzz/corpus/$n
            work="$log/corpus-$n"
            mkdir -p "$work"
            [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
            if "$f" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 "$work" > "$log/fuzz" 2>&1; then
                echo "PASS fuzz/$n ($secs s, $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log/fuzz" | awk '{print $2}') runs)" | tee -a "$out"
            else
                echo "FAIL fuzz/$n: $(grep -m1 -E 'ERROR|SUMMARY|deadly' "$log/fuzz")" | tee -a "$out"
                grep -A 30 -m1 'ERROR' "$log/fuzz" | head -40
            fi
        done ;;
    *) echo "tests/run.sh: unknown part '$part'" >&2; exit 2 ;;
    esac
done

p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out"); s=$(grep -c '^SKIP ' "$out")
if [ "$f" -gt 0 ]; then
    echo
    echo "failures:"
    grep '^FAIL ' "$out"
fi
echo "$p passed, $f failed, $s skipped"
[ "$f" -eq 0 ]
