#!/bin/sh
# functions.sh — function stages end to end: seed 004's shopping cart (pipelines/shopping_cart's
# functions, over files: functions/shopping_cart_files.yaml) gives exactly the expected cart
# status events and error-sink lines; a kill -9 in the middle of a chain of messages, recovered
# from a checkpoint, gives the same output; a savepoint holds the functions' state (dump), and a
# rebuild that adds a state field restores from it; delayed messages (timers) fire in order and
# survive a savepoint; failing handlers give exact error-sink lines; a wrong send is a C error
# naming the user's file and line; deleted and empty keys are not kept.
# SANITIZE=1: the runtime, the generated C and the functions' C under ASan+UBSan (as cases.sh).
. "$(dirname "$0")/lib.sh"
if [ "${SANITIZE:-0}" = 1 ]; then
    export PIPEC_RUNTIME_LIB="$ROOT/build/asan/libprt.a" PIPEC_LINK=dynamic
    export PIPEC_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
    export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
fi
TAG=functions
[ "${SANITIZE:-0}" = 1 ] && TAG=asan:functions
D=$ROOT/tests/runtime/functions
T=$TMP_ROOT
BIN=$T/sc
build_pipeline "$D/shopping_cart_files.yaml" "$BIN" || { fail $TAG/build "pipec build failed"; exit 0; }
cp "$D/events.jsonl" "$T/events.jsonl"
cd "$T" || exit 1
run() { # DIR [ARGS...]: the cart over events.jsonl into DIR
    dir=$1; shift
    mkdir -p "$dir"
    EVENTS_PATH=events.jsonl OUT_PATH=$dir/status.jsonl ERRORS_PATH=$dir/errors.jsonl STATE_DIR=$dir/state \
        "$BIN" run --quiet "$@" 2> "$dir/err"
}

# ---------------------------------------------------------------- the scenario, exact
if ! run ref; then fail $TAG/shopping_cart "exit $?: $(head -n 3 ref/err | tr '\n' '|')"
elif same_file $TAG/shopping_cart "$D/expected_status.jsonl" ref/status.jsonl &&
     same_file $TAG/shopping_cart "$D/expected_errors.jsonl" ref/errors.jsonl; then
    pass $TAG/shopping_cart
fi

# ---------------------------------------------------------------- deleted and empty keys
# At the end: cart c2 deleted itself (DELETE: it unsubscribed from its products first), cart c3
# and product p3 only failed (their state stayed empty): none of them is kept.
if ! run all --savepoint-on-exit all/sp; then fail $TAG/deleted_keys "exit $?: $(head -n 3 all/err | tr '\n' '|')"
else
    "$BIN" savepoint dump all/sp > all/dump 2>&1
    same_file $TAG/deleted_keys "$D/expected_dump_all.jsonl" all/dump && pass $TAG/deleted_keys
fi

# ---------------------------------------------------------------- kill -9 mid-chain
# Records 1-5 (six messages) are read while the file is followed, and checkpointed; then the
# rest arrives and the job is killed at the 8th message: product p1's price change has reached
# cart c1 (its status event is written, not committed) but not cart c2. The restart resumes
# from the checkpoint and must give exactly the uninterrupted output.
head -n 5 events.jsonl > kill.jsonl
mkdir -p kill
EVENTS_PATH=kill.jsonl FOLLOW=true CHECKPOINT_INTERVAL=50ms OUT_PATH=kill/status.jsonl ERRORS_PATH=kill/errors.jsonl \
    STATE_DIR=kill/state PRT_CRASH_AT=fn-message:8 timeout 60 "$BIN" run --quiet 2> kill/err &
pid=$!
i=0
while [ $i -lt 200 ] && ! ls kill/state 2>/dev/null | grep -q '^chk-'; do sleep 0.05; i=$((i + 1)); done
sleep 0.2
tail -n +6 events.jsonl >> kill.jsonl
wait $pid; rc=$?
if [ $rc != 137 ]; then fail $TAG/kill9_mid_chain "the run to kill exited $rc: $(head -n 3 kill/err | tr '\n' '|')"
else
    EVENTS_PATH=kill.jsonl OUT_PATH=kill/status.jsonl ERRORS_PATH=kill/errors.jsonl STATE_DIR=kill/state \
        "$BIN" run 2> kill/err2; rc=$?
    sed 's/kill\.jsonl/events.jsonl/' kill/errors.jsonl > kill/errors.norm
    if [ $rc != 0 ]; then fail $TAG/kill9_mid_chain "restart exited $rc: $(head -n 3 kill/err2 | tr '\n' '|')"
    elif ! grep -q "resuming from checkpoint" kill/err2; then fail $TAG/kill9_mid_chain "no resume: $(head -n 2 kill/err2 | tr '\n' '|')"
    elif same_file $TAG/kill9_mid_chain ref/status.jsonl kill/status.jsonl &&
         same_file $TAG/kill9_mid_chain ref/errors.jsonl kill/errors.norm; then
        pass $TAG/kill9_mid_chain
    fi
fi

# ---------------------------------------------------------------- kill -9, again and again
# 8000 generated cart and product events (~55000 status events); checkpoints every 10 ms. The job
# is killed 12 times: in the middle of a chain of messages (fn-message:N), in the middle of a file
# commit, right after a commit; each restart resumes from the newest checkpoint. After every kill
# the visible output is a prefix of the uninterrupted run's; in the end it is all of it, byte for
# byte.
awk 'BEGIN { srand(7); t = 1714557600; for (i = 0; i < 8000; i++) { t += 1; r = rand();
  ts = strftime("%Y-%m-%dT%H:%M:%SZ", t, 1);
  if (r < 0.2) { p = int(rand()*50); pr = 5 + int(rand()*2); av = rand() < 0.8 ? "IN_STOCK" : "OUT_OF_STOCK";
    printf "{\"specversion\":\"1.0\",\"type\":\"com.example.product\",\"source\":\"g\",\"id\":\"e%d\",\"time\":\"%s\",\"data\":{\"product_id\":\"p%d\",\"name\":\"n%d\",\"price\":%d.0,\"availability\":\"%s\"}}\n", i, ts, p, p, pr, av }
  else { c = int(rand()*200); p = int(rand()*50); act = rand() < 0.8 ? "ADD" : "REMOVE";
    printf "{\"specversion\":\"1.0\",\"type\":\"com.example.cart.product\",\"source\":\"g\",\"id\":\"e%d\",\"time\":\"%s\",\"data\":{\"cart_id\":\"c%d\",\"product_id\":\"p%d\",\"action\":\"%s\",\"quantity\":%d,\"price\":%d.0,\"availability\":\"IN_STOCK\"}}\n", i, ts, c, p, act, 1 + int(rand()*3), 5 + int(rand()*2) } } }' > big.jsonl
big() { # DIR: the cart over big.jsonl; PRT_CRASH_AT from the environment
    EVENTS_PATH=big.jsonl OUT_PATH=$1/status.jsonl ERRORS_PATH=$1/errors.jsonl STATE_DIR=$1/state CHECKPOINT_INTERVAL=10ms \
        "$BIN" run --quiet 2>> "$1/err"
}
mkdir -p bigref big
big bigref
kills=0 bad=""
for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
    case $((k % 3)) in
    0) point=ckpt-committed:1 ;;
    1) point=fn-message:$(( (k * 7919) % 3000 + 1 )) ;;
    2) point=file-commit-mid:1 ;;
    esac
    PRT_CRASH_AT=$point big big; rc=$?
    [ $rc = 0 ] && break
    [ $rc = 137 ] || { bad="run $k ($point) exited $rc: $(tail -n 2 big/err | tr '\n' '|')"; break; }
    kills=$((kills + 1))
    n=$(wc -c < big/status.jsonl 2>/dev/null || echo 0)
    if ! head -c "$n" bigref/status.jsonl | cmp -s - big/status.jsonl; then bad="after kill $k ($point) the output is no prefix"; break; fi
done
if [ -z "$bad" ] && [ $rc != 0 ]; then big big || bad="the last run exited $?: $(tail -n 2 big/err | tr '\n' '|')"; fi
if [ -n "$bad" ]; then fail $TAG/kill9_random "$bad"
elif [ $kills -lt 6 ]; then fail $TAG/kill9_random "only $kills kills landed"
elif same_file $TAG/kill9_random bigref/status.jsonl big/status.jsonl; then
    pass "$TAG/kill9_random ($kills kills, $(wc -l < bigref/status.jsonl) status events)"
fi

# ---------------------------------------------------------------- savepoint: dump, add a field
head -n 7 events.jsonl > sp.jsonl
if ! EVENTS_PATH=sp.jsonl OUT_PATH=sp1.jsonl ERRORS_PATH=sp1.err.jsonl STATE_DIR=sp1-state \
        "$BIN" run --quiet --savepoint-on-exit sp 2> sp1.err; then
    fail $TAG/savepoint_dump "run exited $?: $(head -n 3 sp1.err | tr '\n' '|')"
else
    "$BIN" savepoint dump sp > dump.out 2>&1
    same_file $TAG/savepoint_dump "$D/expected_dump.jsonl" dump.out && pass $TAG/savepoint_dump
fi
# v2 adds a state field to product (starts empty) and reads the rest of the events
sed -e 's/^        known: bool .*/&\n        description: string/' "$D/shopping_cart_files.yaml" > v2.yaml
sed -i 's|\.\./\.\./\.\./pipelines|'"$ROOT"'/pipelines|' v2.yaml
if ! build_pipeline v2.yaml v2 > v2.log 2>&1; then fail $TAG/savepoint_upgrade "v2 build: $(head -n 3 v2.log | tr '\n' '|')"
else
    "$PIPEC" compat sp v2.yaml > compat.out 2>&1; crc=$?
    tail -n +8 events.jsonl > rest.jsonl
    EVENTS_PATH=rest.jsonl OUT_PATH=sp2.jsonl ERRORS_PATH=sp2.err.jsonl STATE_DIR=sp2-state \
        ./v2 run --quiet --from-savepoint sp 2> sp2.err; rc=$?
    head -n 4 ref/status.jsonl > want.jsonl
    if [ $crc != 0 ] || ! grep -qx "product: evolved: added 'description' (starts empty)" compat.out ||
       ! grep -qx "cart: restored" compat.out; then
        fail $TAG/savepoint_upgrade "compat exit $crc: $(tr '\n' '|' < compat.out)"
    elif [ $rc != 0 ]; then fail $TAG/savepoint_upgrade "restore exited $rc: $(head -n 3 sp2.err | tr '\n' '|')"
    else
        cat sp1.jsonl sp2.jsonl > both.jsonl
        same_file $TAG/savepoint_upgrade ref/status.jsonl both.jsonl && pass $TAG/savepoint_upgrade
    fi
fi

# a changed state type is incompatible: pipec compat names it and exits 1
sed -e 's/^        statuses: int .*/        statuses: float/' -e 's|\.\./\.\./\.\./pipelines|'"$ROOT"'/pipelines|' \
    "$D/shopping_cart_files.yaml" > v3.yaml
"$PIPEC" compat sp v3.yaml > compat3.out 2> compat3.err; rc=$?
if [ $rc != 1 ] || [ "$(cat compat3.out)" != "product: restored
cart: incompatible: state 'statuses': float was int" ]; then
    fail $TAG/savepoint_type_change "exit $rc: $(cat compat3.out compat3.err | head -n 4 | tr '\n' '|')"
else pass $TAG/savepoint_type_change; fi

# ---------------------------------------------------------------- delayed messages (timers)
# functions/reminder.yaml: each cart event schedules a check 30 minutes of event time later;
# checks fire as the watermark passes them (the rest at the end of input), in due order.
RBIN=$T/reminder
cp "$D/reminder.jsonl" reminder.jsonl
if ! build_pipeline "$D/reminder.yaml" "$RBIN" > rbuild.log 2>&1; then
    fail $TAG/timers "pipec build: $(head -n 3 rbuild.log | tr '\n' '|')"
    fail $TAG/timers_savepoint "no build"
else
    if ! EVENTS_PATH=reminder.jsonl OUT_PATH=rem.jsonl "$RBIN" run --quiet 2> rem.err; then
        fail $TAG/timers "exit $?: $(head -n 3 rem.err | tr '\n' '|')"
    elif same_file $TAG/timers "$D/expected_reminder.jsonl" rem.jsonl; then pass $TAG/timers; fi
    # a savepoint with checks pending (kept as keyed state, shown by dump); the restore rebuilds
    # their index and fires them exactly as the uninterrupted run did
    head -n 3 reminder.jsonl > r1.jsonl
    tail -n +4 reminder.jsonl > r2.jsonl
    EVENTS_PATH=r1.jsonl OUT_PATH=ra.jsonl "$RBIN" run --quiet --savepoint-on-exit rsp 2> r1.err &&
        "$RBIN" savepoint dump rsp > rdump.out 2>&1 &&
        EVENTS_PATH=r2.jsonl OUT_PATH=rb.jsonl "$RBIN" run --quiet --from-savepoint rsp 2> r2.err; rc=$?
    cat ra.jsonl rb.jsonl > rab.jsonl 2>/dev/null
    if [ $rc != 0 ]; then fail $TAG/timers_savepoint "exit $rc: $(cat r1.err r2.err | head -n 3 | tr '\n' '|')"
    elif ! grep -q '"_timers":\[{"due":"2024-05-01T10:30:00Z","seq":0,"type":0' rdump.out; then
        fail $TAG/timers_savepoint "dump lacks the pending check: $(head -c 300 rdump.out)"
    elif same_file $TAG/timers_savepoint "$D/expected_reminder.jsonl" rab.jsonl; then pass $TAG/timers_savepoint; fi
fi

# ---------------------------------------------------------------- failing handlers
# functions/contract.yaml: an index out of range in the generated API, a handler's _fail, a
# non-zero return, and a message cycle cut at its bound: exact error-sink lines; the job goes on.
CBIN=$T/contract
cp "$D/commands.kv" commands.kv
if ! build_pipeline "$D/contract.yaml" "$CBIN" > cbuild.log 2>&1; then
    fail $TAG/failing_handlers "pipec build: $(head -n 3 cbuild.log | tr '\n' '|')"
elif ! IN=commands.kv OUT=cout.jsonl ERRORS=cerr.jsonl "$CBIN" run --quiet 2> c.err; then
    fail $TAG/failing_handlers "exit $?: $(head -n 3 c.err | tr '\n' '|')"
elif same_file $TAG/failing_handlers "$D/expected_contract_errors.jsonl" cerr.jsonl &&
     same_file $TAG/failing_handlers "$D/expected_contract_out.jsonl" cout.jsonl; then
    pass $TAG/failing_handlers
fi

# ---------------------------------------------------------------- wrong message in C
# A send with the wrong key type is a C compile error that names the user's file and line.
mkdir -p bad
sed 's|file: contract.c|file: bad.c|' "$D/contract.yaml" > bad/contract.yaml
sed 's|ping_send_pong_ball(c, ping_key(c), &b); /\* ping|ping_send_pong_ball(c, ping_get_hits(c), \&b); /* ping|' \
    "$D/contract.c" > bad/bad.c
line=$(grep -n 'ping_send_pong_ball(c, ping_get_hits' bad/bad.c | cut -d: -f1)
if "$PIPEC" build bad/contract.yaml -o bad/contract > bad/out 2>&1; then
    fail $TAG/compile_error_in_user_file "the build succeeded"
elif ! grep -q "bad/bad.c:$line:[0-9]*: error: incompatible type for argument 2 of 'ping_send_pong_ball'" bad/out &&
     ! grep -q "bad/bad.c:$line:[0-9]*: error: incompatible type for argument 2 of ‘ping_send_pong_ball’" bad/out; then
    fail $TAG/compile_error_in_user_file "diagnostics: $(grep -m 2 error bad/out | tr '\n' '|')"
else pass $TAG/compile_error_in_user_file; fi

# ---------------------------------------------------------------- timers on processing time
# The same with `timers: processing` and a 200 ms delay, the file followed: every cart's last
# check fires on the wall clock (the earlier ones find a newer event), then SIGINT stops the job.
mkdir -p pt
sed -e 's/timers: event/timers: processing/' -e 's|file: reminder.c|file: rem200.c|' \
    -e 's|file: { path: "${EVENTS_PATH:-reminder.jsonl}" }|file: { path: "${EVENTS_PATH:-reminder.jsonl}", follow: true }|' \
    "$D/reminder.yaml" > pt/pt.yaml
sed 's/30 \* 60 \* 1000/200/' "$D/reminder.c" > pt/rem200.c
if ! build_pipeline pt/pt.yaml pt/pt > pt/build.log 2>&1; then
    fail $TAG/timers_processing "pipec build: $(head -n 3 pt/build.log | tr '\n' '|')"
else
    tail -n 3 "$D/expected_reminder.jsonl" > pt/want.jsonl
    # stopped once its three reminders are out (or after 30 s): no guess at how slow the machine is
    EVENTS_PATH=reminder.jsonl OUT_PATH=pt/out.jsonl pt/pt run --quiet 2> pt/err &
    pid=$!
    i=0
    while [ $i -lt 300 ] && [ "$(cat pt/out.jsonl 2>/dev/null | wc -l)" -lt 3 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 0.5 # a fourth (wrong) reminder would have time to show
    kill -INT $pid; wait $pid
    same_file $TAG/timers_processing pt/want.jsonl pt/out.jsonl && pass $TAG/timers_processing
fi
