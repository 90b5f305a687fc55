#!/usr/bin/python3
"""Writes tests/traces/demo.pcap, the trace `ninja demo` replays through
parse -> firewall -> Maglev.

Deterministic (fixed seed, fixed timestamps), so the committed file can be
checked against this script:
    /usr/bin/python3 tests/traces/make_demo_trace.py tests/traces/demo.pcap
Well-formed packets belong to FLOWS TCP/UDP flows towards the virtual IP
192.168.100.1, from source prefixes the demo's firewall rules treat
differently (see examples/demo/main.c and tests/demo/check_demo.py):
    10.1.0.0/16      allowed (an explicit allow rule)
    10.66.0.0/16     denied, except 10.66.7.0/24, allowed (longer prefix)
    172.16.0.0/12    denied
    any source, TCP to port 23: denied
Between them, MALFORMED frames the parse stage must drop: truncated
Ethernet/IPv4/TCP/UDP headers, IPv6, VLAN-tagged IPv4, ARP, IPv4 with a
total length beyond the frame, IHL below 5, runts.
"""
import random
import struct
import sys

from scapy.all import ARP, IP, TCP, UDP, Dot1Q, Ether, IPv6, Raw

FLOWS = 240
PACKETS = 3200
MALFORMED = 320
VIP = "192.168.100.1"
LB_MAC = "02:00:00:00:00:01"


def make_flows(rng):
    flows = []
    for i in range(FLOWS):
        kind = i % 8
        if kind in (0, 1, 2, 3):
            src = "10.1.%d.%d" % (rng.randrange(256), rng.randrange(1, 255))
        elif kind == 4:
            src = "10.66.%d.%d" % (rng.choice([1, 2, 9, 200]), rng.randrange(1, 255))
        elif kind == 5:
            src = "10.66.7.%d" % rng.randrange(1, 255)
        elif kind == 6:
            src = "172.%d.%d.%d" % (rng.randrange(16, 32), rng.randrange(256), rng.randrange(1, 255))
        else:
            src = "10.9.%d.%d" % (rng.randrange(256), rng.randrange(1, 255))
        proto = rng.choice(["tcp", "tcp", "udp"])
        dport = rng.choice([80, 443, 8080]) if proto == "tcp" else rng.choice([53, 5000])
        if i % 16 == 3:
            proto, dport = "tcp", 23        # telnet: denied from anywhere
        flows.append((src, rng.randrange(1024, 65536), proto, dport, i))
    return flows


def good(flow, seq, rng):
    src, sport, proto, dport, i = flow
    eth = Ether(src="02:00:00:%02x:%02x:%02x" % (i >> 16 & 255, i >> 8 & 255, i & 255), dst=LB_MAC)
    payload = Raw(bytes(rng.randrange(256) for _ in range(rng.choice([0, 10, 64, 200, 400]))))
    l4 = TCP(sport=sport, dport=dport, flags="A", seq=1000 + seq) if proto == "tcp" \
        else UDP(sport=sport, dport=dport)
    return bytes(eth / IP(src=src, dst=VIP, id=seq & 0xffff) / l4 / payload)


def malformed(k, rng):
    eth = Ether(src="02:00:00:99:00:01", dst=LB_MAC)
    ip = IP(src="10.1.1.1", dst=VIP)
    kind = k % 9
    if kind == 0:       # Ethernet header cut short
        return bytes(eth / ip / UDP())[:10]
    if kind == 1:       # IPv4 header cut short
        return bytes(eth / ip / UDP(sport=1, dport=2))[:14 + 12]
    if kind == 2:       # TCP header cut short
        return bytes(eth / ip / TCP(sport=3, dport=80))[:14 + 20 + 8]
    if kind == 3:       # UDP header cut short
        return bytes(eth / ip / UDP(sport=3, dport=53))[:14 + 20 + 5]
    if kind == 4:
        return bytes(eth / IPv6(src="fd00::1", dst="fd00::2") / UDP(sport=5, dport=53) / Raw(b"x" * 20))
    if kind == 5:
        return bytes(eth / Dot1Q(vlan=7) / ip / UDP(sport=5, dport=53) / Raw(b"x" * 20))
    if kind == 6:
        return bytes(eth / ARP(psrc="10.1.1.1", pdst="10.1.1.2"))
    if kind == 7:       # total length beyond the frame
        return bytes(eth / IP(src="10.1.1.1", dst=VIP, len=900) / UDP(sport=5, dport=53) / Raw(b"y" * 30))
    return bytes(eth / IP(src="10.1.1.1", dst=VIP, ihl=3) / UDP(sport=5, dport=53) / Raw(b"z" * 30))


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for n, frame in enumerate(frames):
            sec, usec = 1700000000 + n // 1000, (n % 1000) * 1000
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(frame)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/traces/demo.pcap"
    rng = random.Random(7)
    flows = make_flows(rng)
    frames = [good(flows[rng.randrange(FLOWS)], n, rng) for n in range(PACKETS)]
    for k in range(MALFORMED):
        frames.insert(rng.randrange(len(frames) + 1), malformed(k, rng))
    write_pcap(out, frames)


if __name__ == "__main__":
    main()
