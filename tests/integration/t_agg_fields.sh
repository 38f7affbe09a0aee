# t_agg_fields: the aggregator's tick from known feed messages (feedsim): one tick per second
# with consecutive ts and tick_seq, exact venue mids, a crossed book excluded, the official
# value preferred, Kalshi fields in cents and dollars, the five venues listed and state degraded
# while one of them (kraken, crossed) is not ok, state ok from a second aggregator expecting only
# the venues that are ok (--venues); then a feed stopped -> stale + reason, and the official feed
# stopped -> brti falls back to the proxy.
. tests/integration/lib.sh

cat >"$T/coinbase.txt" <<'S'
#loop
book.coinbase.BTC-USD {"bids":[["97034.00","1.5"],["97033.00","2"]],"asks":[["97035.00","1"],["97036.00","3"]]}
quote.coinbase.BTC-USD {"bid":"97034.00","bid_size":"1.5","ask":"97035.00","ask_size":"1"}
#sleep 300
S
cat >"$T/kraken.txt" <<'S'
#loop
book.kraken.BTC-USD {"bids":[[97040.0,1]],"asks":[[97039.0,1]]}
#sleep 300
S
cat >"$T/bitstamp.txt" <<'S'
#loop
book.bitstamp.BTC-USD {"bids":[[97032,2],[97031,5]],"asks":[[97034.2,2],[97035,5]]}
quote.bitstamp.BTC-USD {"bid":97032,"bid_size":2,"ask":97034.2,"ask_size":2}
#sleep 300
S
cat >"$T/gemini.txt" <<'S'
#loop
book.gemini.BTC-USD {"bids":[[97034,1]],"asks":[[97035,1]]}
#sleep 300
S
cat >"$T/cryptocom.txt" <<'S'
#loop
book.cryptocom.BTC-USD {"bids":[[97032,1]],"asks":[[97034.2,1]]}
#sleep 300
S
cat >"$T/kalshi.txt" <<'S'
kalshi.market.KXBTC15M-TEST-15 {"ticker":"KXBTC15M-TEST-15","status":"active","open_time":"@T-100@","close_time":"@T+800@","expected_expiration_time":"@T+1100@","floor_strike":97012.47,"result":"","some_new_field":[1,{"a":2}]}
#loop
kalshi.book.KXBTC15M-TEST-15 {"ticker":"KXBTC15M-TEST-15","valid":true,"yes_bid":0.52,"yes_ask":0.54,"yes_bids":[[0.52,120],[0.51,300]],"no_bids":[[0.46,80]],"seq":9}
kalshi.ticker.KXBTC15M-TEST-15 {"ticker":"KXBTC15M-TEST-15","price":0.53,"volume":1523,"open_interest":890}
index.brti {"index":"BRTI","value":97033.80,"src":"kalshi","time_ms":@NOWMS@,"avg_60s":{"value":97030.5}}
kalshi.market.KXBTC15M-TEST-15 {"ticker":"KXBTC15M-TEST-15","status":"active","open_time":"@T-100@","close_time":"@T+800@","expected_expiration_time":"@T+1100@","floor_strike":97012.47,"result":""}
#sleep 300
S
for v in coinbase kraken bitstamp gemini cryptocom kalshi; do
    bg "sim-$v" "$BIN/feedsim" --name "feed-$v" --script "$T/$v.txt" --loop
    eval "SIM_$v=\$LAST"
done
bg agg "$BIN/aggregator"
AGG=$LAST
bg agg2 "$BIN/aggregator" --name aggregator-2 --venues coinbase,bitstamp,gemini,cryptocom
AGG2=$LAST
"$BIN/tap" --json --count 4 --timeout 20 --sub "ipc://$TICKBUS_BUS/aggregator.pub" tick \
    >"$T/ticks1.jsonl" 2>"$T/tap1.log" || fail "no ticks"
"$BIN/tap" --json --count 2 --timeout 20 --sub "ipc://$TICKBUS_BUS/aggregator-2.pub" tick \
    >"$T/agg2.jsonl" 2>"$T/tap2.log" || fail "no ticks from aggregator-2"
kill "$AGG2" # tap reads every aggregator of the bus: the taps below read the first one

/usr/bin/python3 - "$T/ticks1.jsonl" "$T/agg2.jsonl" <<'PY' || fail "tick fields"
import json, sys
ticks = [json.loads(l) for l in open(sys.argv[1])]
def check(c, msg):
    if not c:
        print("check failed:", msg, json.dumps(ticks[-1])[:3000]); sys.exit(1)
from datetime import datetime
ts = [datetime.strptime(t["ts"], "%Y-%m-%dT%H:%M:%SZ").timestamp() for t in ticks]
check(all(b - a == 1 for a, b in zip(ts, ts[1:])), "consecutive ts %s" % ts)
seqs = [t["tick_seq"] for t in ticks]
check(all(b - a == 1 for a, b in zip(seqs, seqs[1:])), "consecutive tick_seq %s" % seqs)
t = ticks[-1]
for k in ["type","ts","brti","coinbase","kraken","bitstamp","markets","brti_src","brti_official",
          "brti_rti","brti_median","venues","settle","health","seq","src","epoch"]:
    check(k in t, "field " + k)
check(t["type"] == "tick", "type")
check(t["brti_src"] == "official" and t["brti"] == 97033.8 and t["brti_official"] == 97033.8, "official")
check(t["coinbase"] == 97034.5 and t["bitstamp"] == 97033.1, "mids")
check(t["kraken"] == 0 and t["health"]["reasons"]["kraken"] == "crossed", "crossed kraken")
check(t["venues"]["kraken"]["rti"] == "crossed" and not t["venues"]["kraken"]["ok"], "rti crossed")
check(t["venues"]["coinbase"]["bid"] == 97034.0 and t["venues"]["coinbase"]["ok"], "venue bid")
check(0 <= t["venues"]["coinbase"]["age_ms"] < 3000, "age")
check(t["brti_median"] == 97033.8, "median")
check(t["brti_rti"] is not None and abs(t["brti_rti"] - 97033.8) < 3, "rti")
check(t["health"]["venues_used"] == 4 and t["health"]["venues_ok"] == 4, "venues_used, venues_ok")
check(list(t["venues"]) == ["coinbase", "kraken", "bitstamp", "gemini", "cryptocom"], "five venues")
check(t["venues"]["gemini"]["ok"] and t["venues"]["cryptocom"]["rti"] == "ok", "the two new venues")
keys = list(t)
check(keys[keys.index("coinbase"):keys.index("venues") + 1] == ["coinbase", "kraken", "bitstamp", "venues"]
      and "gemini" not in t and "cryptocom" not in t, "the Go collector's venue fields, no new ones")
check(t["health"]["state"] == "degraded", "state degraded: kraken (expected) not ok")
u = [json.loads(l) for l in open(sys.argv[2])][-1]
check(u["health"]["state"] == "ok" and u["health"]["venues_ok"] == 4 and len(u["venues"]) == 5,
      "aggregator-2 (--venues without kraken): state ok " + json.dumps(u["health"]))
m = t["markets"][0]
check(m["ticker"] == "KXBTC15M-TEST-15" and m["status"] == "active", "market")
check((m["yes_bid"], m["yes_ask"], m["no_bid"], m["no_ask"]) == (52, 54, 46, 48), "cents")
check((m["yes_bid_dollars"], m["yes_ask_dollars"]) == (0.52, 0.54), "dollars")
check(m["yes_book"] == [[51, 300], [52, 120]] and m["no_book"] == [[46, 80]], "books (Go form)")
check(m["yes_book_dollars"] == [[0.52, 120], [0.51, 300]] and m["no_book_dollars"] == [[0.46, 80]],
      "books (best first)")
check((m["last_price"], m["volume"], m["open_interest"]) == (53, 1523, 890), "ticker")
check(m["strike"] == 97012.47 and "result" not in m, "strike; result omitted until known")
check(795 <= m["secs_to_close"] <= 800 and 1095 <= m["secs_left"] <= 1100, "countdowns")
check(m["post_close"] is False and m["book_age_ms"] >= 0, "flags")
PY

# a feed dies: its venue goes stale by age (default 5 s), with a reason
kill "$SIM_coinbase"
wait_for 20 sh -c "'$BIN/tap' --json --count 1 --timeout 3 tick | grep -q '\"coinbase\":\"stale\"'" ||
    fail "coinbase never marked stale"
"$BIN/tap" --json --count 1 --timeout 5 tick >"$T/t2.json" || fail "no tick after stale"
grep -q '"coinbase":0,' "$T/t2.json" || fail "stale coinbase mid not 0"
grep -q '"stale":\["coinbase"\]' "$T/t2.json" || fail "health.stale"

# the Kalshi feed dies: official goes stale after 2 s, brti falls back to the proxy
kill "$SIM_kalshi"
wait_for 20 sh -c "'$BIN/tap' --json --count 1 --timeout 3 tick | grep -q '\"brti_official\":\"stale\"'" ||
    fail "official never stale"
"$BIN/tap" --json --count 1 --timeout 5 tick >"$T/t3.json" || fail "no tick after official stale"
grep -q '"brti_src":"rti"' "$T/t3.json" || fail "no fallback to rti: $(cut -c1-600 "$T/t3.json")"
grep -q '"brti_official":null' "$T/t3.json" || fail "official not null"
kill -0 "$AGG" || fail "aggregator died"
echo "ok"
