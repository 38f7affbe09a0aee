# watchdog under a real systemd: a private `systemd --user` in a private mount
# namespace (root or an unprivileged user namespace; skipped otherwise) runs
# a Type=notify hbfake.service and the real tickbus-watchdog.service from
# compose/ (install-units.sh). Checks: the watchdog restarts the unit through
# sd-bus RestartUnit (no D-Bus daemon: the manager's private socket) when its
# hb stops and when its progress freezes (MainPID changes, event.restart),
# but leaves a unit stopped on purpose alone;
# systemd's WatchdogSec restarts the watchdog itself when it hangs; with the
# watchdog stopped, WatchdogSec alone kills and restarts a SIGSTOPped program;
# the freshness oneshot (tickbus-freshness) restarts a unit over the same socket.
if [ -z "${TB_IN_NS:-}" ]; then
    SD=/lib/systemd/systemd
    [ -x $SD ] || { echo "SKIP: $SD not installed"; exit 0; }
    command -v unshare >/dev/null || { echo "SKIP: unshare not installed"; exit 0; }
    if [ "$(id -u)" = 0 ]; then U="unshare -m --propagation private"
    else U="unshare -rm --propagation private"; fi
    $U true 2>/dev/null || { echo "SKIP: '$U' not permitted here"; exit 0; }
    TB_IN_NS=1 exec $U sh "$0"
fi
# serial: a private systemd in its own mount namespace, with WatchdogSec bounds
. tests/integration/lib.sh
unset TICKBUS_BUS # units use their RuntimeDirectory
now() { date +%s.%N; }
elapsed() { awk "BEGIN{printf \"%.1f\", $(now) - $1}"; }

# in this namespace only, a fresh tmpfs on /run: /run/systemd/system makes
# systemd --user believe it was booted by systemd, /run/user/UID is outside
# PrivateTmp's /tmp, and nothing the manager writes under /run (it created
# /run/credentials, which then broke every sandboxed unit) reaches the host
mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /run/systemd/system /run/user \
    || fail "cannot mount a tmpfs on /run"
export XDG_RUNTIME_DIR=/run/user/$(id -u) XDG_CONFIG_HOME="$T/config"
mkdir -m 700 -p "$XDG_RUNTIME_DIR"
UD="$XDG_CONFIG_HOME/systemd/user"
BIN=$(units_bin) || fail "cannot copy the programs where the units see them"
sh compose/install-units.sh BINDIR="$BIN" DATADIR="$XDG_RUNTIME_DIR/data" CONFDIR="$T/conf" \
    UNITDIR="$UD" RELOAD=0 >"$T/install.log" 2>&1 || fail "install-units failed"
cat > "$UD/hbfake.service" <<EOT
[Service]
Type=notify
ExecStart=$BIN/hbfake --name hbfake --rate 10
WatchdogSec=6
Restart=always
RestartSec=1
TimeoutStopSec=3
TimeoutAbortSec=2
RuntimeDirectory=tickbus
RuntimeDirectoryMode=0700
RuntimeDirectoryPreserve=yes
EOT
mkdir -p "$UD/tickbus-watchdog.service.d"
cat > "$UD/tickbus-watchdog.service.d/test.conf" <<EOT
[Service]
Environment=TICKBUS_WATCHDOG_UNIT=hbfake=hbfake.service TICKBUS_WATCHDOG_HB_TIMEOUT=2 TICKBUS_WATCHDOG_GRACE=3
Environment=TICKBUS_WATCHDOG_DEADLINE=hbfake=3
StandardError=append:$T/wdunit.log
WatchdogSec=3
TimeoutAbortSec=2
EOT

bg systemd /lib/systemd/systemd --user
SDPID=$LAST
sc() { systemctl --user "$@"; }
stop_all() {
    sc stop tickbus-watchdog.service hbfake.service >/dev/null 2>&1
    for p in $(pgrep -P "$SDPID" 2>/dev/null); do kill -CONT "$p" 2>/dev/null; done
    sc exit >/dev/null 2>&1
    i=0; while kill -0 "$SDPID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}
trap 'stop_all; cleanup' EXIT INT TERM
wait_for 10 sh -c 'systemctl --user is-system-running | grep -Eq "running|degraded"' \
    || fail "systemd --user did not come up"
mainpid() { sc show -p MainPID --value "$1"; }
state() { sc show -p ActiveState --value "$1"; }
pid_changed() { p=$(mainpid "$1"); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$2" ]; }

sc start hbfake.service || fail "hbfake.service did not start"
sc start tickbus-watchdog.service || fail "tickbus-watchdog.service did not start (Type=notify READY)"
[ "$(state tickbus-watchdog.service)" = active ] || fail "watchdog unit not active"
BUSDIR="$XDG_RUNTIME_DIR/tickbus"
bg tap "$BIN/tap" --bus "$BUSDIR" event. hb.watchdog
wait_for 15 grep -q '^hb.watchdog .*"hbfake":{"unit":"hbfake.service","seen":true' "$T/tap.out" \
    || fail "the watchdog unit never saw hb.hbfake"

# 1. hb stops (the program still pings WATCHDOG=1): the watchdog restarts the unit
p1=$(mainpid hbfake.service); kill -USR2 "$p1"; t0=$(now)
wait_for 15 pid_changed hbfake.service "$p1" || fail "hb stopped: MainPID still $p1"
echo "hb_missing: restarted by the watchdog via RestartUnit in $(elapsed "$t0") s"
wait_for 5 grep -q '^event.restart .*"unit":"hbfake.service".*"reason":"hb_missing".*"backend":"systemd","ok":true' \
    "$T/tap.out" || fail "no event.restart (hb_missing, systemd, ok)"
[ "$(sc show -p NRestarts --value hbfake.service)" = 0 ] || fail "restarted by Restart=, not by the watchdog"

# 2. progress freezes (hb goes on): restarted after its 3 s deadline, before WatchdogSec=6
wait_for 10 sh -c "[ \"\$(systemctl --user show -p ActiveState --value hbfake.service)\" = active ]"
sleep 4 # the watchdog's grace after the last restart
p2=$(mainpid hbfake.service); kill -USR1 "$p2"; t0=$(now)
wait_for 15 pid_changed hbfake.service "$p2" || fail "progress frozen: MainPID still $p2"
echo "no_progress: restarted by the watchdog in $(elapsed "$t0") s"
wait_for 5 grep -q '^event.restart .*"reason":"no_progress"' "$T/tap.out" \
    || fail "no event.restart for no_progress"

# 2b. a unit stopped on purpose is left stopped (the watchdog looks, and skips it)
n0=$(grep -c '^event.restart ' "$T/tap.out")
sleep 4 # the grace after the last restart
sc stop hbfake.service
wait_for 15 grep -q 'not restarting unit=hbfake.service name=hbfake reason=hb_missing: unit hbfake.service is inactive' \
    "$T/wdunit.log" || fail "the watchdog did not look at the stopped unit"
[ "$(state hbfake.service)" = inactive ] || fail "a unit stopped on purpose was started again"
[ "$(grep -c '^event.restart ' "$T/tap.out")" = "$n0" ] || fail "event.restart for a stopped unit"
sc start hbfake.service || fail "hbfake.service did not start again"

# 3. the watchdog itself hangs: systemd's WatchdogSec (3 s here) restarts it
w1=$(mainpid tickbus-watchdog.service); kill -STOP "$w1"; t0=$(now)
wait_for 20 pid_changed tickbus-watchdog.service "$w1" || fail "hung watchdog not restarted by systemd"
echo "hung watchdog: restarted by systemd WatchdogSec in $(elapsed "$t0") s"
wait_for 10 sh -c "[ \"\$(systemctl --user show -p ActiveState --value tickbus-watchdog.service)\" = active ]" \
    || fail "watchdog unit not active again"

# 4. without the bus watchdog, WatchdogSec kills a SIGSTOPped program and Restart= revives it
sc stop tickbus-watchdog.service
p3=$(mainpid hbfake.service); kill -STOP "$p3"; t0=$(now)
wait_for 25 pid_changed hbfake.service "$p3" || fail "hung hbfake not restarted by WatchdogSec"
echo "hung program: killed by WatchdogSec and restarted in $(elapsed "$t0") s"
[ "$(sc show -p NRestarts --value hbfake.service)" -ge 1 ] || fail "NRestarts did not count it"

# 5. the freshness oneshot restarts a unit through the same socket (--user fallback)
wait_for 10 sh -c "[ \"\$(systemctl --user show -p ActiveState --value hbfake.service)\" = active ]"
p4=$(mainpid hbfake.service)
"$BIN/tickbus-freshness" --user --check-file "$T/data/none-*.jsonl" --restart-unit hbfake.service \
    --now 2026-01-02T12:00:00Z 2>"$T/fresh.log" \
    || fail "tickbus-freshness exit $?: $(cat "$T/fresh.log")"
wait_for 10 pid_changed hbfake.service "$p4" || fail "tickbus-freshness did not restart hbfake.service"
# an unknown unit is an error from the manager (exit 69), not a hang or a skip
"$BIN/tickbus-freshness" --user --check-file "$T/data/none-*.jsonl" --restart-unit no-such.service \
    --now 2026-01-02T12:00:00Z 2>>"$T/fresh.log"; rc=$?
[ $rc = 69 ] || fail "restart of an unknown unit: exit $rc, want 69"
echo ok
