#!/bin/sh
# scripts/demo.sh — install what is missing, build, and run seed 001's pipeline
# (Kafka -> filter -> key_by status -> tumbling 30 s windows -> Kafka) on an embedded Kafka
# cluster fed with generated orders, printing the window results as they land in the output
# topic. Runs DEMO_SECONDS (default 75) seconds; Ctrl-C stops it earlier.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
./configure
ninja
exec sh scripts/demo-run.sh
