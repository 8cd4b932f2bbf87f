#!/usr/bin/env python3
"""upgrade_ref.py CASE PART1 REST OUT_TOTALS OUT_COUNTS — an independent reference for an upgrade
whose v2 changes stateless stages (tests/runtime/upgrade.sh, cases with `check` = `reference`).

The state a savepoint carries is what v1 built over PART1; after the restore, v2's stateless
stages apply to the records of REST, and the restored state goes on from where v1 left it. This
model computes, without pipec's code, what v2 must write after the restore (its outputs over
REST), and compares it with OUT_TOTALS and OUT_COUNTS (pipec's p2 sinks):

  * totals: a running aggregate per customer, one row per record reaching it: n = count(),
    spent = sum(amount), last_status = last(status);
  * counts: a tumbling 10 s event-time window per status with 5 s allowed lateness, computed by
    tests/reference/flink_windows.py (Flink's WindowOperator); n = count(), hi = max(amount),
    who = first(customer), kinds = count_distinct(customer). The watermark is the source's:
    every record advances it (max ts - 2 s - 1 ms), also one a filter drops after the source.

Each case's v1 and v2 stateless stages are written below as Python, from the case's YAML.
Prints "ok N rows" or why the outputs differ (exit 1)."""
import json
import os
import sys
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import flink_windows as fw  # noqa: E402


def v1(r):  # tests/runtime/upgrade/v1.yaml: no stateless stage before the keyed ones
    return r


def drop_new(r):  # filter_change/v2.yaml: `filter: status != "NEW"` before both key_bys
    return r if r["status"] != "NEW" else None


def double(r):  # set_change/v2.yaml: `set: { amount: amount * 2 }` before both key_bys
    return dict(r, amount=r["amount"] * 2)


V2 = {"unchanged": v1, "filter_change": drop_new, "set_change": double}


class Val:
    """One record's contribution to the window accumulator: the reference's Acc sums, compares
    and keeps first/last of it. Comparisons are by amount (max), the sum is the set of
    customers (count_distinct), first is the whole value (its customer)."""
    __slots__ = ("amount", "customers", "customer")

    def __init__(self, amount, customers, customer):
        self.amount, self.customers, self.customer = amount, customers, customer

    def __add__(self, o):
        return Val(None, self.customers | o.customers, None)

    def __radd__(self, zero):  # Acc starts its sum at 0
        return self

    def __lt__(self, o):
        return self.amount < o.amount

    def __gt__(self, o):
        return self.amount > o.amount


def read(path):
    out = []
    for line in open(path):
        f = dict(kv.split("=", 1) for kv in line.strip().split(","))
        out.append({"customer": f["customer"], "status": f["status"], "amount": float(f["amount"]),
                    "ts": int(f["ts"])})
    return out


def iso(ms):
    return datetime.fromisoformat(ms.replace("Z", "+00:00")).timestamp() * 1000


def main():
    case, part1, rest, got_totals, got_counts = sys.argv[1:6]
    v2 = V2[case]
    op = fw.WindowOperator(fw.Spec(kind="tumbling", size=10000, lateness=5000, ooo=2000))
    totals, rows, max_seen = {}, [], None
    cut = 0
    for stage, recs in ((v1, read(part1)), (v2, read(rest))):
        if stage is v2:
            cut = len(op.out)
            rows = []  # only what the restored v2 writes
        for raw in recs:
            max_seen = raw["ts"] if max_seen is None else max(max_seen, raw["ts"])
            r = stage(raw)
            if r is not None:
                t = totals.setdefault(r["customer"], [0, 0.0, None])
                t[0] += 1
                t[1] += r["amount"]
                t[2] = r["status"]
                rows.append({"customer": r["customer"], "n": t[0], "spent": t[1], "last_status": t[2]})
                op.process(r["status"], r["ts"], Val(r["amount"], frozenset([r["customer"]]), r["customer"]))
            op.advance(max_seen - 2000 - 1)
    op.advance(fw.LONG_MAX)  # the restored run is bounded: its input ends
    windows = [{"status": w["key"], "start": w["start"], "end": w["end"], "n": w["count"], "hi": w["max"].amount,
                "who": w["first"].customer, "kinds": len(w["sum"].customers)} for w in op.out[cut:]]
    got_rows = [json.loads(line) for line in open(got_totals)]
    got_windows = []
    for line in open(got_counts):
        w = json.loads(line)
        got_windows.append({"status": w["status"], "start": iso(w["window_start"]), "end": iso(w["window_end"]),
                            "n": w["n"], "hi": w["hi"], "who": w["who"], "kinds": w["kinds"]})
    for what, want, got in (("totals", rows, got_rows), ("counts", windows, got_windows)):
        if want != got:
            i = next((i for i, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
            print("%s differ from the reference at row %d of %d/%d: want %r, got %r" % (
                what, i + 1, len(want), len(got), want[i] if i < len(want) else None, got[i] if i < len(got) else None))
            sys.exit(1)
    if len(windows) < 20 or len(rows) < 500:
        print("too few rows to prove anything: %d windows, %d running rows" % (len(windows), len(rows)))
        sys.exit(1)
    print("ok %d running rows, %d windows" % (len(rows), len(windows)))


main()
