# feed-kalshi against mockx --kalshi-subs shared (Kalshi answers a subscribe
# on a channel already subscribed with `ok` on the existing sid, listing all
# its markets): with 10 s windows, the next market is pre-subscribed onto the
# open market's sids; at each rollover the old market leaves them by
# update_subscription delete_markets, never by unsubscribe, so the new
# market's book keeps receiving data (valid, fresh) after the old one is gone.
. tests/integration/lib.sh
. tests/integration/kalshilib.sh
kalshi_world 10 --kalshi-subs shared
bg tap "$BIN/tap" --timeout 50 event. kalshi.book. hb.feed-kalshi
sleep 0.3
kalshi_feed --presubscribe 8 --grace 2 --stale-after 4
opened() { [ "$(grep '^event.market_open ' "$T/tap.out" | grep -c '"reason":"opened"')" -ge 4 ]; }
wait_for 50 opened || fail "fewer than 4 windows opened: $(grep -c market_open "$T/tap.out")"
sleep 3
grep -q '"delete_markets"' "$T/mx.jsonl" || fail "no market removed with delete_markets"
/usr/bin/python3 - "$T/tap.out" "$T/mx.jsonl" <<'PY' || fail "a market lost its data at a rollover"
import json, sys
from datetime import datetime
def ts(iso):
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
ev, books = [], {}
for l in open(sys.argv[1]):
    topic, body = l.rstrip("\n").split(" ", 1)
    m = json.loads(body)
    if topic == "event.market_open" and m["reason"] == "opened":
        ev.append(m)
    elif topic.startswith("kalshi.book."):
        books.setdefault(m["ticker"], []).append(m)
sent = [json.loads(l) for l in open(sys.argv[2])]
dels = unsubs = 0
for f in sent:
    s = json.dumps(f)
    dels += '"delete_markets"' in s
    unsubs += '"unsubscribe"' in s
# each market after its predecessor left (close + grace 2 s): its book still
# valid with data younger than 1.5 s
checked = 0
for e in ev[1:-1]:
    t = e["ticker"]
    after = [b for b in books.get(t, []) if ts(e["open_time"]) + 3 < b["ts_pub"] / 1e9
             < ts(e["close_time"])]
    assert after, (t, "no book published while open after the rollover")
    bad = [b for b in after if not b["valid"] or b["age_ms"] > 1500]
    assert not bad, (t, len(bad), "of", len(after), bad[0])
    checked += 1
assert checked >= 2, checked
print("markets checked", checked, "delete_markets", dels, "unsubscribe frames", unsubs)
PY
echo ok
