#!/usr/bin/python3
"""wsclient: a small, independent WebSocket client (Python standard library only)
for mockx's tests. It sees what library clients hide: ping payloads, whether a
close frame came before EOF, fragmented sends, a TLS handshake that never ends.

As a module: WS(port, path=..., ca=..., headers=...) then send/recv.
As a program: wsclient.py --port P --ca CA [--path /] [--send TEXT]... [--count N]
[--seconds S]: prints every received message as one JSON line
{"op":"text"|"ping"|"close"|"eof","data":...}."""
import argparse
import base64
import json
import os
import socket
import ssl
import struct
import sys
import time


class HandshakeError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body


def tls_context(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def http_get(port, path, ca, host="localhost", timeout=10):
    """One HTTPS GET; returns (status, body bytes)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s = tls_context(ca).wrap_socket(raw, server_hostname=host)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        try:
            b = s.recv(65536)
        except (ssl.SSLError, ConnectionResetError):
            break
        if not b:
            break
        data += b
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    hdrs = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        hdrs[k.strip().lower().decode()] = v.strip().decode()
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        out, rest = b"", body
        while rest:
            ln, _, rest = rest.partition(b"\r\n")
            n = int(ln, 16)
            if n == 0:
                break
            out += rest[:n]
            rest = rest[n + 2:]
        body = out
    elif "content-length" in hdrs:
        body = body[: int(hdrs["content-length"])]
    return status, body


class WS:
    def __init__(self, port, path="/", ca=None, headers=None, host="localhost", timeout=10,
                 auto_pong=True):
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock = tls_context(ca).wrap_socket(raw, server_hostname=host)
        self.auto_pong = auto_pong
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        req = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
               "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        for k, v in (headers or {}).items():
            req.append(f"{k}: {v}")
        self.sock.sendall(("\r\n".join(req) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            b = self.sock.recv(4096)
            if not b:
                raise HandshakeError(0, b"")
            self.buf += b
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        if status != 101:
            raise HandshakeError(status, self.buf)

    def _send_frame(self, op, payload, fin=True):
        mask = os.urandom(4)
        n = len(payload)
        hdr = bytes([(0x80 if fin else 0) | op])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack("!Q", n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(hdr + mask + body)

    def send(self, text, fragments=1):
        data = text.encode() if isinstance(text, str) else text
        if fragments <= 1:
            return self._send_frame(1, data)
        step = max(1, len(data) // fragments)
        parts = [data[i:i + step] for i in range(0, len(data), step)]
        for i, p in enumerate(parts):
            self._send_frame(1 if i == 0 else 0, p, fin=i == len(parts) - 1)
            time.sleep(0.02)

    def ping(self, payload=b"x"):
        self._send_frame(9, payload)

    def _read(self, n):
        while len(self.buf) < n:
            b = self.sock.recv(1 << 20)
            if not b:
                raise EOFError
            self.buf += b
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_frame(self):
        """One frame: (opcode, fin, payload bytes). EOFError on TCP end."""
        h = self._read(2)
        fin, op, n = h[0] & 0x80, h[0] & 0x0F, h[1] & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        if h[1] & 0x80:
            mask = self._read(4)
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(self._read(n)))
        else:
            data = self._read(n)
        return op, bool(fin), data

    def recv(self, timeout=None):
        """Next message: ("text", str) / ("ping", bytes) / ("pong", bytes) /
        ("close", bytes) / ("eof", None) / ("timeout", None)."""
        if timeout is not None:
            self.sock.settimeout(timeout)
        msg = b""
        try:
            while True:
                op, fin, data = self.recv_frame()
                if op == 9:
                    if self.auto_pong:
                        self._send_frame(10, data)
                    return "ping", data
                if op == 10:
                    return "pong", data
                if op == 8:
                    return "close", data
                msg += data
                if fin:
                    return "text", msg.decode("utf-8", "replace")
        except (socket.timeout, TimeoutError):
            return "timeout", None
        except (EOFError, ConnectionResetError, ssl.SSLError, BrokenPipeError):
            return "eof", None

    def texts(self, n, timeout=10):
        """The next N text messages as parsed JSON (raises on timeout/eof)."""
        out, end = [], time.time() + timeout
        while len(out) < n:
            kind, data = self.recv(max(0.05, end - time.time()))
            if kind == "text":
                out.append(json.loads(data))
            elif kind in ("timeout", "eof", "close"):
                raise RuntimeError(f"{kind} after {len(out)} of {n} messages")
        return out

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--path", default="/")
    ap.add_argument("--send", action="append", default=[])
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=5)
    a = ap.parse_args()
    ws = WS(a.port, a.path, a.ca)
    for s in a.send:
        ws.send(s)
    n, end = 0, time.time() + a.seconds
    while time.time() < end and (a.count == 0 or n < a.count):
        kind, data = ws.recv(max(0.05, end - time.time()))
        if kind == "timeout":
            break
        rec = {"op": kind, "data": data.decode("latin1") if isinstance(data, bytes) else data}
        print(json.dumps(rec), flush=True)
        if kind in ("eof", "close"):
            break
        if kind == "text":
            n += 1
    ws.close()


if __name__ == "__main__":
    sys.exit(main())
