#!/usr/bin/python3
"""Writes tests/traces/mixed.pcap, the small trace the DPDK end-to-end tests replay.

The trace is deterministic (fixed seed, fixed timestamps) so that regenerating it
gives the same bytes and the committed file can be checked against this script:
    /usr/bin/python3 tests/traces/make_trace.py tests/traces/mixed.pcap
It mixes what a packet pipeline meets: IPv4 and IPv6, UDP, TCP and ICMP, a VLAN
tag, and frame sizes from 60 to 1514 bytes, so that a stage which mangles or
reorders any of them shows up as a byte difference in the output.
"""
import random
import sys

from scapy.all import (ICMP, IP, TCP, UDP, Dot1Q, Ether, IPv6, Raw, wrpcap)

COUNT = 2000


def packet(i, rng):
    eth = Ether(src="02:00:00:00:00:%02x" % (i % 256), dst="02:00:00:00:01:01")
    payload = Raw(bytes(rng.randrange(256) for _ in range(rng.choice([0, 6, 18, 46, 100, 200, 600, 1400]))))
    kind = i % 5
    if kind == 0:
        p = eth / IP(src="10.0.%d.%d" % (i // 256 % 256, i % 256), dst="192.168.1.1") / UDP(sport=1024 + i, dport=53) / payload
    elif kind == 1:
        p = eth / IP(src="10.1.0.%d" % (i % 256), dst="192.168.1.2") / TCP(sport=40000 + i % 1000, dport=80, flags="S", seq=i) / payload
    elif kind == 2:
        p = eth / IP(src="10.2.0.1", dst="192.168.1.3") / ICMP(id=i % 65536, seq=i % 65536) / payload
    elif kind == 3:
        p = eth / IPv6(src="fd00::%x" % (i + 1), dst="fd00::1") / UDP(sport=5000, dport=6000 + i % 100) / payload
    else:
        p = eth / Dot1Q(vlan=100 + i % 10) / IP(src="10.3.0.1", dst="192.168.1.4") / UDP(sport=7, dport=7) / payload
    p.time = 1700000000 + i / 1000.0
    return p


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/traces/mixed.pcap"
    rng = random.Random(4)
    wrpcap(out, [packet(i, rng) for i in range(COUNT)])


if __name__ == "__main__":
    main()
