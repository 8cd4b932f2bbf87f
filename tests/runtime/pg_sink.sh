#!/bin/sh
# pg_sink.sh — the PostgreSQL sink against a real server (tests/pg/server.sh): exact table
# contents after bounded runs, and the exact error lines of what can only be found at start.
#   pg/append          values of every type (empty, quoted and multi-line strings, fractions of
#                      seconds, negative floats) land exactly; batches of 2 rows; no checkpoints
#   pg/one_column      a table of one text column: a value of just \. (COPY's end-of-data line
#                      when unquoted), an empty string, a comma and a quote
#   pg/chroot          the same job, a fully static binary, writes from an empty root
#                      (unshare -r chroot: the stand-in for an empty container)
#   pg/create_table    create_table: true makes the table with the mapped column types
#   pg/upsert          repeated keys within a batch and across batches: the last record per key;
#                      a second run over the same input changes nothing (idempotent by key)
#   pg/exactly_once    a bounded run with checkpoints: the rows once and the marker in
#                      pipec_commits; a restart resumes from the final checkpoint and adds nothing
#   pg/parallel        windowed counts upserted by [customer, window_start] at parallelism 2 equal
#                      those at parallelism 1; both runs share a database and the pipeline's name
#                      but not a table, and so not a marker (each starts fresh, no warning)
#   pg/fenced          a second copy of an exactly_once job (same pipeline and sink) takes over:
#                      the first stops at its next commit with exit 1 and the exact "fenced" line
#   pg/errors          one exact line and exit 1 for: no table, a column of the wrong type, a
#                      missing column, a NOT NULL column the records lack, an upsert key without a
#                      unique index, a refused connection
. "$(dirname "$0")/lib.sh"
T=$TMP_ROOT
[ -x "$PIPEC" ] || { skip pg/append "no $PIPEC (build first)"; exit 0; }
need_pg pg/append

# sql DSN QUERY: rows as psql -At prints them (| between columns)
sql() { psql "$1" -XAtq -v ON_ERROR_STOP=1 -c "$2"; }

cat > "$T/in.kv" <<'EOF'
id=1,name=plain,v=1.5,ok=true,ts=2024-01-01T00:00:00Z
id=2,name=,v=-0.25,ok=false,ts=2024-01-01T00:00:01.250Z
id=3,name=say "hi",v=1e20,ok=true,ts=1000
id=4,name=tab	inside,v=0,ok=false,ts=2024-02-29T23:59:59.999Z
id=5,name= spaced ,v=3,ok=true,ts=2024-05-23T12:34:56+02:00
EOF

pipeline() { # NAME EXTRA_SINK_LINES [CHECKPOINT]: a pipeline from in.kv to one postgres sink
    cat > "$T/$1.yaml" <<EOF
pipeline: $1
schemas:
  ev: { id: int, name: string, v: float, ok: bool, ts: timestamp }
sources:
  in:
    file: { path: "\${IN}" }
    format: kv
    schema: ev
sinks:
  out:
    postgres:
      dsn: \${PG_DSN}
      table: \${TABLE:-events}
$2
$3
EOF
    build_pipeline "$T/$1.yaml" "$T/$1" > "$T/$1.blog" 2>&1
}

# ---------------------------------------------------------------- append
DSN=$(pg_db pg_append)
sql "$DSN" "create table events (id bigint primary key, name text not null, v double precision,
            ok boolean, ts timestamptz, note text default 'n/a', seen timestamp)"
if ! pipeline pg_append "      batch_rows: 2"; then
    fail pg/append "build: $(head -c 400 "$T/pg_append.blog")"
elif ! PG_DSN=$DSN IN=$T/in.kv "$T/pg_append" run --quiet > "$T/append.out" 2>&1; then
    fail pg/append "run failed: $(tr '\n' '|' < "$T/append.out")"
else
    sql "$DSN" "select id, '[' || name || ']', v, ok, to_char(ts at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS'), note
                from events order by id" > "$T/append.got"
    cat > "$T/append.want" <<'EOF'
1|[plain]|1.5|t|2024-01-01 00:00:00.000|n/a
2|[]|-0.25|f|2024-01-01 00:00:01.250|n/a
3|[say "hi"]|1e+20|t|1970-01-01 00:00:01.000|n/a
4|[tab	inside]|0|f|2024-02-29 23:59:59.999|n/a
5|[spaced]|3|t|2024-05-23 10:34:56.000|n/a
EOF
    same_file pg/append "$T/append.want" "$T/append.got" && pass pg/append
fi

# ---------------------------------------------------------------- one column
DSN=$(pg_db pg_one)
sql "$DSN" "create table one (s text)"
printf 's=\\.\ns=\ns=a\ns=x"y\n' > "$T/one.kv"
cat > "$T/one.yaml" <<'YAML'
pipeline: pg_one
sources:
  in: { file: { path: "${IN}" }, format: kv, schema: { s: string } }
sinks:
  out:
    postgres: { dsn: "${PG_DSN}", table: one }
YAML
if ! build_pipeline "$T/one.yaml" "$T/pg_one" > "$T/one.blog" 2>&1; then
    fail pg/one_column "build: $(head -c 400 "$T/one.blog")"
elif ! PG_DSN=$DSN IN=$T/one.kv "$T/pg_one" run --quiet > "$T/one.out" 2>&1; then
    fail pg/one_column "run failed: $(tr '\n' '|' < "$T/one.out")"
else
    sql "$DSN" "select '[' || s || ']' from one order by s" > "$T/one.got"
    printf '[]\n[\\.]\n[a]\n[x"y]\n' > "$T/one.want"
    same_file pg/one_column "$T/one.want" "$T/one.got" && pass pg/one_column
fi

# ---------------------------------------------------------------- from an empty root
if ! unshare -r true 2>/dev/null; then
    skip pg/chroot "user namespaces are not available (unshare -r)"
else
    DSN=$(pg_db pg_chroot)
    sql "$DSN" "create table one (s text)"
    root=$T/root
    mkdir -p "$root"
    cp "$T/pg_one" "$T/one.kv" "$root/"
    (cd "$root" && PG_DSN=$DSN IN=/one.kv unshare -r chroot "$root" /pg_one run --quiet > "$T/chroot.out" 2>&1)
    rc=$?
    sql "$DSN" "select '[' || s || ']' from one order by s" > "$T/chroot.got"
    if ! file "$T/pg_one" | grep -q 'statically linked'; then
        fail pg/chroot "$(file "$T/pg_one")"
    elif [ $rc != 0 ]; then
        fail pg/chroot "exit $rc: $(tr '\n' '|' < "$T/chroot.out")"
    elif same_file pg/chroot "$T/one.want" "$T/chroot.got"; then
        pass pg/chroot
    fi
fi

# ---------------------------------------------------------------- create_table
DSN=$(pg_db pg_create)
if ! pipeline pg_create "      create_table: true"; then
    fail pg/create_table "build: $(head -c 400 "$T/pg_create.blog")"
elif ! PG_DSN=$DSN IN=$T/in.kv "$T/pg_create" run --quiet > "$T/create.out" 2>&1; then
    fail pg/create_table "run failed: $(tr '\n' '|' < "$T/create.out")"
else
    sql "$DSN" "select column_name, data_type, is_nullable from information_schema.columns
                where table_name = 'events' order by ordinal_position" > "$T/create.got"
    sql "$DSN" "select count(*), sum(id) from events" >> "$T/create.got"
    cat > "$T/create.want" <<'EOF'
id|bigint|NO
name|text|NO
v|double precision|NO
ok|boolean|NO
ts|timestamp with time zone|NO
5|15
EOF
    if same_file pg/create_table "$T/create.want" "$T/create.got"; then
        if [ "$(cat "$T/create.out")" = "pg_create: sink out: created table events" ]; then
            pass pg/create_table
        else
            fail pg/create_table "stderr: $(tr '\n' '|' < "$T/create.out")"
        fi
    fi
fi

# ---------------------------------------------------------------- upsert
DSN=$(pg_db pg_upsert)
sql "$DSN" "create table latest (id bigint, name text, v double precision, ok boolean, ts timestamptz,
            extra text, unique (id))"
cat > "$T/up.kv" <<'EOF'
id=1,name=a1,v=1,ok=true,ts=1000
id=2,name=b1,v=2,ok=true,ts=2000
id=1,name=a2,v=3,ok=false,ts=3000
id=3,name=c1,v=4,ok=true,ts=4000
id=1,name=a3,v=5,ok=true,ts=5000
id=2,name=b2,v=6,ok=false,ts=6000
id=2,name=b3,v=7,ok=true,ts=7000
EOF
sql "$DSN" "insert into latest values (3, 'old', 0, false, now(), 'kept')"
cat > "$T/up.want" <<'EOF'
1|a3|5|t|1970-01-01 00:00:05|
2|b3|7|t|1970-01-01 00:00:07|
3|c1|4|t|1970-01-01 00:00:04|kept
EOF
if ! pipeline pg_upsert "      mode: upsert
      key: [id]
      batch_rows: 3"; then
    fail pg/upsert "build: $(head -c 400 "$T/pg_upsert.blog")"
else
    ok=1
    for n in 1 2; do # the second run writes every row again: nothing changes
        if ! TABLE=latest PG_DSN=$DSN IN=$T/up.kv "$T/pg_upsert" run --quiet > "$T/up.out" 2>&1; then
            fail pg/upsert "run $n failed: $(tr '\n' '|' < "$T/up.out")"; ok=0; break
        fi
        sql "$DSN" "select id, name, v, ok, to_char(ts at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS'), extra
                    from latest order by id" > "$T/up.got"
        same_file pg/upsert "$T/up.want" "$T/up.got" || { ok=0; break; }
    done
    [ $ok = 1 ] && pass pg/upsert
fi

# ---------------------------------------------------------------- exactly_once, bounded
DSN=$(pg_db pg_eo)
awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "id=%d,name=n%d,v=%d.5,ok=%s,ts=%d\n", i, i % 7, i, (i % 2 ? "true" : "false"), i * 1000 }' > "$T/eo.kv"
if ! pipeline pg_eo "      create_table: true
      batch_rows: 300" "checkpoint: { interval: 10ms, mode: exactly_once, dir: \"\${STATE_DIR}\" }"; then
    fail pg/exactly_once "build: $(head -c 400 "$T/pg_eo.blog")"
elif ! PG_DSN=$DSN IN=$T/eo.kv STATE_DIR=$T/eo.state "$T/pg_eo" run --quiet > "$T/eo.out" 2>&1; then
    fail pg/exactly_once "run failed: $(tr '\n' '|' < "$T/eo.out")"
else
    got=$(sql "$DSN" "select count(*), count(distinct id), sum(id), sum(v) from events")
    last=$(ls "$T/eo.state" | sed -n 's/^chk-//p' | sort -n | tail -n 1)
    marker=$(sql "$DSN" "select pipeline, sink, checkpoint from pipec_commits")
    PG_DSN=$DSN IN=$T/eo.kv STATE_DIR=$T/eo.state "$T/pg_eo" run --quiet > "$T/eo2.out" 2>&1
    rc=$?
    again=$(sql "$DSN" "select count(*) from events")
    if [ "$got" != "2000|2000|2001000|2002000" ]; then
        fail pg/exactly_once "table holds count|distinct|sum(id)|sum(v) = $got, not 2000|2000|2001000|2002000"
    elif [ "$marker" != "pg_eo|out|$last" ]; then
        fail pg/exactly_once "marker '$marker', newest checkpoint $last"
    elif [ $rc != 0 ] || [ "$again" != 2000 ]; then
        fail pg/exactly_once "the restart exited $rc and left $again rows: $(tr '\n' '|' < "$T/eo2.out")"
    else
        pass pg/exactly_once
    fi
fi

# ---------------------------------------------------------------- parallelism
DSN=$(pg_db pg_par)
cat > "$T/par.yaml" <<'YAML'
pipeline: pg_par
sources:
  orders:
    generator: { kind: orders, rate: unlimited, count: 50000, seed: 7, start: "2024-01-01T00:00:00Z", step: 10ms }
    format: kv
    event_time: ts
stages:
  - id: by
    key_by: customer
  - id: w
    window: { tumbling: 10s }
    aggregate: { n: count(), total: sum(amount) }
sinks:
  out:
    postgres: { dsn: "${PG_DSN}", table: "${TABLE}", mode: upsert, key: [customer, window_start], create_table: true }
checkpoint: { interval: 50ms, mode: exactly_once, dir: "${STATE_DIR}" }
YAML
if ! build_pipeline "$T/par.yaml" "$T/pg_par" > "$T/par.blog" 2>&1; then
    fail pg/parallel "build: $(head -c 400 "$T/par.blog")"
elif ! PG_DSN=$DSN TABLE=p1 STATE_DIR=$T/par1 "$T/pg_par" run --quiet 2> "$T/par1.err" ||
     ! PG_DSN=$DSN TABLE=p2 STATE_DIR=$T/par2 "$T/pg_par" run --quiet --set parallelism=2 2> "$T/par2.err"; then
    fail pg/parallel "a run failed: $(cat "$T/par1.err" "$T/par2.err" | tr '\n' '|')"
else
    sql "$DSN" "select customer, window_start, window_end, n, total from p1 order by 1, 2" > "$T/par1.rows"
    sql "$DSN" "select customer, window_start, window_end, n, total from p2 order by 1, 2" > "$T/par2.rows"
    if [ "$(cat "$T/par1.err" "$T/par2.err")" != "pg_par: sink out: created table p1
pg_par: sink out: created table p2" ]; then
        fail pg/parallel "stderr: $(cat "$T/par1.err" "$T/par2.err" | tr '\n' '|')"
    elif [ "$(sql "$DSN" "select sum(n) from p1")" != 50000 ]; then
        fail pg/parallel "p1 counts $(sql "$DSN" "select sum(n) from p1") records, not 50000"
    elif same_file pg/parallel "$T/par1.rows" "$T/par2.rows"; then
        pass "pg/parallel ($(wc -l < "$T/par1.rows") rows)"
    fi
fi

# ---------------------------------------------------------------- fencing
DSN=$(pg_db pg_fence)
cat > "$T/fence.yaml" <<'YAML'
pipeline: pg_fence
sources:
  orders:
    generator: { kind: orders, rate: 500, seed: 3, start: "2024-01-01T00:00:00Z", step: 1ms }
    format: kv
sinks:
  out:
    postgres: { dsn: "${PG_DSN}", table: orders, create_table: true }
checkpoint: { interval: 100ms, mode: exactly_once, dir: "${STATE_DIR}" }
YAML
if ! build_pipeline "$T/fence.yaml" "$T/pg_fence" > "$T/fence.blog" 2>&1; then
    fail pg/fenced "build: $(head -c 400 "$T/fence.blog")"
else
    PG_DSN=$DSN STATE_DIR=$T/fa "$T/pg_fence" run --quiet 2> "$T/fa.err" &
    a=$!
    i=0 # until the first copy committed a checkpoint
    while [ $i -lt 100 ] && [ "$(sql "$DSN" "select coalesce(max(checkpoint), -1) from pipec_commits" 2>/dev/null || echo -1)" -lt 1 ]; do
        sleep 0.1; i=$((i + 1))
    done
    PG_DSN=$DSN STATE_DIR=$T/fb "$T/pg_fence" run --quiet 2> "$T/fb.err" &
    b=$!
    i=0
    while [ $i -lt 100 ] && kill -0 $a 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
    kill $a 2>/dev/null
    wait $a
    rca=$?
    kill -TERM $b
    wait $b
    rcb=$?
    want="pg_fence: sink out: fenced: another copy of this job took over table orders (its marker in pipec_commits has a newer epoch than this copy's 1); stopping"
    if [ $rca != 1 ] || ! grep -qxF "$want" "$T/fa.err"; then
        fail pg/fenced "the first copy exited $rca: $(tr '\n' '|' < "$T/fa.err")"
    elif [ $rcb != 0 ] || [ "$(sql "$DSN" "select epoch from pipec_commits")" != 2 ]; then
        fail pg/fenced "the second copy exited $rcb: $(tr '\n' '|' < "$T/fb.err")"
    else
        pass pg/fenced
    fi
fi

# ---------------------------------------------------------------- errors found at start
DSN=$(pg_db pg_errors)
sql "$DSN" "create table wrong_type (id bigint, name text, v integer, ok boolean, ts timestamptz)"
sql "$DSN" "create table no_col (id bigint, name text, v double precision, ts timestamptz)"
sql "$DSN" "create table must (id bigint, name text, v float8, ok boolean, ts timestamptz, owner text not null)"
sql "$DSN" "create table no_key (id bigint, name text, v float8, ok boolean, ts timestamp)"
pipeline pg_errs "" > /dev/null 2>&1 || { fail pg/errors "build: $(head -c 400 "$T/pg_errs.blog")"; exit 0; }
pipeline pg_errs_up "      mode: upsert
      key: [id, name]" > /dev/null 2>&1 || { fail pg/errors "build: $(head -c 400 "$T/pg_errs_up.blog")"; exit 0; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
err() { # NAME WANT ENV…: the run exits 1 with exactly the line WANT
    name=$1 want=$2 bin=pg_errs; shift 2
    [ "$name" = no_key ] && bin=pg_errs_up
    env "$@" IN="$T/in.kv" "$T/$bin" run --quiet > "$T/err.out" 2>&1
    rc=$?
    got=$(cat "$T/err.out")
    if [ $rc != 1 ] || [ "$got" != "$want" ]; then
        echo "  $name: exit $rc, got: $got" >> "$T/err.log"
        echo "  $name:        want: $want" >> "$T/err.log"
    fi
}
: > "$T/err.log"
err missing "pg_errs: sink out: table events does not exist in database pg_errors (create it, or set create_table: true)" \
    PG_DSN="$DSN"
err type "pg_errs: sink out: column v of table wrong_type is integer, but the field v is float (a float goes to double precision or numeric)" \
    PG_DSN="$DSN" TABLE=wrong_type
err column "pg_errs: sink out: table no_col has no column ok for the field ok (bool)" PG_DSN="$DSN" TABLE=no_col
err not_null "pg_errs: sink out: column owner of table must is NOT NULL without a default, and the records have no field owner" \
    PG_DSN="$DSN" TABLE=must
err no_key "pg_errs_up: sink out: table no_key has no primary key or unique index on (id, name): mode upsert needs one" \
    PG_DSN="$DSN" TABLE=no_key
err refused "pg_errs: sink out: cannot connect to PostgreSQL: connection to server at \"127.0.0.1\", port $port failed: Connection refused" \
    PG_DSN="host=127.0.0.1 port=$port user=pipec dbname=x"
err no_db "pg_errs: sink out: cannot connect to PostgreSQL: connection to server at \"127.0.0.1\", port $(sed 's/.*port=\([0-9]*\).*/\1/' "$PG_DIR/dsn") failed: FATAL: database \"nope\" does not exist" \
    PG_DSN="$(echo "$DSN" | sed 's/dbname=pg_errors/dbname=nope/')"
if [ -s "$T/err.log" ]; then
    fail pg/errors "$(tr '\n' '|' < "$T/err.log")"
else
    pass pg/errors
fi
