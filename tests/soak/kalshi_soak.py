#!/usr/bin/python3
"""kalshi_soak.py DIR: check a tests/soak/kalshi_soak.sh record (tap.out, mx.jsonl, start, end) against
issue 5's "done means": every window that opened and closed inside the run was discovered and
subscribed before its open, opened, got its strike and a consistent settlement with result and
expiration_value; floor_strike equals the previous window's expiration_value and the mean of the
60 published BRTI values before the open (mockx's definition, rounded to cents); books valid except
during announced resyncs; BRTI every second; kalshi.market republished at least once a second;
counters from the last hb. Prints the numbers; exit 1 on any defect."""
import json, sys, statistics
from datetime import datetime, timezone
D = sys.argv[1].rstrip("/") + "/"
def sec(s): return datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
start, end = int(open(D+"start").read()), int(open(D+"end").read())
msgs = []
for l in open(D+"tap.out"):
    t, b = l.rstrip("\n").split(" ", 1)
    msgs.append((t, json.loads(b)))
print("run: %d s, %d bus messages recorded" % (end - start, len(msgs)))
mk_first, mk_state, mk_pubs = {}, {}, {}
opens, strikes, settles, resyncs, gaps, reconnects = {}, {}, {}, [], [], []
books = {}
brti = []
hb = None
ticks = []
for t, m in msgs:
    if t.startswith("kalshi.market."):
        tk = m["ticker"]; mk_first.setdefault(tk, m["ts_pub"]); mk_state[tk] = m
        mk_pubs.setdefault(tk, []).append(m["ts_pub"])
    elif t == "event.market_open" and m["src"] == "feed-kalshi": opens[m["ticker"]] = m
    elif t == "event.strike_set" and m["src"] == "feed-kalshi": strikes[m["ticker"]] = m
    elif t == "event.settlement" and m["src"] == "feed-kalshi": settles[m["ticker"]] = m
    elif t == "event.resync" and m["src"] == "feed-kalshi": resyncs.append(m)
    elif t == "event.gap" and m["src"] == "feed-kalshi": gaps.append(m)
    elif t == "event.reconnect" and m["src"] == "feed-kalshi": reconnects.append(m)
    elif t.startswith("kalshi.book."): books.setdefault(m["ticker"], []).append(m)
    elif t == "index.brti": brti.append(m)
    elif t == "hb.feed-kalshi": hb = m
    elif t == "tick": ticks.append(m)
# windows fully inside the run: opened after the feed's start and closed 5 s before its end
wins = sorted((sec(m["open_time"]), sec(m["close_time"]), tk) for tk, m in mk_state.items())
full = [w for w in wins if w[0] > start + 1 and w[1] <= end - 5]
print("windows seen:", len(wins), " opened and closed inside the run:", len(full))
bad = []
mx = [json.loads(l) for l in open(D+"mx.jsonl")]
subs = {}
for r in mx:
    j = r.get("json") or {}
    if j.get("cmd") == "subscribe":
        tk = (j.get("params") or {}).get("market_ticker")
        if tk: subs.setdefault(tk, r["ts_ms"] / 1e3)
lead_disc, lead_sub = [], []
for o, c, tk in full:
    d = mk_first[tk] / 1e9
    if d >= o: bad.append((tk, "discovered after open", d - o))
    lead_disc.append(o - d)
    if tk not in subs: bad.append((tk, "never subscribed"))
    else:
        lead_sub.append(o - subs[tk])
        if subs[tk] >= o: bad.append((tk, "subscribed after open", subs[tk] - o))
    if opens.get(tk, {}).get("reason") != "opened": bad.append((tk, "market_open", opens.get(tk)))
    if tk not in strikes: bad.append((tk, "no strike_set"))
    s = settles.get(tk)
    if not s or s["result"] not in ("yes", "no") or s["expiration_value"] is None:
        bad.append((tk, "settlement", s))
    elif s.get("result_consistent") is not True: bad.append((tk, "inconsistent", s))
sl = [settles[tk]["ts_pub"] / 1e9 - c for o, c, tk in full if tk in settles]
kl = [strikes[tk]["ts_pub"] / 1e9 - o for o, c, tk in full if tk in strikes]
if sl and kl:
    print("strike_set after open: median %.2f s, max %.2f s; settlement after close: median %.2f s, max %.2f s; results yes/no: %d/%d"
          % (statistics.median(kl), max(kl), statistics.median(sl), max(sl),
             sum(settles[tk]["result"] == "yes" for o, c, tk in full if tk in settles),
             sum(settles[tk]["result"] == "no" for o, c, tk in full if tk in settles)))
print("discovery lead before open: min %.1f s, median %.1f s" % (min(lead_disc), statistics.median(lead_disc)))
print("subscribe lead before open: min %.1f s, median %.1f s" % (min(lead_sub), statistics.median(lead_sub)))
# strike = previous window's expiration_value; and = the mean of the 60 BRTI values of the
# window (open - 60 s, open] (Kalshi's averaging window, docs/RECORD.md)
bv = {b["time_ms"] // 1000: b["value"] for b in brti}
chain = recomp = 0
for (o0, c0, t0), (o1, c1, t1) in zip(wins, wins[1:]):
    if c0 != o1: bad.append((t1, "not back to back")); continue
    s0, s1 = settles.get(t0), mk_state[t1]
    if s0 and s1["floor_strike"] is not None:
        chain += 1
        if s1["floor_strike"] != s0["expiration_value"]:
            bad.append((t1, "strike != previous expiration_value", s1["floor_strike"], s0["expiration_value"]))
    vals = [bv.get(int(o1) - 59 + k) for k in range(60)]
    if None not in vals and s1["floor_strike"] is not None:
        recomp += 1
        avg = round(sum(vals) / 60 + 1e-9, 2)
        if abs(avg - s1["floor_strike"]) > 0.0051: bad.append((t1, "strike vs BRTI mean", s1["floor_strike"], avg))
print("strike == previous expiration_value: %d pairs checked; strike == mean of the 60 published BRTI before the open: %d checked" % (chain, recomp))
# books: valid except during announced resyncs. An invalid book right after a (re)subscribe,
# before its first snapshot (no valid message since the last subscribe or reconnect), is
# the subscription starting; any other invalid one needs an event.resync/gap/reconnect for
# it (or any reconnect) since its last valid message.
inval = initial = 0; unannounced = []
for tk, bl in books.items():
    last_valid = None
    for b in bl:
        if b["valid"]:
            last_valid = b["ts_pub"]; continue
        inval += 1
        if last_valid is None: initial += 1; continue
        why = [a for a in resyncs + gaps if a.get("ticker") == tk and last_valid <= a["ts_pub"] <= b["ts_pub"] + 1e6]
        why += [a for a in reconnects if last_valid <= a["ts_pub"] <= b["ts_pub"] + 1e6]
        if why: last_valid = None  # announced: the next invalid ones belong to it
        else: unannounced.append((tk, b["ts_pub"]))
act_inval = 0
for tk, bl in books.items():
    o, c = sec(mk_state[tk]["open_time"]), sec(mk_state[tk]["close_time"])
    act_inval += sum(1 for b in bl if not b["valid"] and o <= b["ts_pub"] / 1e9 < c)
print("book messages: %d, invalid: %d (%d before a subscription's first snapshot, %d while the market was open), unannounced: %d"
      % (sum(map(len, books.values())), inval, initial, act_inval, len(unannounced)))
for u in unannounced[:5]: print("  unannounced", u)
bad += [("book invalid without an announced resync",) + u for u in unannounced]
# BRTI cadence
ts = sorted(b["time_ms"] for b in brti)
dts = [b - a for a, b in zip(ts, ts[1:])]
print("index.brti: %d values, seconds covered %d, max step %d ms, missing seconds %d" %
      (len(ts), len(set(t // 1000 for t in ts)), max(dts), sum(d // 1000 - 1 for d in dts if d > 1000)))
# republish cadence of kalshi.market for the followed windows
mg = max(max(b - a for a, b in zip(p, p[1:])) for p in mk_pubs.values() if len(p) > 1) / 1e9
print("kalshi.market max interval between publishes of a market: %.2f s" % mg)
if mg > 1.6: bad.append(("kalshi.market not republished each second", mg))
k = hb["kalshi"]
print("hb.feed-kalshi (last):", {x: k.get(x) for x in ["reconnects", "gaps", "resyncs", "kalshi_gaps", "kalshi_resyncs", "resubscribes", "cmd_timeouts", "rollovers", "strikes", "settlements", "market_deletes", "foreign_sid_drops", "list_requests", "auth_failures", "rest_errors", "rest_429", "bad_frames", "error_replies", "late_frames", "snapshots", "deltas", "trades", "brti", "connects", "drops", "write_timeouts", "dead", "stale"]})
print("events: reconnect %d, resync %d, gap %d" % (len(reconnects), len(resyncs), len(gaps)))
# aggregator ticks
tsec = [sec(t["ts"]) for t in ticks]
print("aggregator ticks: %d, consecutive: %s" % (len(ticks), tsec == list(range(int(tsec[0]), int(tsec[0]) + len(tsec)))))
# Go-compatible ticks: markets and a market's strike/status are omitted when unknown
withm = [t for t in ticks if any(m.get("status") == "active" and m.get("strike") and m.get("close_time") for m in t.get("markets", []))]
print("ticks listing an active market with strike and close_time: %d of %d" % (len(withm), len(ticks)))
asett = [m for t, m in msgs if t == "event.settlement" and m["src"] == "aggregator"]
print("aggregator settlement events: %d" % len(asett))
print("defects:", len(bad))
for b in bad[:20]: print("  ", b)
sys.exit(1 if bad else 0)
