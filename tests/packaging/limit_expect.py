#!/usr/bin/env python3
"""What the guide's rate limiter must do to a trace with --rate 0 --bucket B.

With no refill each IPv4 source passes its first B packets; every other
frame passes.  Prints "PASSED OVER": the frames that pass, and the IPv4
sources that exceed B (one alert each).  With --count FILE, prints the
number of frames in FILE instead.  Reads classic pcap files only (what
net_pcap writes and the committed traces are).

    limit_expect.py TRACE B
    limit_expect.py --count FILE
"""
import collections
import struct
import sys


def frames(path):
    with open(path, "rb") as f:
        head = f.read(24)
        magic = struct.unpack("<I", head[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            order = "<"
        elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
            order = ">"
        else:
            sys.exit("limit_expect: %s is not a classic pcap file" % path)
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            caplen = struct.unpack(order + "IIII", rec)[2]
            yield f.read(caplen)


def main():
    if sys.argv[1] == "--count":
        print(sum(1 for _ in frames(sys.argv[2])))
        return
    bucket = int(sys.argv[2])
    per_source = collections.Counter()
    other = 0
    for fr in frames(sys.argv[1]):
        # The stage's test: Ethernet type IPv4 and room for the IPv4 header.
        if len(fr) >= 34 and fr[12:14] == b"\x08\x00":
            per_source[fr[26:30]] += 1
        else:
            other += 1
    passed = other + sum(min(n, bucket) for n in per_source.values())
    over = sum(1 for n in per_source.values() if n > bucket)
    print(passed, over)


main()
