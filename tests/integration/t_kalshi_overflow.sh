# Error code 25 (subscription buffer overflow, terminal for the sid) from mockx
# in script mode, in the fixture's form {"type":"error","sid":N,"msg":{"code":25}}:
# after the lifecycle, BRTI and market subscriptions (sids 1..5, in whatever
# order the feed sent them) and a snapshot, every sid gets code 25. The feed
# publishes the book invalid with event.resync reason buffer_overflow and
# recreates each subscription on the same connection; a new snapshot makes the
# book valid again. The REST market files are the fixtures with times moved
# around now.
. tests/integration/lib.sh
cp tests/fixtures/kalshi/test-key.pem "$T/key.pem" && chmod 600 "$T/key.pem"
mkdir "$T/rest"
/usr/bin/python3 tests/integration/kalshi_rest_now.py tests/fixtures/kalshi "$T/rest" || fail "rest dir"
TK=KXBTC15M-26NOV280715-15
SNAP=$(sed -n 2p tests/fixtures/kalshi/ws_seq_gap.jsonl)
# the snapshot on each sid of the round (the feed applies book data only on
# the sid that carries the market's book, whichever that is): 1..5 before the
# overflow, 6..10 after (mockx numbers on; the dropped sids are never reused)
snaps() { for sid in "$@"; do echo "$SNAP" | sed "s/\"sid\":1,/\"sid\":$sid,/"; done; }
{
    printf '%s\n' '{"mockx":"await_subscribe"}' '{"mockx":"await_subscribe"}' \
        '{"mockx":"await_subscribe"}' '{"mockx":"sleep","ms":300}'
    snaps 1 2 3 4 5
    echo '{"mockx":"sleep","ms":1500}'
    for sid in 1 2 3 4 5; do
        echo '{"type":"error","sid":'$sid',"msg":{"code":25,"msg":"Subscription buffer overflow"}}'
    done
    printf '%s\n' '{"mockx":"await_subscribe"}' '{"mockx":"await_subscribe"}' \
        '{"mockx":"await_subscribe"}' '{"mockx":"sleep","ms":300}'
    snaps 6 7 8 9 10
    echo '{"mockx":"mute"}'
} >"$T/c1.jsonl"
bg mockx "$BIN/mockx" --tls-dir "$T/tls" --serve kalshi=127.0.0.1:0 --kalshi-rest "$T/rest" \
    --script kalshi="$T/c1.jsonl" --kalshi-pubkey tests/fixtures/kalshi/test-key.pub.pem \
    --log "$T/mx.jsonl"
wait_for 10 grep -q '^kalshi=' "$T/mockx.out" || fail "mockx did not start"
P=$(sed -n 's/^kalshi=//p' "$T/mockx.out")
bg tap "$BIN/tap" event. kalshi.book. hb.feed-kalshi
sleep 0.3
bg feed "$BIN/feed-kalshi" --ws-url "wss://127.0.0.1:$P/trade-api/ws/v2" \
    --rest-url "https://127.0.0.1:$P/trade-api/v2" --ca-file "$T/tls/ca.pem" \
    --key-id test-key --key-file "$T/key.pem"
wait_for 15 sh -c "grep '^event.resync ' '$T/tap.out' | grep -q '\"reason\":\"buffer_overflow\"'" ||
    fail "no resync for the overflow"
subs() { grep '"cmd":"subscribe"' "$T/mx.jsonl" | grep -c "\"market_ticker\":\"$TK\""; }
wait_for 10 sh -c "[ \$(grep '\"cmd\":\"subscribe\"' '$T/mx.jsonl' | grep -c '\"market_ticker\":\"$TK\"') -ge 2 ]" ||
    fail "market not subscribed again ($(subs))"
for ch in cfbenchmarks_value market_lifecycle_v2; do
    n=$(grep '"cmd":"subscribe"' "$T/mx.jsonl" | grep -c "\"$ch\"")
    [ "$n" -ge 2 ] || fail "$ch subscribed $n times, not recreated"
done
cat >"$T/check.py" <<'PY'
import json, sys
tk = sys.argv[2]
lines = [l.split(" ", 1) for l in open(sys.argv[1]).read().splitlines()]
ev = next(i for i, (t, b) in enumerate(lines) if t == "event.resync" and "buffer_overflow" in b)
assert json.loads(lines[ev][1])["ticker"] == tk
books = lambda ls: [json.loads(b)["valid"] for t, b in ls if t == "kalshi.book." + tk]
assert True in books(lines[:ev]), "never valid before the overflow"
after = books(lines[ev:])
assert False in after, "not published invalid"
assert True in after[after.index(False):], "never valid again"
PY
wait_for 10 /usr/bin/python3 "$T/check.py" "$T/tap.out" "$TK" ||
    { /usr/bin/python3 "$T/check.py" "$T/tap.out" "$TK"; fail "book states around the overflow"; }
grep -q '^event.reconnect ' "$T/tap.out" && fail "reconnected instead of resubscribing"
wait_for 5 sh -c "grep '^hb.feed-kalshi' '$T/tap.out' | tail -n 1 | grep -q '\"resubscribes\":[1-9]'" ||
    fail "resubscribes not counted"
echo ok
