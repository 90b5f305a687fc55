#!/usr/bin/python3
"""
Maglev across faults, end to end (tests/demo/maglev_fault.sh), checked
against the independent Python Maglev of check_demo.py, not against PDL:

  check_maglev_fault.py FAULTED.pcap
      FAULTED is the output of the run over check_maglev_change.py's trace
      that added be5 after the first part and faulted the stage twice
      after that.  Every established flow (opened under be1..be4) must have
      gone, every time, to the backend Maglev picks for it among be1..be4;
      every new flow to its pick among be1..be5.  Flows that lost packets
      to the faulted batches are fine; a flow missing entirely is not.
"""
import os
import sys

from scapy.all import IP, TCP, Ether, rdpcap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_demo import maglev_table, pick  # noqa: E402
from check_maglev_change import N_OLD, N_NEW, fail  # noqa: E402


VIP = "192.0.2.10"       # check_maglev_change.py's flows all go to it


def main(path):
    before = maglev_table(["be1", "be2", "be3", "be4"])
    after = maglev_table(["be1", "be2", "be3", "be4", "be5"])
    seen = {}
    for p in rdpcap(path):
        if IP not in p or TCP not in p:
            fail("a non-TCP/IP frame in the output")
        mac = p[Ether].dst
        if not mac.startswith("02:00:00:00:10:"):
            fail("a frame to %s, no backend's MAC" % mac)
        flow = p[TCP].sport - 10000
        table = before if flow < N_OLD else after
        # the rewrite changed the destination to the backend's: the trace's was VIP
        want = pick(table, p[IP].src, VIP, p[TCP].sport, p[TCP].dport, 6)
        got = "be%d" % int(mac[-2:], 16)
        if got != want:
            fail("flow %d (%s) went to %s; Maglev picks %s for it among %s"
                 % (flow, "established" if flow < N_OLD else "new", got, want,
                    "be1..be4" if flow < N_OLD else "be1..be5"))
        seen[flow] = got
    if len(seen) != N_OLD + N_NEW:
        fail("%d flows in the output, not %d" % (len(seen), N_OLD + N_NEW))
    moved = sum(1 for f in range(N_OLD)
                if pick(after, "172.16.%d.%d" % (f // 250, f % 250 + 1), VIP,
                        10000 + f, 80, 6) != seen[f])
    print("maglev across faults: %d established flows on their be1..be4 pick (%d of them "
          "not the be1..be5 pick), %d new flows on their be1..be5 pick (Python Maglev)"
          % (N_OLD, moved, N_NEW))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail("usage: check_maglev_fault.py FAULTED.pcap")
    main(sys.argv[1])
