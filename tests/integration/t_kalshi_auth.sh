# feed-kalshi's credentials: a key file readable by others is refused (exit
# 64); a key mockx does not know gets HTTP 401 on the upgrade, reported as a
# credentials-or-clock problem, with a long backoff (no hammering).
. tests/integration/lib.sh
cp tests/fixtures/kalshi/test-key.pem "$T/key.pem" && chmod 644 "$T/key.pem"
"$BIN/feed-kalshi" --key-id k --key-file "$T/key.pem" --check 2>"$T/perm.err"
[ $? = 64 ] || fail "a group/other-readable key was not refused with 64"
grep -q "must not be accessible by group or others" "$T/perm.err" || fail "no clear message"
grep -q "BEGIN" "$T/perm.err" && fail "key material in the error output"
chmod 600 "$T/key.pem"
"$BIN/feed-kalshi" --key-id k --key-file "$T/key.pem" --check || fail "--check with a good key"
# a different public key in mockx: our signature cannot verify
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/other.pem" 2>/dev/null
openssl pkey -in "$T/other.pem" -pubout -out "$T/other.pub.pem" 2>/dev/null || fail "openssl"
bg mockx "$BIN/mockx" --tls-dir "$T/tls" --serve kalshi=127.0.0.1:0 --world --window-s 30 \
    --kalshi-pubkey "$T/other.pub.pem" --log "$T/mx.jsonl"
wait_for 10 grep -q '^kalshi=' "$T/mockx.out" || fail "mockx did not start"
P=$(sed -n 's/^kalshi=//p' "$T/mockx.out")
bg feed "$BIN/feed-kalshi" --ws-url "wss://127.0.0.1:$P/trade-api/ws/v2" \
    --rest-url "https://127.0.0.1:$P/trade-api/v2" --ca-file "$T/tls/ca.pem" \
    --key-id test-key --key-file "$T/key.pem" --auth-backoff 30 --backoff-max 1
wait_for 15 grep -q "websocket upgrade refused with HTTP 401: a credentials or clock problem" \
    "$T/feed.log" || fail "401 not reported as such"
# lib/wsconn's on_connect_error: the reconnect is scheduled after the auth backoff, not 1 s
wait_for 5 grep -q 'event=reconnect venue=kalshi reason=connect_error.*"backoff_ms":[0-9]\{5\}' \
    "$T/feed.log" || fail "reconnect not scheduled >= 10 s: $(grep event=reconnect "$T/feed.log")"
grep -q '"status":401' "$T/mx.jsonl" || fail "mockx did not answer 401"
sleep 4
n=$(grep -c '"path":"/trade-api/ws/v2"' "$T/mx.jsonl")
[ "$n" -le 2 ] || fail "$n upgrade attempts within a few seconds despite the auth backoff"
kl=$(sed -n '/^-----BEGIN/,/^-----END/p' "$T/key.pem" | sed -n 2p)
[ -n "$kl" ] && grep -qF -e "$kl" "$T/feed.log" && fail "key material in the log"
echo ok
