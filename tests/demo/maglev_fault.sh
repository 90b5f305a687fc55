#!/bin/sh
# Maglev keeps its connections across a fault (issue 13): the trace of
# maglev_change.sh (flows opened, continued, then new flows), backend be5
# added once the first part is in, and the Maglev stage faulted at its 34th
# batch - among the established flows' packets after the change - and its
# 68th, among the new flows.  The domain is `on_fault restore`: its state
# (backends by id, connection table) comes back from the checkpoint taken
# right after the change (or the periodic one at batch 64), so every
# established flow stays on the backend the Python Maglev (check_demo.py)
# picks for it among be1..be4, and every new flow goes to its pick among
# be1..be5 (check_maglev_fault.py) - with the faulted batches' packets
# missing and nothing else; and, as in maglev_change.sh, against a
# reference run with be1..be5 from the start.  A reset would forget be5 and
# the flows.  About 4 s.
. tests/dpdk/lib.sh
MAGLEV=${MAGLEV:-build/examples/maglev}
export PD_SNAP_CHECK=1          # every commit checks the stage pd_touch'ed what it wrote
BE5=be5,02:00:00:00:10:05,10.10.0.5
scratch; [ -n "$KEEP" ] && trap - EXIT && echo "$SCRATCH"
COUNTS=$($PYTHON tests/demo/check_maglev_change.py gen "$SCRATCH/a.pcap" "$SCRATCH/b.pcap" \
	"$SCRATCH/full.pcap") || fail "cannot write the trace"
set -- $COUNTS
FIRST=$1
$MAGLEV --vdev=net_pcap0,rx_pcap=$SCRATCH/full.pcap,tx_pcap=$SCRATCH/faulted.pcap -- \
	--idle-exit 300 --quiet --burst 32 --change-after $FIRST:add:$BE5 \
	--inject-fault balance:34 >"$SCRATCH/log" 2>&1 ||
	fail "maglev exited with $?: $(tail -5 "$SCRATCH/log")"
expect_no_leak "$SCRATCH/log"
expect_touched "$SCRATCH/log"
grep -q 'added backend be5: ok' "$SCRATCH/log" ||
	fail "the change was not made: $(grep maglev: "$SCRATCH/log")"
FAULTS=$(stage_field "$SCRATCH/log" balance 6)
RESTORES=$(awk '$1 == "balance" && NF >= 9 { print $NF }' "$SCRATCH/log")
[ "$FAULTS" = 2 ] || fail "the stage faulted ${FAULTS:-?} times, not 2: $(cat "$SCRATCH/log")"

$MAGLEV --vdev=net_pcap0,rx_pcap=$SCRATCH/full.pcap,tx_pcap=$SCRATCH/ref.pcap -- \
	--idle-exit 300 --quiet --backend be1,02:00:00:00:10:01,10.10.0.1 \
	--backend be2,02:00:00:00:10:02,10.10.0.2 --backend be3,02:00:00:00:10:03,10.10.0.3 \
	--backend be4,02:00:00:00:10:04,10.10.0.4 --backend $BE5 >"$SCRATCH/ref.log" 2>&1 ||
	fail "reference run exited with $?: $(tail -5 "$SCRATCH/ref.log")"
$PYTHON tests/demo/check_maglev_fault.py "$SCRATCH/faulted.pcap" || exit 1
$PYTHON tests/demo/check_maglev_change.py check "$SCRATCH/faulted.pcap" "$SCRATCH/ref.pcap" \
	02:00:00:00:10:05 || exit 1
echo "across 2 faults (restores: $RESTORES)"
