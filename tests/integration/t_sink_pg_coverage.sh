# sink-postgres closes a UTC day as sink-jsonl does: at the first tick of the next day it writes
# the day's coverage record (computed by the server from the tables), once, with the same
# fields and the same figures as sink-jsonl's for the same ticks.
. tests/integration/lib.sh
. tests/integration/pg.sh
clock_at "2026-11-28 23:59:40"
pgq "select 1" >/dev/null || fail "postgres"
bg pgsink $AT "$BIN/sink-postgres" --dsn "$PGDSN" --batch-s 0.05 --catchup-timeout 0
bg jsonl $AT "$BIN/sink-jsonl" --dir "$T/data" --fsync 0.2 --compress none --catchup-timeout 0
wait_for 10 grep -q 'tables ready' "$T/pgsink.log" || fail "sink-postgres did not connect"
# 25 ticks from 23:59:50 (second 3 skipped: a no_tick gap), crossing midnight
$AT "$BIN/tickgen" --name aggregator --start 2026-11-28T23:59:50Z --count 25 --interval-ms 20 \
    --skip 3 --delay-ms 1500 2>/dev/null || fail tickgen
wait_for 10 sh -c "[ \$(psql -X -A -t -q -d '$PGDSN' -c \"select count(*) from event where topic = 'coverage'\") = 1 ]" ||
    fail "no coverage row: $(pgq "select topic, rec from event")"
kill -TERM $(pgrep -f "sink-jsonl --dir $T/data") 2>/dev/null
wait_for 10 sh -c "grep -q '\"type\":\"coverage\"' $T/data/kxbtc15m-2026-11-28.jsonl" || fail "jsonl coverage"
pgc=$(pgq "select rec->>'date', rec->>'covered', rec->>'missing', rec->>'gap_seconds', rec->>'ticks', rec->>'markets_seen' from event where topic = 'coverage'")
fc=$(grep '"type":"coverage"' "$T/data/kxbtc15m-2026-11-28.jsonl" | /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print("|".join(str(r[k]) for k in ("date", "covered", "missing", "gap_seconds", "ticks", "markets_seen")))')
echo "postgres: $pgc"
echo "jsonl:    $fc"
[ "$pgc" = "$fc" ] || fail "coverage differs: postgres $pgc, jsonl $fc"
case $pgc in 2026-11-28\|9\|86391\|1\|9\|*) ;; *) fail "coverage figures: $pgc" ;; esac
echo ok
