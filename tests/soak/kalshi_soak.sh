#!/bin/sh
# kalshi_soak.sh DIR [SECONDS]: the "done means" run of feed-kalshi (issue 5),
# not part of make test: mockx --world --window-s 20 (Kalshi only), feed-kalshi,
# the aggregator and a tap recording every bus message, for SECONDS (600), all
# in DIR (private bus). Then tests/soak/kalshi_soak.py DIR checks the record and
# prints the numbers. BIN (default bin) picks the build; FAULTS="KIND@S ..."
# adds mockx --fault kalshi:KIND@S (gap, close, stall, garbage).
set -u
DIR=${1:?usage: kalshi_soak.sh DIR [SECONDS]}
DUR=${2:-600}
BIN=${BIN:-bin}
ROOT=$(pwd)
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
mkdir -p "$DIR/bus" && chmod 700 "$DIR/bus"
cp tests/fixtures/kalshi/test-key.pem "$DIR/key.pem" && chmod 600 "$DIR/key.pem"
cd "$DIR" || exit 1
export TICKBUS_BUS="$DIR/bus"
FA=""
for f in ${FAULTS:-}; do FA="$FA --fault kalshi:$f"; done
# shellcheck disable=SC2086
"$BIN/mockx" --tls-dir tls --serve kalshi=127.0.0.1:0 --world --window-s 20 $FA \
    --kalshi-pubkey "$ROOT/tests/fixtures/kalshi/test-key.pub.pem" --log mx.jsonl \
    >mockx.out 2>mockx.log &
MX=$!
i=0
while ! grep -qs '^kalshi=' mockx.out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
P=$(sed -n 's/^kalshi=//p' mockx.out)
[ -n "$P" ] || { echo "mockx did not start" >&2; kill $MX; exit 1; }
"$BIN/tap" >tap.out 2>tap.log &
TAP=$!
"$BIN/aggregator" >agg.out 2>agg.log &
AGG=$!
sleep 0.5
date -u +%s >start
"$BIN/feed-kalshi" --ws-url "wss://127.0.0.1:$P/trade-api/ws/v2" \
    --rest-url "https://127.0.0.1:$P/trade-api/v2" --ca-file tls/ca.pem \
    --key-id test-key --key-file key.pem >feed.out 2>feed.log &
FEED=$!
sleep "$DUR"
date -u +%s >end
kill $FEED; sleep 1; kill $AGG $TAP; sleep 0.5; kill $MX
wait
cd "$ROOT" && exec /usr/bin/python3 tests/soak/kalshi_soak.py "$DIR"
