# mockx: subscribe acks and errors, venue heartbeats, Bitstamp's heartbeat
# reply and Kraken's pong, as each venue sends them; every client frame
# (fragmented ones reassembled) is in the log.
. tests/integration/lib.sh
. tests/integration/mockxlib.sh
mx_start --serve coinbase=127.0.0.1:0 --serve kraken=127.0.0.1:0 --serve bitstamp=127.0.0.1:0 --world --rate 5
$PY - "$coinbase" "$kraken" "$bitstamp" "$CA" <<'PY' || fail "acks"
import json, sys, time
sys.path.insert(0, "tests/mockx")
from wsclient import WS
cb, kr, bs, ca = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

def take(ws, pred, t=5):
    end = time.time() + t
    while time.time() < end:
        k, d = ws.recv(max(0.05, end - time.time()))
        if k == "text":
            m = json.loads(d)
            if pred(m):
                return m
    raise SystemExit(f"timeout waiting for frame")

w = WS(cb, "/", ca)
w.send('{"type":"subscribe","channel":"heartbeats"}')
m = take(w, lambda m: m.get("channel") == "subscriptions")
assert m["events"][0]["subscriptions"] == {"heartbeats": ["heartbeats"]}, m
w.send('{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}', fragments=4)
m = take(w, lambda m: m.get("channel") == "subscriptions")
assert m["events"][0]["subscriptions"] == {"level2": ["BTC-USD"], "heartbeats": ["heartbeats"]}, m
take(w, lambda m: m.get("channel") == "l2_data" and m["events"][0]["type"] == "snapshot")
hb = take(w, lambda m: m.get("channel") == "heartbeats", 3)
assert isinstance(hb["events"][0]["heartbeat_counter"], int), hb
w.send('{"type":"subscribe","product_ids":["ETH-EUR"],"channel":"level2"}')
m = take(w, lambda m: m.get("type") == "error")
assert "ETH-EUR" in m["message"], m
w.send('{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level9"}')
take(w, lambda m: m.get("type") == "error")
w.close()

w = WS(kr, "/v2", ca)
take(w, lambda m: m.get("channel") == "status")
w.send('{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":25},"req_id":7}')
m = take(w, lambda m: m.get("method") == "subscribe")
assert m["success"] is True and m["req_id"] == 7 and m["result"]["depth"] == 25, m
m = take(w, lambda m: m.get("channel") == "book")
assert m["type"] == "snapshot" and len(m["data"][0]["bids"]) == 25, m
w.send('{"method":"subscribe","params":{"channel":"book","symbol":["XBT/USD"]},"req_id":8}')
m = take(w, lambda m: m.get("method") == "subscribe" and m.get("req_id") == 8)
assert m["success"] is False and m["error"] == "Currency pair not supported XBT/USD" and m["symbol"] == "XBT/USD", m
w.send('{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":11},"req_id":9}')
m = take(w, lambda m: m.get("req_id") == 9)
assert m["success"] is False, m
w.send('{"method":"ping","req_id":42}')
m = take(w, lambda m: m.get("method") == "pong")
assert m["req_id"] == 42, m
w.close()

w = WS(bs, "/", ca)
w.send('{"event":"bts:subscribe","data":{"channel":"order_book_btcusd"}}')
m = take(w, lambda m: m.get("event") == "bts:subscription_succeeded")
assert m == {"event": "bts:subscription_succeeded", "channel": "order_book_btcusd", "data": {}}, m
w.send('{"event":"bts:heartbeat"}')
m = take(w, lambda m: m.get("event") == "bts:heartbeat")
assert m == {"event": "bts:heartbeat", "channel": "", "data": {"status": "success"}}, m
w.send('{"event":"bts:subscribe","data":{"channel":"order_book_ethbtc"}}')
m = take(w, lambda m: m.get("event") == "bts:error")
w.send('not json')
m = take(w, lambda m: m.get("event") == "bts:error")
assert m["data"]["message"] == "Incorrect JSON format.", m
w.close()
PY
# the fragmented subscribe was logged whole, as was every other frame
mx_log_has '"venue":"coinbase","conn":1,"kind":"frame","len":[0-9]+,.*"json":\{"type":"subscribe","product_ids":\["BTC-USD"\],"channel":"level2"\}' ||
    fail "fragmented frame not logged whole"
mx_log_has '"venue":"bitstamp".*"text":"not json"' || fail "non-JSON frame not logged"
mx_log_has '"venue":"kraken".*"kind":"open"' || fail "no open event"
echo ok
