#!/bin/sh
# nexmark.sh — every pipelines/nexmark query (built by ninja into build/pipelines/nexmark/) over a
# small generated Nexmark stream, its rows compared (in any order) with the independent reference
# tests/reference/nexmark.py. q12 (processing time) is compared as per-bidder totals.
. "$(dirname "$0")/lib.sh"
GEN=$ROOT/build/bench/gen
BIN=$ROOT/build/pipelines/nexmark
[ -x "$GEN" ] || { skip nexmark "no $GEN (build first)"; exit 0; }
command -v python3 > /dev/null || { skip nexmark "python3 is not installed"; exit 0; }
data=$TMP_ROOT/nexmark
mkdir -p "$data"
"$GEN" nexmark 60000 "$data" --seed 3 --rate 2000 2> "$TMP_ROOT/gen.err" || { fail nexmark "gen: $(cat "$TMP_ROOT/gen.err")"; exit 0; }
for q in q0 q1 q2 q5 q7 q8 q11 q12; do
    if [ ! -x "$BIN/$q" ]; then
        fail "nexmark/$q" "no $BIN/$q (build first)"
        continue
    fi
    out=$TMP_ROOT/$q.csv
    if ! NEXMARK_DIR=$data OUT=$out "$BIN/$q" run --quiet > "$TMP_ROOT/$q.log" 2>&1; then
        fail "nexmark/$q" "run failed: $(head -n 3 "$TMP_ROOT/$q.log" | tr '\n' '|')"
        continue
    fi
    python3 "$ROOT/tests/reference/nexmark.py" "$q" "$data" > "$TMP_ROOT/$q.want" || { fail "nexmark/$q" "reference failed"; continue; }
    if [ "$q" = q12 ]; then
        # bidder,window_start,window_end,bids: windows of 10 s, summed per bidder
        bad=$(awk -F, '{ print $2, $3 }' "$out" | python3 -c '
import sys, datetime
for line in sys.stdin:
    a, b = (datetime.datetime.fromisoformat(x.replace("Z", "+00:00")) for x in line.split())
    if (b - a).total_seconds() != 10 or a.microsecond or a.second % 10:
        print(line.strip()); break')
        [ -z "$bad" ] || { fail "nexmark/$q" "a window is not a 10 s tumbling window: $bad"; continue; }
        awk -F, '{ n[$1] += $4 } END { for (k in n) print k "," n[k] }' "$out" | LC_ALL=C sort > "$TMP_ROOT/$q.got"
        LC_ALL=C sort "$TMP_ROOT/$q.want" > "$TMP_ROOT/$q.want.s"
        mv "$TMP_ROOT/$q.want.s" "$TMP_ROOT/$q.want"
    else
        LC_ALL=C sort "$out" > "$TMP_ROOT/$q.got"
        LC_ALL=C sort "$TMP_ROOT/$q.want" > "$TMP_ROOT/$q.want.s"
        mv "$TMP_ROOT/$q.want.s" "$TMP_ROOT/$q.want"
    fi
    rows=$(wc -l < "$TMP_ROOT/$q.got")
    if [ "$rows" -eq 0 ]; then
        fail "nexmark/$q" "no output"
    elif same_file "nexmark/$q" "$TMP_ROOT/$q.want" "$TMP_ROOT/$q.got"; then
        pass "nexmark/$q ($rows rows)"
    fi
done
