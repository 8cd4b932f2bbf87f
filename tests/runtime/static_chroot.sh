#!/bin/sh
# static_chroot.sh — a built pipeline is one fully static binary that runs in an empty root
# (the stand-in for an empty container: no Docker engine here), reading and writing files there,
# and, copied alone into an empty root, serves every admin endpoint and stops with a savepoint.
. "$(dirname "$0")/lib.sh"
[ -x "$PIPEC" ] || { skip static/chroot "no $PIPEC (build first)"; exit 0; }
BIN="$TMP_ROOT/job"
build_pipeline "$ROOT/tests/runtime/cases/win_tumbling/pipeline.yaml" "$BIN" || { fail static/build "pipec build failed"; exit 0; }
if file "$BIN" | grep -q 'statically linked'; then pass static/file; else fail static/file "$(file "$BIN")"; fi
if ldd "$BIN" 2>&1 | grep -q 'not a dynamic executable'; then pass static/ldd; else fail static/ldd "$(ldd "$BIN" 2>&1 | head -n 2)"; fi
# the job's malloc is jemalloc (the toolchain's alloc_libs, linked after libprt.a): glibc's, taken
# by a reordered link line, costs a Kafka job a futex call for about every second message
# (bench/README.md); jemalloc prints its statistics at exit when MALLOC_CONF asks it to
(cd "$TMP_ROOT" && MALLOC_CONF=stats_print:true "$BIN" run --quiet \
    --set sources.events.file.path="$ROOT/tests/runtime/cases/win_tumbling/events.kv" \
    --set sinks.out.file.path="$TMP_ROOT/alloc.out" --set sinks.late.file.path="$TMP_ROOT/alloc.late" > "$TMP_ROOT/alloc.log" 2>&1)
if grep -q '^___ Begin jemalloc statistics ___$' "$TMP_ROOT/alloc.log" &&
   cmp -s "$TMP_ROOT/alloc.out" "$ROOT/tests/runtime/cases/win_tumbling/expected/out.jsonl"; then
    pass static/allocator-jemalloc
else
    fail static/allocator-jemalloc "no jemalloc statistics at exit: $(head -n 2 "$TMP_ROOT/alloc.log" | tr '\n' '|')"
fi
root="$TMP_ROOT/root"
mkdir -p "$root"
cp "$BIN" "$root/job"
cp "$ROOT/tests/runtime/cases/win_tumbling/events.kv" "$root/"
if ! unshare -r true 2>/dev/null; then
    skip static/chroot "user namespaces are not available (unshare -r)"
    exit 0
fi
(cd "$root" && unshare -r chroot "$root" /job run --quiet > "$TMP_ROOT/chroot.out" 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
    fail static/chroot "exit $rc: $(head -n 3 "$TMP_ROOT/chroot.out" | tr '\n' '|')"
elif same_file static/chroot "$ROOT/tests/runtime/cases/win_tumbling/expected/out.jsonl" "$root/out.jsonl" &&
     same_file static/chroot "$ROOT/tests/runtime/cases/win_tumbling/expected/late.jsonl" "$root/late.jsonl"; then
    pass static/chroot
fi
ls "$root" | tr '\n' ' ' | grep -q '^events.kv job late.jsonl out.jsonl $' && pass static/chroot-empty-root || fail static/chroot-empty-root "root holds $(ls "$root" | tr '\n' ' ')"

# stripped by default, without #line; `pipec build --debug` keeps symbols and #line
size=$(wc -c < "$BIN")
if file "$BIN" | grep -q ', stripped' && ! grep -q '^#line' "$BIN.build/win_tumbling.c"; then
    pass "static/stripped ($size bytes)"
else
    fail static/stripped "$(file "$BIN" | cut -d, -f5-) / #line: $(grep -c '^#line' "$BIN.build/win_tumbling.c")"
fi
if "$PIPEC" build --debug "$ROOT/tests/runtime/cases/win_tumbling/pipeline.yaml" -o "$TMP_ROOT/job-debug" > "$TMP_ROOT/debug.log" 2>&1 &&
   file "$TMP_ROOT/job-debug" | grep -q 'with debug_info, not stripped' && grep -q '^#line' "$TMP_ROOT/job-debug.build/win_tumbling.c"; then
    pass "static/debug-build ($(wc -c < "$TMP_ROOT/job-debug") bytes)"
else
    fail static/debug-build "$(file "$TMP_ROOT/job-debug" | cut -d, -f5-) $(head -n 2 "$TMP_ROOT/debug.log")"
fi

# the admin endpoint from inside the empty root (a user namespace shares the host's loopback)
if ! command -v curl > /dev/null; then
    skip static/chroot-admin "curl is not installed (scripts/deps.sh installs it)"
    exit 0
fi
(cd "$root" && exec unshare -r chroot "$root" /job run --quiet --admin 127.0.0.1:0 \
    --set sources.events.file.follow=true > "$TMP_ROOT/chroot-admin.out" 2>&1) &
pid=$!
PIDS="$PIDS $pid"
i=0
while ! grep -q 'admin endpoint on' "$TMP_ROOT/chroot-admin.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
A=$(sed -n 's,.*admin endpoint on http://\([^/]*\)/.*,\1,p' "$TMP_ROOT/chroot-admin.out" | head -n 1)
i=0
while ! curl -s "http://$A/metrics" | grep -qx 'pipec_records_in_total{operator="events"} 7' && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ -n "$A" ] && [ "$(curl -s "http://$A/healthz")" = ok ] &&
   curl -s "http://$A/metrics" | grep -qx 'pipec_records_in_total{operator="events"} 7' &&
   "$BIN" stop --admin "$A" > /dev/null 2>&1 && wait "$pid"; then
    pass static/chroot-admin
else
    fail static/chroot-admin "at '$A': $(head -n 3 "$TMP_ROOT/chroot-admin.out" | tr '\n' '|')"
fi

# the binary alone in an empty root (a generator job: no input file beside it), probed over HTTP
# from outside as a person would: every endpoint answers, the job counts, and `stop --savepoint`
# with a path inside the root leaves a savepoint there
ALONE="$TMP_ROOT/alone"
build_pipeline "$ROOT/tests/runtime/admin/live.yaml" "$TMP_ROOT/live" || { fail static/alone-admin "live.yaml does not build"; exit 0; }
mkdir -p "$ALONE"
cp "$TMP_ROOT/live" "$ALONE/job"
(cd "$ALONE" && exec unshare -r chroot "$ALONE" /job run --admin 127.0.0.1:0 > "$TMP_ROOT/alone.out" 2>&1) &
pid=$!
PIDS="$PIDS $pid"
i=0
while ! grep -q 'admin endpoint on' "$TMP_ROOT/alone.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
A=$(sed -n 's,.*admin endpoint on http://\([^/]*\)/.*,\1,p' "$TMP_ROOT/alone.out" | head -n 1)
i=0
while ! curl -s "http://$A/readyz" | grep -qx ready && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
codes=""
for p in / /healthz /readyz /api/job /metrics; do codes="$codes $(curl -s -o /dev/null -w '%{http_code}' "http://$A$p")"; done
job=$(curl -s "http://$A/api/job" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["status"], j["records_in"] > 0)' 2>&1)
if [ "$codes" != " 200 200 200 200 200" ] || [ "$job" != "running True" ]; then
    fail static/alone-admin "at '$A': HTTP$codes, job '$job': $(head -n 3 "$TMP_ROOT/alone.out" | tr '\n' '|')"
elif ! "$TMP_ROOT/live" stop --admin "$A" --savepoint /sp > "$TMP_ROOT/alone.stop" 2>&1 || ! wait "$pid"; then
    fail static/alone-admin "stop: $(cat "$TMP_ROOT/alone.stop" | tr '\n' '|')"
elif [ -f "$ALONE/sp/_metadata" ] && [ "$(ls "$ALONE" | tr '\n' ' ')" = "job out.jsonl sp " ]; then
    pass static/alone-admin
else
    fail static/alone-admin "the root holds $(ls "$ALONE" | tr '\n' ' ')"
fi
