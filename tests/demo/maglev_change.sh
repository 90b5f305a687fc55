#!/bin/sh
# Backends changed at run time through the balancer rref (issue 7):
# build/examples/maglev balances a trace whose first part opens flows and
# whose second part continues them and then opens new ones; it adds backend
# be5 between two batches (--change-after, run by the worker through the
# generated proxy) once it has received the whole first part, which lands
# inside the stretch of old-flow packets before the new flows.  The change
# is tied to a packet count, not to the clock: the input is a plain pcap
# file (no named pipe, no writer that pauses), so load cannot move it.
# A reference run over the same trace with be1..be5 from the start gives
# the final table's choices; check_maglev_change.py compares (with scapy).
# About 3 s.
. tests/dpdk/lib.sh
MAGLEV=build/examples/maglev
export PD_SNAP_CHECK=1          # every commit checks the stage pd_touch'ed what it wrote
BE5=be5,02:00:00:00:10:05,10.10.0.5
scratch; [ -n "$KEEP" ] && trap - EXIT && echo "$SCRATCH"
COUNTS=$($PYTHON tests/demo/check_maglev_change.py gen "$SCRATCH/a.pcap" "$SCRATCH/b.pcap" \
	"$SCRATCH/full.pcap") || fail "cannot write the trace"
set -- $COUNTS
FIRST=$1 OLD_AGAIN=$2
# Any burst up to OLD_AGAIN packets keeps the change inside the old flows.
$MAGLEV --vdev=net_pcap0,rx_pcap=$SCRATCH/full.pcap,tx_pcap=$SCRATCH/changed.pcap -- \
	--idle-exit 300 --quiet --burst 32 --change-after $FIRST:add:$BE5 >"$SCRATCH/log" 2>&1 ||
	fail "maglev exited with $?: $(tail -5 "$SCRATCH/log")"
expect_no_leak "$SCRATCH/log"
expect_touched "$SCRATCH/log"
LINE=$(grep 'added backend be5: ok' "$SCRATCH/log") ||
	fail "the change was not made: $(grep maglev: "$SCRATCH/log")"
AT=$(echo "$LINE" | sed -n 's/.* after \([0-9]*\) packets:.*/\1/p')
[ -n "$AT" ] && [ "$AT" -ge "$FIRST" ] && [ "$AT" -lt $((FIRST + OLD_AGAIN)) ] ||
	fail "the change was made after ${AT:-?} packets, not in [$FIRST, $((FIRST + OLD_AGAIN)))"

$MAGLEV --vdev=net_pcap0,rx_pcap=$SCRATCH/full.pcap,tx_pcap=$SCRATCH/ref.pcap -- \
	--idle-exit 300 --quiet --backend be1,02:00:00:00:10:01,10.10.0.1 \
	--backend be2,02:00:00:00:10:02,10.10.0.2 --backend be3,02:00:00:00:10:03,10.10.0.3 \
	--backend be4,02:00:00:00:10:04,10.10.0.4 --backend $BE5 >"$SCRATCH/ref.log" 2>&1 ||
	fail "reference run exited with $?: $(tail -5 "$SCRATCH/ref.log")"
$PYTHON tests/demo/check_maglev_change.py check "$SCRATCH/changed.pcap" "$SCRATCH/ref.pcap" \
	02:00:00:00:10:05
