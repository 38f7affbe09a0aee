# A command that is never answered drops the connection: mockx (script mode)
# stops reading and sending on the first connection ({"mockx":"stall"}: TCP
# stays open, so the commands leave our socket but get no reply). The 10 s
# command deadline fires before the dead timer (--dead-after 40), the feed
# reconnects (reason command_timeout) and subscribes again on connection 2.
# Probes are off (--probe-timeout 0): with them, the unanswered probe (a
# list_subscriptions command) finds the stall first (t_kalshi_probe).
# The REST market files are the fixtures with times moved around now.
. tests/integration/lib.sh
. tests/integration/kalshilib.sh
printf '%s\n' '{"mockx":"stall"}' >"$T/c1.jsonl"
printf '%s\n' '{"mockx":"await_subscribe"}' '{"mockx":"mute"}' >"$T/c2.jsonl"
kalshi_scripted "$T/c1.jsonl" "$T/c2.jsonl"
kalshi_feed --dead-after 40 --backoff-max 1 --probe-timeout 0
wait_for 10 grep -q '"kind":"stall"' "$T/mx.jsonl" || fail "mockx did not stall"
wait_for 25 grep -q '"reason":"command_timeout"' "$T/tap.out" ||
    fail "no reconnect for the unanswered command"
grep -q 'command id=[0-9]* got no reply within 10 s' "$T/feed.log" || fail "deadline not logged"
# connection 2: subscribed again (the lifecycle, BRTI and the open market)
has2() { grep '"conn":2,' "$T/mx.jsonl" | grep -q '"market_ticker":"KXBTC15M-26NOV280715-15"'; }
wait_for 15 has2 || fail "market not subscribed again on connection 2"
wait_for 5 sh -c "grep '^hb.feed-kalshi' '$T/tap.out' | tail -n 1 | grep -q '\"cmd_timeouts\":[1-9]'" ||
    fail "cmd_timeouts not counted in the hb"
grep -q '"reason":"dead"' "$T/tap.out" && fail "the dead timer fired, not the command deadline"
echo ok
