#!/bin/sh
# deps.sh — install what pipec needs on Debian 12, once per machine.
# Debian packages for everything, plus a static librdkafka built from Debian's *source* package
# (Debian's librdkafka.a drags in SASL/GSSAPI static libraries Debian does not ship; see docs/building.md).
# The static build is cached in $PIPEC_CACHE (default /var/cache/pipec) and reused on later runs,
# and so are the jars of the test Kafka broker (tests/kafka/broker.sh fetch).
set -eu

PIPEC_CACHE=${PIPEC_CACHE:-/var/cache/pipec}
PKGS="gcc make ninja-build pkg-config file clang libclang-rt-14-dev
      libyaml-dev librdkafka-dev librocksdb-dev libevent-dev
      libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsnappy-dev libbz2-dev
      kcat dpkg-dev python3 valgrind openjdk-17-jre-headless maven locales
      curl chromium python3-yaml"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "deps: installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# A locale with a decimal comma: the tests prove that number parsing and formatting ignore the
# process locale (tests/unit/test_scalar.c).
if ! locale -a 2>/dev/null | grep -qi '^de_DE.utf8$'; then
    localedef -i de_DE -f UTF-8 de_DE.UTF-8 >/dev/null 2>&1 || echo "deps: could not generate de_DE.UTF-8"
fi

# Static librdkafka, from the Debian source package of the installed version.
ver=$(dpkg-query -W -f='${Version}' librdkafka-dev)
dir="$PIPEC_CACHE/librdkafka-$ver"
if [ ! -f "$dir/librdkafka.a" ]; then
    echo "deps: building static librdkafka $ver (once per machine, ~1 min)"
    if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
        sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/pipec-src.sources
        apt-get update -qq
    fi
    work=$(mktemp -d)
    (cd "$work" && apt-get source -qq "librdkafka=$ver" >/dev/null 2>&1)
    src=$(find "$work" -maxdepth 1 -type d -name 'librdkafka-*' | head -n 1)
    (cd "$src" && ./configure --disable-gssapi --disable-curl --disable-sasl --enable-static >/dev/null \
        && make -j"$(nproc)" -C src librdkafka.a >"$work/make.log" 2>&1) \
        || { tail -n 30 "$work/make.log"; exit 1; }
    mkdir -p "$dir"
    cp "$src/src/librdkafka.a" "$dir/librdkafka.a.tmp"
    mv "$dir/librdkafka.a.tmp" "$dir/librdkafka.a"
    rm -rf "$work"
fi
ln -sfn "$dir" "$PIPEC_CACHE/librdkafka"

# The real Kafka broker the tests run against: its jars from Maven Central (tests/kafka/pom.xml),
# fetched once per machine into $PIPEC_CACHE/kafka-<version> (~43 MB).
jars=$(PIPEC_CACHE=$PIPEC_CACHE sh "$(dirname "$0")/../tests/kafka/broker.sh" fetch)
echo "deps: ok (static librdkafka in $PIPEC_CACHE/librdkafka, Kafka broker jars in $jars)"
