#!/bin/sh
# admin_kafka.sh — the admin endpoint of a job reading Kafka: records counted exactly and the
# consumer lag of every partition published (0 once everything produced has been read), with
# partitions labelled topic:partition.
. "$(dirname "$0")/lib.sh"
command -v curl > /dev/null || { skip admin_kafka/all "curl is not installed (scripts/deps.sh installs it)"; exit 0; }
command -v kcat > /dev/null || { skip admin_kafka/all "kcat is not installed (scripts/deps.sh installs it)"; exit 0; }
[ -x "$PIPEC" ] || { skip admin_kafka/all "no $PIPEC (build first)"; exit 0; }
start_cluster lag --topic admin_lag:3
BIN="$TMP_ROOT/admin_kafka"
build_pipeline "$ROOT/tests/runtime/admin/kafka.yaml" "$BIN" || { fail admin_kafka/build "pipec build failed"; exit 0; }
for p in 0 1 2; do
    i=0
    while [ $i -lt 10 ]; do echo "k$p:k=k$p,v=$i"; i=$((i + 1)); done | kcat -P -b "$BS_lag" -K: -t admin_lag -p $p 2> /dev/null
done
(cd "$TMP_ROOT" && BS=$BS_lag ADMIN=127.0.0.1:0 exec "$BIN" run --quiet < /dev/null > /dev/null 2> job.err) &
PIDS="$PIDS $!"
i=0
while ! grep -q 'admin endpoint on' "$TMP_ROOT/job.err" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
A=$(sed -n 's,.*admin endpoint on http://\([^/]*\)/.*,\1,p' "$TMP_ROOT/job.err" | head -n 1)
[ -n "$A" ] || { fail admin_kafka/start "no admin address: $(head -n 2 "$TMP_ROOT/job.err" | tr '\n' '|')"; exit 0; }
want='pipec_kafka_consumer_lag{source="in",partition="admin_lag:0"} 0
pipec_kafka_consumer_lag{source="in",partition="admin_lag:1"} 0
pipec_kafka_consumer_lag{source="in",partition="admin_lag:2"} 0'
i=0 # the group joins, reads 30 records; bounded wait for the lag to be published as 0
while [ $i -lt 300 ]; do
    curl -s "http://$A/metrics" > "$TMP_ROOT/metrics"
    [ "$(grep '^pipec_kafka_consumer_lag{' "$TMP_ROOT/metrics" | sort)" = "$want" ] &&
        grep -qx 'pipec_records_in_total{operator="in"} 30' "$TMP_ROOT/metrics" && break
    sleep 0.1; i=$((i + 1))
done
grep -qx 'pipec_records_in_total{operator="in"} 30' "$TMP_ROOT/metrics" && pass admin_kafka/records ||
    fail admin_kafka/records "$(grep 'records_in_total{operator="in"}' "$TMP_ROOT/metrics")"
[ "$(grep '^pipec_kafka_consumer_lag{' "$TMP_ROOT/metrics" | sort)" = "$want" ] && pass admin_kafka/lag ||
    fail admin_kafka/lag "$(grep '^pipec_kafka_consumer_lag' "$TMP_ROOT/metrics" | tr '\n' '|')"
"$BIN" stop --admin "$A" > /dev/null 2>&1 && pass admin_kafka/stop || fail admin_kafka/stop "stop failed"
