# Telling quiet from dead (docs/FEEDS.md): in mockx's world the three exchange
# feeds learn their venue's gaps; a stalled Kraken connection (nothing sent,
# nothing read) is probed ({"method":"ping"}, unanswered) and dropped with
# reason probe_timeout long before the 15 s dead/stale timers; quotes resume.
# Before that, a muted Kraken connection (pongs and heartbeats go on, book
# data stops) answers its probe while Coinbase and Bitstamp keep moving: a
# mute, resubscribed on the same connection (event.resync reason=mute), and
# the data comes back without a reconnect. The healthy venues never reconnect.
# Meanwhile a second world (its own bus) trades thinly (--activity night,
# gaps of seconds): its feeds probe the silences, get answers, and neither
# reconnect nor resubscribe.
. tests/integration/lib.sh
. tests/integration/feedlib.sh
mockx_start --world --rate 50 --serve coinbase=127.0.0.1:0 --serve kraken=127.0.0.1:0 \
    --serve bitstamp=127.0.0.1:0 --fault kraken:mute@8 --fault kraken:stall@14
tap_start
for v in coinbase kraken bitstamp; do feed_start "$v" --backoff-min 0.2 --backoff-max 1; done
# the quiet world
mkdir -m 700 "$T/qbus"
bg qmockx "$BIN/mockx" --tls-dir "$T/tls" --world --rate 10 --activity night --seed 5 \
    --serve coinbase=127.0.0.1:0 --serve kraken=127.0.0.1:0 --serve bitstamp=127.0.0.1:0
wait_for 15 sh -c "[ \$(grep -c = '$T/qmockx.out') -ge 3 ]" || fail "the quiet mockx did not start"
bg qtap "$BIN/tap" --bus "$T/qbus"
for v in coinbase kraken bitstamp; do
    u="wss://127.0.0.1:$(sed -n "s/^$v=//p" "$T/qmockx.out")"
    [ "$v" = kraken ] && u="$u/v2"
    bg "q$v" "$BIN/feed-$v" --bus "$T/qbus" --url "$u" --ca-file "$T/tls/ca.pem"
done
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
# the quiet world: probes answered, no reconnect, no resubscribe
qprobes=$(grep '^hb\.feed-' "$T/qtap.out" | tail -n 3 | grep -o '"probes":[0-9]*' | cut -d: -f2 |
    awk '{s += $1} END {print s + 0}')
[ "$qprobes" -ge 1 ] || fail "the quiet world's feeds sent no probe"
grep -Eq '^event\.(reconnect|resync) .*"was_connected":true|^event\.resync ' "$T/qtap.out" &&
    fail "a false alarm in the quiet world: $(grep '^event\.' "$T/qtap.out" | head -n 3)"
echo "quiet world: $qprobes probes answered, 0 reconnects, 0 resyncs"
grep -E "muted|stalled|fault" "$T/feed-kraken.log" "$T/mockx.log" | cut -c1-200
echo ok
