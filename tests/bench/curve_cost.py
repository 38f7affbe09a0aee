"""curve_cost: what CURVE costs per message on the bus (issue: the bus between hosts). Runs
build/bench/curvebench (tests/bench/curvebench.c: one process, a PUB and a SUB through lib/bus
and lib/curve, both ends pinned to one core) over ipc, plain tcp and tcp with CURVE, for a
quote-sized (256 B) and a book-sized (2 KiB) payload, REPS times each, and prints a markdown
table of medians (min-max); `--doc FILE` replaces the section in FILE.

    python3 tests/bench/curve_cost.py [--reps 3] [--n 200000] [--doc docs/PERFORMANCE.md]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docsec  # noqa: E402 (tests/bench/docsec.py)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEAD = "## The bus between hosts: what CURVE costs"
BENCH = os.path.join(ROOT, "build", "bench", "curvebench")
MODES = [("ipc", "ipc"), ("tcp", "tcp, plain (--insecure)"), ("curve", "tcp, CURVE")]


def run(mode, size, n, work):
    out = subprocess.run(["taskset", "-c", "1", BENCH, mode, str(size), str(n), work],
                         capture_output=True, text=True)
    m = dict(re.findall(r"(\w+)=([\w.]+)", out.stdout))
    if out.returncode != 0 or "msgs_per_s" not in m:
        raise SystemExit("curvebench %s %d failed: %s %s" % (mode, size, out.stdout, out.stderr))
    return {k: float(v) for k, v in m.items() if k not in ("transport",)}


def cell(xs, fmt):
    med = statistics.median(xs)
    return (fmt % med) + (" (%s-%s)" % (fmt % min(xs), fmt % max(xs)) if len(xs) > 1 else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--n", type=int, default=200000)
    ap.add_argument("--doc", default=None)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tickbus-curve-")
    os.chmod(work, 0o700)
    res = {}
    for size in (256, 2048):
        for mode, _ in MODES:
            res[(mode, size)] = [run(mode, size, a.n, work) for _ in range(a.reps)]
            print("curve_cost %s %d: %s" % (mode, size, res[(mode, size)][-1]), file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    L = [HEAD, "",
         "`python3 tests/bench/curve_cost.py --reps %d --n %d` (run by `make bench`), %s, at %s: "
         "one process publishing through lib/bus and subscribing to itself, pinned to one core, "
         "so the CPU column is both ends and ZeroMQ's I/O thread together (on two hosts it is "
         "split between them). Throughput: batches of 1000 messages, each received whole before "
         "the next; latency: one message at a time, publish to delivery. Median of %d runs "
         "(min-max)." % (a.reps, a.n, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                         subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                        capture_output=True, text=True).stdout.strip(), a.reps),
         "",
         "| payload | transport | messages/s | CPU per message (both ends) | latency p50 | latency p99 |",
         "|---|---|---|---|---|---|"]
    for size in (256, 2048):
        for mode, label in MODES:
            rs = res[(mode, size)]
            L.append("| %d B | %s | %s | %s µs | %s µs | %s µs |" % (
                size, label, cell([r["msgs_per_s"] / 1e3 for r in rs], "%.0fk"),
                cell([r["cpu_ns_per_msg"] / 1e3 for r in rs], "%.1f"),
                cell([r["lat_p50_us"] for r in rs], "%.0f"),
                cell([r["lat_p99_us"] for r in rs], "%.0f")))
    L.append("")
    extra = []
    book_curve = statistics.median(r["cpu_ns_per_msg"] for r in res[("curve", 2048)])
    for size in (256, 2048):
        ipc = statistics.median(r["cpu_ns_per_msg"] for r in res[("ipc", size)])
        cur = statistics.median(r["cpu_ns_per_msg"] for r in res[("curve", size)])
        extra.append("%d B: %.1f µs more CPU per message than ipc (x%.1f)" % (
            size, (cur - ipc) / 1e3, cur / ipc))
    L.append("CURVE's price: " + "; ".join(extra) + ". What crosses hosts in the two-host "
             "topology is one aggregator's output (a tick and a few events a second) and, moved "
             "to another host, at most a feed's messages: 1000 book-sized messages a second "
             "with CURVE cost %.1f %% of a core (both ends together)." % (book_curve * 1000 / 1e7))
    L.append("")
    docsec.publish(L, HEAD, a.doc)


if __name__ == "__main__":
    main()
