# lib/hb's systemd side, against our own notify receiver (no systemd needed):
# READY=1 once bound, WATCHDOG=1 while progress moves, none while it is frozen;
# and hb.NAME on the bus once a second with pid, state and progress.
. tests/integration/lib.sh
cat >"$T/recv.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
out = open(sys.argv[2], "a", buffering=1)
while True:
    try:
        d = s.recv(4096).decode()
    except socket.timeout:
        continue
    for line in d.splitlines():
        out.write("%.3f %s\n" % (time.time(), line))
PY
bg recv /usr/bin/python3 "$T/recv.py" "$T/notify.sock" "$T/notes"
wait_for 5 test -S "$T/notify.sock" || fail "receiver did not start"
NOTIFY_SOCKET="$T/notify.sock" bg hbfake "$BIN/hbfake" --name hbn --rate 20
HB=$LAST
wait_for 10 grep -q 'READY=1' "$T/notes" || fail "no READY=1"
wait_for 10 grep -q 'WATCHDOG=1' "$T/notes" || fail "no WATCHDOG=1 while progressing"
"$BIN/tap" --count 2 --timeout 10 hb.hbn >"$T/hb.txt" 2>/dev/null || fail "no hb.hbn on the bus"
grep -q '"state":"ok"' "$T/hb.txt" && grep -q '"progress":[1-9]' "$T/hb.txt" && grep -q "\"pid\":$HB" "$T/hb.txt" \
    || fail "hb payload: $(head -1 "$T/hb.txt")"
kill -USR1 "$HB"          # freeze progress
sleep 1.5
n1=$(grep -c 'WATCHDOG=1' "$T/notes")
sleep 3
n2=$(grep -c 'WATCHDOG=1' "$T/notes")
[ "$n1" = "$n2" ] || fail "WATCHDOG=1 sent while progress was frozen ($n1 -> $n2)"
kill -USR1 "$HB"          # progress again
wait_for 5 sh -c "[ \$(grep -c WATCHDOG=1 $T/notes) -gt $n2 ]" || fail "WATCHDOG=1 did not resume"
echo ok
