#!/bin/sh
# pg_outage.sh — the PostgreSQL server goes away while a job writes to it (exactly_once; a
# generator at 2000 records/s with a fixed start, so every run makes the same records).
#   pg/outage_fails     the server stops (immediate shutdown) for longer than retry_timeout (2s):
#                       the job says it lost the connection, retries with backoff (100 ms
#                       doubling: 5 to 7 attempts in 2 s), then stops with exit 1 and one line;
#                       after the server is back a restart finishes the job, and the table holds
#                       every record exactly once (equal to an uninterrupted run's)
#   pg/outage_recovers  the server is down for about 1.5 s within retry_timeout (20s): the job
#                       reconnects, sends the uncommitted rows again, finishes with exit 0, and
#                       the table equals the uninterrupted run's
. "$(dirname "$0")/lib.sh"
T=$TMP_ROOT
[ -x "$PIPEC" ] || { skip pg/outage_fails "no $PIPEC (build first)"; exit 0; }
need_pg pg/outage_fails

sql() { psql "$1" -XAtq -v ON_ERROR_STOP=1 -c "$2"; }
dump() { sql "$1" "select customer, status, region, amount, ts from orders order by ts, customer, status, region, amount"; }

cat > "$T/p.yaml" <<'YAML'
pipeline: pg_outage
sources:
  orders:
    generator: { kind: orders, rate: "${RATE:-2000}", count: 8000, seed: 7, start: "2024-01-01T00:00:00Z", step: 1ms }
    format: kv
sinks:
  out:
    postgres:
      dsn: ${PG_DSN}
      table: orders
      create_table: true
      retry_timeout: ${RETRY:-2s}
checkpoint:
  interval: 100ms
  mode: exactly_once
  dir: ${STATE_DIR}
YAML
BIN=$T/pg_outage
if ! build_pipeline "$T/p.yaml" "$BIN" > "$T/build.out" 2>&1; then
    fail pg/outage_fails "pipec build failed: $(head -n 3 "$T/build.out" | tr '\n' '|')"
    exit 0
fi
REF=$(pg_db pg_outage_ref)
if ! PG_DSN=$REF RATE=unlimited STATE_DIR=$T/ref "$BIN" run --quiet 2> "$T/ref.err"; then
    fail pg/outage_fails "reference run failed: $(tr '\n' '|' < "$T/ref.err")"
    exit 0
fi
dump "$REF" > "$T/ref.rows"
[ "$(wc -l < "$T/ref.rows")" = 8000 ] || { fail pg/outage_fails "the reference has $(wc -l < "$T/ref.rows") rows"; exit 0; }
PORT=$(sed 's/.*port=\([0-9]*\).*/\1/' "$PG_DIR/dsn")

# ---------------------------------------------------------------- longer than retry_timeout
DSN=$(pg_db pg_outage_a)
PG_DSN=$DSN STATE_DIR=$T/a "$BIN" run --quiet 2> "$T/a.err" &
pid=$!
sleep 1.5
pg_down
wait $pid
rc=$?
pg_up
before=$(sql "$DSN" "select count(*) from orders")
# the lines, with the measured time and the attempts made into words; the runtime adds one line
# of its own when the outage hit a checkpoint's prepare or commit rather than a flush
sed -e 's/unreachable for \([0-9]*\) ms (\([0-9]*\) attempts)/unreachable for MS ms (N attempts)/' \
    -e 's/lost the connection to PostgreSQL (.*); reconnecting/lost the connection to PostgreSQL (WHY); reconnecting/' \
    -e '/^pg_outage: checkpoint [0-9]* failed: sink out could not prepare it; stopping (checkpoint [0-9]* in .* is kept)$/d' \
    -e '/^pg_outage: checkpoint [0-9]* is complete but sink out could not commit it; stopping (a restart resumes from the last checkpoint it committed)$/d' \
    "$T/a.err" > "$T/a.lines"
cat > "$T/a.want" <<EOF
pg_outage: sink out: created table orders
pg_outage: sink out: lost the connection to PostgreSQL (WHY); reconnecting for up to 2000 ms
pg_outage: sink out: PostgreSQL unreachable for MS ms (N attempts): cannot connect to PostgreSQL: connection to server at "127.0.0.1", port $PORT failed: Connection refused; stopping (a restart resumes from the last committed checkpoint)
EOF
ms=$(sed -n 's/.*unreachable for \([0-9]*\) ms (\([0-9]*\) attempts).*/\1/p' "$T/a.err")
n=$(sed -n 's/.*unreachable for \([0-9]*\) ms (\([0-9]*\) attempts).*/\2/p' "$T/a.err")
if [ $rc != 1 ]; then
    fail pg/outage_fails "the job exited $rc, not 1: $(tr '\n' '|' < "$T/a.err")"
elif ! cmp -s "$T/a.want" "$T/a.lines"; then
    fail pg/outage_fails "its lines differ: $(diff "$T/a.want" "$T/a.lines" | tr '\n' '|')"
elif [ "$ms" -lt 2000 ] || [ "$ms" -gt 4000 ] || [ "$n" -lt 4 ] || [ "$n" -gt 8 ]; then
    # 100 ms doubling makes 5 to 7 attempts in 2 s; the bounds leave room for a loaded machine
    fail pg/outage_fails "gave up after $ms ms and $n attempts (want 2000-4000 ms, 4-8 attempts of the backoff)"
elif ! PG_DSN=$DSN RATE=unlimited STATE_DIR=$T/a "$BIN" run --quiet 2> "$T/a2.err"; then
    fail pg/outage_fails "the restart failed: $(tr '\n' '|' < "$T/a2.err")"
else
    dump "$DSN" > "$T/a.rows"
    same_file pg/outage_fails "$T/ref.rows" "$T/a.rows" &&
        pass "pg/outage_fails ($before rows committed before the outage, gave up after $ms ms and $n attempts)"
fi

# ---------------------------------------------------------------- within retry_timeout
DSN=$(pg_db pg_outage_b)
PG_DSN=$DSN RETRY=20s STATE_DIR=$T/b "$BIN" run --quiet 2> "$T/b.err" &
pid=$!
sleep 1.2
pg_down
sleep 1.5
pg_up
wait $pid
rc=$?
lost=$(grep -c 'lost the connection to PostgreSQL (.*); reconnecting for up to 20000 ms' "$T/b.err")
back=$(grep -c 'sink out: reconnected to PostgreSQL after [0-9]* attempt(s)$' "$T/b.err")
other=$(grep -v -e 'created table orders$' -e 'lost the connection' -e 'reconnected to PostgreSQL' "$T/b.err")
dump "$DSN" > "$T/b.rows"
if [ $rc != 0 ]; then
    fail pg/outage_recovers "the job exited $rc: $(tr '\n' '|' < "$T/b.err")"
elif [ "$lost" != 1 ] || [ "$back" != 1 ] || [ -n "$other" ]; then
    fail pg/outage_recovers "want one 'lost' and one 'reconnected' line, got: $(tr '\n' '|' < "$T/b.err")"
elif same_file pg/outage_recovers "$T/ref.rows" "$T/b.rows"; then
    pass "pg/outage_recovers ($(sed -n 's/.*reconnected to PostgreSQL after \([0-9]*\) attempt.*/\1/p' "$T/b.err") attempts)"
fi
