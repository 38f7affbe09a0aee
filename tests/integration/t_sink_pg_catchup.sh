# sink-postgres catches up (sink/follow, aggregator/history): killed -9 twice and once stopped
# then killed while a tick is published every 2 ms (tickgen --history-s), each restart reads the
# table's newest tick and fetches what came after it from the publisher's history, so the
# table ends with every second between its first and last tick once. Without catch-up
# (--catchup-timeout 0) the same run leaves seconds out (checked, so the test can fail).
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
        bg pg$tag$round $AT "$BIN/sink-postgres" --dsn "$PGDSN" --batch-s 0.05 --backoff-max 1 "$@"
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
[ "$1" = 0 ] && [ "$2" = 0 ] || fail "catch-up left $1 seconds missing, $2 twice"
n=$(pgq "select count(*) from event where topic = 'event.market_open'")
[ "$n" -gt 0 ] || fail "no events"
set -- $(run b --catchup-timeout 0)
echo "without catch-up: $1 seconds missing, $2 written twice"
[ "$1" -gt 0 ] || fail "without catch-up nothing was missing: the test cannot tell"
echo ok
