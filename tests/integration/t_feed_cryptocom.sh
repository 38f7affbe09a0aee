# feed-cryptocom against mockx over TLS (verification on):
# 1. the fixture session (cryptocom/btcusd_session.jsonl) served as a script gives exactly
#    the quote/trade messages of cryptocom.golden, and its public/heartbeat is answered with
#    public/respond-heartbeat and the same id;
# 2. the world, with a public/heartbeat every second: quotes, a valid book and trades; every
#    heartbeat answered (mockx closes a connection that leaves two unanswered: a client that
#    never answers is closed with code 1000 and `heartbeat_timeout` in the log, the feed's
#    never is); a world `gap` (one book.update never sent) breaks the pu chain: event.gap and
#    event.resync `sequence`, unsubscribe + subscribe on the same connection, valid again after
#    the fresh snapshot; a `stall` is seen by the dead timer: event.reconnect dead, then quotes
#    from the new connection.
. tests/integration/lib.sh
. tests/integration/feedlib.sh
{ echo '{"mockx":"await_subscribe"}'; cat "$FX/cryptocom/btcusd_session.jsonl"; } >"$T/cdc.jsonl"
golden_script cryptocom "$T/cdc.jsonl" "$FX/cryptocom.golden"
F="$T/mockx-frames.jsonl"
grep -q '"json":{"id":1,"method":"subscribe","params":{"channels":\["book.BTC_USD.10"\],"book_subscription_type":"SNAPSHOT_AND_UPDATE"' "$F" ||
    fail "script: mockx saw no book.BTC_USD.10 subscribe"
grep -q '"json":{"id":2,"method":"subscribe","params":{"channels":\["trade.BTC_USD"\]' "$F" ||
    fail "script: mockx saw no trade.BTC_USD subscribe"
wait_for 5 grep -q '"json":{"id":1782032467342,"method":"public/respond-heartbeat"}' "$F" ||
    fail "script: the scripted heartbeat was not answered with its id"
phase_end script

mockx_start --serve cryptocom=127.0.0.1:0 --world --rate 100 --cryptocom-heartbeat-s 1 \
    --fault cryptocom:gap@6 --fault cryptocom:stall@13
# an independent client that subscribes and never answers a heartbeat: closed at the third
python3 - "$(port_of cryptocom)" "$T/tls/ca.pem" >"$T/silent.out" 2>&1 <<'PY' &
import sys, time
sys.path.insert(0, "tests/mockx")
from wsclient import WS
w = WS(int(sys.argv[1]), "/", sys.argv[2])
w.send('{"id":1,"method":"subscribe","params":{"channels":["book.BTC_USD.10"]}}')
t0, hb = time.time(), 0
while time.time() - t0 < 5.5:
    k, d = w.recv(max(0.05, 5.5 - (time.time() - t0)))
    if k == "text":
        hb += '"public/heartbeat"' in d
    elif k != "ping":
        break
assert k == "close" and d[:2] == b"\x03\xe8", (k, d)
assert hb == 2 and 2.5 < time.time() - t0 < 4.5, (hb, time.time() - t0)
print("closed after", hb, "heartbeats:", d[2:].decode())
PY
silent=$!
tap_start
feed_start cryptocom --depth 10 --ping-interval 1 --dead-after 3 --probe-timeout 0 \
    --backoff-min 0.2 --backoff-max 1
wait_for 10 seen '^quote\.cryptocom\.BTC-USD ' || fail "world: no quote"
wait_for 10 seen '^book\.cryptocom\..*"valid":true' || fail "world: no valid book"
wait_for 10 seen '^trade\.cryptocom\.BTC-USD .*"side":"(buy|sell)","id":"[0-9]+"' || fail "world: no trade"
wait "$silent" || fail "a client that does not answer heartbeats was not closed: $(cat "$T/silent.out")"
wait_for 15 seen '^event\.gap .*"venue":"cryptocom","reason":"sequence"' || fail "gap not detected"
seen '^event\.resync .*"venue":"cryptocom","reason":"sequence"' || fail "gap: no event.resync"
wait_for 10 after '^event\.gap .*"venue":"cryptocom"' '^book\.cryptocom\..*"valid":true' ||
    fail "book not valid again after the resync"
grep -q '"json":{"id":3,"method":"unsubscribe","params":{"channels":\["book.BTC_USD.10"\]}' "$F" ||
    fail "gap: no unsubscribe of the book"
[ "$(hb cryptocom connects)" = 1 ] || fail "the gap needed a reconnect: connects=$(hb cryptocom connects)"
wait_for 15 seen '^event\.reconnect .*"venue":"cryptocom","reason":"dead"' || fail "stall not detected"
wait_for 10 after '"reason":"dead"' '^quote\.cryptocom\.BTC-USD ' || fail "no quote after the reconnect"
# the feed answered every heartbeat: mockx timed out only the silent client
n=$(grep -c '"method":"public/respond-heartbeat"}' "$F")
[ "$n" -ge 5 ] || fail "only $n heartbeat answers from the feed"
[ "$(grep -c '"kind":"heartbeat_timeout"' "$F")" = 1 ] || fail "heartbeat timeouts: $(grep -c heartbeat_timeout "$F") (1 expected: the silent client)"
hb_ge cryptocom gaps 1 && hb_ge cryptocom dead 1 || fail "hb does not count gaps/dead"
[ "$(hb cryptocom bad_frames)" = 0 ] || fail "bad frames: $(hb cryptocom bad_frames)"
echo ok
