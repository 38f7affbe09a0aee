# --record FILE on the exchange feeds: every frame mockx sent is in the file
# as TS_RX<TAB>FRAME (mode 0600, counted in the hb), and replaying the file
# through feedreplay gives exactly the quote/trade messages the live feed
# published (tap, envelope stripped; those before the tap joined aside), the
# TS_RX of each quote's frame, and
# the content of every valid book.* the live feed published (it throttles to
# 10/s: a subsequence of the replay's). First the fixture sessions (script mode), then
# the random world at 200 messages a second for 4 s. A bad path exits 64
# naming --record.
. tests/integration/lib.sh
. tests/integration/feedlib.sh
for v in coinbase kraken bitstamp; do
    "$BIN/feed-$v" --record "$T/no/such/dir/x.rec" --check 2>"$T/bad.err" && fail "$v: bad --record path accepted"
    [ $? = 64 ] || fail "$v: bad --record path: exit not 64"
    grep -q -- '--record' "$T/bad.err" || fail "$v: the error does not name --record"
done

# compare V REC TAP: the replay of REC against what TAP saw from feed-V
compare() {
    "$BIN/feedreplay" "$1" "$2" 10 >"$2.replay" 2>/dev/null || fail "$1: feedreplay failed"
    python3 - "$3" "$2.replay" "$1" "$2" <<'PY' || fail "$1: the replay of $2 differs from the live feed"
import re, sys
sys.path.insert(0, 'tests/integration')
import replay_check
tap, rep, v, rec = sys.argv[1:]
pat = re.compile(r'^\{"src":"[^"]*","epoch":"[^"]*","seq":\d+,"ts_rx":(\d+),"ts_ex":(null|-?\d+),"ts_pub":\d+,(.*)\}$')
live, books, qrx = [], [], []
for line in open(tap):
    topic, _, body = line.rstrip('\n').partition(' ')
    if not re.match(r'^(quote|trade|book)\.' + v + r'\.', topic): continue
    m = pat.match(body)
    if not m: sys.exit('bad envelope: ' + line)
    l = '%s %s {%s}' % (topic, '-1' if m.group(2) == 'null' else m.group(2), m.group(3))
    if topic.startswith('book.'):
        # a book's content only: its ts_ex is the newest frame's, which a
        # throttled publication may take from a frame that left the top alone
        l = '%s {%s}' % (topic, m.group(3))
        if '"valid":true' in l and (not books or books[-1] != l): books.append(l)
    else:
        live.append(l)
        if topic.startswith('quote.'): qrx.append(int(m.group(1)))
replay = [l.rstrip('\n') for l in open(rep) if re.match(r'^(quote|trade)\.', l)]
rbooks = [re.sub(r' -?\d+ ', ' ', l.rstrip('\n'), 1) for l in open(rep)
          if l.startswith('book.') and '"valid":true' in l]
stats = open(rep).read().splitlines()[-1]
if ' bad=0 ' not in stats: sys.exit('replay stats: ' + stats)
k = replay_check.tail(live, replay, 'quote/trade messages')
replay_check.in_order(books, rbooks)
stamps = set()
for l in open(rec):
    ts, tab, fr = l.partition('\t')
    if not tab or not ts.isdigit() or not fr.endswith('\n'): sys.exit('bad record line: ' + l[:100])
    stamps.add(int(ts))
missing = [t for t in qrx if t not in stamps]
if missing: sys.exit('%d quotes carry a ts_rx no recorded frame has' % len(missing))
print(v, 'ok:', len(live), 'quote/trade (first %d before the tap joined),' % k, len(books), 'live books in the replay,', len(stamps), 'frames')
PY
}

# 1. the fixture sessions; Bitstamp's request_reconnect left out (a reconnect
# clears the live book, which a replay of frames cannot see)
for v in coinbase:coinbase_advanced kraken:kraken_v2 bitstamp:bitstamp; do
    { echo '{"mockx":"sleep","ms":1000}'; grep -v request_reconnect "$FX/${v#*:}/btcusd_session.jsonl"
      echo '{"mockx":"mute"}'; } >"$T/${v%%:*}.jsonl"
done
mockx_start --serve coinbase=127.0.0.1:0 --serve kraken=127.0.0.1:0 --serve bitstamp=127.0.0.1:0 \
    --script coinbase="$T/coinbase.jsonl" --script kraken="$T/kraken.jsonl" \
    --script bitstamp="$T/bitstamp.jsonl"
mx_pid=$LAST
tap_start
for v in coinbase kraken bitstamp; do
    feed_start $v --depth 10 --record "$T/$v.rec"
    eval "pid_$v=\$LAST"
done
for v in coinbase kraken bitstamp; do
    want=$(grep -Ec "^(quote|trade)\.$v" "$FX/$v.golden")
    wait_for 20 sh -c "[ \$(grep -Ec '^(quote|trade)\.$v' '$T/tap.out') -ge $want ]" ||
        fail "$v: fewer than $want quote/trade messages"
done
sleep 1.5 # an hb with the record counters
for v in coinbase kraken bitstamp; do
    [ "$(stat -c %a "$T/$v.rec")" = 600 ] || fail "$v: record file mode $(stat -c %a "$T/$v.rec")"
    # every script frame is in the file, in order (acks and heartbeats besides)
    python3 - "$T/$v.jsonl" "$T/$v.rec" <<'PY' || fail "$v: script frames missing from the record"
import sys
sent = [l.rstrip('\n') for l in open(sys.argv[1]) if not l.startswith('{"mockx"')]
got = [l.rstrip('\n').partition('\t')[2] for l in open(sys.argv[2])]
j = 0
for s in sent:
    while j < len(got) and got[j] != s: j += 1
    if j == len(got): sys.exit('not recorded: ' + s[:120])
PY
    lines=$(wc -l <"$T/$v.rec")
    wait_for 5 sh -c "grep '^hb.feed-$v ' '$T/tap.out' | tail -1 | grep -q '\"record\":{[^}]*\"lines\":$lines,[^}]*\"errors\":0'" ||
        fail "$v: hb record counters do not say lines=$lines errors=0"
    compare $v "$T/$v.rec" "$T/tap.out"
done
for v in coinbase kraken bitstamp; do eval "kill \$pid_$v"; done
kill $mx_pid

# 2. the world: 200 messages a second per venue for 4 s
mockx_start --serve coinbase=127.0.0.1:0 --serve kraken=127.0.0.1:0 --serve bitstamp=127.0.0.1:0 \
    --world --seed 11 --rate 200
bg tap2 "$BIN/tap"
sleep 0.5
for v in coinbase kraken bitstamp; do
    feed_start $v --depth 10 --record "$T/w-$v.rec"
    eval "pid_$v=\$LAST"
done
sleep 4
for v in coinbase kraken bitstamp; do eval "kill \$pid_$v"; done
sleep 1
for v in coinbase kraken bitstamp; do
    [ "$(wc -l <"$T/w-$v.rec")" -ge 400 ] || fail "$v: only $(wc -l <"$T/w-$v.rec") frames recorded in 4 s"
    compare $v "$T/w-$v.rec" "$T/tap2.out"
done
echo ok
