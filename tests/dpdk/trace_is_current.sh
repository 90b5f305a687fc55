#!/bin/bash
# The committed trace is exactly what its committed script writes, so the
# end-to-end tests replay a file anyone can regenerate and review.
set -u
. tests/dpdk/lib.sh
scratch

"$PYTHON" tests/traces/make_trace.py "$SCRATCH/mixed.pcap" || fail "make_trace.py failed"
cmp -s "$SCRATCH/mixed.pcap" "$TRACE" ||
	fail "$TRACE is stale: run $PYTHON tests/traces/make_trace.py $TRACE"
echo "ok: $TRACE is what tests/traces/make_trace.py writes"
