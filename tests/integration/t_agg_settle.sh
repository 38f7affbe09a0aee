# t_agg_settle: a Kalshi market that closes a few seconds into the test: market_open and
# strike_set events, the settle window averages in the ticks before the close, post_close
# flagged after it, and the settlement event once Kalshi publishes result and
# expiration_value (official and proxy averages, errors in bps).
. tests/integration/lib.sh

bg agg "$BIN/aggregator" --settle-grace-s 1
bg tap "$BIN/tap" --json tick event.
# the tap must be connected before the market appears, or it misses market_open
wait_for 20 grep -q '"type":"tick"' "$T/tap.out" || fail "no tick"
T0=$(date +%s)
CLOSE=10
MK='"ticker":"KXBTC15M-SET-15","open_time":"@T-300@","close_time":"@T+'$CLOSE'@","expected_expiration_time":"@T+'$((CLOSE + 2))'@","floor_strike":97012.47'
{
    echo "kalshi.market.KXBTC15M-SET-15 {$MK,\"status\":\"active\",\"result\":\"\"}"
    i=0
    while [ $i -lt 60 ]; do   # ~18 s of market state, books and index values
        echo "kalshi.market.KXBTC15M-SET-15 {$MK,\"status\":\"active\",\"result\":\"\"}"
        echo 'kalshi.book.KXBTC15M-SET-15 {"valid":true,"yes_bids":[[0.52,10]],"no_bids":[[0.46,8]]}'
        echo 'index.brti {"value":97100.00,"time_ms":@NOWMS@}'
        echo '#sleep 300'
        i=$((i + 1))
    done
    echo "#loop"
    echo "kalshi.market.KXBTC15M-SET-15 {$MK,\"status\":\"finalized\",\"result\":\"yes\",\"expiration_value\":\"97105.83\"}"
    echo '#sleep 500'
} >"$T/kalshi.txt"
cat >"$T/venues.txt" <<'S'
#loop
book.coinbase.BTC-USD {"bids":[[97090,2],[97089,5]],"asks":[[97092,2],[97093,5]]}
book.kraken.BTC-USD {"bids":[[97090.5,2],[97089,5]],"asks":[[97091.5,2],[97093,5]]}
book.bitstamp.BTC-USD {"bids":[[97090,2],[97089,5]],"asks":[[97091,2],[97093,5]]}
#sleep 300
S
bg sim-kalshi "$BIN/feedsim" --name feed-kalshi --t0 "$T0" --script "$T/kalshi.txt" --loop
bg sim-venues "$BIN/feedsim" --name feed-coinbase --script "$T/venues.txt" --loop

wait_for 40 grep -q '"type":"settlement"' "$T/tap.out" || fail "no settlement event"
/usr/bin/python3 - "$T/tap.out" "$T0" "$CLOSE" <<'PY' || fail "settlement records"
import json, sys
from datetime import datetime
recs = [json.loads(l) for l in open(sys.argv[1])]
t0, close = int(sys.argv[2]), int(sys.argv[2]) + int(sys.argv[3])
def sec(s): return int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").timestamp())
def die(msg): print(msg); [print(json.dumps(r)[:600]) for r in recs[-40:]]; sys.exit(1)
kinds = [r["type"] for r in recs]
for k in ["market_open", "strike_set", "settlement"]:
    if kinds.count(k) != 1: die("want one %s, got %d" % (k, kinds.count(k)))
ticks = [r for r in recs if r["type"] == "tick"]
s = [r for r in recs if r["type"] == "settlement"][0]
if s["ticker"] != "KXBTC15M-SET-15" or s["strike"] != 97012.47: die("ticker/strike")
if s["expiration_value"] != 97105.83 or s["result"] != "yes": die("kalshi values")
if s["official_avg"] != 97100 or s["official_n"] < 3: die("official avg")
if s["proxy_avg"] is None or abs(s["proxy_avg"] - 97090.75) > 1 or s["proxy_n"] < 3: die("proxy avg")
want = (s["proxy_avg"] - 97105.83) / 97105.83 * 1e4
if abs(s["proxy_err_bps"] - want) > 0.01: die("proxy_err_bps")
if abs(s["official_err_bps"] - (97100 - 97105.83) / 97105.83 * 1e4) > 0.01: die("official_err_bps")
if sec(s["close_time"]) != close: die("close_time")
inwin = [t for t in ticks if close - 60 <= sec(t["ts"]) < close and t.get("markets")]
if not inwin or any(t["settle"]["ticker"] != "KXBTC15M-SET-15" for t in inwin): die("settle in window")
if inwin[-1]["settle"]["window_avg_official"] != 97100: die("running official avg")
post = [t for t in ticks if sec(t["ts"]) > close and t.get("markets")]
if not post or not all(t["markets"][0]["post_close"] for t in post): die("post_close")
if not any(t["markets"][0].get("result") == "yes" for t in post): die("result never shown")
PY
echo ok
