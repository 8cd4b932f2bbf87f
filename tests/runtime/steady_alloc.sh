#!/bin/sh
# steady_alloc.sh — no malloc per record in steady state: a pipeline whose string aggregates
# (min, max, first, last: prt_ostr slots that keep their buffers; count_distinct over a fixed
# set of values) see 2,000 and then 20,000 records over the same 10 keys and 338 values makes
# exactly as many heap allocations in both runs (valgrind's count; the binary is linked
# dynamically so valgrind sees malloc).
. "$(dirname "$0")/lib.sh"
command -v valgrind > /dev/null || { skip steady_alloc/strings "valgrind is not installed"; exit 0; }
[ -x "$PIPEC" ] || { skip steady_alloc/strings "no $PIPEC (build first)"; exit 0; }
BIN="$TMP_ROOT/strings"
PIPEC_LINK=dynamic build_pipeline "$ROOT/tests/runtime/steady_alloc/strings.yaml" "$BIN" \
    || { fail steady_alloc/strings "pipec build failed"; exit 0; }

# input N: N records over key0..key9; s takes 26 lengths x 13 suffixes, longest last seen late
input() {
    awk -v n="$1" 'BEGIN { a = "abcdefghijklmnopqrstuvwxyz"
        for (i = 0; i < n; i++) printf "k=key%d,s=%s%d,ts=%d\n", i % 10, substr(a, 1, 1 + (i * 7) % 26), i % 13, 1000 + i }'
}
# allocs N: the heap allocations of a run over N records
allocs() {
    input "$1" > "$TMP_ROOT/in.kv"
    (cd "$TMP_ROOT" && valgrind --error-exitcode=99 "$BIN" run --quiet > /dev/null 2> "valgrind.$1") \
        || { echo "run failed: $(tail -n 3 "$TMP_ROOT/valgrind.$1" | tr '\n' '|')"; return 1; }
    sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' "$TMP_ROOT/valgrind.$1" | tr -d ,
}
small=$(allocs 2000) || { fail steady_alloc/strings "$small"; exit 0; }
big=$(allocs 20000) || { fail steady_alloc/strings "$big"; exit 0; }
lines=$(wc -l < "$TMP_ROOT/out.jsonl")
if [ -z "$small" ] || [ "$lines" -ne 10 ]; then
    fail steady_alloc/strings "no allocation count ('$small') or not 10 results ($lines)"
elif [ "$small" != "$big" ]; then
    fail steady_alloc/strings "$small allocations for 2,000 records, $big for 20,000"
else
    pass "steady_alloc/strings ($small allocations for 2,000 and for 20,000 records)"
fi
