# A full disk, for real: a tiny tmpfs (needs root; skipped otherwise).
# Phase 1: the disk fills with room for a few lines; every accepted record is
# kept in memory, retried, counted in hb, and written whole once space is
# freed. Phase 2: a queue bound of 8 KiB is exceeded; the dropped records
# become one "disk" gap record. No torn line in either.
. tests/integration/lib.sh
# sinks and tickgen on a clock shifted to the test's dates (clock_at): any real date gives the same verdict
clock_at "2026-11-28 08:00:00"
[ "$(id -u)" = 0 ] || { echo "skip: needs root to mount a tmpfs"; exit 0; }
M=$T/disk
mkdir -p "$M"
mount -t tmpfs -o size=512k tmpfs "$M" 2>/dev/null || { echo "skip: cannot mount tmpfs"; exit 0; }
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; sleep 0.3; umount -l "$M"; cleanup' EXIT INT TERM
fill() { # leave about $1 bytes free
    head -c "$1" /dev/zero > "$M/slack"
    dd if=/dev/zero of="$M/filler" bs=4k 2>/dev/null
    rm -f "$M/slack"
}
hb() { "$BIN/tap" --sub "ipc://$TICKBUS_BUS/sink-jsonl.pub" --count 1 --timeout 3 hb. 2>/dev/null; }

D=$M/d1
bg sink1 $AT "$BIN/sink-jsonl" --dir "$D" --fsync 0.2 --compress none
S=$LAST
wait_for 5 test -d "$D" || fail "sink did not start"
fill 6000
$AT "$BIN/tickgen" --name aggregator --start 2026-11-28T08:00:00Z --count 60 --interval-ms 10 \
    --delay-ms 700 2>/dev/null || fail tickgen
wait_for 10 grep -q 'No space left on device' "$T/sink1.log" || fail "no ENOSPC seen"
hb > "$T/hb1"
grep -q '"write_errors":[1-9]' "$T/hb1" || fail "hb without write_errors: $(cat "$T/hb1")"
grep -q '"last_error":"No space left on device"' "$T/hb1" || fail "hb without last_error"
grep -q '"pending":[1-9]' "$T/hb1" || fail "hb without pending lines"
grep -q '"state":"degraded"' "$T/hb1" || fail "hb state not degraded"
before=$(grep -c '"type":"tick"' "$D/kxbtc15m-2026-11-28.jsonl" 2>/dev/null || echo 0)
echo "written while full: $before of 60"
[ "$before" -lt 60 ] || fail "the disk was not full"
rm -f "$M/filler"
wait_for 15 sh -c "[ \$(grep -c '\"type\":\"tick\"' $D/kxbtc15m-2026-11-28.jsonl) -ge 60 ]" ||
    fail "queued lines not written after space was freed"
/usr/bin/python3 tests/integration/sink_check.py "$D" kxbtc15m --ticks 60 >"$T/c1" ||
    { cat "$T/c1"; fail "phase 1 check"; }
grep -q '"reason":"disk"' "$D/kxbtc15m-2026-11-28.jsonl" && fail "phase 1 dropped records"
wait_for 5 sh -c "$BIN/tap --sub ipc://$TICKBUS_BUS/sink-jsonl.pub --count 1 --timeout 3 hb. 2>/dev/null | grep -q '\"pending\":0,'" ||
    fail "hb still shows pending lines"
kill -TERM $S; wait $S || fail "sink 1 exit code"

D=$M/d2
bg sink2 $AT "$BIN/sink-jsonl" --dir "$D" --fsync 0.2 --compress none --buffer-kb 8
S=$LAST
wait_for 5 test -d "$D" || fail "sink 2 did not start"
fill 0
# within the sink's --max-ahead of its clock (08:00): later ticks would be quarantined
$AT "$BIN/tickgen" --name aggregator --start 2026-11-28T08:02:00Z --count 40 --interval-ms 10 \
    --delay-ms 700 2>/dev/null || fail tickgen
wait_for 10 grep -q 'queue full' "$T/sink2.log" || fail "bound not hit"
rm -f "$M/filler"
wait_for 15 grep -q '"reason":"disk"' "$D/kxbtc15m-2026-11-28.jsonl" || fail "no disk gap record"
kill -TERM $S; wait $S || fail "sink 2 exit code"
/usr/bin/python3 tests/integration/sink_check.py "$D" kxbtc15m >"$T/c2" || { cat "$T/c2"; fail "phase 2 check"; }
cat "$T/c1" "$T/c2"
kept=$(grep -c '"type":"tick"' "$D/kxbtc15m-2026-11-28.jsonl")
dropped=$(grep '"reason":"disk"' "$D/kxbtc15m-2026-11-28.jsonl" | sed 's/.*"seconds":\([0-9]*\).*/\1/')
[ $((kept + dropped)) = 40 ] || fail "kept $kept + dropped $dropped != 40"
echo ok
