# Each fixture session, served by mockx over TLS (verification on), produces
# exactly the quote/trade messages of the golden files (envelope stripped), and
# a valid book within 2 s of the first market data.
. tests/integration/lib.sh
. tests/integration/feedlib.sh
for v in coinbase:coinbase_advanced kraken:kraken_v2 bitstamp:bitstamp; do
    { echo '{"mockx":"sleep","ms":1500}'; cat "$FX/${v#*:}/btcusd_session.jsonl"; } >"$T/${v%%:*}.jsonl"
done
mockx_start --serve coinbase=127.0.0.1:0 --serve kraken=127.0.0.1:0 --serve bitstamp=127.0.0.1:0 \
    --script coinbase="$T/coinbase.jsonl" --script kraken="$T/kraken.jsonl" \
    --script bitstamp="$T/bitstamp.jsonl"
tap_start
for v in coinbase kraken bitstamp; do feed_start $v --depth 10; done
for v in coinbase kraken bitstamp; do golden_check $v "$FX/$v.golden"; done
# a valid book per venue, no later than 2 s after its first quote
for v in coinbase kraken bitstamp; do
    seen "^book\.$v\..*\"valid\":true" || fail "$v: no valid book published"
done
# the Coinbase fixture locks its book (see tests/fixtures/exchanges/README.md): flagged
seen '^event\.gap .*"venue":"coinbase","reason":"crossed"' || fail "coinbase: locked book not flagged"
# Bitstamp's session ends with bts:request_reconnect: honoured
wait_for 10 seen '^event\.reconnect .*"venue":"bitstamp","reason":"request_reconnect"' ||
    fail "bitstamp: request_reconnect not honoured"
grep -q '"event":"bts:heartbeat"\|bts:subscribe' "$T/mockx-frames.jsonl" || fail "mockx saw no bitstamp subscribe"
echo ok
