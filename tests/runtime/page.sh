#!/bin/sh
# page.sh — the admin page at / loaded in headless Chromium while a job runs: the operator graph
# is drawn (one SVG node per operator ID, edges between them), the numbers change between two
# loads, and a screenshot is kept in build/test-artifacts/admin-page.png (not committed).
. "$(dirname "$0")/lib.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { skip page/all "chromium is not installed (scripts/deps.sh installs it)"; exit 0; }
command -v curl > /dev/null || { skip page/all "curl is not installed (scripts/deps.sh installs it)"; exit 0; }
[ -x "$PIPEC" ] || { skip page/all "no $PIPEC (build first)"; exit 0; }
BIN="$TMP_ROOT/live_orders"
build_pipeline "$ROOT/tests/runtime/admin/live.yaml" "$BIN" || { fail page/build "pipec build failed"; exit 0; }

(cd "$TMP_ROOT" && ADMIN=127.0.0.1:0 exec "$BIN" run --quiet < /dev/null > /dev/null 2> job.err) &
PIDS="$PIDS $!"
i=0
while ! grep -q 'admin endpoint on' "$TMP_ROOT/job.err" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
A=$(sed -n 's,.*admin endpoint on http://\([^/]*\)/.*,\1,p' "$TMP_ROOT/job.err" | head -n 1)
[ -n "$A" ] || { fail page/start "no admin address: $(head -n 2 "$TMP_ROOT/job.err" | tr '\n' '|')"; exit 0; }

# chromium as root needs --no-sandbox; its own profile dir keeps runs apart
chrome() {
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$TMP_ROOT/profile" \
        --virtual-time-budget=4000 "$@" 2> "$TMP_ROOT/chromium.err"
}
# records_in of the job, from /api/job
records_in() { curl -s "http://$A/api/job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["records_in"])'; }

chrome --dump-dom "http://$A/" > "$TMP_ROOT/dom1.html"
first=$(records_in)
i=0 # a second load only once the job has moved on (bounded)
while [ "$(records_in)" = "$first" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
chrome --dump-dom "http://$A/" > "$TMP_ROOT/dom2.html"

missing=""
for id in orders paid by_status per_second out; do
    grep -q "<g class=\"node [a-z_]*\" id=\"node-$id\" data-id=\"$id\"" "$TMP_ROOT/dom1.html" || missing="$missing $id"
done
[ -z "$missing" ] && pass page/graph-nodes || fail page/graph-nodes "no SVG node for:$missing ($(wc -c < "$TMP_ROOT/dom1.html") bytes of DOM)"
edges=$(grep -o 'class="edge" data-from="[a-z_]*" data-to="[a-z_]*"' "$TMP_ROOT/dom1.html" | sed 's/.*data-from="\([a-z_]*\)" data-to="\([a-z_]*\)"/\1>\2/' | tr '\n' ' ')
[ "$edges" = "orders>paid paid>by_status by_status>per_second per_second>out " ] && pass page/graph-edges || fail page/graph-edges "edges: $edges"

n1=$(sed -n 's/.*id="k-in">\([0-9,]*\)<.*/\1/p' "$TMP_ROOT/dom1.html" | tr -d ,)
n2=$(sed -n 's/.*id="k-in">\([0-9,]*\)<.*/\1/p' "$TMP_ROOT/dom2.html" | tr -d ,)
if [ -n "$n1" ] && [ -n "$n2" ] && [ "$n2" -gt "$n1" ]; then pass page/numbers-change
else fail page/numbers-change "records in shown: '$n1' then '$n2'"; fi
sed -n '/<pre id="yaml">/,/<\/pre>/p' "$TMP_ROOT/dom1.html" | grep -qx 'pipeline: live_orders' && pass page/yaml || fail page/yaml "the YAML is not shown"

mkdir -p "$ROOT/build/test-artifacts"
shot="$ROOT/build/test-artifacts/admin-page.png"
rm -f "$shot"
chrome --window-size=1400,1100 --screenshot="$shot" "http://$A/" > /dev/null
[ -s "$shot" ] && pass page/screenshot || fail page/screenshot "no $shot: $(tail -n 2 "$TMP_ROOT/chromium.err" | tr '\n' '|')"
