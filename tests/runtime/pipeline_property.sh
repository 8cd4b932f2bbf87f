#!/bin/sh
# pipeline_property.sh — compiled pipelines vs the independent reference (see pipeline_property.py).
. "$(dirname "$0")/lib.sh"
[ -x "$PIPEC" ] || { skip pipeline_property/all "no $PIPEC (build first)"; exit 0; }
command -v python3 >/dev/null || { skip pipeline_property/all "python3 is not installed"; exit 0; }
python3 "$ROOT/tests/runtime/pipeline_property.py" "$PIPEC" "$TMP_ROOT" "${PIPELINE_PROPERTY_N:-100000}"
