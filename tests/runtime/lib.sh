# lib.sh — helpers for tests/runtime/*.sh (sourced). Protocol: PASS/FAIL/SKIP lines.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PIPEC=${PIPEC:-$ROOT/build/pipec}
TMP_ROOT=$(mktemp -d /tmp/pipec-test.XXXXXX)
trap 'rm -rf "$TMP_ROOT"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# build_pipeline YAML BIN: compiles with pipec; prints the diagnostics and returns 1 on failure.
build_pipeline() {
    "$PIPEC" build "$1" -o "$2" > "$TMP_ROOT/build.log" 2>&1 || { cat "$TMP_ROOT/build.log"; return 1; }
}

# same_file NAME EXPECTED ACTUAL: exact comparison; on a difference prints the first lines of diff.
same_file() {
    if [ ! -f "$3" ]; then
        fail "$1" "missing output $(basename "$3")"
        return 1
    fi
    if ! cmp -s "$2" "$3"; then
        fail "$1" "$(basename "$3") differs: $(diff -u "$2" "$3" | sed -n '4,12p' | tr '\n' '|')"
        return 1
    fi
    return 0
}
