#!/bin/sh
# stop-pid.sh PIDFILE [GRACE_S]: end the process named in PIDFILE the way
# systemd stops a unit: SIGTERM, then SIGCONT (a stopped process keeps a
# SIGTERM pending until it runs again), then SIGKILL if it is still there
# after GRACE_S seconds (default 5, like a short TimeoutStopSec). The
# launcher's watchdog uses it as its restart command; the program's restart
# loop in launch.sh starts it again.
f=${1:?usage: stop-pid.sh PIDFILE [GRACE_S]}
grace=${2:-5}
pid=$(cat "$f" 2>/dev/null)
case "$pid" in ''|*[!0-9]*) echo "stop-pid: no pid in $f" >&2; exit 1 ;; esac
kill -TERM "$pid" 2>/dev/null || exit 0
kill -CONT "$pid" 2>/dev/null
i=0
while kill -0 "$pid" 2>/dev/null && [ $i -lt $((grace * 10)) ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$pid" 2>/dev/null; then
    echo "stop-pid: $pid still running ${grace}s after SIGTERM: SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null
fi
exit 0
