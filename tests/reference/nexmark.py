#!/usr/bin/env python3
"""nexmark.py — an independent reference for pipelines/nexmark/*.yaml (tests/runtime/nexmark.sh).

    nexmark.py QUERY DIR     prints the rows QUERY's job must write (csv, any order) for the
                             person.csv, auction.csv and bid.csv that bench/tools/gen wrote in DIR

Written from the queries' definitions (Nexmark, Flink's window semantics), not from pipec's code:
the generator's files are in event-time order per kind, so with 1 s of allowed out-of-orderness no
record is late and every window holds exactly the records whose time falls in it. q12 works on the
wall clock, so its reference is the per-bidder total (the test sums the job's windows per bidder).
"""
import collections
import datetime
import sys

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def ts(s):
    d = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    return (d - EPOCH) // datetime.timedelta(milliseconds=1)


def fmt_ts(ms):
    d = EPOCH + datetime.timedelta(milliseconds=ms)
    s = d.strftime("%Y-%m-%dT%H:%M:%S")
    if ms % 1000:
        s += ".%03d" % (ms % 1000)
    return s + "Z"


def fmt_float(x):
    r = repr(float(x))
    return r if ("." in r or "e" in r or "n" in r) else r + ".0"


def rows(path):
    with open(path) as f:
        for line in f:
            yield line.rstrip("\n").split(",")


def bids(d):
    for f in rows(d + "/bid.csv"):
        yield {"auction": int(f[0]), "bidder": int(f[1]), "price": int(f[2]), "channel": f[3], "url": f[4],
               "date_time": ts(f[5]), "extra": f[6]}


def tumble(t, size):
    return t - t % size


def main():
    q, d = sys.argv[1], sys.argv[2]
    out = []
    if q == "q0":
        for b in bids(d):
            out.append("%d,%d,%d,%s,%s,%s,%s" % (b["auction"], b["bidder"], b["price"], b["channel"], b["url"],
                                                fmt_ts(b["date_time"]), b["extra"]))
    elif q == "q1":
        for b in bids(d):
            out.append("%d,%d,%s,%s" % (b["auction"], b["bidder"], fmt_float(b["price"] * 0.908), fmt_ts(b["date_time"])))
    elif q == "q2":
        out = ["%d,%d" % (b["auction"], b["price"]) for b in bids(d) if b["auction"] % 123 == 0]
    elif q == "q5":
        counts = collections.defaultdict(collections.Counter)  # sliding window end -> auction -> bids
        for b in bids(d):
            last = tumble(b["date_time"], 2000)  # the latest window start covering t
            for start in range(last, last - 10000, -2000):
                counts[start + 10000][b["auction"]] += 1
        for end, c in counts.items():
            out.append("%s,%d,%d" % (fmt_ts(end), max(c.values()), len(c)))
    elif q == "q7":
        w = {}
        for b in bids(d):
            s = tumble(b["date_time"], 10000)
            mx, n = w.get(s, (b["price"], 0))
            w[s] = (max(mx, b["price"]), n + 1)
        out = ["%s,%d,%d" % (fmt_ts(s + 10000), mx, n) for s, (mx, n) in w.items()]
    elif q == "q8":
        people = collections.defaultdict(list)  # (window, id) -> names
        for f in rows(d + "/person.csv"):
            people[(tumble(ts(f[6]), 10000), int(f[0]))].append(f[1])
        for f in rows(d + "/auction.csv"):
            s = tumble(ts(f[5]), 10000)
            for name in people.get((s, int(f[7])), []):
                out.append("%s,%s,%s,%s,%s" % (fmt_ts(s), fmt_ts(s + 10000), f[7], name, f[0]))
    elif q == "q11":
        per = collections.defaultdict(list)
        for b in bids(d):
            per[b["bidder"]].append(b["date_time"])
        for bidder, times in per.items():
            times.sort()
            start, last, n = times[0], times[0], 0
            for t in times:
                if t > last + 10000:  # [t, t + gap) neither overlaps nor touches the session so far
                    out.append("%d,%s,%s,%d" % (bidder, fmt_ts(start), fmt_ts(last + 10000), n))
                    start, n = t, 0
                last, n = t, n + 1
            out.append("%d,%s,%s,%d" % (bidder, fmt_ts(start), fmt_ts(last + 10000), n))
    elif q == "q12":
        c = collections.Counter(b["bidder"] for b in bids(d))
        out = ["%d,%d" % (k, n) for k, n in c.items()]
    else:
        sys.exit("nexmark.py: unknown query " + q)
    sys.stdout.write("".join(line + "\n" for line in sorted(out)))


if __name__ == "__main__":
    main()
