# mockx world mode, checked by an independent client (tests/mockx/check_world.py):
# Kraken CRC32 of every book message recomputed from the raw number text at
# depths 10/100/1000, Coinbase sequence_num contiguous, Bitstamp top-100 books,
# Gemini's whole book then levels, Crypto.com's pu chain and heartbeats, all uncrossed, at a fixed rate and as fast as the client reads; then each
# fault kind is seen by the client when injected.
# san: skip: checks mockx (the test world) with a Python client and runs no program of the pipeline; mockx itself runs under the sanitizers in every feed test (t_feed_probe: world mode, mute and stall)
. tests/integration/lib.sh
. tests/integration/mockxlib.sh
W="$MX/check_world.py"
mx_start --serve coinbase=127.0.0.1:0 --serve kraken=127.0.0.1:0 --serve bitstamp=127.0.0.1:0 \
    --world --seed 7 --rate max
for d in 10 100 1000; do
    $PY "$W" kraken "$kraken" "$CA" 3 --depth $d >"$T/k$d.out" || fail "kraken depth $d: $(cat "$T/k$d.out")"
done
$PY "$W" coinbase "$coinbase" "$CA" 3 >"$T/cb.out" || fail "coinbase: $(cat "$T/cb.out")"
$PY "$W" bitstamp "$bitstamp" "$CA" 3 >"$T/bs.out" || fail "bitstamp: $(cat "$T/bs.out")"
$PY - "$T"/k10.out <<'PY' || fail "max rate too slow: $(cat "$T/k10.out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["book_msgs"] >= 1000, d       # well over a thousand checksummed messages a second
PY
kill "$LAST"

# fixed rate: about --rate market messages a second per connection
mx_start --serve kraken=127.0.0.1:0 --serve coinbase=127.0.0.1:0 --world --rate 200
$PY "$W" kraken "$kraken" "$CA" 4 >"$T/r.out" || fail "kraken rate 200: $(cat "$T/r.out")"
$PY - "$T/r.out" <<'PY' || fail "rate not kept: $(cat "$T/r.out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert 600 <= d["messages"] <= 900, d["messages"]
PY
kill "$LAST"

# faults, one per venue and kind, at 1.5 s
mx_start --serve kraken=127.0.0.1:0 --serve coinbase=127.0.0.1:0 --serve bitstamp=127.0.0.1:0 \
    --world --rate 100 --fault kraken:badsum@1.5 --fault coinbase:gap@1.5 --fault bitstamp:close@1.5
$PY "$W" kraken "$kraken" "$CA" 3 --expect-fault badsum >"$T/f1.out" & p1=$!
$PY "$W" coinbase "$coinbase" "$CA" 3 --expect-fault gap >"$T/f2.out" & p2=$!
$PY "$W" bitstamp "$bitstamp" "$CA" 3 --expect-fault eof >"$T/f3.out" & p3=$!
wait $p1 || fail "kraken badsum: $(cat "$T/f1.out")"
wait $p2 || fail "coinbase gap: $(cat "$T/f2.out")"
wait $p3 || fail "bitstamp close: $(cat "$T/f3.out")"
kill "$LAST"
mx_start --serve kraken=127.0.0.1:0 --serve coinbase=127.0.0.1:0 --serve cryptocom=127.0.0.1:0 \
    --serve gemini=127.0.0.1:0 --world --rate 100 --fault kraken:gap@1.5 --fault coinbase:garbage@1.5 \
    --fault cryptocom:gap@1.5 --fault gemini:garbage@1.5
$PY "$W" kraken "$kraken" "$CA" 3 --expect-fault gap >"$T/f4.out" & p1=$!
$PY "$W" coinbase "$coinbase" "$CA" 3 --expect-fault garbage >"$T/f5.out" & p2=$!
$PY "$W" cryptocom "$cryptocom" "$CA" 3 --expect-fault gap >"$T/f6.out" & p3=$!
$PY "$W" gemini "$gemini" "$CA" 3 --expect-fault garbage >"$T/f7.out" & p4=$!
wait $p1 || fail "kraken gap (seen as a checksum mismatch): $(cat "$T/f4.out")"
wait $p2 || fail "coinbase garbage: $(cat "$T/f5.out")"
wait $p3 || fail "cryptocom gap (a pu that is not the last u): $(cat "$T/f6.out")"
wait $p4 || fail "gemini garbage: $(cat "$T/f7.out")"
kill "$LAST"
# Gemini (whole book first, then absolute levels) and Crypto.com (u/pu chain, top-D full after
# every message at depth 10 and 50, every heartbeat answered, so the connection is kept)
mx_start --serve gemini=127.0.0.1:0 --serve cryptocom=127.0.0.1:0 --world --seed 7 --rate max \
    --cryptocom-heartbeat-s 0.5
$PY "$W" gemini "$gemini" "$CA" 3 >"$T/gm.out" || fail "gemini: $(cat "$T/gm.out")"
for d in 10 50; do
    $PY "$W" cryptocom "$cryptocom" "$CA" 3 --depth $d >"$T/cc$d.out" || fail "cryptocom depth $d: $(cat "$T/cc$d.out")"
done
$PY - "$T/gm.out" "$T/cc10.out" <<'PY' || fail "gemini/cryptocom too few: $(cat "$T/gm.out" "$T/cc10.out")"
import json, sys
g, c = (json.load(open(f)) for f in sys.argv[1:])
assert g["book_msgs"] >= 1000 and c["book_msgs"] >= 1000, (g, c)
assert c["heartbeats"] >= 4 and c["acks"] == 2, c
PY
kill "$LAST"
mx_start --serve kraken=127.0.0.1:0 --world --rate 100 --fault kraken:stall@1
$PY - "$kraken" "$CA" <<'PY' || fail "stall fault"
import sys, time
sys.path.insert(0, "tests/mockx")
from wsclient import WS
w = WS(int(sys.argv[1]), "/v2", sys.argv[2])
w.send('{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"]}}')
last = time.time()
end = time.time() + 3.5
while time.time() < end:
    k, d = w.recv(max(0.05, end - time.time()))
    if k == "text":
        last = time.time()
    assert k not in ("eof", "close"), k
assert time.time() - last > 2, "frames kept coming after the stall"
PY
echo ok
