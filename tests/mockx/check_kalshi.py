#!/usr/bin/python3
"""check_kalshi: mockx's Kalshi side seen by an independent client (standard
library + the openssl command for RSA-PSS signing).

  check_kalshi.py auth PORT CA KEY WRONGKEY   good key 101, wrong key / skew / no headers 401
  check_kalshi.py commands PORT CA KEY        replies and error codes of every command
  check_kalshi.py seq PORT CA KEY SECONDS     per-sid seq continuity, books, get_snapshot, BRTI
  check_kalshi.py rest PORT CA                /markets paging, one market, orderbook, series
  check_kalshi.py indices PORT CA KEY SECONDS OUT   cfbenchmarks_value: an unknown index id
                                              -> error 11, indexlist, ["all"] relays every index
                                              once a second; writes {id: {time_ms: value}} to OUT
Exits 1 with a message on the first violation."""
import base64
import json
import subprocess
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from wsclient import WS, HandshakeError, http_get  # noqa: E402

PATH = "/trade-api/ws/v2"


def sign_headers(key, ts_ms=None):
    ts = str(ts_ms if ts_ms is not None else int(time.time() * 1000))
    msg = (ts + "GET" + PATH).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss",
                          "-sigopt", "rsa_pss_saltlen:32", "-sigopt", "rsa_mgf1_md:sha256",
                          "-sign", key], input=msg, capture_output=True, check=True).stdout
    return {"KALSHI-ACCESS-KEY": "00000000-0000-4000-8000-000000000000",
            "KALSHI-ACCESS-TIMESTAMP": ts,
            "KALSHI-ACCESS-SIGNATURE": base64.b64encode(sig).decode()}


def die(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def expect_status(port, ca, headers, want, what):
    try:
        ws = WS(port, PATH, ca, headers)
        ws.close()
        got = 101
    except HandshakeError as e:
        got = e.status
    if got != want:
        die(f"{what}: HTTP {got}, expected {want}")
    print(f"{what}: HTTP {got}")


def cmd_auth(port, ca, key, wrong):
    expect_status(port, ca, sign_headers(key), 101, "good key")
    expect_status(port, ca, sign_headers(wrong), 401, "wrong key")
    expect_status(port, ca, sign_headers(key, int(time.time() * 1000) - 45000), 401, "skew 45 s")
    expect_status(port, ca, sign_headers(key, int(time.time() * 1000) - 20000), 101, "skew 20 s")
    expect_status(port, ca, {}, 401, "no headers")
    h = sign_headers(key)
    h["KALSHI-ACCESS-SIGNATURE"] = h["KALSHI-ACCESS-SIGNATURE"][:-8] + "AAAAAAA="
    expect_status(port, ca, h, 401, "tampered signature")


BACKLOG = []


def until(ws, pred, timeout=5, what="frame"):
    """The first frame matching PRED, earlier unmatched frames included."""
    for i, m in enumerate(BACKLOG):
        if pred(m):
            del BACKLOG[i]
            return m, []
    end = time.time() + timeout
    seen = []
    while time.time() < end:
        kind, data = ws.recv(max(0.05, end - time.time()))
        if kind == "text":
            m = json.loads(data)
            if pred(m):
                return m, seen
            seen.append(m)
            BACKLOG.append(m)
        elif kind in ("eof", "close"):
            break
    die(f"no {what} within {timeout} s (saw {[s.get('type') for s in seen][-10:]})")


def current_market(port, ca):
    st, body = http_get(port, "/trade-api/v2/markets?series_ticker=KXBTC15M&status=open", ca)
    mk = json.loads(body)["markets"]
    if st != 200 or len(mk) != 1:
        die(f"open markets: HTTP {st}, {len(mk)} markets")
    return mk[0]["ticker"]


def cmd_commands(port, ca, key):
    tk = current_market(port, ca)
    ws = WS(port, PATH, ca, sign_headers(key))

    def err(id_, code):
        m, _ = until(ws, lambda m: m.get("id") == id_ and m.get("type") == "error", what=f"error {code}")
        if m["msg"]["code"] != code:
            die(f"id {id_}: code {m['msg']['code']}, expected {code}")
        print(f"id {id_}: error {code} {m['msg']['msg']!r}")

    ws.send(json.dumps({"id": 1, "cmd": "subscribe", "params": {"channels": ["orderbook_delta", "ticker", "trade"],
                                                               "market_ticker": tk, "send_initial_snapshot": True}}))
    acks = []
    while len(acks) < 3:
        m, _ = until(ws, lambda m: m.get("type") == "subscribed", what="subscribed")
        acks.append(m)
    sids = {a["msg"]["channel"]: a["msg"]["sid"] for a in acks}
    if sorted(sids) != ["orderbook_delta", "ticker", "trade"] or any(a["id"] != 1 for a in acks):
        die(f"subscribed acks wrong: {acks}")
    snap, _ = until(ws, lambda m: m.get("type") == "orderbook_snapshot", what="snapshot")
    if snap["seq"] != 1 or snap["sid"] != sids["orderbook_delta"] or snap["msg"]["market_ticker"] != tk:
        die(f"snapshot wrong: {snap}")
    ws.send(json.dumps({"id": 2, "cmd": "list_subscriptions"}))
    m, _ = until(ws, lambda m: m.get("id") == 2, what="list reply")
    if m["type"] != "ok" or sorted(x["sid"] for x in m["msg"]) != sorted(sids.values()):
        die(f"list_subscriptions: {m}")
    ob = sids["orderbook_delta"]
    ws.send(json.dumps({"id": 3, "cmd": "update_subscription",
                        "params": {"sid": ob, "market_tickers": ["KXBTC15M-NOPE"], "action": "add_markets"}}))
    m, _ = until(ws, lambda m: m.get("id") == 3, what="add_markets ok")
    if m["type"] != "ok" or m["msg"]["market_tickers"] != [tk, "KXBTC15M-NOPE"] or "seq" not in m:
        die(f"add_markets: {m}")
    ws.send(json.dumps({"id": 4, "cmd": "update_subscription",
                        "params": {"sids": [ob], "market_tickers": ["KXBTC15M-NOPE"], "action": "delete_markets"}}))
    m, _ = until(ws, lambda m: m.get("id") == 4, what="delete_markets ok")
    if m["msg"]["market_tickers"] != [tk]:
        die(f"delete_markets: {m}")
    ws.send(json.dumps({"id": 5, "cmd": "update_subscription",
                        "params": {"sid": ob, "market_tickers": [tk], "action": "get_snapshot"}}))
    m, _ = until(ws, lambda m: m.get("id") == 5, what="get_snapshot reply")
    if m["type"] != "orderbook_snapshot" or m["sid"] != ob:
        die(f"get_snapshot: {m}")
    print("get_snapshot: snapshot with id 5, seq", m["seq"])
    ws.send(json.dumps({"id": 6, "cmd": "subscribe", "params": {"channels": ["orderbook_delta"]}}))
    err(6, 14)
    ws.send(json.dumps({"id": 7, "cmd": "subscribe", "params": {"channels": ["tickr"], "market_ticker": tk}}))
    err(7, 8)
    ws.send(json.dumps({"id": 8, "cmd": "unsubscribe", "params": {"sids": [99]}}))
    err(8, 7)
    ws.send(json.dumps({"id": 9, "cmd": "frobnicate"}))
    err(9, 5)
    ws.send(json.dumps({"id": 10, "cmd": "subscribe"}))
    err(10, 2)
    ws.send(json.dumps({"id": 11, "cmd": "subscribe", "params": {}}))
    err(11, 3)
    ws.send(json.dumps({"id": 12, "cmd": "unsubscribe", "params": {}}))
    err(12, 4)
    ws.send(json.dumps({"id": 13, "cmd": "update_subscription", "params": {"sids": [1, 2], "action": "add_markets",
                                                                           "market_tickers": [tk]}}))
    err(13, 12)
    ws.send(json.dumps({"id": 14, "cmd": "update_subscription", "params": {"sid": ob, "market_tickers": [tk]}}))
    err(14, 15)
    ws.send(json.dumps({"id": 15, "cmd": "update_subscription", "params": {"sid": ob, "action": "explode",
                                                                           "market_tickers": [tk]}}))
    err(15, 13)
    ws.send(json.dumps({"id": 16, "cmd": "unsubscribe", "params": {"sids": [sids["trade"]]}}))
    m, _ = until(ws, lambda m: m.get("id") == 16, what="unsubscribed")
    if m["type"] != "unsubscribed" or m["sid"] != sids["trade"]:
        die(f"unsubscribe: {m}")
    ws.send(json.dumps({"id": 17, "cmd": "subscribe", "params": {"channels": ["cfbenchmarks_value"], "index_ids": ["BRTI"]}}))
    until(ws, lambda m: m.get("id") == 17 and m.get("type") == "subscribed", what="cfb subscribed")
    m, _ = until(ws, lambda m: m.get("type") == "cfbenchmarks_value", timeout=3, what="cfbenchmarks_value")
    d = json.loads(m["msg"]["data"])
    if d["id"] != "BRTI" or float(d["value"]) <= 0 or "avg_60s_data" not in m["msg"]:
        die(f"cfbenchmarks_value: {m}")
    ws.close()
    print("commands ok")


def cmd_seq(port, ca, key, seconds):
    """Every seq-bearing sid must count 1, 2, 3... with no hole; books replayed
    from snapshot + deltas must stay non-negative and uncrossed."""
    ws = WS(port, PATH, ca, sign_headers(key))
    tk = current_market(port, ca)
    ws.send(json.dumps({"id": 1, "cmd": "subscribe", "params": {"channels": ["market_lifecycle_v2"]}}))
    ws.send(json.dumps({"id": 2, "cmd": "subscribe", "params": {"channels": ["cfbenchmarks_value"], "index_ids": ["BRTI"]}}))
    ws.send(json.dumps({"id": 3, "cmd": "subscribe", "params": {"channels": ["orderbook_delta", "trade", "ticker"],
                                                               "market_ticker": tk, "send_initial_snapshot": True}}))
    last, books, counts = {}, {}, {"delta": 0, "cfb": 0, "life": 0, "trade": 0, "ticker": 0}
    chan = {}
    end = time.time() + seconds
    followed = {tk}
    while time.time() < end:
        kind, data = ws.recv(max(0.05, end - time.time()))
        if kind != "text":
            if kind in ("eof", "close"):
                die(f"connection ended: {kind}")
            continue
        m = json.loads(data)
        t = m.get("type")
        if t == "subscribed":
            chan[m["msg"]["sid"]] = m["msg"]["channel"]
            continue
        if t == "error":
            die(f"error frame: {m}")
        if "seq" in m:
            sid = m["sid"]
            if sid in last and m["seq"] != last[sid] + 1:
                die(f"sid {sid} ({chan.get(sid)}): seq {last[sid]} -> {m['seq']}")
            if sid not in last and m["seq"] != 1:
                die(f"sid {sid}: first seq {m['seq']}")
            last[sid] = m["seq"]
        if t == "orderbook_snapshot":
            b = books[m["msg"]["market_ticker"]] = [{}, {}]
            for i, k in enumerate(("yes_dollars_fp", "no_dollars_fp")):
                for p, q in m["msg"].get(k, []):
                    b[i][p] = round(float(q) * 100)
        elif t == "orderbook_delta":
            counts["delta"] += 1
            mm = m["msg"]
            b = books.get(mm["market_ticker"])
            if b is None:
                die("delta before snapshot")
            s = b[0 if mm["side"] == "yes" else 1]
            v = s.get(mm["price_dollars"], 0) + round(float(mm["delta_fp"]) * 100)
            if v < 0:
                die(f"negative size after delta {mm}")
            if v == 0:
                s.pop(mm["price_dollars"], None)
            else:
                s[mm["price_dollars"]] = v
            if b[0] and b[1] and max(map(float, b[0])) + max(map(float, b[1])) >= 1.0 - 1e-9:
                die(f"crossed kalshi book {mm['market_ticker']}: yes {max(map(float, b[0]))} no {max(map(float, b[1]))}")
        elif t == "cfbenchmarks_value":
            counts["cfb"] += 1
        elif t == "market_lifecycle_v2":
            counts["life"] += 1
            mm = m["msg"]
            if mm["event_type"] == "activated" and mm["market_ticker"] not in followed:
                followed.add(mm["market_ticker"])
                ws.send(json.dumps({"id": 10 + len(followed), "cmd": "update_subscription",
                                    "params": {"sid": [s for s, c in chan.items() if c == "orderbook_delta"][0],
                                               "market_tickers": [mm["market_ticker"]], "action": "add_markets"}}))
        elif t == "trade":
            counts["trade"] += 1
        elif t == "ticker":
            counts["ticker"] += 1
    ws.close()
    print(json.dumps({"last_seq": {chan.get(k, k): v for k, v in last.items()}, "counts": counts,
                      "markets": sorted(followed)}))
    if counts["delta"] < 10 or counts["cfb"] < seconds * 0.6:
        die(f"too little data: {counts}")


INDICES = ["BRTI", "ETHUSD_RTI", "SOLUSD_RTI", "DOGEUSD_RTI"]


def cmd_indices(port, ca, key, seconds, out):
    """One connection: an unknown id refused in Kalshi's error shape, a subscription to a
    subset relays only it, ["all"] every index of the world once a second, and indexlist
    lists them (a cfbenchmarks_value_indexlist frame with the command id). The values
    seen are written for the caller to compare with what feed-kalshi published."""
    ws = WS(port, PATH, ca, sign_headers(key))
    ws.send(json.dumps({"id": 1, "cmd": "subscribe", "params": {"channels": ["cfbenchmarks_value"],
                                                               "index_ids": ["BRTI", "NOPE_RTI"]}}))
    m, _ = until(ws, lambda m: m.get("id") == 1, what="reply to an unknown index id")
    if m.get("type") != "error" or m["msg"].get("code") != 11 or "NOPE_RTI" not in m["msg"].get("msg", ""):
        die(f"unknown index id: {m}")
    ws.send(json.dumps({"id": 2, "cmd": "subscribe", "params": {"channels": ["cfbenchmarks_value"],
                                                               "index_ids": ["all"]}}))
    m, _ = until(ws, lambda m: m.get("id") == 2 and m.get("type") == "subscribed", what="subscribed")
    sid = m["msg"]["sid"]
    ws.send(json.dumps({"id": 3, "cmd": "update_subscription", "params": {"sid": sid, "action": "indexlist"}}))
    m, _ = until(ws, lambda m: m.get("id") == 3, what="indexlist reply")
    if m.get("type") != "cfbenchmarks_value_indexlist" or m.get("sid") != sid or \
            sorted(m["msg"].get("index_ids", [])) != sorted(INDICES):
        die(f"indexlist: {m}")
    vals = {i: {} for i in INDICES}
    end = time.time() + seconds
    while time.time() < end:
        kind, data = ws.recv(max(0.05, end - time.time()))
        if kind in ("eof", "close"):
            die(f"connection ended: {kind}")
        if kind != "text":
            continue
        m = json.loads(data)
        if m.get("type") != "cfbenchmarks_value":
            continue
        mm = m["msg"]
        inner = json.loads(mm["data"])
        if inner["id"] != mm["index_id"] or mm["index_id"] not in vals:
            die(f"index frame: {mm}")
        vals[mm["index_id"]][str(inner["time"])] = inner["value"]
    ws.close()
    for i, v in vals.items():
        if len(v) < seconds * 0.8:
            die(f"{i}: {len(v)} values in {seconds} s")
    with open(out, "w") as f:
        json.dump(vals, f)
    print("indices", {i: len(v) for i, v in vals.items()})


def cmd_rest(port, ca):
    def get(path):
        st, body = http_get(port, path, ca)
        return st, json.loads(body) if body else None

    st, d = get("/trade-api/v2/markets?series_ticker=KXBTC15M&limit=1000")
    if st != 200:
        die(f"/markets HTTP {st}")
    allm = [m["ticker"] for m in d["markets"]]
    if len(allm) < 3 or d["cursor"]:
        die(f"/markets: {len(allm)} markets, cursor {d['cursor']!r}")
    paged, cur, pages = [], "", 0
    while True:
        st, d = get("/trade-api/v2/markets?series_ticker=KXBTC15M&limit=1" + (f"&cursor={cur}" if cur else ""))
        pages += 1
        paged += [m["ticker"] for m in d["markets"]]
        cur = d["cursor"]
        if not cur or pages > 50:
            break
    if paged != allm:
        die(f"paging: {paged} != {allm}")
    print(f"paging: {pages} pages of 1 = {len(allm)} markets")
    st, d = get("/trade-api/v2/markets?series_ticker=KXBTC15M&status=open")
    if len(d["markets"]) != 1 or d["markets"][0]["status"] != "active":
        die(f"status=open: {d}")
    m = d["markets"][0]
    for k in ("ticker", "event_ticker", "open_time", "close_time", "floor_strike", "yes_bid_dollars", "volume_fp"):
        if k not in m:
            die(f"market lacks {k}")
    tk = m["ticker"]
    st, d = get("/trade-api/v2/markets?series_ticker=KXBTC15M&status=unopened")
    if not d["markets"] or any(x["status"] != "initialized" or "floor_strike" in x for x in d["markets"]):
        die(f"status=unopened: {d}")
    st, d = get(f"/trade-api/v2/markets/{tk}")
    if st != 200 or d["market"]["ticker"] != tk:
        die(f"/markets/{tk}: {st}")
    st, d = get(f"/trade-api/v2/markets/{tk}/orderbook")
    if st != 200 or "yes_dollars" not in d["orderbook_fp"]:
        die(f"orderbook: {st} {d}")
    st, d = get("/trade-api/v2/series/KXBTC15M")
    if st != 200 or d["series"]["frequency"] != "fifteen_min":
        die(f"series: {st}")
    st, d = get("/trade-api/v2/exchange/status")
    if st != 200 or d["trading_active"] is not True:
        die(f"exchange/status: {st}")
    st, d = get("/trade-api/v2/markets/KXBTC15M-NOPE")
    if st != 404:
        die(f"unknown market: HTTP {st}")
    st, d = get("/trade-api/v2/markets?status=bogus")
    if st != 400:
        die(f"bad status filter: HTTP {st}")
    print("rest ok")


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "auth":
        cmd_auth(int(a[1]), a[2], a[3], a[4])
    elif a[0] == "commands":
        cmd_commands(int(a[1]), a[2], a[3])
    elif a[0] == "seq":
        cmd_seq(int(a[1]), a[2], a[3], float(a[4]))
    elif a[0] == "rest":
        cmd_rest(int(a[1]), a[2])
    elif a[0] == "indices":
        cmd_indices(int(a[1]), a[2], a[3], float(a[4]), a[5])
