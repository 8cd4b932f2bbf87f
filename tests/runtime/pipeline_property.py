#!/usr/bin/env python3
"""pipeline_property.py — property test of whole compiled pipelines against the independent
reference (tests/reference/flink_windows.py): for each window kind a seeded random stream of
out-of-order records (several keys, negative timestamps, late and very late records) is written
as a kv file, run through a pipeline that pipec compiles (file source -> key_by -> window with
count/sum/min/max/first/last -> json sink, late records to a late_output sink), and the results
are compared with the reference record by record, in emission order.

usage: pipeline_property.py PIPEC WORKDIR [N]   prints PASS/FAIL lines (tests/unit/prt_test.h)
"""
import datetime
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference"))
import flink_windows as ref  # noqa: E402

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def to_ms(text):
    d = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    delta = d - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def events(seed, n):
    r = random.Random(seed)
    keys = ["k%d" % i for i in range(12)]
    weights = [1 + i * i for i in range(12)]
    base = -150000
    out = []
    for _ in range(n):
        base += r.randint(0, 6)
        x = r.random()
        if x < 0.005:
            ts = base - r.randint(50000, 150000)
        elif x < 0.035:
            ts = base - r.randint(300, 1500)
        else:
            ts = base - int(r.expovariate(1 / 60.0)) % 300
        out.append((r.choices(keys, weights)[0], ts, r.randint(-100, 100)))
    return out


def ms(v):
    return "%dms" % v


CASES = [
    # name, reference spec, YAML window lines
    ("tumbling", ref.Spec(kind="tumbling", size=1000, offset=250, lateness=700, ooo=200),
     ["window: { tumbling: %s }" % ms(1000), "offset: %s" % ms(250), "allowed_lateness: %s" % ms(700),
      "late_output: late"]),
    ("sliding", ref.Spec(kind="sliding", size=1500, slide=400, lateness=300, ooo=100),
     ["window: { sliding: { size: %s, slide: %s } }" % (ms(1500), ms(400)),
      "allowed_lateness: %s" % ms(300), "late_output: late"]),
    ("session", ref.Spec(kind="session", gap=40, lateness=500, ooo=150),
     ["window: { session: { gap: %s } }" % ms(40), "allowed_lateness: %s" % ms(500), "late_output: late"]),
    ("global", ref.Spec(kind="global", count=7, purge=1, ooo=0),
     ["window: { global: { trigger: { count: 7 } } }"]),
    ("running", ref.Spec(kind="running", ooo=0), []),
]


def yaml_for(name, spec, lines, data):
    window = "".join("    %s\n" % l for l in lines)
    late = "  late: { file: { path: late.jsonl } }\n" if any("late_output" in l for l in lines) else ""
    return ("pipeline: prop_%s\n"
            "schemas:\n  ev: { k: string, ts: timestamp, v: int }\n"
            "sources:\n  events:\n    file: { path: %s }\n    format: kv\n    schema: ev\n"
            "    event_time: ts\n    watermark: { out_of_orderness: %s }\n"
            "stages:\n  - id: by_k\n    key_by: k\n  - id: w\n%s"
            "    aggregate: { count: count(), sum: sum(v), min: min(v), max: max(v), first: first(v), last: last(v) }\n"
            "sinks:\n  out: { from: w, file: { path: out.jsonl } }\n%s"
            % (name, data, ms(spec.ooo), window, late))


def main():
    pipec, work = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    evs = events(3, n)
    data = os.path.join(work, "events.kv")
    with open(data, "w") as f:
        for k, ts, v in evs:
            f.write("k=%s,ts=%d,v=%d\n" % (k, ts, v))
    failed = 0
    for name, spec, lines in CASES:
        d = os.path.join(work, name)
        os.makedirs(d, exist_ok=True)
        y = os.path.join(d, "p.yaml")
        with open(y, "w") as f:
            f.write(yaml_for(name, spec, lines, data))
        b = subprocess.run([pipec, "build", y, "-o", os.path.join(d, "bin")], capture_output=True, text=True)
        if b.returncode != 0:
            print("FAIL pipeline_property/%s: pipec build: %s" % (name, (b.stderr or b.stdout)[:300]))
            failed += 1
            continue
        r = subprocess.run([os.path.join(d, "bin"), "run", "--quiet"], cwd=d, capture_output=True, text=True)
        if r.returncode != 0:
            print("FAIL pipeline_property/%s: exit %d: %s" % (name, r.returncode, r.stderr[:300]))
            failed += 1
            continue
        want, want_late = [], []
        for x in ref.run(evs, spec):
            if "late" in x:
                want_late.append((x["late"]["key"], x["late"]["ts"]))
                continue
            row = [x["key"]]
            if name not in ("global", "running"):
                row += [x["start"], x["end"]]
            row += [x["count"], x["sum"], x["min"], x["max"], x["first"], x["last"]]
            want.append(row)
        got = []
        with open(os.path.join(d, "out.jsonl")) as f:
            for line in f:
                o = json.loads(line)
                row = [o["k"]]
                if name not in ("global", "running"):
                    row += [to_ms(o["window_start"]), to_ms(o["window_end"])]
                row += [o["count"], o["sum"], o["min"], o["max"], o["first"], o["last"]]
                got.append(row)
        got_late = []
        if os.path.exists(os.path.join(d, "late.jsonl")):
            with open(os.path.join(d, "late.jsonl")) as f:
                got_late = [(o["k"], to_ms(o["ts"])) for o in map(json.loads, f)]
        problem = None
        for i in range(max(len(want), len(got))):
            if i >= len(want) or i >= len(got) or want[i] != got[i]:
                problem = "result %d: want %s, got %s" % (i + 1, want[i] if i < len(want) else "nothing",
                                                          got[i] if i < len(got) else "nothing")
                break
        if not problem and want_late != got_late:
            problem = "late records differ: want %d, got %d" % (len(want_late), len(got_late))
        if problem:
            print("FAIL pipeline_property/%s: %s" % (name, problem))
            failed += 1
        else:
            print("PASS pipeline_property/%s (%d results, %d late)" % (name, len(got), len(got_late)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
