# Integrity against the mockx world: a Coinbase sequence gap and a Kraken bad
# checksum each mark the book invalid, publish event.gap + event.resync, and the
# fresh snapshot (resubscribe on the same connection) makes the book valid again.
. tests/integration/lib.sh
. tests/integration/feedlib.sh
mockx_start --serve coinbase=127.0.0.1:0 --serve kraken=127.0.0.1:0 --serve bitstamp=127.0.0.1:0 \
    --world --rate 100 --fault coinbase:gap@3 --fault kraken:badsum@3
tap_start
sleep 0.5
for v in coinbase kraken bitstamp; do feed_start $v --depth 20; done
for v in coinbase kraken bitstamp; do
    wait_for 10 seen "^book\.$v\..*\"valid\":true" || fail "$v: no valid book"
done
wait_for 20 seen '^event\.gap .*"venue":"coinbase","reason":"sequence","from":[0-9]+,"to":[0-9]+' ||
    fail "coinbase gap not detected"
wait_for 20 seen '^event\.gap .*"venue":"kraken","reason":"checksum"' || fail "kraken bad checksum not detected"
for v in coinbase kraken; do
    seen "^event\.resync .*\"venue\":\"$v\"" || fail "$v: no event.resync"
    wait_for 10 after "^event\.gap .*\"venue\":\"$v\"" "^book\.$v\..*\"valid\":true" ||
        fail "$v: book not valid again after the resync"
    wait_for 5 hb_ge $v gaps 1 || fail "$v: hb gaps"
    [ "$(hb $v connects)" = 1 ] || fail "$v: resync needed a reconnect"
    [ "$(hb $v book_valid)" = true ] || fail "$v: hb says book invalid"
done
seen '"valid":false' || fail "invalid book never published"
echo ok
