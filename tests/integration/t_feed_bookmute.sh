# A book channel that goes mute while trades keep flowing is still a silent
# book: the trades prove the path (they count as progress and answer for a
# probe) but not the book's freshness. mockx (script mode) plays the Kraken
# session, then only trade frames for 9 s: with --stale-after 3 (no peers,
# so the data timer is what acts), the feed resubscribes the book while the
# trades go on. Before, every trade re-armed the data timer: no resync.
. tests/integration/lib.sh
. tests/integration/feedlib.sh
S="$FX/kraken_v2/btcusd_session.jsonl"
TR=$(grep -m 1 '"channel":"trade","type":"update"' "$S")
{ cat "$S"; i=0; while [ $i -lt 30 ]; do echo '{"mockx":"sleep","ms":300}'; echo "$TR"; i=$((i + 1)); done
  echo '{"mockx":"mute"}'; } >"$T/tradesonly.jsonl"
mockx_start --serve kraken=127.0.0.1:0 --script kraken="$T/tradesonly.jsonl" --script kraken="$S"
tap_start
feed_start kraken --stale-after 3 --peers none --backoff-min 0.2 --backoff-max 1
wait_for 10 seen '^quote\.kraken\.' || fail "no quote"
wait_for 10 seen '^event\.resync .*"venue":"kraken","reason":"stale"' ||
    fail "the silent book was not resubscribed while trades flowed"
# the resubscribe came while the trades were still flowing (they go on for 9 s, one every
# 300 ms: the next one may still be on its way when the resync is seen, so wait for it)
ntr() { awk '/^event\.resync .*"reason":"stale"/ {s=1; next} s && /^trade\.kraken\./ {n++} END {print n + 0}' "$T/tap.out"; }
trade_after() { [ "$(ntr)" -ge 1 ]; }
wait_for 3 trade_after ||
    fail "no trade after the resync: the trades had stopped (the test proves nothing)"
n=$(ntr)
echo "book resubscribed with trades still flowing ($n trades after it)"
echo ok
