#!/usr/bin/env python3
"""proxy_error.py DATA_DIR [SKIP]: how far the proxies are from the official value.

Reads the tick records of DATA_DIR/kxbtc15m-*.jsonl (a `make demo` run: mockx's world has an
official value every second), drops the first SKIP ticks (default 60: the books and the RTI's
state settle), and prints, for our RTI re-computation (brti_rti) and the median of the venues'
mids (brti_median), |proxy - official| / official in basis points: p50 / p95 / max, and how
many venues were ok per tick. Used for docs/PERFORMANCE.md, "The RTI proxy against the official
value"; e.g. VENUES="coinbase kraken bitstamp" TICKBUS_HOME=/tmp/d/home OUTPUT_DIR=/tmp/d/data
FOR=330 sh compose/launch.sh demo, then python3 tests/bench/proxy_error.py /tmp/d/data."""
import collections
import glob
import json
import sys


def main():
    d = sys.argv[1]
    skip = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    ticks = []
    for f in sorted(glob.glob(d + "/kxbtc15m-*.jsonl")):
        for line in open(f):
            r = json.loads(line)
            if r.get("type") == "tick":
                ticks.append(r)
    ticks = ticks[skip:]
    if not ticks:
        sys.exit("proxy_error: no ticks after the first %d in %s" % (skip, d))
    ok = collections.Counter(sum(1 for q in r.get("venues", {}).values() if q.get("ok")) for r in ticks)
    print("ticks %d, venues ok per tick %s" % (len(ticks), dict(sorted(ok.items()))))
    for k in ("brti_rti", "brti_median"):
        e = sorted(abs(r[k] - r["brti_official"]) / r["brti_official"] * 1e4 for r in ticks
                   if isinstance(r.get(k), (int, float)) and isinstance(r.get("brti_official"), (int, float))
                   and r[k] > 0 and r["brti_official"] > 0)
        if not e:
            print("%-11s no ticks with both values" % k)
            continue
        q = lambda p: e[min(len(e) - 1, int(p * len(e)))]
        print("%-11s n=%d |err| p50 %.2f p95 %.2f max %.2f bp" % (k, len(e), q(.5), q(.95), e[-1]))


if __name__ == "__main__":
    main()
