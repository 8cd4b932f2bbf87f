#!/bin/sh
# checkpoints.sh — checkpoint behaviour other than random kills (crash_harness.sh does those):
#   ckpt/stdout_refused     stdout under exactly_once: exit 2 with the reason; at_least_once runs
#   ckpt/rerun_resumes      a finished bounded run, run again: "resuming from checkpoint N", same output
#   ckpt/corrupt_fallback   newest checkpoint corrupted: reported, the previous one used, same output
#   ckpt/incomplete_newest  newest checkpoint without its MANIFEST: passed over, the previous one used
#   ckpt/disk_full          checkpoint.dir on a full tmpfs: clear error, exit 1, the last good
#                           checkpoint kept and resumed from once there is room
#   ckpt/read_only          checkpoint.dir read-only: clear error, exit 1, the last good one kept
#   ckpt/sigterm_final      a followed file: SIGTERM commits a final checkpoint; a restart
#                           continues from it (each line once)
# disk_full and read_only need a user and mount namespace (unshare -rm) for a private tmpfs.
. "$(dirname "$0")/lib.sh"
T=$TMP_ROOT
[ -x "$PIPEC" ] || { skip ckpt/stdout_refused "no $PIPEC (build first)"; exit 0; }

cat > "$T/p.yaml" <<'YAML'
pipeline: ckpt_basic
schemas:
  ev: { k: string, v: int, ts: timestamp }
sources:
  in:
    file: { path: "${IN}", follow: "${FOLLOW:-false}" }
    format: kv
    schema: ev
    event_time: ts
stages:
  - id: by_k
    key_by: k
  - id: sums
    window: { tumbling: 5s }
    aggregate: { n: count(), total: sum(v) }
sinks:
  sums:
    file: { path: "${OUT}" }
    format: csv
checkpoint:
  interval: "${CK_INTERVAL:-10ms}"
  mode: exactly_once
  dir: "${STATE_DIR}"
YAML
BIN=$T/ckpt_basic
if ! build_pipeline "$T/p.yaml" "$BIN" > "$T/build.out" 2>&1; then
    fail ckpt/rerun_resumes "pipec build failed: $(head -n 3 "$T/build.out" | tr '\n' '|')"
    exit 0
fi
awk 'BEGIN { for (i = 0; i < 400000; i++) printf "k=k%d,v=%d,ts=%.0f\n", i % 50, i, 1700000000000 + i * 10 }' > "$T/in.kv"
export IN="$T/in.kv"
OUT=$T/ref.csv STATE_DIR=$T/ref-state "$BIN" run --quiet 2> "$T/ref.err" || { fail ckpt/rerun_resumes "reference run failed: $(cat "$T/ref.err")"; exit 0; }

# ---------------------------------------------------------------- stdout refused
cat > "$T/so.yaml" <<'YAML'
pipeline: ckpt_stdout
schemas:
  ev: { k: string }
sources:
  in: { file: { path: "${IN}" }, format: kv, schema: ev }
sinks:
  out: { stdout: true, format: kv }
checkpoint: { interval: 1s, mode: "${MODE}", dir: "${STATE_DIR}" }
YAML
if build_pipeline "$T/so.yaml" "$T/so" > "$T/so.out" 2>&1; then
    echo "k=a" > "$T/so.kv"
    IN=$T/so.kv MODE=exactly_once STATE_DIR=$T/so-state "$T/so" run --quiet > "$T/so.1" 2> "$T/so.err"; rc=$?
    IN=$T/so.kv MODE=at_least_once STATE_DIR=$T/so-state2 "$T/so" run --quiet > "$T/so.2" 2> "$T/so2.err"; rc2=$?
    if [ $rc != 2 ] || [ -s "$T/so.1" ]; then fail ckpt/stdout_refused "exactly_once: exit $rc, stdout '$(cat "$T/so.1")'"
    elif ! grep -q "^ckpt_stdout: sink out: stdout cannot be exactly-once" "$T/so.err"; then fail ckpt/stdout_refused "message: $(cat "$T/so.err")"
    elif [ $rc2 != 0 ] || [ "$(cat "$T/so.2")" != "k=a" ]; then fail ckpt/stdout_refused "at_least_once: exit $rc2: $(cat "$T/so2.err")"
    else pass ckpt/stdout_refused; fi
else fail ckpt/stdout_refused "pipec build failed: $(head -n 3 "$T/so.out" | tr '\n' '|')"; fi

# ---------------------------------------------------------------- rerun
OUT=$T/ref.csv STATE_DIR=$T/ref-state "$BIN" run 2> "$T/rerun.err"; rc=$?
last=$(ls "$T/ref-state" | sed -n 's/^chk-//p' | sort -n | tail -n 1)
if [ $rc != 0 ]; then fail ckpt/rerun_resumes "exit $rc: $(head -n 3 "$T/rerun.err" | tr '\n' '|')"
elif ! grep -q "^ckpt_basic: resuming from checkpoint $((last - 1)) ($T/ref-state/chk-$((last - 1)))\$" "$T/rerun.err"; then
    fail ckpt/rerun_resumes "stderr: $(head -n 3 "$T/rerun.err" | tr '\n' '|')"
elif ! grep -q "^ckpt_basic: finished: 0 records in, 0 out" "$T/rerun.err"; then
    fail ckpt/rerun_resumes "read again: $(grep finished "$T/rerun.err")"
else
    OUT=$T/ref2.csv STATE_DIR=$T/ref2-state "$BIN" run --quiet 2>/dev/null
    same_file ckpt/rerun_resumes "$T/ref2.csv" "$T/ref.csv" && pass ckpt/rerun_resumes
fi

# stopped_at NAME DIR N: a run killed right after checkpoint N committed. The file is followed,
# so the run is still there for checkpoint N however fast it reads and however slow fsync is
# (a bounded run could finish first); the restarts read it bounded, to its end.
stopped_at() {
    rm -rf "$2"; mkdir -p "$2"
    FOLLOW=true PRT_CRASH_AT=ckpt-committed:$3 OUT=$2/out.csv STATE_DIR=$2/state \
        timeout 120 "$BIN" run --quiet 2> "$2/err"; rc=$?
    [ $rc = 137 ] || { fail "$1" "the run to interrupt exited $rc: $(head -n 3 "$2/err" | tr '\n' '|')"; return 1; }
}
# finish_from NAME DIR WANT_LINE: restarts; stderr must hold WANT_LINE, the output the reference's
finish_from() {
    OUT=$2/out.csv STATE_DIR=$2/state "$BIN" run --quiet 2> "$2/err2"; rc=$?
    if [ $rc != 0 ]; then fail "$1" "restart exited $rc: $(head -n 3 "$2/err2" | tr '\n' '|')"; return 1; fi
    if ! grep -qF "$3" "$2/err2"; then fail "$1" "stderr lacks '$3': $(head -n 3 "$2/err2" | tr '\n' '|')"; return 1; fi
    same_file "$1" "$T/ref.csv" "$2/out.csv"
}

# ---------------------------------------------------------------- corrupt newest
D=$T/corrupt
if stopped_at ckpt/corrupt_fallback "$D" 4; then
    f=$(cd "$D/state/chk-4" && find . -type f ! -name MANIFEST | sort | head -n 1)
    if [ -z "$f" ]; then fail ckpt/corrupt_fallback "chk-4 holds no file but its MANIFEST"
    else
        # flip one byte in the middle of the first snapshot file
        sz=$(wc -c < "$D/state/chk-4/$f")
        printf '\377' | dd of="$D/state/chk-4/$f" bs=1 seek=$((sz / 2)) conv=notrunc 2>/dev/null
        if finish_from ckpt/corrupt_fallback "$D" "resuming from checkpoint 3 "; then
            if grep -q "^ckpt_basic: checkpoint 4 skipped: " "$D/err2"; then pass ckpt/corrupt_fallback
            else fail ckpt/corrupt_fallback "the skipped checkpoint is not reported: $(head -n 3 "$D/err2" | tr '\n' '|')"; fi
        fi
    fi
fi

# ---------------------------------------------------------------- incomplete newest
D=$T/incomplete
if stopped_at ckpt/incomplete_newest "$D" 4; then
    rm "$D/state/chk-4/MANIFEST"
    finish_from ckpt/incomplete_newest "$D" "resuming from checkpoint 3 " && pass ckpt/incomplete_newest
fi

# ---------------------------------------------------------------- full or read-only dir
if ! unshare -rm true 2>/dev/null; then
    skip ckpt/disk_full "no user+mount namespace here (unshare -rm) for a private tmpfs"
    skip ckpt/read_only "no user+mount namespace here (unshare -rm)"
else
    # in_ns NAME DIR SETUP: copies DIR/state (stopped after chk-2) to a 4 MiB tmpfs, runs SETUP
    # there (fills it, or remounts it read-only), runs the job (must fail with exit 1), makes
    # the tmpfs writable with room again and resumes; writes the results into DIR.
    in_ns() {
        cat > "$2/ns.sh" <<EOF
set -u
mnt=$2/mnt
mkdir -p \$mnt && mount -t tmpfs -o size=4m none \$mnt || exit 3
cp -a $2/state \$mnt/state
$3
OUT=$2/out.csv STATE_DIR=\$mnt/state "$BIN" run --quiet 2> $2/fail.err; echo \$? > $2/fail.rc
ls \$mnt/state > $2/after-fail.ls
rm -f \$mnt/filler; mount -o remount,rw \$mnt
OUT=$2/out.csv STATE_DIR=\$mnt/state "$BIN" run --quiet 2> $2/err2; echo \$? > $2/ok.rc
EOF
        unshare -rm sh "$2/ns.sh" > "$2/ns.out" 2>&1
    }
    for t in disk_full read_only; do
        D=$T/$t
        stopped_at ckpt/$t "$D" 2 || continue
        case $t in
        disk_full) setup='dd if=/dev/zero of=$mnt/filler bs=4k 2>/dev/null' ;;
        read_only) setup='mount -o remount,ro $mnt' ;;
        esac
        in_ns ckpt/$t "$D" "$setup"
        if [ "$(cat "$D/fail.rc" 2>/dev/null)" != 1 ]; then
            fail ckpt/$t "the run on a $t dir exited $(cat "$D/fail.rc" 2>/dev/null): $(head -n 3 "$D/fail.err" "$D/ns.out" 2>/dev/null | tr '\n' '|')"
        elif ! grep -q "^ckpt_basic: checkpoint 3 failed: .*; stopping (checkpoint 2 in .* is kept)\$" "$D/fail.err"; then
            fail ckpt/$t "message: $(head -n 3 "$D/fail.err" | tr '\n' '|')"
        elif ! grep -qx chk-2 "$D/after-fail.ls"; then
            fail ckpt/$t "chk-2 is gone: $(tr '\n' ' ' < "$D/after-fail.ls")"
        elif [ "$(cat "$D/ok.rc")" != 0 ] || ! grep -q "resuming from checkpoint 2 " "$D/err2"; then
            fail ckpt/$t "the run with room exited $(cat "$D/ok.rc"): $(head -n 3 "$D/err2" | tr '\n' '|')"
        elif same_file ckpt/$t "$T/ref.csv" "$D/out.csv"; then
            pass ckpt/$t
        fi
    done
fi

# ---------------------------------------------------------------- SIGTERM
cat > "$T/f.yaml" <<'YAML'
pipeline: ckpt_follow
schemas:
  ev: { k: string, v: int }
sources:
  in: { file: { path: "${IN}", follow: true }, format: kv, schema: ev }
sinks:
  rows: { file: { path: "${OUT}" }, format: kv }
checkpoint: { interval: 1h, mode: exactly_once, dir: "${STATE_DIR}" }
YAML
# wait_lines FILE N: until FILE has N lines (at most 10 s; no timing is asserted)
wait_lines() {
    i=0
    while [ "$(cat "$1" 2>/dev/null | wc -l)" -lt "$2" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
}
if build_pipeline "$T/f.yaml" "$T/follow" > "$T/f.out" 2>&1; then
    D=$T/follow-run; mkdir -p "$D"
    awk 'BEGIN { for (i = 0; i < 1000; i++) printf "k=a,v=%d\n", i }' > "$D/in.kv"
    cp "$D/in.kv" "$D/want"
    IN=$D/in.kv OUT=$D/rows.kv STATE_DIR=$D/state "$T/follow" run --quiet 2> "$D/err1" &
    pid=$!; PIDS="$PIDS $pid"
    wait_lines "$D/.rows.kv.pending-1" 1000  # read and staged, not committed (interval 1h)
    staged_only=$(cat "$D/rows.kv" | wc -l)
    kill -TERM $pid; wait $pid; rc1=$?
    n1=$(wc -l < "$D/rows.kv")
    awk 'BEGIN { for (i = 1000; i < 1500; i++) printf "k=a,v=%d\n", i }' >> "$D/in.kv"
    awk 'BEGIN { for (i = 1000; i < 1500; i++) printf "k=a,v=%d\n", i }' >> "$D/want"
    IN=$D/in.kv OUT=$D/rows.kv STATE_DIR=$D/state "$T/follow" run --quiet 2> "$D/err2" &
    pid=$!; PIDS="$PIDS $pid"
    wait_lines "$D/.rows.kv.pending-2" 500
    kill -TERM $pid; wait $pid; rc2=$?
    if [ "$staged_only" != 0 ]; then fail ckpt/sigterm_final "$staged_only line(s) visible before any commit"
    elif [ $rc1 != 0 ] || [ "$n1" != 1000 ]; then fail ckpt/sigterm_final "first stop: exit $rc1, $n1 lines: $(head -n 3 "$D/err1" | tr '\n' '|')"
    elif [ $rc2 != 0 ] || ! grep -q "resuming from checkpoint 1 " "$D/err2"; then fail ckpt/sigterm_final "second run: exit $rc2: $(head -n 3 "$D/err2" | tr '\n' '|')"
    elif same_file ckpt/sigterm_final "$D/want" "$D/rows.kv"; then pass ckpt/sigterm_final; fi
else fail ckpt/sigterm_final "pipec build failed: $(head -n 3 "$T/f.out" | tr '\n' '|')"; fi
