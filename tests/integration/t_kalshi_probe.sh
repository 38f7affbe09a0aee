# feed-kalshi probes a silent connection with a command that carries an id
# (list_subscriptions; docs/FEEDS.md, 'Telling quiet from dead'), not a
# websocket ping. Connection 1 stalls after the subscribes (mockx stops
# reading and sending, TCP stays open): the probe goes unanswered and the feed
# reconnects with reason probe_timeout, well before the 10 s command deadline
# and the 15 s data timer. Connection 2 is muted after the subscribes (market
# data and the index stop, commands are still answered): the feed's probes
# are list_subscriptions commands on that connection (mockx's log), answered
# (probe_answers in the hb) and not taken for a stall.
. tests/integration/lib.sh
. tests/integration/kalshilib.sh
printf '%s\n' '{"mockx":"await_subscribe"}' '{"mockx":"stall"}' >"$T/c1.jsonl"
printf '%s\n' '{"mockx":"await_subscribe"}' '{"mockx":"mute"}' >"$T/c2.jsonl"
kalshi_scripted "$T/c1.jsonl" "$T/c2.jsonl"
kalshi_feed --dead-after 40 --backoff-max 1 --stale-after 30
wait_for 10 grep -q '"kind":"stall"' "$T/mx.jsonl" || fail "mockx did not stall"
wait_for 8 grep -q '"reason":"probe_timeout"' "$T/tap.out" ||
    fail "the stall was not found by an unanswered probe within 8 s"
grep -q 'command_timeout\|"reason":"dead"\|"reason":"stale"' "$T/tap.out" &&
    fail "another timer fired first: $(grep -o '"reason":"[a-z_]*"' "$T/tap.out" | head -n 3)"
# connection 2: muted; its probes are commands, and they are answered
conn2_list() { grep '"conn":2,' "$T/mx.jsonl" | grep -c 'list_subscriptions'; }
wait_for 15 sh -c "[ \$(grep '\"conn\":2,' '$T/mx.jsonl' | grep -c 'list_subscriptions') -ge 2 ]" ||
    fail "no list_subscriptions probes on connection 2 ($(conn2_list))"
hbv() { grep '^hb.feed-kalshi' "$T/tap.out" | tail -n 1 | grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d: -f2; }
wait_for 5 sh -c "[ \"\$(grep '^hb.feed-kalshi' '$T/tap.out' | tail -n 1 | grep -o '\"probe_answers\":[0-9]*' | cut -d: -f2)\" -ge 2 ]" ||
    fail "probe_answers $(hbv probe_answers), want >= 2"
[ "$(grep -c '"reason":"probe_timeout"' "$T/tap.out")" = 1 ] ||
    fail "an answered probe was taken for a stall: $(grep -c probe_timeout "$T/tap.out") probe_timeouts"
echo ok
