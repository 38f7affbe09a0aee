# t_launch_heal: the launcher behind `make demo` / `make run` (compose/launch.sh)
# heals as systemd units do. With the whole demo pipeline running: kill -9 of
# the aggregator, sink-jsonl and feed-kraken -> each replaced by its restart
# loop; kill -STOP of the three -> the launcher's watchdog sees the missing hb
# and its restart command (compose/stop-pid.sh: SIGTERM + SIGCONT, SIGKILL
# after 5 s) ends each one, so it is replaced within the watchdog's bounds
# (hb timeout 5 s + check interval + stop grace 5 s + the loop's 1 s, plus
# start-up: 20 s allowed). The launcher runs the standby aggregator (STANDBY=1) and the
# sink catches up from the aggregators' history, so afterwards no second is missing
# and none is written twice; the faults show as gap records with 0 seconds (the
# sink's restarts, the aggregator's new epochs).
# serial: runs the whole demo pipeline (feeds, both aggregators, sink, watchdog) with restart bounds
. tests/integration/lib.sh
H=$T/home
D=$T/data
PROGS="aggregator sink-jsonl feed-kraken"
METRICS_LISTEN=127.0.0.1:$(free_port) TICKBUS_HOME=$H OUTPUT_DIR=$D BIN=$BIN FOR=0 \
    DEMO_RATE=20 bg launch sh compose/launch.sh demo
LAUNCH=$LAST
export TICKBUS_BUS=$H/bus
# on any exit: give the launcher its own stop (it takes ~2 s), then make sure
# nothing it started outlives the test, then lib.sh's cleanup
stop_launcher() {
    kill -TERM $LAUNCH 2>/dev/null
    i=0; while kill -0 $LAUNCH 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    for f in "$H"/pids/*.pid; do [ -f "$f" ] && { kill -CONT "$(cat "$f")"; kill -9 "$(cat "$f")"; } 2>/dev/null; done
    pkill -9 -f "$H/tls" 2>/dev/null
    cleanup
}
trap stop_launcher EXIT INT TERM
ticks() { cat "$D"/kxbtc15m-*.jsonl 2>/dev/null | grep -c '"type":"tick"'; }
pid_of() { cat "$H/pids/$1.pid" 2>/dev/null; }
wait_for 30 sh -c "[ \$(cat $D/kxbtc15m-*.jsonl 2>/dev/null | grep -c '\"type\":\"tick\"') -ge 5 ]" ||
    fail "no ticks from the launcher's pipeline"
# wait until the watchdog's grace after start is over for every program
sleep 11

# replaced: PROGRAM OLD_PID LIMIT_S -> prints the seconds it took; fails past the limit
replaced() {
    t0=$(date +%s.%N)
    wait_for "$3" sh -c "p=\$(cat $H/pids/$1.pid 2>/dev/null); [ -n \"\$p\" ] && [ \"\$p\" != $2 ] && kill -0 \$p" ||
        fail "$1 (pid $2) not replaced within $3 s"
    awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}"
}

# One program at a time, so each fault shows in the record on its own.
for p in $PROGS; do
    # 1. kill -9: the restart loop replaces it (1 s between restarts)
    o=$(pid_of $p); kill -9 "$o"
    echo "kill -9 $p: replaced in $(replaced $p "$o" 5) s"
    n=$(ticks)
    wait_for 15 sh -c "[ \$(cat $D/kxbtc15m-*.jsonl | grep -c '\"type\":\"tick\"') -ge $((n + 2)) ]" ||
        fail "no ticks after kill -9 of $p"
    sleep 11 # the watchdog's grace after a (re)start of this unit
    # 2. kill -STOP: only the watchdog can notice (the process is still there)
    o=$(pid_of $p); kill -STOP "$o"
    echo "kill -STOP $p: replaced in $(replaced $p "$o" 20) s"
    kill -0 "$o" 2>/dev/null && fail "stopped $p (pid $o) still exists"
    grep -q "restart unit=$p .*reason=" "$H/logs/watchdog.log" || fail "watchdog log names no restart of $p"
    n=$(ticks)
    wait_for 20 sh -c "[ \$(cat $D/kxbtc15m-*.jsonl | grep -c '\"type\":\"tick\"') -ge $((n + 2)) ]" ||
        fail "no ticks after kill -STOP of $p"
done
kill -TERM $LAUNCH; wait $LAUNCH
[ -z "$(ls "$H"/pids/*.pid 2>/dev/null)" ] || fail "the launcher left pid files behind: $(ls "$H"/pids)"

# 3. no second missing or written twice (the project's reader), and the faults did
# show in the record: the sink's two restarts, and the aggregator's restart (its second one
# may not be: the sink is killed a second after it, before the aggregator's next tick settles
# that record)
/usr/bin/python3 tests/integration/sink_check.py "$D" kxbtc15m --all-explained --no-missing >"$T/check.out" ||
    { cat "$T/check.out"; fail "the record: $(grep ERROR "$T/check.out" | head -3)"; }
cat "$T/check.out"
# every daily file: a run across midnight UTC writes two (it failed once on the first alone)
n=$(cat "$D"/kxbtc15m-*.jsonl | grep -c '"reason":"sink_restart"'); [ "$n" -ge 2 ] ||
    fail "sink_restart records: $n, want 2"
n=$(cat "$D"/kxbtc15m-*.jsonl | grep '"reason":"restart"' | grep -c '"src":"aggregator"'); [ "$n" -ge 1 ] ||
    fail "restart records of the aggregator: $n, want 1 or 2"
echo ok
