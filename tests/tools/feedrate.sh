#!/bin/sh
# feedrate.sh: one feed program, end to end, against `mockx --world --rate max`
# (TLS, verification on): market-data messages per second from the feed's own
# hb (`data_msgs` over the hb ts_pub interval) and the feed's CPU (utime+stime
# from /proc over the same window), hence CPU per message. mockx shares the
# machine, so on a 2-core VM it is often mockx that sets the rate (its CPU is
# printed too). PIN=1 pins the feed to CPU 1 and mockx + tap to CPU 0.
# Usage: tests/tools/feedrate.sh coinbase|kraken|bitstamp [SECONDS] [BIN]
# Prints: feedrate venue=V secs=X msgs_per_s=X feed_cpu_pct=X cpu_us_per_msg=X mockx_cpu_pct=X
set -eu
[ $# -ge 1 ] || { echo "usage: $0 coinbase|kraken|bitstamp [SECONDS] [BIN]" >&2; exit 64; }
v=$1 secs=${2:-8} bin=${3:-bin}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
t=$(mktemp -d /tmp/feedrate.XXXXXX)
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$t"' EXIT INT TERM
export TICKBUS_BUS=$t/bus
mkdir -p "$TICKBUS_BUS" && chmod 700 "$TICKBUS_BUS"
p0="" p1=""
[ "${PIN:-0}" = 1 ] && p0="taskset -c 0" p1="taskset -c 1"
$p0 "$bin/mockx" --tls-dir "$t/tls" --serve "$v=127.0.0.1:0" --world --rate max >"$t/mockx.out" 2>"$t/mockx.err" &
mpid=$!; pids="$pids $mpid"
i=0
until grep -q "^$v=" "$t/mockx.out" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 150 ] || { cat "$t/mockx.err" >&2; exit 1; }; sleep 0.1
done
port=$(sed -n "s/^$v=//p" "$t/mockx.out")
url=wss://127.0.0.1:$port; [ "$v" = kraken ] && url=$url/v2
$p0 "$bin/tap" "hb.feed-$v" >"$t/tap.out" 2>"$t/tap.err" &
pids="$pids $!"
$p1 "$bin/feed-$v" --url "$url" --ca-file "$t/tls/ca.pem" >"$t/feed.out" 2>"$t/feed.err" &
fpid=$!; pids="$pids $fpid"
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sleep 2 # warm-up: connect, snapshot
f1=$(ticks $fpid) m1=$(ticks $mpid) t1=$(date +%s%N)
sleep "$secs"
f2=$(ticks $fpid) m2=$(ticks $mpid) t2=$(date +%s%N)
python3 - "$t/tap.out" "$v" "$t1" "$t2" "$f1" "$f2" "$m1" "$m2" "$(getconf CLK_TCK)" <<'PY'
import json, sys
tap, v = sys.argv[1], sys.argv[2]
t1, t2, f1, f2, m1, m2, hz = map(int, sys.argv[3:])
hb = []
for line in open(tap):
    topic, _, body = line.rstrip('\n').partition(' ')
    m = json.loads(body)
    hb.append((m['ts_pub'], m[v]['data_msgs']))
inside = [h for h in hb if t1 <= h[0] <= t2]
if len(inside) < 2:
    sys.exit('feedrate: fewer than 2 hb in the window')
(a, da), (b, db) = inside[0], inside[-1]
rate = (db - da) / ((b - a) / 1e9)
wall = (t2 - t1) / 1e9
fcpu = (f2 - f1) / hz / wall
mcpu = (m2 - m1) / hz / wall
print('feedrate venue=%s secs=%.1f msgs_per_s=%.0f feed_cpu_pct=%.0f cpu_us_per_msg=%.2f '
      'mockx_cpu_pct=%.0f' % (v, wall, rate, fcpu * 100, fcpu * 1e6 / rate if rate else 0,
                              mcpu * 100))
PY
