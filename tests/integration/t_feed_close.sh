# close (TCP dropped without a close frame) -> event.reconnect after a
# jittered backoff, quotes resume on the next connection; raw garbage and a
# frame over --max-msg are counted and survived on the same connection.
. tests/integration/lib.sh
. tests/integration/feedlib.sh
S="$FX/coinbase_advanced/btcusd_session.jsonl"
{ echo '{"mockx":"sleep","ms":1000}'; head -n 12 "$S"; echo '{"mockx":"close"}'; } >"$T/close.jsonl"
{ echo '{"mockx":"sleep","ms":300}'; head -n 8 "$S"
  echo '{"mockx":"raw","text":"this is not json {"}'
  echo '{"mockx":"raw","text":"{\"channel\":\"l2_data\",\"sequence_num\":8,\"events\":7}"}'
  echo '{"mockx":"big","bytes":1500000}'
  sed -n '9,12p' "$S"; echo '{"mockx":"mute"}'; } >"$T/garbage.jsonl"
mockx_start --serve coinbase=127.0.0.1:0 --script coinbase="$T/close.jsonl" --script coinbase="$T/garbage.jsonl"
tap_start
feed_start coinbase --max-msg 1048576 --backoff-min 0.5 --backoff-max 2 --stale-after 30
FEED=$LAST
wait_for 10 seen '^quote\.coinbase\.' || fail "no quote"
wait_for 10 seen '^event\.reconnect .*"reason":"closed","was_connected":true,"attempt":1,"backoff_ms":[0-9]+' ||
    fail "close not followed by event.reconnect with backoff"
n1=$(count '^quote\.coinbase\.')
wait_for 15 sh -c "[ \$(grep -c '^quote\.coinbase\.' '$T/tap.out') -gt $n1 ]" || fail "no quote after reconnecting"
wait_for 10 hb_ge coinbase oversize_frames 1 || fail "big frame not counted"
wait_for 10 hb_ge coinbase bad_frames 2 || fail "garbage not counted"
# frames after the garbage were applied on the same connection (sequence 9..11 follow 8)
wait_for 10 after '"reason":"closed"' '^trade\.coinbase\..*"id":"710203041"' || fail "no trade after the garbage"
[ "$(hb coinbase connects)" = 2 ] || fail "garbage or big frame caused a reconnect"
[ "$(hb coinbase connected)" = true ] || fail "not connected after garbage"
kill -0 "$FEED" 2>/dev/null || fail "feed died"
echo ok
