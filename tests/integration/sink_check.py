#!/usr/bin/env python3
"""sink_check.py DIR PREFIX [--ticks N | --min-ticks N] [--all-explained] [--no-missing] [--expect-reason R]...: reads every
PREFIX-*.jsonl[.gz] in DIR the way the Go collector's pandas loader does (one
JSON object a line; type, ts, brti, coinbase, kraken, bitstamp, markets[] with
their fields) and checks each line parses whole and each tick has the Go
collector's fields with its types: numbers never null, integers in the int
fields, omitempty fields omitted rather than empty, books ascending. A tick second written twice
is always an error, so is a record written twice (same src, epoch, seq); --no-missing: every second between the first and the last tick has a tick.
Prints a summary; exit 1 on any violation."""
import glob, gzip, json, sys, datetime

def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)

def is_int(v):
    return type(v) is int

# The Go collector's fields (sdibella/btc15m-data TickRecord/MarketSnap, docs/RECORD.md): their
# JSON types there; null never (Go wrote 0 or omitted the field), omitempty fields never empty.
GO_INT = ("yes_bid", "yes_ask", "last_price", "volume", "open_interest", "secs_left")

def check_book(b):
    return isinstance(b, list) and b and all(
        isinstance(l, list) and len(l) == 2 and all(is_int(x) for x in l) for l in b) and \
        all(b[i][0] < b[i + 1][0] for i in range(len(b) - 1))

def check_tick(r, where):
    errs = []
    for k in ("type", "ts", "brti", "coinbase", "kraken", "bitstamp"):
        if k not in r:
            errs.append(f"{where}: missing {k}")
    if errs:
        return errs
    try:
        datetime.datetime.strptime(r["ts"], "%Y-%m-%dT%H:%M:%SZ")
    except Exception:
        errs.append(f"{where}: bad ts {r['ts']!r}")
    for k in ("brti", "coinbase", "kraken", "bitstamp"):
        if not is_num(r[k]):
            errs.append(f"{where}: {k} {r[k]!r} not a number (the Go collector wrote 0 when unknown)")
    if "markets" not in r:
        return errs  # omitted when empty, as the Go collector
    if not isinstance(r["markets"], list) or not r["markets"]:
        return errs + [f"{where}: markets {r['markets']!r} not a non-empty list"]
    for m in r["markets"]:
        if not isinstance(m.get("ticker"), str) or not m["ticker"]:
            errs.append(f"{where}: market without ticker")
        t = m.get("ticker")
        for k in GO_INT:
            if not is_int(m.get(k)):
                errs.append(f"{where}: {t} {k} {m.get(k, 'missing')!r} not an integer")
        if "strike" in m and not (is_num(m["strike"]) and m["strike"] > 0):
            errs.append(f"{where}: {t} strike {m['strike']!r} (omitted when unknown)")
        for k in ("status", "result"):
            if k in m and not (isinstance(m[k], str) and m[k]):
                errs.append(f"{where}: {t} {k} {m[k]!r} not a non-empty string (omitted when unknown)")
        for k in ("yes_book", "no_book"):
            if k in m and not check_book(m[k]):
                errs.append(f"{where}: {t} {k} not [[cents, contracts],..] ascending, non-empty")
    return errs

def sec(ts):
    """The whole UTC second of "...T12:03:17Z" or "...T12:03:17.123Z" (disk/buffer gap records
    carry the dropped records' times to the millisecond)."""
    return int(datetime.datetime.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp())

def main():
    d, prefix = sys.argv[1], sys.argv[2]
    reasons = []
    want_ticks = None
    min_ticks = None
    all_explained = no_missing = False
    tick_secs, explained = set(), set()
    twice = twice_env = 0
    envs = set()
    a = sys.argv[3:]
    while a:
        if a[0] == "--ticks": want_ticks = int(a[1]); a = a[2:]
        elif a[0] == "--min-ticks": min_ticks = int(a[1]); a = a[2:]
        elif a[0] == "--expect-reason": reasons.append(a[1]); a = a[2:]
        elif a[0] == "--all-explained": all_explained = True; a = a[1:]
        elif a[0] == "--no-missing": no_missing = True; a = a[1:]
        else: sys.exit("bad argument " + a[0])
    errs, counts, seen_reasons, seqs, coverage = [], {}, {}, set(), []
    files = sorted(glob.glob(f"{d}/{prefix}-*.jsonl") + glob.glob(f"{d}/{prefix}-*.jsonl.gz"))
    for f in files:
        op = gzip.open if f.endswith(".gz") else open
        with op(f, "rb") as fh:
            data = fh.read()
        if data and not data.endswith(b"\n"):
            errs.append(f"{f}: last line has no newline (torn)")
        for i, line in enumerate(data.split(b"\n")[:-1] if data else []):
            where = f"{f}:{i+1}"
            try:
                r = json.loads(line)
            except Exception as e:
                errs.append(f"{where}: not JSON ({e}): {line[:80]!r}")
                continue
            t = r.get("type", "")
            counts[t] = counts.get(t, 0) + 1
            if "src" in r and "epoch" in r and "seq" in r:
                k = (r["src"], r["epoch"], r["seq"])
                if k in envs: twice_env += 1
                envs.add(k)
            if t == "tick":
                errs += check_tick(r, where)
                seqs.add((r.get("epoch"), r.get("seq"), r.get("ts")))
                try:
                    if sec(r["ts"]) in tick_secs: twice += 1
                    tick_secs.add(sec(r["ts"]))
                except Exception: pass
            elif t == "gap":
                seen_reasons[r["reason"]] = seen_reasons.get(r["reason"], 0) + 1
                for k in ("from", "to", "reason", "seconds"):
                    if k not in r: errs.append(f"{where}: gap without {k}")
                try:
                    if r.get("seconds", 0) > 0: explained.update(range(sec(r["from"]), sec(r["to"]) + 1))
                except Exception: errs.append(f"{where}: gap with a bad from/to")
            elif t == "coverage":
                coverage.append(r)
    ticks = counts.get("tick", 0)
    if want_ticks is not None and len({s[2] for s in seqs}) != want_ticks:
        errs.append(f"distinct tick seconds {len({s[2] for s in seqs})} != {want_ticks}")
    if min_ticks is not None and len({s[2] for s in seqs}) < min_ticks:
        errs.append(f"distinct tick seconds {len({s[2] for s in seqs})} < {min_ticks}")
    for r in reasons:
        if r not in seen_reasons: errs.append(f"no gap record with reason {r}")
    # seconds between the first and the last tick with neither a tick nor a gap record
    missing = [s for s in range(min(tick_secs), max(tick_secs) + 1) if s not in tick_secs] if tick_secs else []
    unexplained = [s for s in missing if s not in explained]
    if all_explained and unexplained:
        errs.append(f"{len(unexplained)} seconds without a tick or a gap record, first "
                    f"{datetime.datetime.fromtimestamp(unexplained[0], datetime.timezone.utc):%Y-%m-%dT%H:%M:%SZ}")
    if twice:
        errs.append(f"{twice} tick seconds written more than once")
    if twice_env:
        errs.append(f"{twice_env} records written more than once (same src, epoch, seq)")
    if no_missing and missing:
        errs.append(f"{len(missing)} seconds without a tick, first "
                    f"{datetime.datetime.fromtimestamp(missing[0], datetime.timezone.utc):%Y-%m-%dT%H:%M:%SZ}")
    print(f"files={len(files)} lines={sum(counts.values())} ticks={ticks} "
          f"distinct_ts={len({s[2] for s in seqs})} missing={len(missing)} unexplained={len(unexplained)} twice={twice} "
          f"types={counts} gaps={seen_reasons} "
          f"coverage={[(c['date'], c['covered'], c['gap_seconds'], c['markets_seen']) for c in coverage]}")
    for e in errs[:20]: print("ERROR", e)
    sys.exit(1 if errs else 0)

main()
