# Trade side is the taker's on every venue: a mockx world corpus per venue
# (tests/tools/feedcorpus.sh; mockx's Coinbase reports the maker's side, as the
# venue does) replayed through the real parser (feedreplay); every published
# trade must hit the touch on its side: "buy" at the best ask of the quote
# before it, "sell" at the best bid (mockx's trades consume the touch).
. tests/integration/lib.sh
for v in coinbase kraken bitstamp; do
    sh tests/tools/feedcorpus.sh $v 3000 "$T/$v.jsonl" "$BIN" 3 2>"$T/$v.corpus.log" ||
        fail "$v: corpus: $(cat "$T/$v.corpus.log")"
    "$BIN/feedreplay" $v "$T/$v.jsonl" 10 >"$T/$v.out" || fail "$v: feedreplay failed"
    python3 - $v "$T/$v.out" <<'PY' || fail "$v: trade side is not the taker's"
import json, sys
venue, path = sys.argv[1:3]
bid = ask = None
n = {"buy": 0, "sell": 0, "bad": 0}
for line in open(path):
    if not line.startswith(("quote.", "trade.")):
        continue
    topic, ts, body = line.rstrip("\n").split(" ", 2)
    d = json.loads(body)
    if topic.startswith("quote."):
        bid, ask = d["bid"], d["ask"]
    elif bid is not None:
        n[d["side"]] += 1
        if d["px"] != (ask if d["side"] == "buy" else bid):
            n["bad"] += 1
            if n["bad"] < 3:
                print(venue, "side contradicts the touch:", d, "bid", bid, "ask", ask)
print(venue, n)
sys.exit(1 if n["bad"] or n["buy"] < 20 or n["sell"] < 20 else 0)
PY
done
echo ok
