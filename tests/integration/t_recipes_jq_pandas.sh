# Every `sh` (jq) and `python` (pandas) recipe in docs/ANALYSIS.md runs on a
# generated day, plain and gzipped, and prints what its expect: comments say.
# san: skip: jq and pandas on a generated file: no program of ours runs
. tests/integration/lib.sh
command -v jq >/dev/null || fail "jq not installed"
/usr/bin/python3 -c 'import pandas' 2>/dev/null || fail "python3-pandas not installed"
/usr/bin/python3 tests/tools/gen_day.py --date 2026-11-28 --seconds 7200 "$T/data" >/dev/null || fail "gen_day"
F="$T/data/kxbtc15m-2026-11-28.jsonl" /usr/bin/python3 tests/integration/recipes.py docs/ANALYSIS.md sh,python \
    >"$T/plain.out" 2>&1 || fail "recipes on .jsonl: $(cat "$T/plain.out")"
gzip -k "$T/data/kxbtc15m-2026-11-28.jsonl"
F="$T/data/kxbtc15m-2026-11-28.jsonl.gz" /usr/bin/python3 tests/integration/recipes.py docs/ANALYSIS.md sh,python \
    >"$T/gz.out" 2>&1 || fail "recipes on .jsonl.gz: $(cat "$T/gz.out")"
n=$(grep -c ' ok$' "$T/plain.out")
[ "$n" -ge 10 ] || fail "only $n recipes ran"
echo "ok: $(tail -n 1 "$T/plain.out")"
