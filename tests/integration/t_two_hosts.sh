# t_two_hosts: the pipeline on two hosts (docs/OPERATIONS.md, "Two hosts"), each a network
# namespace with its own addresses (veth pairs; loopback only inside each), the exchange world
# (mockx) in a third. Each host runs feeds, one aggregator (A: aggregator, B: aggregator-b) that
# also publishes on tcp with CURVE (--expose), and a sink-jsonl that takes each second once from
# its own aggregator (ipc) or the other host's (tcp, CURVE, catch-up on PORT+1). Then:
#   1. host B's links are cut for 30 s and restored;
#   2. every program of host A is killed (-9) for 20 s and started again;
#   3. a key the allow-file does not list, and a peer without CURVE, are refused and counted.
# Both hosts' files must hold every second of the run exactly once (0 lost), A's the seconds of
# its own outage from B's aggregator (fetched back over tcp). Prints the figures that
# docs/RELIABILITY.md quotes ("Two hosts").
# serial: a dozen programs in three network namespaces
# san: skip: network namespaces and a dozen programs for 3 minutes; lib/curve's code runs under the sanitizers in t_bus_curve
. tests/integration/lib.sh
[ "$(id -u)" = 0 ] || { echo "SKIP: two hosts: needs root (ip netns)"; exit 0; }
command -v ip >/dev/null || { echo "SKIP: two hosts: ip (iproute2) not installed"; exit 0; }
X=tbx$$ A=tba$$ B=tbb$$
nets_down() { for n in $X $A $B; do ip netns del "$n" 2>/dev/null; done; }
trap 'cleanup; nets_down' EXIT
trap 'exit 130' INT TERM
ip netns add $X 2>/dev/null || { echo "SKIP: two hosts: cannot make a network namespace here"; exit 0; }
ip netns add $A && ip netns add $B || fail "ip netns add"
# exchange <-> A (10.77.1.0/24), exchange <-> B (10.77.2.0/24), A <-> B (10.77.3.0/24)
ip link add xa$$ netns $X type veth peer name ax$$ netns $A &&
ip link add xb$$ netns $X type veth peer name bx$$ netns $B &&
ip link add ab$$ netns $A type veth peer name ba$$ netns $B || fail "ip link add veth"
addr() { ip -n "$1" addr add "$2" dev "$3" && ip -n "$1" link set "$3" up; }
addr $X 10.77.1.1/24 xa$$ && addr $X 10.77.2.1/24 xb$$ && addr $A 10.77.1.2/24 ax$$ &&
addr $B 10.77.2.2/24 bx$$ && addr $A 10.77.3.1/24 ab$$ && addr $B 10.77.3.2/24 ba$$ &&
for n in $X $A $B; do ip -n $n link set lo up; done || fail "ip addr"

VENUES="coinbase kraken bitstamp"
cp tests/fixtures/kalshi/test-key.pem "$T/key.pem" && chmod 600 "$T/key.pem"
bg mockx ip netns exec $X "$BIN/mockx" --tls-dir "$T/tls" --tls-san "IP:10.77.1.1,IP:10.77.2.1" \
    --world --window-s 60 --rate 10 --seed 11 --kalshi-pubkey tests/fixtures/kalshi/test-key.pub.pem \
    $(for v in $VENUES kalshi; do echo "--serve $v=0.0.0.0:0"; done)
wait_for 15 sh -c "[ \$(grep -c = '$T/mockx.out') -ge 4 ]" || fail "mockx did not start"
port() { sed -n "s/^$1=//p" "$T/mockx.out"; }

K=$T/keys
mkdir -m 700 "$K"
# each host's keys and environment as docs/OPERATIONS.md says: its own key pair, the other's
# public key, an allow-file with it, and compose/two-hosts/host-X.env filled in
for h in a b; do
    o=b addr=10.77.3.1 peer=10.77.3.2; [ $h = b ] && { o=a addr=10.77.3.2 peer=10.77.3.1; }
    mkdir -m 700 "$K/$h" "$T/bus-$h"
    "$BIN/tickbus" keygen "$K/$h/host-$h" >/dev/null || fail "tickbus keygen host-$h"
    sed -e "s|@ADDR@|$addr|g; s|@PEER@|$peer|g; s|@CURVE@|$K/$h|g; s|@BUS@|$T/bus-$h|g" \
        "compose/two-hosts/host-$h.env" > "$T/host-$h.env"
done
for h in a b; do
    o=b; [ $h = b ] && o=a
    cp "$K/$o/host-$o.pub" "$K/$h/" && grep public-key "$K/$h/host-$o.pub" > "$K/$h/allow"
done
"$BIN/tickbus" keygen "$K/stranger" >/dev/null || fail "tickbus keygen stranger"

# on HOST NAME PROGRAM ARGS...: start PROGRAM on host HOST (a|b) with that host's bus and env
on() {
    h=$1 name=$2; shift 2
    ns=$A; [ "$h" = b ] && ns=$B
    bg "$h-$name" ip netns exec "$ns" env TICKBUS_BUS="$T/bus-$h" sh -c 'set -a; . "$0"; set +a; exec "$@"' \
        "$T/host-$h.env" "$@"
}
# host_up HOST: its feeds, aggregator and sink; their pids in PIDS_<HOST>
host_up() {
    h=$1 ex=10.77.1.1 agg=aggregator pids=""
    [ "$h" = b ] && { ex=10.77.2.1 agg=aggregator-b; }
    for v in $VENUES; do
        path=/; [ $v = kraken ] && path=/v2
        on "$h" "feed-$v" "$BIN/feed-$v" --url "wss://$ex:$(port $v)$path" --ca-file "$T/tls/ca.pem"
        pids="$pids $LAST"
    done
    on "$h" feed-kalshi "$BIN/feed-kalshi" --ws-url "wss://$ex:$(port kalshi)/trade-api/ws/v2" \
        --rest-url "https://$ex:$(port kalshi)/trade-api/v2" --ca-file "$T/tls/ca.pem" \
        --key-id test-key --key-file "$T/key.pem"
    pids="$pids $LAST"
    on "$h" agg "$BIN/aggregator" --name $agg --venues coinbase,kraken,bitstamp
    pids="$pids $LAST"
    on "$h" sink "$BIN/sink-jsonl" --dir "$T/data-$h" --compress none
    pids="$pids $LAST"
    eval "PIDS_$h=\"$pids\""
}
host_up a
host_up b
# tap_on HOST ARGS...: bin/tap on that host's ipc bus
tap_on() {
    h=$1; shift
    ns=$A; [ "$h" = b ] && ns=$B
    ip netns exec "$ns" env TICKBUS_BUS="$T/bus-$h" "$BIN/tap" "$@" 2>/dev/null
}
hbv() { # HOST PROGRAM PYEXPR: evaluate PYEXPR on the program's next hb (h)
    tap_on "$1" --json --count 1 --timeout 4 "hb.$2" | /usr/bin/python3 -c \
        "import json,sys; h=json.loads(sys.stdin.read()); print($3)" 2>/dev/null
}
# both sinks take ticks from both aggregators (the other's copies are counted dup_ticks)
linked() { # HOST: its sink gets the other host's copies
    before=$(hbv "$1" sink-jsonl "h['catchup']['dup_ticks']")
    sleep 2
    after=$(hbv "$1" sink-jsonl "h['catchup']['dup_ticks']")
    [ -n "$before" ] && [ -n "$after" ] && [ "$after" -gt "$before" ]
}
i=0
until linked a && linked b; do
    i=$((i + 1)); [ $i -lt 20 ] || fail "the sinks do not get the other host's ticks"
done
[ "$(hbv a aggregator "h['curve']['peers']")" -ge 1 ] || fail "A's aggregator counts no CURVE peer"
echo "both hosts up, each sink getting both aggregators"

# 1. host B cut off (its links to the exchange and to A) for 30 s
sleep 5
disc0=$(hbv a sink-jsonl "h['curve']['disconnects']")
t_cut=$(date +%s.%N)
ip -n $B link set bx$$ down && ip -n $B link set ba$$ down || fail "cut B"
# detection: A's sink has dropped its connection to B's aggregator (ZMTP heartbeat)
i=0
until [ "$(hbv a sink-jsonl "h['curve']['disconnects']")" -gt "$disc0" ] 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 25 ] || fail "A's sink never noticed B was gone"
done
t_detect=$(date +%s.%N)
sleep $(awk "BEGIN{print 30 - ($t_detect - $t_cut)}")
ip -n $B link set bx$$ up && ip -n $B link set ba$$ up || fail "restore B"
t_up=$(date +%s.%N)
# recovery: A's sink gets B's copies again; B's ticks say every venue is ok again
i=0; until linked a; do i=$((i + 1)); [ $i -lt 30 ] || fail "A's sink never got B's ticks back"; done
t_relink=$(date +%s.%N)
i=0
until [ "$(hbv b aggregator-b "h.get('state')")" = ok ] &&
      tap_on b --json --count 1 --timeout 3 tick | grep -q '"venues_ok":3'; do
    i=$((i + 1)); [ $i -lt 30 ] || fail "B's aggregator did not get every venue back"
done
t_bok=$(date +%s.%N)

# 2. every program of host A killed for 20 s, then started again
sleep 5
t_kill=$(date +%s.%N)
# shellcheck disable=SC2086 # a list of pids
kill -9 $PIDS_a
sleep 20
host_up a
t_back=$(date +%s.%N)
i=0; until linked a; do i=$((i + 1)); [ $i -lt 30 ] || fail "A's new sink never got B's ticks"; done
sleep 5

# 3. a key not in the allow-file, and a peer without CURVE, refused by A's aggregator and counted
ip netns exec $B "$BIN/tap" --sub "tcp://10.77.3.1:7101#$K/b/host-a.pub" --curve-key "$K/stranger.key" \
    --count 1 --timeout 3 tick >"$T/wrongkey.out" 2>&1 && fail "a key A does not admit was served"
ip netns exec $B "$BIN/tap" --insecure --sub "tcp://10.77.3.1:7101" --count 1 --timeout 3 tick \
    >"$T/plain.out" 2>&1 && fail "a peer without CURVE was served"
refused=$(hbv a aggregator "h['curve']['refused_key'], h['curve']['refused_protocol']")
case "$refused" in [1-9]*" "[1-9]*) ;; *) fail "A's aggregator did not count the refusals: $refused" ;; esac
t_end=$(date +%s.%N)
sleep 3

# the record: every second from the first both files hold to the last, exactly once, in each file
kill $(echo "$PIDS_a $PIDS_b") 2>/dev/null
sleep 2
/usr/bin/python3 - "$T" "$t_cut" "$t_detect" "$t_up" "$t_relink" "$t_bok" "$t_kill" "$t_back" "$t_end" <<'PY' || fail "the merged record"
import glob, json, sys
from datetime import datetime, timezone
T = sys.argv[1]
t_cut, t_detect, t_up, t_relink, t_bok, t_kill, t_back, t_end = map(float, sys.argv[2:])
def sec(s): return int(datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
files = {}
for h in "ab":
    ticks = {}
    for f in sorted(glob.glob(f"{T}/data-{h}/*.jsonl")):
        for line in open(f):
            r = json.loads(line)
            if r.get("type") != "tick": continue
            s = sec(r["ts"])
            if s in ticks: print(f"host {h}: second {r['ts']} written twice"); sys.exit(1)
            ticks[s] = r.get("src")
    files[h] = ticks
lo = max(min(files["a"]), min(files["b"]))
hi = int(t_end) - 2
for h in "ab":
    missing = [s for s in range(lo, hi + 1) if s not in files[h]]
    if missing:
        print(f"host {h}: {len(missing)} of {hi - lo + 1} seconds missing, e.g. {missing[:10]}")
        sys.exit(1)
out = range(int(t_kill) + 1, int(t_back))
from_b = sum(1 for s in out if files["a"].get(s) == "aggregator-b")
if from_b < len(out) - 1:
    print(f"host A's outage: only {from_b} of {len(out)} seconds from B's aggregator"); sys.exit(1)
print(f"two hosts: {hi - lo + 1} s checked, 0 lost in either file; "
      f"B cut {t_up - t_cut:.0f} s: A's sink dropped B {t_detect - t_cut:.1f} s after the cut, had B's ticks again {t_relink - t_up:.1f} s after the "
      f"link came back, B's aggregator had every venue ok {t_bok - t_up:.1f} s after; "
      f"A down {t_back - t_kill:.0f} s: {from_b} of {len(out)} seconds of it written from B's aggregator")
PY
echo ok
