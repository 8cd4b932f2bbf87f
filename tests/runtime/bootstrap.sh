#!/bin/sh
# bootstrap.sh — seed 000 end to end (pipelines/bootstrap/customer_totals.yaml): the binary runs
# over the bounded history and writes a savepoint at its end; the same binary then streams a
# followed file from that savepoint, and each customer's running totals continue from the history
# (exact output). Then the history is dumped, as the State Processor API would read it.
. "$(dirname "$0")/lib.sh"
P=$ROOT/pipelines/bootstrap
[ -x "$PIPEC" ] || { skip bootstrap "no $PIPEC (build first)"; exit 0; }
cd "$TMP_ROOT" || exit 1
build_pipeline "$P/customer_totals.yaml" totals || { fail bootstrap "does not build"; exit 0; }

TOTALS=history.jsonl ./totals run --quiet --set sources.orders.file.path="$P/history.kv" \
    --savepoint-on-exit sp-history 2> history.err || { fail bootstrap "history run: $(cat history.err)"; exit 0; }
[ "$(wc -l < history.jsonl)" = 5 ] || { fail bootstrap "history gave $(wc -l < history.jsonl) results, expected 5"; exit 0; }

: > live.kv
TOTALS=live.jsonl ./totals run --quiet --from-savepoint sp-history --set sources.orders.file.path=live.kv \
    --set sources.orders.file.follow=true 2> live.err &
pid=$!
PIDS=$pid
cat >> live.kv <<'KV'
customer=customer-042,status=SHIPPED,region=eu-west,amount=10.00,ts=2024-05-23T12:00:00Z
customer=customer-099,status=NEW,region=us-west,amount=1.50,ts=2024-05-23T12:00:05Z
customer=customer-007,status=PAID,region=us-east,amount=100.00,ts=2024-05-23T12:01:00Z
KV
i=0
while [ "$(cat live.jsonl 2>/dev/null | wc -l)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $pid
wait $pid
rc=$?
cat > want.jsonl <<'JSON'
{"customer":"customer-042","orders":3,"spent":118.5,"biggest":88.4,"last_status":"SHIPPED"}
{"customer":"customer-099","orders":1,"spent":1.5,"biggest":1.5,"last_status":"NEW"}
{"customer":"customer-007","orders":3,"spent":142.0,"biggest":100.0,"last_status":"PAID"}
JSON
if [ $rc -ne 0 ]; then
    fail bootstrap/stream "the streaming run exited $rc: $(cat live.err)"
elif ! grep -q "operator totals: restored (3 keys, 3 windows)" live.err; then
    fail bootstrap/stream "no restore reported: $(cat live.err)"
elif same_file bootstrap/stream want.jsonl live.jsonl; then
    pass bootstrap/stream
fi

# the same restore written in the YAML (`savepoint: ${RESTORE_FROM:-}`) instead of --from-savepoint
printf '%s\n' "customer=customer-013,status=PAID,region=eu-west,amount=7.00,ts=2024-05-23T12:02:00Z" > more.kv
RESTORE_FROM=sp-history TOTALS=yaml.jsonl ./totals run --quiet --set sources.orders.file.path=more.kv 2> yaml.err
echo '{"customer":"customer-013","orders":2,"spent":12.0,"biggest":7.0,"last_status":"PAID"}' > want_yaml.jsonl
if ! grep -q "restored from savepoint sp-history" yaml.err; then
    fail bootstrap/yaml_savepoint "the YAML's savepoint was not restored: $(cat yaml.err)"
elif same_file bootstrap/yaml_savepoint want_yaml.jsonl yaml.jsonl; then
    pass bootstrap/yaml_savepoint
fi

./totals savepoint dump sp-history --operator totals > dump.jsonl 2> dump.err
cat > want_dump.jsonl <<'JSON'
{"operator":"totals","key":{"customer":"customer-007"},"state":{"orders":2,"spent":42.0,"biggest":30.0,"last_status":"SHIPPED"}}
{"operator":"totals","key":{"customer":"customer-013"},"state":{"orders":1,"spent":5.0,"biggest":5.0,"last_status":"NEW"}}
{"operator":"totals","key":{"customer":"customer-042"},"state":{"orders":2,"spent":108.5,"biggest":88.4,"last_status":"PAID"}}
JSON
sort dump.jsonl > dump.sorted
same_file bootstrap/dump want_dump.jsonl dump.sorted && pass bootstrap/dump
