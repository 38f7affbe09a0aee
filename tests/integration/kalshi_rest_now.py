#!/usr/bin/python3
"""kalshi_rest_now.py SRC DST: copy the Kalshi REST fixtures from SRC to DST with the
markets' open/close/expiration times moved around now (the first market opened two
minutes ago, the next opens 15 minutes later), for script-mode tests that serve
them with `mockx --kalshi-rest DST`."""
import json
import sys
import time

src, dst = sys.argv[1], sys.argv[2]
iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
o1 = int(time.time()) - 120
times = {"KXBTC15M-26NOV280715-15": o1, "KXBTC15M-26NOV280730-30": o1 + 900}
for f in ["rest_get_markets_open.json", "rest_get_markets_unopened.json", "rest_get_market.json",
          "rest_get_orderbook.json", "rest_get_series.json"]:
    d = json.load(open(f"{src}/{f}"))
    for m in d.get("markets", []) + ([d["market"]] if "market" in d else []):
        o = times[m["ticker"]]
        m.update(open_time=iso(o), close_time=iso(o + 900), expected_expiration_time=iso(o + 1200))
    json.dump(d, open(f"{dst}/{f}", "w"))
