# The data-path probe (docs/FEEDS.md, 'Telling quiet from dead', 6): a venue muted in a
# thin market (mockx --activity night: a few messages a second, pauses of seconds) with
# nobody to compare it to (--peers none) used to wait for the stale timer. Its path answers
# the probe, so after --data-probe-after (2 s) of silence feed-kraken resubscribes
# (event.resync reason=data_probe); the snapshot comes and so does the data, with no
# reconnect. Bitstamp, muted at the same time, sends data only on the next change after a
# subscribe, so it never makes a data-path probe: its mute is left to the stale timer
# (--stale-after 6 here). A feed with --data-probe-after 0 (Gemini) does not probe either.
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
td=$(grep -E '^event\.resync .*"venue":"kraken".*"reason":"data_probe"' "$T/tap.out" |
    grep -o '"ts_pub":[0-9]*' | cut -d: -f2 | while read -r t; do
        [ $((t / 1000000)) -ge "$tm" ] && { echo $((t / 1000000)); break; }; done)
[ -n "$td" ] || fail "no data-path probe after the mute"
echo "kraken muted in a thin market, nobody to compare: resubscribed after $((td - tm)) ms (the stale timer: 15000)"
[ $((td - tm)) -lt 15000 ] || fail "the data-path probe came no sooner than the stale timer"
# bitstamp and gemini: no data-path probe; their mutes end by the stale timer
wait_for 20 seen '^event\.resync .*"venue":"bitstamp".*"reason":"stale"' || fail "bitstamp's mute never resubscribed"
wait_for 10 seen '^event\.resync .*"venue":"gemini".*"reason":"stale"' || fail "gemini's mute never resubscribed"
seen '"venue":"(bitstamp|gemini)".*"reason":"data_probe"' && fail "a data-path probe where there must be none"
[ "$(hb bitstamp data_probes)" = 0 ] || fail "bitstamp hb data_probes $(hb bitstamp data_probes)"
echo ok
