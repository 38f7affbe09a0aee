# make demo's pipeline (mockx world -> the six feeds -> aggregator -> sink-jsonl, via
# compose/launch.sh) runs ~20 s: its ticks list the five exchange venues, and once the feeds
# are up every one of them is ok (venues_ok 5, state ok); tickbus plot renders the day file.
# san: skip: its pipeline is the demo's, which t_launch_heal runs under the sanitizers; what it adds is the Python plot
. tests/integration/lib.sh
for p in mockx feed-coinbase feed-kraken feed-bitstamp feed-gemini feed-cryptocom feed-kalshi \
    aggregator sink-jsonl watchdog; do
    [ -x "$BIN/$p" ] || fail "$BIN/$p not built"
done
# in the background so that cleanup stops it (launch.sh stops its pipeline on TERM)
export TICKBUS_HOME="$T/demo" OUTPUT_DIR="$T/data" FOR=20 DEMO_WINDOW_S=60
bg demo sh compose/launch.sh demo
DEMO=$LAST
wait_for 60 sh -c "! kill -0 $DEMO" || fail "demo did not stop after FOR=20 s: $(tail -5 "$T/demo.out")"
# the day file with the most ticks is plotted; the checks read every day file (a run across
# midnight UTC writes two)
f=$(for x in "$T"/data/kxbtc15m-*.jsonl; do [ -f "$x" ] && echo "$(grep -c '"type":"tick"' "$x") $x"; done |
    sort -rn | head -n 1 | cut -d' ' -f2)
[ -n "$f" ] || fail "demo wrote no day file"
d=$(basename "$f" | sed 's/^kxbtc15m-\([0-9-]*\)\.jsonl.*/\1/')
n=$(cat "$T"/data/kxbtc15m-*.jsonl | grep -c '"type":"tick"')
[ "$n" -ge 5 ] || fail "demo wrote only $n ticks"
/usr/bin/python3 - "$T"/data/kxbtc15m-*.jsonl <<'PY' || fail "the demo's venues"
import json, sys
five = ["coinbase", "kraken", "bitstamp", "gemini", "cryptocom"]
ticks = [r for a in sys.argv[1:] for r in map(json.loads, open(a)) if r.get("type") == "tick"]
bad = [t["ts"] for t in ticks if list(t["venues"])[:5] != five]
assert not bad, ("venues listed", bad)
full = [t for t in ticks if t["health"]["venues_ok"] == 5 and t["health"]["state"] == "ok"]
assert len(full) >= 5, ("ticks with the five venues ok and state ok", len(full), len(ticks))
print(f"demo: {len(ticks)} ticks list the five venues, {len(full)} with venues_ok 5 and state ok")
PY
"$BIN/tickbus" plot "$d" --dir "$T/data" --out "$T/demo.png" >"$T/plot.out" 2>"$T/plot.log" ||
    fail "plot: $(cat "$T/plot.log")"
/usr/bin/python3 tests/integration/pngcheck.py "$T/demo.png" 20000 1600 900 || fail "demo.png"
cp "$T/demo.png" /tmp/tickbus-demo-plot.png 2>/dev/null || true
echo "ok: $(cat "$T/plot.out")"
