# kalshilib.sh: feed-kalshi against mockx (sourced after lib.sh).
# kalshi_mockx ARGS...: the test key (mode 0600, as feed-kalshi requires), mockx serving Kalshi
# with the key's public half checked, its log in $T/mx.jsonl, ARGS added; sets P.
# kalshi_world WINDOW_S ARGS...: kalshi_mockx in world mode with WINDOW_S windows.
# kalshi_scripted SCRIPT...: kalshi_mockx in script mode, one script per connection, the REST
# fixtures with times moved around now; bin/tap on event.reconnect and hb.feed-kalshi.
# kalshi_feed ARGS...: feed-kalshi against it with the key (ARGS added), logging to feed.*;
# kalshi_feed_as NAME ARGS...: the same logging to NAME.*.
kalshi_mockx() {
    cp tests/fixtures/kalshi/test-key.pem "$T/key.pem" && chmod 600 "$T/key.pem"
    bg mockx "$BIN/mockx" --tls-dir "$T/tls" --serve kalshi=127.0.0.1:0 \
        --kalshi-pubkey tests/fixtures/kalshi/test-key.pub.pem --log "$T/mx.jsonl" "$@"
    wait_for 10 grep -q '^kalshi=' "$T/mockx.out" || fail "mockx did not start"
    P=$(sed -n 's/^kalshi=//p' "$T/mockx.out")
}
kalshi_world() {
    w=$1; shift
    kalshi_mockx --world --window-s "$w" "$@"
}
kalshi_scripted() {
    mkdir "$T/rest"
    /usr/bin/python3 tests/integration/kalshi_rest_now.py tests/fixtures/kalshi "$T/rest" || fail "rest dir"
    scripts=""
    for s in "$@"; do scripts="$scripts --script kalshi=$s"; done
    # shellcheck disable=SC2086 # one word per script option
    kalshi_mockx --kalshi-rest "$T/rest" $scripts
    bg tap "$BIN/tap" event.reconnect hb.feed-kalshi
    sleep 0.3
}
kalshi_feed_as() {
    name=$1; shift
    bg "$name" "$BIN/feed-kalshi" --ws-url "wss://127.0.0.1:$P/trade-api/ws/v2" \
        --rest-url "https://127.0.0.1:$P/trade-api/v2" --ca-file "$T/tls/ca.pem" \
        --key-id test-key --key-file "$T/key.pem" "$@"
}
kalshi_feed() { kalshi_feed_as feed "$@"; }
