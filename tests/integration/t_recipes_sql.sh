# Every `sql` recipe in docs/ANALYSIS.md runs on a private PostgreSQL (pg.sh)
# whose tables were created by sink-postgres itself and loaded with a
# generated day using the sink's column mapping (sink/pgsink.c s_ins_batch), and
# prints what its expect: comments say.
. tests/integration/lib.sh
. tests/integration/pg.sh
/usr/bin/python3 tests/tools/gen_day.py --date 2026-11-28 --seconds 7200 "$T/data" >/dev/null || fail "gen_day"
bg pgsink "$BIN/sink-postgres" --dsn "$PGDSN" -v
wait_for 15 grep -q 'tables ready' "$T/pgsink.log" || fail "sink-postgres did not create its tables"
kill "$LAST"
psql -X -q -v ON_ERROR_STOP=1 -d "$PGDSN" >"$T/load.log" 2>&1 <<SQL || fail "load: $(cat "$T/load.log")"
CREATE TEMP TABLE raw (line text);
\copy raw FROM '$T/data/kxbtc15m-2026-11-28.jsonl' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
INSERT INTO tick (ts, type, brti, coinbase, kraken, bitstamp, markets, src, epoch, seq, rec)
  SELECT (r->>'ts')::timestamptz, coalesce(r->>'type', 'tick'), (r->>'brti')::numeric,
         (r->>'coinbase')::numeric, (r->>'kraken')::numeric, (r->>'bitstamp')::numeric,
         r->'markets', r->>'src', r->>'epoch', (r->>'seq')::bigint, r
  FROM (SELECT line::jsonb AS r FROM raw) s WHERE r->>'type' = 'tick' ON CONFLICT DO NOTHING;
INSERT INTO event (ts, topic, type, src, epoch, seq, rec)
  SELECT (r->>'ts')::timestamptz, 'event.' || (r->>'type'), r->>'type', r->>'src', r->>'epoch',
         (r->>'seq')::bigint, r
  FROM (SELECT line::jsonb AS r FROM raw) s
  WHERE r->>'type' NOT IN ('tick', 'coverage') ON CONFLICT DO NOTHING;
SQL
[ "$(pgq "select count(*) from tick")" = 7155 ] || fail "loaded $(pgq "select count(*) from tick") ticks"
PGDSN=$PGDSN /usr/bin/python3 tests/integration/recipes.py docs/ANALYSIS.md sql >"$T/sql.out" 2>&1 ||
    fail "sql recipes: $(cat "$T/sql.out")"
n=$(grep -c ' ok$' "$T/sql.out")
[ "$n" -ge 6 ] || fail "only $n sql recipes ran"
echo "ok: $(tail -n 1 "$T/sql.out")"
