# The data-path probe (docs/FEEDS.md, 'Telling quiet from dead', 6): a venue muted in a
# thin market (mockx --activity night: a few messages a second, pauses of seconds) with
# nobody to compare it to (--peers none) used to wait for the stale timer. Its path answers
# the probe, so after --data-probe-after (2 s) of silence feed-kraken resubscribes
# (event.resync reason=data_probe); the snapshot comes and so does the data, with no
# reconnect. Bitstamp, muted at the same time, may send its book only on the next change
# after a subscribe, so a resubscribe proves nothing there: feed-bitstamp asks the venue's
# REST order book instead (mockx's keeps moving while the socket is muted), finds it moved
# past its own (hb data_check_moved), and only then resubscribes (reason data_probe).
# A feed with --data-probe-after 0 (Gemini) does not probe: its mute is left to the stale
# timer (--stale-after 6 here).
# The budget is opened wide here (3600 an hour) so that the night's own silences do not
# spend it before the mute; t_feed_probe checks the default budget.
# serial: times a detection against the stale timer's
. tests/integration/lib.sh
. tests/integration/feedlib.sh
mockx_start --world --rate 100 --activity night --seed 11 --serve kraken=127.0.0.1:0 \
    --serve bitstamp=127.0.0.1:0 --serve gemini=127.0.0.1:0 \
    --fault kraken:mute@25 --fault bitstamp:mute@25 --fault gemini:mute@25
tap_start
feed_start kraken --peers none --stale-after 15 --data-probes-per-hour 3600
feed_start bitstamp --peers none --stale-after 6 --data-probes-per-hour 3600
feed_start gemini --peers none --stale-after 6 --data-probe-after 0
wait_for 40 grep -q 'kind=mute' "$T/mockx.log" || fail "the mute did not happen"
wait_for 12 seen '^event\.resync .*"venue":"kraken".*"reason":"data_probe"' ||
    fail "no data-path probe of the muted kraken: $(grep '^event\.' "$T/tap.out" | tail -n 3)"
wait_for 5 after '"venue":"kraken".*"reason":"data_probe"' '^quote\.kraken\.' ||
    fail "no kraken quote after the data-path probe"
seen '^event\.reconnect .*"venue":"kraken"' && fail "kraken reconnected: $(grep '^event\.reconnect' "$T/tap.out")"
wait_for 5 hb_ge kraken data_probes 1 || fail "hb does not count data_probes"
# the detection time, from mockx's request log (the fault) to the event (ts_pub)
tm=$(grep -m 1 '"venue":"kraken".*"kind":"mute"' "$T/mockx-frames.jsonl" | grep -o '"ts_ms":[0-9]*' | cut -d: -f2)
# probe_ms VENUE: the ms time of VENUE's first data-path probe at or after the mute
probe_ms() {
    grep -E "^event\.resync .*\"venue\":\"$1\".*\"reason\":\"data_probe\"" "$T/tap.out" |
        grep -o '"ts_pub":[0-9]*' | cut -d: -f2 | while read -r t; do
            [ $((t / 1000000)) -ge "$tm" ] && { echo $((t / 1000000)); break; }; done
}
td=$(probe_ms kraken)
[ -n "$td" ] || fail "no data-path probe after the mute"
echo "kraken muted in a thin market, nobody to compare: resubscribed after $((td - tm)) ms (the stale timer: 15000)"
[ $((td - tm)) -lt 15000 ] || fail "the data-path probe came no sooner than the stale timer"
# bitstamp: its REST book moved while its socket was silent: resubscribed, no reconnect
wait_for 12 seen '^event\.resync .*"venue":"bitstamp".*"reason":"data_probe"' ||
    fail "no data-path probe of the muted bitstamp: $(grep 'bitstamp' "$T/feed-bitstamp.log" | tail -n 3)"
grep -q 'GET.*/api/v2/order_book/btcusd/' "$T/mockx-frames.jsonl" || fail "feed-bitstamp never asked mockx's REST book"
wait_for 5 hb_ge bitstamp data_check_moved 1 || fail "hb data_check_moved $(hb bitstamp data_check_moved)"
wait_for 5 after '"venue":"bitstamp".*"reason":"data_probe"' '^quote\.bitstamp\.' ||
    fail "no bitstamp quote after its data-path probe"
seen '^event\.reconnect .*"venue":"bitstamp"' && fail "bitstamp reconnected: $(grep '^event\.reconnect' "$T/tap.out")"
tb=$(probe_ms bitstamp)
[ -n "$tb" ] || fail "no bitstamp data-path probe after the mute"
echo "bitstamp muted in a thin market, nobody to compare: its REST book moved, resubscribed after $((tb - tm)) ms (the stale timer: 6000)"
[ $((tb - tm)) -lt 6000 ] || fail "bitstamp's REST check came no sooner than the stale timer"
# gemini: no data-path probe; its mute ends by the stale timer
wait_for 10 seen '^event\.resync .*"venue":"gemini".*"reason":"stale"' || fail "gemini's mute never resubscribed"
seen '"venue":"gemini".*"reason":"data_probe"' && fail "a data-path probe where there must be none"
echo ok
