#!/usr/bin/python3
"""perfcat.py: where a feed's CPU goes, from `perf script` output of a
`perf record --call-graph dwarf -p PID` of feed-kraken / feed-coinbase (all
threads). Each sample is put in one category by its call chain (leaf first):
ZeroMQ's I/O thread, the bus publish path, our parser / book / JSON writer
(called from the websocket receive callback), OpenSSL, libwebsockets'
framing, the kernel under the TLS read or poll. bench.py imports it; by hand:

    perf record -F 999 --call-graph dwarf,16384 -p PID -- sleep 3
    perf script | python3 tests/bench/perfcat.py
"""
import collections
import re
import sys

# (key, label) in the order the doc prints them
CATS = [
    ("ssl", "OpenSSL: decrypt, TLS record layer (user space)"),
    ("kread", "kernel: TCP receive (the read syscalls under SSL_read)"),
    ("kpoll", "kernel: poll, scheduling, other syscalls of the loop thread"),
    ("lws", "libwebsockets: websocket framing (its per-byte rx state machine), service loop"),
    ("recv", "ours: receive callback, reassembly copy (lib/wsconn)"),
    ("parse", "ours: JSON tokens, exact decimals, venue logic (jsmn, jtok, feeds/<venue>.c)"),
    ("book", "ours: book, Kraken CRC32 / Coinbase sequence (lib/book, checksum)"),
    ("jw", "ours: JSON writing of quote/book/trade bodies (lib/jw, feeds/feed.c)"),
    ("pub", "bus: envelope + zmq_send (user space: libzmq, copy, malloc)"),
    ("wake", "bus: waking ZeroMQ's I/O thread (eventfd write, context switch)"),
    ("zio", "ZeroMQ I/O thread (encoding, sendto to the subscriber, epoll)"),
    ("clock", "clock_gettime (vDSO; ts_rx, ts_pub, timers)"),
    ("other", "other (hb, timers, libc)"),
]
LABEL = dict(CATS)

_OURS_RECV = {"s_callback", "s_receive", "s_message"}


def classify(comm, fr):
    """FR: [(symbol, dso)] leaf first. Returns a key of CATS."""
    syms = [s for s, _ in fr]
    dsos = [d for _, d in fr]
    have = set(syms)
    leafd = dsos[0] if dsos else ""
    leafs = syms[0] if syms else "?"
    kern = "kernel" in leafd
    if comm.startswith("ZMQbg"):
        return "zio"
    if "vdso" in leafd:
        return "clock"
    if "bus_pub_send" in have:
        if "__GI___libc_write" in have or "__libc_write" in have or (kern and "write" in " ".join(syms)):
            return "wake"
        return "pub"
    if have & {"s_publish_book", "s_publish_quote", "feed_trade"} or leafs.startswith("jw_"):
        return "jw"
    if have & _OURS_RECV:
        own = next((s for s, d in fr if "/work/" in d or (d and "feed-" in d.split("/")[-1])
                    if s not in ("memcpy", "memmove", "memcmp", "strlen")), "?")
        if own in _OURS_RECV:
            return "recv"
        if re.match(r"(book_|s_checksum|s_digits|s_crc|crc32)", own) or "libz" in leafd:
            return "book"
        if own.startswith(("hb_", "s_mark_data")):  # wsconn: data timers, progress
            return "other"
        return "parse"
    if any("libcrypto" in d or "libssl" in d for d in dsos):
        return "kread" if kern else "ssl"
    if kern:
        return "kpoll"
    if any("libwebsockets" in d for d in dsos[:3]):
        return "lws"
    return "other"


def classify_stream(lines):
    """Counter of category keys over the samples of `perf script` text LINES."""
    c = collections.Counter()
    comm, fr = None, []

    def flush():
        if comm is not None:
            c[classify(comm, fr)] += 1

    for line in lines:
        if not line.strip():
            flush()
            comm, fr = None, []
            continue
        if not line[0].isspace():
            flush()
            comm, fr = line.split()[0], []
            continue
        m = re.match(r"\s+[0-9a-f]+\s+(\S+)\s+\((.*)\)", line)
        if m:
            fr.append((m.group(1).split("+")[0], m.group(2)))
    flush()
    return c


def main():
    c = classify_stream(sys.stdin)
    tot = sum(c.values()) or 1
    for k, label in CATS:
        print("%5.1f%%  %s" % (100.0 * c[k] / tot, label))
    print("samples %d" % sum(c.values()))


if __name__ == "__main__":
    main()
