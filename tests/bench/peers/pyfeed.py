#!/usr/bin/python3
"""pyfeed: the Python peer of `make bench`, in the shape of cryptofeed.

One asyncio task per connection reads a Kraken v2 or Coinbase Advanced Trade
websocket (python3-websockets, TLS verified against --ca-file), decodes every
message with json.loads(parse_float=Decimal) as cryptofeed does, keeps the L2
book (Decimal keys, sorted key lists kept with bisect), checks Kraken's CRC32
over the top 10 and Coinbase's sequence_num (a failure re-subscribes the book),
normalizes to tickbus's quote/book/trade messages with the same envelope
(src, epoch, seq, ts_rx, ts_ex, ts_pub) and publishes them as two frames
[topic][json] on a zmq.asyncio PUB socket (python3-zmq), like cryptofeed's
ZMQ backend. It does not reconnect, has no stale/dead timers and no heartbeat
on the bus. Once a second it prints to stderr:
    stats t_ns=N msgs=N cpu_ns=N quotes=N books=N trades=N resyncs=N bad=N
with the process CPU time (all threads) read at the same instant.
"""
import argparse
import asyncio
import bisect
import calendar
import json
import os
import signal
import ssl
import sys
import time
import zlib
from decimal import Decimal

import websockets
import zmq
import zmq.asyncio

BOOK_MIN_GAP = 0.1  # at most 10 book.* a second
BOOK_MAX_GAP = 1.0  # at least one a second

_sec_cache = {}


def iso_ns(s):
    """'2026-11-28T12:03:17.123456Z' -> ns since the epoch, or None."""
    if not isinstance(s, str) or len(s) < 20:
        return None
    base = s[:19]
    sec = _sec_cache.get(base)
    if sec is None:
        try:
            sec = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
        except ValueError:
            return None
        if len(_sec_cache) > 4096:
            _sec_cache.clear()
        _sec_cache[base] = sec
    frac = s[20:-1] if s[19] == "." else ""
    return sec * 1000000000 + int((frac + "000000000")[:9])


class Side:
    """One side of an L2 book: price -> size, and the prices kept sorted."""

    def __init__(self, desc):
        self.desc = desc
        self.levels = {}
        self.keys = []  # ascending; bids are read from the end

    def clear(self):
        self.levels.clear()
        self.keys.clear()

    def set(self, px, sz):
        if sz == 0:
            if px in self.levels:
                del self.levels[px]
                i = bisect.bisect_left(self.keys, px)
                del self.keys[i]
            return
        if px not in self.levels:
            bisect.insort(self.keys, px)
        self.levels[px] = sz

    def top(self, n):
        ks = self.keys[-n:][::-1] if self.desc else self.keys[:n]
        return [(k, self.levels[k]) for k in ks]

    def trim(self, n):
        if len(self.keys) <= n:
            return
        if self.desc:
            drop, self.keys = self.keys[:-n], self.keys[-n:]
        else:
            drop, self.keys = self.keys[n:], self.keys[:n]
        for k in drop:
            del self.levels[k]


class Feed:
    def __init__(self, venue, url, ca_file, depth, pub):
        self.venue = venue
        self.url = url
        self.ca_file = ca_file
        self.depth = depth
        self.pub = pub
        self.src = "pyfeed-" + venue
        self.epoch = os.urandom(8).hex()
        self.seq = 0
        self.bids, self.asks = Side(True), Side(False)
        self.valid = False
        self.resyncing = False
        self.dirty = False
        self.book_pub = 0.0
        self.book_ts = (0, None)
        self.last_quote = None
        self.cb_seq = None
        self.t_quote = "quote.%s.BTC-USD" % venue
        self.t_book = "book.%s.BTC-USD" % venue
        self.t_trade = "trade.%s.BTC-USD" % venue
        self.n = dict(msgs=0, quotes=0, books=0, trades=0, resyncs=0, bad=0)
        self.ws = None

    # --- publishing (cryptofeed: callback -> backend -> zmq send) ---
    async def publish(self, topic, body, ts_rx, ts_ex):
        self.seq += 1
        msg = {"src": self.src, "epoch": self.epoch, "seq": self.seq, "ts_rx": ts_rx,
               "ts_ex": ts_ex, "ts_pub": time.time_ns()}
        msg.update(body)
        await self.pub.send_multipart([topic.encode(), json.dumps(msg).encode()])

    async def book_done(self, ts_rx, ts_ex):
        self.book_ts = (ts_rx, ts_ex)
        self.dirty = True
        if not self.valid:
            return
        b, a = self.bids.top(1), self.asks.top(1)
        if b and a and b[0][0] >= a[0][0]:
            await self.invalid("crossed")
            return
        q = (b[0] if b else None, a[0] if a else None)
        if q != self.last_quote:
            self.last_quote = q
            await self.publish(self.t_quote, {
                "bid": float(q[0][0]) if q[0] else None, "bid_size": float(q[0][1]) if q[0] else None,
                "ask": float(q[1][0]) if q[1] else None, "ask_size": float(q[1][1]) if q[1] else None,
            }, ts_rx, ts_ex)
            self.n["quotes"] += 1
        if time.monotonic() - self.book_pub >= BOOK_MIN_GAP:
            await self.publish_book()

    async def publish_book(self):
        ok = self.valid and not self.resyncing
        body = {
            "bids": [[float(p), float(s)] for p, s in self.bids.top(self.depth)] if ok else [],
            "asks": [[float(p), float(s)] for p, s in self.asks.top(self.depth)] if ok else [],
            "valid": ok,
        }
        ts_rx, ts_ex = self.book_ts
        await self.publish(self.t_book, body, ts_rx or time.time_ns(), ts_ex if ok else None)
        self.dirty = False
        self.book_pub = time.monotonic()
        self.n["books"] += 1

    async def trade(self, px, sz, side, tid, ts_rx, ts_ex):
        await self.publish(self.t_trade, {"px": float(px), "sz": float(sz), "side": side,
                                          "id": tid}, ts_rx, ts_ex)
        self.n["trades"] += 1

    async def invalid(self, reason):
        if self.resyncing:
            return
        self.valid = False
        self.resyncing = True
        self.last_quote = None
        self.n["resyncs"] += 1
        await self.publish("event.gap", {"venue": self.venue, "reason": reason}, time.time_ns(), None)
        await self.publish_book()
        await self.resync()

    async def book_timer(self):
        while True:
            await asyncio.sleep(BOOK_MIN_GAP)
            since = time.monotonic() - self.book_pub
            if (self.dirty and since >= BOOK_MIN_GAP) or since >= BOOK_MAX_GAP:
                await self.publish_book()

    async def run(self):
        ctx = ssl.create_default_context(cafile=self.ca_file)
        async with websockets.connect(self.url, ssl=ctx, compression=None, max_size=2 ** 24,
                                      ping_interval=5, ping_timeout=15) as ws:
            self.ws = ws
            await self.subscribe()
            timer = asyncio.ensure_future(self.book_timer())
            try:
                async for raw in ws:
                    ts_rx = time.time_ns()
                    self.n["msgs"] += 1
                    try:
                        msg = json.loads(raw, parse_float=Decimal)
                        await self.handle(msg, ts_rx)
                    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
                        self.n["bad"] += 1
            finally:
                timer.cancel()


class Kraken(Feed):
    SYM = "BTC/USD"

    def book_sub(self, method):
        p = {"channel": "book", "symbol": [self.SYM], "depth": self.depth}
        if method == "subscribe":
            p["snapshot"] = True
        return json.dumps({"method": method, "params": p, "req_id": 1})

    async def subscribe(self):
        await self.ws.send(self.book_sub("subscribe"))
        await self.ws.send(json.dumps({"method": "subscribe", "params": {
            "channel": "trade", "symbol": [self.SYM], "snapshot": False}, "req_id": 2}))
        await self.ws.send(json.dumps({"method": "subscribe", "params": {
            "channel": "ticker", "symbol": [self.SYM], "event_trigger": "bbo", "snapshot": True},
            "req_id": 3}))

    async def resync(self):
        await self.ws.send(self.book_sub("unsubscribe"))
        await self.ws.send(self.book_sub("subscribe"))

    def checksum(self):
        parts = []
        for px, sz in self.asks.top(10) + self.bids.top(10):
            parts.append(("%.1f" % px).replace(".", "").lstrip("0"))
            parts.append(("%.8f" % sz).replace(".", "").lstrip("0"))
        return zlib.crc32("".join(parts).encode())

    async def handle(self, msg, ts_rx):
        ch = msg.get("channel")
        if ch == "book":
            snap = msg["type"] == "snapshot"
            for e in msg["data"]:
                if e["symbol"] != self.SYM:
                    continue
                if snap:
                    self.bids.clear()
                    self.asks.clear()
                elif not self.valid:
                    continue
                for lv in e.get("bids", ()):
                    self.bids.set(lv["price"], lv["qty"])
                for lv in e.get("asks", ()):
                    self.asks.set(lv["price"], lv["qty"])
                self.bids.trim(self.depth)
                self.asks.trim(self.depth)
                if "checksum" in e and self.checksum() != e["checksum"]:
                    await self.invalid("checksum")
                    continue
                if snap:
                    self.valid = True
                    self.resyncing = False
                await self.book_done(ts_rx, iso_ns(e.get("timestamp")))
        elif ch == "trade":
            for t in msg["data"]:
                if t["symbol"] == self.SYM:
                    await self.trade(t["price"], t["qty"], t["side"], t["trade_id"], ts_rx,
                                     iso_ns(t.get("timestamp")))


class Coinbase(Feed):
    SUBS = [
        {"type": "subscribe", "channel": "heartbeats"},
        {"type": "subscribe", "product_ids": ["BTC-USD"], "channel": "level2"},
        {"type": "subscribe", "product_ids": ["BTC-USD"], "channel": "market_trades"},
        {"type": "subscribe", "product_ids": ["BTC-USD"], "channel": "ticker"},
    ]

    async def subscribe(self):
        for s in self.SUBS:
            await self.ws.send(json.dumps(s))

    async def resync(self):
        await self.ws.send(json.dumps({"type": "unsubscribe", "product_ids": ["BTC-USD"],
                                       "channel": "level2"}))
        await self.ws.send(json.dumps(self.SUBS[1]))

    async def handle(self, msg, ts_rx):
        sq = msg.get("sequence_num")
        if sq is not None:
            if self.cb_seq is not None and sq != self.cb_seq + 1:
                await self.invalid("sequence")
            self.cb_seq = sq
        ch = msg.get("channel")
        if ch == "l2_data":
            ts_ex = iso_ns(msg.get("timestamp"))
            for e in msg["events"]:
                if e.get("product_id") != "BTC-USD":
                    continue
                snap = e["type"] == "snapshot"
                if snap:
                    self.bids.clear()
                    self.asks.clear()
                elif not self.valid:
                    continue
                for u in e["updates"]:
                    side = self.bids if u["side"] == "bid" else self.asks
                    side.set(Decimal(u["price_level"]), Decimal(u["new_quantity"]))
                self.bids.trim(self.depth)
                self.asks.trim(self.depth)
                if snap:
                    self.valid = True
                    self.resyncing = False
                await self.book_done(ts_rx, ts_ex)
        elif ch == "market_trades":
            for e in msg["events"]:
                if e.get("type") != "update":
                    continue
                for t in e["trades"]:
                    if t["product_id"] == "BTC-USD":
                        await self.trade(Decimal(t["price"]), Decimal(t["size"]),
                                         t["side"].lower(), t["trade_id"], ts_rx, iso_ns(t.get("time")))


async def stats(feed):
    while True:
        n = feed.n
        sys.stderr.write("stats t_ns=%d msgs=%d cpu_ns=%d quotes=%d books=%d trades=%d "
                         "resyncs=%d bad=%d\n" % (
                             time.time_ns(), n["msgs"], time.process_time_ns(), n["quotes"],
                             n["books"], n["trades"], n["resyncs"], n["bad"]))
        sys.stderr.flush()
        await asyncio.sleep(1)


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--venue", choices=["kraken", "coinbase"], required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--ca-file", required=True)
    ap.add_argument("--pub", required=True, help="zmq endpoint to bind (ipc://...)")
    ap.add_argument("--depth", type=int, default=100)
    a = ap.parse_args()
    zctx = zmq.asyncio.Context()
    pub = zctx.socket(zmq.PUB)
    pub.setsockopt(zmq.SNDHWM, 100000)
    pub.setsockopt(zmq.LINGER, 0)
    pub.bind(a.pub)
    cls = Kraken if a.venue == "kraken" else Coinbase
    feed = cls(a.venue, a.url, a.ca_file, a.depth, pub)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    st = asyncio.ensure_future(stats(feed))
    run = asyncio.ensure_future(feed.run())
    await asyncio.wait([run, asyncio.ensure_future(stop.wait())],
                       return_when=asyncio.FIRST_COMPLETED)
    st.cancel()
    rc = 0
    if run.done() and run.exception():
        sys.stderr.write("pyfeed: %r\n" % (run.exception(),))
        rc = 1
    n = feed.n
    sys.stderr.write("stats t_ns=%d msgs=%d cpu_ns=%d quotes=%d books=%d trades=%d resyncs=%d "
                     "bad=%d\n" % (time.time_ns(), n["msgs"], time.process_time_ns(), n["quotes"],
                                    n["books"], n["trades"], n["resyncs"], n["bad"]))
    sys.stderr.flush()
    os._exit(rc)  # abrupt, as the peers' baselines were: no websocket close handshake


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
