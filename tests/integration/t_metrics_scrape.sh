# tickbus-metrics serves what the bus says (hb detail, ticks, restarts) in a
# format a real Prometheus server scrapes: scraped every 1 s by Debian's
# prometheus on loopback, then read back through its HTTP API. Then the
# publisher stops and its program is reported down.
. tests/integration/lib.sh
command -v prometheus >/dev/null || fail "prometheus not installed (Debian package prometheus)"
mport=$(free_port)
pport=$(free_port)
M="http://127.0.0.1:$mport/metrics"
bg pub "$BIN/metricspub" --name aggregator --ticks --reconnects 7 --rti-bps 1.5 --median-bps -4 \
    --venue-age-ms 2500 --restart-name feed-kraken --restarts 2
PUB=$LAST
bg metrics "$BIN/tickbus-metrics" --listen "127.0.0.1:$mport" --hb-timeout 2
scrape() { curl -sf "$M" >"$T/scrape.txt"; }
has() { scrape && grep -qxF "$1" "$T/scrape.txt"; }
wait_for 20 has 'tickbus_up{program="aggregator"} 1' || fail "aggregator not up: $(cat "$T/scrape.txt")"
wait_for 20 has 'tickbus_restarts_total{program="feed-kraken"} 2' || fail "restarts not counted"
wait_for 10 sh -c "curl -sf $M | grep -q '^tickbus_ticks_total [1-9]'" || fail "no ticks counted"
scrape
for want in 'tickbus_reconnects_total{program="aggregator"} 7' \
            'tickbus_gaps_total{program="aggregator"} 2' \
            'tickbus_resyncs_total{program="aggregator"} 1' \
            'tickbus_hb_field{program="aggregator",field="last_data_age_ms"} 25' \
            'tickbus_venue_data_age_seconds{venue="kraken"} 2.5' \
            'tickbus_venue_ok{venue="coinbase"} 1' \
            'tickbus_venue_ok{venue="gemini"} 1' \
            'tickbus_venue_data_age_seconds{venue="cryptocom"} 0.04' \
            'tickbus_tick_venues_ok 5' \
            'tickbus_brti_src{src="official"} 1' \
            'tickbus_tick_markets 1' \
            'tickbus_events_total{kind="restart"} 2'; do
    grep -qxF "$want" "$T/scrape.txt" || fail "scrape lacks '$want'"
done
grep -Eq '^tickbus_proxy_error_bps\{proxy="rti"\} 1\.(4[0-9]*9|5[0-9]*)$' "$T/scrape.txt" || fail "rti error not ~1.5 bps"
grep -Eq '^tickbus_proxy_error_bps\{proxy="median"\} -(3\.9[0-9]*9|4(\.0[0-9]*)?)$' "$T/scrape.txt" ||
    fail "median error not ~-4 bps"
grep -q '^tickbus_proxy_abs_error_bps_bucket{proxy="median",le="2"} 0$' "$T/scrape.txt" ||
    fail "a 4 bps error landed in the le=2 bucket"
grep -q '^tickbus_progress_rate{program="aggregator"} [0-9]' "$T/scrape.txt" || fail "no progress rate"
grep -q '^tickbus_coverage_ratio_today 0*[.0-9]' "$T/scrape.txt" || fail "no coverage"
grep -q '^tickbus_tick_lag_seconds_count [1-9]' "$T/scrape.txt" || fail "no tick lag histogram"
# the exposition passes Prometheus' own linter
promtool check metrics <"$T/scrape.txt" >"$T/lint.log" 2>&1 || fail "promtool check metrics: $(cat "$T/lint.log")"

# a real Prometheus scrapes it and answers queries about it
cat >"$T/prom.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ['$ROOT/compose/prometheus/tickbus-alerts.yml']
scrape_configs:
  - job_name: tickbus
    static_configs: [{targets: ['127.0.0.1:$mport']}]
YML
bg prom prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/prom" \
    --web.listen-address="127.0.0.1:$pport" --log.level=warn
API="http://127.0.0.1:$pport/api/v1"
q() { curl -sf --get "$API/query" --data-urlencode "query=$1" >"$T/q.json" && jq -e "$2" "$T/q.json"; }
wait_for 40 q 'tickbus_reconnects_total{program="aggregator"}' '.data.result[0].value[1] == "7"' ||
    fail "prometheus did not return the reconnects: $(cat "$T/q.json" 2>/dev/null)"
q 'up{job="tickbus"}' '.data.result[0].value[1] == "1"' || fail "prometheus: target not up"
wait_for 20 q 'increase(tickbus_ticks_total[30s]) > 0' '.data.result | length == 1' ||
    fail "prometheus sees no tick rate: $(cat "$T/q.json")"
q 'tickbus_restarts_total' '[.data.result[] | select(.metric.program == "feed-kraken") | .value[1]] == ["2"]' ||
    fail "prometheus: restarts"
curl -sf "$API/rules" | jq -e '[.data.groups[].rules[].name] | index("TickbusRestartStorm") != null' >/dev/null ||
    fail "alert rules not loaded"

# the aggregator stops beating: reported down by the endpoint and in Prometheus
kill "$PUB"
wait_for 15 has 'tickbus_up{program="aggregator"} 0' || fail "aggregator still up after its hb stopped"
wait_for 20 q 'tickbus_up{program="aggregator"}' '.data.result[0].value[1] == "0"' ||
    fail "prometheus still sees the aggregator up"
echo ok
