# Telling quiet from dead (docs/FEEDS.md): in mockx's world the three exchange
# feeds learn their venue's gaps; a stalled Kraken connection (nothing sent,
# nothing read) is probed ({"method":"ping"}, unanswered) and dropped with
# reason probe_timeout long before the 15 s dead/stale timers; quotes resume.
# Before that, a muted Kraken connection (pongs and heartbeats go on, book
# data stops) answers its probe while Coinbase and Bitstamp keep moving: a
# mute, resubscribed on the same connection (event.resync reason=mute), and
# the data comes back without a reconnect. The healthy venues never reconnect.
# Meanwhile a second world (its own bus) trades thinly (--activity night at
# --rate 100: a few messages a second, pauses of seconds): its feeds learn
# (>= 50 gaps, so a mute could be declared), probe their longer silences,
# and the healthy ones never reconnect nor resubscribe (but for data-path probes, a
# resubscribe within their budget; Bitstamp checks its REST book instead, finds it
# its own, and never resubscribes); its Kraken
# is muted at 12 s and must still be resubscribed (mute, or the stale timer,
# here --stale-after 4: held back at most one more stale time in a quiet
# market) within 12 s.
# serial: measures detection times of a stall and a mute against second-scale bounds
. tests/integration/lib.sh
. tests/integration/feedlib.sh
mockx_start --world --rate 50 --serve coinbase=127.0.0.1:0 --serve kraken=127.0.0.1:0 \
    --serve bitstamp=127.0.0.1:0 --fault kraken:mute@8 --fault kraken:stall@14
tap_start
for v in coinbase kraken bitstamp; do feed_start "$v" --backoff-min 0.2 --backoff-max 1; done
# the quiet world
mkdir -m 700 "$T/qbus"
bg qmockx "$BIN/mockx" --tls-dir "$T/tls" --world --rate 100 --activity night --seed 5 \
    --serve coinbase=127.0.0.1:0 --serve kraken=127.0.0.1:0 --serve bitstamp=127.0.0.1:0 \
    --fault kraken:mute@12
wait_for 15 sh -c "[ \$(grep -c = '$T/qmockx.out') -ge 3 ]" || fail "the quiet mockx did not start"
bg qtap "$BIN/tap" --bus "$T/qbus"
for v in coinbase kraken bitstamp; do
    u="wss://127.0.0.1:$(sed -n "s/^$v=//p" "$T/qmockx.out")"
    [ "$v" = kraken ] && u="$u/v2"
    bg "q$v" "$BIN/feed-$v" --bus "$T/qbus" --url "$u" --ca-file "$T/tls/ca.pem" --stale-after 4
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
# the quiet world: its muted Kraken resubscribed; the others learned, probed, no alarm
wait_for 15 grep -q 'kind=mute' "$T/qmockx.log" || fail "the quiet world's mute did not happen"
wait_for 14 grep -Eq '^event\.resync .*"venue":"kraken"' "$T/qtap.out" ||
    fail "the quiet world's muted kraken was never resubscribed"
qsum() { grep "^hb\.feed-$1 " "$T/qtap.out" | tail -n 1 | grep -o "\"$2\":[0-9]*" | cut -d: -f2; }
qprobes=0
for v in coinbase bitstamp; do
    [ "$(qsum $v gaps_learned)" -ge 50 ] 2>/dev/null || fail "quiet $v learned $(qsum $v gaps_learned) gaps (< 50)"
    qprobes=$((qprobes + $(qsum $v probes)))
done
grep '^event\.' "$T/qtap.out" | grep -v '"reason":"data_probe"' |
    grep -Eq '^event\.(reconnect|resync) .*"venue":"(coinbase|bitstamp)"' &&
    fail "a false alarm in the quiet world: $(grep '^event\.' "$T/qtap.out" | head -n 3)"
# the data-path probe (a resubscribe answered by a snapshot) is not an alarm, but it has a budget
# (selftest wsconn checks it exactly): 30 at once, then --data-probes-per-hour (60: one a
# minute); here one per silence of 2 s at least. Bitstamp, whose resubscribe may bring
# nothing in a quiet market, checks its silences on the venue's REST order book: healthy
# here, so a check finds the book its own (data_check_quiet), none moved, no resubscribe
ndp=$(grep -Ec '^event\.resync .*"venue":"coinbase".*"reason":"data_probe"' "$T/qtap.out")
el=$(( $(date +%s) - $(stat -c %Y "$T/qmockx.out") ))
[ "$ndp" -le $((el / 2 + 1)) ] || fail "coinbase made $ndp data-path probes in $el s (one per 2 s silence at most)"
[ "$(qsum coinbase data_probes)" -ge "$ndp" ] 2>/dev/null || fail "hb data_probes $(qsum coinbase data_probes) < $ndp events"
grep -q '"venue":"bitstamp".*"reason":"data_probe"' "$T/qtap.out" && fail "healthy bitstamp resubscribed"
# (whether a silence here lasts long enough for a check is up to the world: t_feed_rest_check
# makes one happen)
[ "$(qsum bitstamp data_check_moved)" = 0 ] ||
    fail "a REST check of healthy bitstamp said moved: $(grep 'REST order book' "$T/qbitstamp.log" | tail -n 2)"
echo "quiet world: coinbase+bitstamp $qprobes probes (answered), 0 reconnects, 0 resyncs but" \
    "$ndp coinbase data-path probes in $el s;" \
    "bitstamp $(qsum bitstamp data_checks) REST checks, $(qsum bitstamp data_check_quiet) its own book;" \
    "kraken's mute: $(grep -E '^event\.resync .*"venue":"kraken"' "$T/qtap.out" | head -n 1 | grep -o '"reason":"[a-z]*"')"
grep -E "muted|stalled|fault" "$T/feed-kraken.log" "$T/mockx.log" | cut -c1-200
echo ok
