#!/usr/bin/python3
"""Checks the demo's output pcap against what the input trace must produce,
computed here independently of PDL's C code:

  - which frames are well-formed IPv4 TCP/UDP (scapy's dissection),
  - which the firewall rules block (the rules of examples/demo/main.c,
    re-implemented: longest source prefix wins, first added among equals,
    no match = allow),
  - which backend Maglev picks (NSDI'16 table population re-implemented over
    XXH64/XXH3 written out below from the xxHash spec),

then requires that every output packet is an allowed input packet, rewritten
to exactly its expected backend (MAC and IP) and otherwise unchanged, with
valid IPv4 and TCP/UDP checksums (recomputed by scapy); that no blocked or
malformed packet came out; that the only allowed packets missing are the ones
the demo reports lost with its faulted batch, and they are one batch at most;
and that every flow stayed on one backend.

usage: check_demo.py TRACE OUT.pcap DEMO_STDOUT
"""
import ipaddress
import re
import struct
import sys

from scapy.all import IP, TCP, UDP, Ether, rdpcap

M64 = (1 << 64) - 1

# ---- xxHash (XXH64 for names < 32 bytes, XXH3_64bits for 9..16 bytes) ----
P1, P2, P3 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
P4, P5 = 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5


def rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & M64


def xxh64_short(data, seed):
    assert len(data) < 32
    h = (seed + P5 + len(data)) & M64
    i = 0
    while len(data) - i >= 8:
        k = struct.unpack_from("<Q", data, i)[0]
        k = (rotl((k * P2) & M64, 31) * P1) & M64
        h = ((rotl(h ^ k, 27) * P1) + P4) & M64
        i += 8
    if len(data) - i >= 4:
        h ^= (struct.unpack_from("<I", data, i)[0] * P1) & M64
        h = ((rotl(h, 23) * P2) + P3) & M64
        i += 4
    while i < len(data):
        h ^= (data[i] * P5) & M64
        h = (rotl(h, 11) * P1) & M64
        i += 1
    h ^= h >> 33
    h = (h * P2) & M64
    h ^= h >> 29
    h = (h * P3) & M64
    return h ^ (h >> 32)


SECRET_24_56 = bytes([
    0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f, 0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78,
    0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21, 0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e])


def xxh3_9to16(data):
    assert 9 <= len(data) <= 16
    s = struct.unpack("<4Q", SECRET_24_56)
    lo = struct.unpack_from("<Q", data, 0)[0] ^ (s[0] ^ s[1])
    hi = struct.unpack_from("<Q", data, len(data) - 8)[0] ^ (s[2] ^ s[3])
    prod = lo * hi
    swapped = int.from_bytes(lo.to_bytes(8, "little"), "big")
    acc = (len(data) + swapped + hi + ((prod & M64) ^ (prod >> 64))) & M64
    acc ^= acc >> 37
    acc = (acc * 0x165667919E3779F9) & M64
    return acc ^ (acc >> 32)


# ---- Maglev (NSDI'16 section 3.4, Pseudocode 1) ----
SEED_OFFSET, SEED_SKIP = 0x6d61676c65763031, 0x6d61676c65763032
BACKENDS = [("be%d" % i, "02:00:00:00:10:%02x" % i, "10.10.0.%d" % i) for i in range(1, 5)]


def maglev_table(names, m=65537):
    names = sorted(names)
    perm = [(xxh64_short(n.encode(), SEED_OFFSET) % m,
             xxh64_short(n.encode(), SEED_SKIP) % (m - 1) + 1) for n in names]
    nxt = [o for o, _ in perm]
    entry = [None] * m
    filled = 0
    while True:
        for i, n in enumerate(names):
            c = nxt[i]
            while entry[c] is not None:
                c = (c + perm[i][1]) % m
            entry[c] = n
            nxt[i] = (c + perm[i][1]) % m
            filled += 1
            if filled == m:
                return entry


def pick(table, src, dst, sport, dport, proto):
    key = (ipaddress.IPv4Address(src).packed + ipaddress.IPv4Address(dst).packed
           + struct.pack("!HH", sport, dport) + bytes([proto]))
    h = xxh3_9to16(key)
    return table[((h >> 32) * len(table)) >> 32]


# ---- the firewall rules of examples/demo/main.c ----
RULES = [  # (allow, src, dst, proto, port range)
    (False, "0.0.0.0/0", "0.0.0.0/0", 6, (23, 23)),
    (False, "10.1.0.0/16", "0.0.0.0/0", 6, (23, 23)),
    (True, "10.1.0.0/16", "192.168.100.0/24", 0, (0, 65535)),
    (False, "10.66.0.0/16", "0.0.0.0/0", 0, (0, 65535)),
    (True, "10.66.7.0/24", "0.0.0.0/0", 0, (0, 65535)),
    (False, "172.16.0.0/12", "0.0.0.0/0", 0, (0, 65535)),
]


def firewall_allows(src, dst, proto, dport):
    best, best_len = None, -1
    for allow, s, d, p, (lo, hi) in RULES:
        s, d = ipaddress.IPv4Network(s), ipaddress.IPv4Network(d)
        if (ipaddress.IPv4Address(src) in s and ipaddress.IPv4Address(dst) in d
                and p in (0, proto) and lo <= dport <= hi and s.prefixlen > best_len):
            best, best_len = allow, s.prefixlen
    return True if best is None else best


def well_formed(raw):
    """An Ethernet/IPv4/TCP-or-UDP frame whose headers all fit, unfragmented."""
    if len(raw) < 34 or raw[12:14] != b"\x08\x00":
        return False
    ihl, total = (raw[14] & 15) * 4, struct.unpack_from("!H", raw, 16)[0]
    if raw[14] >> 4 != 4 or ihl < 20 or total < ihl or 14 + total > len(raw):
        return False
    if struct.unpack_from("!H", raw, 20)[0] & 0x3fff:
        return False
    proto, l4 = raw[23], total - ihl
    if proto == 6:
        return l4 >= 20 and (raw[14 + ihl + 12] >> 4) * 4 >= 20 and (raw[14 + ihl + 12] >> 4) * 4 <= l4
    if proto == 17:
        return l4 >= 8 and 8 <= struct.unpack_from("!H", raw, 14 + ihl + 4)[0] <= l4
    return False


def checksums_valid(pkt):
    ip = pkt[IP]
    fresh = Ether(bytes(pkt))
    del fresh[IP].chksum
    l4 = TCP if TCP in pkt else UDP
    if l4 is UDP and pkt[UDP].chksum == 0:
        return Ether(bytes(fresh))[IP].chksum == ip.chksum
    del fresh[l4].chksum
    again = Ether(bytes(fresh))
    return again[IP].chksum == ip.chksum and again[l4].chksum == pkt[l4].chksum


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    trace, out, log = sys.argv[1:4]
    text = open(log).read()
    m = re.search(r"lost with the faulted batches: (\d+) packets", text)
    if not m:
        fail("the demo printed no summary")
    lost = int(m.group(1))

    table = maglev_table([b[0] for b in BACKENDS])
    by_name = {b[0]: b for b in BACKENDS}
    expected = {}       # ip.id -> (backend name, original frame)
    blocked = malformed = 0
    for p in rdpcap(trace):
        raw = bytes(p)
        if not well_formed(raw):
            malformed += 1
            continue
        e = Ether(raw)
        l4 = e[TCP] if TCP in e else e[UDP]
        if not firewall_allows(e[IP].src, e[IP].dst, e[IP].proto, l4.dport):
            blocked += 1
            continue
        expected[e[IP].id] = (pick(table, e[IP].src, e[IP].dst, l4.sport, l4.dport, e[IP].proto), raw)

    seen, flow_backend, per_backend = [], {}, {}
    for p in rdpcap(out):
        if IP not in p or p[IP].id not in expected:
            fail("an output packet that should not be there: %r" % p.summary())
        name, raw = expected[p[IP].id]
        _, mac, ip = by_name[name]
        if p[Ether].dst != mac or p[IP].dst != ip:
            fail("packet id %d went to %s/%s, Maglev picks %s (%s/%s)"
                 % (p[IP].id, p[Ether].dst, p[IP].dst, name, mac, ip))
        if not checksums_valid(p):
            fail("packet id %d has a bad IPv4 or L4 checksum" % p[IP].id)
        orig = Ether(raw)
        orig[Ether].dst, orig[IP].dst = mac, ip
        del orig[IP].chksum
        l4 = TCP if TCP in orig else UDP
        if not (l4 is UDP and orig[UDP].chksum == 0):
            del orig[l4].chksum
        if bytes(orig) != bytes(p):
            fail("packet id %d changed beyond its destination" % p[IP].id)
        flow = (p[IP].src, p[l4].sport, p[l4].dport, p[IP].proto)
        if flow_backend.setdefault(flow, name) != name:
            fail("flow %r went to two backends" % (flow,))
        per_backend[name] = per_backend.get(name, 0) + 1
        seen.append(p[IP].id)

    if len(seen) != len(set(seen)):
        fail("a packet came out twice")
    missing = sorted(set(expected) - set(seen))
    if len(missing) != lost:
        fail("%d allowed packets missing, the demo reports %d lost to the fault" % (len(missing), lost))
    if lost > 32:
        fail("more than one batch lost to the fault")
    order = sorted(expected)
    if seen != [i for i in order if i not in set(missing)]:
        fail("packets reordered")
    if len(per_backend) != len(BACKENDS) or min(per_backend.values()) < len(seen) / len(BACKENDS) / 3:
        fail("backends unbalanced: %r" % per_backend)
    print("ok: %d forwarded to their Maglev backends %r, %d blocked, %d malformed, "
          "%d lost with the faulted batch, %d flows each on one backend"
          % (len(seen), per_backend, blocked, malformed, lost, len(flow_backend)))


if __name__ == "__main__":
    main()
