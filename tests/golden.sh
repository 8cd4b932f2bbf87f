#!/bin/sh
# golden.sh — golden tests of the compiler: diagnostics and generated C.
#
#   tests/golden.sh [--bless] [PIPEC]      (run from anywhere; PIPEC defaults to build/pipec)
#
# For every tests/golden/<area>/<case>.yaml:
#   - when <case>.stderr exists or the YAML has a "# expect-error: words" / "# expect-warning: words"
#     line: `NO_COLOR=1 pipec check` must print exactly <case>.stderr (diff -u on mismatch), every key
#     word of the expect line must appear in it, and the exit code must be 1 with expect-error, else 0;
#   - when <case>.c.golden exists: `pipec emit` twice gives identical bytes, equal to the golden
#     (and a pipeline with function stages: its pipec_functions.h equal to <case>.h.golden).
# --bless rewrites .stderr and .c.golden from the current compiler (review the diff like code),
# and the goldens of `pipec test` (tests/ptest/*.out, through tests/runtime/ptest.sh --bless).
# One line per case: "PASS golden/<area>/<case>" or "FAIL golden/<area>/<case>: why".
set -u
cd "$(dirname "$0")/.." || exit 2
bless=0
if [ "${1:-}" = "--bless" ]; then bless=1; shift; fi
PIPEC=${1:-build/pipec}
case "$PIPEC" in /*) ;; *) PIPEC="$PWD/$PIPEC" ;; esac
[ -x "$PIPEC" ] || { echo "golden.sh: no compiler at $PIPEC (run ninja first)" >&2; exit 2; }
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
fails=0

for yaml in tests/golden/*/*.yaml; do
    [ -e "$yaml" ] || continue
    dir=${yaml%/*}; area=${dir##*/}; base=${yaml##*/}; case_=${base%.yaml}
    name="golden/$area/$case_"
    stem="$dir/$case_"
    why=""
    expect=$(grep -m1 -E '^# *expect-(error|warning):' "$yaml" || true)
    if [ -e "$stem.stderr" ] || [ -n "$expect" ]; then
        NO_COLOR=1 "$PIPEC" check "$yaml" >/dev/null 2>"$tmp/stderr"
        rc=$?
        if [ $bless = 1 ]; then cp "$tmp/stderr" "$stem.stderr"; fi
        want_rc=0
        case "$expect" in *expect-error:*) want_rc=1 ;; esac
        if [ ! -e "$stem.stderr" ]; then
            why="missing $stem.stderr (run with --bless)"
        elif ! cmp -s "$tmp/stderr" "$stem.stderr"; then
            diff -u "$stem.stderr" "$tmp/stderr" | sed 's/^/    /'
            why="stderr differs from $stem.stderr"
        elif [ $rc -ne $want_rc ]; then
            why="exit code $rc, expected $want_rc"
        fi
        if [ -z "$why" ] && [ -n "$expect" ]; then
            words=${expect#*:}
            for w in $words; do
                if ! grep -qiF -- "$w" "$tmp/stderr"; then
                    why="key word '$w' of the expect line is not in the diagnostics"
                    break
                fi
            done
            kind=error; case "$expect" in *expect-warning:*) kind=warning ;; esac
            if [ -z "$why" ] && ! grep -q ": $kind: " "$tmp/stderr"; then
                why="expected a $kind diagnostic"
            fi
        fi
    fi
    if [ -z "$why" ] && [ -e "$stem.c.golden" ]; then
        rm -rf "$tmp/e1" "$tmp/e2"
        if ! NO_COLOR=1 "$PIPEC" emit "$yaml" -o "$tmp/e1" >/dev/null 2>"$tmp/emit.err" ||
           ! NO_COLOR=1 "$PIPEC" emit "$yaml" -o "$tmp/e2" >/dev/null 2>>"$tmp/emit.err"; then
            sed 's/^/    /' "$tmp/emit.err"
            why="pipec emit failed"
        else
            out=$(ls "$tmp/e1"/*.c 2>/dev/null | head -n 1)
            if [ -z "$out" ]; then
                why="pipec emit wrote no .c file"
            elif ! diff -r "$tmp/e1" "$tmp/e2" >/dev/null; then
                why="pipec emit is not deterministic (two runs differ)"
            else
                if [ $bless = 1 ]; then cp "$out" "$stem.c.golden"; fi
                if ! cmp -s "$out" "$stem.c.golden"; then
                    diff -u "$stem.c.golden" "$out" | head -n 60 | sed 's/^/    /'
                    why="generated C differs from $stem.c.golden"
                fi
                # a pipeline with functions also gets their header: <case>.h.golden
                hdr="$tmp/e1/pipec_functions.h"
                if [ -z "$why" ] && [ -e "$hdr" ]; then
                    if [ $bless = 1 ]; then cp "$hdr" "$stem.h.golden"; fi
                    if ! cmp -s "$hdr" "$stem.h.golden"; then
                        diff -u "$stem.h.golden" "$hdr" | head -n 60 | sed 's/^/    /'
                        why="generated header differs from $stem.h.golden"
                    fi
                fi
            fi
        fi
    fi
    if [ -z "$why" ] && [ ! -e "$stem.stderr" ] && [ -z "$expect" ] && [ ! -e "$stem.c.golden" ]; then
        # nothing blessed yet: the pipeline must at least check clean
        if ! NO_COLOR=1 "$PIPEC" check "$yaml" >/dev/null 2>"$tmp/stderr" || [ -s "$tmp/stderr" ]; then
            sed 's/^/    /' "$tmp/stderr"
            why="pipec check is not clean (and there is no .stderr, expect line or .c.golden)"
        fi
    fi
    if [ -n "$why" ]; then
        echo "FAIL $name: $why"
        fails=$((fails + 1))
    else
        echo "PASS $name"
    fi
done
if [ $bless = 1 ]; then # pipec test's own goldens: they build and run binaries, so they live there
    PIPEC="$PIPEC" sh tests/runtime/ptest.sh --bless || fails=$((fails + 1))
fi
[ $fails -eq 0 ]
