# The example Prometheus config and alert rules in compose/prometheus/ load,
# and each alert fires on its failure (promtool's rule unit tests).
. tests/integration/lib.sh
command -v promtool >/dev/null || fail "promtool not installed (Debian package prometheus)"
promtool check config compose/prometheus/prometheus.yml >"$T/check.log" 2>&1 || fail "config: $(cat "$T/check.log")"
(cd compose/prometheus && promtool test rules tickbus-alerts.test.yml) >"$T/rules.log" 2>&1 ||
    fail "alert rule tests: $(cat "$T/rules.log")"
echo ok
