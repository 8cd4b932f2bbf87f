#!/bin/sh
# pipec_home.sh — pipec finds its templates, runtime and link line through the pipec.ninja that
# ./configure writes beside it (or $PIPEC_HOME/pipec.ninja), not by walking the source tree: a
# copy of pipec elsewhere says what is missing, and with PIPEC_HOME builds the same binary.
. "$(dirname "$0")/lib.sh"
[ -x "$PIPEC" ] || { skip pipec_home "no $PIPEC (build first)"; exit 0; }
YAML="$ROOT/tests/runtime/cases/raw_stdin/pipeline.yaml"
mkdir -p "$TMP_ROOT/bin"
cp "$PIPEC" "$TMP_ROOT/bin/pipec"
if NO_COLOR=1 "$TMP_ROOT/bin/pipec" emit "$YAML" -o "$TMP_ROOT/e0" > "$TMP_ROOT/e0.err" 2>&1; then
    fail pipec_home/missing "a pipec without pipec.ninja emitted code"
elif grep -q "cannot read $TMP_ROOT/bin/pipec.ninja" "$TMP_ROOT/e0.err"; then
    pass pipec_home/missing
else
    fail pipec_home/missing "unexpected message: $(head -n 2 "$TMP_ROOT/e0.err" | tr '\n' '|')"
fi
home=$(dirname "$PIPEC")
if PIPEC_HOME="$home" "$TMP_ROOT/bin/pipec" build "$YAML" -o "$TMP_ROOT/job" > "$TMP_ROOT/b.err" 2>&1 &&
   (cd "$ROOT/tests/runtime/cases/raw_stdin" && "$TMP_ROOT/job" run --quiet < input.txt > "$TMP_ROOT/out") &&
   cmp -s "$TMP_ROOT/out" "$ROOT/tests/runtime/cases/raw_stdin/expected/stdout"; then
    pass pipec_home/build
else
    fail pipec_home/build "$(head -n 3 "$TMP_ROOT/b.err" | tr '\n' '|')"
fi
