# A publisher that starts after tap is discovered in the bus directory, and
# its messages (with quotes, backslashes, tabs) arrive intact and in order.
. tests/integration/lib.sh
bg tap "$BIN/tap" --count 50 --timeout 15 test.
sleep 0.3
bg pub "$BIN/testpub" --name late-pub --count 50 --gap-ms 5 --delay-ms 1200
wait_for 15 sh -c "[ \$(wc -l < $T/tap.out) -ge 50 ]" || fail "tap printed $(wc -l < "$T/tap.out") of 50"
/usr/bin/python3 - "$T/tap.out" <<'PY' || fail "payloads not intact"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
seen = []
for l in lines:
    topic, body = l.split(" ", 1)
    assert topic == "test.msg", topic
    m = json.loads(body)
    assert m["src"] == "late-pub" and m["text"] == 'quote " backslash \\ tab \t end', m
    assert m["ts_ex"] is None and m["ts_pub"] >= m["ts_rx"] > 0
    seen.append(m["i"])
assert seen == list(range(1, 51)), seen
PY
grep -q "lost=0 " "$T/tap.log" || fail "tap reported losses: $(tail -1 "$T/tap.log")"
echo ok
