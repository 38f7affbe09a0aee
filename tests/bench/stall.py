#!/usr/bin/python3
"""stall.py: how fast the exchange feeds tell a dead venue from a quiet one (issue 18), a
section of `make bench` (bench.py calls run() and writes its table into docs/PERFORMANCE.md);
alone: `stall.py [--quick] [--bin DIR] [--work DIR]` prints the tables.

For each of RATES, one mockx (`--world --activity live --rate R`) serves the five exchange
venues of the index (Coinbase, Kraken, Bitstamp, Gemini, Crypto.com) to their feeds
(bin/feed-VENUE, `--url` at mockx, `--ca-file` its test CA, a bus directory of their own), each
of which hears the other four's quotes (`--peers auto`); `tap` subscribes to the five feeds.
mockx hits one venue at a time, every SLOT s from FIRST s, with a stall or a mute
(`--fault VENUE:KIND@START+EVERYxCOUNT`: slot j is venue j mod N (N = 5 venues), stall for j/N
even, mute for j/N odd, so each venue has a fault every N slots and stall and mute alternate).

The time of a fault is the time mockx applied it: the `stall`/`mute` event in its request log
(`--log`, `ts_ms`, CLOCK_REALTIME) for the feed's open connection. A fault that found no open
connection of the venue (the feed was between connections) did nothing, is not in the log and
is not counted. Detection = `ts_pub` (CLOCK_REALTIME, same host) of the feed's first
`event.reconnect` or `event.resync` after the fault, minus the fault time; recovery = `ts_pub`
of its first `quote.VENUE.*` after that detection, minus the fault time (the whole outage).
Nothing seen before the venue's next fault (N slots later) counts as undetected.

False alarms: one more mockx with `--activity night --rate NIGHT_RATE` and no faults for the
run's length; every event.reconnect and event.resync is a false alarm, reported per hour.
All runs go at once (separate mockx, feeds, buses and ports). A feed that exits (exit 75 when it
gets no market data for its --progress-deadline) is started again a second later, as systemd
would, and counted.
"""
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

VENUES = ["coinbase", "kraken", "bitstamp", "gemini", "cryptocom"]
N = len(VENUES)
KINDS = ["stall", "mute"]
# STALL_RATES=5,50 runs those rates only; STALL_FEED_ARGS adds options to every feed (e.g. a
# trade-off of the data-path probe: "--data-probes-per-hour 36000")
RATES = [int(r) for r in os.environ.get("STALL_RATES", "5,50,500").split(",")]
FEED_ARGS = os.environ.get("STALL_FEED_ARGS", "").split()
NIGHT_RATE = 50
SLOT, FIRST, TAIL = 20, 20, 30  # s: fault spacing, first fault, time left after the last
FULL_S, QUICK_S = 1800, 180


def pctl(xs, q):
    """nearest-rank percentile of XS (None when empty)"""
    xs = sorted(xs)
    if not xs:
        return None
    return xs[max(0, math.ceil(q * len(xs)) - 1)]


class World:
    """one mockx, the five feeds and a tap, in DIR"""

    def __init__(self, bindir, d, activity, rate, seed, faults):
        self.bin, self.d, self.rate, self.activity = bindir, d, rate, activity
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "bus"), mode=0o700)
        self.env = dict(os.environ, TICKBUS_BUS=os.path.join(d, "bus"))
        self.mxlog = os.path.join(d, "mx.jsonl")
        cmd = [os.path.join(bindir, "mockx"), "--tls-dir", os.path.join(d, "tls"), "--world",
               "--activity", activity, "--rate", str(rate), "--seed", str(seed), "--log", self.mxlog]
        for v in VENUES:
            cmd += ["--serve", "%s=127.0.0.1:0" % v]
        for f in faults:
            cmd += ["--fault", f]
        self.mx = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=self.env, start_new_session=True,
                                   stderr=open(os.path.join(d, "mockx.err"), "w"))
        self.ports = {}
        end = time.time() + 15
        while len(self.ports) < len(VENUES) and time.time() < end:
            line = self.mx.stdout.readline().decode()
            if not line:
                break
            m = re.match(r"(\w+)=(\d+)", line)
            if m:
                self.ports[m.group(1)] = int(m.group(2))
        if len(self.ports) < len(VENUES):
            raise RuntimeError("mockx did not start (see %s/mockx.err)" % d)
        self.feeds, self.exits = {}, {v: [] for v in VENUES}
        self.events = []  # (ts_pub ns, topic, src, reason)
        self.quotes = {v: [] for v in VENUES}  # ts_pub ns of quote.VENUE.*
        self.expect = {v: [] for v in VENUES}  # the hb's peers_expect, once a second
        self.tap = subprocess.Popen(
            [os.path.join(bindir, "tap")] +
            sum([["--sub", "ipc://%s/bus/feed-%s.pub" % (d, v)] for v in VENUES], []) +
            ["event.", "quote.", "hb."], stdout=subprocess.PIPE, stderr=open(os.path.join(d, "tap.err"), "w"),
            env=self.env, start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        for v in VENUES:
            self._start_feed(v)

    def _start_feed(self, v):
        url = "wss://127.0.0.1:%d%s" % (self.ports[v], "/v2" if v == "kraken" else "")
        self.feeds[v] = subprocess.Popen(
            [os.path.join(self.bin, "feed-%s" % v), "--url", url, "--ca-file",
             os.path.join(self.d, "tls", "ca.pem")] + FEED_ARGS, env=self.env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.d, "feed-%s.log" % v), "a"))

    def _read(self):
        rx_ts = re.compile(rb'"ts_pub":(\d+)')
        rx_reason = re.compile(rb'"reason":"([^"]*)"')
        rx_expect = re.compile(rb'"peers_expect":(-?\d+)')
        for line in self.tap.stdout:
            topic, _, body = line.partition(b" ")
            if topic.startswith(b"hb.feed-"):
                v, m = topic[8:].decode(), rx_expect.search(body)
                if m and v in self.expect:
                    self.expect[v].append(int(m.group(1)))
                continue
            m = rx_ts.search(body)
            if not m:
                continue
            ts = int(m.group(1))
            if topic.startswith(b"quote."):
                v = topic.split(b".")[1].decode()
                if v in self.quotes:
                    self.quotes[v].append(ts)
            elif topic in (b"event.reconnect", b"event.resync"):
                src = re.search(rb'"src":"feed-(\w+)"', body)
                r = rx_reason.search(body)
                self.events.append((ts, topic.decode(), src.group(1).decode() if src else "?",
                                    r.group(1).decode() if r else ""))

    def supervise(self):
        """start again (after 1 s) a feed that exited"""
        for v, p in self.feeds.items():
            if p.poll() is not None:
                if not self.exits[v] or self.exits[v][-1][2]:
                    self.exits[v].append([time.time(), p.returncode, False])
                elif time.time() - self.exits[v][-1][0] >= 1:
                    self.exits[v][-1][2] = True
                    self._start_feed(v)

    def stop(self):
        """the feeds first (mockx going first would make them publish reconnects), then the rest;
        what they publish from now on is not counted"""
        self.t_end = time.time_ns()
        for p in self.feeds.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        time.sleep(1.0)  # the tap gets the last messages
        for p in [self.mx, self.tap]:
            p.send_signal(signal.SIGTERM)
        for p in list(self.feeds.values()) + [self.mx, self.tap]:
            try:
                p.wait(3)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.reader.join(3)

    def faults(self):
        """[(venue, kind, time s)] as mockx applied them (request log), one per fault"""
        out = []
        try:
            with open(self.mxlog) as f:
                for line in f:
                    if '"kind":"stall"' not in line and '"kind":"mute"' not in line:
                        continue
                    e = json.loads(line)
                    t = e["ts_ms"] / 1000.0
                    if not any(o[0] == e["venue"] and abs(o[2] - t) < 1 for o in out):
                        out.append((e["venue"], e["kind"], t))
        except OSError:
            pass
        return out


def schedule(length):
    """--fault values for a run of LENGTH s: slot j at FIRST + j*SLOT, venue j%N, kind (j/N)%2"""
    last = length - TAIL
    out = []
    for q, kind in enumerate(KINDS):
        for i, v in enumerate(VENUES):
            start = FIRST + SLOT * (i + N * q)
            if start > last:
                continue
            every = SLOT * N * len(KINDS)
            count = int((last - start) // every) + 1
            out.append("%s:%s@%d+%dx%d" % (v, kind, start, every, count))
    return out


def measure(w):
    """per venue and kind: detection and recovery times (s) and undetected faults"""
    res = {v: {k: {"det": [], "rec": [], "missed": 0, "reasons": {}} for k in KINDS} for v in VENUES}
    faults = sorted(w.faults(), key=lambda f: f[2])
    for v, kind, t in faults:
        nxt = min([f[2] for f in faults if f[0] == v and f[2] > t + 1] + [t + SLOT * N])
        ev = [e for e in w.events if e[2] == v and t * 1e9 <= e[0] < min(nxt * 1e9, w.t_end)]
        r = res[v][kind]
        if not ev:
            r["missed"] += 1
            continue
        d = min(ev)
        r["det"].append(d[0] / 1e9 - t)
        key = "%s %s" % (d[1].split(".")[1], d[3])
        r["reasons"][key] = r["reasons"].get(key, 0) + 1
        q = [x for x in w.quotes[v] if x > d[0]]
        if q:
            r["rec"].append(min(q) / 1e9 - t)
    return res


def run(bindir, work, quick, say=print, length=None):
    """All runs at once, LENGTH s (default: QUICK_S, or FULL_S / $STALL_S); returns
    {"length": s, "rates": {rate: measure()}, "night": {venue: counts}} or {"error": why}."""
    length = length or (QUICK_S if quick else int(os.environ.get("STALL_S", FULL_S)))
    for p in ["mockx", "tap"] + ["feed-%s" % v for v in VENUES]:
        if not os.access(os.path.join(bindir, p), os.X_OK):
            return {"error": "%s missing" % p}
    worlds = {}
    try:
        for rate in RATES:
            worlds[rate] = World(bindir, os.path.join(work, "stall-%s" % rate), "live", rate, 11,
                                 schedule(length))
        worlds["night"] = World(bindir, os.path.join(work, "stall-night"), "night", NIGHT_RATE, 12, [])
        say("stall/mute: %d runs of %d s at once (live at rates %s, night at %d, no faults)" % (
            len(worlds), length, "/".join(map(str, RATES)), NIGHT_RATE))
        t_end = time.time() + length
        while time.time() < t_end:
            time.sleep(0.5)
            for w in worlds.values():
                w.supervise()
    finally:
        for w in worlds.values():
            w.stop()
    out = {"length": length, "rates": {}, "night": {}}
    for rate in RATES:
        w = worlds[rate]
        out["rates"][rate] = m = measure(w)
        m["_exits"] = {v: len(w.exits[v]) for v in VENUES}
        # the data-path probe's cost: resubscribes it made, faults or not
        m["_dprobes"] = {v: sum(e[2] == v and e[3] == "data_probe" and e[0] < w.t_end
                                for e in w.events) for v in VENUES}
        for v in VENUES:
            say("stall/mute rate %s %s: %s" % (rate, v, "; ".join(
                "%s detect p50 %s (n=%d, missed %d)" % (
                    k, fmt(pctl(m[v][k]["det"], 0.5)), len(m[v][k]["det"]), m[v][k]["missed"])
                for k in KINDS)))
    w = worlds["night"]
    for v in VENUES:
        ev = [e for e in w.events if e[2] == v and e[0] < w.t_end]
        out["night"][v] = {"reconnect": sum(e[1] == "event.reconnect" for e in ev),
                           "resync": sum(e[1] == "event.resync" and e[3] != "data_probe" for e in ev),
                           "data_probe": sum(e[3] == "data_probe" for e in ev),
                           "exits": len(w.exits[v]),
                           "reasons": sorted(set(e[3] for e in ev if e[3] != "data_probe")),
                           # the relative test's margin: its figure at each hb (a mute needs 16)
                           "expect_max": max(w.expect[v]) if w.expect[v] else -1,
                           "expect_p999": pctl(sorted(w.expect[v]), 0.999) if w.expect[v] else -1}
        say("stall/mute night %s: %s" % (v, out["night"][v]))
    return out


def _iso(ts):
    import datetime
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def activity_split(d):
    """Detection by the market's activity at the fault, from the files a run leaves in D (so a
    kept run can be looked at again): mockx's `activity segment from= to= level=` lines (its
    stderr, seconds since its start), the faults it applied (its request log) and the feeds'
    `event=reconnect|resync venue=V` log lines (their stderr; the first after the fault and
    before the venue's next fault). Returns {"busy"|"quiet": {kind: [seconds]}} where busy is
    a level of 0.5 or more (mockx's full activity) and quiet a quiet spell (0.02-0.10)."""
    segs, t0 = [], None
    rx = re.compile(r"^(\S+) .*activity segment from=([\d.]+)s to=([\d.]+)s level=([\d.]+)")
    for line in open(os.path.join(d, "mockx.err")):
        m = rx.match(line)
        if m:
            if t0 is None:
                t0 = _iso(m.group(1)) - float(m.group(2))
            segs.append((float(m.group(2)), float(m.group(3)), float(m.group(4))))
    w = World.__new__(World)
    w.mxlog = os.path.join(d, "mx.jsonl")
    faults = sorted(w.faults(), key=lambda f: f[2])
    ev = {v: [] for v in VENUES}
    rxe = re.compile(r"^(\S+) .*event=(reconnect|resync) venue=(\w+)")
    for v in VENUES:
        try:
            for line in open(os.path.join(d, "feed-%s.log" % v)):
                m = rxe.match(line)
                if m and m.group(3) == v:
                    ev[v].append(_iso(m.group(1)))
        except OSError:
            pass
    out = {"busy": {k: [] for k in KINDS}, "quiet": {k: [] for k in KINDS}}
    for v, kind, t in faults:
        rel = t - (t0 or t)
        lvl = next((s[2] for s in segs if s[0] <= rel < s[1]), None)
        if lvl is None:
            continue
        nxt = min([f[2] for f in faults if f[0] == v and f[2] > t + 1] + [t + SLOT * N])
        after = [e for e in ev[v] if t <= e < nxt]
        if after:
            out["busy" if lvl >= 0.5 else "quiet"][kind].append(min(after) - t)
    return out


def split_table(work):
    """markdown lines: activity_split of each rate's run kept in WORK"""
    L = ["| rate msgs/s | market at the fault | stall detection p50 / p95 / max (n) | "
         "mute detection p50 / p95 / max (n) |", "|---|---|---|---|"]
    for rate in RATES:
        try:
            sp = activity_split(os.path.join(work, "stall-%s" % rate))
        except OSError:
            continue
        for a in ("busy", "quiet"):
            cell = lambda xs: "%s / %s / %s (%d)" % (fmt(pctl(xs, 0.5)), fmt(pctl(xs, 0.95)),
                                                     fmt(max(xs) if xs else None), len(xs))
            L.append("| %s | %s | %s | %s |" % (rate, "busy (level 1)" if a == "busy" else
                                                "quiet spell (level 0.02-0.10)",
                                                cell(sp[a]["stall"]), cell(sp[a]["mute"])))
    return L


def fmt(x):
    return "—" if x is None else "%.1f" % x


def table(res):
    """the section's markdown lines"""
    L = []
    if res.get("error"):
        return ["not measured: %s" % res["error"]]
    h = 3600.0 / res["length"]
    L.append("Seconds from the fault to the feed's first `event.reconnect`/`event.resync` "
             "(detection) and to its first quote after that (recovery): p50 / p95 / max over the "
             "faults of a %d s run per rate (`mockx --activity live`), n = faults detected, "
             "missed = faults with no event before the venue's next one (%d s later)." % (
                 res["length"], SLOT * N))
    L.append("")
    L.append("| venue | rate msgs/s | stall detection | stall recovery | n (missed) | mute detection "
             "| mute recovery | n (missed) | detected as | feed exits | data-path probes / h |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    three = lambda xs: "%s / %s / %s" % (fmt(pctl(xs, 0.5)), fmt(pctl(xs, 0.95)), fmt(max(xs) if xs else None))
    for v in VENUES:
        for rate in RATES:
            m = res["rates"][rate][v]
            reasons = {}
            for k in KINDS:
                for r, n in m[k]["reasons"].items():
                    reasons["%s: %s" % (k, r)] = n
            L.append("| %s | %s | %s | %s | %d (%d) | %s | %s | %d (%d) | %s | %d | %.0f |" % (
                v, rate, three(m["stall"]["det"]), three(m["stall"]["rec"]), len(m["stall"]["det"]),
                m["stall"]["missed"], three(m["mute"]["det"]), three(m["mute"]["rec"]),
                len(m["mute"]["det"]), m["mute"]["missed"],
                ", ".join("%s ×%d" % kv for kv in sorted(reasons.items())) or "—",
                res["rates"][rate]["_exits"][v], res["rates"][rate].get("_dprobes", {}).get(v, 0) * h))
    L.append("")
    L.append("False alarms: `mockx --activity night --rate %d`, no faults, %d s; every "
             "`event.reconnect` and `event.resync` counted, per hour (count in brackets; the "
             "data-path probe's resubscribes, `reason=data_probe`, are its cost, not alarms: their own "
             "column); the relative "
             "test's figure (`peers_expect` in each feed's hb, sampled once a second: the messages the "
             "other venues' changes since this venue's last one stand for) shows its margin." % (
                 NIGHT_RATE, res["length"]))
    L.append("")
    L.append("| venue | reconnects / h | resyncs / h | data-path probes / h | feed exits | reasons | "
             "peers_expect p99.9 / max (mute at 16) |")
    L.append("|---|---|---|---|---|---|---|")
    for v in VENUES:
        n = res["night"][v]
        L.append("| %s | %.1f (%d) | %.1f (%d) | %.1f (%d) | %d | %s | %s / %s |" % (
            v, n["reconnect"] * h, n["reconnect"], n["resync"] * h, n["resync"],
            n.get("data_probe", 0) * h, n.get("data_probe", 0), n["exits"],
            ", ".join(n["reasons"]) or "—", fmt(n.get("expect_p999", -1)), n.get("expect_max", -1)))
    return L


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bin", default=os.environ.get("BIN", "bin"))
    ap.add_argument("--work", default="build/bench/run-stall")
    ap.add_argument("--seconds", type=int, default=None, help="run length (default 180 / 1800)")
    ap.add_argument("--split-only", action="store_true",
                    help="only the busy/quiet split of a run kept in --work")
    a = ap.parse_args()
    if a.split_only:
        print("\n".join(split_table(os.path.abspath(a.work))))
        return
    os.makedirs(a.work, exist_ok=True)
    res = run(os.path.abspath(a.bin), os.path.abspath(a.work), a.quick, length=a.seconds)
    print("\n".join(table(res)))
    print()
    print("\n".join(split_table(os.path.abspath(a.work))))


if __name__ == "__main__":
    main()
