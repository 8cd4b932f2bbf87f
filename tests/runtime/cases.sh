#!/bin/sh
# cases.sh — data-driven end-to-end tests: every tests/runtime/cases/<name>/ holds
#   pipeline.yaml   the pipeline, compiled with pipec build
#   cmd             optional: a shell command run in a copy of the case directory, with $BIN set
#                   (default: "$BIN" run --quiet)
#   expected/       files to compare exactly: expected/stdout and expected/stderr against the
#                   command's output, expected/exit against its exit code (default 0), and any
#                   other expected/<file> against the file <file> the run wrote.
# Usage: sh tests/runtime/cases.sh [name…]
# SANITIZE=1 links every case against the ASan+UBSan runtime (build/asan/libprt.a) and compiles
# the generated C with the sanitizers too; results are then named asan:cases/<name>.
. "$(dirname "$0")/lib.sh"
tag=cases
if [ "${SANITIZE:-0}" = 1 ]; then
    tag=asan:cases
    export PIPEC_RUNTIME_LIB="$ROOT/build/asan/libprt.a" PIPEC_LINK=dynamic
    export PIPEC_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
    export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
fi
cd "$ROOT/tests/runtime/cases" || exit 1
[ -x "$PIPEC" ] || { skip cases "no $PIPEC (build first)"; exit 0; }
names=${*:-$(ls)}
for name in $names; do
    src="$ROOT/tests/runtime/cases/$name"
    [ -f "$src/pipeline.yaml" ] || continue
    work="$TMP_ROOT/$name"
    mkdir -p "$work"
    cp -r "$src"/. "$work"/
    rm -rf "$work/expected"
    BIN="$TMP_ROOT/bin-$name"
    if ! build_pipeline "$src/pipeline.yaml" "$BIN" > "$work/build.out" 2>&1; then
        fail "$tag/$name" "pipec build failed: $(head -n 5 "$work/build.out" | tr '\n' '|')"
        continue
    fi
    cmd='"$BIN" run --quiet'
    [ -f "$src/cmd" ] && cmd=$(cat "$src/cmd")
    (cd "$work" && BIN="$BIN" timeout 60 sh -c "$cmd" > "$work/.stdout" 2> "$work/.stderr"; echo $? > "$work/.exit")
    ok=1
    want_exit=0
    [ -f "$src/expected/exit" ] && want_exit=$(cat "$src/expected/exit")
    if [ "$(cat "$work/.exit")" != "$want_exit" ]; then
        fail "$tag/$name" "exit $(cat "$work/.exit"), expected $want_exit: $(head -n 3 "$work/.stderr" | tr '\n' '|')"
        continue
    fi
    for e in "$src"/expected/*; do
        [ -f "$e" ] || continue
        f=$(basename "$e")
        case $f in
        exit) continue ;;
        stdout) actual="$work/.stdout" ;;
        stderr) actual="$work/.stderr" ;;
        *) actual="$work/$f" ;;
        esac
        same_file "$tag/$name" "$e" "$actual" || { ok=0; break; }
    done
    [ $ok = 1 ] && pass "$tag/$name"
done
