# A forced high-water-mark overflow is reported as a gap of the exact size:
# every message the publisher sent is either received or counted as lost.
. tests/integration/lib.sh
N=200000
bg tap "$BIN/tap" --timeout 20 --json test.
sleep 0.3
bg pub "$BIN/testpub" --name burst --count $N --hwm 10 --delay-ms 1200
wait_for 20 grep -q "\"i\":$N," "$T/tap.out" || fail "last message never arrived"
kill -INT $(echo $PIDS | awk '{print $1}')
wait_for 5 grep -q 'printed=' "$T/tap.log" || fail "tap did not report"
line=$(grep 'printed=' "$T/tap.log")
recv=$(echo "$line" | sed 's/.*received=\([0-9]*\).*/\1/')
lost=$(echo "$line" | sed 's/.* lost=\([0-9]*\).*/\1/')
[ "$lost" -gt 0 ] || fail "no overflow was forced ($line)"
[ $((recv + lost)) -eq $N ] || fail "received $recv + lost $lost != sent $N"
echo "ok received=$recv lost=$lost"
