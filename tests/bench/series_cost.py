#!/usr/bin/python3
"""series_cost.py: what each added Kalshi series costs the whole pipeline (issue 21).

Runs `compose/launch.sh demo` (mockx's world, every program of the pipeline, the standby
aggregators) once per configuration: SERIES_TICKER = KXBTC15M; + KXETH15M; + KXSOL15M. In each run,
between WARM s and the end (LENGTH s), it reads every program's CPU time (utime + stime from
/proc/PID/stat; the launcher's pid files, and mockx found by its --tls-dir) and its RSS at the end,
and counts the tick lines each series' file gained. mockx is shown apart: it is the simulated
world, not the collector. Prints a markdown table; `--doc FILE` replaces the section
"## Series: what each added series costs" in FILE (docs/PERFORMANCE.md) with it.

    python3 tests/bench/series_cost.py [--seconds 100] [--doc docs/PERFORMANCE.md]
"""
import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docsec  # noqa: E402 (tests/bench/docsec.py)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = ["KXBTC15M", "KXBTC15M KXETH15M", "KXBTC15M KXETH15M KXSOL15M"]
HZ = os.sysconf("SC_CLK_TCK")
HEAD = "## Series: what each added series costs"
NOTE = (' mockx\'s `--rate` is per connection and a connection\'s assets take turns (docs/MOCKX.md), so the exchange feeds carry about as many messages with three series as with one: their column shows the cost of more books and subscriptions, not of more traffic; live, each added asset\'s own message rate adds to the feeds\' share roughly in proportion (the feeds\' cost per message: "The pipeline" above).')


def cpu_s(pid):
    try:
        f = open("/proc/%d/stat" % pid).read()
    except OSError:
        return None
    parts = f[f.rindex(")") + 2:].split()
    return (int(parts[11]) + int(parts[12])) / HZ


def rss_mb(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def pids(home):
    """{program: pid} from the launcher's pid files, and mockx by its command line"""
    out = {}
    for f in glob.glob(os.path.join(home, "pids", "*.pid")):
        try:
            out[os.path.basename(f)[:-4]] = int(open(f).read().strip())
        except (OSError, ValueError):
            pass
    tls = os.path.join(home, "tls")
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                cmd = open("/proc/%s/cmdline" % d, "rb").read().split(b"\0")
            except OSError:
                continue
            if cmd and cmd[0].endswith(b"mockx") and tls.encode() in cmd:
                out["mockx"] = int(d)
    return out


def lines(path):
    try:
        return sum(1 for _ in open(path))
    except OSError:
        return 0


def group(name):
    if name.startswith("feed-kalshi"):
        return "feed-kalshi"
    if name.startswith("feed-"):
        return "exchange feeds"
    if name.startswith("aggregator"):
        return "aggregators"
    if name.startswith("sink-"):
        return "sinks"
    if name == "mockx":
        return "mockx (the world)"
    return "watchdog, metrics"


def run_one(series, length, warm, work):
    home, data = os.path.join(work, "home"), os.path.join(work, "data")
    shutil.rmtree(work, ignore_errors=True)
    env = dict(os.environ, SERIES_TICKER=series, TICKBUS_HOME=home, OUTPUT_DIR=data,
               FOR=str(length), METRICS_LISTEN="127.0.0.1:0")
    p = subprocess.Popen(["sh", os.path.join(ROOT, "compose", "launch.sh"), "demo"], env=env,
                         stdout=open(os.path.join("/tmp", "series_cost.log"), "a"),
                         stderr=subprocess.STDOUT, start_new_session=True)
    t0 = time.time()
    time.sleep(warm)
    ps = pids(home)
    c0 = {n: cpu_s(pid) for n, pid in ps.items()}
    day = time.strftime("%Y-%m-%d", time.gmtime())
    prefixes = [s.lower() for s in series.split()]
    l0 = {x: lines(os.path.join(data, "%s-%s.jsonl" % (x, day))) for x in prefixes}
    tw = time.time()
    time.sleep(max(1, length - warm - 8))
    ps1 = pids(home)
    span = time.time() - tw
    c1 = {n: cpu_s(pid) for n, pid in ps1.items()}
    mem = {n: rss_mb(pid) for n, pid in ps1.items()}
    l1 = {x: lines(os.path.join(data, "%s-%s.jsonl" % (x, day))) for x in prefixes}
    try:
        p.wait(timeout=length + 30 - (time.time() - t0))
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait()
    cpu, rss = {}, {}
    for n in c1:
        if c0.get(n) is None or c1[n] is None or ps.get(n) != ps1.get(n):
            continue  # restarted in the window: not comparable
        g = group(n)
        cpu[g] = cpu.get(g, 0) + (c1[n] - c0[n]) / span * 100
        rss[g] = rss.get(g, 0) + (mem.get(n) or 0)
    return {"series": series, "span": span, "cpu": cpu, "rss": rss,
            "ticks": {x: l1[x] - l0[x] for x in prefixes}, "programs": len(ps1)}


def table(res):
    groups = ["exchange feeds", "feed-kalshi", "aggregators", "sinks", "watchdog, metrics"]
    L = ["| series | programs | " + " | ".join(groups) + " | collector total | mockx (the world) | "
         "collector RSS MB | tick lines written (per series, in the window) |",
         "|---|---|" + "---|" * len(groups) + "---|---|---|---|"]
    base = None
    for r in res:
        tot = sum(r["cpu"].get(g, 0) for g in groups)
        mem = sum(r["rss"].get(g, 0) for g in groups)
        if base is None:
            base = (tot, mem)
        L.append("| %s | %d | %s | **%.1f %%**%s | %.1f %% | %.0f | %s |" % (
            " + ".join(r["series"].split()), r["programs"] - 1,
            " | ".join("%.1f %%" % r["cpu"].get(g, 0) for g in groups), tot,
            "" if tot == base[0] else " (+%.1f)" % (tot - base[0]), r["cpu"].get("mockx (the world)", 0),
            mem, ", ".join("%s %d" % (k, v) for k, v in r["ticks"].items())))
    return L


def per_series(res):
    """one sentence: the mean cost of each series added to the first configuration"""
    groups = ["exchange feeds", "feed-kalshi", "aggregators", "sinks", "watchdog, metrics"]
    tot = [sum(r["cpu"].get(g, 0) for g in groups) for r in res]
    mem = [sum(r["rss"].get(g, 0) for g in groups) for r in res]
    agg = [r["cpu"].get("aggregators", 0) for r in res]
    k = len(res) - 1
    if k < 1:
        return ""
    return ("Each added series cost the collector %.1f %% of a core (of which its aggregator and "
            "standby %.1f %%) and %.0f MB of RSS, on average over the %d added." % (
                (tot[-1] - tot[0]) / k, (agg[-1] - agg[0]) / k, (mem[-1] - mem[0]) / k, k))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=100)
    ap.add_argument("--warm", type=int, default=35)
    ap.add_argument("--work", default="/tmp/tickbus-series-cost")
    ap.add_argument("--doc", default=None)
    a = ap.parse_args()
    res = []
    for s in CONFIGS:
        r = run_one(s, a.seconds, a.warm, a.work)
        print(json.dumps(r), file=sys.stderr)
        res.append(r)
    span = min(r["span"] for r in res)
    L = [HEAD, "",
         "`python3 tests/bench/series_cost.py --seconds %d` (tests/bench/series_cost.py says how), %s, "
         "at %s: `make demo`'s whole pipeline (mockx's world at 50 msgs/s a connection, standby aggregators "
         "on) with one, two and three series; CPU as %% of one core over the last %.0f s of each run "
         "(after %d s of warm-up), RSS at the end, summed per group." + NOTE % (
             a.seconds, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
             subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip(), span, a.warm), ""]
    L += table(res)
    L.append("")
    L.append(per_series(res))
    L.append("")
    docsec.publish(L, HEAD, a.doc)

if __name__ == "__main__":
    main()
