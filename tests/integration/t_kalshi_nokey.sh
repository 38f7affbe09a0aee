# feed-kalshi without a key polls the public REST endpoints: books and
# tickers marked source=rest, the hb says so, and 429s are backed off.
. tests/integration/lib.sh
bg mockx "$BIN/mockx" --tls-dir "$T/tls" --serve kalshi=127.0.0.1:0 --world --window-s 30 \
    --rest-429-every 4 --log "$T/mx.jsonl"
wait_for 10 grep -q '^kalshi=' "$T/mockx.out" || fail "mockx did not start"
P=$(sed -n 's/^kalshi=//p' "$T/mockx.out")
bg tap "$BIN/tap" --timeout 40 kalshi. hb.feed-kalshi
sleep 0.3
env -u KALSHI_API_KEY_ID -u KALSHI_PRIV_KEY_PATH "$BIN/feed-kalshi" \
    --ws-url "wss://127.0.0.1:$P/trade-api/ws/v2" --rest-url "https://127.0.0.1:$P/trade-api/v2" \
    --ca-file "$T/tls/ca.pem" >"$T/feed.out" 2>"$T/feed.log" &
PIDS="$PIDS $!"
wait_for 30 sh -c "grep '^kalshi.book.' $T/tap.out | grep -q '\"source\":\"rest\"'" || fail "no REST book"
wait_for 20 sh -c "grep '^hb.feed-kalshi' $T/tap.out | grep -q '\"rest_429\":[1-9]'" || fail "no 429 counted"
grep '^hb.feed-kalshi' "$T/tap.out" | tail -1 | grep -q '"auth":"none' || fail "hb does not say no-key"
grep -q "no API key configured" "$T/feed.log" || fail "no-key mode not logged"
grep '^kalshi.ticker.' "$T/tap.out" | grep -q '"source":"rest"' || fail "no REST ticker"
echo ok
