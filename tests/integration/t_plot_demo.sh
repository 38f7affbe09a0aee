# make demo's pipeline (mockx world -> feeds -> aggregator -> sink-jsonl, via
# compose/launch.sh) runs ~20 s; tickbus plot renders the day file it wrote.
# san: skip: its pipeline is the demo's, which t_launch_heal runs under the sanitizers; what it adds is the Python plot
. tests/integration/lib.sh
for p in mockx feed-coinbase feed-kraken feed-bitstamp feed-kalshi aggregator sink-jsonl watchdog; do
    [ -x "$BIN/$p" ] || fail "$BIN/$p not built"
done
# in the background so that cleanup stops it (launch.sh stops its pipeline on TERM)
export TICKBUS_HOME="$T/demo" OUTPUT_DIR="$T/data" FOR=20 DEMO_WINDOW_S=60
bg demo sh compose/launch.sh demo
DEMO=$LAST
wait_for 60 sh -c "! kill -0 $DEMO" || fail "demo did not stop after FOR=20 s: $(tail -5 "$T/demo.out")"
f=$(ls "$T"/data/kxbtc15m-*.jsonl* 2>/dev/null | head -1)
[ -n "$f" ] || fail "demo wrote no day file"
d=$(basename "$f" | sed 's/^kxbtc15m-\([0-9-]*\)\.jsonl.*/\1/')
n=$(grep -c '"type":"tick"' "$f")
[ "$n" -ge 5 ] || fail "demo wrote only $n ticks"
"$BIN/tickbus" plot "$d" --dir "$T/data" --out "$T/demo.png" >"$T/plot.out" 2>"$T/plot.log" ||
    fail "plot: $(cat "$T/plot.log")"
/usr/bin/python3 tests/integration/pngcheck.py "$T/demo.png" 20000 1600 900 || fail "demo.png"
cp "$T/demo.png" /tmp/tickbus-demo-plot.png 2>/dev/null || true
echo "ok: $(cat "$T/plot.out")"
