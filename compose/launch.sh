#!/bin/sh
# launch.sh demo|run: the launcher behind `make demo` and `make run` when the
# pipeline is not installed as systemd units. Each program runs in its own
# restart loop (what Restart=always does under systemd); the watchdog
# restarts a program that stops beating or progressing by killing it (its
# loop starts it again). Everything lives under $TICKBUS_HOME (default
# build/demo or build/run): bus/, tls/, keys, logs/, pids/, and the JSONL in
# $OUTPUT_DIR (default data/). Stops cleanly on Ctrl-C, or after FOR
# seconds when FOR is set (make demo FOR=30).
set -u
mode=${1:-demo}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/bin}
HOME_DIR=${TICKBUS_HOME:-$ROOT/build/$mode}
OUT=${OUTPUT_DIR:-$ROOT/data}
mkdir -p "$HOME_DIR/logs" "$HOME_DIR/pids" "$OUT"
export TICKBUS_BUS="$HOME_DIR/bus"
mkdir -p "$TICKBUS_BUS" && chmod 700 "$TICKBUS_BUS"
LOGS=$HOME_DIR/logs
PIDS=$HOME_DIR/pids
children=""
[ -x "$BIN/tickbus" ] || { echo "tickbus: $BIN/tickbus is not built (run make)" >&2; exit 1; }
# the series (docs/SERIES.md): SERIES_TICKER (default KXBTC15M; the demo: BTC, ETH and SOL); every
# program reads it (and any SERIES_<TICKER> definition) from the environment
if [ "$mode" = demo ]; then SERIES_TICKER=${SERIES_TICKER:-KXBTC15M KXETH15M KXSOL15M}; fi
export SERIES_TICKER=${SERIES_TICKER:-KXBTC15M}
SERIES_LIST=$("$BIN/tickbus" series list) || exit 64
# the exchange venues, each with its feed-VENUE: those the series use; VENUES (space-separated)
# runs fewer, and each series' aggregators expect the ones of its own that run (--venues)
USED=$("$BIN/tickbus" series venues) || exit 64
VENUES=${VENUES:-$USED}
for v in $VENUES; do
    case " coinbase kraken bitstamp gemini cryptocom " in *" $v "*) ;;
    *) echo "tickbus: VENUES: unknown venue '$v' (known: coinbase kraken bitstamp gemini cryptocom)" >&2; exit 64 ;;
    esac
    case " $USED " in *" $v "*) ;;
    *) echo "tickbus: VENUES: no series in SERIES_TICKER ($SERIES_TICKER) uses '$v' (they use: $USED)" >&2; exit 64 ;;
    esac
done
# series_venues TICKER_VENUES: those of a series' venues (comma-separated) that run, as a,b,..
series_venues() {
    out=""
    for v in $(echo "$1" | tr , ' '); do
        case " $VENUES " in *" $v "*) out="$out${out:+,}$v" ;; esac
    done
    echo "$out"
}

say() { printf 'tickbus %s: %s\n' "$mode" "$*"; }

# supervise NAME CMD...: run CMD forever, 1 s between restarts, its pid in pids/NAME.pid.
supervise() {
    name=$1; shift
    (
        trap 'kill $(cat "$PIDS/$name.pid" 2>/dev/null) 2>/dev/null; exit 0' TERM INT
        while :; do
            "$@" >>"$LOGS/$name.log" 2>&1 &
            echo $! >"$PIDS/$name.pid"
            wait $!
            echo "launch: $name exited with $?; restarting in 1 s" >>"$LOGS/$name.log"
            sleep 1
        done
    ) &
    children="$children $!"
}

stop_all() {
    say "stopping"
    # the restart loops first, so nothing is started again; then the programs
    for c in $children; do kill "$c" 2>/dev/null; done
    sleep 0.5
    for f in "$PIDS"/*.pid; do [ -f "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null && kill -CONT "$(cat "$f")" 2>/dev/null; done
    sleep 1
    for f in "$PIDS"/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null; rm -f "$f"; done
    wait 2>/dev/null
}
trap 'stop_all; exit 0' INT TERM

for p in mockx $(for v in $VENUES kalshi; do echo "feed-$v"; done) aggregator sink-jsonl watchdog tap \
    tickbus-metrics tickbus; do
    [ -x "$BIN/$p" ] || { say "$BIN/$p is not built (run make)"; exit 1; }
done

if [ "$mode" = demo ]; then
    # A test CA and server certificate (made by mockx) and a test Kalshi key
    # made here: nothing real is used or needed offline.
    mkdir -p "$HOME_DIR/tls" "$HOME_DIR/keys"
    chmod 700 "$HOME_DIR/keys"
    key=$HOME_DIR/keys/kalshi-demo.pem
    if [ ! -f "$key" ]; then
        (umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$key" 2>/dev/null)
        openssl pkey -in "$key" -pubout -out "$HOME_DIR/keys/kalshi-demo.pub.pem" 2>/dev/null
    fi
    "$BIN/mockx" --tls-dir "$HOME_DIR/tls" --world --seed "${DEMO_SEED:-1}" --rate "${DEMO_RATE:-50}" \
        --window-s "${DEMO_WINDOW_S:-120}" --kalshi-pubkey "$HOME_DIR/keys/kalshi-demo.pub.pem" \
        $(for v in $VENUES kalshi; do echo "--serve $v=127.0.0.1:0"; done) --log "$LOGS/mockx-frames.jsonl" \
        >"$HOME_DIR/mockx.ports" 2>"$LOGS/mockx.log" &
    children="$children $!"
    # mockx writes one NAME=PORT line per venue once it listens; the file may
    # not exist yet on the first turns (count 0 then, never an empty string)
    i=0
    while [ "$(cat "$HOME_DIR/mockx.ports" 2>/dev/null | grep -c '=')" -lt 6 ] && [ $i -lt 100 ]; do
        sleep 0.1; i=$((i+1))
    done
    port() { sed -n "s/^$1=//p" "$HOME_DIR/mockx.ports"; }
    [ -n "$(port kalshi)" ] || { say "mockx did not start (see $LOGS/mockx.log)"; stop_all; exit 1; }
    CA="--ca-file $HOME_DIR/tls/ca.pem"
    for v in $VENUES; do
        path=/; [ "$v" = kraken ] && path=/v2
        supervise "feed-$v" "$BIN/feed-$v" --url "wss://127.0.0.1:$(port "$v")$path" $CA
    done
    export KALSHI_API_KEY_ID=demo-key KALSHI_PRIV_KEY_PATH="$key"
    supervise feed-kalshi "$BIN/feed-kalshi" --ws-url "wss://127.0.0.1:$(port kalshi)/trade-api/ws/v2" \
        --rest-url "https://127.0.0.1:$(port kalshi)/trade-api/v2" $CA
else
    [ -n "${KALSHI_API_KEY_ID:-}" ] || say "KALSHI_API_KEY_ID not set: feed-kalshi polls the public REST API only"
    for v in $VENUES kalshi; do supervise "feed-$v" "$BIN/feed-$v"; done # their defaults: the live URLs
fi
# per series: its aggregator, a standby (STANDBY=0: none; the same inputs, its own ticks; the
# sink takes each second from whichever delivers it first: docs/SINKS.md, "Catch-up and two
# aggregators") and its sink-jsonl writing PREFIX-YYYY-MM-DD.jsonl
units=""
prefixes=""
while read -r t agg sink prefix topic asset sv; do
    [ -n "$t" ] || continue
    av=$(series_venues "$sv")
    [ -n "$av" ] || { say "series $t: none of its venues ($sv) runs (VENUES=$VENUES)"; stop_all; exit 64; }
    supervise "$agg" "$BIN/aggregator" --series "$t" --name "$agg" --venues "$av"
    units="$units --unit $agg=$agg --unit $sink=$sink"
    if [ "${STANDBY:-1}" = 1 ]; then
        supervise "$agg-b" "$BIN/aggregator" --series "$t" --name "$agg-b" --venues "$av"
        units="$units --unit $agg-b=$agg-b"
    fi
    supervise "$sink" "$BIN/sink-jsonl" --series "$t" --name "$sink" --dir "$OUT"
    prefixes="$prefixes $prefix"
done <<EOF
$SERIES_LIST
EOF
supervise tickbus-metrics "$BIN/tickbus-metrics" --listen "${METRICS_LISTEN:-127.0.0.1:9464}"
# the restart command stops a program as systemd would (SIGTERM + SIGCONT,
# SIGKILL after 5 s), so a hung or stopped (SIGSTOP) program is replaced too
supervise watchdog "$BIN/watchdog" --restart cmd --restart-cmd "sh $ROOT/compose/stop-pid.sh $PIDS/%u.pid 5" \
    $(for v in $VENUES kalshi; do echo "--unit feed-$v=feed-$v"; done) \
    $units --unit tickbus-metrics=tickbus-metrics

say "running series $SERIES_TICKER; bus $TICKBUS_BUS, logs $LOGS, data $OUT"
say "watch it live: TICKBUS_BUS=$TICKBUS_BUS $BIN/tap tick"
say "health: TICKBUS_BUS=$TICKBUS_BUS $BIN/tickbus status; metrics: http://${METRICS_LISTEN:-127.0.0.1:9464}/metrics"
secs=${FOR:-0}
t=0
while [ "$secs" = 0 ] || [ $t -lt "$secs" ]; do
    step=5
    [ "$secs" != 0 ] && [ $((secs - t)) -lt 5 ] && step=$((secs - t))
    sleep $step; t=$((t + step))
    for p in $prefixes; do
        f=$(ls -t "$OUT"/"$p"-*.jsonl 2>/dev/null | head -1)
        if [ -n "$f" ]; then
            say "$(wc -l <"$f") lines in $f; last: $(tail -n 1 "$f" | cut -c1-160)…"
        else
            say "no $p data file yet"
        fi
    done
done
stop_all
rc=0
for p in $prefixes; do
    f=$(ls -t "$OUT"/"$p"-*.jsonl 2>/dev/null | head -1)
    [ -n "$f" ] && say "wrote $(wc -l <"$f") lines to $f" || { say "no $p data was written (see $LOGS)"; rc=1; }
done
exit $rc
