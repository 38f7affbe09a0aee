# kalshilib.sh: feed-kalshi against mockx in script mode (sourced after lib.sh).
# kalshi_scripted SCRIPT...: the test key, the REST fixtures with times moved
# around now, mockx serving Kalshi with one script per connection (its log in
# $T/mx.jsonl), bin/tap on event.reconnect and hb.feed-kalshi; sets P.
# kalshi_feed ARGS...: feed-kalshi against it with the key (ARGS added).
kalshi_scripted() {
    cp tests/fixtures/kalshi/test-key.pem "$T/key.pem" && chmod 600 "$T/key.pem"
    mkdir "$T/rest"
    /usr/bin/python3 tests/integration/kalshi_rest_now.py tests/fixtures/kalshi "$T/rest" || fail "rest dir"
    scripts=""
    for s in "$@"; do scripts="$scripts --script kalshi=$s"; done
    # shellcheck disable=SC2086 # one word per script option
    bg mockx "$BIN/mockx" --tls-dir "$T/tls" --serve kalshi=127.0.0.1:0 --kalshi-rest "$T/rest" \
        $scripts --kalshi-pubkey tests/fixtures/kalshi/test-key.pub.pem --log "$T/mx.jsonl"
    wait_for 10 grep -q '^kalshi=' "$T/mockx.out" || fail "mockx did not start"
    P=$(sed -n 's/^kalshi=//p' "$T/mockx.out")
    bg tap "$BIN/tap" event.reconnect hb.feed-kalshi
    sleep 0.3
}
kalshi_feed() {
    bg feed "$BIN/feed-kalshi" --ws-url "wss://127.0.0.1:$P/trade-api/ws/v2" \
        --rest-url "https://127.0.0.1:$P/trade-api/v2" --ca-file "$T/tls/ca.pem" \
        --key-id test-key --key-file "$T/key.pem" "$@"
}
