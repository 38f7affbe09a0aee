# t_agg_down: with every feed down the aggregator still writes one tick per second saying so;
# SIGSTOP/SIGCONT of the aggregator -> event.gap naming exactly the skipped seconds, then
# ticks continue with consecutive tick_seq and no second written twice.
. tests/integration/lib.sh

bg agg "$BIN/aggregator" --stale-s 2
AGG=$LAST
bg tap "$BIN/tap" --json tick event.gap
wait_for 15 sh -c "[ \$(grep -c '\"type\":\"tick\"' '$T/tap.out') -ge 3 ]" || fail "no ticks with all feeds down"
kill -STOP "$AGG"
sleep 3.5
kill -CONT "$AGG"
wait_for 15 grep -q '"type":"gap"' "$T/tap.out" || fail "no event.gap after SIGSTOP"
n=$(grep -c '"type":"tick"' "$T/tap.out")
wait_for 15 sh -c "[ \$(grep -c '\"type\":\"tick\"' '$T/tap.out') -ge $((n + 2)) ]" || fail "ticks did not resume"

/usr/bin/python3 - "$T/tap.out" <<'PY' || fail "records"
import json, sys
from datetime import datetime
recs = [json.loads(l) for l in open(sys.argv[1])]
def sec(s): return int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").timestamp())
ticks = [r for r in recs if r["type"] == "tick"]
gaps = [r for r in recs if r["type"] == "gap"]
def die(msg): print(msg); [print(json.dumps(r)[:400]) for r in recs]; sys.exit(1)
for t in ticks:
    if t["brti"] != 0 or t["brti_src"] is not None or t["health"]["state"] != "down":
        die("not down: %s" % t["ts"])
    if t["health"]["reasons"].get("brti") is None or t["coinbase"] != 0: die("reasons")
    if t["health"]["reasons"]["coinbase"] != "no data": die("coinbase reason")
if len(gaps) != 1: die("want exactly one gap, got %d" % len(gaps))
g = gaps[0]
secs = [sec(s) for s in g["seconds"]]
if g["kind"] != "ticks" or g["n"] != len(secs) or g["n"] < 2: die("gap fields")
if g["why"] != "stall": die("why %s" % g["why"])
ts = [sec(t["ts"]) for t in ticks]
if len(set(ts)) != len(ts): die("a second written twice")
# the ticks plus the gap's seconds cover every second, each exactly once
allsec = sorted(ts + secs)
if allsec != list(range(allsec[0], allsec[-1] + 1)): die("not contiguous: %s" % allsec)
seqs = [t["tick_seq"] for t in ticks]
if seqs != list(range(seqs[0], seqs[0] + len(seqs))): die("tick_seq %s" % seqs)
PY
# hb reports the ticks as progress
"$BIN/tap" --json --count 1 --timeout 5 hb.aggregator >"$T/hb.json" || fail "no hb"
grep -q '"progress":[1-9]' "$T/hb.json" || fail "hb progress"
echo ok
