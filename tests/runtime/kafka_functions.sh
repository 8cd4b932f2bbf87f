#!/bin/sh
# kafka_functions.sh — seed 004's shopping cart (pipelines/shopping_cart/shopping_cart.yaml,
# CloudEvents JSON over Kafka) against the real test broker: the events of
# functions/events.jsonl in the ingress topic give exactly the cart status events of
# functions/expected_status.jsonl in the egress topic, keyed by cart id (bounded run).
. "$(dirname "$0")/lib.sh"
T=$TMP_ROOT
D=$ROOT/tests/runtime/functions
command -v kcat > /dev/null || { skip kafka/functions_cart "no kcat"; exit 0; }
BIN=$T/shopping_cart
build_pipeline "$ROOT/pipelines/shopping_cart/shopping_cart.yaml" "$BIN" > "$T/build.out" 2>&1 ||
    { fail kafka/functions_cart "pipec build: $(head -n 3 "$T/build.out" | tr '\n' '|')"; exit 0; }
start_cluster fncart --topic fn-cart-ingress:1 --topic fn-cart-egress:1
BS=$BS_fncart
# idempotent, so that a retry on a topic created just now neither loses nor reorders a record
kcat -P -b "$BS" -t fn-cart-ingress -p 0 -X enable.idempotence=true < "$D/events.jsonl" 2> "$T/produce.err" ||
    { fail kafka/functions_cart "produce: $(head -n 2 "$T/produce.err")"; exit 0; }
n=$(kcat -C -b "$BS" -t fn-cart-ingress -e -o beginning 2>/dev/null | wc -l)
[ "$n" = "$(wc -l < "$D/events.jsonl")" ] ||
    { fail kafka/functions_cart "the ingress topic holds $n records, not $(wc -l < "$D/events.jsonl")"; exit 0; }
run_cart() {
    (cd "$T" && KAFKA_BOOTSTRAP=$BS INGRESS_TOPIC=fn-cart-ingress EGRESS_TOPIC=fn-cart-egress BOUNDED=true \
        ERRORS_PATH=$T/errors.jsonl STATE_DIR=$T/state timeout 60 "$BIN" run --quiet 2> "$T/run.err")
}
# one run: on a broker started moments ago the sink itself retries init_transactions while the
# transaction coordinator is not elected yet ("Not coordinator" is retriable)
run_cart; rc=$?
kcat -C -b "$BS" -t fn-cart-egress -e -o beginning -X isolation.level=read_committed -f '%k %s\n' 2>/dev/null > "$T/got"
sed 's/^\(.*"cart_id":"\([^"]*\)".*\)$/\2 \1/' "$D/expected_status.jsonl" > "$T/want"
if [ $rc -ne 0 ]; then fail kafka/functions_cart "exit $rc: $(tr '\n' '|' < "$T/run.err" | head -c 300)"
elif same_file kafka/functions_cart "$T/want" "$T/got"; then
    if [ "$(wc -l < "$T/errors.jsonl")" != 3 ]; then fail kafka/functions_cart "errors: $(wc -l < "$T/errors.jsonl") lines, expected 3"
    else pass kafka/functions_cart; fi
fi
