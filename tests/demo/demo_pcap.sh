#!/bin/sh
# The demo end to end: replays tests/traces/demo.pcap through parse ->
# firewall -> Maglev with one fault injected into Maglev, then checks the
# output pcap independently (check_demo.py: blocked flows absent, every other
# packet on the backend Maglev picks, checksums valid) and the summary.
. tests/dpdk/lib.sh
DEMO=build/examples/demo
scratch
$DEMO --vdev=net_pcap0,rx_pcap=tests/traces/demo.pcap,tx_pcap=$SCRATCH/out.pcap -- \
	--idle-exit 300 --quiet --inject-fault balance:60 >"$SCRATCH/log" 2>&1 ||
	fail "demo exited with $?: $(tail -5 "$SCRATCH/log")"
expect_no_leak "$SCRATCH/log"
grep -q 'faults:  *1, recovered: 1' "$SCRATCH/log" || fail "no fault and recovery in the summary"
grep -q 'malformed, dropped:  *320 ' "$SCRATCH/log" || fail "malformed frames miscounted: $(grep malformed "$SCRATCH/log")"
$PYTHON tests/demo/check_demo.py tests/traces/demo.pcap "$SCRATCH/out.pcap" "$SCRATCH/log"
