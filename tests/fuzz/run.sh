#!/bin/sh
# run.sh TARGET...: run each libFuzzer target for $FUZZ_SECONDS, seeded from
# tests/fuzz/seeds/<target>/ (committed) and tests/fixtures (read-only), with a
# scratch corpus in build/fuzz/corpus/<target>, the protocol's dictionary
# tests/fuzz/<target>.dict and inputs up to the 1 MiB frame limit.
# A target fails on a non-zero exit AND on anything libFuzzer or a sanitizer
# reported in its log (a runtime error, an ERROR: line, a crash-/leak-/timeout-/
# oom-/slow-unit- artifact), so a report that did not stop the run still fails.
secs=${FUZZ_SECONDS:-20}
maxlen=${FUZZ_MAX_LEN:-1048576}
rc=0; pass=0; failn=0
for t in "$@"; do
    name=$(basename "$t")
    corpus=build/fuzz/corpus/$name
    art=build/fuzz/artifacts/$name/
    log=build/fuzz/$name.log
    mkdir -p "$corpus" "$art"
    rm -f "$art"crash-* "$art"leak-* "$art"timeout-* "$art"oom-* "$art"slow-unit-*
    seeds=""
    [ -d "tests/fuzz/seeds/$name" ] && seeds="tests/fuzz/seeds/$name"
    dict=""
    [ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
    "$t" -max_total_time="$secs" -max_len="$maxlen" -timeout=10 -rss_limit_mb=2048 $dict \
        -artifact_prefix="$art" "$corpus" $seeds >"$log" 2>&1
    code=$?
    why=""
    [ $code -eq 0 ] || why="exit $code"
    grep -q "runtime error" "$log" && why="$why${why:+, }runtime error"
    grep -q "ERROR: " "$log" && why="$why${why:+, }ERROR: line"
    arts=$(ls "$art" 2>/dev/null | grep -E '^(crash|leak|timeout|oom|slow-unit)-' | head -3)
    [ -n "$arts" ] && why="$why${why:+, }artifact $(echo $arts)"
    grep -Eq "Test unit written to .*(crash|leak|timeout|oom)-" "$log" && why="$why${why:+, }unit written"
    if [ -z "$why" ]; then
        execs=$(grep -o "Done [0-9]* runs" "$log" | grep -o "[0-9]*")
        [ -n "$execs" ] || execs=$(grep -o '#[0-9]*' "$log" | tail -1 | tr -d '#')
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
        echo "fuzz $name: ok (${secs}s, ${execs:-?} runs, cov ${cov:-?})"
        pass=$((pass + 1))
    else
        echo "fuzz $name: FAILED ($why; see $log, artifacts in $art)"
        grep -m 5 -E "runtime error|ERROR: |SUMMARY|Test unit written" "$log"
        tail -n 20 "$log"
        rc=1; failn=$((failn + 1))
    fi
done
echo "fuzz: $pass passed, $failn failed"
exit $rc
