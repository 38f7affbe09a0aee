# tickbus-freshness, the bus-independent freshness oneshot: a fresh file
# is left alone, a stale one restarts the unit (exit 0), a missing one is
# fine only in the first 5 minutes of a UTC day, a failed restart exits 69.
# The deprecated `watchdog --check-file` (old units) still does the same, and
# warns naming tickbus-freshness.
. tests/integration/lib.sh
D="$T/data"; mkdir -p "$D"
R="$T/restarts"
check() { "$BIN/tickbus-freshness" --check-file "$D/kx-*.jsonl" --max-age 120 --restart-unit tickbus.target \
          --restart cmd --restart-cmd "echo %u >> $R" "$@" 2>>"$T/check.log"; }
nlines() { [ -f "$R" ] && wc -l < "$R" || echo 0; }

# fresh: newest file written just now (an older stale one does not matter)
touch -d '1 hour ago' "$D/kx-2026-01-01.jsonl"
touch "$D/kx-2026-01-02.jsonl"
check; rc=$?
[ $rc = 0 ] || fail "fresh: exit $rc"
[ "$(nlines)" = 0 ] || fail "fresh file caused a restart"
grep -q "fresh file=$D/kx-2026-01-02.jsonl" "$T/check.log" || fail "fresh: no log line"

# stale: newest is 3 minutes old -> restart, exit 0
touch -d '3 minutes ago' "$D/kx-2026-01-02.jsonl"
touch "$D/other-2026-01-02.jsonl" # another prefix: not ours
check; rc=$?
[ $rc = 0 ] || fail "stale: exit $rc"
[ "$(cat "$R")" = tickbus.target ] || fail "stale: restart command got '$(cat "$R" 2>/dev/null)'"
grep -q "stale file=$D/kx-2026-01-02.jsonl age_s=1[89]" "$T/check.log" || fail "stale: no log line"

# missing: no file at all
rm -f "$D"/kx-*.jsonl; : > "$R"
check --now 2026-01-02T00:04:30Z; rc=$?
[ $rc = 0 ] && [ "$(nlines)" = 0 ] || fail "missing at 00:04:30 UTC: exit $rc, restarts $(nlines)"
check --now 2026-01-02T00:05:01Z; rc=$?
[ $rc = 0 ] && [ "$(nlines)" = 1 ] || fail "missing at 00:05:01 UTC: exit $rc, restarts $(nlines)"
check --now 2026-01-02T13:00:00Z; rc=$?
[ "$(nlines)" = 2 ] || fail "missing at 13:00 UTC: not restarted"

# the restart itself fails -> 69 and a critical line
touch -d '10 minutes ago' "$D/kx-2026-01-03.jsonl"
"$BIN/tickbus-freshness" --check-file "$D/kx-*.jsonl" --restart-unit tickbus.target --restart cmd \
    --restart-cmd 'false %u' 2>>"$T/check.log"; rc=$?
[ $rc = 69 ] || fail "failed restart command: exit $rc, want 69"
"$BIN/tickbus-freshness" --check-file "$D/kx-*.jsonl" --restart-unit tickbus.target \
    --bus-address "unix:path=$T/no-such-socket" 2>>"$T/check.log"; rc=$?
[ $rc = 69 ] || fail "unreachable systemd: exit $rc, want 69"
grep -q 'crit: check-file: restart of unit=tickbus.target failed: cannot connect' "$T/check.log" \
    || fail "no critical line for the unreachable manager"

# usage errors -> 64
"$BIN/tickbus-freshness" --check-file "$D/kx-*.jsonl" 2>/dev/null; rc=$?
[ $rc = 64 ] || fail "missing --restart-unit: exit $rc, want 64"
"$BIN/tickbus-freshness" --check-file "$D/kx-*.jsonl" --restart-unit x --now yesterday 2>/dev/null; rc=$?
[ $rc = 64 ] || fail "bad --now: exit $rc, want 64"
"$BIN/tickbus-freshness" --check-file "$D/kx-*.jsonl" --restart-unit x --restart cmd \
    --restart-cmd true 2>/dev/null; rc=$?
[ $rc = 64 ] || fail "--restart-cmd without %u: exit $rc, want 64"
"$BIN/tickbus-freshness" --restart-unit x 2>/dev/null; rc=$?
[ $rc = 64 ] || fail "no --check-file: exit $rc, want 64"

# the old form, as units in the field call it: same verdict and restart, and a warning
: > "$R"; : > "$T/old.log"
"$BIN/watchdog" --check-file "$D/kx-*.jsonl" --max-age 120 --restart-unit tickbus.target \
    --restart cmd --restart-cmd "echo %u >> $R" 2>>"$T/old.log"; rc=$?
[ $rc = 0 ] && [ "$(cat "$R")" = tickbus.target ] || fail "watchdog --check-file: exit $rc, restarts '$(cat "$R")'"
grep -q "stale file=$D/kx-2026-01-03.jsonl" "$T/old.log" || fail "watchdog --check-file: no stale line"
grep -q "warn: --check-file is deprecated.*tickbus-freshness" "$T/old.log" \
    || fail "watchdog --check-file: no warning naming tickbus-freshness"
"$BIN/watchdog" --check-file "$D/kx-*.jsonl" 2>/dev/null; rc=$?
[ $rc = 64 ] || fail "watchdog --check-file without --restart-unit: exit $rc, want 64"
echo ok
