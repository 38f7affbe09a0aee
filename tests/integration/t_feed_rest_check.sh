# Bitstamp's data-path check on its REST order book (docs/FEEDS.md, 'Telling quiet from
# dead', 6), in a thin healthy market (mockx --activity night at --rate 100: a few messages
# a second) with nobody to compare it to (--peers none), which at 20 s and at 50 s goes
# quiet for 10 s (mockx's `quiet` fault: no message and no change of the book, the
# connection healthy):
# - feed-bitstamp checks the silence on mockx's REST book
#   (GET /api/v2/order_book/btcusd/), finds it its own (data_check_quiet), and neither
#   resubscribes nor reconnects: a quiet market is not an alarm;
# - then (mockx's books are per connection and its REST book is the newest connection's,
#   so one feed at a time) a feed-bitstamp whose --rest-url leads nowhere (HTTP 404) counts
#   its check of the second spell as failed (data_check_failed), logs why, and does nothing
#   else: a check that cannot tell is no evidence either way.
. tests/integration/lib.sh
. tests/integration/feedlib.sh
mockx_start --world --rate 100 --activity night --seed 7 --serve bitstamp=127.0.0.1:0 \
    --fault bitstamp:quiet@20+30x2
tap_start
feed_start bitstamp --peers none --data-probes-per-hour 3600
FEED1=$LAST
# the hb detail of program $1 (its venue object: bitstamp), member $2
hbv() {
    grep "^hb\.$1 " "$T/tap.out" | tail -n 1 | cut -d' ' -f2- |
        python3 -c "import json,sys; d=json.loads(sys.stdin.read()); print(json.dumps(d.get('bitstamp',{}).get('$2')))"
}
hbv_ge() { [ "$(hbv "$1" "$2")" -ge "$3" ] 2>/dev/null; }
wait_for 35 grep -q 'kind=quiet' "$T/mockx.log" || fail "the quiet spell did not start"
wait_for 12 hbv_ge feed-bitstamp data_check_quiet 1 ||
    fail "no quiet REST check: learned $(hbv feed-bitstamp gaps_learned) gaps, $(hbv feed-bitstamp data_checks) checks; $(grep -E 'REST|data-path' "$T/feed-bitstamp.log" | tail -n 2)"
[ "$(hbv feed-bitstamp data_check_moved)" = 0 ] || fail "a REST check of the healthy venue said moved"
seen '^event\.(resync|reconnect) .*"venue":"bitstamp"' &&
    fail "a false alarm: $(grep '^event\.' "$T/tap.out" | head -n 3)"
grep -q 'GET.*/api/v2/order_book/btcusd/' "$T/mockx-frames.jsonl" || fail "mockx saw no REST book request"
kill "$FEED1"
u=$(url_of bitstamp)
bg feed-bitstamp2 "$BIN/feed-bitstamp" --name feed-bitstamp2 --url "$u" --ca-file "$T/tls/ca.pem" \
    --peers none --data-probes-per-hour 3600 --rest-url "https://${u#wss://}/no/such/api"
wait_for 40 hbv_ge feed-bitstamp2 data_check_failed 1 ||
    fail "the check against a missing REST API was not counted as failed: $(hbv feed-bitstamp2 data_checks) checks"
grep -q 'data-path check after .* told nothing: its REST API answered HTTP 404' "$T/feed-bitstamp2.log" ||
    fail "no log line naming the failed check: $(grep -E 'REST|data-path' "$T/feed-bitstamp2.log" | tail -n 2)"
[ "$(hbv feed-bitstamp2 data_check_moved)" = 0 ] || fail "a failed REST check said moved"
seen '^event\.(resync|reconnect) .*"venue":"bitstamp"' &&
    fail "a false alarm: $(grep '^event\.' "$T/tap.out" | head -n 3)"
echo "thin healthy market: $(hbv feed-bitstamp data_checks) REST checks," \
    "$(hbv feed-bitstamp data_check_quiet) found the book our own, 0 moved, 0 resyncs;" \
    "a missing REST API: $(hbv feed-bitstamp2 data_check_failed) failed checks, no action"
echo ok
