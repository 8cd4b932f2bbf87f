#!/bin/sh
# progress.sh — on a terminal, a bounded run shows a progress line rewritten in place (records in
# and out, rate, percent of the input, ETA); without a terminal there is none. The terminal is
# util-linux's `script`, which runs the job on a pseudo-terminal.
. "$(dirname "$0")/lib.sh"
command -v script > /dev/null || { skip progress/all "no script(1) (util-linux) to give the job a terminal"; exit 0; }
[ -x "$PIPEC" ] || { skip progress/all "no $PIPEC (build first)"; exit 0; }
BIN="$TMP_ROOT/steady"
build_pipeline "$ROOT/tests/runtime/admin/steady.yaml" "$BIN" || { fail progress/build "pipec build failed"; exit 0; }
cd "$TMP_ROOT" || exit 1
# 6000 generated records at the pipeline's 2000/s: three seconds, so two or three progress lines
script -qec "OUT=/dev/null '$BIN' run --set sources.orders.generator.count=6000" /dev/null > tty.out 2>&1 < /dev/null
r=$(python3 - tty.out <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
parts = [p.replace("\x1b[K", "").strip() for p in re.split(r"[\r\n]", text)]
line = re.compile(r"steady: (\d+) records in, (\d+) out, (\d+)/s, (\d+)%, ETA (\d+) s")
seen = [tuple(map(int, m.groups())) for m in map(line.fullmatch, parts) if m]
problems = []
if not seen:
    problems.append("no progress line in %r" % text[:200])
for n_in, n_out, rate, pct, eta in seen:
    if not (0 < n_in < 6000 and n_out <= n_in and rate > 0 and abs(pct - n_in * 100 / 6000) <= 1 and
            abs(eta - (6000 - n_in) / rate) <= 1):
        problems.append("inconsistent: %d in, %d out, %d/s, %d%%, ETA %d s" % (n_in, n_out, rate, pct, eta))
if [s[0] for s in seen] != sorted(s[0] for s in seen):
    problems.append("records in went back: %r" % seen)
if not any(re.fullmatch(r"steady: finished: 6000 records in, \d+ out, .*", p) for p in parts):
    problems.append("no final summary")
print("ok %d lines" % len(seen) if not problems else "; ".join(problems[:3]))
PY
)
case $r in ok*) pass "progress/tty ($r)" ;; *) fail progress/tty "$r" ;; esac
# not a terminal: no progress line, no carriage return
OUT=/dev/null "$BIN" run --set sources.orders.generator.count=3000 < /dev/null 2> plain.err
if grep -q "ETA" plain.err || [ "$(tr -dc '\r' < plain.err | wc -c)" -ne 0 ] || ! grep -q "finished: 3000 records in" plain.err; then
    fail progress/no-tty "$(tr '\r\n' '||' < plain.err | head -c 300)"
else
    pass progress/no-tty
fi
