#!/usr/bin/env python3
"""flink_windows.py — an independent reference model of Flink's keyed WindowOperator, as pipec
specifies it (SPEC.md "Event time"). Python 3, standard library only.

It is written from Flink's structure, not from runtime/prt_window.c: a trigger per window
(EventTimeTrigger, ProcessingTimeTrigger, CountTrigger / PurgingTrigger), a timer service that
de-duplicates timers per (key, window, time), cleanup timers at max timestamp + allowed lateness,
Flink's isWindowLate / isElementLate tests, and MergingWindowSet for sessions (state windows,
onMerge, deletion of the merged windows' timers).

pipec's choices where Flink leaves things open, and its extensions:
  * timers due at the same time fire in registration order (the first registration of a
    de-duplicated timer counts);
  * a window result carries event time end - 1; a running result the record's time; a global pane
    the largest event time it holds (start/end of a global pane print as -2^63 / 2^63-1, of a
    running result as 0 / 0);
  * at the end of input (watermark +inf) every global pane with records since its last firing
    fires, in the arrival order of the oldest such record (Flink's CountTrigger would not);
  * first / last are by arrival; a session merge keeps the earliest first and the latest last.

Reuse:  run(events, spec) -> list of results, in emission order.
  events: iterable of (key, ts, value); key a str, ts an int (ms), value a number.
  spec:   Spec(kind="tumbling"|"sliding"|"session"|"global"|"running", size, slide, offset, gap,
          count, purge, lateness, ooo, time="event"|"processing").
  Watermarks: event time, per record: the record is processed at the current watermark, then
  watermark = max ts seen - ooo - 1. Processing time: the wall clock is the largest ts seen so
  far; the operator's clock moves to it before the record, which is assigned by the clock.
  End of input: the clock becomes +inf.
  results: dicts {"key","start","end","count","sum","min","max","first","last","ts"}, or
  {"late": {"key", "ts"}} for a record no window accepted (side output).
  For other drivers: WindowOperator(spec).process(key, ts, value) / .advance(t) / .out.

CLI (same as build/tools/window-driver):
  flink_windows.py --kind K [--size MS] [--slide MS] [--offset MS] [--gap MS] [--count N]
                   [--purge 0|1] [--lateness MS] [--ooo MS] [--time event|processing]
  stdin: lines "key,ts,value"; stdout: one JSON object per line, e.g.
  {"key":"k","start":0,"end":10,"count":2,"sum":3,"min":1,"max":2,"first":1,"last":2,"ts":9}
  {"late":{"key":"k","ts":-3}}
"""
import argparse
import heapq
import sys
from dataclasses import dataclass

LONG_MIN = -(1 << 63)
LONG_MAX = (1 << 63) - 1


@dataclass
class Spec:
    kind: str = "tumbling"
    size: int = 0
    slide: int = 0
    offset: int = 0
    gap: int = 0
    count: int = 0
    purge: int = 0
    lateness: int = 0
    ooo: int = 0
    time: str = "event"


class TimeWindow(tuple):
    """[start, end); Flink's TimeWindow."""
    __slots__ = ()

    def __new__(cls, start, end):
        return tuple.__new__(cls, (start, end))

    start = property(lambda self: self[0])
    end = property(lambda self: self[1])

    def max_timestamp(self):
        return self[1] - 1

    def intersects(self, o):
        return self[0] <= o[1] and self[1] >= o[0]

    def cover(self, o):
        return TimeWindow(min(self[0], o[0]), max(self[1], o[1]))


class GlobalWindow:
    start, end = LONG_MIN, LONG_MAX

    def max_timestamp(self):
        return LONG_MAX


GLOBAL = GlobalWindow()


class Acc:
    """count, sum, min, max, first, last — the aggregate the tests use."""
    __slots__ = ("count", "sum", "min", "max", "first", "last", "fseq", "lseq")

    def __init__(self):
        self.count, self.sum, self.min, self.max = 0, 0, None, None
        self.first = self.last = None
        self.fseq = self.lseq = None

    def add(self, value, seq):
        if self.count == 0:
            self.first, self.fseq = value, seq
        self.last, self.lseq = value, seq
        self.count += 1
        self.sum += value
        self.min = value if self.min is None else min(self.min, value)
        self.max = value if self.max is None else max(self.max, value)

    def merge(self, o):
        if o.count == 0:
            return
        if self.count == 0 or o.fseq < self.fseq:
            self.first, self.fseq = o.first, o.fseq
        if self.count == 0 or o.lseq > self.lseq:
            self.last, self.lseq = o.last, o.lseq
        self.count += o.count
        self.sum += o.sum
        self.min = o.min if self.min is None else min(self.min, o.min)
        self.max = o.max if self.max is None else max(self.max, o.max)


def start_with_offset(ts, offset, size):
    """Flink's TimeWindow.getWindowStartWithOffset (non-negative remainder)."""
    return ts - (ts - offset) % size


CONTINUE, FIRE, PURGE = 0, 1, 2


class WindowOperator:
    def __init__(self, spec):
        self.s = spec
        self.event_time = spec.time == "event" and spec.kind in ("tumbling", "sliding", "session")
        self.now = LONG_MIN          # current watermark, or processing time
        self.seq = 0                 # arrival number of the record being processed
        self.tseq = 0                # timer registration counter
        self.heap = []               # (time, tseq, key, window)
        self.timers = {}             # (key, window, time) -> tseq of the live registration
        self.state = {}              # (key, state window) -> Acc
        self.merging = {}            # key -> {window: state window}   (MergingWindowSet)
        self.counts = {}             # key -> (count since last firing, seq when it began)
        self.pane_max = {}           # key -> largest ts in the global pane
        self.running = {}            # key -> Acc
        self.out = []

    # ---- assigners ---------------------------------------------------------------------------
    def assign(self, ts):
        s = self.s
        if s.kind == "tumbling":
            st = start_with_offset(ts, s.offset, s.size)
            return [TimeWindow(st, st + s.size)]
        if s.kind == "sliding":  # Flink: from the last start, downwards
            out, st = [], start_with_offset(ts, s.offset, s.slide)
            while st > ts - s.size:
                out.append(TimeWindow(st, st + s.size))
                st -= s.slide
            return out
        if s.kind == "session":
            return [TimeWindow(ts, ts + s.gap)]
        return [GLOBAL]

    # ---- timer service -----------------------------------------------------------------------
    def register(self, key, window, time):
        k = (key, window, time)
        if k in self.timers:
            return
        self.tseq += 1
        self.timers[k] = self.tseq
        heapq.heappush(self.heap, (time, self.tseq, key, window))

    def delete(self, key, window, time):
        self.timers.pop((key, window, time), None)

    # ---- lateness / cleanup ------------------------------------------------------------------
    def cleanup_time(self, window):
        if not self.event_time:
            return window.max_timestamp()
        t = window.max_timestamp() + self.s.lateness
        return t if t <= LONG_MAX else LONG_MAX

    def window_late(self, window):
        return self.event_time and self.cleanup_time(window) <= self.now

    def element_late(self, ts):
        return self.event_time and ts + self.s.lateness <= self.now

    def register_cleanup(self, key, window):
        t = self.cleanup_time(window)
        if t != LONG_MAX:
            self.register(key, window, t)

    # ---- triggers ----------------------------------------------------------------------------
    def on_element(self, key, window):
        if self.s.kind == "global":  # CountTrigger, maybe wrapped in PurgingTrigger
            c, since = self.counts.get(key, (0, self.seq))
            c += 1
            if c >= self.s.count:
                self.counts.pop(key, None)
                return FIRE | (PURGE if self.s.purge else 0)
            self.counts[key] = (c, since)
            return CONTINUE
        mt = window.max_timestamp()
        if self.event_time and mt <= self.now:
            return FIRE
        self.register(key, window, mt)
        return CONTINUE

    def on_merge(self, key, window):
        mt = window.max_timestamp()
        if mt > self.now:
            self.register(key, window, mt)

    def trigger_clear(self, key, window):
        self.delete(key, window, window.max_timestamp())

    # ---- output ------------------------------------------------------------------------------
    def emit(self, key, window, acc, ts):
        self.out.append({"key": key, "start": window.start, "end": window.end, "count": acc.count,
                         "sum": acc.sum, "min": acc.min, "max": acc.max, "first": acc.first,
                         "last": acc.last, "ts": ts})

    def emit_window(self, key, window, acc):
        if self.s.kind == "global":
            self.emit(key, window, acc, self.pane_max[key])
        else:
            self.emit(key, window, acc, window.max_timestamp())

    # ---- MergingWindowSet.addWindow ----------------------------------------------------------
    def add_window(self, key, mapping, new):
        windows = sorted(set(mapping) | {new})
        groups, cur, members = [], None, None
        for w in windows:  # TimeWindow.mergeWindows
            if cur is None:
                cur, members = w, {w}
            elif cur.intersects(w):
                cur, members = cur.cover(w), members | {w}
            else:
                groups.append((cur, members))
                cur, members = w, {w}
        if cur is not None:
            groups.append((cur, members))
        results = [(c, m) for c, m in groups if len(m) > 1]
        result, merged_new = new, False
        for cover, merged in results:
            merged = set(merged)
            if new in merged:
                merged.discard(new)
                merged_new, result = True, cover
            state_window = mapping[min(merged)]
            merged_states = [mapping.pop(m) for m in sorted(merged) if m in mapping]
            mapping[cover] = state_window
            merged_states.remove(state_window)
            if not (cover in merged and len(merged) == 1):
                self.merge_function(key, cover, sorted(merged), state_window, merged_states)
        if not results or (result == new and not merged_new):
            mapping[result] = result
        return result

    def merge_function(self, key, result, merged_windows, state_window, merged_states):
        if self.event_time and result.max_timestamp() + self.s.lateness <= self.now:
            raise RuntimeError("merging made an event-time window end before the watermark")
        self.on_merge(key, result)
        for m in merged_windows:
            self.trigger_clear(key, m)
            t = self.cleanup_time(m)
            if t != LONG_MAX:
                self.delete(key, m, t)
        target = self.state[(key, state_window)]
        for sw in merged_states:
            src = self.state.pop((key, sw), None)
            if src is not None:
                target.merge(src)

    # ---- WindowOperator.processElement -------------------------------------------------------
    def process(self, key, ts, value):
        self.seq += 1
        s = self.s
        if s.kind == "running":
            acc = self.running.setdefault(key, Acc())
            acc.add(value, self.seq)
            self.emit(key, TimeWindow(0, 0), acc, ts)
            return
        skipped = True
        if s.kind == "session":
            mapping = self.merging.setdefault(key, {})
            for window in self.assign(ts):
                actual = self.add_window(key, mapping, window)
                if self.window_late(actual):
                    del mapping[actual]  # retireWindow
                    continue
                skipped = False
                sw = mapping[actual]
                self.state.setdefault((key, sw), Acc()).add(value, self.seq)
                if self.on_element(key, actual) & FIRE:
                    self.emit_window(key, actual, self.state[(key, sw)])
                self.register_cleanup(key, actual)
            if not mapping:
                del self.merging[key]
        else:
            for window in self.assign(ts):
                if self.window_late(window):
                    continue
                skipped = False
                if s.kind == "global":
                    if (key, window) not in self.state:
                        self.pane_max.pop(key, None)
                    self.pane_max[key] = max(self.pane_max.get(key, ts), ts)
                acc = self.state.setdefault((key, window), Acc())
                acc.add(value, self.seq)
                r = self.on_element(key, window)
                if r & FIRE:
                    self.emit_window(key, window, acc)
                if r & PURGE:
                    del self.state[(key, window)]
                self.register_cleanup(key, window)
        if skipped and self.element_late(ts):
            self.out.append({"late": {"key": key, "ts": ts}})

    # ---- timers: InternalTimerService.advanceWatermark / onEventTime -------------------------
    def advance(self, t):
        if t < self.now:
            return
        self.now = t
        while self.heap and self.heap[0][0] <= t:
            time, tseq, key, window = heapq.heappop(self.heap)
            if self.timers.get((key, window, time)) != tseq:
                continue  # deleted
            del self.timers[(key, window, time)]
            self.on_timer(key, window, time)
        if t == LONG_MAX and self.s.kind == "global":
            for key, (c, since) in sorted(self.counts.items(), key=lambda kv: kv[1][1]):
                self.emit_window(key, GLOBAL, self.state[(key, GLOBAL)])
                if self.s.purge:
                    del self.state[(key, GLOBAL)]
            self.counts.clear()

    def on_timer(self, key, window, time):
        if self.s.kind == "session":
            mapping = self.merging.get(key)
            sw = mapping.get(window) if mapping else None
            if sw is None:
                return
        else:
            sw = window
        acc = self.state.get((key, sw))
        fire = time == window.max_timestamp() if self.event_time else True
        if fire and acc is not None:
            self.emit_window(key, window, acc)
        if time == self.cleanup_time(window):  # clearAllState
            self.state.pop((key, sw), None)
            self.trigger_clear(key, window)
            if self.s.kind == "session":
                del mapping[window]
                if not mapping:
                    del self.merging[key]


def run(events, spec):
    op = WindowOperator(spec)
    max_seen = None
    for key, ts, value in events:
        max_seen = ts if max_seen is None else max(max_seen, ts)
        if spec.time == "processing":
            op.advance(max_seen)
            op.process(key, max_seen, value)
        else:
            op.process(key, ts, value)
            op.advance(max_seen - spec.ooo - 1)
    op.advance(LONG_MAX)
    return op.out


def format_result(r):
    if "late" in r:
        return '{"late":{"key":"%s","ts":%d}}' % (r["late"]["key"], r["late"]["ts"])
    return ('{"key":"%s","start":%d,"end":%d,"count":%d,"sum":%d,"min":%d,"max":%d,"first":%d,'
            '"last":%d,"ts":%d}' % (r["key"], r["start"], r["end"], r["count"], r["sum"], r["min"],
                                    r["max"], r["first"], r["last"], r["ts"]))


def read_events(f):
    for line in f:
        parts = line.rstrip("\n").split(",")
        if len(parts) >= 3:
            yield parts[0], int(parts[1]), int(parts[2])


def main(argv):
    p = argparse.ArgumentParser(description="reference model of Flink keyed windows")
    p.add_argument("--kind", default="tumbling",
                   choices=["tumbling", "sliding", "session", "global", "running"])
    for name in ("size", "slide", "offset", "gap", "count", "purge", "lateness", "ooo"):
        p.add_argument("--" + name, type=int, default=0)
    p.add_argument("--time", default="event", choices=["event", "processing"])
    a = p.parse_args(argv)
    spec = Spec(a.kind, a.size, a.slide, a.offset, a.gap, a.count, a.purge, a.lateness, a.ooo, a.time)
    out = sys.stdout
    for r in run(read_events(sys.stdin), spec):
        out.write(format_result(r) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
