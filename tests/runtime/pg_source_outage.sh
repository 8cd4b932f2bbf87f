#!/bin/sh
# pg_source_outage.sh — the PostgreSQL server goes away while a postgres source reads a query
# (tests/runtime/pg_source/outage.yaml: FETCHes of 20 rows, ORDER BY the primary key). The
# reads are slowed on the server (a WHERE clause that sleeps 2 ms a row, evaluated row by row
# as the index scan goes), so the job is still reading when the test stops the server; the test
# waits on what it can observe (rows in the output, the "lost" line) rather than fixed times.
#   pg_source/outage_recovers   the server is down for about 1.5 s (retry_timeout 20s): the
#                               source says it lost the connection, reconnects, skips the rows
#                               it delivered, and the output equals an uninterrupted run's: every
#                               row once, in order
#   pg_source/outage_fails      the server stays down longer than retry_timeout (2s): exit 1 with
#                               one line after the backoff's attempts; the output holds exactly
#                               the rows delivered before, each once
#   pg_source/refused_at_start  a server that is down when the job starts: exit 1 at once with the
#                               connection error (retry_timeout covers a connection lost later)
. "$(dirname "$0")/lib.sh"
[ -x "$PIPEC" ] || { skip pg_source/outage_recovers "no $PIPEC (build first)"; exit 0; }
need_pg pg_source/outage_recovers
D="$ROOT/tests/runtime/pg_source"
cd "$TMP_ROOT" || exit 1
PG_DSN=$(pg_db pg_source_outage) || { fail pg_source/outage_recovers "cannot create the database"; exit 0; }
export PG_DSN
sql() { PGOPTIONS="-c client_min_messages=warning" psql "$PG_DSN" -XAtq -v ON_ERROR_STOP=1 "$@"; }
PORT=$(sed 's/.*port=\([0-9]*\).*/\1/' "$PG_DIR/dsn")
N=3000

build_pipeline "$D/outage.yaml" ./outage || { fail pg_source/outage_recovers "pipec build failed"; exit 0; }
# enable_sort off for the database: the ordered query is an index scan, which evaluates the
# sleeping WHERE clause row by row as the cursor advances (a sort would run it all at the first FETCH)
sql << SQL || { fail pg_source/outage_recovers "cannot create the table"; exit 0; }
CREATE TABLE t (id integer PRIMARY KEY, v text NOT NULL);
INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, $N) g;
CREATE FUNCTION slow() RETURNS boolean LANGUAGE sql VOLATILE AS 'SELECT pg_sleep(0.002) IS NOT NULL';
ALTER DATABASE pg_source_outage SET enable_sort = off;
SQL
SLOW="SELECT id, v FROM t WHERE slow() ORDER BY id"
plan=$(sql -c "EXPLAIN $SLOW")
case $plan in
*Sort*) fail pg_source/outage_recovers "the slow query's plan sorts: $(echo "$plan" | tr '\n' '|')"; exit 0 ;;
esac

# the uninterrupted run (the same rows, without the sleeps)
OUT=ref.jsonl ./outage run --quiet 2> ref.err ||
    { fail pg_source/outage_recovers "the reference run failed: $(tr '\n' '|' < ref.err)"; exit 0; }
[ "$(wc -l < ref.jsonl)" = $N ] || { fail pg_source/outage_recovers "the reference has $(wc -l < ref.jsonl) rows"; exit 0; }

# wait_until SECONDS COMMAND…: polls COMMAND every 50 ms; 1 when it never succeeded
wait_until() {
    limit=$(($1 * 20)); shift
    i=0
    until "$@"; do
        i=$((i + 1))
        [ $i -lt $limit ] || return 1
        sleep 0.05
    done
}
has_rows() { [ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ]; }
alive() { kill -0 "$1" 2> /dev/null; }
dead() { ! alive "$1"; }
started_reading() { has_rows "$1" 100 || ! alive "$2"; } # rows came, or the job ended (too early)
lost() { grep -q 'lost the connection to PostgreSQL' "$1" || ! alive "$2"; }
# the job's stderr with the reason, times, attempts and row counts made words
normalize() {
    sed -e 's/lost the connection to PostgreSQL (.*); reconnecting/lost the connection to PostgreSQL (WHY); reconnecting/' \
        -e 's/after [0-9]* attempt(s); skipped the [0-9]* rows/after N attempt(s); skipped the R rows/' \
        -e 's/unreachable for [0-9]* ms ([0-9]* attempts)/unreachable for MS ms (N attempts)/' \
        -e 's/; stopping after [0-9]* rows/; stopping after R rows/' "$1"
}

# ---------------------------------------------------------------- within retry_timeout
OUT=rec.jsonl QUERY=$SLOW RETRY=20s ./outage run --quiet 2> rec.err &
pid=$!
PIDS="$PIDS $pid"
if ! wait_until 60 started_reading rec.jsonl $pid || ! alive $pid; then
    fail pg_source/outage_recovers "the job was not reading when the server was to stop: $(tr '\n' '|' < rec.err)"
else
    pg_down
    wait_until 60 lost rec.err $pid
    sleep 1.5 # the outage: the source's reconnect attempts are refused meanwhile
    pg_up
fi
wait $pid
rc=$?
PIDS=""
normalize rec.err > rec.lines
cat > rec.want << 'EOF'
pg_src_outage: source rows: lost the connection to PostgreSQL (WHY); reconnecting for up to 20000 ms
pg_src_outage: source rows: reconnected to PostgreSQL after N attempt(s); skipped the R rows already delivered
EOF
skipped=$(sed -n 's/.*skipped the \([0-9]*\) rows already delivered$/\1/p' rec.err)
attempts=$(sed -n 's/.*reconnected to PostgreSQL after \([0-9]*\) attempt(s).*/\1/p' rec.err)
if [ $rc -ne 0 ]; then
    fail pg_source/outage_recovers "the job exited $rc: $(tr '\n' '|' < rec.err)"
elif ! cmp -s rec.want rec.lines; then
    fail pg_source/outage_recovers "its lines differ: $(diff rec.want rec.lines | tr '\n' '|')"
elif [ "$skipped" -lt 100 ] || [ "$skipped" -ge $N ] || [ "$attempts" -lt 2 ]; then
    fail pg_source/outage_recovers "the outage was not mid-read: $skipped rows before it, $attempts attempts"
elif same_file pg_source/outage_recovers ref.jsonl rec.jsonl; then
    pass "pg_source/outage_recovers (lost after $skipped rows, back after $attempts attempts)"
fi

# ---------------------------------------------------------------- longer than retry_timeout
OUT=fails.jsonl QUERY=$SLOW RETRY=2s ./outage run --quiet 2> fails.err &
pid=$!
PIDS="$PIDS $pid"
if ! wait_until 60 started_reading fails.jsonl $pid || ! alive $pid; then
    fail pg_source/outage_fails "the job was not reading when the server was to stop: $(tr '\n' '|' < fails.err)"
    wait $pid
    PIDS=""
else
    pg_down
    # the job must give up by itself (about 2 s); still running after 60 s, it hangs
    wait_until 60 dead $pid || kill $pid 2> /dev/null
    wait $pid
    rc=$?
    PIDS=""
    normalize fails.err > fails.lines
    cat > fails.want << EOF
pg_src_outage: source rows: lost the connection to PostgreSQL (WHY); reconnecting for up to 2000 ms
pg_src_outage: source rows: PostgreSQL unreachable for MS ms (N attempts): cannot connect to PostgreSQL: connection to server at "127.0.0.1", port $PORT failed: Connection refused; stopping after R rows (a rerun reads the query again, from the last checkpoint if there is one)
EOF
    ms=$(sed -n 's/.*unreachable for \([0-9]*\) ms (\([0-9]*\) attempts).*/\1/p' fails.err)
    n=$(sed -n 's/.*unreachable for \([0-9]*\) ms (\([0-9]*\) attempts).*/\2/p' fails.err)
    rows=$(sed -n 's/.*; stopping after \([0-9]*\) rows.*/\1/p' fails.err)
    head -n "${rows:-0}" ref.jsonl > fails.ref
    if [ $rc -ne 1 ]; then
        fail pg_source/outage_fails "the job exited $rc, not 1: $(tr '\n' '|' < fails.err)"
    elif ! cmp -s fails.want fails.lines; then
        fail pg_source/outage_fails "its lines differ: $(diff fails.want fails.lines | tr '\n' '|')"
    elif [ "$ms" -lt 2000 ] || [ "$ms" -gt 6000 ] || [ "$n" -lt 3 ] || [ "$n" -gt 8 ]; then
        # 100 ms doubling makes 5 to 7 attempts in 2 s; the bounds leave room for a loaded machine
        fail pg_source/outage_fails "gave up after $ms ms and $n attempts (want 2000-6000 ms, 3-8 attempts of the backoff)"
    elif [ "$rows" -lt 100 ] || [ "$rows" -ge $N ]; then
        fail pg_source/outage_fails "the outage was not mid-read: $rows rows before it"
    elif same_file pg_source/outage_fails fails.ref fails.jsonl; then
        pass "pg_source/outage_fails (gave up after $ms ms and $n attempts, $rows rows delivered once)"
    fi

    # ------------------------------------------------------------ down at start: not retried
    start=$(date +%s)
    OUT=start.jsonl RETRY=20s ./outage run --quiet 2> start.err
    rc=$?
    took=$(($(date +%s) - start))
    want="pg_src_outage: source rows: cannot connect to PostgreSQL: connection to server at \"127.0.0.1\", port $PORT failed: Connection refused"
    if [ $rc -ne 1 ] || ! grep -qxF "$want" start.err; then
        fail pg_source/refused_at_start "exit $rc: $(tr '\n' '|' < start.err)"
    elif [ $took -gt 10 ]; then
        fail pg_source/refused_at_start "it took $took s: retried instead of failing at once"
    elif [ -s start.jsonl ]; then
        fail pg_source/refused_at_start "it wrote rows"
    else
        pass pg_source/refused_at_start
    fi
    pg_up
fi
