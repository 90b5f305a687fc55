#!/bin/sh
# Backends changed at run time through the balancer rref (issue 7):
# build/examples/maglev reads a trace from a pipe; the first half opens
# flows, then the writer pauses, the program adds backend be5 at 0.5 s
# (--change-at, run by the worker between batches through the generated
# proxy), and the second half continues the old flows and opens new ones.
# A reference run over the whole trace with be1..be5 from the start gives
# the final table's choices; check_maglev_change.py compares (with scapy).
# About 5 s.
. tests/dpdk/lib.sh
MAGLEV=build/examples/maglev
BE5=be5,02:00:00:00:10:05,10.10.0.5
scratch; [ -n "$KEEP" ] && trap - EXIT && echo "$SCRATCH"
$PYTHON tests/demo/check_maglev_change.py gen "$SCRATCH/a.pcap" "$SCRATCH/b.pcap" \
	"$SCRATCH/full.pcap" || fail "cannot write the trace"
mkfifo "$SCRATCH/in.pcap"
# The pcap header and first half, a pause past the change, the second half
# (without its own header).
( cat "$SCRATCH/a.pcap"; sleep 1.5; tail -c +25 "$SCRATCH/b.pcap" ) >"$SCRATCH/in.pcap" &
WRITER=$!
$MAGLEV --vdev=net_pcap0,rx_pcap=$SCRATCH/in.pcap,tx_pcap=$SCRATCH/changed.pcap -- \
	--idle-exit 2500 --quiet --change-at 0.5:add:$BE5 >"$SCRATCH/log" 2>&1 ||
	fail "maglev exited with $?: $(tail -5 "$SCRATCH/log")"
wait $WRITER
expect_no_leak "$SCRATCH/log"
grep -q 'added backend be5: ok' "$SCRATCH/log" || fail "the change was not made: $(grep maglev: "$SCRATCH/log")"

$MAGLEV --vdev=net_pcap0,rx_pcap=$SCRATCH/full.pcap,tx_pcap=$SCRATCH/ref.pcap -- \
	--idle-exit 300 --quiet --backend be1,02:00:00:00:10:01,10.10.0.1 \
	--backend be2,02:00:00:00:10:02,10.10.0.2 --backend be3,02:00:00:00:10:03,10.10.0.3 \
	--backend be4,02:00:00:00:10:04,10.10.0.4 --backend $BE5 >"$SCRATCH/ref.log" 2>&1 ||
	fail "reference run exited with $?: $(tail -5 "$SCRATCH/ref.log")"
$PYTHON tests/demo/check_maglev_change.py check "$SCRATCH/changed.pcap" "$SCRATCH/ref.pcap" \
	02:00:00:00:10:05
