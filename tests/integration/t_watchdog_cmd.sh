# watchdog, cmd backend: a program whose progress freezes, then whose hb
# stops, is restarted (the command gets the unit) within its deadline + 2 s,
# each restart is an event.restart on the watchdog's PUB, and a restart loop
# turns into event.restart_storm with a critical log line and a hold-off.
. tests/integration/lib.sh
now() { date +%s.%N; }
elapsed() { awk "BEGIN{printf \"%.2f\", $(now) - $1}"; }
nlines() { [ -f "$1" ] && wc -l < "$1" || echo 0; }

bg hbfake "$BIN/hbfake" --name hbfake --rate 10
HB=$LAST
bg tap "$BIN/tap" event. hb.watchdog
bg wd "$BIN/watchdog" --unit "hbfake=hbfake.service" --deadline hbfake=2 --hb-timeout 2 \
    --grace 1 --interval 0.2 --restart cmd --restart-cmd "echo %u >> $T/restarts" \
    --storm-max 3 --storm-window 120 --storm-backoff 60
WD=$LAST

# the watchdog sees the program and publishes its own hb with progress
wait_for 15 grep -q '^hb.watchdog .*"hbfake":{"unit":"hbfake.service","seen":true' "$T/tap.out" \
    || fail "watchdog never reported hbfake as seen"
sleep 2
[ "$(nlines "$T/restarts")" = 0 ] || fail "healthy program restarted: $(cat "$T/restarts")"

# 1. progress frozen -> restart for no_progress within deadline (2 s) + 2 s
kill -USR1 "$HB"; t0=$(now)
wait_for 4 test -s "$T/restarts" || fail "no restart 4 s after progress froze"
kill -USR1 "$HB" # moving again before the grace (1 s) + deadline (2 s) ends
echo "no_progress detected+restarted in $(elapsed "$t0") s"
[ "$(cat "$T/restarts")" = hbfake.service ] || fail "command got '$(cat "$T/restarts")'"
wait_for 5 grep -q '^event.restart .*"unit":"hbfake.service","name":"hbfake","reason":"no_progress","idle_s":' \
    "$T/tap.out" || fail "no event.restart for no_progress"
sleep 3
[ "$(nlines "$T/restarts")" = 1 ] || fail "restarted again after progress resumed"

# 2. hb stops -> restart for hb_missing within hb-timeout (2 s) + 2 s
kill -USR2 "$HB"; t0=$(now)
wait_for 4 sh -c "[ \$(wc -l < $T/restarts) -ge 2 ]" || fail "no restart 4 s after the hb stopped"
echo "hb_missing detected+restarted in $(elapsed "$t0") s"
wait_for 5 grep -q '^event.restart .*"reason":"hb_missing","missing_s":' "$T/tap.out" \
    || fail "no event.restart for hb_missing"
grep '^event.restart .*hb_missing' "$T/tap.out" | head -1 | grep -q '"backend":"cmd","ok":true' \
    || fail "event.restart fields: $(grep '^event.restart' "$T/tap.out" | tail -1)"

# 3. the hb stays missing: one more restart (3 in the window), then a storm, then hold-off
wait_for 15 grep -q '^event.restart_storm .*"unit":"hbfake.service".*"restarts":3' "$T/tap.out" \
    || fail "no event.restart_storm"
grep -q 'crit: restart storm unit=hbfake.service' "$T/wd.log" || fail "no critical log line"
sleep 3
[ "$(nlines "$T/restarts")" = 3 ] || fail "$(nlines "$T/restarts") restarts, want 3 (held off)"
grep -q '^hb.watchdog .*"restarts":3,"storms":1' "$T/tap.out" || \
    wait_for 3 grep -q '^hb.watchdog .*"restarts":3,"storms":1' "$T/tap.out" \
    || fail "watchdog hb lacks the counters"

kill "$WD"
wait_for 5 sh -c "! kill -0 $WD" || fail "watchdog did not stop on SIGTERM"
grep -q 'stopping: restarts=3 storms=1' "$T/wd.log" || fail "no clean stop line"
echo ok
