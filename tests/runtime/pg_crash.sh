#!/bin/sh
# pg_crash.sh — the crash harness with a PostgreSQL sink (real server, tests/pg/server.sh).
#
# A seeded pipeline over a known input (file source; a filter feeding a postgres sink, a keyed
# tumbling window feeding a file sink) runs once uninterrupted into its own database: the
# reference. Then, into a fresh database and an empty checkpoint.dir, it is started again and
# again; each run is killed with SIGKILL after a random delay or at a named point (after the sinks
# prepared, after the snapshot, after the MANIFEST and before the commit, right after the sink
# sent COMMIT to the server and before its answer, in the middle of the file sink's commit, after
# the commit), until a run exits 0. After every kill the table holds a prefix of the reference's
# rows, each once, and the file a prefix of its bytes.
#   pg/crash_exactly_once    >= 20 kills, each of the 6 named points at least once; the table equals the reference's row for row, each row
#                            once; the file sink byte for byte; the marker names the final checkpoint
#   pg/crash_upsert_at_least_once  mode upsert under at_least_once (>= 6 kills): rows are written
#                            again after a restart, and the table still equals the reference
# SEED (default 1) picks the delays and points; it is printed with each result.
. "$(dirname "$0")/lib.sh"
T=$TMP_ROOT
SEED=${SEED:-1}
[ -x "$PIPEC" ] || { skip pg/crash_exactly_once "no $PIPEC (build first)"; exit 0; }
need_pg pg/crash_exactly_once

sql() { psql "$1" -XAtq -v ON_ERROR_STOP=1 -c "$2"; }

cat > "$T/p.yaml" <<'YAML'
pipeline: pg_crash
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
    postgres:
      dsn: ${PG_DSN}
      table: out_rows
      batch_rows: 5000
  sums:
    from: sums
    file: { path: "${OUT_SUMS}" }
    format: csv
checkpoint:
  interval: "${CK_INTERVAL:-20ms}"
  mode: "${CK_MODE:-exactly_once}"
  dir: "${STATE_DIR}"
YAML
# the upsert variant: the last record per key k, under at_least_once
sed -e 's/pipeline: pg_crash/pipeline: pg_crash_up/' -e 's/table: out_rows/table: latest\n      mode: upsert\n      key: [k]/' \
    "$T/p.yaml" > "$T/up.yaml"
BIN=$T/pg_crash
if ! build_pipeline "$T/p.yaml" "$BIN" > "$T/build.out" 2>&1 || ! build_pipeline "$T/up.yaml" "$T/pg_crash_up" > "$T/build.out" 2>&1; then
    fail pg/crash_exactly_once "pipec build failed: $(head -n 3 "$T/build.out" | tr '\n' '|')"
    exit 0
fi
# 100k records, 500 keys, event time 7 ms apart with up to 1 s of disorder
awk 'BEGIN { for (i = 0; i < 100000; i++)
    printf "k=k%d,v=%d,ts=%.0f\n", (i * 31) % 500, i, 1700000000000 + i * 7 + ((i * 37) % 11) * 100 }' > "$T/in.kv"
export IN="$T/in.kv"

new_db() { # NAME TABLE-DDL: a fresh database with the table; prints its DSN
    dsn=$(pg_db "$1") && sql "$dsn" "$2" && echo "$dsn"
}
ROWS_DDL="create table out_rows (k text not null, v bigint not null, ts timestamptz not null)"
UP_DDL="create table latest (k text primary key, v bigint not null, ts timestamptz not null)"
dump_rows() { sql "$1" "select k, v, ts from out_rows order by v"; }
dump_latest() { sql "$1" "select k, v, ts from latest order by k"; }

# reference: one uninterrupted run of each
mkdir -p "$T/ref" "$T/refup"
REF_DSN=$(new_db pg_crash_ref "$ROWS_DDL") || { fail pg/crash_exactly_once "cannot create the reference database"; exit 0; }
if ! PG_DSN=$REF_DSN OUT_SUMS=$T/ref/sums.csv STATE_DIR=$T/ref/state "$BIN" run --quiet 2> "$T/ref.err"; then
    fail pg/crash_exactly_once "reference run failed: $(head -n 3 "$T/ref.err" | tr '\n' '|')"
    exit 0
fi
dump_rows "$REF_DSN" > "$T/ref/rows"
REFUP_DSN=$(new_db pg_crash_refup "$UP_DDL") || { fail pg/crash_upsert_at_least_once "cannot create its database"; exit 0; }
if ! PG_DSN=$REFUP_DSN CK_MODE=at_least_once OUT_SUMS=$T/refup/sums.csv STATE_DIR=$T/refup/state \
    "$T/pg_crash_up" run --quiet 2> "$T/refup.err"; then
    fail pg/crash_upsert_at_least_once "reference run failed: $(head -n 3 "$T/refup.err" | tr '\n' '|')"
    exit 0
fi
dump_latest "$REFUP_DSN" > "$T/refup/latest"

rnd() { awk -v s="$SEED" -v i="$1" -v m="$2" 'BEGIN { srand(s * 7919 + i); print int(rand() * m) }'; }
POINTS="ckpt-prepared ckpt-snapshot ckpt-complete pg-commit-sent file-commit-mid ckpt-committed"

is_prefix() { # FILE REF: FILE's bytes are the first bytes of REF (a missing FILE is empty)
    [ -f "$1" ] || return 0
    n=$(wc -c < "$1")
    cmp -s -n "$n" "$1" "$2"
}

# crash_runs NAME BIN DSN DIR MIN_KILLS CHECK [POINTS]: runs until one exits 0 with at least
# MIN_KILLS kills before it, POINTS of them at named points (every third run aims at the next
# point in turn); sets KILLS, POINT_KILLS, RUNS; returns 1 after a FAIL line. CHECK=1: after
# every run the table and the file are prefixes of the reference's, without duplicates.
crash_runs() {
    name=$1 bin=$2 dsn=$3 d=$4 min=$5 check=$6 points=${7:-0}
    mkdir -p "$d"
    KILLS=0 POINT_KILLS=0 RUNS=0 HIT=""
    while :; do
        RUNS=$((RUNS + 1))
        if [ $RUNS -gt 300 ]; then fail "$name" "no completion after 300 runs (seed $SEED)"; return 1; fi
        crash=""
        if [ $((RUNS % 3)) = 0 ] && { [ $KILLS -lt "$min" ] || [ $POINT_KILLS -lt "$points" ]; }; then # the named points in turn
            set -- $POINTS
            shift $((POINT_KILLS % 6))
            crash="$1:$(($(rnd "$((RUNS + 1000))" 3) + 1))"
        fi
        PRT_CRASH_AT=$crash PG_DSN=$dsn OUT_SUMS=$d/sums.csv STATE_DIR=$d/state "$bin" run --quiet 2>> "$d/err" &
        pid=$!
        if { [ $KILLS -lt "$min" ] || [ $POINT_KILLS -lt "$points" ]; } && [ -z "$crash" ]; then
            ms=$(($(rnd "$((RUNS + 2000))" 400) + 5))
            sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
            kill -9 "$pid" 2>/dev/null
        fi
        wait "$pid"
        rc=$?
        if [ "$check" = 1 ]; then
            dump_rows "$dsn" > "$d/rows"
            if ! is_prefix "$d/rows" "$T/ref/rows"; then
                fail "$name" "after run $RUNS (exit $rc, crash '${crash}') the table is not a prefix of the reference's (seed $SEED): $(diff "$T/ref/rows" "$d/rows" | head -n 4 | tr '\n' '|')"
                return 1
            fi
            if ! is_prefix "$d/sums.csv" "$T/ref/sums.csv"; then
                fail "$name" "after run $RUNS (exit $rc, crash '${crash}') sums.csv is not a prefix of the reference (seed $SEED)"
                return 1
            fi
        fi
        case $rc in
        0) [ $KILLS -ge "$min" ] && [ $POINT_KILLS -ge "$points" ] && return 0 ;;
        137) KILLS=$((KILLS + 1)); [ -n "$crash" ] && POINT_KILLS=$((POINT_KILLS + 1)) && HIT="$HIT ${crash%:*}" ;;
        *) fail "$name" "run $RUNS exited $rc: $(tail -n 3 "$d/err" | tr '\n' '|') (seed $SEED)"; return 1 ;;
        esac
        if [ $rc = 0 ]; then # finished before enough kills: start over from nothing
            rm -rf "$d/state" "$d/sums.csv"
            sql "$dsn" "truncate out_rows; delete from pipec_commits" 2>/dev/null
            sql "$dsn" "truncate latest" 2>/dev/null
        fi
    done
}

EO_DSN=$(new_db pg_crash_eo "$ROWS_DDL") || { fail pg/crash_exactly_once "cannot create its database"; exit 0; }
if crash_runs pg/crash_exactly_once "$BIN" "$EO_DSN" "$T/eo" 20 1 6; then
    dump_rows "$EO_DSN" > "$T/eo/rows"
    last=$(ls "$T/eo/state" | sed -n 's/^chk-//p' | sort -n | tail -n 1)
    marker=$(sql "$EO_DSN" "select checkpoint from pipec_commits where pipeline = 'pg_crash' and sink = 'rows'")
    dups=$(sql "$EO_DSN" "select count(*) - count(distinct v) from out_rows")
    if same_file pg/crash_exactly_once "$T/ref/rows" "$T/eo/rows" &&
        same_file pg/crash_exactly_once "$T/ref/sums.csv" "$T/eo/sums.csv"; then
        if [ "$dups" != 0 ]; then
            fail pg/crash_exactly_once "$dups duplicate rows"
        elif [ "$marker" != "$last" ]; then
            fail pg/crash_exactly_once "the marker names checkpoint $marker, the newest is $last"
        else
            pass "pg/crash_exactly_once ($KILLS kills, $POINT_KILLS at named points:$HIT; $RUNS runs, $(wc -l < "$T/eo/rows") rows, seed $SEED)"
        fi
    fi
fi

UP_DSN=$(new_db pg_crash_up "$UP_DDL") || { fail pg/crash_upsert_at_least_once "cannot create its database"; exit 0; }
if CK_MODE=at_least_once crash_runs pg/crash_upsert_at_least_once "$T/pg_crash_up" "$UP_DSN" "$T/up" 6 0; then
    dump_latest "$UP_DSN" > "$T/up/latest"
    if same_file pg/crash_upsert_at_least_once "$T/refup/latest" "$T/up/latest"; then
        pass "pg/crash_upsert_at_least_once ($KILLS kills, $RUNS runs, $(wc -l < "$T/up/latest") keys, seed $SEED)"
    fi
fi
