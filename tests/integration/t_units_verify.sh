# compose/ units: `make install-units` output (placeholders filled in, real
# ExecStart paths from $BIN) passes `systemd-analyze --user verify` with no
# output at all on stderr, every long-running unit carries the house policy
# (notify + WatchdogSec, restart and start limits, shared runtime dir,
# hardening), and a broken unit is caught (the check can fail).
. tests/integration/lib.sh
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed"; exit 0; }
U="$T/units"; C="$T/conf"; D="$T/data"
export XDG_RUNTIME_DIR="$T/rt"; mkdir -m 700 -p "$XDG_RUNTIME_DIR"
# a data dir under /tmp is refused (PrivateTmp hides it from the units) unless forced
sh compose/install-units.sh DATADIR="$D" UNITDIR="$U" RELOAD=0 >"$T/install.log" 2>&1; rc=$?
[ $rc = 64 ] && grep -q PrivateTmp "$T/install.log" || fail "DATADIR under /tmp: exit $rc, want 64"
[ -e "$U" ] && fail "units written despite the refused DATADIR"
sh compose/install-units.sh BINDIR="$BIN" DATADIR="$D" CONFDIR="$C" UNITDIR="$U" RELOAD=0 FORCE=1 \
    >"$T/install.log" 2>&1 || fail "install-units failed: $(cat "$T/install.log")"
[ -d "$D" ] || fail "data dir not created"
[ "$(stat -c %a "$C/tickbus.env")" = 600 ] || fail "tickbus.env is not mode 0600"
grep -l '@[A-Z]*@' "$U"/* "$C/tickbus.env" && fail "placeholders left in the installed files"
grep -q "^ExecStart=$BIN/sink-jsonl --dir $D\$" "$U/tickbus-sink-jsonl.service" \
    || fail "sink-jsonl ExecStart not filled in"

verify() { # verify UNIT...: fail on exit status or any stderr
    (cd "$U" && systemd-analyze --user verify --recursive-errors=no --man=no "$@") \
        >"$T/verify.out" 2>"$T/verify.err"
    rc=$?
    if [ $rc != 0 ] || [ -s "$T/verify.err" ]; then
        echo "verify $* -> exit $rc:"; cat "$T/verify.err"; return 1
    fi
}
checked=0; skipped=""
for u in tickbus-feed@coinbase.service tickbus-feed@kraken.service tickbus-feed@bitstamp.service \
         tickbus-feed@gemini.service tickbus-feed@cryptocom.service tickbus-feed@kalshi.service tickbus-aggregator.service tickbus-aggregator-b.service \
         tickbus-sink-jsonl.service \
         tickbus-sink-postgres.service tickbus-watchdog.service tickbus-freshness.service \
         tickbus-freshness.timer tickbus.target; do
    case $u in
        tickbus-feed@*) prog=feed-${u#tickbus-feed@}; prog=${prog%.service} ;;
        tickbus-freshness.*) prog=tickbus-freshness ;;
        tickbus-aggregator-b.service) prog=aggregator ;;
        tickbus.target) prog=watchdog ;;
        *) prog=${u#tickbus-}; prog=${prog%.service} ;;
    esac
    if [ ! -x "$BIN/$prog" ]; then skipped="$skipped $u($prog)"; continue; fi
    verify "$u" || fail "systemd-analyze verify rejected $u"
    checked=$((checked + 1))
done
[ -z "$skipped" ] || echo "not verified, program not built yet:$skipped"
[ $checked -ge 6 ] || fail "only $checked units verified"
echo "verified $checked units"

# policy: every long-running service
for f in "$U"/tickbus-feed@.service "$U"/tickbus-aggregator.service "$U"/tickbus-aggregator-b.service \
         "$U"/tickbus-sink-*.service \
         "$U"/tickbus-watchdog.service; do
    for line in Type=notify 'WatchdogSec=[0-9]' Restart=always RestartSec=1 'StartLimitBurst=[0-9]' \
                'StartLimitIntervalSec=[0-9]' RuntimeDirectory=tickbus RuntimeDirectoryPreserve=yes \
                NoNewPrivileges=yes ProtectSystem=strict ProtectHome=read-only PrivateTmp=yes \
                'EnvironmentFile=-'; do
        grep -q "^$line" "$f" || fail "$(basename "$f") lacks $line"
    done
done
grep -q "^ReadWritePaths=$D\$" "$U/tickbus-sink-jsonl.service" || fail "sink-jsonl: no ReadWritePaths"
# the five exchange feeds and Kalshi's: wanted by the target, watched by the watchdog
for v in coinbase kraken bitstamp gemini cryptocom kalshi; do
    grep -q "^Wants=.*tickbus-feed@$v.service" "$U/tickbus.target" || fail "tickbus.target lacks feed@$v"
    grep -q "feed-$v=tickbus-feed@$v.service" "$U/tickbus-watchdog.service" ||
        fail "tickbus-watchdog.service does not watch feed-$v"
done
# WATCHDOG=1 only while progress moves: WatchdogSec must exceed the progress deadline
ws() { sed -n 's/^WatchdogSec=\([0-9]*\)$/\1/p' "$U/$1"; }
[ "$(ws tickbus-feed@.service)" -gt 60 ] && [ "$(ws tickbus-aggregator.service)" -gt 5 ] &&
    [ "$(ws tickbus-sink-jsonl.service)" -gt 10 ] || fail "a WatchdogSec is below its progress deadline"

# series besides KXBTC15M (docs/SERIES.md): template instances, wanted and watched
grep -q '^ExecStart=.*/aggregator --series %i$' "$U/tickbus-aggregator@.service" || fail "aggregator@: ExecStart"
grep -q "^ExecStart=$BIN/sink-jsonl --series %i --dir $D\$" "$U/tickbus-sink-jsonl@.service" || fail "sink-jsonl@: ExecStart"
grep -q "^ExecStart=$BIN/sink-postgres --series %i\$" "$U/tickbus-sink-postgres@.service" || fail "sink-postgres@: ExecStart"
if [ -x "$BIN/sink-postgres" ]; then
    verify tickbus-sink-postgres@kxeth15m.service || fail "systemd-analyze verify rejected tickbus-sink-postgres@kxeth15m.service"
fi
[ -e "$U/tickbus.target.d/series.conf" ] && fail "a series drop-in without SERIES_TICKER"
SERIES_TICKER="KXBTC15M KXETH15M,KXSOL15M" sh compose/install-units.sh BINDIR="$BIN" DATADIR="$D" CONFDIR="$C" \
    UNITDIR="$U" RELOAD=0 FORCE=1 >"$T/install.log" 2>&1 || fail "install-units with series failed: $(cat "$T/install.log")"
for i in kxeth15m kxsol15m; do
    for u in tickbus-aggregator@$i.service tickbus-aggregator-b@$i.service tickbus-sink-jsonl@$i.service; do
        grep -q "^Wants=.*$u" "$U/tickbus.target.d/series.conf" || fail "tickbus.target does not want $u"
        prog=${u#tickbus-}; prog=${prog%%@*}
        [ "$prog" = aggregator-b ] && prog=aggregator
        if [ -x "$BIN/$prog" ]; then verify "$u" || fail "systemd-analyze verify rejected $u"; fi
    done
    grep -q "aggregator-$i=tickbus-aggregator@$i.service aggregator-$i-b=tickbus-aggregator-b@$i.service sink-jsonl-$i=tickbus-sink-jsonl@$i.service" \
        "$U/tickbus-watchdog.service.d/series.conf" || fail "the watchdog does not watch series $i"
done
grep -q "kxbtc15m" "$U/tickbus.target.d/series.conf" && fail "KXBTC15M got template instances (it has its own units)"
SERIES_TICKER="KXNOPE15M" sh compose/install-units.sh BINDIR="$BIN" DATADIR="$D" CONFDIR="$C" \
    UNITDIR="$U" RELOAD=0 FORCE=1 >"$T/install.log" 2>&1; rc=$?
[ $rc = 64 ] && grep -q SERIES_KXNOPE15M "$T/install.log" || fail "a bad SERIES_TICKER: exit $rc, want 64 naming it"
sh compose/install-units.sh BINDIR="$BIN" DATADIR="$D" CONFDIR="$C" UNITDIR="$U" RELOAD=0 FORCE=1 \
    >"$T/install.log" 2>&1 || fail "install-units failed"
[ -e "$U/tickbus.target.d/series.conf" ] && fail "the series drop-in outlived SERIES_TICKER"

# the check can fail: a typo that systemd only "ignores" must be caught
sed 's/^Type=notify/Type=notifyy/' "$U/tickbus-watchdog.service" > "$U/tickbus-broken.service"
verify tickbus-broken.service >/dev/null 2>&1 && fail "a broken unit passed verify"
rm -f "$U/tickbus-broken.service"

# a Kalshi key others can read is pointed out
(umask 022 && echo "not a real key" > "$C/kalshi.key")
sh compose/install-units.sh BINDIR="$BIN" DATADIR="$D" CONFDIR="$C" UNITDIR="$U" RELOAD=0 FORCE=1 \
    >"$T/install.log" 2>&1 || fail "install-units (with key) failed"
grep -q 'kalshi.key is readable by others' "$T/install.log" || fail "no warning for a 0644 key"

# two hosts: the other host's aggregator gets a drop-in whose condition never holds (systemd
# skips the unit: condition failed, not an error), and the drop-in goes when TWO_HOSTS changes
inst() { sh compose/install-units.sh BINDIR="$BIN" DATADIR="$D" CONFDIR="$C" UNITDIR="$U" RELOAD=0 FORCE=1 "$@"; }
inst TWO_HOSTS=a >"$T/install.log" 2>&1 || fail "install-units TWO_HOSTS=a: $(cat "$T/install.log")"
cond=$(sed -n 's/^Condition/Condition/p' "$U/tickbus-aggregator-b.service.d/two-hosts.conf" 2>/dev/null)
[ -n "$cond" ] || fail "TWO_HOSTS=a: no drop-in for tickbus-aggregator-b"
[ -e "$U/tickbus-aggregator.service.d/two-hosts.conf" ] && fail "TWO_HOSTS=a: host A's own aggregator held back"
systemd-analyze condition "$cond" >/dev/null 2>&1 && fail "the drop-in's $cond holds: the unit would start"
inst TWO_HOSTS=b >"$T/install.log" 2>&1 || fail "install-units TWO_HOSTS=b"
[ -e "$U/tickbus-aggregator.service.d/two-hosts.conf" ] && [ ! -e "$U/tickbus-aggregator-b.service.d/two-hosts.conf" ] \
    || fail "TWO_HOSTS=b: the drop-in is not on tickbus-aggregator alone"
verify tickbus-aggregator.service || fail "tickbus-aggregator with its two-hosts drop-in"
inst >"$T/install.log" 2>&1 || fail "install-units (one host again)"
ls "$U"/tickbus-aggregator*.service.d/two-hosts.conf 2>/dev/null && fail "one host: a two-hosts drop-in left"
inst TWO_HOSTS=c >"$T/install.log" 2>&1; rc=$?
[ $rc = 64 ] || fail "TWO_HOSTS=c: exit $rc, want 64"

# unusable paths are refused before anything is written
sh compose/install-units.sh BINDIR="$T/a b" UNITDIR="$T/u2" RELOAD=0 >/dev/null 2>&1; rc=$?
[ $rc = 64 ] || fail "a path with a space: exit $rc, want 64"
[ -e "$T/u2" ] && fail "units written despite a bad path"
echo ok
