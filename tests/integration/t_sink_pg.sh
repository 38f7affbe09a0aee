# sink-postgres against a real PostgreSQL server (pg.sh): ticks land in the
# tick table with typed loader columns and the record as jsonb, events in
# event, the same ticks as sink-jsonl's file; the server stopped mid-run and
# restarted loses nothing within the buffer bound; beyond the bound, a
# "buffer" gap record says what was dropped.
. tests/integration/lib.sh
. tests/integration/pg.sh
# the sinks and tickgen run on a clock shifted to 2026-11-28 12:00 (clock_at):
# the dates below hold on any real date
clock_at "2026-11-28 12:00:00"
bg pgsink $AT "$BIN/sink-postgres" --dsn "$PGDSN" --buffer 40 --backoff-max 1 --batch-s 0.1 -v
PGS=$LAST
bg jsonl $AT "$BIN/sink-jsonl" --dir "$T/data" --fsync 0.2
wait_for 10 grep -q 'tables ready' "$T/pgsink.log" || fail "sink-postgres did not connect"
count() { pgq "select count(*) from tick"; }

# 1. ticks and events land; typed columns
$AT "$BIN/tickgen" --name aggregator --start 2026-11-28T12:00:00Z --count 20 --interval-ms 20 \
    --events 5 --null-kraken --delay-ms 1500 2>/dev/null || fail tickgen
wait_for 10 sh -c "[ \$(psql -X -A -t -q -d '$PGDSN' -c 'select count(*) from tick') = 20 ]" ||
    fail "ticks in table: $(count)"
[ "$(pgq "select count(*) from event where topic = 'event.market_open'")" = 4 ] || fail "events"
[ "$(pgq "select count(*) from tick where kraken is null and brti > 90000 and coinbase is not null and rec->>'type' = 'tick' and jsonb_array_length(markets) = 1 and ts = (rec->>'ts')::timestamptz")" = 20 ] ||
    fail "typed columns: $(pgq 'select ts, brti, kraken from tick limit 2')"
[ "$(pgq "select brti::text from tick where ts = '2026-11-28T12:00:01Z'")" = "97000.74" ] ||
    fail "brti not exact: $(pgq "select brti::text from tick where ts = '2026-11-28T12:00:01Z'")"
# the table holds the same ticks as the file
wait_for 10 sh -c "[ \$(grep -c '\"type\":\"tick\"' $T/data/kxbtc15m-2026-11-28.jsonl) = 20 ]" ||
    fail "jsonl sink"
grep '"type":"tick"' "$T/data/kxbtc15m-2026-11-28.jsonl" | sed 's/.*"ts":"\([^"]*\)".*/\1/' | sort > "$T/file.ts"
pgq "select to_char(ts at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') from tick order by 1" > "$T/table.ts"
cmp -s "$T/file.ts" "$T/table.ts" || fail "file and table differ: $(diff "$T/file.ts" "$T/table.ts" | head)"

# 2. the server goes away mid-run and comes back: nothing lost within the bound (40)
pg_stop fast
$AT "$BIN/tickgen" --name aggregator --start 2026-11-28T12:01:00Z --count 30 --interval-ms 20 \
    --delay-ms 1500 2>/dev/null || fail tickgen
wait_for 10 grep -q 'server went away\|connect' "$T/pgsink.log" || fail "no reconnect attempt logged"
pg_start
wait_for 20 sh -c "[ \$(psql -X -A -t -q -d '$PGDSN' -c 'select count(*) from tick') = 50 ]" ||
    fail "after restart: $(count) of 50 ticks"
[ "$(pgq "select count(*) from event where type = 'gap' and rec->>'reason' = 'buffer'")" = 0 ] ||
    fail "records dropped within the bound"

# 3. beyond the bound: 60 ticks while the server is away; 40 kept, 20 dropped, one gap record
pg_stop fast
$AT "$BIN/tickgen" --name aggregator --start 2026-11-28T12:02:00Z --count 60 --interval-ms 10 \
    --delay-ms 1500 2>/dev/null || fail tickgen
wait_for 10 grep -q 'queue full' "$T/pgsink.log" || fail "bound not hit"
pg_start
wait_for 20 sh -c "[ \$(psql -X -A -t -q -d '$PGDSN' -c \"select count(*) from event where type = 'gap' and rec->>'reason' = 'buffer'\") = 1 ]" ||
    fail "no buffer gap record"
kept=$(pgq "select count(*) from tick where ts >= '2026-11-28T12:02:00Z'")
dropped=$(pgq "select (rec->>'seconds')::int from event where rec->>'reason' = 'buffer'")
echo "beyond the bound: kept=$kept dropped=$dropped"
[ $((kept + dropped)) = 60 ] || fail "kept $kept + dropped $dropped != 60"
kill -TERM $PGS; wait $PGS; rc=$?
[ "$rc" = 0 ] || fail "SIGTERM exit $rc"
grep -c 'connected' "$T/pgsink.log"
echo ok
