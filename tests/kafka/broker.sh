#!/bin/sh
# tests/kafka/broker.sh — a real Apache Kafka broker for the tests: one node in KRaft mode
# (broker + controller in one JVM) on 127.0.0.1, free ports, its own data directory per run.
#
#   broker.sh fetch              jars from Maven Central (tests/kafka/pom.xml) into
#                                $PIPEC_CACHE/kafka-$KAFKA_VERSION, once per machine
#   broker.sh check              exit 0 when Java and the jars are there, else say why (exit 1)
#   broker.sh start DIR [PID]    format DIR, start the broker, wait until it answers; prints the
#                                bootstrap address (also in DIR/bootstrap). With PID, a watchdog
#                                stops the broker and removes DIR once PID is gone (a killed
#                                test run leaves no broker behind).
#   broker.sh stop DIR           stop it (SIGTERM, then SIGKILL after 20 s) and remove DIR
#   broker.sh down DIR           stop it but keep its data and ports (a broker outage)
#   broker.sh up DIR             start it again on the same ports and data, wait until it answers
#   broker.sh bootstrap DIR      print the bootstrap address
#
# Kafka's own log (SLF4J simple logger, WARN and above) is DIR/broker.log.
set -eu

KAFKA_VERSION=4.1.2 # keep in step with tests/kafka/pom.xml; why this one: docs/kafka.md
PIPEC_CACHE=${PIPEC_CACHE:-/var/cache/pipec}
JARS=$PIPEC_CACHE/kafka-$KAFKA_VERSION
HERE=$(cd "$(dirname "$0")" && pwd)

die() { echo "broker.sh: $*" >&2; exit 1; }

fetch() {
    [ -f "$JARS/.complete" ] && { echo "$JARS"; return 0; }
    command -v mvn > /dev/null || die "mvn is not installed (Debian package maven)"
    work=$(mktemp -d)
    # a private local repository: only the jars stay, in the cache
    if ! mvn -B -q -f "$HERE/pom.xml" -Dmaven.repo.local="$work/m2" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$work/jars" > "$work/mvn.log" 2>&1; then
        tail -n 20 "$work/mvn.log" >&2
        rm -rf "$work"
        die "could not fetch the Kafka $KAFKA_VERSION jars"
    fi
    mkdir -p "$PIPEC_CACHE"
    rm -rf "$JARS.tmp"
    mv "$work/jars" "$JARS.tmp"
    touch "$JARS.tmp/.complete"
    rm -rf "$JARS"
    mv "$JARS.tmp" "$JARS"
    rm -rf "$work"
    echo "$JARS"
}

check() {
    command -v java > /dev/null || { echo "no java (Debian package openjdk-17-jre-headless)"; return 1; }
    [ -f "$JARS/.complete" ] || { echo "no Kafka jars in $JARS (sh tests/kafka/broker.sh fetch)"; return 1; }
    command -v kcat > /dev/null || { echo "no kcat"; return 1; }
    return 0
}

# free_ports: two free loopback TCP ports, held together while chosen so that they differ
free_ports() {
    python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))'
}

# java_opts: heap and start-up settings; a few hundred MB is plenty for tests
java_opts() {
    echo "-Xms256m -Xmx768m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto -Djava.awt.headless=true \
-Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.showDateTime=true"
}

# launch DIR: the broker process in the background, its pid in DIR/pid
launch() {
    d=$1
    # shellcheck disable=SC2046
    nohup java $(java_opts) -cp "$JARS/*" kafka.Kafka "$d/server.properties" >> "$d/broker.log" 2>&1 < /dev/null &
    echo $! > "$d/pid"
}

# wait_ready DIR: until kcat sees the broker (bounded: 60 s), or the JVM died
wait_ready() {
    d=$1 bs=$(cat "$1/bootstrap")
    i=0
    while [ $i -lt 300 ]; do
        kill -0 "$(cat "$d/pid")" 2> /dev/null || die "the broker exited: $(tail -n 5 "$d/broker.log" | tr '\n' '|')"
        if kcat -L -b "$bs" -m 1 2> /dev/null | grep -q '^ *1 brokers:'; then return 0; fi
        sleep 0.2
        i=$((i + 1))
    done
    die "the broker did not answer within 60 s: $(tail -n 5 "$d/broker.log" | tr '\n' '|')"
}

start() {
    d=$1 watch=${2:-}
    why=$(check) || die "$why"
    mkdir -p "$d"
    d=$(cd "$d" && pwd)
    # shellcheck disable=SC2046
    set -- $(free_ports)
    port=$1 cport=$2
    cat > "$d/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$d/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# tests write records with old event times (1970, 2024): never delete or refuse them by time
log.retention.ms=-1
log.message.timestamp.before.max.ms=9223372036854775807
log.message.timestamp.after.max.ms=9223372036854775807
EOF
    echo "127.0.0.1:$port" > "$d/bootstrap"
    # a cluster id as Kafka makes them: 16 random bytes, URL-safe base64, never starting with '-'
    id=$(python3 -c '
import uuid, base64
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"):
        print(s)
        break')
    # shellcheck disable=SC2046
    java $(java_opts) -cp "$JARS/*" kafka.tools.StorageTool format --standalone --cluster-id="$id" \
        -c "$d/server.properties" > "$d/format.log" 2>&1 || die "format failed: $(tail -n 5 "$d/format.log")"
    launch "$d"
    if [ -n "$watch" ]; then
        # watchdog: polls its parent; leaves by itself when DIR is removed (stop)
        (
            trap '' INT TERM HUP
            while kill -0 "$watch" 2> /dev/null && [ -f "$d/bootstrap" ]; do sleep 1; done
            if [ -f "$d/bootstrap" ]; then
                kill -9 "$(cat "$d/pid")" 2> /dev/null
                rm -rf "$d"
            fi
        ) < /dev/null > /dev/null 2>&1 &
    fi
    wait_ready "$d"
    cat "$d/bootstrap"
}

# halt DIR: SIGTERM (controlled shutdown), SIGKILL after 20 s
halt() {
    d=$1
    [ -f "$d/pid" ] || return 0
    pid=$(cat "$d/pid")
    kill "$pid" 2> /dev/null || { rm -f "$d/pid"; return 0; }
    i=0
    while kill -0 "$pid" 2> /dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$pid" 2> /dev/null || true
    rm -f "$d/pid"
}

cmd=${1:-}
case $cmd in
fetch) fetch ;;
check) check ;;
start) [ $# -ge 2 ] || die "usage: broker.sh start DIR [PID]"; start "$2" "${3:-}" ;;
stop) [ $# -eq 2 ] || die "usage: broker.sh stop DIR"; halt "$2"; rm -rf "$2" ;;
down) [ $# -eq 2 ] || die "usage: broker.sh down DIR"; halt "$2" ;;
up) [ $# -eq 2 ] || die "usage: broker.sh up DIR"; launch "$2"; wait_ready "$2" ;;
bootstrap) [ $# -eq 2 ] || die "usage: broker.sh bootstrap DIR"; cat "$2/bootstrap" ;;
*) die "usage: broker.sh fetch|check|start DIR [PID]|stop DIR|down DIR|up DIR|bootstrap DIR" ;;
esac
