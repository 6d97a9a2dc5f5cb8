#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Counts the pixels of a screenshot near each given colour (RRGGBB), so a
test can tell a chart with data from an empty one.  A small PNG reader
(8-bit RGB/RGBA, non-interlaced, as Chromium writes) on zlib alone.
Usage: pngcheck.py FILE.png RRGGBB:MIN [RRGGBB:MIN...]; exit 1 when a colour
has fewer than MIN pixels."""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("%s: not a PNG" % path)
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                sys.exit("%s: unsupported PNG (depth %d, colour type %d)" % (path, depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    w, h, bpp, rows = read_png(sys.argv[1])
    want = []
    for arg in sys.argv[2:]:
        col, mn = arg.split(":")
        want.append(((int(col[0:2], 16), int(col[2:4], 16), int(col[4:6], 16)), int(mn), col))
    counts = [0] * len(want)
    for row in rows:
        for x in range(0, w * bpp, bpp):
            r, g, b = row[x], row[x + 1], row[x + 2]
            for i, ((wr, wg, wb), _, _) in enumerate(want):
                if abs(r - wr) + abs(g - wg) + abs(b - wb) < 40:
                    counts[i] += 1
    bad = 0
    for (rgb, mn, col), n in zip(want, counts):
        print("%s: %d pixels (want >= %d)" % (col, n, mn))
        bad |= n < mn
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
