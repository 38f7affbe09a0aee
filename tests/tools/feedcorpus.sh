#!/bin/sh
# feedcorpus.sh: capture a venue's market-data stream from `mockx --world --rate max`
# into a JSONL corpus (one websocket message a line, the format of the fixtures and
# of bin/feedreplay / bin/feedbench), using the independent Python client
# tests/mockx/wsclient.py and the feeds' own subscribe messages.
# Usage: tests/tools/feedcorpus.sh VENUE N OUT.jsonl [BIN] [SEED]
#   VENUE coinbase|kraken|bitstamp; N messages (first ones: acks and the snapshot).
set -eu
[ $# -ge 3 ] || { echo "usage: $0 coinbase|kraken|bitstamp N OUT.jsonl [BIN] [SEED]" >&2; exit 64; }
v=$1 n=$2 out=$3 bin=${4:-bin} seed=${5:-1}
root=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d /tmp/feedcorpus.XXXXXX)
trap 'kill $mpid 2>/dev/null; wait $mpid 2>/dev/null; rm -rf "$t"' EXIT INT TERM
TICKBUS_BUS=$t "$bin/mockx" --tls-dir "$t/tls" --serve "$v=127.0.0.1:0" --world --rate max \
    --seed "$seed" >"$t/mockx.out" 2>"$t/mockx.err" &
mpid=$!
i=0
until grep -q "^$v=" "$t/mockx.out" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 150 ] || { cat "$t/mockx.err" >&2; exit 1; }; sleep 0.1
done
port=$(sed -n "s/^$v=//p" "$t/mockx.out")
case $v in
coinbase) path=/; set -- \
    --send '{"type":"subscribe","channel":"heartbeats"}' \
    --send '{"type":"subscribe","product_ids":["BTC-USD"],"channel":"level2"}' \
    --send '{"type":"subscribe","product_ids":["BTC-USD"],"channel":"market_trades"}' \
    --send '{"type":"subscribe","product_ids":["BTC-USD"],"channel":"ticker"}' ;;
kraken) path=/v2; set -- \
    --send '{"method":"subscribe","params":{"channel":"book","symbol":["BTC/USD"],"depth":100,"snapshot":true},"req_id":1}' \
    --send '{"method":"subscribe","params":{"channel":"trade","symbol":["BTC/USD"],"snapshot":false},"req_id":2}' \
    --send '{"method":"subscribe","params":{"channel":"ticker","symbol":["BTC/USD"],"event_trigger":"bbo","snapshot":true},"req_id":3}' ;;
bitstamp) path=/; set -- \
    --send '{"event":"bts:subscribe","data":{"channel":"order_book_btcusd"}}' \
    --send '{"event":"bts:subscribe","data":{"channel":"live_trades_btcusd"}}' ;;
*) echo "unknown venue $v" >&2; exit 64 ;;
esac
python3 "$root/tests/mockx/wsclient.py" --port "$port" --ca "$t/tls/ca.pem" --path "$path" \
    --count "$n" --seconds 120 "$@" |
    python3 -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l)
    if r["op"] == "text": sys.stdout.write(r["data"].replace("\n", " ") + "\n")' >"$out"
echo "feedcorpus: $v: $(wc -l <"$out") messages in $out" >&2
