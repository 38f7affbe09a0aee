# t_agg_series: one aggregator per series on the same feed sockets (docs/SERIES.md). With
# SERIES_TICKER unset, feedsim publishes from feed-coinbase/kraken/bitstamp ETH-USD, XRP-USD and
# BTC-USD books and from feed-kalshi index.ethusd_rti, index.xrpusd_rti, index.brti and KXETH15M,
# KXXRP15M and KXBTC15M markets. `aggregator --series KXETH15M` (name aggregator-kxeth15m),
# `aggregator --series KXXRP15M` with SERIES_KXXRP15M="index=XRPUSD_RTI venues=coinbase,kraken"
# (a user's series) and the default aggregator run side by side: each tick carries its own
# series, its own index and venue prices and only its own market and strike, nothing of the
# others; `sink-jsonl --series KXETH15M` / `--series KXXRP15M` write kxeth15m-<today>.jsonl and
# kxxrp15m-<today>.jsonl from their own aggregators. A bad SERIES_KXXRP15M and an undefined
# series exit 64 naming the variable.
. tests/integration/lib.sh
unset SERIES_TICKER SERIES_KXETH15M SERIES_KXBTC15M SERIES_KXXRP15M 2>/dev/null || true

# bad definitions first: exit 64 with lib/series' message naming the variable
for p in aggregator sink-jsonl; do
    SERIES_KXXRP15M="index=XRPUSD_RTI venues=coinbase,binance" "$BIN/$p" --series KXXRP15M \
        --check 2>"$T/bad.err"
    rc=$?
    [ $rc = 64 ] || fail "$p: a bad SERIES_KXXRP15M exited $rc, not 64"
    grep -q "SERIES_KXXRP15M" "$T/bad.err" && grep -q "binance" "$T/bad.err" ||
        fail "$p: the message does not name the variable and value: $(cat "$T/bad.err")"
    "$BIN/$p" --series KXFOO15M --check 2>"$T/bad.err"
    rc=$?
    [ $rc = 64 ] && grep -q "SERIES_KXFOO15M" "$T/bad.err" ||
        fail "$p: an undefined series exited $rc: $(cat "$T/bad.err")"
    "$BIN/$p" --series KXETH15M,KXBTC15M --check 2>"$T/bad.err"
    rc=$?
    [ $rc = 64 ] || fail "$p: two series in one process exited $rc"
done

# venue books: ETH, XRP and BTC on the same feed sockets
cat >"$T/coinbase.txt" <<'S'
#loop
book.coinbase.ETH-USD {"bids":[["3010.00","40"],["3009.50","100"]],"asks":[["3010.50","40"],["3011.00","100"]]}
book.coinbase.XRP-USD {"bids":[["2.1050","20000"],["2.1040","50000"]],"asks":[["2.1060","20000"],["2.1070","50000"]]}
book.coinbase.BTC-USD {"bids":[["97034.00","1.5"],["97033.00","2"]],"asks":[["97035.00","1"],["97036.00","3"]]}
quote.coinbase.BTC-USD {"bid":"97034.00","bid_size":"1.5","ask":"97035.00","ask_size":"1"}
#sleep 300
S
cat >"$T/kraken.txt" <<'S'
#loop
book.kraken.ETH-USD {"bids":[[3010.1,30],[3009.6,80]],"asks":[[3010.6,30],[3011.1,80]]}
book.kraken.XRP-USD {"bids":[[2.1051,30000],[2.1041,50000]],"asks":[[2.1061,30000],[2.1071,50000]]}
book.kraken.BTC-USD {"bids":[[97040.0,1]],"asks":[[97041.0,1]]}
#sleep 300
S
cat >"$T/bitstamp.txt" <<'S'
#loop
book.bitstamp.ETH-USD {"bids":[[3009.9,20],[3009,50]],"asks":[[3010.4,20],[3011,50]]}
book.bitstamp.BTC-USD {"bids":[[97032,2],[97031,5]],"asks":[[97034.2,2],[97035,5]]}
#sleep 300
S
cat >"$T/kalshi.txt" <<'S'
kalshi.market.KXETH15M-TEST-30 {"ticker":"KXETH15M-TEST-30","status":"active","open_time":"@T-100@","close_time":"@T+800@","expected_expiration_time":"@T+1100@","floor_strike":3012.55,"result":""}
kalshi.market.KXXRP15M-TEST-30 {"ticker":"KXXRP15M-TEST-30","status":"active","open_time":"@T-100@","close_time":"@T+800@","expected_expiration_time":"@T+1100@","floor_strike":2.1043,"result":""}
kalshi.market.KXBTC15M-TEST-15 {"ticker":"KXBTC15M-TEST-15","status":"active","open_time":"@T-100@","close_time":"@T+800@","expected_expiration_time":"@T+1100@","floor_strike":97012.47,"result":""}
#loop
kalshi.book.KXETH15M-TEST-30 {"ticker":"KXETH15M-TEST-30","valid":true,"yes_bids":[[0.41,10]],"no_bids":[[0.57,20]]}
kalshi.book.KXXRP15M-TEST-30 {"ticker":"KXXRP15M-TEST-30","valid":true,"yes_bids":[[0.61,10]],"no_bids":[[0.37,20]]}
kalshi.book.KXBTC15M-TEST-15 {"ticker":"KXBTC15M-TEST-15","valid":true,"yes_bids":[[0.52,120]],"no_bids":[[0.46,80]]}
index.ethusd_rti {"index":"ETHUSD_RTI","value":3010.27,"src":"kalshi","time_ms":@NOWMS@}
index.xrpusd_rti {"index":"XRPUSD_RTI","value":2.10553,"src":"kalshi","time_ms":@NOWMS@}
index.brti {"index":"BRTI","value":97033.80,"src":"kalshi","time_ms":@NOWMS@}
#sleep 300
S
for v in coinbase kraken bitstamp kalshi; do
    bg "sim-$v" "$BIN/feedsim" --name "feed-$v" --script "$T/$v.txt" --loop
done
D=$T/data
export SERIES_KXXRP15M="index=XRPUSD_RTI venues=coinbase,kraken"
bg sink-eth "$BIN/sink-jsonl" --series KXETH15M --dir "$D" --fsync 0.2
bg sink-xrp "$BIN/sink-jsonl" --series kxxrp15m --dir "$D" --fsync 0.2
bg agg-eth "$BIN/aggregator" --series KXETH15M
AGG_ETH=$LAST
bg agg-xrp "$BIN/aggregator" --series KXXRP15M
bg agg-btc "$BIN/aggregator"
for n in aggregator-kxeth15m aggregator-kxxrp15m aggregator; do
    "$BIN/tap" --json --count 4 --timeout 20 --sub "ipc://$TICKBUS_BUS/$n.pub" tick >"$T/$n.jsonl" \
        2>"$T/tap-$n.log" || fail "no ticks from $n"
done
"$BIN/tap" --json --count 1 --timeout 10 --sub "ipc://$TICKBUS_BUS/aggregator-kxeth15m.pub" \
    hb.aggregator-kxeth15m >"$T/hb.json" 2>/dev/null || fail "no hb.aggregator-kxeth15m"
grep -q '"ignored":[1-9]' "$T/hb.json" || fail "hb: nothing ignored: $(cut -c1-400 "$T/hb.json")"
grep -q '"bad":0,' "$T/hb.json" || fail "hb: other series counted bad: $(cut -c1-400 "$T/hb.json")"

/usr/bin/python3 - "$T" <<'PY' || fail "ticks"
import json, sys
T = sys.argv[1]
def last(name):
    return [json.loads(l) for l in open(f"{T}/{name}.jsonl")][-1]
def check(c, msg, t):
    if not c:
        print("check failed:", msg, json.dumps(t)[:3000]); sys.exit(1)
t = last("aggregator-kxeth15m")
check(t["series"] == "KXETH15M" and t["src"] == "aggregator-kxeth15m", "series, src", t)
check(t["brti_src"] == "official" and t["brti"] == 3010.27, "ETH index", t)
check(t["coinbase"] == 3010.25 and t["kraken"] == 3010.35 and t["bitstamp"] == 3010.15, "ETH mids", t)
check(t["brti_median"] == 3010.25, "median", t)
check(t["brti_rti"] is not None and abs(t["brti_rti"] - 3010.27) < 0.5, "ETH RTI", t)
check(list(t["venues"]) == ["coinbase", "kraken", "bitstamp", "gemini", "cryptocom"], "ETH's venues", t)
check(t["health"]["venues_ok"] == 3 and not t["health"]["rti_degraded"], "venues", t)
check([m["ticker"] for m in t["markets"]] == ["KXETH15M-TEST-30"], "only the ETH market", t)
m = t["markets"][0]
check(m["strike"] == 3012.55 and (m["yes_bid"], m["no_bid"]) == (41, 57), "ETH market", t)
def numbers(x):
    if isinstance(x, dict): return [n for v in x.values() for n in numbers(v)]
    if isinstance(x, list): return [n for v in x for n in numbers(v)]
    return [x] if isinstance(x, (int, float)) and not isinstance(x, bool) else []
body = {k: v for k, v in t.items() if k not in ("ts_rx", "ts_ex", "ts_pub", "seq")}
check("KXBTC15M" not in json.dumps(body) and not [n for n in numbers(body) if 90000 < n < 100000],
      "nothing from BTC (no BTC price, no KXBTC15M market)", t)
t = last("aggregator-kxxrp15m")
check(t["series"] == "KXXRP15M" and t["brti"] == 2.10553 and t["brti_src"] == "official", "XRP", t)
check(t["coinbase"] == 2.1055 and t["kraken"] == 2.1056 and t["bitstamp"] == 0, "XRP mids", t)
check(list(t["venues"]) == ["coinbase", "kraken"], "the user's venues", t)
check(t["health"]["state"] == "ok", "XRP state ok (its two venues and its index)", t)
check(t["brti_rti"] is not None and abs(t["brti_rti"] - 2.1055) <= 0.01, "XRP RTI", t)
check([m["ticker"] for m in t["markets"]] == ["KXXRP15M-TEST-30"] and t["markets"][0]["strike"] == 2.1043,
      "only the XRP market", t)
t = last("aggregator")
check(t["series"] == "KXBTC15M" and t["brti"] == 97033.8 and t["coinbase"] == 97034.5, "BTC", t)
check([m["ticker"] for m in t["markets"]] == ["KXBTC15M-TEST-15"], "only the BTC market", t)
print("ok: three series side by side")
PY

# every day file of a series (a run across midnight UTC writes two)
for s in kxeth15m kxxrp15m; do
    S=$(echo $s | tr a-z A-Z)
    wait_for 20 sh -c "[ \$(cat '$D/$s-'*.jsonl 2>/dev/null | grep -c '\"series\":\"$S\"') -ge 3 ]" ||
        fail "sink-jsonl --series $S: no $s day file with its ticks"
    cat "$D/$s-"*.jsonl | grep '"type":"tick"' | grep -v "\"series\":\"$S\"" >/dev/null &&
        fail "$s's day file holds another series' ticks"
    cat "$D/$s-"*.jsonl | grep -q '"src":"aggregator-'"$s"'"' || fail "$s: not from aggregator-$s"
done
[ -z "$(ls "$D"/kxbtc15m-*.jsonl 2>/dev/null)" ] || fail "a BTC file written by a sink of another series"
/usr/bin/python3 tests/integration/sink_check.py "$D" kxeth15m --min-ticks 3 >"$T/sc.out" ||
    { cat "$T/sc.out"; fail "sink_check kxeth15m"; }
kill -0 "$AGG_ETH" || fail "aggregator-kxeth15m died"
echo ok
