#!/usr/bin/python3
"""pngcheck.py FILE MIN_BYTES WIDTH HEIGHT: exit 0 if FILE is a PNG (magic, IHDR)
of exactly WIDTHxHEIGHT and at least MIN_BYTES; used by the t_plot_* tests."""
import struct, sys
path, min_bytes, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
data = open(path, "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG (magic)"
assert data[12:16] == b"IHDR", "no IHDR first"
pw, ph = struct.unpack(">II", data[16:24])
assert (pw, ph) == (w, h), "size %dx%d, want %dx%d" % (pw, ph, w, h)
assert len(data) >= min_bytes, "only %d bytes (want >= %d): an empty plot?" % (len(data), min_bytes)
assert data[-8:-4] == b"IEND", "truncated (no IEND)"
print("png ok: %dx%d, %d bytes" % (pw, ph, len(data)))
