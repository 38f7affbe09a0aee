# sink-jsonl end to end: ticks across UTC midnight (by their own ts) with a
# skipped second, a lost seq, events and an aggregator restart; the closed day
# gets a coverage record and is gzip'd; every line loads in the Go
# collector's loader shape; SIGTERM exits 0 after a flush. The sink and
# tickgen run on a clock shifted to 2026-11-28 23:59:50 (clock_at), so the
# dates below hold on any real date.
. tests/integration/lib.sh
D=$T/data
clock_at "2026-11-28 23:59:50"
bg sink $AT "$BIN/sink-jsonl" --dir "$D" --fsync 0.2 -v
SINK=$LAST
wait_for 5 grep -q 'writing' "$T/sink.log" || fail "sink did not start"
$AT "$BIN/tickgen" --name aggregator --start 2026-11-28T23:59:40Z --count 30 --interval-ms 20 \
    --skip 5 --lose 9 --events 6 --hb --delay-ms 700 2>"$T/gen1.log" || fail "tickgen 1"
# a restart of the aggregator: new epoch, two seconds missing
$AT "$BIN/tickgen" --name aggregator --start 2026-11-29T00:00:12Z --count 10 --interval-ms 20 \
    --delay-ms 700 2>"$T/gen2.log" || fail "tickgen 2"
wait_for 10 sh -c "grep -c '\"ts\":\"2026-11-29T00:00:21Z\"' $D/kxbtc15m-2026-11-29.jsonl" ||
    fail "last tick not written"
wait_for 10 test -f "$D/kxbtc15m-2026-11-28.jsonl.gz" || fail "closed day not compressed"
test -f "$D/kxbtc15m-2026-11-28.jsonl" && fail "uncompressed closed day left behind"
kill -TERM $SINK; wait $SINK; rc=$?
[ "$rc" = 0 ] || fail "SIGTERM exit code $rc"
# 40 ticks published, one second skipped, one lost on the bus, 2 s across the restart
/usr/bin/python3 tests/integration/sink_check.py "$D" kxbtc15m --ticks 38 \
    --expect-reason no_tick --expect-reason bus_loss --expect-reason restart >"$T/check.out" ||
    { cat "$T/check.out"; fail "loader check"; }
cat "$T/check.out"
zcat "$D/kxbtc15m-2026-11-28.jsonl.gz" | tail -n 1 | grep -q '"type":"coverage","ts":"2026-11-28T23:59:59Z","date":"2026-11-28","seconds":86400,"covered":18,' ||
    fail "coverage record: $(zcat "$D/kxbtc15m-2026-11-28.jsonl.gz" | tail -n 1)"
grep '"reason":"restart"' "$D/kxbtc15m-2026-11-29.jsonl" | grep -q '"seconds":2' ||
    fail "restart gap should explain 2 seconds"
grep -q 'day 2026-11-28 closed' "$T/sink.log" || fail "no close log"
echo ok
