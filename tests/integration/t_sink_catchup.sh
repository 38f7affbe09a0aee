# Sink catch-up (aggregator/history + sink/follow): a sink killed with -9, or hung and then
# killed (what the watchdog does), fetches back from the publisher's history every tick it
# missed: no tick second is missing or written twice. One away for longer than the history
# holds writes a gap record naming exactly the seconds it could not get. tap --since prints the
# history from a given second.
. tests/integration/lib.sh
clock_at "2026-11-28 00:00:00"
D=$T/data
F=$D/kxbtc15m-2026-11-28.jsonl
lines() { [ -f "$F" ] && wc -l < "$F" || echo 0; }
grow() { # wait for N more lines
    want=$(( $(lines) + $1 ))
    wait_for 20 sh -c "[ \$(wc -l < $F 2>/dev/null || echo 0) -ge $want ]" ||
        fail "$2: file stuck at $(lines) lines"
}
# a tick every 2 ms (500 record seconds a wall second), events too, 3600 s of history
bg gen $AT "$BIN/tickgen" --name aggregator --start 2026-11-28T00:00:00Z --count 0 \
    --interval-ms 2 --delay-ms 300 --events 7 --history-s 3600
GEN=$LAST
SINK="$BIN/sink-jsonl --dir $D --fsync 1 --max-ahead 86400"
bg sink0 $AT $SINK
grow 300 "start"
# kill -9 while writing, three times: each restart asks for everything after its last line
for round in 1 2 3; do
    kill -9 $LAST; wait $LAST 2>/dev/null
    # the publisher goes on: ~150 record seconds the sink must fetch back; round 1 ~400, more
    # than one reply's 256 entries (the next pages asked after the last entry's seq)
    if [ $round = 1 ]; then sleep 0.8; else sleep 0.3; fi
    bg sink$round $AT $SINK
    grow 400 "round $round"
done
# hung, then killed (the watchdog's restart of a stopped unit)
kill -STOP $LAST; sleep 0.5; kill -9 $LAST; wait $LAST 2>/dev/null
bg sinkstop $AT $SINK
grow 400 "after stop"
kill -TERM $LAST; wait $LAST
/usr/bin/python3 tests/integration/sink_check.py "$D" kxbtc15m --no-missing --all-explained \
    >"$T/check.out" || { cat "$T/check.out"; fail "catch-up left seconds missing or twice"; }
cat "$T/check.out"
n=$(grep -c '"reason":"sink_restart"' "$F")
[ "$n" -ge 4 ] || fail "expected 4 sink_restart records (a restart is always written), got $n"
grep '"reason":"sink_restart"' "$F" | grep -q '"seconds":[1-9]' &&
    fail "a sink_restart record names missing seconds: catch-up should have filled them"
# tap --since: the same history, printed from its first second on, each second once, in order
"$BIN/tap" --since 2026-11-28T00:00:00Z --count 50 --json --timeout 10 tick >"$T/since.out" \
    2>"$T/since.log" || fail "tap --since: $(tail -2 "$T/since.log")"
/usr/bin/python3 - "$T/since.out" <<'EOF2' || fail "tap --since printed the wrong seconds"
import json, sys
ts = [json.loads(l)["ts"] for l in open(sys.argv[1])]
assert ts[0] == "2026-11-28T00:00:00Z", ts[:3]
assert len(ts) == 50 and len(set(ts)) == 50 and ts == sorted(ts), ts
EOF2
kill $GEN; wait $GEN 2>/dev/null

# away longer than the history: a publisher keeping 50 record seconds (0.1 s of wall time)
D2=$T/data2
F2=$D2/kxbtc15m-2026-11-28.jsonl
F=$F2
bg gen2 $AT "$BIN/tickgen" --name agg2 --start 2026-11-28T06:00:00Z --count 0 \
    --interval-ms 2 --delay-ms 300 --history-s 50
S2="$BIN/sink-jsonl --name sink2 --dir $D2 --fsync 1 --max-ahead 86400 --sub ipc://$TICKBUS_BUS/agg2.pub"
bg s2a $AT $S2
grow 200 "second publisher"
kill -9 $LAST; wait $LAST 2>/dev/null
sleep 1 # ~500 record seconds: more than the 50 the history keeps
bg s2b $AT $S2
grow 200 "second publisher, after a long absence"
kill -TERM $LAST; wait $LAST
/usr/bin/python3 tests/integration/sink_check.py "$D2" kxbtc15m --all-explained >"$T/check2.out" ||
    { cat "$T/check2.out"; fail "long absence: unexplained seconds"; }
cat "$T/check2.out"
# exactly the seconds the history no longer had: the gap record's count equals the missing count
missing=$(sed -n 's/.* missing=\([0-9]*\) .*/\1/p' "$T/check2.out")
gapsec=$(grep '"reason":"sink_restart"' "$F2" | sed -n 's/.*"seconds":\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
[ "$missing" -gt 0 ] || fail "long absence: nothing missing? (history kept more than asked)"
[ "$missing" = "$gapsec" ] || fail "long absence: $missing seconds missing but gap records name $gapsec"
echo ok
