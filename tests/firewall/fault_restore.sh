#!/bin/bash
# The firewall as a pipeline stage over net_pcap, checkpointed every 4
# batches, with a rule added at run time through its rref and a fault
# injected every 50 batches: every fault is followed by a restore, the rule
# added at run time survives them (it was in the last checkpoint), traffic
# goes on to the end of the trace, the checkpoint file is a whole image,
# and no mbuf leaks.
set -u
. tests/dpdk/lib.sh
scratch
FIREWALL=build/examples/firewall
export PD_SNAP_CHECK=1          # every commit checks the stage pd_touch'ed what it wrote
log="$SCRATCH/log"

"$FIREWALL" --vdev="net_pcap0,rx_pcap=tests/traces/demo.pcap,tx_pcap=$SCRATCH/out.pcap" -l 0 \
	-- --idle-exit 300 --quiet --burst 4 \
	--rule "deny 10.66.0.0/16" --rule "allow 10.66.7.0/24" \
	--add-rule-at "2:deny 0.0.0.0/0 proto tcp port 23" \
	--checkpoint-every 4 --checkpoint-dir "$SCRATCH" \
	--inject-fault firewall:50 >"$log" 2>&1
rc=$?
cat "$log"
[ "$rc" -eq 0 ] || fail "firewall exited $rc"
expect_no_leak "$log"
expect_touched "$log"
faults=$(stage_field "$log" firewall 6)
checkpoints=$(stage_field "$log" firewall 9)
restores=$(stage_field "$log" firewall 10)
[ "${faults:-0}" -ge 2 ] || fail "expected at least 2 faults, got '$faults'"
[ "$restores" = "$faults" ] || fail "expected a restore per fault: $faults faults, $restores restores"
[ "${checkpoints:-0}" -gt 0 ] || fail "no checkpoints taken"
grep -q '^firewall worker 0: batch 2: rule 2 added$' "$log" || fail "the run-time rule was not added"
grep -q '^firewall worker 0: rules=3 ' "$log" || fail "the run-time rule did not survive the restores"
hits=$(sed -n 's/^firewall worker 0: rules=3 generation=[0-9]* hits=//p' "$log")
[ -n "$hits" ] && [ "$hits" != "0,0,0" ] || fail "no hit counted after the restores: '$hits'"
head -c 4 "$SCRATCH/firewall-0.ckpt" | grep -q PDCK || fail "no checkpoint file"
[ ! -e "$SCRATCH/firewall-0.ckpt.tmp" ] || fail "a temporary checkpoint file was left"
echo "ok: $faults faults, $restores restores, $checkpoints checkpoints, hits $hits"
