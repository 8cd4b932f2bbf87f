#!/bin/sh
# sigterm.sh — SIGTERM mid-run loses nothing: the job exits 0, and its file sink holds exactly the
# records of the input it read (the same bytes as a bounded run over that many generated
# records), in whole lines.
. "$(dirname "$0")/lib.sh"
[ -x "$PIPEC" ] || { skip sigterm/all "no $PIPEC (build first)"; exit 0; }
BIN="$TMP_ROOT/steady"
build_pipeline "$ROOT/tests/runtime/admin/steady.yaml" "$BIN" || { fail sigterm/build "pipec build failed"; exit 0; }
(cd "$TMP_ROOT" && OUT=cut.jsonl exec "$BIN" run < /dev/null > /dev/null 2> cut.err) &
pid=$!
PIDS="$PIDS $pid"
i=0 # until the sink has written a few hundred records (bounded)
while [ "$(cat "$TMP_ROOT/cut.jsonl" 2>/dev/null | wc -l)" -lt 300 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM "$pid"
wait "$pid"
rc=$?
[ $rc -eq 0 ] && pass sigterm/exit-0 || fail sigterm/exit-0 "exit $rc: $(tail -n 2 "$TMP_ROOT/cut.err" | tr '\n' '|')"
line=$(grep 'stopped: ' "$TMP_ROOT/cut.err")
n_in=$(echo "$line" | sed -n 's/.*stopped: \([0-9]*\) records in, \([0-9]*\) out.*/\1/p')
n_out=$(echo "$line" | sed -n 's/.*stopped: \([0-9]*\) records in, \([0-9]*\) out.*/\2/p')
[ -n "$n_in" ] && [ "$n_in" -gt 0 ] || { fail sigterm/summary "no stop summary: $line"; exit 0; }
lines=$(wc -l < "$TMP_ROOT/cut.jsonl")
if [ "$lines" -eq "$n_out" ] && [ "$(tail -c 1 "$TMP_ROOT/cut.jsonl" | od -An -c | tr -d ' ')" = '\n' ]; then
    pass sigterm/whole-lines
else
    fail sigterm/whole-lines "$lines lines in the sink, $n_out records out"
fi
(cd "$TMP_ROOT" && OUT=ref.jsonl "$BIN" run --quiet --set sources.orders.generator.count="$n_in" \
    --set sources.orders.generator.rate=unlimited < /dev/null > /dev/null 2> ref.err) ||
    { fail sigterm/reference "bounded run failed: $(head -n 2 "$TMP_ROOT/ref.err")"; exit 0; }
same_file sigterm/nothing-lost "$TMP_ROOT/ref.jsonl" "$TMP_ROOT/cut.jsonl" && pass "sigterm/nothing-lost ($n_in records in, $n_out out)"
