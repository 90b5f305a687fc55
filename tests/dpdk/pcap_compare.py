#!/usr/bin/python3
"""Compares the packets of two pcap files, ignoring timestamps.

    pcap_compare.py IN OUT                 OUT's packets equal IN's, in order
    pcap_compare.py IN OUT --lost N --max-run B
        OUT is IN with exactly N packets missing, in order, the missing ones
        in runs of at most B consecutive packets (what dropping whole faulted
        batches of at most B packets looks like)

Reads classic pcap (micro- or nanosecond) with no dependency beyond the
standard library, so the check does not depend on scapy's dissectors.
Prints one line saying what matched or what differed; exit 0 = match.
"""
import argparse
import struct
import sys


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        sys.exit("%s: not a pcap file (%d bytes)" % (path, len(data)))
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        endian = ">"
    else:
        sys.exit("%s: not a pcap file (magic %08x)" % (path, magic))
    out, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--lost", type=int, default=0)
    ap.add_argument("--max-run", type=int, default=0)
    a = ap.parse_args()
    want, got = packets(a.input), packets(a.output)

    if a.lost == 0:
        if want == got:
            print("pcap_compare: %d packets, identical" % len(got))
            return 0
        for i, (w, g) in enumerate(zip(want, got)):
            if w != g:
                print("pcap_compare: packet %d differs (%d vs %d bytes)" % (i, len(w), len(g)))
                return 1
        print("pcap_compare: %d packets in, %d out" % (len(want), len(got)))
        return 1

    # Walk both in order; every input packet not matched next is lost.
    runs, run, j = [], 0, 0
    for w in want:
        if j < len(got) and got[j] == w:
            j += 1
            if run:
                runs.append(run)
            run = 0
        else:
            run += 1
    if run:
        runs.append(run)
    lost = sum(runs)
    if j != len(got):
        print("pcap_compare: output packet %d is not in the input (or out of order)" % j)
        return 1
    if lost != a.lost:
        print("pcap_compare: %d packets lost, expected %d" % (lost, a.lost))
        return 1
    if a.max_run and max(runs) > a.max_run:
        print("pcap_compare: a run of %d lost packets, more than a batch of %d" % (max(runs), a.max_run))
        return 1
    print("pcap_compare: %d of %d packets forwarded in order, %d lost in %d runs" %
          (len(got), len(want), lost, len(runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
