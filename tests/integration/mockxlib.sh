# mockxlib.sh: helpers for mockx's own tests (sourced after lib.sh).
# mx_start ARGS...: start mockx with a TLS dir in $T and a request log at
# $T/mx.jsonl; waits for its VENUE=PORT lines and exports them as variables.
MX="$ROOT/tests/mockx"
PY=/usr/bin/python3
CA="$T/tls/ca.pem"
KEY="$ROOT/tests/fixtures/kalshi/test-key.pem"
PUB="$ROOT/tests/fixtures/kalshi/test-key.pub.pem"
mx_start() {
    nserve=0
    for a in "$@"; do case "$a" in --serve) nserve=$((nserve + 1)) ;; esac; done
    bg mockx "$BIN/mockx" --tls-dir "$T/tls" --log "$T/mx.jsonl" "$@"
    wait_for 10 sh -c "[ \$(grep -c '=' '$T/mockx.out') -ge $nserve ]" || fail "mockx did not start"
    for l in $(cat "$T/mockx.out"); do eval "$l"; done
}
# mx_log_has PATTERN: the request log has a line matching PATTERN (grep -E).
mx_log_has() { grep -Eq "$1" "$T/mx.jsonl"; }
# mx_feeds: the four feeds against the venues of mx_start (--serve coinbase, kraken, bitstamp
# and kalshi), feed-kalshi with the test key (copied to mode 0600, as it requires).
mx_feeds() {
    cp "$KEY" "$T/key.pem" && chmod 600 "$T/key.pem"
    bg feed-coinbase "$BIN/feed-coinbase" --url "wss://127.0.0.1:$coinbase" --ca-file "$CA"
    bg feed-kraken "$BIN/feed-kraken" --url "wss://127.0.0.1:$kraken/v2" --ca-file "$CA"
    bg feed-bitstamp "$BIN/feed-bitstamp" --url "wss://127.0.0.1:$bitstamp" --ca-file "$CA"
    bg feed-kalshi "$BIN/feed-kalshi" --ws-url "wss://127.0.0.1:$kalshi/trade-api/ws/v2" \
        --rest-url "https://127.0.0.1:$kalshi/trade-api/v2" --ca-file "$CA" \
        --key-id test-key --key-file "$T/key.pem"
}
