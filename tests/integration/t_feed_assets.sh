# Several assets on one connection (issue 21): each exchange feed against mockx's world with
# SERIES_TICKER="KXBTC15M,KXETH15M,KXSOL15M,KXDOGE15M" subscribes every asset those series
# put on its venue (docs/SERIES.md: SOL not on Bitstamp, DOGE on Coinbase, Gemini and Kraken
# only) on its one connection, and publishes quotes and valid books for each; each asset's
# mid is within 1 % of the median of every venue's mid for that asset (each venue's book
# follows that asset's own latent price in mockx) and the DOGE/SOL prices keep the venue's
# printed decimals. A world `gap` on one asset (Kraken: a wrong checksum on one symbol's
# book; Crypto.com: one book.update of one instrument never sent) resyncs that asset alone
# on the same connection: event.gap and event.resync name the symbol, the other books stay
# valid, no reconnect. Coinbase's sequence_num is one per connection (the live capture
# counts across BTC-USD and ETH-USD), so its gap resyncs every book, each by its own
# unsubscribe + subscribe. An unknown series, or one that uses no asset of the venue, is
# refused with exit 64.
. tests/integration/lib.sh
. tests/integration/feedlib.sh
VENUES=${ASSET_VENUES:-"coinbase kraken bitstamp gemini cryptocom"}
export SERIES_TICKER="KXBTC15M,KXETH15M,KXSOL15M,KXDOGE15M"
want_assets() { # VENUE: the assets the four series put on it (docs/SERIES.md)
    case $1 in coinbase | kraken | gemini) echo "BTC ETH SOL DOGE" ;;
    bitstamp) echo "BTC ETH" ;; cryptocom) echo "BTC ETH SOL" ;; esac
}

# 1. refusals: exit 64 with the library's message, and for a venue no series uses
SERIES_TICKER=KXNOPE15M "$BIN/feed-coinbase" --check >"$T/r1.out" 2>&1; rc=$?
[ $rc = 64 ] && grep -q 'KXNOPE15M' "$T/r1.out" || fail "unknown series: rc=$rc $(cat "$T/r1.out")"
SERIES_TICKER=KXDOGE15M "$BIN/feed-bitstamp" --check >"$T/r2.out" 2>&1; rc=$?
[ $rc = 64 ] && grep -q 'no configured series uses venue bitstamp' "$T/r2.out" ||
    fail "a venue no series uses: rc=$rc $(cat "$T/r2.out")"
"$BIN/feed-kraken" --check --series KXBTC15M,KXDOGE15M -v >"$T/r3.out" 2>&1 || fail "--series: $(cat "$T/r3.out")"
grep -q 'effective config:.*series=.*assets BTC,DOGE' "$T/r3.out" || fail "effective config: $(cat "$T/r3.out")"

# 2. live frames with more than one symbol. The Coinbase capture with BTC-USD and ETH-USD on
# one connection
# (tests/fixtures/live/README.md): carrying both, each product's book from its own snapshot and
# updates; the touch after the last update, computed independently from the frames:
# BTC 83277.25 (0.0073501) / 83277.26 (0.0105191), ETH 2666.08 (3.37668743) / 2666.13 (1.45536579);
# the sequence_num runs 0..23 across both products: no gap
L=tests/fixtures/live/coinbase_advanced_20260930.jsonl
"$BIN/feedreplay" coinbase "$L" 10 BTC,ETH >"$T/cb2.out" 2>"$T/cb2.err" || fail "replay: feedreplay failed"
grep -q '^stats data=21 ctrl=3 ignored=0 bad=0 valid=1$' "$T/cb2.out" || fail "replay: $(tail -1 "$T/cb2.out")"
[ "$(grep '^quote.coinbase.ETH-USD' "$T/cb2.out" | tail -1 | cut -d' ' -f3)" = \
  '{"bid":2666.08,"bid_size":3.37668743,"ask":2666.13,"ask_size":1.45536579}' ] ||
    fail "replay: last ETH quote $(grep '^quote.coinbase.ETH-USD' "$T/cb2.out" | tail -1)"
[ "$(grep '^quote.coinbase.BTC-USD' "$T/cb2.out" | tail -1 | cut -d' ' -f3)" = \
  '{"bid":83277.25,"bid_size":0.00735010,"ask":83277.26,"ask_size":0.01051910}' ] ||
    fail "replay: last BTC quote $(grep '^quote.coinbase.BTC-USD' "$T/cb2.out" | tail -1)"
! grep -q '^event' "$T/cb2.out" || fail "replay: $(grep '^event' "$T/cb2.out" | head -1)"
# BTC alone: the same BTC messages, the ETH frames dropped (counted, not published)
"$BIN/feedreplay" coinbase "$L" 10 >"$T/cb1.out" 2>/dev/null
[ "$(grep -c ETH "$T/cb1.out")" = 0 ] || fail "replay: ETH published when not carried"
[ "$(grep 'BTC-USD' "$T/cb1.out")" = "$(grep 'BTC-USD' "$T/cb2.out")" ] || fail "replay: BTC differs with ETH carried"

# Kraken v2 BTC/USD and ETH/USD book frames (tests/fixtures/live/README.md, the ApiKraken
# examples): both books from their snapshots, all 3 checksums matching, ETH/USD's checksum
# printed at the 2 price decimals read from its text; one digit off in ETH's update: a gap of
# ETH-USD alone
L=tests/fixtures/live/kraken_v2_btcusd_ethusd_apikraken.jsonl
"$BIN/feedreplay" kraken "$L" 10 BTC,ETH >"$T/kr2.out" 2>/dev/null || fail "kraken replay: feedreplay failed"
grep -q '^stats data=3 ctrl=1 ignored=0 bad=0 valid=1 checksum_ok=3$' "$T/kr2.out" || fail "kraken replay: $(tail -1 "$T/kr2.out")"
grep -qF 'quote.kraken.ETH-USD -1 {"bid":1797.24,"bid_size":0.43393711,"ask":1797.25,"ask_size":1.40355852}' "$T/kr2.out" ||
    fail "kraken replay: no ETH quote"
grep -qF '"asks":[[1797.25,1.40355852],[1797.28,10.82400000],[1797.30,139.09783403],' "$T/kr2.out" ||
    fail "kraken replay: ETH's update (1797.29 deleted) not applied"
sed 's/3329440863/3329440864/' "$L" >"$T/kr2bad.jsonl"
"$BIN/feedreplay" kraken "$T/kr2bad.jsonl" 10 BTC,ETH >"$T/kr2bad.out" 2>/dev/null
[ "$(grep '^event.gap' "$T/kr2bad.out")" = 'event.gap -1 {"venue":"kraken","reason":"checksum","symbol":"ETH-USD"}' ] ||
    fail "kraken replay: a wrong ETH checksum: $(grep '^event' "$T/kr2bad.out" | head -2)"
grep -q '^book.kraken.BTC-USD .*"valid":false' "$T/kr2bad.out" && fail "kraken replay: BTC invalid on ETH's gap"
# Gemini v2 (cryptofeed's 2021 capture, BTCGBP renamed BTCUSD as in t_live_corpus) carrying BTC
# and FIL: the capture holds FILUSD updates without FIL's book before them, so FIL-USD alone has
# a no_snapshot gap; BTC's book ends valid with the touch t_live_corpus checks; FIL trades keep
# the decimals the venue printed (58.4998, 15.4053)
sed 's/"symbol":"BTCGBP"/"symbol":"BTCUSD"/' tests/fixtures/live/gemini_v2_btcgbp_cryptofeed.jsonl >"$T/gm.jsonl"
"$BIN/feedreplay" gemini "$T/gm.jsonl" 10 BTC,FIL >"$T/gm2.out" 2>/dev/null || fail "gemini replay: feedreplay failed"
[ "$(grep -c '^event.gap' "$T/gm2.out")" = 1 ] && grep -q '^event.gap -1 {"venue":"gemini","reason":"no_snapshot","symbol":"FIL-USD"}' "$T/gm2.out" ||
    fail "gemini replay: gaps $(grep '^event.gap' "$T/gm2.out")"
[ "$(grep '^quote.gemini.BTC-USD' "$T/gm2.out" | tail -1)" = 'quote.gemini.BTC-USD -1 {"bid":24123.11,"bid_size":0.04000000,"ask":24155.20,"ask_size":0.04000000}' ] ||
    fail "gemini replay: last BTC quote $(grep '^quote.gemini.BTC-USD' "$T/gm2.out" | tail -1)"
[ "$(grep '^book.gemini.BTC-USD' "$T/gm2.out" | tail -1 | grep -c '"valid":true')" = 1 ] || fail "gemini replay: BTC book not valid"
grep -qF 'trade.gemini.FIL-USD 1624493681030000000 {"px":58.4998,"sz":15.4053,"side":"buy","id":"45465842999"}' "$T/gm2.out" ||
    fail "gemini replay: FIL trade $(grep '^trade.gemini.FIL' "$T/gm2.out" | head -1)"

# 3. the world: every venue, every asset
serve=""
for v in $VENUES; do serve="$serve --serve $v=127.0.0.1:0"; done
faults=""
case " $VENUES " in *" kraken "*) faults="$faults --fault kraken:badsum@8" ;; esac
case " $VENUES " in *" cryptocom "*) faults="$faults --fault cryptocom:gap@8" ;; esac
case " $VENUES " in *" coinbase "*) faults="$faults --fault coinbase:gap@8" ;; esac
case " $VENUES " in *" gemini "*) faults="$faults --fault gemini:mute@9" ;; esac
case " $VENUES " in *" bitstamp "*) faults="$faults --fault bitstamp:stall@9" ;; esac
# shellcheck disable=SC2086
mockx_start $serve --world --rate 200 $faults
tap_start
for v in $VENUES; do
    case $v in # the mute seen by the data timer, the stall by the dead timer, both soon
    gemini) feed_start "$v" --depth 10 --peers none --stale-after 2 ;;
    bitstamp) feed_start "$v" --depth 10 --peers none --ping-interval 1 --dead-after 3 --probe-timeout 0 \
        --backoff-min 0.2 --backoff-max 1 ;;
    *) feed_start "$v" --depth 10 --peers none ;;
    esac
done
for v in $VENUES; do
    for a in $(want_assets $v); do
        wait_for 15 seen "^book\.$v\.$a-USD .*\"valid\":true" || fail "$v: no valid $a-USD book"
        # (a quote goes out on a change of the touch: the first may precede the tap's connect)
        wait_for 15 seen "^quote\.$v\.$a-USD " || fail "$v: no $a-USD quote"
    done
    for a in BTC ETH SOL DOGE; do
        case " $(want_assets $v) " in *" $a "*) ;; *)
            ! seen "^(quote|book)\.$v\.$a-USD " || fail "$v: published $a-USD, which no series puts there" ;;
        esac
    done
done
# mids within 1 % of the median of the venues' mids (the last quote of each venue and asset)
python3 - "$T/tap.out" <<'PY' || fail "mids: see above"
import json, re, sys, statistics
last = {}
for line in open(sys.argv[1]):
    topic, _, body = line.rstrip("\n").partition(" ")
    m = re.match(r"^quote\.(\w+)\.(\w+)-USD$", topic)
    if not m: continue
    q = json.loads(body)
    if q["bid"] is None or q["ask"] is None: continue
    last[m.groups()] = (float(q["bid"]) + float(q["ask"])) / 2
    # the venue's printed decimals: DOGE prices carry more than BTC's
    if m.group(2) == "DOGE":
        px = re.search(r'"bid":([0-9.]+)', body).group(1)
        assert len(px.split(".")[1]) >= 4, ("DOGE decimals", m.group(1), px)
bad = 0
for a in sorted({k[1] for k in last}):
    mids = {v: x for (v, b), x in last.items() if b == a}
    med = statistics.median(mids.values())
    for v, x in mids.items():
        ok = abs(x / med - 1) < 0.01
        bad += not ok
        print(a, v, round(x, 6), "median", round(med, 6), "ok" if ok else "OFF")
sys.exit(1 if bad else 0)
PY
# 4. a gap on one asset
F="$T/mockx-frames.jsonl"
# one_gap VENUE REASON UNSUB: VENUE's first gap (REASON) names one symbol SYM; that one alone
# was resubscribed (mockx saw the unsubscribe UNSUB, with SYM put in for @), it is valid
# again, no other book of VENUE was published invalid after it, and no reconnect was needed
one_gap() {
    v=$1 reason=$2
    wait_for 15 seen "^event\.gap .*\"venue\":\"$v\",\"reason\":\"$reason\",\"symbol\":\"[A-Z]+-USD\"" ||
        fail "$v: no $reason gap naming a symbol"
    sym=$(grep -E "^event\.gap .*\"venue\":\"$v\"" "$T/tap.out" | head -1 | sed 's/.*"symbol":"\([A-Z]*\)-USD".*/\1/')
    seen "^event\.resync .*\"venue\":\"$v\",\"reason\":\"$reason\",\"symbol\":\"$sym-USD\"" || fail "$v: no resync of $sym"
    [ "$(grep -Ec "^event\.gap .*\"venue\":\"$v\"" "$T/tap.out")" = 1 ] || fail "$v: more than one book gapped"
    grep -qF "$(echo "$3" | sed "s/@/$sym/")" "$F" || fail "$v: $sym alone not unsubscribed"
    wait_for 10 after "^event\.gap .*\"venue\":\"$v\"" "^book\.$v\.$sym-USD .*\"valid\":true" ||
        fail "$v: $sym-USD not valid again"
    for a in $(want_assets $v); do
        [ "$a" = "$sym" ] && continue
        ! after "^event\.gap .*\"venue\":\"$v\"" "^book\.$v\.$a-USD .*\"valid\":false" ||
            fail "$v: $a-USD went invalid on $sym's gap"
    done
    [ "$(hb $v connects)" = 1 ] || fail "$v: the gap needed a reconnect"
}
case " $VENUES " in *" kraken "*)
    one_gap kraken checksum '"json":{"method":"unsubscribe","params":{"channel":"book","symbol":["@/USD"]' ;;
esac
case " $VENUES " in *" cryptocom "*)
    one_gap cryptocom sequence '"method":"unsubscribe","params":{"channels":["book.@_USD.10"]}' ;;
esac
# all_back VENUE WHAT EVENT [UNSUB]: EVENT (a regex) was seen, and after it every asset of
# VENUE has a valid book again; with UNSUB, mockx saw that unsubscribe for each asset alone (@ is
# the asset)
all_back() {
    v=$1 what=$2 ev=$3
    wait_for 15 seen "$ev" || fail "$v: $what not detected"
    for a in $(want_assets $v); do
        wait_for 10 after "$ev" "^book\.$v\.$a-USD .*\"valid\":true" || fail "$v: $a-USD not valid again after the $what"
        [ -z "${4:-}" ] || grep -qF "$(echo "$4" | sed "s/@/$a/")" "$F" || fail "$v: $a not resubscribed alone"
    done
}
case " $VENUES " in *" coinbase "*)
    # one sequence_num per connection: the lost frame may have been any product's
    all_back coinbase gap '^event\.gap .*"venue":"coinbase","reason":"sequence"' \
        '"json":{"type":"unsubscribe","product_ids":["@-USD"],"channel":"level2"}'
    for a in $(want_assets coinbase); do
        seen "^event\.gap .*\"venue\":\"coinbase\",\"reason\":\"sequence\",\"symbol\":\"$a-USD\"" ||
            fail "coinbase: the per-connection gap did not resync $a-USD"
    done
    [ "$(hb coinbase connects)" = 1 ] || fail "coinbase: the gap needed a reconnect" ;;
esac
# the connection's faults with several assets: a Gemini mute (no market data at all) is seen
# by the data timer and heals every book by its own unsubscribe + subscribe on the same
# connection; a Bitstamp stall is seen by the dead timer and the new connection brings every
# book back
case " $VENUES " in *" gemini "*)
    all_back gemini mute '^event\.resync .*"venue":"gemini","reason":"stale"' \
        '"json":{"type":"unsubscribe","subscriptions":[{"name":"l2","symbols":["@USD"]}]}'
    [ "$(hb gemini connects)" = 1 ] || fail "gemini: the mute needed a reconnect" ;;
esac
case " $VENUES " in *" bitstamp "*)
    all_back bitstamp stall '^event\.reconnect .*"venue":"bitstamp","reason":"dead"' ;;
esac
# a symbol the venue refuses (NOPE/USD: Kraken's "Currency pair not supported"), on a second
# feed-kraken started now (the faults are over): asked for again and again, ever more slowly,
# and never a reconnect of the other books
case " $VENUES " in *" kraken "*)
    SERIES_KXNOPE15M="index=NOPE_RTI venues=kraken" bg feed-kraken-nope "$BIN/feed-kraken" --name feed-kraken-nope \
        --url "$(url_of kraken)" --ca-file "$T/tls/ca.pem" --series KXBTC15M,KXNOPE15M --depth 10 \
        --peers none --resync-timeout 0.5
    wait_for 10 sh -c "[ \$(grep -c '^event.resync .*\"src\":\"feed-kraken-nope\".*\"reason\":\"no_snapshot\",\"symbol\":\"NOPE-USD\"' '$T/tap.out') -ge 4 ]" ||
        fail "kraken: NOPE/USD not asked for again: $(grep -c 'feed-kraken-nope.*NOPE-USD' "$T/tap.out") events"
    nope_hb() {
        grep "^hb.feed-kraken-nope " "$T/tap.out" | tail -n 1 | cut -d' ' -f2- | python3 -c "
import json, sys
k = json.loads(sys.stdin.read())['kraken']
a = k['assets']
assert k['connects'] == 1 and a['BTC-USD']['valid'] and not a['NOPE-USD']['valid'], k
assert a['NOPE-USD']['resync_timeouts'] >= 3 and a['BTC-USD']['resync_timeouts'] == 0, a" 2>/dev/null
    }
    wait_for 5 nope_hb ||
        fail "kraken: a refused symbol: $(grep "^hb.feed-kraken-nope " "$T/tap.out" | tail -n 1)"
    ! seen '^event\.reconnect .*"src":"feed-kraken-nope"' || fail "kraken: a refused symbol reconnected the others" ;;
esac
for v in $VENUES; do
    [ "$(hb $v bad_frames)" = 0 ] || fail "$v: bad frames: $(hb $v bad_frames)"
    [ "$(hb $v unknown_symbols)" = 0 ] || fail "$v: unknown symbols: $(hb $v unknown_symbols)"
    grep "^hb.feed-$v " "$T/tap.out" | tail -n 1 | cut -d' ' -f2- | python3 -c "
import json, sys
assets = json.loads(sys.stdin.read())['$v']['assets']
want = sorted(a + '-USD' for a in '$(want_assets $v)'.split())
assert sorted(assets) == want, (sorted(assets), want)
# every book has had data lately (its own age, not the connection's)
assert all(x['last_book_age_ms'] is not None and x['last_book_age_ms'] < 5000 for x in assets.values()), assets" || fail "$v: hb assets"
done
echo ok
