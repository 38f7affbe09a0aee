# A seq gap on the orderbook stream (mockx fault) invalidates the book,
# publishes event.gap and event.resync (counted in the hb's gaps/resyncs), and a
# fresh snapshot makes it valid again.
. tests/integration/lib.sh
. tests/integration/kalshilib.sh
kalshi_world 60 --fault kalshi:gap@6
bg tap "$BIN/tap" --timeout 40 event. kalshi.book. hb.feed-kalshi
sleep 0.3
kalshi_feed
wait_for 30 sh -c "grep '^event.gap ' $T/tap.out | grep -q seq_gap" || fail "no seq gap event"
wait_for 10 grep -q 'get_snapshot' "$T/mx.jsonl" || fail "no get_snapshot sent"
cat >"$T/check.py" <<'PY'
import json, sys
lines = [l.split(" ", 1) for l in open(sys.argv[1]).read().splitlines()]
gap = next(i for i, (t, b) in enumerate(lines) if t == "event.gap" and "seq_gap" in b)
tk = json.loads(lines[gap][1]).get("ticker")
after = [json.loads(b) for t, b in lines[gap:] if t.startswith("kalshi.book.")]
assert any(not m["valid"] for m in after if m["ticker"] == tk), "never published invalid"
assert any(m["valid"] for m in after if m["ticker"] == tk), "never valid again"
PY
wait_for 15 /usr/bin/python3 "$T/check.py" "$T/tap.out" ||
    { /usr/bin/python3 "$T/check.py" "$T/tap.out"; fail "book not resynced after the gap"; }
# counted in the hb's generic gaps/resyncs (what tickbus-metrics sums), not only kalshi_gaps
lasthb() { grep '^hb.feed-kalshi ' "$T/tap.out" | tail -n 1; }
wait_for 5 sh -c "grep '^hb.feed-kalshi ' '$T/tap.out' | tail -n 1 | grep '\"gaps\":[1-9]' | grep -q '\"resyncs\":[1-9]'" ||
    fail "gap/resync not in the hb counters: $(lasthb | cut -c1-900)"
grep -q 'event=gap venue=kalshi reason=seq_gap' "$T/feed.log" || fail "gap not logged as an event"
echo ok
