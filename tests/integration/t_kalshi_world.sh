# feed-kalshi against mockx's world with 10 s windows: the signed upgrade is
# accepted, three consecutive windows open and are followed, strikes and
# settlements are published (settlement consistent with the strike), books are
# valid, and the official BRTI arrives.
. tests/integration/lib.sh
. tests/integration/kalshilib.sh
kalshi_world 10
bg tap "$BIN/tap" --timeout 55 event. index.brti kalshi.book. kalshi.market. hb.feed-kalshi
sleep 0.3
kalshi_feed --presubscribe 8 --grace 5
opened() { [ "$(grep '^event.market_open ' "$T/tap.out" | grep -c '"reason":"opened"')" -ge 3 ]; }
wait_for 50 opened || fail "fewer than 3 windows opened: $(grep -c market_open "$T/tap.out")"
wait_for 15 sh -c "[ \$(grep -c '^event.settlement ' $T/tap.out) -ge 2 ]" || fail "no settlements"
grep -q '"sig_ok":true' "$T/mx.jsonl" || fail "mockx did not verify the signature"
grep -q 'use_yes_price[^,]*false' "$T/mx.jsonl" || fail "use_yes_price not sent explicitly"
/usr/bin/python3 - "$T/tap.out" <<'PY' || fail "published data wrong"
import json, sys
ev = {}
books = {}
brti = 0
for l in open(sys.argv[1]):
    topic, body = l.rstrip("\n").split(" ", 1)
    m = json.loads(body)
    if topic.startswith("event."):
        ev.setdefault(topic, []).append(m)
    elif topic == "index.brti":
        brti += 1
        assert m["value"] > 0 and m["ts_ex"] is not None
    elif topic.startswith("kalshi.book."):
        books.setdefault(m["ticker"], []).append(m["valid"])
opened = [e["ticker"] for e in ev["event.market_open"] if e["reason"] == "opened"]
assert len(opened) == len(set(opened)) >= 3, opened
# consecutive windows: each opens when the previous closes
times = {e["ticker"]: (e["open_time"], e["close_time"]) for e in ev["event.market_open"]}
seq = sorted(times.values())
for a, b in zip(seq, seq[1:]):
    assert a[1] == b[0], (a, b)
strikes = {e["ticker"] for e in ev.get("event.strike_set", [])}
assert set(opened[:-1]) <= strikes, (opened, strikes)
for s in ev["event.settlement"]:
    assert s["result"] in ("yes", "no") and s["expiration_value"] and s["floor_strike"], s
    assert s["result_consistent"] is True, s
assert brti >= 5, brti
for t in opened[:-1]:
    assert True in books.get(t, []), (t, books.get(t))
print("opened", len(opened), "settled", len(ev["event.settlement"]), "brti", brti)
PY
echo ok
