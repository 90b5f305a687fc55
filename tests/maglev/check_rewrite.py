#!/usr/bin/python3
"""Independent check of the Maglev rewrite's output (tests/maglev/checksums.sh).

    check_rewrite.py gen VALID.pcap MALFORMED.pcap
        writes a trace of well-formed TCP/UDP frames (IP and TCP options,
        UDP without checksum, padded minimum-size frames, many flows) and one
        of frames the rewrite must refuse (truncated, IPv6, VLAN, ARP, bad
        IHL and total length, fragments, ICMP, bad TCP offset / UDP length)
    check_rewrite.py check IN.pcap OUT.pcap BACKENDS [--expect-bad I,J,...]
        OUT must be IN with, per frame, only the destination MAC and IPv4
        address changed (to one backend's pair, the same for every frame of a
        flow) and the checksums adjusted; every IPv4, TCP and UDP checksum in
        OUT must equal what scapy recomputes and tshark must flag none.
        --expect-bad: instead, the frames whose checksums are wrong must be
        exactly those (0-based), which is how the script proves it can fail.
    check_rewrite.py corrupt OUT.pcap BAD.pcap
        copies OUT, breaking frame 0's IPv4 checksum, frame 1's TCP/UDP
        checksum and one payload byte of frame 2

Shares no code with the C library: scapy parses and recomputes, tshark
validates.  Exit 0 = pass; every failure is printed.
"""
import random
import subprocess
import sys

from scapy.all import (ARP, Dot1Q, Ether, ICMP, IP, IPv6, Padding, Raw, TCP, UDP,
                       IPOption_NOP, PcapReader, RawPcapWriter, wrpcap)


def gen(valid_path, malformed_path):
    rnd = random.Random(1624)
    eth = Ether(src="02:bb:00:00:00:02", dst="02:aa:00:00:00:01")
    vip = "10.0.0.1"
    frames = []
    flows = []
    for i in range(60):
        src = "192.168.%d.%d" % (rnd.randrange(256), rnd.randrange(1, 255))
        sport = rnd.randrange(1024, 65536)
        flows.append((src, sport, rnd.choice(["tcp", "udp"])))
    for n in range(600):
        src, sport, proto = flows[rnd.randrange(len(flows))]
        ip = IP(src=src, dst=vip, id=rnd.randrange(65536), ttl=64, flags="DF")
        if n % 7 == 0:
            ip.options = [IPOption_NOP()] * 4 * rnd.randrange(1, 10)
        payload = bytes(rnd.randrange(256) for _ in range(rnd.randrange(0, 300)))
        if proto == "tcp":
            l4 = TCP(sport=sport, dport=80, seq=rnd.randrange(2**32), flags="PA")
            if n % 5 == 0:
                l4.options = [("MSS", 1460), ("NOP", None), ("WScale", 7),
                              ("SAckOK", b""), ("Timestamp", (n, 0))]
        else:
            l4 = UDP(sport=sport, dport=53)
            if n % 9 == 0:
                l4.chksum = 0       # "no checksum": must stay 0
        pkt = eth / ip / l4 / Raw(payload)
        if n % 11 == 0:
            # Minimum-size frame with Ethernet padding after the datagram.
            pkt = eth / ip / l4
            pkt = pkt / Padding(b"\0" * max(0, 60 - len(pkt)))
        frames.append(Ether(bytes(pkt)))
    wrpcap(valid_path, frames)

    base = eth / IP(src="192.168.1.1", dst=vip) / TCP(sport=1234, dport=80) / Raw(b"x" * 20)
    raw = bytes(base)

    def patched(off, val):
        b = bytearray(raw)
        b[off] = val
        return bytes(b)

    bad = [
        raw[:13],                                   # no full Ethernet header
        raw[:30],                                   # IPv4 header cut
        raw[:50],                                   # TCP header cut
        raw[:-1],                                   # payload shorter than total length
        bytes(eth / IPv6(src="fe80::1", dst="fe80::2") / TCP()),
        bytes(eth / Dot1Q(vlan=7) / IP(dst=vip) / TCP()),
        bytes(Ether() / ARP()),
        patched(14, 0x44),                          # IHL 4
        patched(14, 0x65),                          # version 6 in an IPv4 frame
        patched(17, 10),                            # total length below IHL
        patched(16, 0xff),                          # total length past the frame
        bytes(eth / IP(dst=vip, flags="MF") / UDP() / Raw(b"y" * 16)),
        bytes(eth / IP(dst=vip, frag=100) / Raw(b"z" * 16)),
        bytes(eth / IP(dst=vip) / ICMP()),
        patched(14 + 20 + 12, 0x40),                # TCP data offset 4
        bytes(eth / IP(dst=vip) / UDP(len=200) / Raw(b"u" * 8)),
    ]
    # Raw writer: scapy cannot dissect some of these, and must not "fix" them.
    with RawPcapWriter(malformed_path, linktype=1) as w:
        for b in bad:
            w.write(b)


def read(path):
    return [bytes(p) for p in PcapReader(path)]


def load_backends(path):
    pairs = {}
    for line in open(path):
        f = line.split()
        if len(f) == 4 and f[0] == "backend":
            pairs[f[2].lower()] = f[3]
    return pairs


def checksum_errors(frame):
    """What is wrong with frame's checksums according to scapy, or []."""
    p = Ether(frame)
    if IP not in p:
        return ["not IPv4 after rewrite"]
    errs = []
    q = Ether(frame)
    del q[IP].chksum
    l4 = TCP if TCP in p else UDP if UDP in p else None
    if l4 is not None:
        del q[l4].chksum
    q = Ether(bytes(q))
    if p[IP].chksum != q[IP].chksum:
        errs.append("IPv4 checksum %#06x, scapy computes %#06x" % (p[IP].chksum, q[IP].chksum))
    if l4 is UDP and p[UDP].chksum == 0:
        return errs                  # no checksum: nothing to verify
    if l4 is not None and p[l4].chksum != q[l4].chksum:
        errs.append("%s checksum %#06x, scapy computes %#06x"
                    % (l4.__name__, p[l4].chksum, q[l4].chksum))
    return errs


def tshark_bad(path):
    """0-based indices of frames tshark's checksum validation flags as bad."""
    cmd = ["tshark", "-r", path, "-o", "ip.check_checksum:TRUE",
           "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
           "-Y", "ip.checksum.status == 0 || tcp.checksum.status == 0"
                 " || udp.checksum.status == 0",
           "-T", "fields", "-e", "frame.number"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("tshark failed: %s" % out.stderr.strip())
    return {int(x) - 1 for x in out.stdout.split()}


def mutable_offsets(frame):
    """Bytes the rewrite may change: dst MAC, dst IP, the two checksums."""
    ihl = (frame[14] & 15) * 4
    l4csum = 14 + ihl + (16 if frame[23] == 6 else 6)
    return set(range(0, 6)) | set(range(30, 34)) | {24, 25, l4csum, l4csum + 1}


def check(in_path, out_path, backends_path, expect_bad=None):
    ins, outs = read(in_path), read(out_path)
    backends = load_backends(backends_path)
    problems = []
    if not backends:
        problems.append("no backends listed in %s" % backends_path)
    if len(ins) != len(outs):
        problems.append("%d frames in, %d out" % (len(ins), len(outs)))
    flow_backend = {}
    bad = set()
    for i, (a, b) in enumerate(zip(ins, outs)):
        if len(a) != len(b):
            problems.append("frame %d: length %d became %d" % (i, len(a), len(b)))
            continue
        pa, pb = Ether(a), Ether(b)
        mac, ip = pb.dst.lower(), pb[IP].dst
        if backends.get(mac) != ip:
            problems.append("frame %d: sent to %s %s, not a backend pair" % (i, mac, ip))
        key = (pa[IP].src, pa[IP].dst, pa[IP].proto, pa.sport, pa.dport)
        if flow_backend.setdefault(key, mac) != mac:
            problems.append("frame %d: flow %s split over backends" % (i, key))
        changed = [o for o in range(len(a)) if a[o] != b[o] and o not in mutable_offsets(a)]
        # A frame corrupted on purpose (--expect-bad) may differ anywhere.
        if changed and not (expect_bad and i in expect_bad):
            problems.append("frame %d: bytes %s changed" % (i, changed[:8]))
        if UDP in pa and pa[UDP].chksum == 0 and pb[UDP].chksum != 0:
            problems.append("frame %d: UDP checksum 0 (none) became %#06x" % (i, pb[UDP].chksum))
        errs = checksum_errors(b)
        if errs:
            bad.add(i)
            if expect_bad is None:
                problems.append("frame %d: %s" % (i, "; ".join(errs)))
    tbad = tshark_bad(out_path)
    if expect_bad is not None:
        if bad != expect_bad:
            problems.append("scapy flags frames %s, expected exactly %s"
                            % (sorted(bad), sorted(expect_bad)))
        if tbad != expect_bad:
            problems.append("tshark flags frames %s, expected exactly %s"
                            % (sorted(tbad), sorted(expect_bad)))
    elif tbad:
        problems.append("tshark flags bad checksums in frames %s" % sorted(tbad))
    for p in problems:
        print(p)
    used = sorted(set(flow_backend.values()))
    print("%s: %d frames, %d flows over %d backends, %d with bad checksums (scapy), "
          "%d (tshark): %s" % (out_path, len(outs), len(flow_backend), len(used), len(bad),
                               len(tbad), "FAIL" if problems else "ok"))
    return 1 if problems else 0


def corrupt(out_path, bad_path):
    frames = [bytearray(f) for f in read(out_path)]
    if len(frames) < 3:
        sys.exit("corrupt: need at least 3 frames")
    frames[0][24] ^= 0x01                               # IPv4 header checksum
    f = frames[1]
    ihl = (f[14] & 15) * 4
    f[14 + ihl + (16 if f[23] == 6 else 6)] ^= 0x40     # TCP/UDP checksum
    # A payload byte of frame 2 (past every header; frames have >= 1 byte
    # of L4 payload or padding is not guaranteed, so use the last L4 byte).
    f = frames[2]
    total = (f[16] << 8) | f[17]
    f[14 + total - 1] ^= 0x5a
    wrpcap(bad_path, [Ether(bytes(x)) for x in frames])


def main(argv):
    if len(argv) == 4 and argv[1] == "gen":
        gen(argv[2], argv[3])
        return 0
    if len(argv) in (5, 7) and argv[1] == "check":
        expect = None
        if len(argv) == 7 and argv[5] == "--expect-bad":
            expect = {int(x) for x in argv[6].split(",")}
        return check(argv[2], argv[3], argv[4], expect)
    if len(argv) == 4 and argv[1] == "corrupt":
        corrupt(argv[2], argv[3])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
