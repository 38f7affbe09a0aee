#!/usr/bin/env python3
"""loader_check.py FILE...: reads tickbus JSONL files the way the Go collector's
pandas loader (sdibella/btc15m-data btcdata/loader.py, load_day) does, written
here from its facts: one row per tick and market with the loader's .get()
defaults, ts through pd.to_datetime, and astype("int32") on yes_bid, yes_ask,
last_price, volume, open_interest and secs_left. Fails (exit 1) on any
difference from what the collector's files gave that loader: an exception, a
NaN/None, a column that was not all JSON integers before the int32 cast (the
cast would truncate 1.5 silently), a book not in the collector's form. Then
checks the rounding rules of docs/RECORD.md against tickbus's exact fields."""
import json, math, sys
import pandas as pd

INT_COLS = ("yes_bid", "yes_ask", "last_price", "volume", "open_interest", "secs_left")
errs = []

def err(msg):
    errs.append(msg)

def flatten(files):
    rows, ours = [], []
    for f in files:
        with open(f, "rt") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                tick = json.loads(line)
                if tick.get("type") != "tick":
                    continue
                base = {"ts": tick["ts"], "brti": tick.get("brti", 0.0),
                        "coinbase": tick.get("coinbase", 0.0), "kraken": tick.get("kraken", 0.0),
                        "bitstamp": tick.get("bitstamp", 0.0)}
                for mkt in tick.get("markets", []):
                    rows.append({**base, "ticker": mkt.get("ticker", ""),
                                 "yes_bid": mkt.get("yes_bid", 0), "yes_ask": mkt.get("yes_ask", 0),
                                 "last_price": mkt.get("last_price", 0),
                                 "volume": mkt.get("volume", 0),
                                 "open_interest": mkt.get("open_interest", 0),
                                 "strike": mkt.get("strike", 0.0),
                                 "secs_left": mkt.get("secs_left", 0),
                                 "status": mkt.get("status", ""), "result": mkt.get("result", ""),
                                 "yes_book": json.dumps(mkt["yes_book"]) if "yes_book" in mkt else "",
                                 "no_book": json.dumps(mkt["no_book"]) if "no_book" in mkt else ""})
                    ours.append((tick, mkt))
                if not tick.get("markets"):
                    ours.append((tick, None))
    return rows, ours

def rules(tick, m):
    """docs/RECORD.md: integer fields from the exact ones, never a better price than exists."""
    w = tick["ts"]
    ok = {v: tick.get("venues", {}).get(v, {}).get("ok") for v in ("coinbase", "kraken", "bitstamp")}
    for v, o in ok.items():
        if (tick[v] == 0) == bool(o):
            err(f"{w}: {v}={tick[v]} but venues.{v}.ok={o}")
    if (tick["brti"] == 0) != (tick.get("brti_src") is None):
        err(f"{w}: brti={tick['brti']} brti_src={tick.get('brti_src')}")
    if m is None:
        return
    w += " " + m["ticker"]
    def cents(k, how):
        d = m.get(k + "_dollars")
        want = 0 if d is None else how(round(d * 100, 6))
        if m[k] != want:
            err(f"{w}: {k}={m[k]} but {k}_dollars={d} (want {want})")
    cents("yes_bid", math.floor); cents("yes_ask", math.ceil)
    cents("last_price", lambda x: math.floor(x + 0.5))
    for k in ("volume", "open_interest"):
        fp = m.get(k + "_fp")
        if m[k] != (0 if fp is None else math.floor(fp)):
            err(f"{w}: {k}={m[k]} but {k}_fp={fp}")
    for side in ("yes", "no"):
        exact = m.get(side + "_book_dollars")
        if exact is None:
            if side + "_book" in m: err(f"{w}: {side}_book without {side}_book_dollars")
            continue
        if any(exact[i][0] <= exact[i + 1][0] for i in range(len(exact) - 1)):
            err(f"{w}: {side}_book_dollars not best first")
        merged = {}
        for px, sz in exact:
            c = math.floor(round(px * 100, 6))
            merged[c] = merged.get(c, 0) + sz
        # the exact field holds the best --book-levels levels: the cents above its lowest one
        # are whole there, and must be the collector-form book's top
        low = min(merged) if merged else 0
        want = [[c, math.floor(round(sz, 6))] for c, sz in sorted(merged.items())
                if c > low and c >= 1 and math.floor(round(sz, 6)) >= 1]
        got = [l for l in m.get(side + "_book", []) if l[0] > low]
        if got != want:
            err(f"{w}: {side}_book top {got[-4:]} does not match {side}_book_dollars {exact[:4]}")

def main():
    files = sys.argv[1:]
    if not files:
        sys.exit("usage: loader_check.py FILE.jsonl...")
    try:
        rows, ours = flatten(files)
        df = pd.DataFrame(rows)
        if df.empty:
            sys.exit("loader_check: no market rows")
        pre = {c: str(df[c].dtype) for c in INT_COLS}
        df["ts"] = pd.to_datetime(df["ts"])
        for col in INT_COLS:
            df[col] = df[col].astype("int32")
    except Exception as e:
        print(f"loader_check: load_day would fail: {type(e).__name__}: {e}")
        sys.exit(1)
    for c, t in pre.items():
        if t != "int64":
            err(f"{c}: dtype {t} before the int32 cast (the collector's files gave int64)")
    for c in ("brti", "coinbase", "kraken", "bitstamp", "strike"):
        if df[c].dtype.kind not in "if" or df[c].isna().any():
            err(f"{c}: dtype {df[c].dtype}, {int(df[c].isna().sum())} NaN/None")
    for c in ("ticker", "status", "result", "yes_book", "no_book"):
        if not df[c].map(lambda v: isinstance(v, str)).all():
            err(f"{c}: not all strings")
    for c in ("yes_book", "no_book"):
        for s in df[c]:
            if s == "":
                continue
            b = json.loads(s)
            if not b or any(type(x) is not int for l in b for x in l) or \
               [l[0] for l in b] != sorted({l[0] for l in b}):
                err(f"{c}: {s[:80]} not the collector's [[cents, contracts]] ascending")
                break
    for tick, m in ours:
        rules(tick, m)
    print(f"loader_check: rows={len(df)} ticks={len({t['ts'] for t, _ in ours})} "
          f"tickers={df['ticker'].nunique()} dtypes="
          + ",".join(f"{c}:{df[c].dtype}" for c in ("brti", "yes_bid", "strike", "secs_left"))
          + f" errors={len(errs)}")
    for e in errs[:20]:
        print("ERROR", e)
    sys.exit(1 if errs else 0)

main()
