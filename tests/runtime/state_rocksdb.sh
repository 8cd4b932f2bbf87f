#!/bin/sh
# state_rocksdb.sh — `state: {backend: rocksdb}` gives the memory backend's results, byte for
# byte, while holding state larger than its memory budget (docs/state.md).
#   state_rocksdb/same_results_p1      five window kinds over 24,000 records, 16KB budget (constant
#                                      eviction): every output identical to the memory backend's
#   state_rocksdb/same_results_p4      the same at parallelism 4 (as multisets, per key in order)
#   state_rocksdb/hot_no_store_calls   the state fits the budget: not one RocksDB call
#   state_rocksdb/savepoint_rocksdb_to_memory  part one rocksdb (16KB) --savepoint-on-exit, part
#                                      two memory --from-savepoint: equals the uninterrupted run;
#                                      the savepoint's dump equals the memory backend's byte for byte
#   state_rocksdb/savepoint_memory_to_rocksdb_p4  the other way, restored at parallelism 4
#   state_rocksdb/checkpoint_rocksdb_to_memory_p2  a checkpoint with stored state (a RocksDB
#                                      checkpoint in chk-N/store-w0/) resumed by the memory backend
#                                      at parallelism 2 after kill -9: output as the uninterrupted run
#   state_rocksdb/larger_than_budget   200,000 keys in day windows with a 4MB budget: output identical
#                                      to the memory backend, and the rocksdb run's peak RSS stays far
#                                      below the memory run's (whose growth is the state's size)
. "$(dirname "$0")/lib.sh"
[ -x "$PIPEC" ] || { skip state_rocksdb/all "no $PIPEC (build first)"; exit 0; }
command -v python3 >/dev/null || { skip state_rocksdb/all "python3 is not installed"; exit 0; }
D=$TMP_ROOT/data
mkdir -p "$D/all" "$D/part"
cd "$D" || exit 1

keyed_jitter_input 4242 24000 > all/1.kv
head -n 14000 all/1.kv > part/1.kv
tail -n +14001 all/1.kv > rest.kv

{ five_kinds_yaml kinds; cat <<'EOF'; } > kinds.yaml
checkpoint:
  dir: "${STATE_DIR:-state}"
state:
  backend: "${BACKEND:-memory}"
  memory_budget: "${BUDGET:-64MB}"
EOF
BIN=$TMP_ROOT/kinds
build_pipeline kinds.yaml "$BIN" || { fail state_rocksdb/all "pipec build failed"; exit 0; }
# (the checkpoint section only names where the rocksdb working store lives: no interval is due
# in these short runs but the final checkpoint)
OUTS="tumbling sliding sessions every_7 running late"
IN='all/*.kv' OUT=mem STATE_DIR=st_mem "$BIN" run --quiet 2> mem.err || { fail state_rocksdb/all "memory run failed: $(head -n 2 mem.err)"; exit 0; }

# evictions N ERRFILE: the total evicted keys of the PRT_STATE_LOG lines
evictions() { sed -n 's/.*evictions [0-9]* (\([0-9]*\) keys).*/\1/p' "$1" | awk '{ n += $1 } END { print n + 0 }'; }

name=state_rocksdb/same_results_p1
if ! PRT_STATE_LOG=1 IN='all/*.kv' OUT=r1 STATE_DIR=st_r1 BACKEND=rocksdb BUDGET=16KB "$BIN" run --quiet 2> r1.err; then
    fail $name "run failed: $(head -n 2 r1.err | tr '\n' '|')"
else
    ok=1
    for o in $OUTS; do same_file $name mem.$o.jsonl r1.$o.jsonl || { ok=0; break; }; done
    ev=$(evictions r1.err)
    if [ $ok = 1 ] && [ "$ev" -lt 1000 ]; then fail $name "only $ev keys evicted: the budget did not bite"; ok=0; fi
    [ $ok = 1 ] && pass "$name ($ev keys evicted and loaded back, $(cat mem.*.jsonl | wc -l) results identical)"
fi

name=state_rocksdb/same_results_p4
if ! PRT_STATE_LOG=1 IN='all/*.kv' OUT=r4 STATE_DIR=st_r4 BACKEND=rocksdb BUDGET=16KB "$BIN" run --quiet --set parallelism=4 2> r4.err; then
    fail $name "run failed: $(head -n 2 r4.err | tr '\n' '|')"
else
    ok=1
    for o in $OUTS; do
        n=$(python3 "$ROOT/tests/runtime/same_results.py" k mem.$o.jsonl r4.$o.jsonl) || { fail $name "$o: $n"; ok=0; break; }
    done
    ev=$(evictions r4.err)
    workers=$(grep -c '^state tumbling w' r4.err)
    if [ $ok = 1 ] && { [ "$ev" -lt 1000 ] || [ "$workers" != 4 ]; }; then
        fail $name "$ev keys evicted, $workers workers with a store"; ok=0
    fi
    [ $ok = 1 ] && pass "$name ($ev keys evicted over 4 workers' stores)"
fi

name=state_rocksdb/hot_no_store_calls
if ! PRT_STATE_LOG=1 IN='all/*.kv' OUT=hot STATE_DIR=st_hot BACKEND=rocksdb "$BIN" run --quiet 2> hot.err; then
    fail $name "run failed: $(head -n 2 hot.err | tr '\n' '|')"
else
    calls=$(sed -n 's/.*store gets \([0-9]*\) ([0-9]* misses), puts \([0-9]*\), index scans \([0-9]*\).*/\1 \2 \3/p' hot.err |
            awk '{ n += $1 + $2 + $3 } END { print n + 0 }')
    lines=$(grep -c '^state ' hot.err)
    ok=1
    for o in $OUTS; do same_file $name mem.$o.jsonl hot.$o.jsonl || { ok=0; break; }; done
    if [ $ok = 1 ] && { [ "$calls" != 0 ] || [ "$lines" != 5 ]; }; then
        fail $name "$calls store calls over $lines operators ($(head -n 1 hot.err))"
    elif [ $ok = 1 ]; then
        pass "$name (24000 records, 5 operators, 0 gets, 0 puts, 0 index scans)"
    fi
fi

# savepoints: part one, then part two restored from part one's savepoint
# split FROM_BACKEND TO_BACKEND P NAME
split_run() {
    from=$1 to=$2 q=$3 name=$4
    rm -rf run sp st_a st_b && mkdir run && cp part/1.kv run/1.kv
    if ! PRT_STATE_LOG=1 IN='run/*.kv' OUT=a STATE_DIR=st_a BACKEND=$from BUDGET=16KB "$BIN" run --quiet --savepoint-on-exit sp 2> a.err; then
        fail "$name" "part one ($from): $(head -n 2 a.err | tr '\n' '|')"
        return 1
    fi
    cp rest.kv run/2.kv
    if ! PRT_STATE_LOG=1 IN='run/*.kv' OUT=b STATE_DIR=st_b BACKEND=$to BUDGET=16KB "$BIN" run --quiet --set parallelism="$q" \
        --from-savepoint sp 2> b.err; then
        fail "$name" "part two ($to): $(head -n 2 b.err | tr '\n' '|')"
        return 1
    fi
    for o in $OUTS; do
        cat a.$o.jsonl b.$o.jsonl > ab.$o.jsonl
        n=$(python3 "$ROOT/tests/runtime/same_results.py" k mem.$o.jsonl ab.$o.jsonl) || { fail "$name" "$o: $n"; return 1; }
    done
    grep -q "restored from savepoint" b.err || { fail "$name" "nothing restored"; return 1; }
    "$BIN" savepoint dump sp > dump.$from || { fail "$name" "savepoint dump failed"; return 1; }
    return 0
}

name=state_rocksdb/savepoint_rocksdb_to_memory
if split_run rocksdb memory 1 $name; then
    ev=$(evictions a.err)
    if [ "$ev" -lt 500 ]; then
        fail $name "only $ev keys evicted in part one"
    else
        cp dump.rocksdb dump.from_rocksdb
        pass "$name ($ev keys evicted before the savepoint)"
    fi
fi

name=state_rocksdb/savepoint_memory_to_rocksdb_p4
if split_run memory rocksdb 4 $name; then
    ev=$(evictions b.err)
    if [ "$ev" -lt 500 ]; then
        fail $name "only $ev keys evicted in part two"
    elif [ -f dump.from_rocksdb ] && ! same_file "$name" dump.memory dump.from_rocksdb; then
        : # the savepoint written from memory and store must be the memory backend's, byte for byte
    else
        pass "$name ($ev keys evicted after the restore; savepoint dumps of both backends identical)"
    fi
fi

# a checkpoint with stored state (chk-N/store-w0/, a RocksDB checkpoint) restores into the memory
# backend at parallelism 2: killed after its 3rd checkpoint, then restarted until it finishes
name=state_rocksdb/checkpoint_rocksdb_to_memory_p2
rm -rf st_ck ck.*
PRT_CRASH_AT=ckpt-committed:3 IN='all/*.kv' OUT=ck STATE_DIR=st_ck BACKEND=rocksdb BUDGET=16KB "$BIN" run --quiet \
    --set checkpoint.interval=100ms 2> ck1.err
rc=$?
stored=$(ls -d st_ck/chk-*/store-w0 2>/dev/null | wc -l)
if [ $rc != 137 ] || [ "$stored" = 0 ]; then
    fail $name "first run exited $rc (expected a kill at the 3rd checkpoint), $stored checkpoints with a store copy"
elif ! IN='all/*.kv' OUT=ck STATE_DIR=st_ck BACKEND=memory "$BIN" run --quiet --set parallelism=2 \
    --set checkpoint.interval=100ms 2> ck2.err; then
    fail $name "restart failed: $(head -n 2 ck2.err | tr '\n' '|')"
else
    ok=1
    for o in $OUTS; do
        n=$(python3 "$ROOT/tests/runtime/same_results.py" k mem.$o.jsonl ck.$o.jsonl) || { fail $name "$o: $n"; ok=0; break; }
    done
    [ $ok = 1 ] && pass "$name (resumed from a checkpoint holding $stored store copies)"
fi

# larger than the budget: 200,000 keys, each in one open day window until the end of input
# (no checkpoint but the final one, after the windows fired: a checkpoint's operator file is
# encoded in memory, docs/state.md)
name=state_rocksdb/larger_than_budget
cat > big.yaml <<'EOF'
pipeline: big
schemas:
  ev: { k: string, v: int, ts: timestamp }
sources:
  events:
    file: { path: "${IN}" }
    format: kv
    schema: ev
    event_time: ts
stages:
  - id: by_k
    key_by: k
  - id: daily
    window: { tumbling: 1d }
    aggregate: { n: count(), total: sum(v), lo: min(v), hi: max(v), first: first(v), last: last(v) }
sinks:
  out: { from: daily, file: { path: "${OUT}" }, format: csv }
checkpoint:
  dir: "${STATE_DIR:-state}"
state:
  backend: "${BACKEND:-memory}"
  memory_budget: "${BUDGET:-64MB}"
EOF
# two records per key in a row, then never again until the windows fire at the end of input
awk 'BEGIN { for (i = 0; i < 400000; i++) printf "k=key-%07d,v=%d,ts=%d\n", int(i / 2), i, 1700000000000 + i }' > big.kv
if ! build_pipeline big.yaml "$TMP_ROOT/big" > big.build 2>&1; then
    fail $name "pipec build failed: $(head -n 2 big.build)"
else
    rss() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
    head -n 10 big.kv > tiny.kv
    /usr/bin/time -v env IN=tiny.kv OUT=tiny.csv STATE_DIR=st_tiny "$TMP_ROOT/big" run --quiet 2> tiny.time
    /usr/bin/time -v env IN=big.kv OUT=bigm.csv STATE_DIR=st_bm "$TMP_ROOT/big" run --quiet --set checkpoint.interval=1h 2> bigm.time
    rm -rf st_bm
    if ! /usr/bin/time -v env PRT_STATE_LOG=1 IN=big.kv OUT=bigr.csv STATE_DIR=st_br BACKEND=rocksdb BUDGET=4MB \
        "$TMP_ROOT/big" run --quiet --set checkpoint.interval=1h 2> bigr.time; then
        fail $name "rocksdb run failed: $(head -n 3 bigr.time | tr '\n' '|')"
    elif same_file $name bigm.csv bigr.csv; then
        base=$(rss tiny.time) m=$(rss bigm.time) r=$(rss bigr.time)
        state=$((m - base)) grown=$((r - base))
        # the state is several times the budget, and the rocksdb run grows by a fraction of it
        if [ "$state" -lt $((4 * 4096)) ]; then
            fail $name "the state (${state} KiB) is not several times the 4 MiB budget"
        elif [ $((grown * 3)) -gt "$state" ]; then
            fail $name "peak RSS grew ${grown} KiB with rocksdb, ${state} KiB with memory: not well below the state"
        else
            pass "$name (state ${state} KiB in memory; rocksdb with a 4 MiB budget: peak RSS +${grown} KiB; $(wc -l < bigr.csv) results identical)"
        fi
    fi
fi
