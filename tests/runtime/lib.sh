# lib.sh — helpers for tests/runtime/*.sh (sourced). Protocol: PASS/FAIL/SKIP lines.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PIPEC=${PIPEC:-$ROOT/build/pipec}
TMP_ROOT=$(mktemp -d /tmp/pipec-test.XXXXXX)
TOOLS=${KAFKA_TOOLS:-$ROOT/build/tools}
PIDS="" # background processes a test started: stopped (and waited for) on exit
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    rm -rf "$TMP_ROOT"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# build_pipeline YAML BIN: compiles with pipec; prints the diagnostics and returns 1 on failure.
build_pipeline() {
    "$PIPEC" build "$1" -o "$2" > "$TMP_ROOT/build.log" 2>&1 || { cat "$TMP_ROOT/build.log"; return 1; }
}

# same_file NAME EXPECTED ACTUAL: exact comparison; on a difference prints the first lines of diff.
same_file() {
    if [ ! -f "$3" ]; then
        fail "$1" "missing output $(basename "$3")"
        return 1
    fi
    if ! cmp -s "$2" "$3"; then
        fail "$1" "$(basename "$3") differs: $(diff -u "$2" "$3" | sed -n '4,12p' | tr '\n' '|')"
        return 1
    fi
    return 0
}

# start_cluster NAME ARGS…: starts build/tools/kafka-cluster with ARGS (e.g. --topic t:3), waits
# for its bootstrap address, and sets BS_<NAME> (the address) and PID_<NAME>.
start_cluster() {
    n=$1; shift
    "$TOOLS/kafka-cluster" --port-file "$TMP_ROOT/$n.port" "$@" < /dev/null > /dev/null 2> "$TMP_ROOT/$n.err" &
    pid=$!
    PIDS="$PIDS $pid"
    i=0
    while [ ! -s "$TMP_ROOT/$n.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    [ -s "$TMP_ROOT/$n.port" ] || { fail "kafka/$n" "cluster did not start: $(cat "$TMP_ROOT/$n.err")"; exit 0; }
    eval "BS_$n=\$(cat \"\$TMP_ROOT/\$n.port\")"
    eval "PID_$n=$pid"
}
