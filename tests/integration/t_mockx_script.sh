# mockx script mode: every fixture session is served verbatim; each directive
# behaves as named (await_subscribe, sleep, raw, big, close, stall, mute,
# hang_handshake); successive --script files serve successive connections and
# the last one repeats.
. tests/integration/lib.sh
. tests/integration/mockxlib.sh
FX="$ROOT/tests/fixtures/exchanges"
KX="$ROOT/tests/fixtures/kalshi"
printf '%s\n' '{"mockx":"await_subscribe"}' '{"n":1}' '{"mockx":"sleep","ms":600}' '{"n":2}' \
    '{"mockx":"raw","text":"this is {not json"}' '{"mockx":"big","bytes":300000}' '{"mockx":"close"}' >"$T/s1.jsonl"
printf '%s\n' '{"n":1}' '{"mockx":"stall"}' >"$T/s2.jsonl"
{ cat "$FX/kraken_v2/btcusd_session.jsonl"; echo '{"mockx":"mute"}'; } >"$T/s3.jsonl"
printf '%s\n' '{"mockx":"hang_handshake"}' >"$T/s4.jsonl"
{ cat "$FX/coinbase_advanced/btcusd_session.jsonl"; echo '{"mockx":"mute"}'; } >"$T/cb.jsonl"
mx_start --serve kraken=127.0.0.1:0 --serve coinbase=127.0.0.1:0 --serve bitstamp=127.0.0.1:0 \
    --serve kalshi=127.0.0.1:0 --kalshi-pubkey "$PUB" \
    --script kraken="$T/s1.jsonl" --script kraken="$T/s2.jsonl" --script kraken="$T/s3.jsonl" \
    --script kraken="$T/s4.jsonl" --script coinbase="$T/cb.jsonl" \
    --script bitstamp="$FX/bitstamp/btcusd_session.jsonl" --script kalshi="$KX/ws_session_kxbtc15m.jsonl"
$PY - "$kraken" "$coinbase" "$bitstamp" "$kalshi" "$CA" "$FX" "$KX" "$KEY" <<'PY' || fail "script mode"
import json, socket, ssl, sys, time
sys.path.insert(0, "tests/mockx")
from wsclient import WS
from check_kalshi import sign_headers
kr, cb, bs, ka = map(int, sys.argv[1:5])
ca, fx, kx, key = sys.argv[5:9]

def lines(p):
    return [l.rstrip("\n") for l in open(p) if l.strip()]

def verbatim(port, path, session, requests, headers=None):
    w = WS(port, path, ca, headers)
    for r in requests:
        w.send(r)
    want = lines(session)
    got = []
    while len(got) < len(want):
        k, d = w.recv(5)
        assert k == "text", (k, len(got))
        got.append(d)
    for i, (a, b) in enumerate(zip(got, want)):
        assert a == b, f"{session} line {i + 1} differs"
    return w

# connection 1: await_subscribe, sleep, raw, big, close
w = WS(kr, "/v2", ca)
assert w.recv(0.7) == ("timeout", None), "sent before the subscribe"
w.send('{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]}}')
k, d = w.recv(3); assert k == "text" and json.loads(d)["success"] is True, (k, d)  # generated ack
k, d = w.recv(3); assert (k, d) == ("text", '{"n":1}'), (k, d)
t0 = time.time()
k, d = w.recv(3); assert (k, d) == ("text", '{"n":2}'), (k, d)
assert 0.5 <= time.time() - t0 < 1.5, time.time() - t0
k, d = w.recv(3); assert (k, d) == ("text", "this is {not json"), (k, d)
k, d = w.recv(3); assert k == "text" and len(d) == 300000 and json.loads(d)["mockx"] == "big", (k, len(d or ""))
k, d = w.recv(3); assert k == "eof", f"close directive: got {k} (a close frame is not allowed)"
print("await_subscribe sleep raw big close: ok")

# connection 2: stall: open, silent, pings unanswered
w = WS(kr, "/v2", ca)
k, d = w.recv(3); assert (k, d) == ("text", '{"n":1}'), (k, d)
time.sleep(0.3)
w.ping(b"are you there")
w.send('{"method":"ping","req_id":1}')
k, d = w.recv(2.5); assert k == "timeout", f"stalled connection sent {k} {d!r}"
print("stall: ok")

# connection 3: fixture verbatim, then mute: pongs and heartbeats, no data
w = verbatim(kr, "/v2", f"{fx}/kraken_v2/btcusd_session.jsonl", lines(f"{fx}/kraken_v2/client_requests.jsonl")[:3])
w.send('{"method":"ping","req_id":77}')
seen = []
end = time.time() + 3
while time.time() < end:
    k, d = w.recv(max(0.05, end - time.time()))
    if k == "text":
        seen.append(json.loads(d))
assert any(m.get("method") == "pong" and m.get("req_id") == 77 for m in seen), seen
assert sum(m == {"channel": "heartbeat"} for m in seen) >= 2, seen
assert not [m for m in seen if m.get("channel") in ("book", "trade", "ticker")], seen
w.ping(b"p")
print("kraken fixture verbatim, mute: ok")

# connections 4 and 5: hang_handshake (the last script repeats)
for n in (4, 5):
    raw = socket.create_connection(("127.0.0.1", kr), timeout=1.5)
    try:
        ssl.create_default_context(cafile=ca).wrap_socket(raw, server_hostname="localhost")
        raise SystemExit(f"connection {n}: TLS handshake completed")
    except (socket.timeout, TimeoutError):
        pass
    raw.close()
print("hang_handshake (repeating): ok")

# coinbase fixture verbatim, then mute: heartbeats continue the sequence
w = verbatim(cb, "/", f"{fx}/coinbase_advanced/btcusd_session.jsonl", lines(f"{fx}/coinbase_advanced/client_requests.jsonl"))
last = json.loads(lines(f"{fx}/coinbase_advanced/btcusd_session.jsonl")[-1])["sequence_num"]
hb = []
while len(hb) < 2:
    k, d = w.recv(3)
    assert k == "text", k
    hb.append(json.loads(d))
assert [m["channel"] for m in hb] == ["heartbeats"] * 2, hb
assert [m["sequence_num"] for m in hb] == [last + 1, last + 2], hb
print("coinbase fixture verbatim, mute heartbeats continue sequence_num: ok")

verbatim(bs, "/", f"{fx}/bitstamp/btcusd_session.jsonl", lines(f"{fx}/bitstamp/client_requests.jsonl")[:3])
print("bitstamp fixture verbatim: ok")
verbatim(ka, "/trade-api/ws/v2", f"{kx}/ws_session_kxbtc15m.jsonl",
         lines(f"{kx}/ws_client_commands.jsonl")[:1], sign_headers(key))
print("kalshi fixture verbatim: ok")
PY
grep -q '"venue":"kraken","conn":4,"kind":"hang_handshake"' "$T/mx.jsonl" || fail "hang not logged"
grep -q '"venue":"kraken","conn":5,"kind":"hang_handshake"' "$T/mx.jsonl" || fail "last script does not repeat"
grep -q '"venue":"kraken","conn":2,"kind":"frame"' "$T/mx.jsonl" && fail "a stalled connection read frames"
grep -q '"venue":"kraken","conn":3,.*"json":{"method":"ping","req_id":77}' "$T/mx.jsonl" || fail "frame not logged"
echo ok
