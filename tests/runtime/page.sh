#!/bin/sh
# page.sh — the admin page at / loaded in headless Chromium while a job runs: the operator graph
# is drawn (one SVG node per operator ID, edges between them), the numbers change between two
# loads, rates (the page fetching /api/job again by itself), watermark lags, the checkpoint history
# and recent errors with their reasons are filled in, and a screenshot is kept in
# build/test-artifacts/admin-page.png (not committed).
. "$(dirname "$0")/lib.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { skip page/all "chromium is not installed (scripts/deps.sh installs it)"; exit 0; }
command -v curl > /dev/null || { skip page/all "curl is not installed (scripts/deps.sh installs it)"; exit 0; }
[ -x "$PIPEC" ] || { skip page/all "no $PIPEC (build first)"; exit 0; }
BIN="$TMP_ROOT/live_orders"
build_pipeline "$ROOT/tests/runtime/admin/live.yaml" "$BIN" || { fail page/build "pipec build failed"; exit 0; }

(cd "$TMP_ROOT" && ADMIN=127.0.0.1:0 exec "$BIN" run --quiet --set checkpoint.interval=200ms --set checkpoint.dir=chk \
    < /dev/null > /dev/null 2> job.err) &
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
for id in orders paid per_unit by_status per_second out; do
    grep -q "<g class=\"node [a-z_]*\" id=\"node-$id\" data-id=\"$id\"" "$TMP_ROOT/dom1.html" || missing="$missing $id"
done
[ -z "$missing" ] && pass page/graph-nodes || fail page/graph-nodes "no SVG node for:$missing ($(wc -c < "$TMP_ROOT/dom1.html") bytes of DOM)"
edges=$(grep -o 'class="edge" data-from="[a-z_]*" data-to="[a-z_]*"' "$TMP_ROOT/dom1.html" | sed 's/.*data-from="\([a-z_]*\)" data-to="\([a-z_]*\)"/\1>\2/' | tr '\n' ' ')
[ "$edges" = "orders>paid paid>per_unit per_unit>by_status by_status>per_second per_second>out " ] && pass page/graph-edges || fail page/graph-edges "edges: $edges"

n1=$(sed -n 's/.*id="k-in">\([0-9,]*\)<.*/\1/p' "$TMP_ROOT/dom1.html" | tr -d ,)
n2=$(sed -n 's/.*id="k-in">\([0-9,]*\)<.*/\1/p' "$TMP_ROOT/dom2.html" | tr -d ,)
if [ -n "$n1" ] && [ -n "$n2" ] && [ "$n2" -gt "$n1" ]; then pass page/numbers-change
else fail page/numbers-change "records in shown: '$n1' then '$n2'"; fi
sed -n '/<pre id="yaml">/,/<\/pre>/p' "$TMP_ROOT/dom1.html" | grep -qx 'pipeline: live_orders' && pass page/yaml || fail page/yaml "the YAML is not shown"

# what the page fills in from /api/job, in the first load's DOM: rates need two fetches of the
# page's own (it refreshes itself), watermark lags, the checkpoint history, recent errors
r=$(python3 - "$TMP_ROOT/dom1.html" <<'EOF'
import re, sys
dom = open(sys.argv[1]).read()
def table(tid):
    m = re.search(r'<table id="%s">.*?<tbody>(.*?)</tbody>' % tid, dom, re.S)
    rows = re.findall(r"<tr>(.*?)</tr>", m.group(1), re.S) if m else []
    return [[re.sub(r"<[^>]*>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows]
problems = []
ops = {r[0]: r for r in table("ops")}
rate = ops.get("orders", [""] * 10)[4].replace(",", "")
if not re.fullmatch(r"[0-9.]+", rate) or float(rate) <= 0:
    problems.append("no live rate for orders: %r (the page did not refresh itself)" % rate)
if not re.search(r'class="rate"[^>]*>[0-9,]+ out \u00b7 [0-9.,]+/s<', dom):
    problems.append("no rate in the graph's nodes")
lag = ops.get("per_second", [""] * 10)[8]
if not re.fullmatch(r"[0-9]+\.[0-9] (s|min|h)", lag):
    problems.append("watermark lag of per_second: %r" % lag)
wms = table("wms")
if not any(r[1] == "0" and re.fullmatch(r"[0-9]+\.[0-9] (s|min|h)", r[3]) for r in wms):
    problems.append("partition watermark lag: %r" % wms)
chk = table("chk")
if not chk or not all(r[4] == "ok" and r[2].endswith(" ms") for r in chk):
    problems.append("checkpoint history: %r" % chk[:2])
if not re.search(r'id="chk-sum"[^>]*>[1-9][0-9]* completed, 0 failed; last ', dom):
    problems.append("checkpoint summary")
errs = table("errs")
if not errs or any(r[1:] != ["stage per_unit", "division by zero"] for r in errs):
    problems.append("recent errors: %r" % errs[:2])
print("ok" if not problems else "; ".join(problems))
EOF
)
[ "$r" = ok ] && pass page/live-sections || fail page/live-sections "$r"

mkdir -p "$ROOT/build/test-artifacts"
shot="$ROOT/build/test-artifacts/admin-page.png"
rm -f "$shot"
chrome --window-size=1400,1100 --screenshot="$shot" "http://$A/" > /dev/null
[ -s "$shot" ] && pass page/screenshot || fail page/screenshot "no $shot: $(tail -n 2 "$TMP_ROOT/chromium.err" | tr '\n' '|')"
