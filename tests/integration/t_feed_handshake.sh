# A server that accepts TCP but never finishes TLS (hang_handshake) is
# abandoned at --handshake-timeout and retried; the next connection works.
# A missing --ca-file is a usage error (64); a wrong CA is refused.
. tests/integration/lib.sh
. tests/integration/feedlib.sh
echo '{"mockx":"hang_handshake"}' >"$T/hang.jsonl"
{ echo '{"mockx":"sleep","ms":500}'; cat "$FX/kraken_v2/btcusd_session.jsonl"; } >"$T/ok.jsonl"
mockx_start --serve kraken=127.0.0.1:0 --script kraken="$T/hang.jsonl" --script kraken="$T/ok.jsonl"
tap_start
"$BIN/feed-kraken" --url "$(url_of kraken)" --ca-file "$T/nonexistent.pem" --check 2>"$T/err"
[ $? = 64 ] || fail "unreadable --ca-file not refused with 64"
grep -q -- '--ca-file' "$T/err" || fail "refusal does not name --ca-file: $(cat "$T/err")"
sleep 0.5
feed_start kraken --handshake-timeout 2 --backoff-min 0.2 --backoff-max 1
wait_for 15 seen '^event\.reconnect .*"venue":"kraken","reason":"handshake_timeout"' ||
    fail "hung handshake not abandoned"
wait_for 15 seen '^quote\.kraken\.' || fail "no quote after the retry"
wait_for 5 hb_ge kraken handshake_timeouts 1 || fail "hb does not count the handshake timeout"
grep -q 'handshake not done after 2.0 s' "$T/feed-kraken.log" || fail "handshake timeout not logged"

# wrong CA: an unrelated self-signed certificate as the only extra anchor
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/w.key" \
    -out "$T/wrong.pem" -days 2 -subj "/CN=wrong" >/dev/null 2>&1 || fail "openssl req failed"
bg wrongca "$BIN/feed-kraken" --name feed-kraken-wrongca --url "$(url_of kraken)" \
    --ca-file "$T/wrong.pem" --backoff-min 0.2 --backoff-max 0.5
wait_for 15 sh -c "grep -q 'hb.feed-kraken-wrongca .*\"connects\":[3-9]' '$T/tap.out'" ||
    fail "wrong-CA feed did not keep retrying"
seen '^quote\..*"src":"feed-kraken-wrongca"' && fail "wrong CA accepted"
grep -q '"connected":false' "$T/tap.out" || fail "wrong-CA hb does not say disconnected"
grep -Eqi 'certificate|ssl|verify' "$T/wrongca.log" || fail "TLS failure reason not logged"
echo ok
