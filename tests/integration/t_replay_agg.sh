# t_replay_agg: capture and replay reproduce the aggregator's records. A live run (mockx world ->
# the four feeds -> aggregator -> sink-jsonl writing the ticks) is captured by a second sink-jsonl
# (--topic quote. book. kalshi. index. hb.); the capture is then replayed at --speed max into a
# fresh `aggregator --clock replay`, whose ticks and events must equal the live ones line by line,
# except the envelope fields that are the publishing process's own (src, epoch, seq, ts_pub) and
# the absolute tick_seq (each process counts from 1; both must be consecutive). ~25 s of world
# stand in for "an hour" (the same code path; only the length differs).
#
# Every subscriber is connected before any market data exists: the feeds start first (mockx
# is not up yet, they retry), then the aggregator and both sinks connect to their bound
# endpoints, and only then mockx starts on ports chosen beforehand. The capture is checked to
# hold every message of every feed (seq 1.. consecutive, hb included).
. tests/integration/lib.sh
cp tests/fixtures/kalshi/test-key.pem "$T/key.pem" && chmod 600 "$T/key.pem"
B=$TICKBUS_BUS
# the TLS directory (CA) first, from a throwaway mockx
bg mockx0 "$BIN/mockx" --tls-dir "$T/tls" --serve coinbase=127.0.0.1:0
wait_for 15 test -s "$T/tls/ca.pem" || fail "mockx did not make its CA"
kill "$LAST"
CA="$T/tls/ca.pem"
PC=$(free_port); PK=$(free_port); PB=$(free_port); PS=$(free_port)
FEEDOPT="--ca-file $CA --backoff-min 0.2 --backoff-max 1"
bg feed-coinbase "$BIN/feed-coinbase" --url "wss://127.0.0.1:$PC" $FEEDOPT
LIVEPIDS=$LAST
bg feed-kraken "$BIN/feed-kraken" --url "wss://127.0.0.1:$PK/v2" $FEEDOPT
LIVEPIDS="$LIVEPIDS $LAST"
bg feed-bitstamp "$BIN/feed-bitstamp" --url "wss://127.0.0.1:$PB" $FEEDOPT
LIVEPIDS="$LIVEPIDS $LAST"
bg feed-kalshi "$BIN/feed-kalshi" --ws-url "wss://127.0.0.1:$PS/trade-api/ws/v2" \
    --rest-url "https://127.0.0.1:$PS/trade-api/v2" $FEEDOPT --key-id test-key --key-file "$T/key.pem"
LIVEPIDS="$LIVEPIDS $LAST"
FEEDS="coinbase kraken bitstamp kalshi"
for f in $FEEDS; do wait_for 10 test -S "$B/feed-$f.pub" || fail "feed-$f did not bind"; done
SUBS=""
for f in $FEEDS; do SUBS="$SUBS --sub ipc://$B/feed-$f.pub"; done
bg cap "$BIN/sink-jsonl" --name cap --dir "$T/cap" --prefix cap --compress none $SUBS \
    --topic quote. --topic book. --topic kalshi. --topic index. --topic hb. --topic event. --topic trade.
CAP=$LAST
bg agg "$BIN/aggregator"
LIVEPIDS="$LIVEPIDS $LAST"
wait_for 10 test -S "$B/aggregator.pub" || fail "aggregator did not bind"
bg live "$BIN/sink-jsonl" --name live --dir "$T/live" --prefix live --compress none
LIVE=$LAST
wait_for 20 sh -c "grep -q '\"type\":\"tick\"' '$T'/live/live-*.jsonl" || fail "no live tick"
for f in $FEEDS; do
    wait_for 10 sh -c "grep -q '\"topic\":\"hb.feed-$f\"' '$T'/cap/cap-*.jsonl" || fail "capture sees no hb.feed-$f"
done
bg mockx "$BIN/mockx" --tls-dir "$T/tls" --world --window-s 8 --rate 10 --seed 7 \
    --serve coinbase=127.0.0.1:$PC --serve kraken=127.0.0.1:$PK --serve bitstamp=127.0.0.1:$PB \
    --serve kalshi=127.0.0.1:$PS --kalshi-pubkey tests/fixtures/kalshi/test-key.pub.pem
# ~25 s of data with every venue ok and at least one settlement
full() { cat "$T"/live/live-*.jsonl | grep -c '"venues_ok":3'; }
wait_for 50 sh -c "[ \$(cat '$T'/live/live-*.jsonl | grep -c '\"venues_ok\":3') -ge 25 ] &&
    grep -q '\"type\":\"settlement\"' '$T'/live/live-*.jsonl" || fail "live run: $(full) full ticks"
# stop both sinks (SIGTERM: flushed, exit 0), then the rest of the live run
stop() { kill "$1" && wait "$1"; }
stop "$CAP" || fail "capture sink exit $?"
stop "$LIVE" || fail "live tick sink exit $?"
for p in $LIVEPIDS; do kill "$p"; done

# replay the capture at full speed into a fresh aggregator in replay-clock mode
bg agg2 "$BIN/aggregator" --clock replay --name agg2
wait_for 10 test -S "$B/agg2.pub" || fail "agg2 did not bind"
bg rep "$BIN/sink-jsonl" --name rep --dir "$T/rep" --prefix rep --compress none --sub "ipc://$B/agg2.pub"
REP=$LAST
sleep 0.5 # (not an assertion) the subscribers connect; replay waits --wait-s more
"$BIN/replay" --speed max --wait-s 1.5 --end-s 0.5 --topic quote. --topic book. --topic kalshi. \
    --topic index. "$T"/cap/cap-*.jsonl >"$T/replay.out" 2>"$T/replay.log" || fail "replay failed"
grep -q 'done: .* 0 bad, 0 dropped' "$T/replay.log" || fail "replay summary: $(tail -n 2 "$T/replay.log")"
# the ticks the replay implies: each second boundary crossed by a replayed message's ts_pub (the
# topics given to replay above only: an event.reconnect of a feed waiting for mockx, captured but
# not replayed, once fell just before a second boundary and made the count one too many)
want=$(/usr/bin/python3 - "$T"/cap/cap-*.jsonl <<'PY'
import json, sys
ts = [r["ts_pub"] for f in sys.argv[1:] for r in map(json.loads, open(f))
      if "topic" in r and r["topic"].startswith(("quote.", "book.", "kalshi.", "index."))]
print(max(ts) // 10**9 - min(ts) // 10**9)
PY
)
[ "$want" -ge 20 ] || fail "capture too short: $want s"
wait_for 30 sh -c "[ \$(cat '$T'/rep/rep-*.jsonl | grep -c '\"type\":\"tick\"') -ge $want ]" ||
    fail "replay aggregator wrote $(cat "$T"/rep/rep-*.jsonl | grep -c '"type":"tick"') of $want ticks"
stop "$REP" || fail "replay tick sink exit $?"

/usr/bin/python3 - "$T" <<'PY' || fail "replay differs from the live records"
import glob, json, sys
T = sys.argv[1]
def load(pat):
    return [json.loads(l) for f in sorted(glob.glob(T + pat)) for l in open(f)]
def die(msg, *recs):
    print(msg)
    for r in recs: print(json.dumps(r, sort_keys=True)[:3000])
    sys.exit(1)
# the capture is complete: every feed's messages consecutive from the first one captured, which
# came before any market data (only a heartbeat from the feed's first second can precede the
# capture's connection). The envelope is the first occurrence of its names: index.brti
# repeats "src" in its own payload.
def first(pairs):
    d = {}
    for k, v in pairs: d.setdefault(k, v)
    return d
cap = [json.loads(l, object_pairs_hook=first) for f in sorted(glob.glob(T + "/cap/cap-*.jsonl"))
       for l in open(f)]
cap = [r for r in cap if "topic" in r]
seqs = {}
for r in cap: seqs.setdefault((r["src"], r["epoch"]), []).append((r["seq"], r["topic"]))
if len(seqs) != 4: die("capture sources %s" % sorted(seqs))
for k, v in seqs.items():
    v.sort()
    s = [q for q, _ in v]
    if s != list(range(s[0], s[0] + len(s))): die("capture of %s has holes: %s" % (k, s))
# Before mockx is up a feed publishes only hb, events and an invalid empty book, in its first
# 100 ms, racing the subscribers' connections: the live aggregator may have seen a message the
# capture missed or the reverse. So the comparison starts once every venue has had a valid book
# and Kalshi its first message (all captured: market data started long after the connections).
sync = {}
for r in sorted(cap, key=lambda r: r["ts_pub"]):
    t = r["topic"]
    v = t.split(".")[1] if t.startswith("book.") and r.get("valid", True) else \
        "kalshi" if t.startswith("kalshi.") else None
    if v and v not in sync: sync[v] = r["ts_pub"]
if len(sync) != 4: die("capture: no data from %s" % sorted(sync))
first_data = min(r["ts_pub"] for r in cap if r["topic"].startswith(("quote.", "book.", "kalshi.", "index."))
                 and r.get("valid", True))
for k, v in seqs.items():
    if not [r for r in cap if (r["src"], r["epoch"]) == k and r["seq"] == v[0][0] and r["ts_pub"] < first_data]:
        die("capture of %s starts after market data began" % (k,))
SYNC = max(sync.values())
ENV = ("src", "epoch", "seq", "ts_pub")  # the publishing process's own envelope
def strip(r): return {k: v for k, v in r.items() if k not in ENV and k != "tick_seq"}
live = [r for r in load("/live/live-*.jsonl") if r.get("src") == "aggregator"]
rep = [r for r in load("/rep/rep-*.jsonl") if r.get("src") == "agg2"]
lt = {r["ts"]: r for r in live if r["type"] == "tick"}
rt = [r for r in rep if r["type"] == "tick"]
for name, ticks in (("live", [r for r in live if r["type"] == "tick"]), ("replay", rt)):
    s = [t["tick_seq"] for t in ticks]
    if s != list(range(s[0], s[0] + len(s))): die(name + " tick_seq not consecutive")
from datetime import datetime, timezone
def sec(s): return int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
rt = [r for r in rt if sec(r["ts"]) * 10**9 > SYNC]
cmp = [r for r in rt if r["ts"] in lt]
if len(cmp) < 20: die("only %d replayed ticks have a live twin" % len(cmp))
if [r["ts"] for r in cmp] != [r["ts"] for r in rt[:len(cmp)]]:
    die("replayed ticks missing from the live run: %s" % [r["ts"] for r in rt if r["ts"] not in lt])
# A message published just before a boundary can reach the live aggregator after it wrote that
# second's tick (delivery latency on a loaded machine): live it counts from the next tick, which
# says so in health.late; the replay (time = ts_pub) counts it where it was published. Such a
# tick S (the one before a tick with health.late) is reported, not compared; if its proxy value
# differs, every settlement window holding S ([close - 60 s, close - 1 s]; windows overlap when
# markets close more often than every 60 s) has its proxy average excluded too:
# settle.window_avg_proxy of the later ticks, the settlement event's proxy_avg/proxy_err_bps/
# proxy_result.
late = {sec(t["ts"]) - 1 for t in lt.values() if t["health"].pop("late", 0)}
def proxy(t): return t["brti_rti"] if t["brti_rti"] is not None else t["brti_median"]
WINDOW = 60  # the aggregator's --settle-window-s default
skipped, tainted = [], []
def holds_tainted(lo_s, hi_s): return any(lo_s <= x <= hi_s for x in tainted)
for r in cmp:
    l = lt[r["ts"]]
    if sec(r["ts"]) in late:
        skipped.append(r["ts"])
        if proxy(l) != proxy(r): tainted.append(sec(r["ts"]))
        continue
    a, b = strip(l), strip(r)
    for x in (a, b):
        c = x["settle"].get("close_time")
        if c and holds_tainted(sec(c) - WINDOW - 1, sec(c)):  # a second wider: conservative
            x["settle"] = {k: v for k, v in x["settle"].items() if k != "window_avg_proxy"}
    if a != b:
        keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        die("tick %s differs in %s" % (r["ts"], keys), {k: a.get(k) for k in keys},
            {k: b.get(k) for k in keys})
lo, hi = cmp[0]["ts"], cmp[-1]["ts"]
# an event's envelope ts_rx is the wall clock at its emission (live) / the replay time: not compared
TAINT = ("proxy_avg", "proxy_err_bps", "proxy_result")
excluded = set()
def ev(r):
    x = {k: v for k, v in strip(r).items() if k != "ts_rx"}
    if x["type"] == "settlement" and holds_tainted(sec(x["window_from"]), sec(x["window_to"])):
        excluded.add(x["ticker"])
        x = {k: v for k, v in x.items() if k not in TAINT}
    return json.dumps(x, sort_keys=True)
def events(recs): return sorted(ev(r) for r in recs if r["type"] != "tick" and lo <= r["ts"] <= hi)
le, re_ = events(live), events(rep)
if le != re_:
    die("events differ: live only %s / replay only %s" % (sorted(set(le) - set(re_))[:3],
                                                           sorted(set(re_) - set(le))[:3]))
full = sum(1 for r in cmp if r["health"]["venues_ok"] == 3 and r["ts"] not in skipped)
kinds = sorted(set(json.loads(e)["type"] for e in le))
print("compared %d ticks (%s..%s, %d with every venue ok) and %d events %s: equal; "
      "not compared (late message live): %s; settlement proxy averages excluded: %s" %
      (len(cmp) - len(skipped), lo, hi, full, len(le), kinds, skipped or "none",
       sorted(excluded) or "none"))
if full < 15 or "settlement" not in kinds: die("comparison too thin")
PY
echo ok
