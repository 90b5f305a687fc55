#!/bin/sh
# `ninja demo`: replays the bundled trace (tests/traces/demo.pcap) through
# parse -> firewall -> Maglev into build/demo-out.pcap, with one fault
# injected into the Maglev stage partway (its 60th batch of about 110) to show
# it recovering.  Extra arguments go to the demo after the defaults, e.g.
#     examples/demo/run-demo.sh --rule 'deny 10.1.0.0/16'
# Default EAL arguments: no hugepages, no PCI, the net_pcap port above (see
# runtime/dpdk/pd_eal.h); the run ends by itself at the end of the trace.
set -e
cd "$(dirname "$0")/../.."
exec build/examples/demo --inject-fault balance:60 "$@"
