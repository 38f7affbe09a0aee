# t_agg_golden: recorded bus input (mockx world through the four feeds) replayed through the
# aggregator's record assembly (aggreplay: time from the messages, no clock) must give the
# committed ticks and events byte for byte.
. tests/integration/lib.sh
FX="$ROOT/tests/fixtures/agg"
gzip -dc "$FX/world-bus.txt.gz" >"$T/in.txt" || fail "fixture"
"$BIN/aggreplay" "$T/in.txt" >"$T/out.txt" 2>"$T/replay.log" || fail "aggreplay failed"
[ "$(grep -c '^tick ' "$T/out.txt")" -ge 10 ] || fail "too few ticks"
grep -q '^event.settlement ' "$T/out.txt" || fail "no settlement"
diff -u "$FX/world-bus.expected" "$T/out.txt" >"$T/diff.txt" || { head -c 3000 "$T/diff.txt"; fail "output differs from the golden file"; }
echo ok
