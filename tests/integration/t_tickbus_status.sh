# tickbus status: reads every program's hb from the bus; a silent expected
# program is "down" (exit 1); progress rate and today's file are shown.
. tests/integration/lib.sh
bg a "$BIN/hbfake" --name prog-a --rate 20
bg b "$BIN/hbfake" --name prog-b --rate 10 --frozen
mkdir -p "$T/data"
day=$(date -u +%Y-%m-%d)
printf '{"type":"tick"}\n{"type":"tick"}\n' >"$T/data/kxbtc15m-$day.jsonl"
sleep 1.5
"$BIN/tickbus" status --wait 3 --dir "$T/data" --expect prog-a,prog-b >"$T/st" 2>"$T/err"
rc=$?
cat "$T/st"
[ $rc = 0 ] || fail "status exit $rc with both programs up: $(cat "$T/err")"
grep -q '^prog-a  *ok ' "$T/st" || fail "prog-a not ok"
rate=$(awk '$1=="prog-a"{print $4}' "$T/st")
awk "BEGIN{exit !($rate >= 10 && $rate <= 30)}" || fail "prog-a progress rate $rate, expected ~20/s"
rate=$(awk '$1=="prog-b"{print $4}' "$T/st")
[ "$rate" = 0.0 ] || fail "frozen prog-b shows progress $rate"
grep -q "kxbtc15m-$day.jsonl: 2 lines" "$T/st" || fail "today's file not counted"
"$BIN/tickbus" status --wait 1 --dir "$T/data" --expect prog-a,prog-c >"$T/st2" 2>/dev/null && fail "missing program not an error"
grep -q '^prog-c  *down' "$T/st2" || fail "prog-c not reported down"
# the default --expect: the pipeline, the five exchange feeds among it (none runs here: all down)
"$BIN/tickbus" status --wait 0.5 --dir "$T/data" >"$T/st3" 2>/dev/null && fail "nothing of the pipeline up, exit 0"
for p in feed-coinbase feed-kraken feed-bitstamp feed-gemini feed-cryptocom feed-kalshi aggregator \
    sink-jsonl watchdog; do
    grep -q "^$p  *down" "$T/st3" || fail "the default --expect lacks $p"
done
# several series: their aggregators and sinks are expected, their files counted; the feeds
# are those the series use (DOGE: coinbase, gemini, kraken only)
printf '{"type":"tick"}\n' >"$T/data/kxdoge15m-$day.jsonl"
SERIES_TICKER="KXDOGE15M KXETH15M" "$BIN/tickbus" status --wait 0.5 --dir "$T/data" >"$T/st4" 2>/dev/null
for p in feed-coinbase feed-kraken feed-bitstamp feed-gemini feed-cryptocom feed-kalshi \
    aggregator-kxdoge15m sink-jsonl-kxdoge15m aggregator-kxeth15m sink-jsonl-kxeth15m watchdog; do
    grep -q "^$p  *down" "$T/st4" || fail "SERIES_TICKER=KXDOGE15M,KXETH15M: --expect lacks $p"
done
grep -q "^aggregator  " "$T/st4" && fail "KXBTC15M's aggregator expected though not configured"
grep -q "kxdoge15m-$day.jsonl: 1 lines" "$T/st4" || fail "KXDOGE15M's file not counted"
grep -q "kxeth15m-$day.jsonl: No such file" "$T/st4" || fail "KXETH15M's missing file not shown"
SERIES_TICKER="KXDOGE15M" "$BIN/tickbus" status --wait 0.5 --dir "$T/data" >"$T/st5" 2>/dev/null
grep -q "^feed-bitstamp" "$T/st5" && fail "KXDOGE15M alone expects feed-bitstamp (not one of its venues)"
SERIES_TICKER="KXNOPE15M" "$BIN/tickbus" status --wait 0.5 2>"$T/err6"; [ $? = 64 ] || fail "a bad series not exit 64"
grep -q "SERIES_KXNOPE15M" "$T/err6" || fail "a bad series not named: $(cat "$T/err6")"
"$BIN/tickbus" frobnicate 2>/dev/null; [ $? = 64 ] || fail "unknown command not exit 64"
echo ok
