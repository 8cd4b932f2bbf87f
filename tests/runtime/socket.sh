#!/bin/sh
# socket.sh — the socket source against a test peer (socket/peer.py): exact records from a peer
# that disconnects and comes back (an incomplete line at the disconnect is dropped, never a
# record), the reconnect said on stderr and counted in pipec_source_reconnects_total; a bounded
# run with max_retries: 0; giving up when no peer ever answers; exactly_once refused at start.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || { skip socket/all "python3 is not installed (the test peer)"; exit 0; }
command -v curl > /dev/null || { skip socket/all "curl is not installed (scripts/deps.sh installs it)"; exit 0; }
[ -x "$PIPEC" ] || { skip socket/all "no $PIPEC (build first)"; exit 0; }
DIR="$ROOT/tests/runtime/socket"
BIN="$TMP_ROOT/socket_job"
build_pipeline "$DIR/pipeline.yaml" "$BIN" || { fail socket/build "pipec build failed"; exit 0; }

# start_peer NAME MODE: the peer in $TMP_ROOT/NAME/; sets PORT once it listens (bounded wait)
start_peer() {
    mkdir -p "$TMP_ROOT/$1"
    python3 "$DIR/peer.py" "$TMP_ROOT/$1/port" "$TMP_ROOT/$1/done" "$2" 2> "$TMP_ROOT/$1/peer.err" &
    PEER=$!
    PIDS="$PIDS $PEER"
    i=0
    while [ ! -s "$TMP_ROOT/$1/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    PORT=$(cat "$TMP_ROOT/$1/port" 2>/dev/null)
    [ -n "$PORT" ]
}

# wait_lines FILE N: until FILE has N lines (at most 10 s)
wait_lines() {
    i=0
    while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ "$(cat "$1" 2>/dev/null | wc -l)" -eq "$2" ]
}

# has NAME FILE TEXT: FILE holds the line TEXT (after the "socket_job: " prefix)
has() {
    grep -qxF "socket_job: $3" "$2" && return 0
    fail "$1" "no line '$3' in $(basename "$2"): $(head -n 8 "$2" | tr '\n' '|')"
    return 1
}

# --- 1. the peer goes away and comes back
start_peer back return || { fail socket/peer "the peer did not start: $(cat "$TMP_ROOT/back/peer.err")"; exit 0; }
(cd "$TMP_ROOT/back" && PORT=$PORT exec "$BIN" run --admin 127.0.0.1:0 < /dev/null > stdout 2> stderr) &
JOB=$!
PIDS="$PIDS $JOB"
wait_lines "$TMP_ROOT/back/out.jsonl" 4 || fail socket/reconnect-records "$(cat "$TMP_ROOT/back/out.jsonl" 2>/dev/null | wc -l) records, expected 4"
A=$(sed -n 's,.*admin endpoint on http://\([^/]*\)/.*,\1,p' "$TMP_ROOT/back/stderr" | head -n 1)
want='pipec_source_reconnects_total{source="lines"} 1'
i=0
while [ $i -lt 50 ] && ! curl -sf "http://$A/metrics" 2>/dev/null | grep -qxF "$want"; do sleep 0.1; i=$((i + 1)); done
got=$(curl -sf "http://$A/metrics" 2>/dev/null | grep '^pipec_source_reconnects_total')
[ "$got" = "$want" ] && pass socket/reconnect-metric || fail socket/reconnect-metric "got '$got'"
touch "$TMP_ROOT/back/done"
wait "$PEER"
i=0 # the peer is gone for good: the source says it cannot connect, and keeps trying
while ! grep -q "cannot connect to 127.0.0.1:$PORT: Connection refused; reconnecting" "$TMP_ROOT/back/stderr" && [ $i -lt 50 ]; do
    sleep 0.1; i=$((i + 1))
done
kill -TERM "$JOB"
wait "$JOB"
rc=$?
[ $rc -eq 0 ] && pass socket/sigterm-exit-0 || fail socket/sigterm-exit-0 "exit $rc: $(tail -n 2 "$TMP_ROOT/back/stderr" | tr '\n' '|')"
cat > "$TMP_ROOT/want4.jsonl" << 'EOF2'
{"k":"a","v":1}
{"k":"b","v":2}
{"k":"d","v":4}
{"k":"e","v":5}
EOF2
same_file socket/reconnect-records "$TMP_ROOT/want4.jsonl" "$TMP_ROOT/back/out.jsonl" && pass socket/reconnect-records
E="$TMP_ROOT/back/stderr"
has socket/stderr-connected "$E" "source lines: connected to 127.0.0.1:$PORT" &&
has socket/stderr-closed "$E" "source lines: 127.0.0.1:$PORT closed the connection (an incomplete last line of 7 bytes dropped); reconnecting in 100ms" &&
has socket/stderr-refused "$E" "source lines: cannot connect to 127.0.0.1:$PORT: Connection refused; reconnecting in 200ms" &&
has socket/stderr-reconnected "$E" "source lines: reconnected to 127.0.0.1:$PORT" &&
pass socket/stderr-messages

# --- 2. bounded: max_retries: 0 ends the input at the first disconnect
start_peer once once || { fail socket/peer "the peer did not start: $(cat "$TMP_ROOT/once/peer.err")"; exit 0; }
(cd "$TMP_ROOT/once" && PORT=$PORT exec "$BIN" run --quiet --set sources.lines.socket.max_retries=0 < /dev/null > stdout 2> stderr)
rc=$?
head -n 2 "$TMP_ROOT/want4.jsonl" > "$TMP_ROOT/want2.jsonl"
[ $rc -eq 0 ] && same_file socket/bounded "$TMP_ROOT/want2.jsonl" "$TMP_ROOT/once/out.jsonl" &&
    has socket/bounded "$TMP_ROOT/once/stderr" "source lines: 127.0.0.1:$PORT closed the connection (an incomplete last line of 7 bytes dropped); not reconnecting (max_retries: 0): end of input" &&
    pass socket/bounded
[ $rc -eq 0 ] || fail socket/bounded "exit $rc: $(tail -n 2 "$TMP_ROOT/once/stderr" | tr '\n' '|')"

# --- 2b. the same under at_least_once checkpoints: runs, and its checkpoint holds no socket position
start_peer alo once || { fail socket/peer "the peer did not start: $(cat "$TMP_ROOT/alo/peer.err")"; exit 0; }
(cd "$TMP_ROOT/alo" && PORT=$PORT exec "$BIN" run --set sources.lines.socket.max_retries=0 \
    --set checkpoint.mode=at_least_once --set checkpoint.dir=st < /dev/null > stdout 2> stderr)
rc=$?
if [ $rc -eq 0 ] && same_file socket/at-least-once "$TMP_ROOT/want2.jsonl" "$TMP_ROOT/alo/out.jsonl"; then
    ls "$TMP_ROOT/alo/st" | grep -q . && pass socket/at-least-once || fail socket/at-least-once "no checkpoint in st/"
elif [ $rc -ne 0 ]; then
    fail socket/at-least-once "exit $rc: $(tail -n 2 "$TMP_ROOT/alo/stderr" | tr '\n' '|')"
fi

# --- 3. nobody listens: max_retries: 2 gives up, exit 1
FREE=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$TMP_ROOT/none"
(cd "$TMP_ROOT/none" && PORT=$FREE exec "$BIN" run --quiet --set sources.lines.socket.max_retries=2 < /dev/null > stdout 2> stderr)
rc=$?
[ $rc -eq 1 ] && has socket/give-up "$TMP_ROOT/none/stderr" "source lines: cannot connect to 127.0.0.1:$FREE: Connection refused; giving up after 2 retries" &&
    [ "$(grep -c 'Connection refused; reconnecting in' "$TMP_ROOT/none/stderr")" -eq 2 ] && pass socket/give-up
[ $rc -eq 1 ] || fail socket/give-up "exit $rc, expected 1: $(tail -n 2 "$TMP_ROOT/none/stderr" | tr '\n' '|')"

# --- 4. exactly_once through --set is refused when the job starts (pipec check refuses it in
# the YAML: tests/golden/diag/socket_exactly_once.yaml)
mkdir -p "$TMP_ROOT/eo"
(cd "$TMP_ROOT/eo" && PORT=$FREE exec "$BIN" run --quiet --set checkpoint.mode=exactly_once --set checkpoint.dir=st < /dev/null > stdout 2> stderr)
rc=$?
if [ $rc -ne 0 ] && grep -qF "source lines: a socket cannot be exactly-once (it cannot replay what it sent before a crash); use checkpoint.mode: at_least_once" "$TMP_ROOT/eo/stderr"; then
    pass socket/exactly-once-refused
else
    fail socket/exactly-once-refused "exit $rc: $(head -n 2 "$TMP_ROOT/eo/stderr" | tr '\n' '|')"
fi
