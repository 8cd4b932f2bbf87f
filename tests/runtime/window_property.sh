#!/bin/sh
# window_property.sh — property test of the window engine: for each window kind, a seeded random
# stream of 100000 out-of-order records (several keys, negative timestamps, late and very late
# records) goes through build/tools/window-driver (runtime/prt_window.c) and through the
# independent reference tests/reference/flink_windows.py; their outputs must be identical.
# The *_rocksdb cases run six kinds again with state.backend rocksdb's engine (--rocksdb, a
# budget of a few keys: constant eviction and loading back), straight and snapshotted.
# The *_panes cases are sliding windows whose size is a multiple of the slide, which the engine
# keeps as panes (runtime/prt_window_pane.c); each also runs beside a twin operator kept one slot
# per window, whose snapshots (all key groups, and each half of a rescale to 2) must equal the
# pane operator's byte for byte every 997 records, while the pane operator is snapshotted and
# restored (into panes) every 1009 records and the twin never is (*_twin).
# Prints "PASS window_property/<case>" or "FAIL window_property/<case>: <first differing line>"
# (protocol: tests/unit/prt_test.h). Run from the repository root; exits 1 on any failure.
set -u
DRIVER=${WINDOW_DRIVER:-build/tools/window-driver}
REF=tests/reference/flink_windows.py
N=${WINDOW_PROPERTY_N:-100000}
if [ ! -x "$DRIVER" ]; then
    echo "SKIP window_property/all: $DRIVER not built (ninja $DRIVER)"
    exit 0
fi
tmp=$(mktemp -d /tmp/window_property.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Two streams (seeds 1 and 2): 12 keys with skewed rates; event time starts negative and moves
# forward 0..6 ms per record; most records are up to 300 ms out of order, 3% up to 1.5 s late
# and 0.5% some 100 s late.
python3 - "$tmp" "$N" <<'PY'
import random, sys
d, n = sys.argv[1], int(sys.argv[2])
for seed in (1, 2):
    r = random.Random(seed)
    keys = ["k%d" % i for i in range(12)]
    weights = [1 + i * i for i in range(12)]
    base = -150000
    with open("%s/in%d.csv" % (d, seed), "w") as f:
        for _ in range(n):
            base += r.randint(0, 6)
            x = r.random()
            if x < 0.005:
                ts = base - r.randint(50000, 150000)
            elif x < 0.035:
                ts = base - r.randint(300, 1500)
            else:
                ts = base - int(r.expovariate(1 / 60.0)) % 300
            f.write("%s,%d,%d\n" % (r.choices(keys, weights)[0], ts, r.randint(-100, 100)))
PY

fail=0
run_case() { # name seed args...
    name=$1 seed=$2
    eval "args_$name=\"\$*\""
    shift 2
    in=$tmp/in$seed.csv
    "$DRIVER" "$@" <"$in" >"$tmp/$name.c.out" 2>"$tmp/$name.c.err" &
    dpid=$!
    python3 "$REF" "$@" <"$in" >"$tmp/$name.py.out" 2>"$tmp/$name.py.err"
    prc=$?
    wait $dpid
    crc=$?
    # the same stream with the operator snapshotted and rebuilt from bytes every 1009 records
    "$DRIVER" --snapshot-every 1009 "$@" <"$in" >"$tmp/${name}_restored.c.out" 2>"$tmp/${name}_restored.c.err"
    if [ $? -ne 0 ]; then
        echo "FAIL window_property/${name}_restored: $(head -c 300 "$tmp/${name}_restored.c.err")"
        fail=1
    elif cmp -s "$tmp/${name}_restored.c.out" "$tmp/$name.py.out"; then
        echo "PASS window_property/${name}_restored (snapshot and rebuild every 1009 records)"
    else
        echo "FAIL window_property/${name}_restored: output differs from the reference after rebuilds"
        fail=1
    fi
    if [ $crc -ne 0 ] || [ $prc -ne 0 ]; then
        echo "FAIL window_property/$name: driver exit $crc, reference exit $prc: $(head -c 300 "$tmp/$name.c.err" "$tmp/$name.py.err" | tr '\n' ' ')"
        fail=1
        return
    fi
    if cmp -s "$tmp/$name.c.out" "$tmp/$name.py.out"; then
        if [ ! -s "$tmp/$name.c.out" ]; then
            echo "FAIL window_property/$name: no output at all"
            fail=1
        else
            echo "PASS window_property/$name ($(wc -l <"$tmp/$name.c.out") results)"
        fi
        return
    fi
    line=$(cmp "$tmp/$name.c.out" "$tmp/$name.py.out" 2>&1 | sed -n 's/.* line \([0-9]*\).*/\1/p')
    line=${line:-1}
    echo "FAIL window_property/$name: line $line: driver: $(sed -n "${line}p" "$tmp/$name.c.out")  reference: $(sed -n "${line}p" "$tmp/$name.py.out")"
    fail=1
}

# rocks_case NAME BUDGET: case NAME again with state.backend rocksdb and a budget of a few keys
# (state evicted and loaded back all the time), straight and snapshotted every 1009 records; the
# output must equal the reference's (so the all-in-memory engine's) byte for byte.
rocks_case() { # NAME BUDGET [LABEL SUFFIX]
    name=$1 budget=$2 suffix=${3:-}
    eval "set -- \$args_$name" # the case's own: name seed options...
    seed=$2
    shift 2
    for snap in 0 1009; do
        label=${name}_rocksdb$suffix
        [ $snap = 0 ] || label=${name}_rocksdb${suffix}_restored
        rm -rf "$tmp/rdb"
        if ! WINDOW_DRIVER_STATS=1 "$DRIVER" --rocksdb "$tmp/rdb" --budget "$budget" --snapshot-every $snap "$@" <"$tmp/in$seed.csv" \
            >"$tmp/$label.out" 2>"$tmp/$label.err"; then
            echo "FAIL window_property/$label: $(head -c 300 "$tmp/$label.err")"
            fail=1
        elif ! grep -q '^evicted [1-9]' "$tmp/$label.err"; then
            echo "FAIL window_property/$label: nothing was evicted: $(head -c 200 "$tmp/$label.err")"
            fail=1
        elif cmp -s "$tmp/$label.out" "$tmp/$name.py.out"; then
            echo "PASS window_property/$label (budget $budget bytes: $(head -n 1 "$tmp/$label.err"))"
        else
            echo "FAIL window_property/$label: $(cmp "$tmp/$label.out" "$tmp/$name.py.out" 2>&1)"
            fail=1
        fi
    done
}

# pane_case NAME SEED OPTIONS...: run_case, then the twin check (see the top).
pane_case() {
    run_case "$@"
    name=$1 seed=$2
    shift 2
    label=${name}_twin
    if ! "$DRIVER" --snapshot-every 1009 --twin "$tmp/$label.twin" --twin-every 997 "$@" <"$tmp/in$seed.csv" >"$tmp/$label.out" 2>"$tmp/$label.err"; then
        echo "FAIL window_property/$label: $(head -c 300 "$tmp/$label.err")"
        fail=1
        return
    fi
    grep -v '^{"late"' "$tmp/$name.py.out" >"$tmp/$label.ref" # the twin prints no side output
    if cmp -s "$tmp/$label.out" "$tmp/$name.py.out" && cmp -s "$tmp/$label.twin" "$tmp/$label.ref"; then
        echo "PASS window_property/$label (rebuilt every 1009 records, snapshots equal every 997, both outputs the reference's)"
    else
        echo "FAIL window_property/$label: $(cmp "$tmp/$label.out" "$tmp/$name.py.out" 2>&1) $(cmp "$tmp/$label.twin" "$tmp/$label.ref" 2>&1)"
        fail=1
    fi
}

run_case tumbling 1 --kind tumbling --size 1000 --ooo 300
run_case tumbling_lateness 2 --kind tumbling --size 1000 --offset 250 --lateness 700 --ooo 300
pane_case sliding 1 --kind sliding --size 1000 --slide 250 --ooo 300
pane_case sliding_panes_lateness 2 --kind sliding --size 1000 --slide 250 --offset 100 --lateness 700 --ooo 300
pane_case sliding_panes_one 1 --kind sliding --size 500 --slide 500 --lateness 300 --ooo 300
pane_case sliding_panes_far 2 --kind sliding --size 3000 --slide 100 --offset -40 --lateness 2000 --ooo 300
run_case sliding_processing 1 --kind sliding --size 1200 --slide 400 --time processing
run_case sliding_lateness 2 --kind sliding --size 900 --slide 400 --offset 100 --lateness 500 --ooo 300
run_case session 1 --kind session --gap 40 --ooo 300
run_case session_lateness 2 --kind session --gap 40 --lateness 400 --ooo 300
run_case global_purge 1 --kind global --count 7 --purge 1
run_case global_no_purge 2 --kind global --count 5 --purge 0
run_case running 1 --kind running
run_case tumbling_processing 2 --kind tumbling --size 1000 --time processing
run_case session_processing 1 --kind session --gap 30 --time processing
rocks_case tumbling_lateness 2000
rocks_case sliding_lateness 4000
rocks_case sliding_panes_lateness 4000
rocks_case sliding_panes_lateness 12000 _12k # panes until they pass the budget, then windows
rocks_case session_lateness 2000
rocks_case global_purge 2000
rocks_case running 2000
rocks_case session_processing 2000
exit $fail
