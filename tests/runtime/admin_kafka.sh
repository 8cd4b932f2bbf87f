#!/bin/sh
# admin_kafka.sh — the admin endpoint of a job reading Kafka: records counted exactly and the
# consumer lag of every partition published (0 once everything produced has been read), with
# partitions labelled topic:partition; above 0 for records produced while the job is held back
# (its sink, a FIFO, full), and back to 0 once it is released.
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
# the sink writes into a FIFO whose only reader (sleep) never reads: the test fills the pipe to
# hold the job back (a write blocks), frees it a page at a time, and finally reads it all (cat)
mkfifo "$TMP_ROOT/out.fifo"
sleep 600 < "$TMP_ROOT/out.fifo" &
PIDS="$PIDS $!"
(cd "$TMP_ROOT" && BS=$BS_lag ADMIN=127.0.0.1:0 OUT=out.fifo exec "$BIN" run --quiet < /dev/null > /dev/null 2> job.err) &
JOB=$!
PIDS="$PIDS $JOB"
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
# ---- lag above 0: records produced while the job is held back, then 0 once it caught up.
# fifo OP: fill (write into the pipe until it is full, never blocking) or page (read 4096 bytes:
# frees one page, so a write blocked on the full pipe completes)
fifo() {
    python3 - "$1" "$TMP_ROOT/out.fifo" <<'PY'
import os, sys
if sys.argv[1] == "fill":
    fd = os.open(sys.argv[2], os.O_WRONLY | os.O_NONBLOCK)
    for size in (4096, 1):
        try:
            while True:
                os.write(fd, b"\n" * size)
        except BlockingIOError:
            pass
else:
    fd = os.open(sys.argv[2], os.O_RDONLY | os.O_NONBLOCK)
    assert len(os.read(fd, 4096)) == 4096
os.close(fd)
PY
}
# blocked: the job's thread waits in a write to the pipe (bounded wait)
blocked() {
    i=0
    while ! cat /proc/"$JOB"/task/*/wchan 2>/dev/null | grep -q pipe_write && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ $i -lt 100 ]
}
# big records (3000-byte keys): 10 rows no longer fit in what one freed page leaves
big() { python3 -c "import sys; [print('%s:k=%s,v=%d' % (sys.argv[1], 'x' * 3000, i)) for i in range(int(sys.argv[2]))]" "$@"; }
lag_sum() { curl -s "http://$A/metrics" | sed -n 's/^pipec_kafka_consumer_lag{source="in",partition="admin_lag:[0-2]"} //p' |
    awk '{ s += $1 } END { print s + 0 }'; }
if [ ! -r /proc/self/wchan ]; then
    skip admin_kafka/lag-above-zero "/proc/PID/wchan is not readable here (needed to see the job held back)"
else
    fifo fill
    # a trigger record: the job reads it, and its row's write blocks on the full pipe
    big t 1 | kcat -P -b "$BS_lag" -K: -t admin_lag -p 0 2> /dev/null
    if ! blocked; then
        fail admin_kafka/lag-above-zero "the job never blocked on its full sink"
    else
        # produced while the job is held back; the fetcher sees the new high watermarks
        for p in 0 1 2; do big "b$p" 10 | kcat -P -b "$BS_lag" -K: -t admin_lag -p $p 2> /dev/null; done
        sleep 1
        # one page freed: the blocked write completes, the job publishes its lag (nothing of the
        # new records read yet), reads on and blocks again well before the last of them
        fifo page
        i=0
        while [ "$(lag_sum)" -le 0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        lag=$(lag_sum)
        [ "$lag" -gt 0 ] && pass admin_kafka/lag-above-zero ||
            fail admin_kafka/lag-above-zero "lag $lag: $(curl -s "http://$A/metrics" | grep '^pipec_kafka_consumer_lag' | tr '\n' '|')"
    fi
fi
cat "$TMP_ROOT/out.fifo" > /dev/null & # released: the job reads everything
PIDS="$PIDS $!"
i=0
[ -r /proc/self/wchan ] || i=300 # nothing was produced since the first check
while [ $i -lt 300 ]; do
    curl -s "http://$A/metrics" > "$TMP_ROOT/metrics"
    [ "$(grep '^pipec_kafka_consumer_lag{' "$TMP_ROOT/metrics" | sort)" = "$want" ] &&
        grep -qx 'pipec_records_in_total{operator="in"} 61' "$TMP_ROOT/metrics" && break
    sleep 0.1; i=$((i + 1))
done
if [ -r /proc/self/wchan ]; then
    [ "$(grep '^pipec_kafka_consumer_lag{' "$TMP_ROOT/metrics" | sort)" = "$want" ] &&
        grep -qx 'pipec_records_in_total{operator="in"} 61' "$TMP_ROOT/metrics" && pass admin_kafka/lag-back-to-zero ||
        fail admin_kafka/lag-back-to-zero "$(grep -e '^pipec_kafka_consumer_lag' -e 'records_in_total{operator="in"}' "$TMP_ROOT/metrics" | tr '\n' '|')"
fi
"$BIN" stop --admin "$A" > /dev/null 2>&1 && pass admin_kafka/stop || fail admin_kafka/stop "stop failed"
