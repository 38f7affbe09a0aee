# feed-gemini against mockx over TLS (verification on):
# 1. the fixture session (gemini_v2/btcusd_session.jsonl) served as a script gives exactly
#    the quote/trade messages of gemini.golden;
# 2. the world: quotes, a valid book and trades from the l2 subscription; a world `mute`
#    (heartbeats go on, market data stops) is seen by the data timer: event.resync stale,
#    unsubscribe + subscribe on the same connection, and the fresh book (told by its
#    `trades` key) makes the book valid again; a `stall` is seen by the dead timer:
#    event.reconnect dead, and quotes come again from the new connection.
. tests/integration/lib.sh
. tests/integration/feedlib.sh
{ echo '{"mockx":"await_subscribe"}'; echo '{"mockx":"sleep","ms":1000}'
  cat "$FX/gemini_v2/btcusd_session.jsonl"; } >"$T/gemini.jsonl"
golden_script gemini "$T/gemini.jsonl" "$FX/gemini.golden"
grep -q '"json":{"type":"subscribe","subscriptions":\[{"name":"l2","symbols":\["BTCUSD"\]}\]}' \
    "$T/mockx-frames.jsonl" || fail "script: mockx saw no l2 subscribe for BTCUSD"
phase_end script

mockx_start --serve gemini=127.0.0.1:0 --world --rate 100 --fault gemini:mute@6 --fault gemini:stall@14
tap_start
feed_start gemini --depth 10 --stale-after 2 --ping-interval 1 --dead-after 3 --probe-timeout 0 \
    --backoff-min 0.2 --backoff-max 1
wait_for 10 seen '^quote\.gemini\.BTC-USD ' || fail "world: no quote"
wait_for 10 seen '^book\.gemini\..*"valid":true' || fail "world: no valid book"
wait_for 10 seen '^trade\.gemini\.BTC-USD .*"side":"(buy|sell)","id":"[0-9]+"' || fail "world: no trade"
wait_for 15 seen '^event\.resync .*"venue":"gemini","reason":"stale"' || fail "mute not detected"
wait_for 10 after '^event\.resync .*"reason":"stale"' '^book\.gemini\..*"valid":true' ||
    fail "book not valid again after the resubscribe"
grep -q '"venue":"gemini","conn":1,"kind":"unmute"' "$T/mockx-frames.jsonl" ||
    fail "the mute was not ended by a subscribe on the same connection"
grep -q '"json":{"type":"unsubscribe","subscriptions":\[{"name":"l2"' "$T/mockx-frames.jsonl" || fail "no unsubscribe before the resubscribe"
[ "$(hb gemini connects)" = 1 ] || fail "the mute needed a reconnect: connects=$(hb gemini connects)"
wait_for 15 seen '^event\.reconnect .*"venue":"gemini","reason":"dead"' || fail "stall not detected"
wait_for 10 after '"reason":"dead"' '^quote\.gemini\.BTC-USD ' || fail "no quote after the reconnect"
wait_for 5 hb_ge gemini connects 2 || fail "hb connects"
hb_ge gemini dead 1 && hb_ge gemini stale 1 || fail "hb does not count dead/stale"
[ "$(hb gemini bad_frames)" = 0 ] || fail "bad frames: $(hb gemini bad_frames)"
echo ok
