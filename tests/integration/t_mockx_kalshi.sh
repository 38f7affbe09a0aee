# mockx's Kalshi: the signed upgrade (good key 101; wrong key, skew > 30 s,
# missing headers 401; logged with sig_ok), every command's reply and error
# code, pings every --ping-s with payload "heartbeat", per-sid seq continuity
# across window rolls, REST paging, and script-mode REST from fixture files
# with --rest-429-every.
. tests/integration/lib.sh
. tests/integration/mockxlib.sh
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/wrong.pem" 2>/dev/null ||
    fail "openssl genpkey"
mx_start --serve kalshi=127.0.0.1:0 --world --window-s 8 --kalshi-pubkey "$PUB" --ping-s 0.5
$PY "$MX/check_kalshi.py" auth "$kalshi" "$CA" "$KEY" "$T/wrong.pem" || fail "auth"
mx_log_has '"kind":"http","method":"GET","path":"/trade-api/ws/v2","status":101,"sig_ok":true' ||
    fail "verified upgrade not logged"
mx_log_has '"status":401,"sig_ok":false' || fail "refused upgrade not logged"
$PY "$MX/check_kalshi.py" commands "$kalshi" "$CA" "$KEY" || fail "commands"
$PY "$MX/check_kalshi.py" rest "$kalshi" "$CA" || fail "rest"
$PY - "$kalshi" "$CA" "$KEY" <<'PY' || fail "pings"
import sys, time
sys.path.insert(0, "tests/mockx")
from wsclient import WS
from check_kalshi import sign_headers
w = WS(int(sys.argv[1]), "/trade-api/ws/v2", sys.argv[2], sign_headers(sys.argv[3]))
t = []
end = time.time() + 2.2
while time.time() < end:
    k, d = w.recv(max(0.05, end - time.time()))
    if k == "ping":
        assert d == b"heartbeat", d
        t.append(time.time())
assert len(t) >= 3, t
PY
# 20 s over at least two window rolls: every seq-bearing sid contiguous
$PY "$MX/check_kalshi.py" seq "$kalshi" "$CA" "$KEY" 20 >"$T/seq.out" || fail "seq: $(cat "$T/seq.out")"
$PY - "$T/seq.out" <<'PY' || fail "windows did not roll: $(cat "$T/seq.out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["markets"]) >= 3, d
assert d["counts"]["life"] >= 6, d
PY
kill "$LAST"

# script mode REST from the fixture files
KX="$ROOT/tests/fixtures/kalshi"
mx_start --serve kalshi=127.0.0.1:0 --kalshi-rest "$KX" --rest-429-every 5
$PY - "$kalshi" "$CA" "$KX" <<'PY' || fail "script-mode REST"
import json, sys
sys.path.insert(0, "tests/mockx")
from wsclient import http_get
port, ca, kx = int(sys.argv[1]), sys.argv[2], sys.argv[3]
n = 0
def get(path):
    global n
    n += 1
    return http_get(port, path, ca)
st, b = get("/trade-api/v2/markets?series_ticker=KXBTC15M&status=open")
assert st == 200 and b == open(f"{kx}/rest_get_markets_open.json", "rb").read(), st
st, b = get("/trade-api/v2/markets?series_ticker=KXBTC15M&status=unopened&limit=1")
assert st == 200 and b == open(f"{kx}/rest_get_markets_unopened.json", "rb").read(), st
st, b = get("/trade-api/v2/markets/KXBTC15M-26NOV280715-15")
assert st == 200 and json.loads(b)["market"]["status"] == "active", st
st, b = get("/trade-api/v2/markets/KXBTC15M-26NOV280715-15/orderbook")
assert st == 200 and b == open(f"{kx}/rest_get_orderbook.json", "rb").read(), st
st, b = get("/trade-api/v2/series/KXBTC15M")         # 5th request: 429
assert st == 429 and json.loads(b) == {"error": "too many requests"}, (st, b)
st, b = get("/trade-api/v2/series/KXBTC15M")
assert st == 200 and b == open(f"{kx}/rest_get_series.json", "rb").read(), st
st, b = get("/trade-api/v2/markets?series_ticker=KXBTC15M&status=settled")
assert st == 200 and json.loads(b)["markets"][0]["result"] == "yes", (st, b)
st, b = get("/trade-api/v2/markets?series_ticker=KXBTC15M&status=unopened&cursor=abc")
assert st == 200 and json.loads(b) == {"markets": [], "cursor": ""}, b
st, b = get("/trade-api/v2/markets/NOPE")
assert st == 404, st
PY
mx_log_has '"kind":"http","method":"GET","path":"/trade-api/v2/markets","query":"series_ticker=KXBTC15M&status=open","status":200' ||
    fail "REST request not logged with its query"
echo ok
