# Time to the first valid book: each feed against mockx --world (TLS, verification
# on), measured from just before the process is started to the envelope ts_pub of
# its first book.* with "valid":true, as seen by a tap that was already
# listening. The tap is exact when it also saw an earlier message of that feed
# with no seq gap up to the book (else the figure is an upper bound: a missed
# earlier valid book). The issue's target is 2 s; the assertion is a generous
# 10 s (sanitizer builds on a loaded 2-core VM); the figures are printed and
# recorded in docs/FEEDS.md.
. tests/integration/lib.sh
. tests/integration/feedlib.sh
mockx_start --serve coinbase=127.0.0.1:0 --serve kraken=127.0.0.1:0 --serve bitstamp=127.0.0.1:0 \
    --world --seed 7
tap_start
sleep 0.5 # the tap's own start-up; not an assertion
for v in coinbase kraken bitstamp; do
    date +%s%N >"$T/start-$v"
    feed_start $v
done
for v in coinbase kraken bitstamp; do
    wait_for 10 seen "^book\.$v\.BTC-USD .*\"valid\":true" || fail "$v: no valid book within 10 s"
done
for v in coinbase kraken bitstamp; do
    python3 - "$T/tap.out" "$v" "$(cat "$T/start-$v")" <<'PY' || fail "$v: first valid book not measurable"
import json, sys
tap, v, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
seqs, first = [], None
for line in open(tap):
    topic, _, body = line.rstrip('\n').partition(' ')
    try:
        m = json.loads(body)
    except ValueError:
        continue
    if m.get('src') != 'feed-' + v:
        continue
    seqs.append(m['seq'])
    if topic == 'book.%s.BTC-USD' % v and m.get('valid') is True:
        first = m
        break
if first is None:
    sys.exit('no valid book')
ms = (first['ts_pub'] - start) / 1e6
exact = len(seqs) > 1 and seqs == list(range(seqs[0], seqs[0] + len(seqs)))
print('%s: first valid book %.0f ms after start (%s, %d levels)' % (
    v, ms, 'exact' if exact else 'upper bound', len(first['bids']) + len(first['asks'])))
from decimal import Decimal
if not first['bids'] or not first['asks'] or \
        Decimal(first['bids'][0][0]) >= Decimal(first['asks'][0][0]):
    sys.exit('first valid book empty or crossed')
if ms < 0 or ms > 10000:
    sys.exit('%.0f ms' % ms)
PY
done
echo ok
