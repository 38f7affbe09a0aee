#!/usr/bin/python3
"""gen_day.py: write a plausible tickbus day file (docs/RECORD.md tick records plus
market_open, settlement, gap and coverage records) for the plot and recipe
tests: a random-walk BTC price, the official BRTI with small noise, RTI and
median proxies a few bps off, 15-minute KXBTC15M markets whose yes mid follows
the price against the strike, a stretch of missing seconds and a few seconds
without any index. Deterministic for a given --seed.

usage: gen_day.py --date 2026-11-28 --start 10:00 --seconds 7200 [--gz] [--seed 1] OUTDIR
"""
import argparse, datetime as dt, gzip, json, math, os, random

ap = argparse.ArgumentParser()
ap.add_argument("outdir")
ap.add_argument("--date", default="2026-11-28")
ap.add_argument("--start", default="10:00")
ap.add_argument("--seconds", type=int, default=7200)
ap.add_argument("--gz", action="store_true")
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--gap-at", type=int, default=1800, help="offset of 45 missing seconds (-1: none)")
a = ap.parse_args()
rnd = random.Random(a.seed)

day = dt.datetime.strptime(a.date + " " + a.start, "%Y-%m-%d %H:%M").replace(tzinfo=dt.timezone.utc)
t0 = int(day.timestamp())
iso = lambda t: dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
W = 900


def ticker(close):
    c = dt.datetime.fromtimestamp(close, dt.timezone.utc)
    return "KXBTC15M-%s-%02d" % (c.strftime("%y%b%d%H%M").upper(), c.minute)


lines = []
price = 97000.0
markets = {}  # close -> dict
window = {}   # close -> list of (official, proxy) in the last 60 s
missing = set(range(a.gap_at, a.gap_at + 45)) if a.gap_at >= 0 else set()
no_index = {a.gap_at + 300 + k for k in range(5)} if a.gap_at >= 0 else set()
ticks = 0
for k in range(a.seconds):
    t = t0 + k
    price *= math.exp(rnd.gauss(0, 0.00012))
    official = round(price + rnd.gauss(0, 1.5), 2)
    rti = round(official * (1 + rnd.gauss(0.3, 0.8) / 1e4), 2)
    median = round(official * (1 + rnd.gauss(-0.5, 2.5) / 1e4), 8)
    close = (t // W + 1) * W
    if close not in markets:
        markets[close] = {"ticker": ticker(close), "strike": round(official, 2), "open": close - W}
        lines.append({"type": "market_open", "ts": iso(t), "ticker": markets[close]["ticker"],
                      "status": "active", "open_time": iso(close - W), "close_time": iso(close),
                      "expected_expiration_time": iso(close + 300), "strike": markets[close]["strike"]})
    if close - t <= 60:
        window.setdefault(close, []).append((official, rti))
    # settle the market that closed 1 s ago
    prev = t // W * W
    if t == prev + 1 and prev in markets:
        m, win = markets[prev], window.get(prev, [])
        ev = round(sum(o for o, _ in win) / len(win), 2) if win else None
        pa = round(sum(p for _, p in win) / len(win), 8) if win else None
        res = None if ev is None else ("yes" if ev >= m["strike"] else "no")
        lines.append({"type": "settlement", "ts": iso(t), "ticker": m["ticker"],
                      "close_time": iso(prev), "strike": m["strike"],
                      "official_avg": ev, "official_n": len(win), "proxy_avg": pa, "proxy_n": len(win),
                      "proxy_method": "rti", "expiration_value": ev, "result": res, "status": "settled",
                      "proxy_err_bps": None if ev is None else round((pa - ev) / ev * 1e4, 3),
                      "official_err_bps": 0.0 if ev is not None else None,
                      "proxy_result": None if pa is None else ("yes" if pa >= m["strike"] else "no")})
    if k in missing:
        continue
    has_idx = k not in no_index
    m = markets[close]
    left = close - t
    z = (official - m["strike"]) / (official * 0.0009 * math.sqrt(max(left, 1) / W) + 1e-9)
    mid = min(99, max(1, round(100 / (1 + math.exp(-1.6 * z)))))
    yb, ya = max(1, mid - 1), min(99, mid + 1)
    venues = {}
    for v, off in (("coinbase", 0.5), ("kraken", 1.2), ("bitstamp", -0.8)):
        mv = official + off + rnd.gauss(0, 1)
        venues[v] = {"bid": round(mv - 0.5, 2), "ask": round(mv + 0.5, 2), "age_ms": rnd.randint(5, 400),
                     "lag_ms": rnd.randint(10, 80), "ok": True}
    mk = {"ticker": m["ticker"], "status": "active", "strike": m["strike"],
          "yes_bid": yb, "yes_ask": ya, "no_bid": 100 - ya, "no_ask": 100 - yb,
          "yes_bid_dollars": yb / 100, "yes_ask_dollars": ya / 100,
          "no_bid_dollars": (100 - ya) / 100, "no_ask_dollars": (100 - yb) / 100,
          "last_price": mid, "last_price_dollars": mid / 100,
          "volume": 1000 + k, "open_interest": 500 + k // 2,
          "volume_fp": 1000 + k, "open_interest_fp": 500 + k // 2,
          "open_time": iso(close - W), "close_time": iso(close), "secs_to_close": left,
          "secs_left": left + 300,
          # the Go collector's books (ascending, whole cents; omitted when empty), then ours
          **({"yes_book": [[yb - 1, 300], [yb, 120]]} if yb > 1 else {"yes_book": [[yb, 120]]}),
          "no_book": [[100 - ya, 80]], "post_close": False,
          "yes_book_dollars": [[yb / 100, 120]] + ([[(yb - 1) / 100, 300]] if yb > 1 else []),
          "no_book_dollars": [[(100 - ya) / 100, 80]], "book_age_ms": 210}
    settle = {"window_avg_official": None, "window_avg_proxy": None, "n": 0}
    if left <= 60 and window.get(close):
        w = window[close]
        settle = {"ticker": m["ticker"], "close_time": iso(close),
                  "window_avg_official": round(sum(o for o, _ in w) / len(w), 8),
                  "window_avg_proxy": round(sum(p for _, p in w) / len(w), 8), "n": len(w)}
    rec = {"type": "tick", "ts": iso(t), "tick_seq": ticks + 1,
           "brti": official if has_idx else 0, "brti_src": "official" if has_idx else None,
           "brti_official": official if has_idx else None, "brti_rti": rti if has_idx else None,
           "brti_median": median if has_idx else None,
           "rti_err_bps": round((rti - official) / official * 1e4, 3) if has_idx else None,
           "median_err_bps": round((median - official) / official * 1e4, 3) if has_idx else None,
           "coinbase": round((venues["coinbase"]["bid"] + venues["coinbase"]["ask"]) / 2, 2),
           "kraken": round((venues["kraken"]["bid"] + venues["kraken"]["ask"]) / 2, 2),
           "bitstamp": round((venues["bitstamp"]["bid"] + venues["bitstamp"]["ask"]) / 2, 2),
           "venues": venues, "markets": [mk], "settle": settle,
           "health": {"stale": [] if has_idx else ["official"], "gaps": 0, "venues_used": 3,
                      "state": "ok" if has_idx else "down"}}
    lines.append(rec)
    ticks += 1
    if k == a.gap_at + 45:
        lines.append({"type": "gap", "ts": iso(t), "kind": "ticks", "from": iso(t0 + a.gap_at),
                      "to": iso(t0 + a.gap_at + 44), "n": 45, "why": "stall"})
lines.append({"type": "coverage", "ts": iso(t0 + a.seconds), "date": a.date, "seconds": 86400,
              "covered": ticks, "missing": 86400 - ticks, "ticks": ticks, "lines": len(lines) + 1})

os.makedirs(a.outdir, exist_ok=True)
path = os.path.join(a.outdir, "kxbtc15m-%s.jsonl%s" % (a.date, ".gz" if a.gz else ""))
with (gzip.open(path, "wt") if a.gz else open(path, "w")) as f:
    for i, r in enumerate(lines):
        # the envelope every bus record carries (docs/CONTRACT.md, 'The envelope');
        # the sinks key rows on it
        env = {"src": "sink-jsonl" if r["type"] == "coverage" else "aggregator",
               "epoch": "00c0ffee%08x" % a.seed, "seq": i + 1}
        sec = int(dt.datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp())
        env.update(ts_rx=sec * 10**9, ts_ex=None, ts_pub=sec * 10**9 + 2_000_000)
        f.write(json.dumps({**env, **r}, separators=(",", ":")) + "\n")
print(path)
