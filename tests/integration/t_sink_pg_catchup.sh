# sink-postgres catches up (sink/follow, aggregator/history): killed -9 twice and once stopped
# then killed while a tick is published every 2 ms (tickgen --history-s), each restart reads the
# table's newest tick and fetches what came after it from the publisher's history, so the
# table ends with every second between its first and last tick once. Without catch-up
# (--catchup-timeout 0) the same run leaves seconds out (checked, so the test can fail). Away
# longer than the history: the seconds it could not get are named by gap rows, exactly.
. tests/integration/lib.sh
. tests/integration/pg.sh
clock_at "2026-11-28 12:00:00"
pgq "select 1" >/dev/null || fail "postgres"
run() { # TAG EXTRA...: the faults against sink-postgres with EXTRA options; prints "missing dup"
    tag=$1; shift
    pgq "drop table if exists tick; drop table if exists event" >/dev/null
    bg gen$tag $AT "$BIN/tickgen" --name aggregator --start 2026-11-28T12:00:00Z --count 0 \
        --interval-ms 2 --delay-ms 300 --events 7 --history-s 3600
    gen=$LAST
    for round in 1 2 3 4; do
        bg pg$tag$round $AT "$BIN/sink-postgres" --dsn "$PGDSN" --batch-s 0.05 --backoff-max 1 --max-ahead 86400 "$@"
        p=$LAST
        wait_for 20 grep -q 'tables ready' "$T/pg$tag$round.log" || fail "$tag: no connect"
        sleep 0.6
        case $round in
            1|2) kill -9 $p; wait $p 2>/dev/null ;;
            3) kill -STOP $p; sleep 0.4; kill -9 $p; kill -CONT $p 2>/dev/null; wait $p 2>/dev/null ;;
            4) sleep 0.5; kill -TERM $p; wait $p ;;
        esac
        sleep 0.3 # the publisher goes on while the sink is away
    done
    kill $gen; wait $gen 2>/dev/null
    pgq "select (extract(epoch from max(ts)) - extract(epoch from min(ts)) + 1 - count(distinct ts))::bigint,
                count(*) - count(distinct ts) from tick" | tr '|' ' '
}
set -- $(run a)
echo "with catch-up: $1 seconds missing, $2 written twice"
[ "$1" = 0 ] || pgq "select to_char(ts,'HH24:MI:SS') from tick order by ts" | awk 'NR>1 && $0 != "" {print prev" -> "$0} {prev=$0}' | awk -F' -> ' '{split($1,a,":"); split($2,b,":"); d=(b[1]*3600+b[2]*60+b[3])-(a[1]*3600+a[2]*60+a[3]); if (d>1) print "hole after " $1 ": " d-1 " s"}' | head -5
[ "$1" = 0 ] && [ "$2" = 0 ] || fail "catch-up left $1 seconds missing, $2 twice"
n=$(pgq "select count(*) from event where topic = 'event.market_open'")
[ "$n" -gt 0 ] || fail "no events"
set -- $(run b --catchup-timeout 0)
echo "without catch-up: $1 seconds missing, $2 written twice"
[ "$1" -gt 0 ] || fail "without catch-up nothing was missing: the test cannot tell"

# away longer than the history holds (50 record seconds, ~0.1 s): the seconds it could not get
# are named by sink_restart gap rows, exactly
pgq "drop table if exists tick; drop table if exists event" >/dev/null
bg genc $AT "$BIN/tickgen" --name aggregator --start 2026-11-28T12:00:00Z --count 0 \
    --interval-ms 2 --delay-ms 300 --history-s 50
gen=$LAST
bg pgc1 $AT "$BIN/sink-postgres" --dsn "$PGDSN" --batch-s 0.05 --backoff-max 1 --max-ahead 86400
wait_for 20 grep -q 'tables ready' "$T/pgc1.log" || fail "c: no connect"
sleep 0.6; kill -9 $LAST; wait $LAST 2>/dev/null
sleep 1 # ~500 record seconds: ten times what the history keeps
bg pgc2 $AT "$BIN/sink-postgres" --dsn "$PGDSN" --batch-s 0.05 --backoff-max 1 --max-ahead 86400
p=$LAST
wait_for 20 grep -q 'tables ready' "$T/pgc2.log" || fail "c: no reconnect"
sleep 2.5; kill -TERM $p; wait $p # (the standby's request times out after 2 s)
kill $gen; wait $gen 2>/dev/null
missing=$(pgq "select (extract(epoch from max(ts)) - extract(epoch from min(ts)) + 1 - count(distinct ts))::bigint from tick")
named=$(pgq "select coalesce(sum((rec->>'seconds')::bigint), 0) from event where topic = 'gap' and rec->>'reason' = 'sink_restart'")
echo "away longer than the history: $missing seconds missing, $named named by gap rows ($(pgq "select count(*), min(ts), max(ts) from tick"))"
[ "$missing" -gt 0 ] || fail "nothing missing after a long absence: the history kept more than asked"
[ "$missing" = "$named" ] || fail "$missing seconds missing but the gap rows name $named"
echo ok
