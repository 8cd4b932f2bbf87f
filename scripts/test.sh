#!/bin/sh
# scripts/test.sh — install what is missing, build everything, run the whole test suite.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
./configure
ninja
exec sh tests/run.sh "$@"
