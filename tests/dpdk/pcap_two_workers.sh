#!/bin/bash
# Two workers, each on its own RX/TX queue pair of one net_pcap port (the
# trace replayed once per queue) with its own instance of every stage: each
# queue's output is the trace minus its own faulted batches, in order, and
# the exit table sums both workers.  The machine has two cores, so the two
# worker lcores share one (--lcores): this checks correctness, not speed.
set -u
. tests/dpdk/lib.sh
scratch

BURST=8                                  # 250 batches per queue
FAULTS=$(( TRACE_PACKETS / BURST / 50 )) # per queue, with f3:50
LOST=$(( FAULTS * BURST ))

"$NULLFILTER" --lcores '0@0,1@1,2@1' \
	--vdev="net_pcap0,rx_pcap=$TRACE,rx_pcap=$TRACE,tx_pcap=$SCRATCH/q0.pcap,tx_pcap=$SCRATCH/q1.pcap" \
	-- --idle-exit 300 --quiet --burst $BURST --inject-fault f3:50 >"$SCRATCH/log" 2>&1
rc=$?
cat "$SCRATCH/log"
[ "$rc" -eq 0 ] || fail "nullfilter exited $rc"
grep -q ' 2 worker(s)' "$SCRATCH/log" || fail "did not start two workers"
expect_no_leak "$SCRATCH/log"
[ "$(stage_field "$SCRATCH/log" f3 6)" = "$((2 * FAULTS))" ] || fail "expected $((2 * FAULTS)) faults in f3"
[ "$(stage_field "$SCRATCH/log" f1 2)" = "$((2 * TRACE_PACKETS))" ] || fail "f1 did not see both copies"
for q in 0 1; do
	"$PYTHON" tests/dpdk/pcap_compare.py "$TRACE" "$SCRATCH/q$q.pcap" --lost $LOST --max-run $BURST ||
		fail "queue $q: output is not the trace minus its faulted batches"
done
echo "ok: two workers, $FAULTS faults each, each queue forwarded the rest in order"
