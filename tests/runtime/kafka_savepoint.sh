#!/bin/sh
# kafka_savepoint.sh — savepoints carry Kafka positions (offset per topic and partition): a
# bounded job over three partitions writes a savepoint at the end of what was there; more records
# are produced; the same job restored from the savepoint reads only those, resumes every
# partition where it stopped, and its output after the first run's equals one uninterrupted run
# over the whole topic (as multisets, and per customer in order: partitions interleave freely).
# Records are keyed by customer with event times rising in every partition, so none is late in
# any interleaving.
. "$(dirname "$0")/lib.sh"
command -v kcat > /dev/null || { skip kafka_savepoint/all "kcat is not installed (scripts/deps.sh installs it)"; exit 0; }
[ -x "$PIPEC" ] || { skip kafka_savepoint/all "no $PIPEC (build first)"; exit 0; }
start_cluster ksp --topic ksp_orders:3
cd "$TMP_ROOT" || exit 1
build_pipeline "$ROOT/tests/runtime/kafka_savepoint/pipeline.yaml" job || { fail kafka_savepoint/build "pipec build failed"; exit 0; }
produce() { # FIRST LAST: records FIRST..LAST, keyed by customer
    python3 - "$1" "$2" <<'PY' | kcat -P -b "$BS_ksp" -K: -t ksp_orders 2> /dev/null
import sys
for i in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    c = "c%d" % (i * 7 % 11)
    print("%s:customer=%s,amount=%d.%02d,ts=%d" % (c, c, i % 50, i % 100, 1716467696000 + i * 137))
PY
}
produce 1 600
BS=$BS_ksp OUT=p1 ./job run --quiet --savepoint-on-exit sp 2> p1.err || { fail kafka_savepoint/save "$(cat p1.err)"; exit 0; }
produce 601 1000
BS=$BS_ksp OUT=p2 ./job run --quiet --from-savepoint sp 2> p2.err || { fail kafka_savepoint/restore "$(cat p2.err)"; exit 0; }
BS=$BS_ksp OUT=whole ./job run --quiet 2> whole.err || { fail kafka_savepoint/whole "$(cat whole.err)"; exit 0; }
./job savepoint dump sp | tail -n 1 > positions
offsets=$(python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
print(p["connector"], sum(v["values"][1] for v in p["position"]) if p["position"] else "none")' positions 2>&1)
if [ "$(wc -l < p1.totals.jsonl) $(wc -l < p2.totals.jsonl)" != "600 400" ]; then
    fail kafka_savepoint/positions "read $(wc -l < p1.totals.jsonl) then $(wc -l < p2.totals.jsonl) records, not 600 then 400"
elif [ "$offsets" != "kafka 600" ]; then
    fail kafka_savepoint/positions "the savepoint's positions: $(cat positions) ($offsets)"
elif ! grep -qx "kafka_savepoint: source orders: resumes from the savepoint position" p2.err; then
    fail kafka_savepoint/positions "no resume said: $(cat p2.err)"
else
    pass kafka_savepoint/positions
fi
for o in totals windows; do
    cat p1.$o.jsonl p2.$o.jsonl > split.$o.jsonl
    if n=$(python3 "$ROOT/tests/runtime/same_results.py" customer whole.$o.jsonl split.$o.jsonl); then
        pass "kafka_savepoint/$o ($n)"
    else
        fail kafka_savepoint/$o "savepoint + restore is not one uninterrupted run: $n"
    fi
done
