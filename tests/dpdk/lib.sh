# Shared by the DPDK end-to-end tests (sourced, run from the repo root).
# Each run gets its own --file-prefix (the program adds one when absent), so
# the tests may run at the same time as each other and as anything else.

NULLFILTER=build/examples/nullfilter
PYTHON=${PYTHON:-/usr/bin/python3}
TRACE=tests/traces/mixed.pcap
TRACE_PACKETS=2000

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# A scratch directory removed when the test exits.
scratch() {
	SCRATCH=$(mktemp -d /tmp/pd-dpdk-test.XXXXXX)
	trap 'rm -rf "$SCRATCH"' EXIT
}

# The value of COLUMN (1-based, after the name) in the exit table's row for
# STAGE, from the program output in FILE.
stage_field() {
	awk -v s="$2" -v c="$3" '$1 == s && NF >= 9 { print $(c + 1) }' "$1"
}

# "mbufs_in_use=N" from FILE must say 0.
expect_no_leak() {
	grep -q '^mbufs_in_use=0$' "$1" || fail "mbufs leaked: $(grep mbufs_in_use "$1")"
}

# Incremental checkpoints in checked mode (runtime/pd_snap.h): a stage write
# without pd_touch is said at the next commit; the runs export this.
expect_touched() {
	if grep -q 'without pd_touch' "$1"; then
		fail "a write the undo log missed: $(grep 'without pd_touch' "$1")"
	fi
}
