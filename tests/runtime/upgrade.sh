#!/bin/sh
# upgrade.sh — savepoints across upgrades (issue: "recompile and restore from a savepoint").
#
# v1 (tests/runtime/upgrade/v1.yaml) runs over the first part of a seeded stream and writes a
# savepoint without draining. Every case directory holds a v2.yaml (v1 with one change) and:
#   expected.compat   the exact output of `pipec compat SAVEPOINT v2.yaml` and its exit status
#   check             what else must hold when v2 restores (compatible cases):
#     tail      v2 restored and run over the rest gives exactly the rows an uninterrupted v2 run
#               over the whole stream gives after its first rows (those v1 wrote before the cut)
#     columns   (an added aggregate) the v1 columns as in `tail`; the new one counts only records
#               after the restore, so it equals n in windows that opened after the cut
#     fresh     (lateness, watermark) running totals as in `tail`; window rows of windows that
#               open after the cut equal the uninterrupted v2 run's
#     new       (a new stateful stage) as `tail`, and the new operator starts empty: its output
#               equals v2 run alone over the rest
#     connector (the source's connector changed) the restored run says so and its source starts
#               from its own settings: totals as v2 run alone, windows as in `fresh`
#     reference (a filter or set added before the keyed stages) v1's state over the first part,
#               then v2's stages over the rest: equal to an independent model of both
#               (tests/runtime/upgrade_ref.py over tests/reference/flink_windows.py); the
#               unchanged case is checked against it too
#   expected.build / expected.run   (incompatible cases) the exact refusal of `pipec build
#               --savepoint` and of `run --from-savepoint`
# plus: the unchanged pipeline equals one uninterrupted run, also when the savepoint is taken by
# `BIN stop --savepoint` on a running job; --drain fires open windows before the
# savepoint (without it they stay open); an existing savepoint directory is refused before the run;
# a corrupted or truncated savepoint is refused; a source whose connector changed starts from its
# own startup settings and says so; `savepoint dump` is exact for a small hand-checked case
# (upgrade/dump/).
# UPGRADE_BLESS=1 rewrites the expected.* files (read the diff).
. "$(dirname "$0")/lib.sh"
U=$ROOT/tests/runtime/upgrade
[ -x "$PIPEC" ] || { skip upgrade "no $PIPEC (build first)"; exit 0; }
cd "$TMP_ROOT" || exit 1

python3 - <<'PY'
import os, random
r = random.Random(7)
lines, t = [], 1716467696000
for i in range(3000):
    t += r.randint(0, 400)
    ts = t - r.randint(0, 3000)
    lines.append("customer=c%d,status=%s,amount=%.2f,ts=%d" % (r.randint(0, 40), r.choice(["NEW", "PAID", "SHIPPED"]),
                                                             r.random() * 100, ts))
for d in ("in", "all"):
    os.makedirs(d, exist_ok=True)
    open(d + "/1.kv", "w").write("\n".join(lines[:1700]) + "\n")
open("all/2.kv", "w").write("\n".join(lines[1700:]) + "\n")
open("rest.kv", "w").write("\n".join(lines[1700:]) + "\n")
# windows opening after the cut: start >= the largest event time before it, rounded up
cut = max(int(l.rsplit("ts=", 1)[1]) for l in lines[:1700])
open("fresh_from", "w").write(str((cut // 10000 + 1) * 10000))
PY

bless() { [ "${UPGRADE_BLESS:-0}" = 1 ]; }
# expect NAME GOLDEN ACTUAL: compare with a golden, or rewrite it when blessing
expect() {
    if bless; then cp "$3" "$2"; return 0; fi
    same_file "$1" "$2" "$3"
}

build_pipeline "$U/v1.yaml" v1 || { fail upgrade/v1 "v1 does not build"; exit 0; }
IN='all/*.kv' OUT=v1whole ./v1 run --quiet 2>/dev/null || fail upgrade/v1 "the uninterrupted v1 run failed"
# the savepoint is taken when in/ holds the first part; the rest arrives in a new file of the
# glob, which a restored run reads after resuming past in/1.kv (source positions are per file)
IN='in/*.kv' OUT=p1 ./v1 run --quiet --savepoint-on-exit sp 2>p1.err || {
    fail upgrade/v1 "v1 could not write the savepoint: $(cat p1.err)"
    exit 0
}

# --savepoint-on-exit without --drain kept the open windows (they are in the savepoint, not in the
# output); with --drain they fire first (the output equals a plain bounded run over the same
# input) and the savepoint holds no window of them, only the running totals.
mkdir -p part1 && cp in/1.kv part1/
IN='part1/*.kv' OUT=plain ./v1 run --quiet 2>/dev/null
IN='part1/*.kv' OUT=drained ./v1 run --quiet --savepoint-on-exit spd --drain 2> drained.err
./v1 savepoint dump sp | sed -n 's/^{"operator":"\([a-z]*\)".*/\1/p' | sort | uniq -c | tr -s ' ' > kept.ops
./v1 savepoint dump spd | sed -n 's/^{"operator":"\([a-z]*\)".*/\1/p' | sort | uniq -c | tr -s ' ' > drained.ops
n1=$(wc -l < p1.counts.jsonl)
n_plain=$(wc -l < plain.counts.jsonl)
if ! grep -q "savepoint written to spd (drained)" drained.err; then
    fail upgrade/drain "no drained savepoint: $(cat drained.err)"
elif ! cmp -s plain.counts.jsonl drained.counts.jsonl || ! cmp -s plain.totals.jsonl drained.totals.jsonl; then
    fail upgrade/drain "--drain did not fire what a plain bounded run fires"
elif [ "$(cat kept.ops)" != "$(printf ' 4 counts\n 41 totals')" ] || [ "$(cat drained.ops)" != " 41 totals" ] ||
     [ "$n1" -ne $((n_plain - 4)) ]; then
    fail upgrade/drain "open windows: without --drain $(tr '\n' ' ' < kept.ops)($n1 fired of $n_plain), with --drain $(cat drained.ops)"
else
    pass upgrade/drain
fi
# v1 streaming (a followed file) with its admin endpoint: `BIN savepoint` and then `BIN stop
# --savepoint` while it runs; restored over the rest, its output continues exactly as one
# uninterrupted run, and both savepoints hold the same state
stop_savepoint_case() {
    mkdir -p live_in && cp in/1.kv live_in/
    IN='live_in/*.kv' OUT=ps ./v1 run --quiet --admin 127.0.0.1:0 --set sources.orders.file.follow=true \
        < /dev/null > /dev/null 2> ps.err &
    live=$!
    PIDS="$PIDS $live"
    i=0
    while ! grep -q 'admin endpoint on' ps.err && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    A=$(sed -n 's,.*admin endpoint on http://\([^/]*\)/.*,\1,p' ps.err | head -n 1)
    i=0
    while ! curl -s "http://$A/metrics" | grep -qx 'pipec_records_in_total{operator="orders"} 1700' && [ $i -lt 100 ]; do
        sleep 0.1; i=$((i + 1))
    done
    if ! ./v1 savepoint --admin "$A" spm > spm.out 2>&1 || ! ./v1 stop --admin "$A" --savepoint sps > sps.out 2>&1 ||
       ! wait $live; then
        fail upgrade/stop_savepoint "savepoint or stop of the running job failed: $(cat spm.out sps.out ps.err | tr '\n' '|')"
    else
        cp rest.kv live_in/2.kv
        IN='live_in/*.kv' OUT=ps2 ./v1 run --quiet --from-savepoint sps 2> ps2.err
        ./v1 savepoint dump spm > spm.dump
        ./v1 savepoint dump sps > sps.dump
        if ! cmp -s spm.dump sps.dump || [ ! -s sps.dump ]; then
            fail upgrade/stop_savepoint "BIN savepoint and BIN stop --savepoint of an idle job hold different state"
        elif cat ps.totals.jsonl ps2.totals.jsonl | cmp -s - v1whole.totals.jsonl &&
             cat ps.counts.jsonl ps2.counts.jsonl | cmp -s - v1whole.counts.jsonl; then
            pass upgrade/stop_savepoint
        else
            fail upgrade/stop_savepoint "stop --savepoint + restore is not one uninterrupted run: $(cat ps2.err | tr '\n' '|')"
        fi
    fi
}
if command -v curl > /dev/null; then stop_savepoint_case
else skip upgrade/stop_savepoint "curl is not installed (scripts/deps.sh installs it)"; fi
# an existing savepoint directory is refused before the first record, not at the end of the input
IN='part1/*.kv' OUT=again ./v1 run --quiet --savepoint-on-exit sp 2> again.err
rc=$?
if [ $rc -eq 2 ] && [ ! -e again.counts.jsonl ] && grep -qx "upgrade: savepoint sp: already exists (a savepoint is never overwritten)" again.err; then
    pass upgrade/exists_refused_at_start
else
    fail upgrade/exists_refused_at_start "exit $rc, output $(ls again.* | tr '\n' ' '): $(cat again.err)"
fi
mv rest.kv in/2.kv

# json rows -> the same rows without the given keys (python: exact re-serialisation is not
# needed, we compare projections as sorted key/value text)
project() { # FILE KEYS...: one line per row, "k=v" for the kept keys, in row order
    python3 - "$@" <<'PY'
import json, sys
drop = set(sys.argv[2:])
for line in open(sys.argv[1]):
    row = json.loads(line)
    print(",".join("%s=%s" % (k, json.dumps(v)) for k, v in row.items() if k not in drop))
PY
}

for dir in "$U"/*/; do
    dir=${dir%/}
    case=$(basename "$dir")
    [ -f "$dir/v2.yaml" ] || continue
    name=upgrade/$case
    mkdir -p "$case"
    "$PIPEC" compat sp "$dir/v2.yaml" > "$case/compat" 2>"$case/compat.err"
    echo "exit $?" >> "$case/compat"
    expect "$name" "$dir/expected.compat" "$case/compat" || continue
    if grep -q '^exit 0$' "$case/compat"; then
        if ! "$PIPEC" build "$dir/v2.yaml" -o "$case/v2" --savepoint sp > "$case/build.log" 2>&1; then
            fail "$name" "pipec build --savepoint refused a compatible savepoint: $(cat "$case/build.log")"
            continue
        fi
        IN='in/*.kv' OUT=$case/p2 "$case/v2" run --quiet --from-savepoint sp 2>"$case/run.err" || {
            fail "$name" "restore failed: $(cat "$case/run.err")"
            continue
        }
        IN='all/*.kv' OUT=$case/whole "$case/v2" run --quiet 2>/dev/null
        ok=1
        check=$(cat "$dir/check")
        for sink in totals counts; do
            [ -f "$case/whole.$sink.jsonl" ] || continue # a dropped sink
            n1=$(wc -l < "p1.$sink.jsonl")
            tail -n +"$((n1 + 1))" "$case/whole.$sink.jsonl" > "$case/whole_tail.$sink.jsonl"
            case "$check:$sink" in
            connector:totals) # the generated customers are not v1's: their totals start fresh
                cmp -s "$case/whole.$sink.jsonl" "$case/p2.$sink.jsonl" \
                    || { fail "$name" "the generated records' totals differ from v2 run alone"; ok=0; } ;;
            tail:*|new:*|fresh:totals|columns:totals)
                cmp -s "$case/whole_tail.$sink.jsonl" "$case/p2.$sink.jsonl" \
                    || { fail "$name" "$sink after the restore differs from v2 over the whole stream"; ok=0; } ;;
            columns:counts)
                project "$case/p2.$sink.jsonl" m > "$case/p2.proj"
                project v1whole.counts.jsonl > "$case/v1.proj.all"
                tail -n +"$((n1 + 1))" "$case/v1.proj.all" > "$case/v1.proj"
                cmp -s "$case/v1.proj" "$case/p2.proj" \
                    || { fail "$name" "the v1 aggregates changed after adding one"; ok=0; }
                python3 - "$case/p2.$sink.jsonl" "$(cat fresh_from)" <<'PY' > "$case/m.err" || ok=0
import json, sys
from datetime import datetime
fresh = int(sys.argv[2])
rows = [json.loads(l) for l in open(sys.argv[1])]
ms = lambda s: int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000)
bad = [r for r in rows if not 0 <= r["m"] <= r["n"] or (ms(r["window_start"]) >= fresh and r["m"] != r["n"])]
if bad or not any(ms(r["window_start"]) >= fresh for r in rows) or not any(r["m"] < r["n"] for r in rows):
    print("FAIL upgrade/add_aggregate: new aggregate wrong in %d rows (or nothing proves it)" % len(bad))
    sys.exit(1)
PY
                [ $ok = 1 ] || { cat "$case/m.err"; } ;;
            fresh:counts|connector:counts)
                python3 - "$case/p2.$sink.jsonl" "$case/whole.$sink.jsonl" "$(cat fresh_from)" <<'PY' || ok=0
import json, sys
from datetime import datetime
fresh = int(sys.argv[3])
ms = lambda s: int(datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp() * 1000)
pick = lambda f: [l for l in open(f) if ms(json.loads(l)["window_start"]) >= fresh]
a, b = pick(sys.argv[1]), pick(sys.argv[2])
if a != b or len(a) < 20:
    print("FAIL upgrade/fresh: windows opened after the cut differ (%d vs %d rows)" % (len(a), len(b)))
    sys.exit(1)
PY
                ;;
            esac
        done
        if [ "$check" = new ]; then # the new operator starts empty: as v2 run alone over the rest
            IN='in/2.kv' OUT=$case/alone "$case/v2" run --quiet 2>/dev/null
            grep -qx "upgrade: operator per_status: new" "$case/run.err" \
                || { fail "$name" "the new operator was not said: $(cat "$case/run.err")"; ok=0; }
            [ -s "$case/alone.extra.jsonl" ] && cmp -s "$case/alone.extra.jsonl" "$case/p2.extra.jsonl" \
                || { fail "$name" "the new operator did not start empty"; ok=0; }
        fi
        if [ "$check" = connector ]; then
            grep -qx "upgrade: source orders: was a file source, now generator: starts from its own startup settings" \
                "$case/run.err" || { fail "$name" "the connector change was not said: $(cat "$case/run.err")"; ok=0; }
        fi
        if [ "$check" = reference ] || [ "$case" = unchanged ]; then
            # v1's state, then v2's stateless stages over the rest, by an independent model
            r=$(python3 "$ROOT/tests/runtime/upgrade_ref.py" "$case" in/1.kv in/2.kv "$case/p2.totals.jsonl" \
                "$case/p2.counts.jsonl" 2>&1)
            case $r in ok*) ;; *) fail "$name" "against the reference: $r"; ok=0 ;; esac
        fi
        if [ "$case" = unchanged ]; then
            for sink in totals counts; do
                cat "p1.$sink.jsonl" "$case/p2.$sink.jsonl" | cmp -s - "v1whole.$sink.jsonl" \
                    || { fail "$name" "savepoint + restore is not one uninterrupted run ($sink)"; ok=0; }
            done
        fi
        [ $ok = 1 ] && pass "$name"
    else
        "$PIPEC" build "$dir/v2.yaml" -o "$case/v2" --savepoint sp > "$case/build.out" 2>&1
        echo "exit $?" >> "$case/build.out"
        sed -i "s#$dir/#CASE/#g" "$case/build.out"
        expect "$name" "$dir/expected.build" "$case/build.out" || continue
        [ ! -e "$case/v2" ] || { fail "$name" "pipec build --savepoint left a binary behind"; continue; }
        build_pipeline "$dir/v2.yaml" "$case/v2" || { fail "$name" "v2 does not build"; continue; }
        IN='in/*.kv' OUT=$case/p2 "$case/v2" run --quiet --from-savepoint sp > /dev/null 2>"$case/run.out"
        echo "exit $?" >> "$case/run.out"
        expect "$name" "$dir/expected.run" "$case/run.out" || continue
        if [ "$case" = dropped_operator ]; then # ... and with the flag it runs, dropping the state
            IN='in/*.kv' OUT=$case/p3 "$case/v2" run --quiet --from-savepoint sp --allow-non-restored-state \
                2>"$case/allow.err" || { fail "$name" "--allow-non-restored-state: $(cat "$case/allow.err")"; continue; }
            grep -q "operator totals: dropped (--allow-non-restored-state)" "$case/allow.err" \
                || { fail "$name" "the dropped operator is not listed: $(cat "$case/allow.err")"; continue; }
            IN='all/*.kv' OUT=$case/whole "$case/v2" run --quiet 2>/dev/null
            n1=$(wc -l < p1.counts.jsonl)
            tail -n +"$((n1 + 1))" "$case/whole.counts.jsonl" | cmp -s - "$case/p3.counts.jsonl" \
                || { fail "$name" "with the state dropped, the windows differ from v2 over the whole stream"; continue; }
        fi
        pass "$name"
    fi
done

# The format is independent of the state backend: a savepoint restores whatever state.backend
# says (the snapshot is the engine's canonical form). Same output as the memory restore above.
if [ -f unchanged/p2.totals.jsonl ]; then
    IN='in/*.kv' OUT=rocks ./v1 run --quiet --from-savepoint sp --set state.backend=rocksdb 2> rocks.err
    if [ $? -ne 0 ]; then
        fail upgrade/backend_rocksdb "restore with state.backend=rocksdb failed: $(cat rocks.err)"
    elif cmp -s rocks.totals.jsonl unchanged/p2.totals.jsonl && cmp -s rocks.counts.jsonl unchanged/p2.counts.jsonl; then
        pass upgrade/backend_rocksdb
    else
        fail upgrade/backend_rocksdb "restored into rocksdb, the output differs from the memory restore"
    fi
fi

# `pipec ids`: the operator IDs of the stateful stages, a rename and a generated id said so.
cat > ids.yaml <<'YAML'
pipeline: ids
sources:
  orders: { generator: { kind: orders, count: 10 }, event_time: ts }
stages:
  - id: by_region
    key_by: region
  - id: spending
    previous_id: totals
    aggregate: { spent: sum(amount) }
  - from: by_region
    window: { tumbling: 1m }
    aggregate: { n: count() }
sinks:
  a: { from: spending, stdout: true }
  b: { from: window_3, stdout: true }
YAML
"$PIPEC" ids ids.yaml > ids.out 2> ids.err
echo "exit $?" >> ids.out
printf '%s\n' "spending: aggregate, renamed from totals (previous_id)" \
    "window_3: window, generated from the stage's position: add an id to keep its state across changes" \
    "exit 0" > ids.want
same_file upgrade/ids ids.want ids.out && pass upgrade/ids
# ... and the built binary's `describe` prints the same map, with each operator's state schema
if build_pipeline ids.yaml idsjob; then
    ./idsjob describe | sed -n '/^operators/,/^$/p' > describe.out
    cat > describe.want <<'TXT'
operators (operator IDs tie state to savepoints; 128 key groups, state.max_parallelism):
  spending: aggregate
    renamed from: totals
    state: key(region string) acc(spent sum:float)
    fingerprints: key 814f237e28b30f61, spent b8ebc2e98713a298
  window_3: window
    state: key(region string) window(tumbling 1m window, event time) acc(n count:int)
    fingerprints: key 814f237e28b30f61, n c5144d27d926ca2e

TXT
    same_file upgrade/describe describe.want describe.out && pass upgrade/describe
else
    fail upgrade/describe "the ids pipeline does not build"
fi

# A savepoint is complete or refused: a flipped byte, a truncated file, a missing file.
corrupt() { # NAME HOW
    rm -rf bad && cp -r sp bad
    eval "$2"
    IN='in/*.kv' OUT=bad ./v1 run --quiet --from-savepoint bad > /dev/null 2> bad.err
    rc=$?
    if [ $rc -ne 1 ]; then
        fail "upgrade/$1" "a damaged savepoint was not refused (exit $rc)"
        return
    fi
    echo "exit $rc" >> bad.err
    expect "upgrade/$1" "$U/corrupt/$1.expected" bad.err && pass "upgrade/$1"
}
mkdir -p "$U/corrupt"
corrupt corrupt_flipped_byte 'printf "\377" | dd of=bad/op-counts.state bs=1 seek=40 conv=notrunc 2>/dev/null'
corrupt corrupt_truncated_metadata 'head -c 100 sp/_metadata > bad/_metadata'
corrupt corrupt_missing_file 'rm bad/op-totals.state'
[ ! -e sp.tmp-* ] 2>/dev/null || fail upgrade/no_temp_left "a temporary savepoint directory was left behind"

# `savepoint dump`: a tiny stream worked by hand (the expected state is derived in pipeline.yaml).
D=$U/dump
if build_pipeline "$D/pipeline.yaml" dumpjob; then
    (cd "$D" && "$TMP_ROOT/dumpjob" run --quiet --savepoint-on-exit "$TMP_ROOT/dsp" 2>/dev/null)
    ./dumpjob savepoint dump dsp > dump.out 2>&1
    echo "exit $?" >> dump.out
    ./dumpjob savepoint dump dsp --operator per_user >> dump.out 2>&1
    echo "exit $?" >> dump.out
    expect upgrade/dump "$D/expected.dump" dump.out && pass upgrade/dump
else
    fail upgrade/dump "the dump pipeline does not build"
fi
