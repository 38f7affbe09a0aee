# kalshireplay drives the socket-free Kalshi session (kalshi_ws.h) from frame
# files: (1) the fixture session ends in the book of
# ws_session_kxbtc15m.expected_book.json (every level, the top of book, the
# last trade, the volume, the frame counts); the seq-gap fixture asks for a
# snapshot and ends valid; the lifecycle and BRTI fixtures have no bad frame.
# (2) Round trip: feed-kalshi --record against mockx's world (10 s windows,
# two rollovers), the recording replayed: no bad frame, no book crossed, the
# same trades, tickers and BRTI values the live feed published, and the
# content of every valid kalshi.book it published, in order.
. tests/integration/lib.sh
K=tests/fixtures/kalshi
R="$BIN/kalshireplay"
"$R" $K/ws_session_kxbtc15m.jsonl >"$T/session.out" 2>"$T/session.err" || fail "kalshireplay failed"
python3 - "$T/session.out" $K/ws_session_kxbtc15m.expected_book.json <<'PY' || fail "session: not the expected book"
import json, sys
from decimal import Decimal as D
out = open(sys.argv[1]).read().splitlines()
want = json.load(open(sys.argv[2]))
t = want["market_ticker"]
st = dict(kv.split("=") for kv in [l for l in out if l.startswith("stats ")][-1].split()[1:])
fc = want["frame_counts"]
assert int(st["frames"]) == want["frames_total"], st
assert int(st["ctrl"]) == fc["subscribed"] and int(st["snapshots"]) == fc["orderbook_snapshot"], st
assert int(st["deltas"]) == fc["orderbook_delta"] and int(st["tickers"]) == fc["ticker"], st
assert int(st["trades"]) == fc["trade"] == want["trades"]["count"], st
assert st["bad"] == st["gaps"] == st["foreign_sid"] == "0", st
fin = json.loads([l for l in out if l.startswith("final %s " % t)][0].split(" ", 2)[2])
assert fin["valid"] is True
# the ladders best first; the file's levels ascending (both sides are bids)
for side, key in (("yes_bids", "yes_dollars_fp"), ("no_bids", "no_dollars_fp")):
    got = [(D(str(p)), D(str(s))) for p, s in fin[side]]
    exp = sorted(((D(p), D(s)) for p, s in want[key]), reverse=True)
    assert got == exp, (side, got, exp)
top = want["top_of_book"]
for k in ("yes_bid", "yes_ask", "no_bid", "no_ask"):
    assert D(str(fin[k])) == D(top[k + "_dollars"]), k
    assert D(str(fin[k + "_size"])) == D(top[k + "_size_fp"]), k
trades = [json.loads(l.split(" ", 2)[2]) for l in out if l.startswith("kalshi.trade.")]
assert D(str(trades[-1]["yes_price"])) == D(want["last_trade"]["yes_price_dollars"])
assert D(str(trades[-1]["count"])) == D(want["last_trade"]["count_fp"])
assert trades[-1]["seq"] == want["trades"]["last_seq_sid3"]
tick = [json.loads(l.split(" ", 2)[2]) for l in out if l.startswith("kalshi.ticker.")]
assert D(str(tick[-1]["volume"])) == D(want["volume_fp_after"])
books = [json.loads(l.split(" ", 2)[2]) for l in out if l.startswith("kalshi.book.")]
assert books[-1]["seq"] == want["last_seq"]
print("session: %d levels, top, trade, volume, counts as expected" % (len(fin["yes_bids"]) + len(fin["no_bids"])))
PY
"$R" $K/ws_seq_gap.jsonl >"$T/gap.out" 2>/dev/null || fail "kalshireplay seq gap failed"
grep -q '^stats .* bad=0 .* gaps=1 resyncs=1 ' "$T/gap.out" || fail "seq gap: $(grep ^stats "$T/gap.out")"
grep -q '^sent .*"action":"get_snapshot"' "$T/gap.out" || fail "seq gap: no get_snapshot sent"
grep -q '^final .* {"valid":true' "$T/gap.out" || fail "seq gap: book not valid at the end"
for f in ws_lifecycle_kxbtc15m ws_cfbenchmarks_value; do
    "$R" $K/$f.jsonl >"$T/$f.out" 2>/dev/null || fail "$f: kalshireplay failed"
    grep -q '^stats .* bad=0 unknown=0 ' "$T/$f.out" || fail "$f: $(grep ^stats "$T/$f.out")"
done
[ "$(grep -c '^lifecycle ' "$T/ws_lifecycle_kxbtc15m.out")" = 4 ] || fail "lifecycle: not 4 hints"
[ "$(grep -c '^index.brti ' "$T/ws_cfbenchmarks_value.out")" = 3 ] || fail "brti: not 3 values"

# 2. the round trip, under both subscribe behaviours (mockx --kalshi-subs)
SUBS=${SUBS:-new shared}
cp $K/test-key.pem "$T/key.pem" && chmod 600 "$T/key.pem"
for subs in $SUBS; do
rm -f "$T/k.rec" "$T/tap.out" "$T/mockx.out"
bg mockx "$BIN/mockx" --tls-dir "$T/tls" --serve kalshi=127.0.0.1:0 --world --window-s 10 \
    --kalshi-pubkey $K/test-key.pub.pem --log "$T/mx.jsonl" --kalshi-subs $subs
mx=$LAST
wait_for 10 grep -q '^kalshi=' "$T/mockx.out" || fail "mockx did not start"
P=$(sed -n 's/^kalshi=//p' "$T/mockx.out")
bg tap "$BIN/tap" index.brti kalshi. hb.feed-kalshi
LAST_TAP=$LAST
sleep 0.3
bg feed "$BIN/feed-kalshi" --ws-url "wss://127.0.0.1:$P/trade-api/ws/v2" \
    --rest-url "https://127.0.0.1:$P/trade-api/v2" --ca-file "$T/tls/ca.pem" \
    --key-id test-key --key-file "$T/key.pem" --presubscribe 8 --grace 5 --record "$T/k.rec"
feed=$LAST
tap=$LAST_TAP
sleep 25
kill $feed
sleep 1
kill $mx $tap
[ "$(stat -c %a "$T/k.rec")" = 600 ] || fail "record file mode $(stat -c %a "$T/k.rec")"
"$R" "$T/k.rec" >"$T/k.out" 2>"$T/k.err" || fail "$subs: kalshireplay of the recording failed"
python3 - "$T/tap.out" "$T/k.out" $subs <<'PY' || fail "$subs: the replay differs from the live feed"
import json, re, sys
sys.path.insert(0, 'tests/integration')
import replay_check
tap, rep, subs = sys.argv[1:]
pat = re.compile(r'^\{"src":"[^"]*","epoch":"[^"]*","seq":\d+,"ts_rx":\d+,"ts_ex":(null|-?\d+),"ts_pub":\d+,(.*)\}$')
def content(topic, body):
    return topic + ' {' + re.sub(r',"age_ms":-?\d+', '', body) + '}'
live, lbooks = [], {}
for l in open(tap):
    topic, _, env = l.rstrip('\n').partition(' ')
    if not (topic.startswith('kalshi.') or topic == 'index.brti') or topic.startswith('kalshi.market.'):
        continue
    m = pat.match(env)
    if not m: sys.exit('bad envelope: ' + l)
    if topic.startswith('kalshi.book.'):
        if '"valid":true' in m.group(2) and '"source":"ws"' in m.group(2):
            b = lbooks.setdefault(topic, [])
            c = content(topic, m.group(2))
            if not b or b[-1] != c: b.append(c)
    else:
        live.append('%s %s {%s}' % (topic, '-1' if m.group(1) == 'null' else m.group(1), m.group(2)))
out = open(rep).read().splitlines()
st = dict(kv.split('=') for kv in [l for l in out if l.startswith('stats ')][-1].split()[1:])
assert st['bad'] == st['unknown'] == st['subscribed_unmapped'] == '0', st
assert int(st['snapshots']) >= 3 and int(st['deltas']) > 0, st
replay = [l for l in out if l.startswith('kalshi.trade.') or l.startswith('kalshi.ticker.') or l.startswith('index.brti')]
rbooks = {}
for l in out:
    if l.startswith('kalshi.book.'):
        topic, ts, body = l.split(' ', 2)
        d = json.loads(body)
        if d['valid'] and d['yes_bid'] is not None and d['yes_ask'] is not None:
            assert d['yes_bid'] < d['yes_ask'], 'crossed: ' + l
        if d['valid']:
            rbooks.setdefault(topic, []).append(content(topic, body[1:-1]))
k = replay_check.tail(live, replay, 'trade/ticker/brti messages')
nb = sum(replay_check.in_order(bs, rbooks.get(t, [])) for t, bs in lbooks.items())
print(subs + ' round trip: %d frames, %d markets, %d trade/ticker/brti (first %d before the tap joined), '
      '%d live books in the replay' % (int(st['frames']), int(st['markets']), len(live), k, nb))
PY
done
echo ok
