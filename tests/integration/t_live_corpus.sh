# Frames captured from the real venues and published in public repositories
# (tests/fixtures/live/README.md: provenance of each file) replayed through the
# real parsers (feedreplay): zero bad messages, a valid book with the captured
# touch, trades with the taker's side, and every checksum a capture carries
# matching (the Kraken string-number session: all 23; Kraken's documented checksum example); Kalshi frames through
# kalshireplay (0 bad frames, books not crossed).
. tests/integration/lib.sh
L=tests/fixtures/live
check() { # venue file want-stats-regex want-line...
    v=$1 f=$2 st=$3; shift 3
    "$BIN/feedreplay" $v "$L/$f" 10 >"$T/$f.out" 2>"$T/$f.err" || fail "$f: feedreplay failed"
    grep -Eq "^stats $st\$" "$T/$f.out" || fail "$f: stats '$(tail -1 "$T/$f.out")' not '$st'"
    for w in "$@"; do grep -qF -- "$w" "$T/$f.out" || fail "$f: no line with $w"; done
    ! grep -q '^event\.gap' "$T/$f.out" || fail "$f: $(grep '^event\.gap' "$T/$f.out" | head -1)"
}
# Coinbase Advanced Trade 2026-09-30: the touch 83277.25 / 83277.26 of the snapshot
# survives the updates; the ETH-USD frames and the market_trades snapshots (history) are
# not published; trade 1100253488 comes with "side":"SELL" at 83277.26, the best offer,
# and the next update shrinks that offer by exactly its size (0.01110256 - 0.00058346 =
# 0.0105191): a buyer lifted it, so we publish the taker's side, buy
check coinbase coinbase_advanced_20260930.jsonl 'data=21 ctrl=3 ignored=0 bad=0 valid=1' \
    '{"bid":83277.25,"bid_size":0.00715626,"ask":83277.26,"ask_size":0.01110256}' \
    '{"px":83277.26,"sz":0.00058346,"side":"buy","id":"1100253488"}' \
    '{"bid":83277.25,"bid_size":0.00735010,"ask":83277.26,"ask_size":0.01051910}'
# Bitstamp 2021/2022: a trade of type 0 (buy: the taker bought), amount "1E-8";
# order_book with cents kept as sent; diff_order_book ignored (we use order_book)
check bitstamp bitstamp_btcusd_crypto_msg_parser.jsonl 'data=2 ctrl=0 ignored=1 bad=0 valid=1' \
    '{"px":57748.80,"sz":0.00000001,"side":"buy","id":"158457579"}' \
    '{"bid":31524.50,"bid_size":0.36400000,"ask":31535.44,"ask_size":0.31708837}'
# Kraken v2 with price/qty as JSON strings (the docs' form): same output as the
# number form, every checksum matching
"$BIN/feedreplay" kraken tests/fixtures/exchanges/kraken_v2/string_numbers.jsonl 10 >"$T/ks.out" 2>/dev/null
cmp -s "$T/ks.out" tests/fixtures/exchanges/kraken.golden || fail "kraken strings: differs from kraken.golden"
grep -q '^stats .* bad=0 valid=1 checksum_ok=23$' "$T/ks.out" || fail "kraken strings: $(tail -1 "$T/ks.out")"
# Kraken's documented checksum example (BTC/USD, 10 levels a side, CRC32 3310070434): ours
# matches with price/qty as numbers and as strings; one digit off is a gap
check kraken kraken_docs_checksum_v2.jsonl 'data=2 ctrl=0 ignored=0 bad=0 valid=1 checksum_ok=2' \
    '"asks":[[45285.2,0.00100000],'
sed 's/3310070434/3310070435/' "$L/kraken_docs_checksum_v2.jsonl" >"$T/kbad.jsonl"
"$BIN/feedreplay" kraken "$T/kbad.jsonl" 10 2>/dev/null | grep -q '^event.gap .*"reason":"checksum"' ||
    fail "kraken: a wrong checksum was not a gap"
# Gemini market data v2 (cryptofeed's 2021 capture): BTCGBP, the BTC book in that capture (no
# BTCUSD there), replayed with its symbol renamed BTCUSD (feed-gemini takes BTCUSD only): the
# full book, 39 updates, 3 heartbeats, other symbols ignored; the touch after the last update,
# computed independently from the frames: 24123.11 (0.04) / 24155.20 (0.04)
sed 's/"symbol":"BTCGBP"/"symbol":"BTCUSD"/' "$L/gemini_v2_btcgbp_cryptofeed.jsonl" >"$T/gemini_btcusd.jsonl"
"$BIN/feedreplay" gemini "$T/gemini_btcusd.jsonl" 10 >"$T/gemini.out" 2>/dev/null || fail "gemini: feedreplay failed"
grep -q '^stats data=40 ctrl=3 ignored=4 bad=0 valid=1$' "$T/gemini.out" || fail "gemini: $(tail -1 "$T/gemini.out")"
[ "$(grep '^quote' "$T/gemini.out" | tail -1)" = 'quote.gemini.BTC-USD -1 {"bid":24123.11,"bid_size":0.04000000,"ask":24155.20,"ask_size":0.04000000}' ] ||
    fail "gemini: last quote $(grep '^quote' "$T/gemini.out" | tail -1)"
! grep -q '^event\.gap' "$T/gemini.out" || fail "gemini: a gap"
# Crypto.com Exchange v1, BTC_USD (2026-06): book snapshot (depth 10) with the captured touch,
# a SELL trade published as sell with its string id, the heartbeat and the ticker left alone
check cryptocom cryptocom_btcusd_cryptocogs.jsonl 'data=2 ctrl=2 ignored=2 bad=0 valid=1' \
    '{"bid":63962.64,"bid_size":0.27217,"ask":63962.65,"ask_size":0.23532}' \
    '{"px":63958.47,"sz":0.04333,"side":"sell","id":"1782032437671850129"}'
# Crypto.com perpetual frames (2026-09-22), instrument renamed BTC_USD: the snapshot is read
# (touch 2749.61 / 2749.62), and the delta the source quoted next is not the one after it (its
# pu is not the snapshot's u): a gap and a resync, as the live rule says; error frames logged
f=cryptocom_perp_arbitrage_observatory.jsonl
sed 's/ETHUSD-PERP/BTC_USD/g' "$L/$f" | "$BIN/feedreplay" cryptocom - 10 >"$T/$f.out" 2>/dev/null
grep -q '^stats data=2 ctrl=4 ignored=1 bad=0 valid=0$' "$T/$f.out" || fail "$f: $(tail -1 "$T/$f.out")"
grep -qF '{"bid":2749.61,"bid_size":0.07860,"ask":2749.62,"ask_size":0.20080}' "$T/$f.out" || fail "$f: no snapshot touch"
grep -q '^event.gap .*"reason":"sequence"' "$T/$f.out" || fail "$f: the pu mismatch was not a gap"
# Kalshi demo 2026-08-27 through kalshireplay: 0 bad frames; the book after the
# snapshot and the delta is not crossed, and its derived YES ask (1 - best NO
# bid) is what Kalshi's own ticker frame says: 0.98 for 2500
f=kalshi_demo_20260827.jsonl
"$BIN/kalshireplay" "$L/$f" >"$T/$f.out" 2>"$T/$f.err" || fail "$f: kalshireplay failed"
grep -q '^stats frames=5 data=3 ctrl=2 bad=0 unknown=0 .* foreign_sid=0 ' "$T/$f.out" ||
    fail "$f: $(grep ^stats "$T/$f.out")"
python3 - "$T/$f.out" <<'PY' || fail "$f: book not as captured"
import json, sys
out = open(sys.argv[1]).read().splitlines()
fin = json.loads([l for l in out if l.startswith('final KXGOLDH-26AUG2711-T4615.99 ')][0].split(' ', 2)[2])
tick = json.loads([l for l in out if l.startswith('kalshi.ticker.')][-1].split(' ', 2)[2])
assert fin['valid'] and fin['yes_bid'] < fin['yes_ask'], fin
assert fin['yes_bids'] == [[0.01, 1420]] and fin['no_bids'] == [[0.02, 2500], [0.01, 100]], fin
assert (fin['yes_ask'], fin['yes_ask_size']) == (tick['yes_ask'], tick['yes_ask_size']) == (0.98, 2500)
PY
echo ok
