#!/bin/sh
# rescale.sh — a savepoint taken at parallelism P restores at parallelism Q: every worker writes
# its own key groups into the one file per operator, and every worker of the restored run loads
# its own key-group range. Part one of a stream runs at P and ends with --savepoint-on-exit
# (open windows stay open); part two runs at Q --from-savepoint. Both parts' outputs together
# equal one uninterrupted run as multisets and per key in order (same_results.py), for
# P -> Q = 1 -> 1 (the test's own baseline), 1 -> 4, 4 -> 2, 2 -> 1 and 4 -> 4; and the
# savepoint itself does not depend on the parallelism it was taken at (dump, byte for byte).
. "$(dirname "$0")/lib.sh"
[ -x "$PIPEC" ] || { skip rescale/all "no $PIPEC (build first)"; exit 0; }
command -v python3 >/dev/null || { skip rescale/all "python3 is not installed"; exit 0; }
D=$TMP_ROOT/data
mkdir -p "$D/all" "$D/part"
cd "$D" || exit 1

keyed_jitter_input 777 40000 > all/1.kv
head -n 23000 all/1.kv > part/1.kv
tail -n +23001 all/1.kv > rest.kv

five_kinds_yaml rescale > rescale.yaml
BIN=$TMP_ROOT/rescale
build_pipeline rescale.yaml "$BIN" || { fail rescale/all "pipec build failed"; exit 0; }
IN='all/*.kv' OUT=whole "$BIN" run --quiet || { fail rescale/all "the uninterrupted run failed"; exit 0; }

OUTS="tumbling sliding sessions every_7 running late"
for pq in 1:1 1:4 4:2 2:1 4:4; do
    p=${pq%:*} q=${pq#*:}
    name=rescale/p${p}_to_q$q
    rm -rf run sp && mkdir run && cp part/1.kv run/1.kv
    if ! IN='run/*.kv' OUT=a "$BIN" run --quiet --set parallelism="$p" --savepoint-on-exit sp 2> a.err; then
        fail "$name" "part one at $p: $(head -n 2 a.err | tr '\n' '|')"
        continue
    fi
    cp rest.kv run/2.kv # the rest arrives in a new file of the glob
    if ! IN='run/*.kv' OUT=b "$BIN" run --quiet --set parallelism="$q" --from-savepoint sp 2> b.err; then
        fail "$name" "part two at $q: $(head -n 2 b.err | tr '\n' '|')"
        continue
    fi
    ok=1 counts=""
    for o in $OUTS; do
        cat a.$o.jsonl b.$o.jsonl > ab.$o.jsonl
        if ! n=$(python3 "$ROOT/tests/runtime/same_results.py" k whole.$o.jsonl ab.$o.jsonl); then
            fail "$name" "$o: $n"
            ok=0
            break
        fi
        counts="$counts $o=$n"
    done
    [ $ok = 1 ] || continue
    # the restored state was spread over the workers, and open windows were really carried
    if [ ! -s b.tumbling.jsonl ] || ! grep -q "restored from savepoint" b.err; then
        fail "$name" "nothing restored: the comparison proves nothing"
        continue
    fi
    "$BIN" savepoint dump sp > dump.p$p
    pass "$name ($counts)"
done

# the savepoint's content is independent of the parallelism it was taken at
ok=1
for p in 2 4; do
    [ -f dump.p$p ] && [ -f dump.p1 ] || { ok=0; break; }
    same_file "rescale/dump_independent_of_parallelism" dump.p1 dump.p$p || { ok=0; break; }
done
[ $ok = 1 ] && pass "rescale/dump_independent_of_parallelism ($(wc -l < dump.p1) lines)"
