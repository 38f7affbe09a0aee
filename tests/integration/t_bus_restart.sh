# A publisher restarted with a new epoch is reported as a restart, not a gap.
. tests/integration/lib.sh
bg tap "$BIN/tap" --count 20 --timeout 20 test.
sleep 0.3
"$BIN/testpub" --name again --count 10 --gap-ms 10 --delay-ms 1200 2>/dev/null
"$BIN/testpub" --name again --count 10 --gap-ms 10 --delay-ms 1200 2>/dev/null
wait_for 10 sh -c "[ \$(wc -l < $T/tap.out) -ge 20 ]" || fail "tap printed $(wc -l < "$T/tap.out") of 20"
wait_for 5 grep -q 'printed=' "$T/tap.log" || fail "tap did not finish"
grep -q 'restart src=again' "$T/tap.log" || fail "restart not reported"
grep -q 'tap: gap' "$T/tap.log" && fail "false gap on restart"
grep -q 'lost=0 gaps=0 restarts=1' "$T/tap.log" || fail "stats: $(grep printed= "$T/tap.log")"
echo ok
