#!/bin/sh
# tests/pg/server.sh — a real PostgreSQL server for the tests (Debian's postgresql package): a fresh
# cluster in a temporary data directory, listening on a free 127.0.0.1 port only (no Unix socket),
# trust authentication for the user `pipec`, fsync off (the tests kill jobs and the server, never the
# machine: what the server wrote is in the page cache; synchronous_commit stays on, so a committed
# transaction survives an immediate shutdown).
#
#   server.sh check              exit 0 when initdb and pg_ctl are there, else say why (exit 1)
#   server.sh start DIR [PID]    initdb, start, wait until it answers; prints the DSN (also in
#                                DIR/dsn). With PID, a watchdog stops the server and removes its
#                                files once PID is gone (a killed test run leaves no server behind).
#   server.sh stop DIR           stop it (fast shutdown) and remove DIR and the data directory
#   server.sh down DIR           stop it at once (immediate shutdown: a crash of the database),
#                                keeping its data and port (an outage)
#   server.sh up DIR             start it again on the same port and data, wait until it answers
#   server.sh dsn DIR            print the DSN: host=127.0.0.1 port=P user=pipec dbname=postgres
#   server.sh createdb DIR NAME  a fresh database NAME (dropped first if it exists); prints its DSN
#
# initdb refuses to run as root: as root the server runs as `nobody`, in a data directory that
# nobody owns under ${TMPDIR:-/tmp} (DIR itself may sit in a directory only root can enter). The
# server's log is in the data directory; `server.sh log DIR` prints its last lines.
set -eu

die() { echo "server.sh: $*" >&2; exit 1; }

bindir() {
    for b in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin; do
        [ -n "$b" ] && [ -x "$b/initdb" ] && [ -x "$b/pg_ctl" ] && { echo "$b"; return 0; }
    done
    return 1
}

check() {
    bindir > /dev/null || { echo "no PostgreSQL server (Debian package postgresql)"; return 1; }
    command -v psql > /dev/null || { echo "no psql (Debian package postgresql-client)"; return 1; }
    if [ "$(id -u)" = 0 ] && ! command -v setpriv > /dev/null; then
        echo "no setpriv (util-linux) to run the server unprivileged"; return 1
    fi
    return 0
}

# as_server CMD…: CMD as the server's user (nobody when we are root)
as_server() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_ready DIR: until the server answers a query (bounded: 30 s)
wait_ready() {
    d=$1
    i=0
    while [ $i -lt 150 ]; do
        if psql "$(cat "$d/dsn")" -XAtqc 'select 1' > /dev/null 2>&1; then return 0; fi
        sleep 0.2
        i=$((i + 1))
    done
    die "the server did not answer within 30 s: $(tail -n 5 "$(cat "$d/datadir")/server.log" | tr '\n' '|')"
}

launch() {
    d=$1
    data=$(cat "$d/datadir")
    as_server "$(bindir)/pg_ctl" -D "$data/pg" -l "$data/server.log" -o "-p $(cat "$d/port")" -s start \
        > /dev/null 2>&1 || die "pg_ctl start failed: $(tail -n 5 "$data/server.log" | tr '\n' '|')"
}

start() {
    d=$1 watch=${2:-}
    why=$(check) || die "$why"
    mkdir -p "$d"
    d=$(cd "$d" && pwd)
    data=$(mktemp -d "${TMPDIR:-/tmp}/pipec-pg.XXXXXX")
    chmod 755 "$data"
    [ "$(id -u)" = 0 ] && chown nobody:nogroup "$data"
    echo "$data" > "$d/datadir"
    port=$(free_port)
    echo "$port" > "$d/port"
    echo "host=127.0.0.1 port=$port user=pipec dbname=postgres connect_timeout=5" > "$d/dsn"
    as_server "$(bindir)/initdb" -D "$data/pg" -U pipec --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 \
        > "$data/initdb.log" 2>&1 || die "initdb failed: $(tail -n 5 "$data/initdb.log" | tr '\n' '|')"
    cat >> "$data/pg/postgresql.conf" << EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = ''
fsync = off
full_page_writes = off
max_connections = 40
shared_buffers = 32MB
log_min_messages = warning
log_min_error_statement = panic
EOF
    launch "$d"
    if [ -n "$watch" ]; then
        # watchdog: polls its parent; leaves by itself when DIR is removed (stop)
        (
            trap '' INT TERM HUP
            while kill -0 "$watch" 2> /dev/null && [ -f "$d/dsn" ]; do sleep 1; done
            if [ -f "$d/dsn" ]; then
                as_server "$(bindir)/pg_ctl" -D "$data/pg" -m immediate -s stop > /dev/null 2>&1
                rm -rf "$data" "$d"
            fi
        ) < /dev/null > /dev/null 2>&1 &
    fi
    wait_ready "$d"
    cat "$d/dsn"
}

halt() {
    d=$1 mode=$2
    [ -f "$d/datadir" ] || return 0
    data=$(cat "$d/datadir")
    [ -f "$data/pg/postmaster.pid" ] || return 0
    as_server "$(bindir)/pg_ctl" -D "$data/pg" -m "$mode" -s -t 30 stop > /dev/null 2>&1 || true
}

createdb() {
    d=$1 name=$2
    dsn=$(cat "$d/dsn")
    PGOPTIONS="-c client_min_messages=warning" psql "$dsn" -XAtq -v ON_ERROR_STOP=1 -c "drop database if exists $name" -c "create database $name" \
        > /dev/null || die "cannot create database $name"
    echo "$dsn" | sed "s/dbname=postgres/dbname=$name/"
}

cmd=${1:-}
case $cmd in
check) check ;;
start) [ $# -ge 2 ] || die "usage: server.sh start DIR [PID]"; start "$2" "${3:-}" ;;
stop)
    [ $# -eq 2 ] || die "usage: server.sh stop DIR"
    halt "$2" fast
    [ -f "$2/datadir" ] && rm -rf "$(cat "$2/datadir")"
    rm -rf "$2" ;;
down) [ $# -eq 2 ] || die "usage: server.sh down DIR"; halt "$2" immediate ;;
up) [ $# -eq 2 ] || die "usage: server.sh up DIR"; launch "$2"; wait_ready "$2" ;;
dsn) [ $# -eq 2 ] || die "usage: server.sh dsn DIR"; cat "$2/dsn" ;;
createdb) [ $# -eq 3 ] || die "usage: server.sh createdb DIR NAME"; createdb "$2" "$3" ;;
log) [ $# -eq 2 ] || die "usage: server.sh log DIR"; tail -n 20 "$(cat "$2/datadir")/server.log" ;;
*) die "usage: server.sh check|start DIR [PID]|stop DIR|down DIR|up DIR|dsn DIR|createdb DIR NAME|log DIR" ;;
esac
