#!/bin/bash
# Cycles per packet: DPDK's own dpdk-testpmd in io forwarding mode against
# the 5-stage isolated null-filter pipeline (and the same chain with direct
# calls), one after the other on the same machine, over the same two
# net_null ports, burst 32, one forwarding lcore each.
#
#   examples/nullfilter/compare_testpmd.sh [SECONDS]      (default 5)
#
# Both count the same thing: TSC cycles from RX burst to the end of TX for
# bursts that received packets, divided by packets received (testpmd:
# --record-core-cycles, "CPU cycles/packet"; ours: busy_cycles_per_packet).
# Prints one line of figures; a benchmark, so it asserts nothing.
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-5}
nullfilter=build/examples/nullfilter
eal=(--no-huge --no-pci -m 256 -l 0-1 --vdev=net_null0 --vdev=net_null1)

# testpmd -a forwards until a line arrives on stdin.  EAL leaves its runtime
# directory behind (~3 MB of tmpfs); remove it.
trap 'rm -rf "/var/run/dpdk/pdtp$$"' EXIT
tp=$( (sleep "$secs"; echo) | dpdk-testpmd "${eal[@]}" --file-prefix="pdtp$$" \
	-- --forward-mode=io --burst=32 --total-num-mbufs=16384 --record-core-cycles -a 2>&1)
tp_cpp=$(sed -n 's/.*CPU cycles\/packet=\([0-9.]*\).*/\1/p' <<<"$tp" | tail -n 1)
[ -n "$tp_cpp" ] || { echo "$tp" | tail -n 20; echo "compare_testpmd: no figure from testpmd" >&2; exit 1; }

ours() {
	"$nullfilter" "${eal[@]}" -- --duration "$secs" --quiet --burst 32 "$@" 2>&1 |
		sed -n 's/.*busy_cycles_per_packet=\([0-9.]*\).*/\1/p'
}
iso=$(ours)
direct=$(ours --direct)
[ -n "$iso" ] && [ -n "$direct" ] || { echo "compare_testpmd: no figure from nullfilter" >&2; exit 1; }

ratio=$(awk -v a="$iso" -v b="$tp_cpp" 'BEGIN { printf "%.2f", a / b }')
echo "testpmd_io_cycles_per_packet=$tp_cpp pd_isolated_5_stages_cycles_per_packet=$iso" \
     "pd_direct_5_stages_cycles_per_packet=$direct ratio_isolated_to_testpmd=$ratio"
