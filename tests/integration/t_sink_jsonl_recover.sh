# Start-up recovery: a torn last line (power loss) is moved to .torn and
# reported; a day left uncompressed by a crash (and the temporary of an
# interrupted compression) is closed with a coverage record and gzip'd; a
# crash between the rename of the .gz and the unlink of the .jsonl does not
# duplicate the day.
. tests/integration/lib.sh
# sinks and tickgen on a clock shifted to the test's dates (clock_at): any real date gives the same verdict
clock_at "2026-11-28 12:00:00"
D=$T/data
mkdir -p "$D"
# the Go collector's form (docs/RECORD.md): 0 for an unknown price, markets omitted when empty
tick() { printf '{"type":"tick","ts":"%s","brti":1.5,"coinbase":0,"kraken":0,"bitstamp":0}\n' "$1"; }
# the 26th: compressed earlier, but the .jsonl survived (crash before unlink)
tick 2026-11-26T10:00:00Z > "$D/kxbtc15m-2026-11-26.jsonl"
gzip -c "$D/kxbtc15m-2026-11-26.jsonl" > "$D/kxbtc15m-2026-11-26.jsonl.gz"
# the 27th: never compressed, plus a half-written temporary
{ tick 2026-11-27T10:00:00Z; tick 2026-11-27T10:00:01Z; } > "$D/kxbtc15m-2026-11-27.jsonl"
echo garbage > "$D/kxbtc15m-2026-11-27.jsonl.gz.tmp"
# the 28th: a torn last line
{ tick 2026-11-28T11:59:58Z; printf '{"type":"tick","ts":"2026-11-28T11:59:59Z","br'; } \
    > "$D/kxbtc15m-2026-11-28.jsonl"
bg sink $AT "$BIN/sink-jsonl" --dir "$D" --fsync 0.2 -v
SINK=$LAST
wait_for 5 grep -q 'torn last line' "$T/sink.log" || fail "torn line not reported"
[ -s "$D/kxbtc15m-2026-11-28.jsonl.torn" ] || fail "no .torn file"
grep -q '"ts":"2026-11-28T11:59:59Z","br' "$D/kxbtc15m-2026-11-28.jsonl.torn" || fail ".torn content"
$AT "$BIN/tickgen" --name aggregator --start 2026-11-28T12:00:03Z --count 5 --interval-ms 20 \
    --delay-ms 700 2>/dev/null || fail tickgen
wait_for 10 test -f "$D/kxbtc15m-2026-11-27.jsonl.gz" || fail "left-over day not compressed"
wait_for 10 sh -c "! test -f $D/kxbtc15m-2026-11-26.jsonl" || fail "finished compression not detected"
test -f "$D/kxbtc15m-2026-11-27.jsonl.gz.tmp" && fail "temporary left"
[ "$(zcat "$D/kxbtc15m-2026-11-26.jsonl.gz" | wc -l)" = 1 ] || fail "the 26th was duplicated"
zcat "$D/kxbtc15m-2026-11-27.jsonl.gz" | tail -n 1 | grep -q '"type":"coverage".*"covered":2,' ||
    fail "left-over day without coverage record"
wait_for 10 grep -q '"ts":"2026-11-28T12:00:07Z"' "$D/kxbtc15m-2026-11-28.jsonl" || fail "ticks"
grep '"reason":"sink_restart"' "$D/kxbtc15m-2026-11-28.jsonl" | grep -q '"from":"2026-11-28T11:59:59Z","to":"2026-11-28T12:00:02Z","seconds":4' ||
    fail "sink_restart gap: $(grep gap "$D/kxbtc15m-2026-11-28.jsonl")"
kill -TERM $SINK; wait $SINK || fail "exit code"
/usr/bin/python3 tests/integration/sink_check.py "$D" kxbtc15m >"$T/check.out" ||
    { cat "$T/check.out"; fail "check"; }
echo ok
