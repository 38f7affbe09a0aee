# sink-postgres --series (docs/SINKS.md, sink-postgres): `sink-postgres --series KXETH15M` next
# to the default one, on the same database, each fed by its own aggregator (`aggregator
# --series KXETH15M` and `aggregator` on feedsim's ETH and BTC books, as t_agg_series). The ETH
# rows land in tick_kxeth15m / event_kxeth15m from aggregator-kxeth15m, every tick of series
# KXETH15M with the ETH prices, its hb is hb.sink-postgres-kxeth15m; killed -9 and restarted it
# reads the newest tick of its own table and fetches the seconds it missed (none missing). BTC's
# tables keep their columns and a row already there, and get only KXBTC15M's ticks. Then, on a
# second database and a clock shifted to just before midnight (tickgen in both aggregators'
# places), each sink closes the day with the coverage of its own series' ticks only. An unknown
# or badly defined series exits 64 with lib/series' message.
. tests/integration/lib.sh
. tests/integration/pg.sh
unset SERIES_TICKER SERIES_KXETH15M SERIES_KXBTC15M SERIES_KXXRP15M 2>/dev/null || true
pgq "select 1" >/dev/null || fail "postgres"

# a bad series: exit 64, lib/series' message naming the variable
"$BIN/sink-postgres" --series KXFOO15M --check 2>"$T/bad.err"
rc=$?
[ $rc = 64 ] && grep -q "SERIES_KXFOO15M" "$T/bad.err" || fail "unknown series: exit $rc: $(cat "$T/bad.err")"
SERIES_KXXRP15M="index=XRPUSD_RTI venues=coinbase,binance" "$BIN/sink-postgres" --series KXXRP15M \
    --check 2>"$T/bad.err"
rc=$?
[ $rc = 64 ] && grep -q 'SERIES_KXXRP15M=.*binance' "$T/bad.err" ||
    fail "bad SERIES_KXXRP15M: exit $rc: $(cat "$T/bad.err")"

# BTC's tables as an earlier sink-postgres left them, with a row of its own
bg pg0 "$BIN/sink-postgres" --dsn "$PGDSN"
wait_for 15 grep -q 'tables ready (tick, event)' "$T/pg0.log" || fail "sink-postgres did not create tick, event"
kill "$LAST"; wait "$LAST"
pgq "insert into tick (ts, type, brti, src, epoch, seq, rec) values ('2026-11-28T12:00:00Z', 'tick',
     97000.5, 'aggregator', 'old', 1, '{\"type\":\"tick\",\"series\":\"KXBTC15M\",\"brti\":97000.5}')" >/dev/null ||
    fail "old row"
cols() { pgq "select string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position) from information_schema.columns where table_name = '$1'"; }
COLS0=$(cols tick)
OLD0=$(pgq "select md5(t::text) from tick t where epoch = 'old'")

# ETH and BTC books and indices on the same feed sockets
cat >"$T/coinbase.txt" <<'S'
#loop
book.coinbase.ETH-USD {"bids":[["3010.00","40"],["3009.50","100"]],"asks":[["3010.50","40"],["3011.00","100"]]}
book.coinbase.BTC-USD {"bids":[["97034.00","1.5"],["97033.00","2"]],"asks":[["97035.00","1"],["97036.00","3"]]}
#sleep 300
S
cat >"$T/kraken.txt" <<'S'
#loop
book.kraken.ETH-USD {"bids":[[3010.1,30],[3009.6,80]],"asks":[[3010.6,30],[3011.1,80]]}
book.kraken.BTC-USD {"bids":[[97040.0,1]],"asks":[[97041.0,1]]}
#sleep 300
S
cat >"$T/kalshi.txt" <<'S'
kalshi.market.KXETH15M-TEST-30 {"ticker":"KXETH15M-TEST-30","status":"active","open_time":"@T-100@","close_time":"@T+800@","expected_expiration_time":"@T+1100@","floor_strike":3012.55,"result":""}
kalshi.market.KXBTC15M-TEST-15 {"ticker":"KXBTC15M-TEST-15","status":"active","open_time":"@T-100@","close_time":"@T+800@","expected_expiration_time":"@T+1100@","floor_strike":97012.47,"result":""}
#loop
kalshi.book.KXETH15M-TEST-30 {"ticker":"KXETH15M-TEST-30","valid":true,"yes_bids":[[0.41,10]],"no_bids":[[0.57,20]]}
kalshi.book.KXBTC15M-TEST-15 {"ticker":"KXBTC15M-TEST-15","valid":true,"yes_bids":[[0.52,120]],"no_bids":[[0.46,80]]}
index.ethusd_rti {"index":"ETHUSD_RTI","value":3010.27,"src":"kalshi","time_ms":@NOWMS@}
index.brti {"index":"BRTI","value":97033.80,"src":"kalshi","time_ms":@NOWMS@}
#sleep 300
S
for v in coinbase kraken kalshi; do
    bg "sim-$v" "$BIN/feedsim" --name "feed-$v" --script "$T/$v.txt" --loop
done
bg pgbtc "$BIN/sink-postgres" --dsn "$PGDSN" --batch-s 0.1
PGBTC=$LAST
bg pgeth "$BIN/sink-postgres" --series KXETH15M --dsn "$PGDSN" --batch-s 0.1
PGETH=$LAST
wait_for 15 grep -q 'tables ready (tick_kxeth15m, event_kxeth15m)' "$T/pgeth.log" ||
    fail "sink-postgres --series KXETH15M: no tables tick_kxeth15m, event_kxeth15m"
bg agg-eth "$BIN/aggregator" --series KXETH15M
AGGS=$LAST
bg agg-btc "$BIN/aggregator"
AGGS="$AGGS $LAST"
n() { pgq "select count(*) from $1"; }
wait_for 20 sh -c "[ \$(psql -X -A -t -q -d '$PGDSN' -c 'select count(*) from tick_kxeth15m') -ge 5 ]" ||
    fail "no ETH ticks in tick_kxeth15m: $(n tick_kxeth15m)"
"$BIN/tap" --json --count 1 --timeout 10 --sub "ipc://$TICKBUS_BUS/sink-postgres-kxeth15m.pub" \
    hb.sink-postgres-kxeth15m >"$T/hb.json" 2>/dev/null || fail "no hb.sink-postgres-kxeth15m"
grep -q '"connected":true' "$T/hb.json" || fail "hb: not connected: $(cut -c1-300 "$T/hb.json")"

# killed -9 and back 2 s later: it resumes from its own table's newest tick
kill -9 $PGETH; wait $PGETH 2>/dev/null
sleep 2
bg pgeth2 "$BIN/sink-postgres" --series KXETH15M --dsn "$PGDSN" --batch-s 0.1
PGETH=$LAST
wait_for 15 grep -q 'newest tick in the table [0-9]* (by aggregator-kxeth15m)' "$T/pgeth2.log" ||
    fail "restarted: the newest tick not read from tick_kxeth15m"
e0=$(n tick_kxeth15m)
wait_for 15 sh -c "[ \$(psql -X -A -t -q -d '$PGDSN' -c 'select count(*) from tick_kxeth15m') -ge $((e0 + 4)) ]" ||
    fail "no ETH ticks after the restart"
for p in $PGETH $PGBTC; do
    kill -TERM $p; wait $p; rc=$?
    [ $rc = 0 ] || fail "sink-postgres (pid $p): SIGTERM exit $rc"
done
for p in $AGGS; do kill $p; wait $p 2>/dev/null; done

echo "tick_kxeth15m: $(n tick_kxeth15m) ticks, event_kxeth15m: $(n event_kxeth15m) rows; tick: $(n tick), event: $(n event)"
# ETH: its own series, aggregator and prices only; every second between the first and the last once
[ "$(pgq "select count(*) from tick_kxeth15m where rec->>'series' <> 'KXETH15M' or src <> 'aggregator-kxeth15m'
          or brti > 10000 or markets::text like '%KXBTC15M%'")" = 0 ] ||
    fail "tick_kxeth15m: rows not KXETH15M's: $(pgq "select src, brti, rec->>'series' from tick_kxeth15m limit 3")"
[ "$(pgq "select count(*) from tick_kxeth15m where brti = 3010.27 and coinbase = 3010.25 and kraken = 3010.35")" -ge 5 ] ||
    fail "tick_kxeth15m: not the ETH prices: $(pgq "select brti, coinbase, kraken from tick_kxeth15m limit 3")"
set -- $(pgq "select (extract(epoch from max(ts)) - extract(epoch from min(ts)) + 1 - count(distinct ts))::bigint,
                     count(*) - count(distinct ts) from tick_kxeth15m" | tr '|' ' ')
echo "tick_kxeth15m across the kill: $1 seconds missing, $2 written twice"
[ "$1" = 0 ] && [ "$2" = 0 ] || fail "tick_kxeth15m: $1 seconds missing, $2 written twice"
[ "$(pgq "select count(*) from event_kxeth15m where src not in ('aggregator-kxeth15m', 'sink-postgres-kxeth15m')")" = 0 ] ||
    fail "event_kxeth15m holds another series' rows: $(pgq "select distinct src from event_kxeth15m")"
# BTC: columns and the old row unchanged, only KXBTC15M's ticks and rows added
[ "$(cols tick)" = "$COLS0" ] || fail "tick's columns changed: $(cols tick)"
[ "$(pgq "select md5(t::text) from tick t where epoch = 'old'")" = "$OLD0" ] || fail "tick's old row changed"
[ "$(pgq "select count(*) from tick where epoch <> 'old'")" -ge 5 ] || fail "no BTC ticks in tick"
[ "$(pgq "select count(*) from tick where rec->>'series' <> 'KXBTC15M' or src <> 'aggregator'
          or brti between 1 and 10000 or markets::text like '%KXETH15M%'")" = 0 ] ||
    fail "tick holds rows not KXBTC15M's: $(pgq "select src, brti, rec->>'series' from tick where src <> 'aggregator' limit 3")"
[ "$(pgq "select count(*) from tick where brti = 97033.8 and coinbase = 97034.5")" -ge 5 ] ||
    fail "tick: not the BTC prices: $(pgq "select brti, coinbase from tick limit 3")"
[ "$(pgq "select count(*) from event where src like '%kxeth15m%'")" = 0 ] || fail "event holds ETH rows"
[ "$(pgq "select string_agg(tablename, ' ' order by tablename) from pg_tables where schemaname = 'public'")" = \
  "event event_kxeth15m tick tick_kxeth15m" ] || fail "tables: $(pgq "select string_agg(tablename, ' ') from pg_tables where schemaname = 'public'")"

# the day's coverage, each series from its own tables (a second database, a shifted clock)
pgq "create database cov" >/dev/null || fail "create database"
DSN2=${PGDSN%/postgres}/cov
clock_at "2026-11-28 23:59:40"
bg cbtc $AT "$BIN/sink-postgres" --dsn "$DSN2" --batch-s 0.05 --catchup-timeout 0
bg ceth $AT "$BIN/sink-postgres" --series KXETH15M --dsn "$DSN2" --batch-s 0.05 --catchup-timeout 0
wait_for 10 grep -q 'tables ready' "$T/cbtc.log" && wait_for 10 grep -q 'tables ready' "$T/ceth.log" ||
    fail "coverage sinks did not connect"
# BTC: 25 ticks from 23:59:50, the 3rd skipped (9 seconds of the 28th); ETH: 14 from 23:59:54 (6)
bg gbtc $AT "$BIN/tickgen" --name aggregator --start 2026-11-28T23:59:50Z --count 25 --interval-ms 20 \
    --skip 3 --delay-ms 1500
bg geth $AT "$BIN/tickgen" --name aggregator-kxeth15m --start 2026-11-28T23:59:54Z --count 14 \
    --interval-ms 20 --delay-ms 1500
cov() { psql -X -A -t -q -d "$DSN2" -c "select rec->>'date', rec->>'covered', rec->>'gap_seconds', rec->>'ticks', rec->>'by' from $1 where topic = 'coverage'"; }
wait_for 15 sh -c "[ -n \"\$(psql -X -A -t -q -d '$DSN2' -c \"select 1 from event_kxeth15m where topic = 'coverage'\")\" ] &&
                   [ -n \"\$(psql -X -A -t -q -d '$DSN2' -c \"select 1 from event where topic = 'coverage'\")\" ]" ||
    fail "no coverage rows: event: $(cov event); event_kxeth15m: $(cov event_kxeth15m)"
echo "coverage: event: $(cov event); event_kxeth15m: $(cov event_kxeth15m)"
[ "$(cov event)" = "2026-11-28|9|1|9|sink-postgres" ] || fail "BTC coverage: $(cov event)"
[ "$(cov event_kxeth15m)" = "2026-11-28|6|0|6|sink-postgres-kxeth15m" ] || fail "ETH coverage: $(cov event_kxeth15m)"
echo ok
