#!/bin/sh
# pg_source.sh — the postgres source against a real server (tests/pg/server.sh): exact records
# from a bounded query read in several FETCHes (every pipec type, a NULL taking the default); a
# column whose type does not match the schema, and a missing column, fail before the first row
# naming the column and both types; a table far larger than the job's memory streams through
# with a small peak RSS; and seed 000's bootstrap with the history in a table: a savepoint
# written at the end of the query, then the streaming job continuing from it.
. "$(dirname "$0")/lib.sh"
[ -x "$PIPEC" ] || { skip pg_source/all "no $PIPEC (build first)"; exit 0; }
need_pg pg_source/all
D="$ROOT/tests/runtime/pg_source"
cd "$TMP_ROOT" || exit 1
PG_DSN=$(pg_db pg_source) || { fail pg_source/setup "cannot create the database"; exit 0; }
export PG_DSN
sql() { PGOPTIONS="-c client_min_messages=warning" psql "$PG_DSN" -XAtq -v ON_ERROR_STOP=1 "$@"; }

build_pipeline "$D/orders.yaml" orders || { fail pg_source/build "pipec build failed"; exit 0; }
sql << 'SQL' || { fail pg_source/setup "cannot create the table"; exit 0; }
CREATE TABLE orders (id integer PRIMARY KEY, customer varchar(20) NOT NULL, amount numeric(10,2),
                     paid boolean, ts timestamptz, note text);
INSERT INTO orders VALUES
  (1, 'ann',  12.50, true,  '2024-05-20 09:00:00+00', 'first'),
  (2, 'bob',   7,    false, '2024-05-20 11:00:00.25+02', NULL),
  (3, 'c"q',   0.10, true,  '2024-05-21 00:00:00+00', 'tab	and, comma'),
  (4, 'dee', 100,    false, '2024-05-22 23:59:59.999+00', ''),
  (5, 'eve',   3.25, true,  '2024-05-23 12:34:56+00', 'last');
SQL

# --- exact records, in three FETCHes of 2 rows
./orders run --quiet 2> run.err
rc=$?
cat > want.jsonl << 'JSON'
{"id":1,"customer":"ann","amount":12.5,"paid":true,"ts":"2024-05-20T09:00:00Z","note":"first"}
{"id":2,"customer":"bob","amount":7.0,"paid":false,"ts":"2024-05-20T09:00:00.250Z","note":"-"}
{"id":3,"customer":"c\"q","amount":0.1,"paid":true,"ts":"2024-05-21T00:00:00Z","note":"tab\tand, comma"}
{"id":4,"customer":"dee","amount":100.0,"paid":false,"ts":"2024-05-22T23:59:59.999Z","note":""}
{"id":5,"customer":"eve","amount":3.25,"paid":true,"ts":"2024-05-23T12:34:56Z","note":"last"}
JSON
if [ $rc -ne 0 ]; then fail pg_source/records "exit $rc: $(head -n 3 run.err | tr '\n' '|')"
elif same_file pg_source/records want.jsonl out.jsonl; then pass pg_source/records; fi

# --- a savepoint at the end of the query records the rows delivered; restored, the source skips
# them (MOVE) and delivers only the rows added since (the query is ordered by a unique key)
OUT=first.jsonl ./orders run --quiet --savepoint-on-exit sp-orders 2> first.err ||
    fail pg_source/resume "first run: $(head -n 3 first.err | tr '\n' '|')"
sql -c "INSERT INTO orders VALUES (6, 'fay', 1.5, true, '2024-05-24 00:00:00+00', 'new'), (7, 'gus', 2, false, '2024-05-24 00:00:01+00', NULL)"
OUT=resumed.jsonl ./orders run --from-savepoint sp-orders 2> resumed.err
rc=$?
cat > want_resumed.jsonl << 'JSON'
{"id":6,"customer":"fay","amount":1.5,"paid":true,"ts":"2024-05-24T00:00:00Z","note":"new"}
{"id":7,"customer":"gus","amount":2.0,"paid":false,"ts":"2024-05-24T00:00:01Z","note":"-"}
JSON
if [ $rc -ne 0 ]; then fail pg_source/resume "exit $rc: $(head -n 3 resumed.err | tr '\n' '|')"
elif ! grep -q "source orders: resumes from the savepoint position" resumed.err; then
    fail pg_source/resume "no resume reported: $(head -n 3 resumed.err | tr '\n' '|')"
elif same_file pg_source/resume want_resumed.jsonl resumed.jsonl; then pass pg_source/resume; fi

# --- a column of another type, then a missing column: exit 1 before the first row
OUT=mismatch.jsonl QUERY="SELECT id, customer, amount, paid, ts::text AS ts, note FROM orders ORDER BY id" \
    ./orders run --quiet 2> mismatch.err
rc=$?
want="pg_orders: source orders: column 'ts' is text in the query, but the schema says timestamp"
if [ $rc -eq 1 ] && grep -qxF "$want" mismatch.err && [ ! -s mismatch.jsonl ]; then pass pg_source/type-mismatch
else fail pg_source/type-mismatch "exit $rc: $(head -n 3 mismatch.err | tr '\n' '|')"; fi
OUT=missing.jsonl QUERY="SELECT id, customer, amount, paid, ts FROM orders" ./orders run --quiet 2> missing.err
rc=$?
want="pg_orders: source orders: the query has no column 'note' (the schema's field note string)"
if [ $rc -eq 1 ] && grep -qxF "$want" missing.err && [ ! -s missing.jsonl ]; then pass pg_source/missing-column
else fail pg_source/missing-column "exit $rc: $(head -n 3 missing.err | tr '\n' '|')"; fi
OUT=bad.jsonl QUERY="SELECT nope FROM orders" ./orders run --quiet 2> bad.err
rc=$?
if [ $rc -eq 1 ] && grep -qF 'source orders: the query failed: column "nope" does not exist' bad.err; then pass pg_source/bad-query
else fail pg_source/bad-query "exit $rc: $(head -n 3 bad.err | tr '\n' '|')"; fi

# --- a table much larger than the job's memory: the cursor keeps one batch at a time
if [ -x /usr/bin/time ]; then
    build_pipeline "$D/big.yaml" big || { fail pg_source/build-big "pipec build failed"; exit 0; }
    ROWS=${PG_BIG_ROWS:-400000}
    sql -c "CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 8) AS pad FROM generate_series(1, $ROWS) g" ||
        { fail pg_source/big "cannot create the table"; exit 0; }
    size=$(sql -c "SELECT pg_total_relation_size('big')")
    /usr/bin/time -v ./big run --quiet 2> big.err
    rc=$?
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' big.err)
    seq 100000 100000 "$ROWS" | sed 's/.*/{"id":&}/' > want_big.jsonl
    limit=$((16 * 1024)) # KiB: a few batches of 1000 rows, far below the table
    if [ $rc -ne 0 ]; then fail pg_source/big "exit $rc: $(head -n 3 big.err | tr '\n' '|')"
    elif ! same_file pg_source/big want_big.jsonl big.jsonl; then :
    elif [ -z "$rss" ] || [ "$rss" -gt $limit ]; then fail pg_source/big "peak RSS ${rss:-?} KiB > $limit KiB"
    else pass "pg_source/big ($ROWS rows, table $((size / 1048576)) MiB, peak RSS $((rss / 1024)) MiB)"; fi
else
    skip pg_source/big "no /usr/bin/time (Debian package time)"
fi

# --- seed 000: history from a table into a savepoint, then streaming from it
P=$ROOT/pipelines/bootstrap
build_pipeline "$P/history_pg.yaml" history || { fail pg_source/bootstrap "history_pg does not build"; exit 0; }
build_pipeline "$P/customer_totals.yaml" totals || { fail pg_source/bootstrap "customer_totals does not build"; exit 0; }
sql -c "DROP TABLE orders" -c "CREATE TABLE orders (customer text, status text, region text, amount numeric, ts timestamptz)" ||
    { fail pg_source/bootstrap "cannot create the history table"; exit 0; }
sed -e 's/^customer=\([^,]*\),status=\([^,]*\),region=\([^,]*\),amount=\([^,]*\),ts=\(.*\)$/\1,\2,\3,\4,\5/' \
    "$P/history.kv" > history.csv
sql -c "\\copy orders FROM 'history.csv' WITH (FORMAT csv)" || { fail pg_source/bootstrap "cannot load the history"; exit 0; }
TOTALS=history.jsonl ./history run --quiet --savepoint-on-exit sp-history 2> history.err ||
    { fail pg_source/bootstrap "history run: $(cat history.err)"; exit 0; }
[ "$(wc -l < history.jsonl)" = 5 ] || { fail pg_source/bootstrap "history gave $(wc -l < history.jsonl) results, expected 5"; exit 0; }
printf '%s\n' "customer=customer-042,status=SHIPPED,region=eu-west,amount=10.00,ts=2024-05-23T12:00:00Z" \
    "customer=customer-099,status=NEW,region=us-west,amount=1.50,ts=2024-05-23T12:00:05Z" \
    "customer=customer-007,status=PAID,region=us-east,amount=100.00,ts=2024-05-23T12:01:00Z" > live.kv
TOTALS=live.jsonl ./totals run --from-savepoint sp-history --set sources.orders.file.path=live.kv 2> live.err
rc=$?
cat > want_live.jsonl <<'JSON'
{"customer":"customer-042","orders":3,"spent":118.5,"biggest":88.4,"last_status":"SHIPPED"}
{"customer":"customer-099","orders":1,"spent":1.5,"biggest":1.5,"last_status":"NEW"}
{"customer":"customer-007","orders":3,"spent":142.0,"biggest":100.0,"last_status":"PAID"}
JSON
if [ $rc -ne 0 ]; then fail pg_source/bootstrap "the streaming run exited $rc: $(cat live.err)"
elif ! grep -q "operator totals: restored (3 keys, 3 windows)" live.err; then fail pg_source/bootstrap "no restore reported: $(cat live.err)"
elif ! grep -q "source orders: was a postgres source, now file" live.err; then fail pg_source/bootstrap "the source change was not reported: $(cat live.err)"
elif same_file pg_source/bootstrap want_live.jsonl live.jsonl; then pass pg_source/bootstrap; fi
