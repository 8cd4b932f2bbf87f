#!/bin/sh
# panes.sh — sliding windows kept as panes (runtime/prt_window_pane.c) give, through a whole
# compiled pipeline, the bytes of the one-slot-per-window engine (PRT_WIN_PANES=0): every
# aggregate kind whose merge is exact (count, int sum, int and string min/max, first/last of
# strings and floats, count_distinct) over records late within and beyond allowed lateness
# (late firings and the late output), an offset, size = slide; and across a savepoint: a
# savepoint of panes equals the one-slot-per-window engine's (dump and files, byte for byte),
# restores in either engine to the same output, and restores at parallelism 2 (rescale) to the
# uninterrupted run's results. The stages panes must not take (float sum/avg/max, a size that
# is not a multiple of the slide) are checked to go without a merge function.
. "$(dirname "$0")/lib.sh"
[ -x "$PIPEC" ] || { skip panes/all "no $PIPEC (build first)"; exit 0; }
command -v python3 >/dev/null || { skip panes/all "python3 is not installed"; exit 0; }
D=$TMP_ROOT/data
mkdir -p "$D/all" "$D/part"
cd "$D" || exit 1

keyed_jitter_input 4242 30000 > all/1.kv
head -n 17000 all/1.kv > part/1.kv
tail -n +17001 all/1.kv > rest.kv

cat > panes.yaml <<'EOF'
pipeline: panes
schemas:
  ev: { k: string, v: int, ts: timestamp }
sources:
  events:
    file: { path: "${IN}" }
    format: kv
    schema: ev
    event_time: ts
    watermark: { out_of_orderness: 200ms }
stages:
  - id: derived
    set:
      s: concat("s", string(v % 37))
      f: float(v) / 8.0
  - id: by_k
    key_by: k
  - id: all_exact
    window: { sliding: { size: 2s, slide: 500ms } }
    allowed_lateness: 300ms
    late_output: late
    aggregate: { n: count(), total: sum(v), lo: min(v), hi: max(v), slo: min(s), shi: max(s),
                 fs: first(s), ls: last(s), ff: first(f), lf: last(f), d: count_distinct(s), dt: min(ts) }
  - id: offset_one
    from: by_k
    window: { sliding: { size: 3s, slide: 3s } }
    offset: 1s
    allowed_lateness: 4s
    aggregate: { n: count(), d: count_distinct(v), last: last(v) }
  - id: floats
    from: by_k
    window: { sliding: { size: 6s, slide: 2s } }
    aggregate: { n: count(), a: avg(f), t: sum(f), m: max(f) }
  - id: uneven
    from: by_k
    window: { sliding: { size: 7s, slide: 2s } }
    aggregate: { n: count(), hi: max(v) }
sinks:
  s_all_exact: { from: all_exact, file: { path: "${OUT}.all_exact.jsonl" } }
  s_offset_one: { from: offset_one, file: { path: "${OUT}.offset_one.jsonl" } }
  s_floats: { from: floats, file: { path: "${OUT}.floats.jsonl" } }
  s_uneven: { from: uneven, file: { path: "${OUT}.uneven.jsonl" } }
  late: { file: { path: "${OUT}.late.jsonl" } }
EOF
OUTS="all_exact offset_one floats uneven late"
BIN=$TMP_ROOT/panes
build_pipeline panes.yaml "$BIN" || { fail panes/all "pipec build failed"; exit 0; }

# which stages get a merge (and so panes): the exact ones only
"$PIPEC" emit panes.yaml -o gen > /dev/null 2>&1 || { fail panes/merge_functions "pipec emit failed"; exit 0; }
got=$(grep -ho 'acc_merge = [a-z_A-Z]*' gen/*.c | tr '\n' ' ')
want="acc_merge = pg_all_exact_acc_merge acc_merge = pg_offset_one_acc_merge acc_merge = NULL acc_merge = NULL "
if [ "$got" = "$want" ]; then
    pass "panes/merge_functions (all_exact, offset_one merge; floats, uneven do not)"
else
    fail panes/merge_functions "got: $got"
fi

# one uninterrupted run in each engine: the same bytes in every output
IN='all/*.kv' OUT=p "$BIN" run --quiet 2> p.err || { fail panes/whole "the pane run failed: $(head -n 2 p.err)"; exit 0; }
PRT_WIN_PANES=0 IN='all/*.kv' OUT=c "$BIN" run --quiet 2> c.err || { fail panes/whole "the window run failed"; exit 0; }
ok=1 counts=""
for o in $OUTS; do
    same_file panes/whole c.$o.jsonl p.$o.jsonl || { ok=0; break; }
    counts="$counts $o=$(wc -l < p.$o.jsonl)"
done
# the input has what the test is about: late firings (a window's second result) and late records
late_firings=$(python3 -c '
import json, sys
seen, again = set(), 0
for l in open(sys.argv[1]):
    d = json.loads(l)
    w = (d["k"], d["window_start"])
    again += w in seen
    seen.add(w)
print(again)' p.all_exact.jsonl)
if [ $ok = 1 ] && [ "$late_firings" -gt 0 ] && [ -s p.late.jsonl ]; then
    pass "panes/whole ($counts; $late_firings late firings)"
elif [ $ok = 1 ]; then
    fail panes/whole "no late firings ($late_firings) or no late records: the input does not test them"
fi

# a savepoint of part one in each engine: the same state, byte for byte
rm -rf run && mkdir run && cp part/1.kv run/1.kv
IN='run/*.kv' OUT=pa "$BIN" run --quiet --savepoint-on-exit sp_p 2> pa.err || { fail panes/savepoint "part one (panes): $(head -n 2 pa.err)"; exit 0; }
PRT_WIN_PANES=0 IN='run/*.kv' OUT=ca "$BIN" run --quiet --savepoint-on-exit sp_c 2> ca.err || { fail panes/savepoint "part one (windows)"; exit 0; }
"$BIN" savepoint dump sp_p > dump.p
"$BIN" savepoint dump sp_c > dump.c
if [ ! -s dump.p ] || ! grep -q '"operator": *"all_exact"' dump.p; then
    fail panes/savepoint "no all_exact windows in the savepoint: $(head -c 200 dump.p)"
elif same_file panes/savepoint dump.c dump.p && diff -r -x _metadata sp_c sp_p > /dev/null; then
    pass "panes/savepoint (dump and state files equal (_metadata holds its creation time); $(grep -c '"operator": *"all_exact"' dump.p) all_exact windows)"
elif same_file panes/savepoint dump.c dump.p; then
    fail panes/savepoint "dumps equal, files differ: $(diff -r -x _metadata sp_c sp_p | head -c 200)"
fi

# restores across: panes' savepoint into the window engine, windows' into panes, panes' into panes at parallelism 2
cp rest.kv run/2.kv
PRT_WIN_PANES=0 IN='run/*.kv' OUT=pc "$BIN" run --quiet --from-savepoint sp_p 2> pc.err || fail panes/restore "panes -> windows: $(head -n 2 pc.err)"
IN='run/*.kv' OUT=cp "$BIN" run --quiet --from-savepoint sp_c 2> cp.err || fail panes/restore "windows -> panes: $(head -n 2 cp.err)"
IN='run/*.kv' OUT=pp "$BIN" run --quiet --set parallelism=2 --from-savepoint sp_p 2> pp.err || fail panes/restore "panes -> panes at 2: $(head -n 2 pp.err)"
ok=1
for o in $OUTS; do
    same_file panes/restore pc.$o.jsonl cp.$o.jsonl || { ok=0; break; }
    cat pa.$o.jsonl pc.$o.jsonl > apc.$o.jsonl
    cat pa.$o.jsonl pp.$o.jsonl > app.$o.jsonl
    n=$(python3 "$ROOT/tests/runtime/same_results.py" k p.$o.jsonl apc.$o.jsonl) || { fail panes/restore "$o, restored: $n"; ok=0; break; }
    n=$(python3 "$ROOT/tests/runtime/same_results.py" k p.$o.jsonl app.$o.jsonl) || { fail panes/restore "$o, restored at 2: $n"; ok=0; break; }
done
if [ $ok = 1 ] && [ -s pc.all_exact.jsonl ] && grep -q "restored from savepoint" pp.err; then
    pass "panes/restore (both ways equal; at parallelism 1 and 2 equal to the uninterrupted run)"
elif [ $ok = 1 ]; then
    fail panes/restore "nothing restored: the comparison proves nothing"
fi
