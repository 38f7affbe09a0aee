# Hostile bus bodies to both sinks (issue 16 items 6, 7 and sink-postgres):
# a publisher in the aggregator's place sends, with valid envelopes, bodies
# with a raw newline between tokens, a raw newline inside a string, invalid
# UTF-8, a NUL, trailing garbage, a tick dated 2099, an event whose ts_pub is
# in 2100 and a seq jump of 9.2e18, between good ticks and a good event.
# Both sinks must write only the good records (every JSONL line and every row
# one JSON object; no 2099/2100 file; no gap records for the far dates), count
# the refusals in their hb (invalid 5, quarantined 2, bus bad 1), and keep
# running (a good tick after the hostile ones is written by both).
. tests/integration/lib.sh
. tests/integration/pg.sh
clock_at "2026-11-28 12:00:00"
bg pgsink $AT "$BIN/sink-postgres" --dsn "$PGDSN" --backoff-max 1 --batch-s 0.1 -v
PGS=$LAST
bg jsonl $AT "$BIN/sink-jsonl" --dir "$T/data" --fsync 0.2 --compress none
JS=$LAST
wait_for 10 grep -q 'tables ready' "$T/pgsink.log" || fail "sink-postgres did not connect"

cat >"$T/hostile.py" <<'EOF'
import sys, time, zmq
ep, off = sys.argv[1], int(sys.argv[2])  # off: clock_at's shift (s); faketime breaks sleep here
ctx = zmq.Context()
s = ctx.socket(zmq.PUB)
s.bind(ep)
time.sleep(1.5)  # both sinks connect
seq = 0
def pub(topic, frag, ts_pub=None, seq_override=None):
    global seq
    if seq_override is None:
        seq += 1
    n = seq if seq_override is None else seq_override
    now = time.time_ns() + off * 10**9
    env = ('{"src":"aggregator","epoch":"00000000000000a1","seq":%d,"ts_rx":%d,"ts_ex":null,'
           '"ts_pub":%d,' % (n, now, ts_pub if ts_pub is not None else now)).encode()
    s.send_multipart([topic.encode(), env + frag + b'}'])
    time.sleep(0.05)
tick = lambda sec, rest=b'': (b'"type":"tick","ts":"2026-11-28T12:00:%02dZ","brti":97000.5' % sec) + rest
pub('tick', tick(0))                                              # good
pub('tick', b'"type":"tick",\n"ts":"2026-11-28T12:00:01Z","brti":1')  # raw newline between tokens
pub('tick', tick(2, b',"note":"a\nb"'))                           # raw newline inside a string
pub('tick', tick(3, b',"note":"\xc3\x28"'))                       # invalid UTF-8
pub('tick', tick(4, b',"note":"a\x00b"'))                         # NUL
pub('event.market_open', b'"ticker":"X"} trailing')               # trailing garbage
pub('tick', b'"type":"tick","ts":"2099-01-01T00:00:00Z","brti":1')  # far future tick
pub('event.market_open', b'"ticker":"Y"', ts_pub=4102444800 * 10**9)  # ts_pub in 2100
pub('tick', tick(5))                                              # good
pub('event.market_open', b'"ticker":"KXBTC15M-26NOV281215-15"')   # good event
pub('tick', tick(6), seq_override=9_200_000_000_000_000_000)      # seq jump of 9.2e18
pub('tick', tick(7))                                              # good, after all of it
time.sleep(0.5)
EOF
/usr/bin/python3 "$T/hostile.py" "ipc://$TICKBUS_BUS/aggregator.pub" "$off" || fail "publisher"

# both sinks wrote the good ones (ticks 00, 05, 07 and one event)
wait_for 10 sh -c "[ \$(grep -c '\"type\":\"tick\"' $T/data/kxbtc15m-2026-11-28.jsonl) = 3 ]" ||
    fail "jsonl ticks: $(grep -c '"type":"tick"' "$T/data/kxbtc15m-2026-11-28.jsonl")"
wait_for 10 sh -c "[ \$(psql -X -A -t -q -d '$PGDSN' -c 'select count(*) from tick') = 3 ]" ||
    fail "pg ticks: $(pgq 'select count(*) from tick')"
[ "$(pgq "select string_agg(to_char(ts at time zone 'UTC', 'SS'), ',' order by ts) from tick")" = "00,05,07" ] ||
    fail "pg tick times: $(pgq 'select ts from tick')"
[ "$(pgq "select count(*) from event where topic like 'event.%'")" = 1 ] ||
    fail "pg events: $(pgq 'select topic, rec from event')"
[ "$(grep -c '"ticker"' "$T/data/kxbtc15m-2026-11-28.jsonl")" = 1 ] || fail "jsonl events"

# every line one JSON object of valid UTF-8; every row too; no far-dated file or row
/usr/bin/python3 - "$T/data" <<'EOF' || fail "a written line is not one JSON object"
import json, os, sys
for name in os.listdir(sys.argv[1]):
    for raw in open(os.path.join(sys.argv[1], name), 'rb').read().split(b'\n')[:-1]:
        assert isinstance(json.loads(raw.decode('utf-8', 'strict')), dict), raw
EOF
ls "$T/data" | grep -q '2099\|2100' && fail "a far-dated file: $(ls "$T/data")"
[ "$(ls "$T/data" | grep -c '\.jsonl$')" = 1 ] || fail "files: $(ls "$T/data")"
[ "$(pgq "select count(*) from tick where ts > '2027-01-01'") $(pgq "select count(*) from event where ts > '2027-01-01'")" = "0 0" ] ||
    fail "far-dated rows in postgres"
# gap records cover only the 4 + 1 missing seconds of 12:00, none towards 2099
for n in "$(grep -c '"type":"gap"' "$T/data/kxbtc15m-2026-11-28.jsonl")" \
         "$(pgq "select count(*) from event where type = 'gap'")"; do
    [ "$n" -le 4 ] || fail "$n gap records"
done

# the refusals are counted in each sink's hb; both still run
hbv() { "$BIN/tap" --sub "ipc://$TICKBUS_BUS/$1.pub" --count 1 --timeout 3 hb. 2>/dev/null; }
for s in sink-jsonl sink-postgres; do
    h=$(hbv $s)
    echo "$s: $(echo "$h" | grep -o '"invalid":[0-9]*,"quarantined":[0-9]*') $(echo "$h" | grep -o '"bad":[0-9]*')"
    echo "$h" | grep -q '"invalid":5,' || fail "$s hb invalid: $h"
    echo "$h" | grep -q '"quarantined":2,' || fail "$s hb quarantined: $h"
    echo "$h" | grep -q '"bad":1[,}]' || fail "$s hb bus bad: $h"
done
kill -0 $PGS && kill -0 $JS || fail "a sink died"
grep -q 'record refused' "$T/pgsink.log" && grep -q 'record quarantined' "$T/pgsink.log" ||
    fail "sink-postgres did not log the refusals"
echo ok
