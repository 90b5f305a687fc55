#!/bin/bash
# With a fault injected every 100 batches into one stage, the pipeline keeps
# forwarding: exactly the faulted batches are lost (whole batches, nothing
# else, the rest in order), the stage is recovered after each fault, and no
# mbuf leaks.  Once per fault kind, each into a different stage.
set -u
. tests/dpdk/lib.sh
scratch

BURST=4                                 # 2000 packets -> 500 batches -> 5 faults
FAULTS=$(( TRACE_PACKETS / BURST / 100 ))
LOST=$(( FAULTS * BURST ))              # the trace fills every batch

stage=1
for kind in segv abort assert fpe; do
	stage=$((stage + 1))
	out="$SCRATCH/out-$kind.pcap"
	log="$SCRATCH/log-$kind"
	"$NULLFILTER" --vdev="net_pcap0,rx_pcap=$TRACE,tx_pcap=$out" -l 0-1 \
		-- --idle-exit 300 --quiet --burst $BURST \
		--inject-fault "f$stage:100:$kind" >"$log" 2>&1
	rc=$?
	cat "$log"
	[ "$rc" -eq 0 ] || fail "$kind: nullfilter exited $rc"
	expect_no_leak "$log"
	[ "$(stage_field "$log" "f$stage" 6)" = "$FAULTS" ] || fail "$kind: expected $FAULTS faults in f$stage"
	[ "$(stage_field "$log" "f$stage" 7)" = "$FAULTS" ] || fail "$kind: expected $FAULTS recoveries in f$stage"
	[ "$(stage_field "$log" "f$stage" 5)" = "$LOST" ] || fail "$kind: expected $LOST packets lost to faults"
	[ "$(stage_field "$log" f5 3)" = "$((TRACE_PACKETS - LOST))" ] || fail "$kind: the last stage did not pass the rest"
	"$PYTHON" tests/dpdk/pcap_compare.py "$TRACE" "$out" --lost $LOST --max-run $BURST ||
		fail "$kind: output is not the input minus the faulted batches"
	echo "ok: $kind in f$stage: $FAULTS faults, $LOST packets lost, the rest forwarded"
done
