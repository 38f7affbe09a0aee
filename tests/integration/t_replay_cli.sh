# t_replay_cli: replay on hand-made capture files (.jsonl and .jsonl.gz with a torn last line):
# messages republished in original ts_pub order with "orig" and their original ts_rx/ts_ex, a
# payload's own "src" kept, sink records skipped, --topic filtering, bad lines counted and
# logged, hb.replay progress and done; bad options exit 64, an unreadable file 66.
. tests/integration/lib.sh
B=$TICKBUS_BUS
T0=1795867380000000000
L() { printf '%s\n' "$1" >>"$T/a.jsonl"; }
L '{"type":"gap","ts":"2026-11-28T12:03:00Z","from":"x","to":"y","seconds":0,"reason":"restart"}'
L '{"topic":"quote.coinbase.BTC-USD","src":"feed-coinbase","epoch":"e1","seq":7,"ts_rx":'$((T0 + 290000000))',"ts_ex":'$((T0 + 280000000))',"ts_pub":'$((T0 + 300000000))',"bid":1,"ask":2}'
L '{"topic":"quote.kraken.BTC-USD","src":"feed-kraken","epoch":"e2","seq":3,"ts_rx":'$((T0 + 90000000))',"ts_ex":null,"ts_pub":'$((T0 + 100000000))',"bid":3,"ask":4}'
L 'not json at all'
L '{"topic":"index.brti","src":"feed-kalshi","epoch":"e3","seq":5,"ts_rx":'$((T0 + 500000000))',"ts_ex":null,"ts_pub":'$((T0 + 500000000))',"value":97000.5,"src":"kalshi"}'
L '{"topic":"hb.feed-kalshi","src":"feed-kalshi","epoch":"e3","seq":6,"ts_rx":1,"ts_ex":null,"ts_pub":'$((T0 + 600000000))',"progress":1}'
L '{"topic":"quote.coinbase.BTC-USD","src":"feed-coinbase","epoch":"e1","seq":8,"ts_rx":'$((T0 + 1000000000))',"ts_ex":null,"ts_pub":'$((T0 + 1000000000))',"bid":5,"ask":6}'
{ printf '%s\n' '{"topic":"quote.kraken.BTC-USD","src":"feed-kraken","epoch":"e2","seq":4,"ts_rx":'$((T0 + 1200000000))',"ts_ex":null,"ts_pub":'$((T0 + 1200000000))',"bid":7,"ask":8}'
  printf '%s' '{"topic":"quote.kraken.BTC-USD","src":"feed-kr'; } | gzip >"$T/b.jsonl.gz"

bg tap "$BIN/tap" --sub "ipc://$B/replay.pub"
sleep 0.3 # (not an assertion) tap connects while replay waits --wait-s
"$BIN/replay" --speed 5 --wait-s 1.5 --end-s 1.5 --topic quote. --topic index. \
    "$T/a.jsonl" "$T/b.jsonl.gz" >"$T/replay.out" 2>"$T/replay.log" || fail "replay exit $?"
grep -q 'done: 9 lines, 5 sent, 1 skipped (sink records), 1 filtered, 2 bad, 0 dropped' \
    "$T/replay.log" || fail "summary: $(tail -n 1 "$T/replay.log")"
grep -q 'a.jsonl:4: bad line skipped (not a JSON object)' "$T/replay.log" || fail "bad line log"
grep -q 'b.jsonl.gz:2: bad line skipped (torn last line)' "$T/replay.log" || fail "torn line log"
wait_for 5 grep -q '"done":true' "$T/tap.out" || fail "no hb.replay with done"
/usr/bin/python3 - "$T/tap.out" "$T0" <<'PY' || fail "republished messages"
import json, sys
T0 = int(sys.argv[2])
def first(pairs):
    d = {}
    for k, v in pairs: d.setdefault(k, v)
    return d
msgs = []
for l in open(sys.argv[1]):
    topic, body = l.split(" ", 1)
    msgs.append((topic, json.loads(body, object_pairs_hook=first), json.loads(body)))
data = [(t, r, last) for t, r, last in msgs if not t.startswith("hb.")]
got = [(t, r["orig"]["ts_pub"] - T0) for t, r, _ in data]
want = [("quote.kraken.BTC-USD", 100000000), ("quote.coinbase.BTC-USD", 300000000),
        ("index.brti", 500000000), ("quote.coinbase.BTC-USD", 1000000000),
        ("quote.kraken.BTC-USD", 1200000000)]
if got != want: sys.exit("order %s" % got)
seqs = [r["seq"] for _, r, _ in msgs]
if seqs != sorted(seqs) or any(r["src"] != "replay" for _, r, _ in msgs): sys.exit("envelope %s" % seqs)
t, r, last = data[1]
if (r["ts_rx"] - T0, r["ts_ex"] - T0, r["orig"], r["bid"], r["ask"]) != \
        (290000000, 280000000, {"src": "feed-coinbase", "epoch": "e1", "seq": 7,
                                "ts_pub": T0 + 300000000}, 1, 2):
    sys.exit("quote %s" % r)
if data[0][1]["ts_ex"] is not None: sys.exit("ts_ex null")
if data[2][2]["src"] != "kalshi" or data[2][1]["orig"]["src"] != "feed-kalshi" or \
        data[2][1]["value"] != 97000.5:
    sys.exit("index %s" % data[2][2])
hb = [r for t, r, _ in msgs if t == "hb.replay"][-1]
if (hb["sent"], hb["bad"], hb["skipped"], hb["filtered"], hb["progress"]) != (5, 2, 1, 1, 5):
    sys.exit("hb %s" % hb)
print("ok", len(data), "messages")
PY
"$BIN/replay" --speed 0 "$T/a.jsonl" 2>/dev/null; [ $? = 64 ] || fail "--speed 0 accepted"
"$BIN/replay" 2>/dev/null; [ $? = 64 ] || fail "no FILE accepted"
"$BIN/replay" --speed max --wait-s 0 --end-s 0 "$T/missing.jsonl" "$T/a.jsonl" 2>"$T/missing.log"
[ $? = 66 ] || fail "missing file: not exit 66"
grep -q 'done: 7 lines, 5 sent' "$T/missing.log" || fail "the readable file was not replayed"
echo ok
