# Several series from one feed-kalshi (issue 21): SERIES_TICKER="KXBTC15M,KXETH15M,KXSOL15M"
# against mockx's world (a series per asset, 15 s windows). Markets of all three series are
# published (with their series) and open, each strike is near its own asset's index, every
# series settles at a boundary with a consistent result, index.brti, index.ethusd_rti and
# index.solusd_rti arrive once a second with the values mockx relays (an independent client,
# check_kalshi.py indices, reads them from mockx on its own connection), DOGE's index (not
# configured) is never published, all of it over one websocket connection that subscribed the
# three index ids and sent indexlist once. An unknown series is refused with exit 64. A
# configured index Kalshi does not relay costs only its own series' index.
. tests/integration/lib.sh
. tests/integration/kalshilib.sh

# an unknown series: exit 64 with the library's message, before anything connects
SERIES_TICKER="KXBTC15M,KXNOPE15M" "$BIN/feed-kalshi" --check >"$T/refuse.out" 2>&1
rc=$?
[ "$rc" = 64 ] || fail "unknown series: exit $rc, expected 64: $(cat "$T/refuse.out")"
grep -q 'KXNOPE15M' "$T/refuse.out" || fail "the refusal does not name the series: $(cat "$T/refuse.out")"

kalshi_world 15
bg tap "$BIN/tap" --timeout 50 event. index. kalshi.market. kalshi.book. hb.feed-kalshi
sleep 0.3
SERIES_TICKER="KXBTC15M,KXETH15M,KXSOL15M" kalshi_feed --presubscribe 8 --grace 5 --record "$T/k.rec"
FEED=$LAST
# the independent reading of mockx's indices, alongside
/usr/bin/python3 tests/mockx/check_kalshi.py indices "$P" "$T/tls/ca.pem" "$T/key.pem" 20 \
    "$T/check.json" >"$T/check.out" 2>&1 || fail "check_kalshi indices: $(cat "$T/check.out")"
settled() {
    for s in KXBTC15M KXETH15M KXSOL15M; do
        grep '^event.settlement ' "$T/tap.out" | grep "\"ticker\":\"$s-" | grep -q '"result_consistent":true' ||
            return 1
    done
}
wait_for 40 settled || fail "not every series settled: $(grep -c '^event.settlement ' "$T/tap.out") settlements"
sleep 1.5 # one more hb
kill -0 "$FEED" || fail "feed-kalshi is not running"
/usr/bin/python3 - "$T/tap.out" "$T/check.json" "$T/mx.jsonl" <<'PY' || fail "published data wrong"
import json, sys
SER = {"KXBTC15M": "index.brti", "KXETH15M": "index.ethusd_rti", "KXSOL15M": "index.solusd_rti"}
IDS = {"index.brti": "BRTI", "index.ethusd_rti": "ETHUSD_RTI", "index.solusd_rti": "SOLUSD_RTI"}
ev, idx, mkt, books, hb = {}, {t: {} for t in IDS}, {}, {}, None
for l in open(sys.argv[1]):
    topic, body = l.rstrip("\n").split(" ", 1)
    m = json.loads(body)
    if topic.startswith("event."):
        ev.setdefault(topic, []).append(m)
    elif topic.startswith("index."):
        assert topic in IDS, f"index topic nobody configured: {topic}"
        assert m["index"] == IDS[topic] and m["value"] > 0 and m["time_ms"], (topic, m)
        idx[topic][m["time_ms"]] = m["value"]
    elif topic.startswith("kalshi.market."):
        mkt[m["ticker"]] = m
    elif topic.startswith("kalshi.book."):
        books.setdefault(m["ticker"], []).append(m["valid"])
    elif topic == "hb.feed-kalshi":
        hb = m
def series(t):
    return t.split("-", 1)[0]
# markets of all three series, each with its series field; opened; books valid
for s in SER:
    mine = [t for t in mkt if series(t) == s]
    assert mine, f"no kalshi.market of {s}"
    assert all(mkt[t]["series"] == s for t in mine), [mkt[t].get("series") for t in mine]
    opened = [e["ticker"] for e in ev["event.market_open"] if series(e["ticker"]) == s]
    assert opened, f"no market_open of {s}"
    assert any(True in books.get(t, []) for t in opened), f"no valid book of {s}"
assert {series(t) for t in mkt} == set(SER), sorted({series(t) for t in mkt})
# each strike near its own asset's index at the open (the mean of the 60 s before it)
def near(topic, t_ms):
    vals = [v for k, v in idx[topic].items() if t_ms - 60000 < k <= t_ms]
    return sum(vals) / len(vals) if vals else None
nstrike = {s: 0 for s in SER}
for e in ev.get("event.strike_set", []):
    s = series(e["ticker"])
    import datetime
    open_ms = int(datetime.datetime.fromisoformat(e["open_time"].replace("Z", "+00:00")).timestamp() * 1000)
    ref = near(SER[s], open_ms)
    if ref is None:
        continue
    assert abs(e["floor_strike"] / ref - 1) < 0.002, (e["ticker"], e["floor_strike"], ref)
    nstrike[s] += 1
assert all(n >= 1 for n in nstrike.values()), nstrike
# a consistent settlement in every series
for s in SER:
    st = [e for e in ev["event.settlement"] if series(e["ticker"]) == s and "result_consistent" in e]
    assert st and all(e["result_consistent"] for e in st), (s, st)
# every index once a second
for topic, v in idx.items():
    ts = sorted(v)
    span = (ts[-1] - ts[0]) // 1000 + 1
    assert len(ts) >= 20 and len(ts) >= 0.95 * span, (topic, len(ts), span)
    assert max(b - a for a, b in zip(ts, ts[1:])) <= 2000, (topic, "a gap over a second")
# the values mockx relayed, read independently
chk = json.load(open(sys.argv[2]))
for topic, id_ in IDS.items():
    common = [t for t in idx[topic] if str(t) in chk[id_]]
    assert len(common) >= 10, (topic, len(common))
    bad = [t for t in common if abs(idx[topic][t] - float(chk[id_][str(t)])) > 1e-9]
    assert not bad, (topic, [(t, idx[topic][t], chk[id_][str(t)]) for t in bad[:3]])
# one websocket connection: the subscribe named the three ids, indexlist sent once
ups, subs, lists = 0, [], 0
for l in open(sys.argv[3]):
    m = json.loads(l)
    if m.get("path") == "/trade-api/ws/v2" and m.get("status") == 101:
        ups += 1
    d = m.get("data") or m.get("frame") or m.get("text") or ""
    if "cfbenchmarks_value" in d and '"subscribe"' in d:
        subs.append(json.loads(d))
    if '"indexlist"' in d:
        lists += 1
assert ups == 2, f"websocket upgrades: {ups} (the feed's and the checker's expected)"
feed_subs = [c for c in subs if "all" not in c["params"]["index_ids"] and "NOPE_RTI" not in c["params"]["index_ids"]]
assert len(feed_subs) == 1 and feed_subs[0]["params"]["index_ids"] == ["BRTI", "ETHUSD_RTI", "SOLUSD_RTI"], subs
assert lists == 2, f"indexlist requests: {lists} (one from the feed, one from the checker)"
# hb: one connection, per-series counts, every index relayed, nothing unasked or missing
k = hb["kalshi"] if "kalshi" in hb else hb["detail"]["kalshi"]
assert k["reconnects"] == 0, k["reconnects"]
assert set(k["series"]) == set(SER), k["series"]
assert all(v["tracked"] >= 1 and v["open"] == 1 for v in k["series"].values()), k["series"]
assert k["markets_open"] == 3, k["markets_open"]
assert set(k["indices"]) == set(IDS.values()) and min(k["indices"].values()) >= 20, k["indices"]
assert k["index_unasked"] == 0 and k["index_missing"] == 0 and k["indexlists"] == 1, k
print("series", {s: nstrike[s] for s in SER}, "index values", {t: len(v) for t, v in idx.items()})
PY
grep -q 'indexlist (4 ids): BRTI ETHUSD_RTI SOLUSD_RTI DOGEUSD_RTI' "$T/feed.log" ||
    fail "the feed did not log the indexlist"
# the recording replayed with the same list gives the same index values on the same topics
# (the feed stopped first, so that the recording is complete)
kill "$FEED" && sleep 0.5
"$BIN/kalshireplay" "$T/k.rec" "KXBTC15M,KXETH15M,KXSOL15M" >"$T/replay.out" 2>"$T/replay.log" ||
    fail "kalshireplay failed"
/usr/bin/python3 - "$T/tap.out" "$T/replay.out" <<'PY' || fail "the replay's index values differ"
import json, sys
def idx(path, sep):
    out = set()
    for l in open(path):
        parts = l.rstrip("\n").split(" ", sep)
        if parts[0].startswith("index."):
            m = json.loads(parts[-1])
            out.add((parts[0], m["time_ms"], m["value"]))
    return out
live, rep = idx(sys.argv[1], 1), idx(sys.argv[2], 2)
topics = {t for t, _, _ in rep}
assert topics == {"index.brti", "index.ethusd_rti", "index.solusd_rti"}, topics
# every value published live is in the replay; the replay may have more only at the ends (the
# first messages can reach a subscriber still joining, and the last ones of a stopping
# publisher can be lost on the bus)
assert live <= rep, sorted(live - rep)[:3]
first, last = min(t for _, t, _ in live), max(t for _, t, _ in live)
assert all(t < first or t > last for _, t, _ in rep - live), sorted(rep - live)[:3]
print("replayed index values", len(rep), "of", len(live))
PY

# a series whose index Kalshi does not relay (defined by the user): the subscription naming
# it is refused (mockx: error 11), so the feed subscribes the ids one at a time and adds those
# the indexlist names; the missing one is a warning naming it, and the BRTI still arrives
bg tap2 "$BIN/tap" --timeout 15 index. hb.feed-kalshi-x
sleep 0.3
SERIES_TICKER="KXXRP15M,KXETH15M,KXBTC15M" SERIES_KXXRP15M="index=XRPUSD_RTI venues=coinbase,kraken" \
    kalshi_feed_as feedx --name feed-kalshi-x
both() {
    grep '"src":"feed-kalshi-x"' "$T/tap2.out" | grep -q '^index.brti ' &&
        grep '"src":"feed-kalshi-x"' "$T/tap2.out" | grep -q '^index.ethusd_rti '
}
wait_for 10 both || fail "no index.brti and index.ethusd_rti after a refused subscription"
grep -q "index XRPUSD_RTI is not in Kalshi's cfbenchmarks_value indexlist" "$T/feedx.log" ||
    fail "no warning naming the index Kalshi does not relay"
grep -q 'the index subscription was refused' "$T/feedx.log" || fail "the refusal was not logged"
! grep -q '^index.xrpusd_rti ' "$T/tap2.out" || fail "an index Kalshi refused was published"
echo ok
