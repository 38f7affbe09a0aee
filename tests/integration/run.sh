#!/bin/sh
# run.sh [PATTERN]: run every tests/integration/t_*.sh (or those matching
# PATTERN) with BIN set, each with a time limit; print one line per test and
# the closing "N passed, N failed" line. With SAN_SKIP=1 (make test-san) a test
# carrying a line "# san: skip: REASON" is not run again under the sanitizers
# (it runs none of our C code the other tests do not already run there).
BIN=${BIN:-bin}
export BIN
[ -x "$BIN/tap" ] || { echo "integration: $BIN/tap not built"; exit 1; }
pass=0; failn=0; failed=""; skipped=0
for t in tests/integration/t_*${1:-}*.sh; do
    [ -f "$t" ] || continue
    why=$(sed -n 's/^# san: skip: //p' "$t" | head -n 1)
    if [ "${SAN_SKIP:-0}" = 1 ] && [ -n "$why" ]; then
        printf '%-40s %s\n' "$(basename "$t")" "skip under the sanitizers: $why"
        skipped=$((skipped + 1))
        continue
    fi
    start=$(date +%s)
    if timeout "${TEST_TIMEOUT:-180}" sh "$t" >"/tmp/tickbus-$(basename "$t").out" 2>&1; then
        pass=$((pass + 1)); r=ok
    else
        failn=$((failn + 1)); r=FAIL; failed="$failed $t"
        # the reason first: the logs' tails below can push it out of the last 40 lines
        grep -m 1 '^FAIL:' "/tmp/tickbus-$(basename "$t").out" | sed 's/^/    /'
        sed 's/^/    /' "/tmp/tickbus-$(basename "$t").out" | tail -n 40
    fi
    printf '%-40s %s (%ss)\n' "$(basename "$t")" "$r" "$(( $(date +%s) - start ))"
done
echo "integration: $pass passed, $failn failed${SAN_SKIP:+, $skipped skipped}"
[ -z "$failed" ] || echo "failed:$failed"
[ "$failn" = 0 ]
