#!/bin/sh
# static_chroot.sh — a built pipeline is one fully static binary that runs in an empty root
# (the stand-in for an empty container: no Docker engine here), reading and writing files there.
. "$(dirname "$0")/lib.sh"
[ -x "$PIPEC" ] || { skip static/chroot "no $PIPEC (build first)"; exit 0; }
BIN="$TMP_ROOT/job"
build_pipeline "$ROOT/tests/runtime/cases/win_tumbling/pipeline.yaml" "$BIN" || { fail static/build "pipec build failed"; exit 0; }
if file "$BIN" | grep -q 'statically linked'; then pass static/file; else fail static/file "$(file "$BIN")"; fi
if ldd "$BIN" 2>&1 | grep -q 'not a dynamic executable'; then pass static/ldd; else fail static/ldd "$(ldd "$BIN" 2>&1 | head -n 2)"; fi
root="$TMP_ROOT/root"
mkdir -p "$root"
cp "$BIN" "$root/job"
cp "$ROOT/tests/runtime/cases/win_tumbling/events.kv" "$root/"
if ! unshare -r true 2>/dev/null; then
    skip static/chroot "user namespaces are not available (unshare -r)"
    exit 0
fi
(cd "$root" && unshare -r chroot "$root" /job run --quiet > "$TMP_ROOT/chroot.out" 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
    fail static/chroot "exit $rc: $(head -n 3 "$TMP_ROOT/chroot.out" | tr '\n' '|')"
elif same_file static/chroot "$ROOT/tests/runtime/cases/win_tumbling/expected/out.jsonl" "$root/out.jsonl" &&
     same_file static/chroot "$ROOT/tests/runtime/cases/win_tumbling/expected/late.jsonl" "$root/late.jsonl"; then
    pass static/chroot
fi
ls "$root" | tr '\n' ' ' | grep -q '^events.kv job late.jsonl out.jsonl $' && pass static/chroot-empty-root || fail static/chroot-empty-root "root holds $(ls "$root" | tr '\n' ' ')"
