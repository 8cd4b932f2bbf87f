#!/bin/sh
# parallel_ckpt.sh — checkpoints at parallelism N > 1: a checkpoint drains every worker before
# its sinks prepare (one input thread: a consistent cut), and checkpoints restore at any N.
#   par_ckpt/exactly_once   exactly_once checkpoints every 10 ms at N = 2: the output equals the
#                           run without checkpoints at N = 1 (multisets, per key in order)
#   par_ckpt/kill_rescale   killed with SIGKILL again and again, restarted at N = 4, 1, 2, ...
#                           from its newest checkpoint until a run finishes: every record of the
#                           reference exactly once (multisets, per key in order)
. "$(dirname "$0")/lib.sh"
[ -x "$PIPEC" ] || { skip par_ckpt/exactly_once "no $PIPEC (build first)"; exit 0; }
command -v python3 >/dev/null || { skip par_ckpt/exactly_once "python3 is not installed"; exit 0; }
T=$TMP_ROOT
cat > "$T/p.yaml" <<'YAML'
pipeline: par_ckpt
schemas:
  ev: { k: string, v: int, ts: timestamp }
sources:
  in:
    file: { path: "${IN}" }
    format: kv
    schema: ev
    event_time: ts
stages:
  - id: by_k
    key_by: k
  - id: sums
    window: { tumbling: 5s }
    aggregate: { n: count(), total: sum(v), last: last(v) }
  - id: running
    from: by_k
    aggregate: { n: count() }
sinks:
  sums: { from: sums, file: { path: "${OUT}.sums.jsonl" } }
  running: { from: running, file: { path: "${OUT}.running.jsonl" } }
checkpoint:
  interval: 10ms
  mode: exactly_once
  dir: "${STATE_DIR}"
YAML
BIN=$T/par_ckpt
build_pipeline "$T/p.yaml" "$BIN" > "$T/build.out" 2>&1 || { fail par_ckpt/exactly_once "pipec build failed"; exit 0; }
awk 'BEGIN { for (i = 0; i < 300000; i++) printf "k=k%d,v=%d,ts=%.0f\n", (i * 7919) % 97, i, 1700000000000 + i * 10 }' > "$T/in.kv"
export IN="$T/in.kv"
OUT=$T/ref STATE_DIR=$T/ref-state "$BIN" run --quiet 2> "$T/ref.err" || { fail par_ckpt/exactly_once "reference run failed"; exit 0; }

same() { # NAME PREFIX: PREFIX.* equal the reference
    for o in sums running; do
        if ! r=$(python3 "$ROOT/tests/runtime/same_results.py" k "$T/ref.$o.jsonl" "$2.$o.jsonl"); then
            fail "$1" "$o: $r"
            return 1
        fi
    done
    return 0
}

OUT=$T/two STATE_DIR=$T/two-state "$BIN" run --set parallelism=2 2> "$T/two.err" > /dev/null
n=$(ls "$T/two-state" 2>/dev/null | grep -c '^chk-')
if [ ! -s "$T/two.sums.jsonl" ]; then
    fail par_ckpt/exactly_once "no output: $(head -n 2 "$T/two.err" | tr '\n' '|')"
elif same par_ckpt/exactly_once "$T/two"; then
    if [ "$n" -ge 1 ]; then pass "par_ckpt/exactly_once ($n checkpoint directories kept)"
    else fail par_ckpt/exactly_once "no checkpoint was taken"; fi
fi

# kill -9 at varied moments; each restart at another parallelism resumes from the newest checkpoint
kills=0 done=0 i=0
for n in 4 1 2 4 2 1 4 2 4 1 2 4 2 4 1 2 4 2 4 2; do
    i=$((i + 1))
    OUT=$T/kill STATE_DIR=$T/kill-state "$BIN" run --quiet --set parallelism=$n 2>> "$T/kill.err" &
    pid=$!
    sleep "0.0$((i % 7 + 2))"
    if kill -9 $pid 2>/dev/null; then
        wait $pid 2>/dev/null
        kills=$((kills + 1))
    else
        wait $pid && { done=1; break; }
    fi
done
if [ $done = 0 ]; then # the last run goes to the end
    OUT=$T/kill STATE_DIR=$T/kill-state "$BIN" run --quiet --set parallelism=2 2>> "$T/kill.err" && done=1
fi
if [ $done = 0 ]; then
    fail par_ckpt/kill_rescale "no run finished: $(tail -n 2 "$T/kill.err" | tr '\n' '|')"
elif [ $kills = 0 ]; then
    skip par_ckpt/kill_rescale "every run finished before its kill: nothing was tested"
elif ! grep -q "resuming from checkpoint" "$T/kill.err"; then
    fail par_ckpt/kill_rescale "no restart resumed from a checkpoint: the kills tested nothing"
elif same par_ckpt/kill_rescale "$T/kill"; then
    pass "par_ckpt/kill_rescale ($kills kills, $(grep -c "resuming from checkpoint" "$T/kill.err") resumed, restarts at parallelism 4, 1, 2 in turn)"
fi
