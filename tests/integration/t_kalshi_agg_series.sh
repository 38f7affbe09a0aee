# feed-kalshi with two series against mockx's world, read by one aggregator per series (issue 21,
# end to end): `aggregator` (KXBTC15M) and `aggregator --series KXETH15M` each tick once a second
# with the official value of their own index (index.brti, index.ethusd_rti: brti_src official,
# near the asset's price) and list only their own series' markets, each with a strike once the
# window after the first has opened; one feed-kalshi, one websocket connection.
. tests/integration/lib.sh
. tests/integration/kalshilib.sh
kalshi_world 10
SERIES_TICKER="KXBTC15M,KXETH15M" kalshi_feed --presubscribe 5 --grace 3
bg agg "$BIN/aggregator"
bg aggeth "$BIN/aggregator" --series KXETH15M
sleep 1
bg tap "$BIN/tap" --timeout 30 tick
strikes() {
    for s in KXBTC15M KXETH15M; do
        grep "\"series\":\"$s\"" "$T/tap.out" | grep -q '"brti_src":"official".*"strike":[0-9]' || return 1
    done
}
wait_for 28 strikes || fail "no tick with the official index and a struck market for both series"
eight() { [ "$(grep -c '"series":"KXETH15M"' "$T/tap.out")" -ge 8 ] && [ "$(grep -c '"series":"KXBTC15M"' "$T/tap.out")" -ge 8 ]; }
wait_for 15 eight || fail "fewer than 8 ticks of a series"
/usr/bin/python3 - "$T/tap.out" "$T/mx.jsonl" <<'PY' || fail "the per-series ticks are wrong"
import json, sys
PRICE = {"KXBTC15M": 97000, "KXETH15M": 3500}
ticks = {}
for l in open(sys.argv[1]):
    m = json.loads(l.split(" ", 1)[1])
    ticks.setdefault(m["series"], []).append(m)
assert set(ticks) == set(PRICE), sorted(ticks)
for s, tl in ticks.items():
    off = [t for t in tl if t["brti_src"] == "official"]
    assert len(off) >= 0.8 * len(tl) and len(off) >= 5, (s, len(off), len(tl))
    for t in off:
        assert abs(t["brti_official"] / PRICE[s] - 1) < 0.2, (s, t["brti_official"])
        assert t["src"] == ("aggregator" if s == "KXBTC15M" else "aggregator-kxeth15m"), t["src"]
    mk = [m for t in tl for m in t.get("markets") or []]
    assert mk and all(m["ticker"].startswith(s + "-") for m in mk), (s, {m["ticker"] for m in mk})
    struck = [m for m in mk if m.get("strike")]
    assert struck and all(abs(m["strike"] / PRICE[s] - 1) < 0.2 for m in struck), (s, struck[:1])
ups = sum(1 for l in open(sys.argv[2]) if '"status":101' in l and "/trade-api/ws/v2" in l)
assert ups == 1, f"websocket connections: {ups}"
print({s: len(tl) for s, tl in ticks.items()}, "ticks")
PY
echo ok
