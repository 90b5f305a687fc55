#!/bin/sh
# tests/traces/demo.pcap is what tests/traces/make_demo_trace.py writes.
. tests/dpdk/lib.sh
scratch
$PYTHON tests/traces/make_demo_trace.py "$SCRATCH/demo.pcap" || fail "the generator failed"
cmp -s "$SCRATCH/demo.pcap" tests/traces/demo.pcap ||
	fail "tests/traces/demo.pcap is stale: run $PYTHON tests/traces/make_demo_trace.py"
echo "ok: demo trace is current"
