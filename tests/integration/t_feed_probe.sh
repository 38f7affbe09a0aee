# Telling quiet from dead (docs/FEEDS.md): in mockx's world the three exchange
# feeds learn their venue's gaps; a stalled Kraken connection (nothing sent,
# nothing read) is probed ({"method":"ping"}, unanswered) and dropped with
# reason probe_timeout long before the 15 s dead/stale timers; quotes resume.
# Before that, a muted Kraken connection (pongs and heartbeats go on, book
# data stops) answers its probe while Coinbase and Bitstamp keep moving: a
# mute, resubscribed on the same connection (event.resync reason=mute), and
# the data comes back without a reconnect. The healthy venues never reconnect.
. tests/integration/lib.sh
. tests/integration/feedlib.sh
mockx_start --world --rate 50 --serve coinbase=127.0.0.1:0 --serve kraken=127.0.0.1:0 \
    --serve bitstamp=127.0.0.1:0 --fault kraken:mute@6 --fault kraken:stall@12
tap_start
for v in coinbase kraken bitstamp; do feed_start "$v" --backoff-min 0.2 --backoff-max 1; done
wait_for 12 seen '^event\.resync .*"venue":"kraken".*"reason":"mute"' || fail "mute not detected"
wait_for 5 after '"reason":"mute"' '^quote\.kraken\.' || fail "no quote after the mute"
seen '^event\.reconnect .*"venue":"kraken".*"reason":"mute"' && fail "the mute cost a reconnect"
wait_for 20 seen '^event\.reconnect .*"venue":"kraken".*"reason":"probe_timeout"' ||
    fail "stall not detected by a probe"
wait_for 10 after '"reason":"probe_timeout"' '^quote\.kraken\.' || fail "no quote after the stall"
# the stall was seen by a probe, not by the 15 s timers
seen '^event\.reconnect .*"reason":"(dead|stale)"' && fail "a 15 s timer fired first"
grep -q 'venue=kraken probe unanswered' "$T/feed-kraken.log" || fail "no probe in the log"
wait_for 5 hb_ge kraken mutes 1 || fail "hb does not count mutes"
wait_for 5 hb_ge kraken probe_timeouts 1 || fail "hb does not count probe_timeouts"
# the healthy venues: no reconnect
seen '^event\.reconnect .*"venue":"(coinbase|bitstamp)".*"was_connected":true' &&
    fail "a healthy venue reconnected"
grep -E "muted|stalled|fault" "$T/feed-kraken.log" "$T/mockx.log" | cut -c1-200
echo ok
