# kill -9 of sink-jsonl during a fast write loop leaves no torn line; the
# restarted sink appends to the same file (what was there stays byte for
# byte) and writes a sink_restart gap record for the seconds it missed.
. tests/integration/lib.sh
# sinks and tickgen on a clock shifted to the test's dates (clock_at): any real date gives the same verdict
# tickgen runs a tick a millisecond (1000x real time): --max-ahead lets its hours ahead in
clock_at "2026-11-28 00:00:00"
D=$T/data
F=$D/kxbtc15m-2026-11-28.jsonl
lines() { [ -f "$F" ] && wc -l < "$F" || echo 0; }
bg gen $AT "$BIN/tickgen" --name aggregator --start 2026-11-28T00:00:00Z --count 0 --interval-ms 1 \
    --delay-ms 300
for round in 1 2 3; do
    bg sink$round $AT "$BIN/sink-jsonl" --dir "$D" --fsync 1 --max-ahead 86400
    pid=$LAST
    want=$(( $(lines) + 400 ))
    wait_for 20 sh -c "[ \$(wc -l < $F 2>/dev/null || echo 0) -ge $want ]" ||
        fail "round $round: file stuck at $(lines) lines"
    kill -9 $pid; wait $pid 2>/dev/null
    cp "$F" "$T/after$round"
    tail -c 1 "$F" | od -c | grep -q '\\n' || fail "round $round: last byte is not a newline"
done
bg sinkfinal $AT "$BIN/sink-jsonl" --dir "$D" --fsync 1 --max-ahead 86400
pid=$LAST
want=$(( $(lines) + 200 ))
wait_for 20 sh -c "[ \$(wc -l < $F) -ge $want ]" || fail "final sink did not append"
kill -TERM $pid; wait $pid; rc=$?
[ "$rc" = 0 ] || fail "SIGTERM exit $rc"
for r in 1 2 3; do
    n=$(wc -c < "$T/after$r")
    cmp -n "$n" "$T/after$r" "$F" || fail "bytes written before kill $r changed"
done
ls "$D"/*.torn 2>/dev/null && fail "a torn line was found after kill -9"
/usr/bin/python3 tests/integration/sink_check.py "$D" kxbtc15m --expect-reason sink_restart \
    >"$T/check.out" || { cat "$T/check.out"; fail "check"; }
cat "$T/check.out"
n=$(grep -c '"reason":"sink_restart"' "$F")
[ "$n" -ge 3 ] || fail "expected 3 sink_restart gap records, got $n"
echo ok
