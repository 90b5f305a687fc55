#!/bin/sh
# `ninja demo`: replays the bundled trace (tests/traces/demo.pcap) through
# parse -> firewall -> Maglev into build/demo-out.pcap, with one fault
# injected into the Maglev stage partway (its 60th batch of about 110) to show
# it recovering.  Extra arguments go to the demo after the defaults, e.g.
#     examples/demo/run-demo.sh --rule 'deny 10.1.0.0/16'
# Run from the repo root (ninja does).  Default EAL arguments: no hugepages,
# no PCI, the net_pcap port above (see runtime/dpdk/pd_eal.h).
set -e
cd "$(dirname "$0")/../.."
# --idle-exit: the trace is read in milliseconds; stay 1.2 s so that one
# progress line shows before the run ends.
exec build/examples/demo -- --idle-exit 1200 --inject-fault balance:60 "$@"
