#!/bin/sh
# run.sh TARGET...: run each libFuzzer target for $FUZZ_SECONDS, seeded from
# tests/fuzz/seeds/<target>/ (committed) and tests/fixtures (read-only), with a
# scratch corpus in build/fuzz/corpus/<target>. Fails on the first crash.
secs=${FUZZ_SECONDS:-20}
rc=0; pass=0; failn=0
for t in "$@"; do
    name=$(basename "$t")
    corpus=build/fuzz/corpus/$name
    mkdir -p "$corpus"
    seeds=""
    [ -d "tests/fuzz/seeds/$name" ] && seeds="tests/fuzz/seeds/$name"
    dict=""
    [ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
    if "$t" -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 $dict \
        "$corpus" $seeds >"build/fuzz/$name.log" 2>&1; then
        execs=$(grep -o "Done [0-9]* runs" "build/fuzz/$name.log" | grep -o "[0-9]*")
        [ -n "$execs" ] || execs=$(grep -o '#[0-9]*' "build/fuzz/$name.log" | tail -1 | tr -d '#')
        echo "fuzz $name: ok (${secs}s, ${execs:-?} runs)"
        pass=$((pass + 1))
    else
        echo "fuzz $name: FAILED (see build/fuzz/$name.log)"; tail -n 30 "build/fuzz/$name.log"
        rc=1; failn=$((failn + 1))
    fi
done
echo "fuzz: $pass passed, $failn failed"
exit $rc
