#!/bin/sh
# chaos.sh [short|full|hold]: the chaos suite (issue 8 item 6). The whole
# pipeline runs as the compose/ units under a private `systemd --user` in a
# private mount namespace (tmpfs on /run, as t_watchdog_systemd.sh does), the
# feeds pointed at a mockx world run outside systemd (the "exchange"); then
# tests/chaos/chaos.py injects faults one at a time and measures detection,
# recovery and lost seconds, and checks the JSONL the sinks wrote. Two series
# run (SERIES_TICKER=KXBTC15M,KXETH15M): KXETH15M's aggregator, standby and
# sink as the template instances install-units.sh wants for it.
#   short  a subset for `make test` (under ~3 min)
#   full   every fault (`make chaos`); with DOC=docs/RELIABILITY.md it
#          rewrites the measured table there
#   hold   set everything up and wait (debugging: KEEP=1, Ctrl-C to stop)
# Environment: BIN (default bin), CHAOS_RATE (mockx messages/s per venue,
# default 20), KEEP=1 keeps the temporary directory, DOC (see full).
# Skips (exit 0, "SKIP: ...") without unshare, systemd or the privilege to
# make a mount namespace.
mode=${1:-short}
case "$mode" in short|full|hold) ;; *) echo "usage: chaos.sh short|full|hold" >&2; exit 64 ;; esac
if [ -z "${TB_IN_NS:-}" ]; then
    SD=/lib/systemd/systemd
    [ -x $SD ] || { echo "SKIP: chaos suite: $SD not installed"; exit 0; }
    command -v unshare >/dev/null || { echo "SKIP: chaos suite: unshare not installed"; exit 0; }
    command -v systemctl >/dev/null || { echo "SKIP: chaos suite: systemctl not installed"; exit 0; }
    command -v python3 >/dev/null || { echo "SKIP: chaos suite: python3 not installed"; exit 0; }
    # a tmpfs of our own for the data directory needs real root (mount)
    [ "$(id -u)" = 0 ] || { echo "SKIP: chaos suite: needs root (mount namespace, tmpfs data disk)"; exit 0; }
    U="unshare -m --propagation private"
    $U true 2>/dev/null || { echo "SKIP: chaos suite: '$U' not permitted here"; exit 0; }
    TB_IN_NS=1 exec $U sh "$0" "$@"
fi
. tests/integration/lib.sh
unset TICKBUS_BUS # the units use their RuntimeDirectory
VENUES="coinbase kraken bitstamp gemini cryptocom" # the exchange feeds (lib/bus.h BUS_BTC_VENUES)
SERIES=KXBTC15M,KXETH15M # the series (docs/SERIES.md); chaos.py's SERIES2 is the second
for p in mockx $(for v in $VENUES kalshi; do echo "feed-$v"; done) aggregator sink-jsonl watchdog \
    tickbus-freshness tickbus tap; do
    [ -x "$BIN/$p" ] || fail "$BIN/$p is not built (make)"
done

# This namespace only: a fresh tmpfs on /run (systemd --user believes it was
# booted by systemd; nothing it writes under /run reaches the host).
mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /run/systemd/system /run/user \
    || fail "cannot mount a tmpfs on /run"
export XDG_RUNTIME_DIR=/run/user/$(id -u) XDG_CONFIG_HOME="$T/config"
RT=$XDG_RUNTIME_DIR
mkdir -m 700 -p "$RT" "$RT/tls" "$RT/keys" "$RT/data"
# The sink's disk: a small tmpfs of its own, so the suite can fill it and
# make it read-only. Not under /tmp (PrivateTmp=yes hides /tmp from the units).
mount -t tmpfs -o size=64m,mode=755 tmpfs "$RT/data" || fail "cannot mount the data tmpfs"
LOG=$T/logs
mkdir -p "$LOG"

# the exchange: mockx world, outside systemd
( umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$RT/keys/kalshi.pem" 2>/dev/null ) \
    || fail "openssl genpkey"
openssl pkey -in "$RT/keys/kalshi.pem" -pubout -out "$RT/keys/kalshi.pub.pem" 2>/dev/null || fail "openssl pkey"
# one scheduled per-venue stall and one mute (mockx faults), at fixed times after mockx starts
STALL_VENUE=kraken STALL_AT=${CHAOS_STALL_AT:-45} MUTE_AT=${CHAOS_MUTE_AT:-70}
bg mockx "$BIN/mockx" --tls-dir "$RT/tls" --world --seed 7 --rate "${CHAOS_RATE:-20}" --window-s 30 \
    --kalshi-pubkey "$RT/keys/kalshi.pub.pem" --fault "$STALL_VENUE:stall@$STALL_AT" \
    --fault "$STALL_VENUE:mute@$MUTE_AT" \
    $(for v in $VENUES kalshi; do echo "--serve $v=127.0.0.1:0"; done) --bus "$T/bus"
MOCKX=$LAST
MOCKX_T0=$(date +%s.%N)
wait_for 15 sh -c "[ \$(grep -c = '$T/mockx.out') -ge 6 ]" || fail "mockx did not print its ports"
port() { sed -n "s/^$1=//p" "$T/mockx.out"; }

# the units, as `make install-units` installs them, plus drop-ins of this suite
UD=$XDG_CONFIG_HOME/systemd/user
CONF=$T/conf
UNIT_BIN=$(units_bin) || fail "cannot copy the programs where the units see them"
SERIES_TICKER=$SERIES sh compose/install-units.sh BINDIR="$UNIT_BIN" DATADIR="$RT/data" CONFDIR="$CONF" \
    UNITDIR="$UD" RELOAD=0 >"$LOG/install.log" 2>&1 || fail "install-units failed: $(cat "$LOG/install.log")"
grep -q "tickbus-aggregator@kxeth15m.service" "$UD/tickbus.target.d/series.conf" 2>/dev/null ||
    fail "install-units wrote no series drop-in for SERIES_TICKER=$SERIES: $(cat "$LOG/install.log")"
cat > "$CONF/tickbus.env" <<EOT
SERIES_TICKER=$SERIES
KALSHI_API_KEY_ID=chaos-key
KALSHI_PRIV_KEY_PATH=$RT/keys/kalshi.pem
TICKBUS_CA_FILE=$RT/tls/ca.pem
TICKBUS_FEED_KALSHI_WS_URL=wss://127.0.0.1:$(port kalshi)/trade-api/ws/v2
TICKBUS_FEED_KALSHI_REST_URL=https://127.0.0.1:$(port kalshi)/trade-api/v2
$(for v in $VENUES; do path=/; [ $v = kraken ] && path=/v2
  echo "TICKBUS_FEED_$(echo $v | tr a-z A-Z)_URL=wss://127.0.0.1:$(port $v)$path"; done)
EOT
chmod 600 "$CONF/tickbus.env"
dropin() { # UNIT NAME TEXT: a drop-in file
    mkdir -p "$UD/$1.d" && printf '%s\n' "[Service]" "$3" > "$UD/$1.d/$2.conf"
}
for u in aggregator aggregator-b sink-jsonl watchdog; do
    dropin "tickbus-$u.service" log "StandardOutput=append:$LOG/$u.log
StandardError=append:$LOG/$u.log"
done
for u in feed aggregator aggregator-b sink-jsonl; do # feed-kraken.log, aggregator-b-kxeth15m.log
    dropin "tickbus-$u@.service" log "StandardOutput=append:$LOG/$u-%i.log
StandardError=append:$LOG/$u-%i.log"
done
dropin "tickbus-freshness.service" log "StandardOutput=append:$LOG/freshness.log
StandardError=append:$LOG/freshness.log"

bg systemd /lib/systemd/systemd --user
SDPID=$LAST
sc() { systemctl --user "$@"; }
stop_all() {
    sc stop tickbus.target tickbus-freshness.service >/dev/null 2>&1
    for p in $(pgrep -P "$SDPID" 2>/dev/null); do kill -CONT "$p" 2>/dev/null; done
    sc stop tickbus.target >/dev/null 2>&1
    sc exit >/dev/null 2>&1
    i=0; while kill -0 "$SDPID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -CONT "$MOCKX" 2>/dev/null
    mount -o remount,rw "$RT/data" 2>/dev/null
}
trap 'stop_all; cleanup' EXIT
trap 'exit 130' INT TERM
wait_for 15 sh -c 'systemctl --user is-system-running | grep -Eq "running|degraded"' \
    || fail "systemd --user did not come up"
sc start tickbus.target || fail "tickbus.target did not start"

export CHAOS_T="$T" CHAOS_LOG="$LOG" CHAOS_BIN="$BIN" CHAOS_BUS="$RT/tickbus" CHAOS_DATA="$RT/data" \
    CHAOS_MOCKX_PID="$MOCKX" CHAOS_MOCKX_T0="$MOCKX_T0" CHAOS_STALL_VENUE="$STALL_VENUE" \
    CHAOS_STALL_AT="$STALL_AT" CHAOS_MUTE_AT="$MUTE_AT"
if [ "$mode" = hold ]; then
    echo "chaos: holding; T=$T bus=$RT/tickbus data=$RT/data (enter the namespace: nsenter -m -t $$)"
    while :; do sleep 5; done
fi
python3 tests/chaos/chaos.py "$mode"
rc=$?
[ $rc = 0 ] || { echo "chaos: FAIL (logs: $LOG; KEEP=1 keeps them)" >&2; KEEP=${KEEP:-0}; }
if [ $rc != 0 ] && [ "${KEEP:-0}" != 1 ]; then
    for f in "$LOG"/*.log; do echo "--- $f (tail)" >&2; tail -n 20 "$f" >&2; done
fi
exit $rc
