#!/bin/sh
# soak.sh [SECONDS] [RATE]: mockx world at RATE msgs/s per venue (default
# 1000) for SECONDS (default 3600) with an independent checking client per
# exchange venue (check_world.py) and mockx's RSS sampled every minute.
# Prints the clients' summaries and the RSS series; exits 1 on any violation.
# Not part of make test (it is an hour long); its result is in docs/MOCKX.md.
secs=${1:-3600}; rate=${2:-1000}
BIN=${BIN:-bin}
T=$(mktemp -d /tmp/tickbus-soak-XXXXXX)
"$BIN/mockx" --tls-dir "$T/tls" --world --rate "$rate" --window-s 60 \
    --serve coinbase=127.0.0.1:0 --serve kraken=127.0.0.1:0 --serve bitstamp=127.0.0.1:0 \
    >"$T/ports" 2>"$T/mockx.log" &
mx=$!
i=0; while [ "$(grep -c = "$T/ports")" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
pids=""
for v in coinbase kraken bitstamp; do
    p=$(sed -n "s/^$v=//p" "$T/ports")
    /usr/bin/python3 tests/mockx/check_world.py "$v" "$p" "$T/tls/ca.pem" "$secs" >"$T/$v.json" 2>"$T/$v.err" &
    pids="$pids $!"
done
t=0
while [ $t -lt "$secs" ]; do
    echo "t=${t}s mockx_rss_kb=$(awk '/VmRSS/{print $2}' /proc/$mx/status)"
    sleep 60; t=$((t + 60))
done
rc=0
for p in $pids; do wait "$p" || rc=1; done
for v in coinbase kraken bitstamp; do echo "$v: $(cat "$T/$v.json") $(tail -n 3 "$T/$v.err")"; done
kill "$mx"; wait "$mx" 2>/dev/null
rm -rf "$T"
exit $rc
