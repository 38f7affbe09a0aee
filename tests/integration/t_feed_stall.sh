# (the last line of defence, probes off: t_feed_probe tests the probes)
# stall: the server stops sending and answering pings: the feed sees no frame
# for --dead-after, drops the connection and reconnects; quotes resume.
# mute: pongs and Kraken heartbeats continue but market data stops: only the
# data timer sees it: resubscribe, then reconnect; quotes resume within 20 s.
. tests/integration/lib.sh
. tests/integration/feedlib.sh
S="$FX/kraken_v2/btcusd_session.jsonl"
{ echo '{"mockx":"sleep","ms":1000}'; cat "$S"; echo '{"mockx":"stall"}'; } >"$T/stall.jsonl"
{ echo '{"mockx":"sleep","ms":1000}'; cat "$S"; echo '{"mockx":"mute"}'; } >"$T/mute.jsonl"
cp "$S" "$T/ok.jsonl"
mockx_start --serve kraken=127.0.0.1:0 --script kraken="$T/stall.jsonl" \
    --script kraken="$T/mute.jsonl" --script kraken="$T/ok.jsonl"
tap_start
feed_start kraken --ping-interval 1 --dead-after 3 --stale-after 2 --backoff-min 0.2 --backoff-max 1 \
    --probe-timeout 0
wait_for 10 seen '^quote\.kraken\.' || fail "no quote from the first connection"
wait_for 20 seen '^event\.reconnect .*"reason":"dead"' || fail "stall not detected"
wait_for 20 after '"reason":"dead"' '^quote\.kraken\.' || fail "no quote within 20 s after the stall"
wait_for 20 seen '^event\.resync .*"venue":"kraken","reason":"stale"' || fail "mute not detected"
wait_for 20 seen '^event\.reconnect .*"reason":"stale"' || fail "mute: no reconnect after the resubscribe"
wait_for 20 after '^event\.reconnect .*"reason":"stale"' '^quote\.kraken\.' ||
    fail "no quote within 20 s after the mute"
hb_ge kraken dead 1 && hb_ge kraken stale 1 || fail "hb does not count dead/stale"
# the mute's first answer was a resubscribe of the book on the same connection
grep -q 'method\\":\\"unsubscribe\\",\\"params\\":{\\"channel\\":\\"book' "$T/mockx-frames.jsonl" ||
    fail "mockx saw no book resubscribe"
echo ok
