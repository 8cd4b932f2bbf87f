#!/bin/sh
# deps.sh — install what pipec needs on Debian 12, once per machine.
# Debian packages for everything, plus a static librdkafka and a static libpq built from Debian's
# *source* packages (Debian's librdkafka.a drags in SASL/GSSAPI static libraries, its libpq.a GSSAPI
# and LDAP ones, that Debian does not ship; see docs/building.md).
# The static builds are cached in $PIPEC_CACHE (default /var/cache/pipec) and reused on later runs,
# and so are the jars of the test Kafka broker (tests/kafka/broker.sh fetch).
set -eu

PIPEC_CACHE=${PIPEC_CACHE:-/var/cache/pipec}
PKGS="gcc make ninja-build pkg-config file clang libclang-rt-14-dev
      libyaml-dev librdkafka-dev librocksdb-dev libevent-dev
      libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsnappy-dev libbz2-dev libjemalloc-dev
      kcat dpkg-dev python3 valgrind openjdk-17-jre-headless maven locales
      curl chromium python3-yaml libpq-dev postgresql time"

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

# Static libpq, from the Debian source package of the installed libpq-dev (postgresql-15), configured
# without GSSAPI, LDAP, ICU and readline, so that it needs only OpenSSL and libc. Kept: libpq.a, the
# two frontend helper libraries it calls into (libpgcommon_shlib.a, libpgport_shlib.a: the variants
# Debian's libpq.so is linked with) and the client headers, in $PIPEC_CACHE/libpq-<version>.
pqver=$(dpkg-query -W -f='${Version}' libpq-dev)
pqsrc=$(dpkg-query -W -f='${source:Package}' libpq-dev)
pqdir="$PIPEC_CACHE/libpq-$pqver"
if [ ! -f "$pqdir/libpq.a" ]; then
    echo "deps: building static libpq $pqver (once per machine, ~2 min)"
    if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
        sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/pipec-src.sources
        apt-get update -qq
    fi
    work=$(mktemp -d)
    (cd "$work" && apt-get source -qq "$pqsrc=$pqver" >/dev/null 2>&1)
    src=$(find "$work" -maxdepth 1 -type d -name 'postgresql-*' | head -n 1)
    [ -n "$src" ] || { echo "deps: apt-get source $pqsrc=$pqver gave no source tree"; exit 1; }
    (cd "$src" && ./configure --without-gssapi --without-ldap --without-icu --without-readline --without-llvm \
            --without-systemd --without-zstd --without-lz4 --disable-nls --with-openssl >"$work/configure.log" 2>&1 \
        && make -j"$(nproc)" -C src/port >"$work/make.log" 2>&1 \
        && make -j"$(nproc)" -C src/common >>"$work/make.log" 2>&1 \
        && make -j"$(nproc)" -C src/interfaces/libpq >>"$work/make.log" 2>&1) \
        || { tail -n 30 "$work/configure.log" "$work/make.log"; exit 1; }
    # nothing from GSSAPI or LDAP may remain: those are the libraries a static link cannot find
    if nm "$src/src/interfaces/libpq/libpq.a" 2>/dev/null | grep -Eq ' U (gss_|ldap_)'; then
        echo "deps: the libpq build still needs GSSAPI or LDAP"; exit 1
    fi
    mkdir -p "$pqdir.tmp/include"
    cp "$src/src/interfaces/libpq/libpq.a" "$src/src/common/libpgcommon_shlib.a" \
       "$src/src/port/libpgport_shlib.a" "$pqdir.tmp/"
    cp "$src/src/interfaces/libpq/libpq-fe.h" "$src/src/include/postgres_ext.h" \
       "$src/src/include/pg_config_ext.h" "$pqdir.tmp/include/"
    rm -rf "$pqdir"
    mv "$pqdir.tmp" "$pqdir"
    rm -rf "$work"
fi
ln -sfn "$pqdir" "$PIPEC_CACHE/libpq"

# The real Kafka broker the tests run against: its jars from Maven Central (tests/kafka/pom.xml),
# fetched once per machine into $PIPEC_CACHE/kafka-<version> (~43 MB).
jars=$(PIPEC_CACHE=$PIPEC_CACHE sh "$(dirname "$0")/../tests/kafka/broker.sh" fetch)
echo "deps: ok (static librdkafka in $PIPEC_CACHE/librdkafka, static libpq in $PIPEC_CACHE/libpq, Kafka broker jars in $jars)"
