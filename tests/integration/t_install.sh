# t_install: `make install` installs the product's programs and nothing of the
# test world (mockx, tests/tools): read from make's own plan (make -n), so
# nothing is built or installed here.
. tests/integration/lib.sh
make -s -n install DESTDIR="$T/inst" PREFIX=/usr >"$T/plan" 2>&1 || fail "make -n install: $(tail -n 3 "$T/plan")"
line=$(grep -A2 'install -m 0755' "$T/plan" | tr '\n' ' ')
[ -n "$line" ] || fail "no install line in make's plan"
for p in feed-coinbase feed-kraken feed-bitstamp feed-gemini feed-cryptocom feed-kalshi aggregator \
    sink-jsonl sink-postgres \
    watchdog tickbus-freshness tickbus tickbus-metrics tap replay tickbus-plot; do
    echo "$line" | grep -q "/$p " || fail "$p not installed"
done
for p in mockx feedsim feedreplay tickgen testpub hbfake metricspub selftest; do
    echo "$line" | grep -q "/$p " && fail "test program $p installed"
done
echo ok
