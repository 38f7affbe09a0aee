# State, not deltas: feed-kalshi republishes every tracked market's full state
# each second, so an aggregator started well after a market opened (after the
# feed's last change-driven kalshi.market message for it) lists that market
# with its strike and close_time within ~2 s of starting.
. tests/integration/lib.sh
. tests/integration/kalshilib.sh
kalshi_world 20
kalshi_feed
# a market that opens while the feed runs, and its strike (set at the open in mockx)
wait_for 40 grep -q 'kalshi: strike ticker=.*-[0-9]* floor_strike=' "$T/feed.log" ||
    fail "no strike"
wait_for 25 grep -q 'market open ticker=.*(opened)' "$T/feed.log" || fail "no market opened"
TK=$(grep 'market open ticker=.*(opened)' "$T/feed.log" | head -n 1 | sed 's/.*ticker=\([^ ]*\) .*/\1/')
wait_for 10 grep -q "kalshi: strike ticker=$TK " "$T/feed.log" || fail "no strike for $TK"
STRIKE=$(grep "kalshi: strike ticker=$TK " "$T/feed.log" | sed 's/.*floor_strike=//')
# well after its last change: the open and the strike
sleep 3
grep -q "kalshi: market ticker=$TK status active -> " "$T/feed.log" && fail "$TK closed already (slow machine?)"
bg tap "$BIN/tap" --json tick
sleep 0.3
A0=$(date +%s)
bg agg "$BIN/aggregator"
# the market's fields in the Go collector's order (docs/RECORD.md): strike before status
has() { grep -q "\"ticker\":\"$TK\",[^}]*\"strike\":[0-9][^}]*\"status\":\"active\"" "$T/tap.out"; }
wait_for 10 has || fail "no tick listing $TK with a strike: $(tail -n 1 "$T/tap.out" | cut -c1-1500)"
/usr/bin/python3 - "$T/tap.out" "$TK" "$STRIKE" "$A0" <<'PY' || fail "late-joiner ticks"
import json, sys
from datetime import datetime, timezone
tk, strike, a0 = sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
def sec(s): return int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
ticks = [r for r in map(json.loads, open(sys.argv[1])) if r.get("type") == "tick"]
good = None
for t in ticks:
    for m in t.get("markets", []):  # omitted when empty, strike until published
        if m["ticker"] == tk and m.get("strike") == strike and m["close_time"] and m["open_time"]:
            good = good or t
assert good, "never complete"
# within ~2 s of the aggregator's start (its ts is the second the tick covers)
assert sec(good["ts"]) <= a0 + 3, (good["ts"], a0)
m = [m for m in good["markets"] if m["ticker"] == tk][0]
assert sec(m["close_time"]) - sec(m["open_time"]) == 20, m
print("late join: %s strike %s in the tick of %s (aggregator started at %d)" % (tk, strike, good["ts"], a0))
PY
echo ok
