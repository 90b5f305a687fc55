#!/bin/bash
# Bad EAL or program arguments give a clear message and a non-zero exit
# status - never a crash (status >= 128) and never silence.
set -u
. tests/dpdk/lib.sh
scratch
failures=0

# expect STATUS PATTERN ARGS...: the run exits STATUS and says PATTERN.
expect() {
	local want=$1 pattern=$2
	shift 2
	timeout 60 "$NULLFILTER" "$@" >"$SCRATCH/out" 2>&1
	local rc=$?
	if [ "$rc" -ne "$want" ] || ! grep -q -- "$pattern" "$SCRATCH/out"; then
		echo "FAIL: nullfilter $*: exit $rc (want $want), output:"
		sed 's/^/    /' "$SCRATCH/out"
		failures=$((failures + 1))
	else
		echo "ok: nullfilter $* -> $rc: $(grep -m1 -- "$pattern" "$SCRATCH/out")"
	fi
}

expect 2 "unknown option '--bogus'" -- --bogus
expect 2 "unknown option '--bogus'" --bogus
expect 2 "cannot start the EAL" --no-such-eal-option -- --duration 1
expect 2 "cannot start the EAL" -l 0-99 -- --duration 1
expect 2 "\-\-burst wants" -- --burst 0
expect 2 "\-\-burst wants" -- --burst 257
expect 2 "\-\-burst wants" -- --burst
expect 2 "\-\-duration wants" -- --duration soon
expect 2 "\-\-stages wants" -- --stages 0
expect 2 "\-\-stages wants" -- --stages 33
expect 2 "no stage 'f9'" -- --inject-fault f9:10
expect 2 "EVERY_N must be" -- --inject-fault f1:0
expect 2 "KIND must be" -- --inject-fault f1:10:boom
expect 2 "wants STAGE:EVERY_N" -- --inject-fault f1
expect 2 "needs isolation" -- --direct --inject-fault f1:10
expect 1 "no ports" --no-pci -b 0000:99:00.0 -- --duration 1
expect 2 "\-\-checkpoint-dir $SCRATCH/none: No such file or directory" --checkpoint-dir "$SCRATCH/none"
expect 2 "\-\-checkpoint-dir $SCRATCH/out: not a folder" --checkpoint-dir "$SCRATCH/out"
expect 2 "\-\-restore-from $SCRATCH/none: No such file or directory" --restore-from "$SCRATCH/none"
expect 1 "no ports" --vdev="net_pcap0,rx_pcap=$SCRATCH/missing.pcap,tx_pcap=$SCRATCH/o.pcap" -- --duration 1
expect 0 "usage:" -- --help

[ "$failures" -eq 0 ] || fail "$failures bad-argument case(s) misbehaved"
