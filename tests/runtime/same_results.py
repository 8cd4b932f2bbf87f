#!/usr/bin/env python3
"""same_results.py KEYS A B: the output files A and B hold the same records as multisets, and per
key (the comma-separated fields KEYS of json or kv lines; a csv line's first column) in the same
order. Prints the number of records, or why they differ (exit 1). Used by parallel.sh and
rescale.sh: output order across keys may change with the parallelism, per key it must not."""
import json, sys
keys, a, b = sys.argv[1].split(","), sys.argv[2], sys.argv[3]
def lines(p):
    with open(p) as f:
        return f.read().splitlines()
def key(line):
    if line.startswith("{"):
        d = json.loads(line)
        return tuple(str(d.get(k)) for k in keys)
    if "=" in line: # kv
        d = dict(x.split("=", 1) for x in line.split(","))
        return tuple(d.get(k) for k in keys)
    return (line.split(",")[0],) # csv: the key is the first column
la, lb = lines(a), lines(b)
if sorted(la) != sorted(lb):
    print("multisets differ: %d vs %d lines" % (len(la), len(lb)))
    sys.exit(1)
def per_key(ls):
    d = {}
    for l in ls:
        d.setdefault(key(l), []).append(l)
    return d
if per_key(la) != per_key(lb):
    print("per-key order differs")
    sys.exit(1)
print(len(la))
