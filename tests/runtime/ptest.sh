#!/bin/sh
# ptest.sh — `pipec test` itself, and the example tests beside the pipelines.
#
#   sh tests/runtime/ptest.sh [--bless]       (tests/golden.sh --bless runs it with --bless)
#
# Golden cases: every tests/ptest/* file with a "# expect-exit: N" line. Its "# pipeline: P"
# line names the pipeline (beside it) and the file is the cases file: `pipec test P FILE`;
# without one the file is a pipeline tested by itself: `pipec test FILE`. A "# args: A B" line
# adds options (words split by the shell). What pipec prints (its
# stdout, then its stderr) must equal <file without .yaml>.out, and its exit status N. --bless
# rewrites the .out files (review the diff like code; the expect-exit line catches a careless one).
# Examples: every pipelines/*.test.yaml, pipelines/nexmark/*.test.yaml and
# pipelines/shopping_cart/*.test.yaml passes all its cases.
# SANITIZE=1 runs the same under ASan+UBSan, pipec (build/asan/pipec) and the test binaries it
# builds alike; results are then named asan:ptest/…
. "$(dirname "$0")/lib.sh"
bless=0
[ "${1:-}" = "--bless" ] && bless=1
tag=ptest
if [ "${SANITIZE:-0}" = 1 ]; then
    tag=asan:ptest
    PIPEC=$ROOT/build/asan/pipec
    export PIPEC_HOME="$ROOT/build" PIPEC_RUNTIME_LIB="$ROOT/build/asan/libprt.a" PIPEC_LINK=dynamic
    export PIPEC_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
    export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
fi
cd "$ROOT" || exit 1
[ -x "$PIPEC" ] || { fail $tag "no compiler at $PIPEC (run ninja first)"; exit 0; }

for f in tests/ptest/*.yaml; do
    want=$(sed -n 's/^# *expect-exit: *\([0-9]*\).*/\1/p' "$f" | head -n 1)
    [ -n "$want" ] || continue
    name=$tag/$(basename "${f%.yaml}")
    golden=${f%.yaml}.out
    pipeline=$(sed -n 's/^# *pipeline: *//p' "$f" | head -n 1)
    args=$(sed -n 's/^# *args: *//p' "$f" | head -n 1)
    if [ -n "$pipeline" ]; then
        NO_COLOR=1 "$PIPEC" test "tests/ptest/$pipeline" "$f" $args > "$TMP_ROOT/out" 2> "$TMP_ROOT/err"
    else
        NO_COLOR=1 "$PIPEC" test "$f" $args > "$TMP_ROOT/out" 2> "$TMP_ROOT/err"
    fi
    rc=$?
    cat "$TMP_ROOT/out" "$TMP_ROOT/err" > "$TMP_ROOT/got"
    [ $bless = 1 ] && cp "$TMP_ROOT/got" "$golden"
    if [ ! -f "$golden" ]; then
        fail "$name" "missing $golden (run with --bless)"
    elif ! cmp -s "$golden" "$TMP_ROOT/got"; then
        diff -u "$golden" "$TMP_ROOT/got" | head -n 40 | sed 's/^/    /'
        fail "$name" "output differs from $golden"
    elif [ "$rc" != "$want" ]; then
        fail "$name" "exit status $rc, expected $want"
    else
        pass "$name"
    fi
done

# a test build is generated deterministically too: the same YAML, the same bytes
rm -rf "$TMP_ROOT/e1" "$TMP_ROOT/e2"
if "$PIPEC" emit --test-build tests/ptest/shop.yaml -o "$TMP_ROOT/e1" > "$TMP_ROOT/emit.err" 2>&1 &&
   "$PIPEC" emit --test-build tests/ptest/shop.yaml -o "$TMP_ROOT/e2" >> "$TMP_ROOT/emit.err" 2>&1; then
    if ! cmp -s "$TMP_ROOT/e1/shop.c" "$TMP_ROOT/e2/shop.c"; then
        fail "$tag/test-build-deterministic" "two emits of the test build differ"
    elif ! grep -q '^static const prt_test_desc pg__test = {' "$TMP_ROOT/e1/shop.c"; then
        fail "$tag/test-build-deterministic" "no test descriptor in the test build"
    else
        pass "$tag/test-build-deterministic"
    fi
else
    fail "$tag/test-build-deterministic" "pipec emit --test-build failed: $(tr '\n' ' ' < "$TMP_ROOT/emit.err")"
fi

for t in pipelines/*.test.yaml pipelines/nexmark/*.test.yaml pipelines/shopping_cart/*.test.yaml; do
    [ -f "$t" ] || continue
    name=$tag/example/${t#pipelines/}
    "$PIPEC" test "${t%.test.yaml}.yaml" > "$TMP_ROOT/out" 2>&1
    rc=$?
    last=$(tail -n 1 "$TMP_ROOT/out")
    case "$rc:$last" in
    "0:"*" passed, 0 failed") pass "$name ($last)" ;;
    *) sed 's/^/    /' "$TMP_ROOT/out" | head -n 40; fail "$name" "pipec test exited $rc: $last" ;;
    esac
done
