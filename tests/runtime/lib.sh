# lib.sh — helpers for tests/runtime/*.sh (sourced). Protocol: PASS/FAIL/SKIP lines.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PIPEC=${PIPEC:-$ROOT/build/pipec}
TMP_ROOT=$(mktemp -d /tmp/pipec-test.XXXXXX)
TOOLS=${KAFKA_TOOLS:-$ROOT/build/tools}
PIDS="" # background processes a test started: stopped (and waited for) on exit
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    [ -z "$OWN_BROKER" ] || sh "$BROKER" stop "$OWN_BROKER"
    [ -z "$OWN_PG" ] || sh "$PGSERVER" stop "$OWN_PG"
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

# The real Kafka broker (tests/kafka/broker.sh): tests/run.sh starts one for the whole runtime
# part and exports KAFKA_TEST_BOOTSTRAP and KAFKA_TEST_DIR, or KAFKA_TEST_SKIP (why there is
# none). A script run by itself starts its own on first use and stops it on exit.
BROKER=$ROOT/tests/kafka/broker.sh
OWN_BROKER=""
need_broker() { # NAME: sets BS to the broker's address, or says SKIP (for the script) and exits
    if [ -z "${KAFKA_TEST_BOOTSTRAP:-}" ] && [ -z "${KAFKA_TEST_SKIP:-}" ]; then
        if why=$(sh "$BROKER" check); then
            KAFKA_TEST_DIR=$TMP_ROOT/broker
            OWN_BROKER=$KAFKA_TEST_DIR
            KAFKA_TEST_BOOTSTRAP=$(sh "$BROKER" start "$KAFKA_TEST_DIR" $$ 2> "$TMP_ROOT/broker.err") \
                || { fail "$1" "the Kafka broker did not start: $(cat "$TMP_ROOT/broker.err")"; exit 0; }
        else
            KAFKA_TEST_SKIP=$why
        fi
    fi
    [ -n "${KAFKA_TEST_BOOTSTRAP:-}" ] || { skip "$(basename "$0")" "its broker tests: no Kafka broker: $KAFKA_TEST_SKIP"; exit 0; }
    BS=$KAFKA_TEST_BOOTSTRAP
}

# start_cluster NAME [--brokers N] [--topic T:PARTITIONS]…: the topics, created on the real
# broker (one broker: --brokers is ignored); sets BS_<NAME> to its address. Topic names must be
# unique across tests/runtime/*.sh: they share one broker.
start_cluster() {
    n=$1; shift
    need_broker "kafka/$n"
    topics=""
    while [ $# -gt 0 ]; do
        case $1 in
        --topic) topics="$topics $2"; shift 2 ;;
        --brokers) shift 2 ;;
        *) fail "kafka/$n" "start_cluster: unknown argument $1"; exit 0 ;;
        esac
    done
    # shellcheck disable=SC2086
    [ -z "$topics" ] || "$TOOLS/kafka-topics" "$BS" $topics 2> "$TMP_ROOT/$n.err" \
        || { fail "kafka/$n" "cannot create topics: $(tr '\n' '|' < "$TMP_ROOT/$n.err")"; exit 0; }
    eval "BS_$n=\$BS"
}

# kafka_committed TOPIC: the topic's records (on $BS) as a read_committed consumer sees them, sorted
kafka_committed() {
    kcat -C -b "$BS" -t "$1" -o beginning -e -q -X isolation.level=read_committed 2>/dev/null | sort
}

# broker_down / broker_up: an outage of the whole (one-broker) cluster: stopped, then started
# again on the same ports with the same data
broker_down() { sh "$BROKER" down "$KAFKA_TEST_DIR"; }
broker_up() { sh "$BROKER" up "$KAFKA_TEST_DIR" > /dev/null; }

# start_mock_cluster NAME ARGS…: librdkafka's mock cluster (build/tools/kafka-cluster) with ARGS
# (e.g. --topic t:3), as README's Java-free walk-through uses it; sets BS_<NAME> and PID_<NAME>.
start_mock_cluster() {
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

# The real PostgreSQL server (tests/pg/server.sh): tests/run.sh starts one for the whole runtime
# part and exports PG_TEST_DSN and PG_TEST_DIR, or PG_TEST_SKIP (why there is none). A script run
# by itself starts its own on first use and stops it on exit.
PGSERVER=$ROOT/tests/pg/server.sh
OWN_PG=""
need_pg() { # NAME: sets PG_DIR to the server's directory, or says SKIP (for the script) and exits
    if [ -z "${PG_TEST_DSN:-}" ] && [ -z "${PG_TEST_SKIP:-}" ]; then
        if why=$(sh "$PGSERVER" check); then
            PG_TEST_DIR=$TMP_ROOT/pg
            OWN_PG=$PG_TEST_DIR
            PG_TEST_DSN=$(sh "$PGSERVER" start "$PG_TEST_DIR" $$ 2> "$TMP_ROOT/pg.err") \
                || { fail "$1" "the PostgreSQL server did not start: $(cat "$TMP_ROOT/pg.err")"; exit 0; }
        else
            PG_TEST_SKIP=$why
        fi
    fi
    [ -n "${PG_TEST_DSN:-}" ] || { skip "$1" "no PostgreSQL server: $PG_TEST_SKIP"; exit 0; }
    PG_DIR=$PG_TEST_DIR
}
# pg_db NAME: a fresh database NAME on the test server (names unique across tests: they share
# it); prints its DSN
pg_db() { sh "$PGSERVER" createdb "$PG_DIR" "$1"; }
# pg_down / pg_up: an outage of the server (immediate shutdown), then a start on the same port
pg_down() { sh "$PGSERVER" down "$PG_DIR"; }
pg_up() { sh "$PGSERVER" up "$PG_DIR" > /dev/null; }

# keyed_jitter_input SEED N: N kv records (k, v, ts) of 300 keys, event time 41 ms forward each
# with jitter up to 3 s back (some records late); the same SEED and N give the same lines
keyed_jitter_input() {
    awk -v s="$1" -v n="$2" 'BEGIN { t = 0
        for (i = 0; i < n; i++) {
            s = (s * 69069 + 1) % 4294967296; k = s % 300
            s = (s * 69069 + 1) % 4294967296; v = s % 1000
            s = (s * 69069 + 1) % 4294967296; j = s % 3000
            t += 41
            printf "k=key%d,v=%d,ts=%d\n", k, v, t - j
        } }'
}
# five_kinds_yaml NAME: tests/runtime/five_kinds.yaml as pipeline NAME
five_kinds_yaml() { sed "s/^pipeline: five_kinds\$/pipeline: $1/" "$ROOT/tests/runtime/five_kinds.yaml"; }
