# tickbus plot renders a generated day (plain and gzipped, with a torn last
# line and a stretch of missing seconds) to a PNG of the asked size whose
# content is not empty; bad arguments and missing files are refused.
# san: skip: tickbus-plot is Python; no C program of ours runs
. tests/integration/lib.sh
TB="$BIN/tickbus"
/usr/bin/python3 tests/tools/gen_day.py --date 2026-11-28 --seconds 7200 "$T/data" >/dev/null || fail "gen_day"
printf '{"type":"tick","ts":"2026-11-28T12:00:00Z","brti' >>"$T/data/kxbtc15m-2026-11-28.jsonl"
"$TB" plot 2026-11-28 --dir "$T/data" --out "$T/day.png" >"$T/plot.out" 2>"$T/plot.log" || fail "plot: $(cat "$T/plot.log")"
grep -q '7155 ticks, 8 markets, 2 gaps' "$T/plot.out" || fail "plot summary: $(cat "$T/plot.out")"
/usr/bin/python3 tests/integration/pngcheck.py "$T/day.png" 30000 1600 900 || fail "day.png"
# the same day gzipped (as sink-jsonl leaves finished days), other size
/usr/bin/python3 tests/tools/gen_day.py --date 2026-11-29 --seconds 3600 --gz "$T/gz" >/dev/null || fail "gen_day --gz"
"$TB" plot 2026-11-29 --dir "$T/gz" --out "$T/gz.png" --size 800x500 >"$T/plot2.out" 2>"$T/plot.log" || fail "plot .gz: $(cat "$T/plot.log")"
/usr/bin/python3 tests/integration/pngcheck.py "$T/gz.png" 15000 800 500 || fail "gz.png"
# another series (docs/SERIES.md): its prefix by --series, DOGE-sized prices
python3 - "$T/data/kxbtc15m-2026-11-28.jsonl" "$T/data/kxdoge15m-2026-11-28.jsonl" <<'PY'
import json, sys
out = open(sys.argv[2], "w")
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    for k in ("brti", "brti_official", "brti_rti", "brti_median"):
        if isinstance(r.get(k), (int, float)):
            r[k] = round(r[k] / 277000, 5)
    out.write(json.dumps(r) + "\n")
PY
"$TB" plot 2026-11-28 --series KXDOGE15M --dir "$T/data" --out "$T/doge.png" >"$T/plot3.out" 2>"$T/plot.log" ||
    fail "plot --series KXDOGE15M: $(cat "$T/plot.log")"
grep -q '7155 ticks' "$T/plot3.out" || fail "plot --series KXDOGE15M read another file: $(cat "$T/plot3.out")"
/usr/bin/python3 tests/integration/pngcheck.py "$T/doge.png" 30000 1600 900 || fail "doge.png"
"$TB" plot 2026-11-28 --series KXNOPE15M --dir "$T/data" --out "$T/n.png" 2>/dev/null; [ $? = 64 ] || fail "an unknown series not exit 64"
# refusals
"$TB" plot 2026-11-30 --dir "$T/data" --out "$T/x.png" 2>/dev/null && fail "plotted a missing day"
"$TB" plot 28-11-2026 --dir "$T/data" 2>/dev/null && fail "accepted a bad date"
[ -f "$T/x.png" ] && fail "wrote a PNG for a missing day"
echo ok
