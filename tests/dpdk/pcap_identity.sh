#!/bin/bash
# The null pipeline over net_pcap forwards the committed trace unchanged:
# the output pcap holds the input's packets, byte for byte and in order,
# and every mbuf is back in its pool at exit.  Three ways: a worker lcore
# beside the control lcore, a single lcore (the worker runs on the main
# lcore), and with direct calls (the no-isolation baseline).
set -u
. tests/dpdk/lib.sh
scratch

run() {
	local name=$1
	shift
	"$NULLFILTER" --vdev="net_pcap0,rx_pcap=$TRACE,tx_pcap=$SCRATCH/$name.pcap" "$@" \
		>"$SCRATCH/$name.log" 2>&1
	local rc=$?
	cat "$SCRATCH/$name.log"
	[ "$rc" -eq 0 ] || fail "$name: nullfilter exited $rc"
	expect_no_leak "$SCRATCH/$name.log"
	[ "$(stage_field "$SCRATCH/$name.log" f5 3)" = "$TRACE_PACKETS" ] ||
		fail "$name: f5 did not pass $TRACE_PACKETS packets"
	"$PYTHON" tests/dpdk/pcap_compare.py "$TRACE" "$SCRATCH/$name.pcap" ||
		fail "$name: output differs from input"
	echo "ok: $name: output pcap equals input"
}

run worker -l 0-1 -- --idle-exit 300 --quiet
run single-lcore -l 0 -- --idle-exit 300 --quiet --burst 7
run direct -- --idle-exit 300 --quiet --direct
