# feed-kalshi finds a muted connection on its own evidence (docs/KALSHI.md, 'Telling quiet
# from dead'): Kalshi's index comes once a second whatever the market, so a silence far past
# the learned gaps while the command path still answers (list_subscriptions probes) is a
# mute, with no other venue to ask. mockx's world (--rate 50) mutes the connection at 30 s:
# market data and the index stop, commands are answered. The feed must reconnect with
# reason mute well before the 15 s data timer, and the data must come back; in the 28 s of
# healthy world before the fault it must not reconnect at all.
. tests/integration/lib.sh
. tests/integration/kalshilib.sh
kalshi_world 120 --rate 50 --fault kalshi:mute@30
bg tap "$BIN/tap" event. hb.feed-kalshi kalshi.ticker.
sleep 0.3
kalshi_feed --backoff-max 1
wait_for 40 grep -q '"kind":"mute"' "$T/mx.jsonl" || fail "mockx did not mute the connection"
tm=$(grep -m 1 '"kind":"mute"' "$T/mx.jsonl" | grep -o '"ts_ms":[0-9]*' | cut -d: -f2)
grep '^event\.reconnect' "$T/tap.out" | grep -o '"ts_pub":[0-9]*' | cut -d: -f2 | while read -r t; do
    [ $((t / 1000000)) -lt "$tm" ] && { echo "FAIL: a reconnect before the fault" >&2; exit 1; }
done || fail "a false alarm in the healthy world: $(grep '^event\.reconnect' "$T/tap.out" | head -n 2)"
wait_for 12 grep -q '^event\.reconnect .*"reason":"mute"' "$T/tap.out" ||
    fail "the mute was not found within 12 s: $(grep -o '"reason":"[a-z_]*"' "$T/tap.out" | head -n 3); $(grep -E 'muted|probe' "$T/feed.log" | tail -n 2)"
td=$(grep -m 1 '^event\.reconnect .*"reason":"mute"' "$T/tap.out" | grep -o '"ts_pub":[0-9]*' | cut -d: -f2)
dt=$((td / 1000000 - tm))
echo "kalshi muted at $tm ms: reconnected (mute) after $dt ms (the data timer: 15000)"
[ "$dt" -lt 8000 ] || fail "the mute took $dt ms"
grep -q '"reason":"stale"' "$T/tap.out" && fail "the data timer fired first"
grep -q 'this venue.s data never pauses this long' "$T/feed.log" || fail "no log line naming the evidence"
# the data is back: a ticker after the reconnect
wait_for 10 awk '/^event\.reconnect .*"reason":"mute"/ {s=1; next} s && /^kalshi\.ticker\./ {f=1} END {exit !f}' "$T/tap.out" ||
    fail "no ticker after the reconnect"
echo ok
