# mockx world mode: the mute fault and --activity, checked by an independent client
# (tests/mockx/wsclient.py). mute: after the fault no market data arrives, but Kraken
# heartbeats and a ping -> pong do, Coinbase heartbeats continue the sequence_num,
# Bitstamp answers bts:heartbeat; a new subscribe brings the data back (Kraken and
# Coinbase with a fresh snapshot); the request log has the mute and the unmute.
# --activity night: long gaps and a mean well below --rate; live: about --rate, in bursts.
# san: skip: checks mockx (the test world) with a Python client and runs no program of the pipeline; mockx itself runs under the sanitizers in every feed test (t_feed_probe: world mode, mute and stall)
. tests/integration/lib.sh
. tests/integration/mockxlib.sh
mx_start --serve kraken=127.0.0.1:0 --serve coinbase=127.0.0.1:0 --serve bitstamp=127.0.0.1:0 \
    --world --rate 50 --fault kraken:mute@2 --fault coinbase:mute@2 --fault bitstamp:mute@2
MXLOG="$T/mx.jsonl"
# the activity runs go on meanwhile, each with its own mockx
bg mxnight "$BIN/mockx" --tls-dir "$T/tls" --serve kraken=127.0.0.1:0 --world --rate 20 \
    --activity night --seed 3
bg mxlive "$BIN/mockx" --tls-dir "$T/tls" --serve kraken=127.0.0.1:0 --world --rate 100 \
    --activity live --seed 3
wait_for 10 grep -q = "$T/mxnight.out" || fail "mockx night did not start"
wait_for 10 grep -q = "$T/mxlive.out" || fail "mockx live did not start"
night=$(sed -n 's/^kraken=//p' "$T/mxnight.out")
live=$(sed -n 's/^kraken=//p' "$T/mxlive.out")
# arrivals PORT SECONDS: a Kraken book subscriber's update times, summed up as one JSON line
cat >"$T/arrivals.py" <<'PY'
import json, sys, time
sys.path.insert(0, "tests/mockx")
from wsclient import WS
port, ca, secs = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
w = WS(port, "/v2", ca)
w.send('{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]},"req_id":1}')
ts, start, end = [], None, time.time() + secs
while time.time() < end:
    k, d = w.recv(max(0.05, end - time.time()))
    assert k not in ("eof", "close"), k
    if k != "text":
        continue
    m = json.loads(d)
    if m.get("channel") == "book" and m.get("type") == "snapshot":
        start = time.time()
    elif start and m.get("channel") == "book" and m.get("type") == "update":
        ts.append(time.time())
gaps = [b - a for a, b in zip([start] + ts, ts + [end])]
print(json.dumps({"msgs": len(ts), "rate": round(len(ts) / (end - start), 2),
                  "max_gap": round(max(gaps), 3),
                  "close": round(sum(g < 0.004 for g in gaps) / len(gaps), 3)}))
PY
$PY "$T/arrivals.py" "$night" "$CA" 14 >"$T/night.out" & pn=$!
$PY "$T/arrivals.py" "$live" "$CA" 5 >"$T/live.out" & pl=$!

# mute: the three venues at once
$PY - "$kraken" "$coinbase" "$bitstamp" "$CA" "$MXLOG" <<'PY' || fail "mute"
import json, sys, threading, time
sys.path.insert(0, "tests/mockx")
from wsclient import WS
kr, cb, bs = map(int, sys.argv[1:4])
ca, mxlog = sys.argv[4], sys.argv[5]
DATA = {"kraken": lambda m: m.get("channel") in ("book", "trade", "ticker"),
        "coinbase": lambda m: m.get("channel") in ("l2_data", "market_trades", "ticker"),
        "bitstamp": lambda m: m.get("event") in ("data", "trade")}
errors = []

def mute_at(venue):
    """the request log's mute event for VENUE (ms), once the fault has fired"""
    end = time.time() + 6
    while time.time() < end:
        for line in open(mxlog):
            e = json.loads(line)
            if e["venue"] == venue and e["kind"] == "mute":
                return e["ts_ms"] / 1000.0
        time.sleep(0.1)
    raise AssertionError(f"{venue}: no mute in the request log")

def collect(w, until, out):
    while time.time() < until:
        k, d = w.recv(max(0.05, until - time.time()))
        assert k not in ("eof", "close"), k
        if k == "text":
            out.append((time.time(), json.loads(d)))

def check(venue, w, resub, extra=None):
    """before the fault: data; from fault + 0.3 s to +4.5 s: none (extra(w) runs meanwhile);
    then RESUB: data again within 3 s. Returns the messages of the muted stretch."""
    seen = []
    collect(w, time.time() + 1.0, seen)
    t_mute = mute_at(venue)
    collect(w, t_mute + 1.5, seen)
    if extra:
        extra(w)
    collect(w, t_mute + 4.5, seen)
    before = [m for t, m in seen if t < t_mute and DATA[venue](m)]
    muted = [(t, m) for t, m in seen if t > t_mute + 0.3]
    assert len(before) >= 10, f"{venue}: only {len(before)} data messages before the mute"
    leaked = [m for t, m in muted if DATA[venue](m)]
    assert not leaked, f"{venue}: data while muted: {leaked[:2]}"
    for r in resub:
        w.send(r)
    again = []
    collect(w, time.time() + 3.0, again)
    assert sum(DATA[venue](m) for t, m in again) >= 10, f"{venue}: no data after the subscribe: {again[:3]}"
    return [m for t, m in muted], [m for t, m in again]

def kraken():
    w = WS(kr, "/v2", ca)
    w.send('{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]},"req_id":1}')
    w.send('{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"]},"req_id":2}')
    muted, again = check("kraken", w,
                         ['{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]},"req_id":3}'],
                         lambda w: (w.send('{"method":"ping","req_id":77}'), w.ping(b"mute?")))
    assert sum(m == {"channel": "heartbeat"} for m in muted) >= 2, f"kraken: heartbeats while muted: {muted}"
    assert any(m.get("method") == "pong" and m.get("req_id") == 77 for m in muted), f"kraken: no pong: {muted}"
    assert any(m.get("req_id") == 3 and m.get("success") for m in again), "kraken: no ack"
    assert any(m.get("channel") == "book" and m.get("type") == "snapshot" for m in again), "kraken: no snapshot"

def coinbase():
    w = WS(cb, "/", ca)
    for ch in ("heartbeats", "level2", "market_trades"):
        w.send(json.dumps({"type": "subscribe", "channel": ch, "product_ids": ["BTC-USD"]}))
    muted, again = check("coinbase", w, ['{"type":"subscribe","channel":"level2","product_ids":["BTC-USD"]}'])
    hb = [m["sequence_num"] for m in muted if m.get("channel") == "heartbeats"]
    assert len(hb) >= 2 and hb == list(range(hb[0], hb[0] + len(hb))), f"coinbase: heartbeats {hb}"
    assert any(m.get("channel") == "l2_data" and m["events"][0]["type"] == "snapshot" for m in again), \
        "coinbase: no snapshot"

def bitstamp():
    w = WS(bs, "/", ca)
    for ch in ("diff_order_book_btcusd", "live_trades_btcusd"):
        w.send(json.dumps({"event": "bts:subscribe", "data": {"channel": ch}}))
    muted, again = check("bitstamp", w, ['{"event":"bts:subscribe","data":{"channel":"live_trades_btcusd"}}'],
                         lambda w: w.send('{"event":"bts:heartbeat"}'))
    assert any(m.get("event") == "bts:heartbeat" for m in muted), f"bitstamp: no heartbeat reply: {muted}"

def run(f):
    try:
        f()
        print(f.__name__, "mute: ok")
    except Exception as e:  # noqa: BLE001 - reported below
        errors.append(f"{f.__name__}: {e!r}")

th = [threading.Thread(target=run, args=(f,)) for f in (kraken, coinbase, bitstamp)]
for t in th:
    t.start()
for t in th:
    t.join()
assert not errors, errors
PY
for v in kraken coinbase bitstamp; do
    mx_log_has "\"venue\":\"$v\",\"conn\":1,\"kind\":\"mute\"" || fail "$v: mute not in the request log"
    mx_log_has "\"venue\":\"$v\",\"conn\":1,\"kind\":\"unmute\"" || fail "$v: unmute not in the request log"
done

wait $pn || fail "night client: $(cat "$T/night.out")"
wait $pl || fail "live client: $(cat "$T/live.out")"
echo "night: $(cat "$T/night.out")"
echo "live: $(cat "$T/live.out")"
$PY - "$T/night.out" "$T/live.out" <<'PY' || fail "activity"
import json, sys
n, l = (json.load(open(p)) for p in sys.argv[1:3])
assert n["max_gap"] > 2.0, f"night: no gap over 2 s: {n}"
assert n["rate"] < 0.3 * 20, f"night: not thin: {n}"
assert 50 <= l["rate"] <= 160, f"live: mean rate not near --rate 100: {l}"
assert l["close"] >= 0.1, f"live: no bursts (gaps under 4 ms): {l}"
PY
echo ok
