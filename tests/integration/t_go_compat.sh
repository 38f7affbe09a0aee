# t_go_compat: the Go collector's readers (sdibella/btc15m-data) run unchanged on our files.
# A short demo pipeline (mockx world -> the four feeds -> aggregator -> sink-jsonl, 20 s Kalshi
# windows so markets open, close and settle) writes the day's JSONL; it is then read (a) by
# tests/compat/gocompat.go, the collector's TickRecord/MarketSnap types under json.Unmarshal on
# every line plus the omitempty/null/order/book rules, built here with Debian's golang-go, and
# (b) by tests/compat/loader_check.py, btcdata/loader.py's load_day flattening and int32 casts
# under pandas plus docs/RECORD.md's rounding rules; sink_check.py too. Any difference fails.
# san: skip: its pipeline is the demo's, which t_launch_heal runs under the sanitizers; what it adds is the Go readers
. tests/integration/lib.sh
command -v go >/dev/null 2>&1 || fail "go missing: apt-get install golang-go (compose/deps.sh)"
GO111MODULE=off GOPROXY=off GOFLAGS= GOCACHE="$T/gocache" \
    go build -o "$T/gocompat" "$ROOT/tests/compat/gocompat.go" 2>"$T/gobuild.log" || fail "go build"
. tests/integration/mockxlib.sh
mx_start --world --window-s 20 --rate 20 --kalshi-pubkey "$PUB" --serve coinbase=127.0.0.1:0 \
    --serve kraken=127.0.0.1:0 --serve bitstamp=127.0.0.1:0 --serve kalshi=127.0.0.1:0
D=$T/data
bg sink "$BIN/sink-jsonl" --dir "$D" --fsync 0.2
SINK=$LAST
bg agg "$BIN/aggregator"
mx_feeds
# two settlements and 40 ticks: markets opening, trading, closing and settled in the file
wait_for 90 sh -c "[ \$(cat '$D'/kxbtc15m-*.jsonl 2>/dev/null | grep -c '\"type\":\"settlement\"') -ge 2 ] &&
    [ \$(cat '$D'/kxbtc15m-*.jsonl | grep -c '\"type\":\"tick\"') -ge 40 ]" ||
    fail "fewer than 2 settlements or 40 ticks in the JSONL"
kill -TERM $SINK; wait $SINK || fail "sink exit code"
F=$(ls "$D"/kxbtc15m-*.jsonl)
"$T/gocompat" $F >"$T/go.out" || { cat "$T/go.out"; fail "the Go collector's types"; }
cat "$T/go.out"
/usr/bin/python3 tests/compat/loader_check.py $F >"$T/pd.out" || { cat "$T/pd.out"; fail "the pandas loader"; }
cat "$T/pd.out"
/usr/bin/python3 tests/integration/sink_check.py "$D" kxbtc15m --min-ticks 40 >"$T/sc.out" ||
    { cat "$T/sc.out"; fail "sink_check"; }
grep -q '"yes_book":\[\[' $F || fail "no Go-form book in the file"
echo ok
