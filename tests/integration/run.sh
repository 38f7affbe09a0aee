#!/bin/sh
# run.sh [PATTERN]: run every tests/integration/t_*.sh (or those matching
# PATTERN) with BIN set, each with a time limit; print one line per test and
# the closing "N passed, N failed" line. With SAN_SKIP=1 (make test-san) a test
# carrying a line "# san: skip: REASON" is not run again under the sanitizers
# (it runs none of our C code the other tests do not already run there).
#
# Tests run JOBS at a time (default 3: most of a test's time is waiting for
# timers, and each test has its own directory, bus, ports and PostgreSQL
# cluster). A test carrying a line "# serial: REASON" runs alone, before the
# others (systemd in a private namespace, the whole launcher, timing bounds
# that a second busy test could stretch). The longest tests start first: the
# durations of the last run are kept in $TIMES (per machine, a hint only).
BIN=${BIN:-bin}
export BIN
[ -x "$BIN/tap" ] || { echo "integration: $BIN/tap not built"; exit 1; }
JOBS=${JOBS:-3}
TIMES=${TIMES:-/tmp/tickbus-it-times}

# one TEST RESULTDIR: run one test, write "ok|FAIL SECONDS" to RESULTDIR/NAME.res
# and print its result line (one write: lines of tests running side by side
# do not mix).
if [ "${ONE:-}" = 1 ]; then
    t=$1; n=$(basename "$t")
    start=$(date +%s)
    if timeout "${TEST_TIMEOUT:-180}" sh "$t" >"/tmp/tickbus-$n.out" 2>&1; then r=ok; else r=FAIL; fi
    s=$(( $(date +%s) - start ))
    echo "$r $s" >"$2/$n.res"
    printf '%-40s %s (%ss)\n' "$n" "$r" "$s"
    exit 0
fi
R=$(mktemp -d /tmp/tickbus-run-XXXXXX)
trap 'rm -rf "$R"' EXIT

skipped=0; serial=""; par=""
for t in tests/integration/t_*${1:-}*.sh; do
    [ -f "$t" ] || continue
    why=$(sed -n 's/^# san: skip: //p' "$t" | head -n 1)
    if [ "${SAN_SKIP:-0}" = 1 ] && [ -n "$why" ]; then
        printf '%-40s %s\n' "$(basename "$t")" "skip under the sanitizers: $why"
        skipped=$((skipped + 1))
        continue
    fi
    if grep -q '^# serial: ' "$t"; then serial="$serial $t"; else par="$par $t"; fi
done

for t in $serial; do ONE=1 sh "$0" "$t" "$R"; done
# the parallel ones, longest first by the last run's durations (unknown: 60 s)
for t in $par; do
    s=$(sed -n "s|^$(basename "$t") ||p" "$TIMES" 2>/dev/null | head -n 1)
    echo "${s:-60} $t"
done | sort -rn | cut -d' ' -f2 | ONE=1 xargs -r -P "$JOBS" -I{} sh "$0" {} "$R"

pass=0; failn=0; failed=""
for f in "$R"/*.res; do
    [ -f "$f" ] || continue
    n=$(basename "$f" .res)
    read -r r s <"$f"
    if [ "$r" = ok ]; then pass=$((pass + 1)); else
        failn=$((failn + 1)); failed="$failed tests/integration/$n"
        echo "--- $n failed:"
        # the reason first: the logs' tails below can push it out of the last 40 lines
        grep -m 1 '^FAIL:' "/tmp/tickbus-$n.out" | sed 's/^/    /'
        sed 's/^/    /' "/tmp/tickbus-$n.out" | tail -n 40
    fi
    # keep this run's duration for the next run's order
    { grep -v "^$n " "$TIMES" 2>/dev/null; echo "$n $s"; } >"$TIMES.new" && mv "$TIMES.new" "$TIMES"
done
echo "integration: $pass passed, $failn failed${SAN_SKIP:+, $skipped skipped}"
[ -z "$failed" ] || echo "failed:$failed"
[ "$failn" = 0 ]
