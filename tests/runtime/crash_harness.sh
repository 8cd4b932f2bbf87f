#!/bin/sh
# crash_harness.sh — kill -9 at random moments, restart until the input is done, compare.
#
# A seeded pipeline over a known input (file source, a filter feeding one file sink, a keyed
# tumbling window feeding another) runs once uninterrupted: the reference. Then, from an empty
# checkpoint.dir, it is started again and again; each run is killed with SIGKILL either after a
# random delay or at a named point of the checkpoint protocol (PRT_CRASH_AT: after the sinks
# prepared, after the snapshot, after the MANIFEST and before the commit, in the middle of a file
# commit, after the commit), until a run exits 0. After every kill, every visible output must be
# a prefix of the reference (no record taken back, none out of place).
#   crash/exactly_once         >= 20 kills; outputs byte for byte the reference; no staged file left
#   crash/exactly_once_rocksdb the same with state.backend rocksdb (fewer kills), identical bytes
#   crash/exactly_once_rocksdb_budget  rocksdb with a 16KB budget: most of the 500 keys live in
#                              the store, so checkpoints hold a RocksDB copy of it (chk-N/store-w0)
#   crash/exactly_once_sync    the same with checkpoints written on the job's thread
#                              (PRT_CKPT_SYNC; by default a forked child writes them)
#   crash/at_least_once        every reference record present at least as often (duplicates allowed)
# SEED (default 1) picks the delays and points; it is printed with each result.
. "$(dirname "$0")/lib.sh"
T=$TMP_ROOT
SEED=${SEED:-1}
[ -x "$PIPEC" ] || { skip crash/exactly_once "no $PIPEC (build first)"; exit 0; }

cat > "$T/p.yaml" <<'YAML'
pipeline: ckpt_crash
schemas:
  ev: { k: string, v: int, ts: timestamp }
sources:
  in:
    file: { path: "${IN}" }
    format: kv
    schema: ev
    event_time: ts
    watermark: { out_of_orderness: 2s }
stages:
  - id: odd
    filter: v % 3 != 0
  - id: by_k
    from: odd
    key_by: k
  - id: sums
    window: { tumbling: 10s }
    aggregate: { n: count(), total: sum(v), hi: max(v) }
sinks:
  rows:
    from: odd
    file: { path: "${OUT_ROWS}" }
    format: json
  sums:
    from: sums
    file: { path: "${OUT_SUMS}" }
    format: csv
checkpoint:
  interval: "${CK_INTERVAL:-20ms}"
  mode: "${CK_MODE:-exactly_once}"
  dir: "${STATE_DIR}"
  retain: 2
state:
  backend: "${BACKEND:-memory}"
  memory_budget: "${BUDGET:-64MB}"
YAML
BIN=$T/ckpt_crash
if ! build_pipeline "$T/p.yaml" "$BIN" > "$T/build.out" 2>&1; then
    fail crash/exactly_once "pipec build failed: $(head -n 3 "$T/build.out" | tr '\n' '|')"
    exit 0
fi
# 300k records, 500 keys, event time 7 ms apart with up to 1 s of disorder
awk 'BEGIN { for (i = 0; i < 300000; i++)
    printf "k=k%d,v=%d,ts=%.0f\n", (i * 31) % 500, i, 1700000000000 + i * 7 + ((i * 37) % 11) * 100 }' > "$T/in.kv"
export IN="$T/in.kv"

# reference: one uninterrupted run
mkdir -p "$T/ref"
if ! OUT_ROWS=$T/ref/rows.json OUT_SUMS=$T/ref/sums.csv STATE_DIR=$T/ref/state "$BIN" run --quiet 2> "$T/ref.err"; then
    fail crash/exactly_once "reference run failed: $(head -n 3 "$T/ref.err" | tr '\n' '|')"
    exit 0
fi

rnd() { awk -v s="$SEED" -v i="$1" -v m="$2" 'BEGIN { srand(s * 7919 + i); print int(rand() * m) }'; }
POINTS="ckpt-prepared ckpt-snapshot ckpt-complete file-commit-mid ckpt-committed"

# is_prefix FILE REF: FILE's bytes are the first bytes of REF (a missing FILE is empty)
is_prefix() {
    [ -f "$1" ] || return 0
    n=$(wc -c < "$1")
    cmp -s -n "$n" "$1" "$2"
}

# crash_runs NAME DIR MIN_KILLS CHECK_PREFIX: runs until one exits 0 with at least MIN_KILLS
# kills before it; sets KILLS, POINT_KILLS and RUNS; returns 1 after a FAIL line.
crash_runs() {
    name=$1 d=$2 min=$3 check=$4
    mkdir -p "$d"
    KILLS=0 POINT_KILLS=0 RUNS=0
    while :; do
        RUNS=$((RUNS + 1))
        if [ $RUNS -gt 400 ]; then fail "$name" "no completion after 400 runs (seed $SEED)"; return 1; fi
        crash=""
        if [ $KILLS -lt "$min" ]; then
            if [ $((RUNS % 3)) = 0 ]; then # a named point of the protocol
                set -- $POINTS
                shift "$(rnd "$RUNS" 5)"
                crash="$1:$(($(rnd "$((RUNS + 1000))" 3) + 1))"
            fi
        fi
        PRT_CRASH_AT=$crash OUT_ROWS=$d/rows.json OUT_SUMS=$d/sums.csv STATE_DIR=$d/state \
            "$BIN" run --quiet 2>> "$d/err" &
        pid=$!
        if [ $KILLS -lt "$min" ] && [ -z "$crash" ]; then
            ms=$(($(rnd "$((RUNS + 2000))" 400) + 5))
            sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
            kill -9 "$pid" 2>/dev/null
        fi
        wait "$pid"
        rc=$?
        if [ "$check" = 1 ]; then
            for f in rows.json sums.csv; do
                if ! is_prefix "$d/$f" "$T/ref/$f"; then
                    fail "$name" "after run $RUNS (exit $rc, crash '${crash}') $f is not a prefix of the reference (seed $SEED)"
                    return 1
                fi
            done
        fi
        case $rc in
        0) [ $KILLS -ge "$min" ] && return 0 ;;
        137) KILLS=$((KILLS + 1)); [ -n "$crash" ] && POINT_KILLS=$((POINT_KILLS + 1)) ;;
        *) fail "$name" "run $RUNS exited $rc: $(tail -n 3 "$d/err" | tr '\n' '|') (seed $SEED)"; return 1 ;;
        esac
        if [ $rc = 0 ]; then # finished before enough kills: start over from nothing
            rm -rf "$d/state" "$d/rows.json" "$d/sums.csv"
        fi
    done
}

# exactly_once: byte for byte
eo_check() {
    name=$1 d=$2
    for f in rows.json sums.csv; do
        same_file "$name" "$T/ref/$f" "$d/$f" || return 1
    done
    left=$(ls -A "$d" | grep pending)
    if [ -n "$left" ]; then fail "$name" "staged files left: $left"; return 1; fi
    nchk=$(ls "$d/state" | grep -c '^chk-')
    if [ "$nchk" -gt 2 ]; then fail "$name" "$nchk checkpoints kept, retain is 2"; return 1; fi
    return 0
}

if crash_runs crash/exactly_once "$T/eo" 20 1 && eo_check crash/exactly_once "$T/eo"; then
    pass "crash/exactly_once ($KILLS kills, $POINT_KILLS at named points, $RUNS runs, seed $SEED)"
fi

if BACKEND=rocksdb crash_runs crash/exactly_once_rocksdb "$T/eor" 6 1 && eo_check crash/exactly_once_rocksdb "$T/eor"; then
    pass "crash/exactly_once_rocksdb ($KILLS kills, $RUNS runs, seed $SEED)"
fi

# state larger than its budget: evicted keys, loaded back, the store copied into every checkpoint
if BACKEND=rocksdb BUDGET=16KB PRT_STATE_LOG=1 crash_runs crash/exactly_once_rocksdb_budget "$T/eorb" 8 1 &&
    eo_check crash/exactly_once_rocksdb_budget "$T/eorb"; then
    ev=$(sed -n 's/.*evictions [0-9]* (\([0-9]*\) keys).*/\1/p' "$T/eorb/err" | awk '{ n += $1 } END { print n + 0 }')
    if [ "$ev" -lt 1000 ]; then
        fail crash/exactly_once_rocksdb_budget "only $ev keys evicted over all runs: the budget did not bite"
    else
        pass "crash/exactly_once_rocksdb_budget ($KILLS kills, $POINT_KILLS at named points, $RUNS runs, $ev keys evicted, seed $SEED)"
    fi
fi

# the same with every checkpoint written on the job's thread (no background writer)
if PRT_CKPT_SYNC=1 crash_runs crash/exactly_once_sync "$T/eos" 8 1 && eo_check crash/exactly_once_sync "$T/eos"; then
    pass "crash/exactly_once_sync ($KILLS kills, $POINT_KILLS at named points, $RUNS runs, seed $SEED)"
fi

# at_least_once: a superset, nothing lost
if CK_MODE=at_least_once crash_runs crash/at_least_once "$T/alo" 8 0; then
    ok=1
    for f in rows.json sums.csv; do
        missing=$(sort "$T/ref/$f" | uniq -c | awk '{ c = $1; $1 = ""; print substr($0, 2) "\t" c }' > "$T/want.c"
                  sort "$T/alo/$f" | uniq -c | awk '{ c = $1; $1 = ""; print substr($0, 2) "\t" c }' > "$T/got.c"
                  awk -F '\t' 'NR == FNR { got[$1] = $2; next } (got[$1] + 0) < $2 { n++ } END { print n + 0 }' "$T/got.c" "$T/want.c")
        if [ "$missing" != 0 ]; then
            fail crash/at_least_once "$f: $missing reference record(s) missing after $KILLS kills (seed $SEED)"
            ok=0
            break
        fi
    done
    [ $ok = 1 ] && pass "crash/at_least_once ($KILLS kills, $(($(cat "$T/alo/rows.json" "$T/alo/sums.csv" | wc -l) - $(cat "$T/ref/rows.json" "$T/ref/sums.csv" | wc -l))) duplicates, seed $SEED)"
fi
