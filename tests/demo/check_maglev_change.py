#!/usr/bin/python3
"""
The Maglev backend change, end to end (tests/demo/maglev_change.sh).

  check_maglev_change.py gen FIRST.pcap SECOND.pcap FULL.pcap
      writes the trace: FIRST opens N_OLD flows (established before the
      change), SECOND continues them and then opens N_NEW flows; FULL is
      both (the input of both runs).  Prints how many packets FIRST holds
      and how many old-flow packets open SECOND: the change is made after
      at least the first count and before the two added up.
  check_maglev_change.py check CHANGED.pcap REFERENCE.pcap NEW_MAC
      CHANGED is the output of the run that added a backend mid-trace,
      REFERENCE that of a run over FULL with the final set from the start
      (so it gives the final table's choice for every flow).

Checked here, with scapy, not with our code: every flow stays on one backend
across the change; the established flows whose final-table backend is the
new one still go to their old one (so the connection table, not luck, kept
them); every new flow goes where the final table sends it, and the new
backend takes its share of them; IP and TCP checksums are valid.
"""
import sys

from scapy.all import IP, TCP, Ether, rdpcap, wrpcap

N_OLD, N_NEW = 300, 300


def flow_pkt(i, seq):
    return (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:fe")
            / IP(src="172.16.%d.%d" % (i // 250, i % 250 + 1), dst="192.0.2.10")
            / TCP(sport=10000 + i, dport=80, seq=seq, flags="A")
            / (b"x" * 16))


def gen(first, second, full):
    a = [flow_pkt(i, s) for s in range(3) for i in range(N_OLD)]
    # The old flows again (more than a burst: the change is made at the
    # first batch boundary at or past len(a) packets, so the burst that
    # straddles it is balanced before the change), then the new ones.
    b = [flow_pkt(i, s) for s in range(3, 5) for i in range(N_OLD)]
    n_old_again = len(b)
    b += [flow_pkt(N_OLD + i, s) for s in range(3) for i in range(N_NEW)]
    wrpcap(first, a)
    wrpcap(second, b)
    wrpcap(full, a + b)
    print(len(a), n_old_again)


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def backends(path, check_sums):
    """flow index -> set of destination MACs, in the order first seen."""
    seen = {}
    for p in rdpcap(path):
        if IP not in p or TCP not in p:
            fail("%s: a non-TCP/IP frame" % path)
        if check_sums:
            ip, tcp = p[IP], p[TCP]
            got_ip, got_tcp = ip.chksum, tcp.chksum
            q = Ether(bytes(p))
            del q[IP].chksum
            del q[TCP].chksum
            q = Ether(bytes(q))
            if q[IP].chksum != got_ip or q[TCP].chksum != got_tcp:
                fail("%s: bad checksum in flow %d" % (path, tcp.sport - 10000))
        seen.setdefault(p[TCP].sport - 10000, set()).add(p[Ether].dst)
    return seen


def check(changed, reference, new_mac):
    got = backends(changed, True)
    ref = backends(reference, False)
    total = N_OLD + N_NEW
    if sorted(got) != list(range(total)) or sorted(ref) != list(range(total)):
        fail("flows missing from the output: %d of %d in %s, %d in %s"
             % (len(got), total, changed, len(ref), reference))
    for f, macs in got.items():
        if len(macs) != 1:
            fail("flow %d went to %s: it changed backend" % (f, sorted(macs)))
    got = {f: next(iter(m)) for f, m in got.items()}
    ref = {f: next(iter(m)) for f, m in ref.items()}

    old = range(N_OLD)
    if any(got[f] == new_mac for f in old):
        fail("an established flow moved to the new backend")
    kept = [f for f in old if ref[f] == new_mac]
    if len(kept) < N_OLD // 10:
        fail("only %d established flows would have moved: test too weak" % len(kept))
    moved_other = [f for f in old if ref[f] != new_mac and got[f] != ref[f]]

    new = range(N_OLD, total)
    wrong = [f for f in new if got[f] != ref[f]]
    if wrong:
        fail("%d new flows not where the new table sends them (e.g. flow %d)"
             % (len(wrong), wrong[0]))
    share = {}
    for f in new:
        share[got[f]] = share.get(got[f], 0) + 1
    if len(share) != 5 or share.get(new_mac, 0) < N_NEW // 10:
        fail("new flows not spread over the 5 backends: %s" % share)
    print("maglev change: %d established flows kept their backend (%d of them "
          "would go to the new one, %d to another); %d new flows over %s"
          % (N_OLD, len(kept), len(moved_other), N_NEW,
             ", ".join("%s=%d" % (m[-2:], n) for m, n in sorted(share.items()))))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "gen":
        gen(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        check(*sys.argv[2:])
    else:
        fail("usage: see the docstring")
