# The live topology (issue 14), sourced by the tests in tests/live and by
# examples/demo/run-demo-live.sh; run as root from the repo root.
#
#   client ns ──┐
#   lb ns ──────┤ bridge (switch ns) ── be1 ns, be2 ns, ... beN ns
#
# Every piece lives in a network namespace of this run, named
# pdlt<PID>-<role>, so parallel runs never meet and nothing is left in the
# root namespace; veth pairs are created with both ends already in their
# namespaces.  All addresses are in 198.18.0.0/15 (RFC 2544's benchmarking
# range), inside these namespaces only:
#   backends beK   198.18.0.K/16, MAC 02:1d:00:00:10:0K, serving HTTP on :80
#                  (python3 -m http.server: /whoami names the backend,
#                  /big is 8 MB of its name); each holds the VIP on lo with
#                  arp_ignore=1, arp_announce=2 and answers the client itself
#   client         198.18.1.10/16 and 198.18.2.10/16 (a second subnet for
#                  the firewall test), the VIP's neighbour entry pointing at
#                  the balancer's MAC; TX checksum offload off, since the
#                  frames leave through af_packet with the checksums as
#                  they are
#   balancer       eth0, MAC 02:1d:00:00:00:fe, no address: DPDK's
#                  net_af_packet PMD reads and writes it
#   VIP            198.18.100.1:80
# live_down removes the namespaces (and with them every link and every
# process left in them) on every exit path, through the EXIT trap.

PYTHON=${PYTHON:-/usr/bin/python3}
DEMO=${DEMO:-build/examples/demo}
LIVE=pdlt$$
LIVE_DIR=
VIP=198.18.100.1
CLIENT_IP=198.18.1.10
BLOCKED_IP=198.18.2.10
LB_MAC=02:1d:00:00:00:fe
LB_PID=

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# Exit 77: run-tests.sh reports the test as skipped, with the reason.
skip() {
	echo "SKIP: $*"
	exit 77
}

be_mac() { printf '02:1d:00:00:10:%02x' "$1"; }
be_ip() { echo "198.18.0.$1"; }
be_spec() { echo "be$1,$(be_mac "$1"),$(be_ip "$1")"; }

in_ns() {
	local ns=$1
	shift
	ip netns exec "$LIVE-$ns" "$@"
}

live_down() {
	[ -n "$LB_PID" ] && kill -TERM "$LB_PID" 2>/dev/null && wait "$LB_PID" 2>/dev/null
	for ns in $(ip netns list 2>/dev/null | awk -v p="$LIVE-" 'index($1, p) == 1 { print $1 }'); do
		# Deleting a namespace does not end its processes: the servers first.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	# EAL keeps the runtime directory of a --file-prefix it was given.
	rm -rf "/var/run/dpdk/$LIVE-lb"
	[ -n "$LIVE_DIR" ] && [ -z "$KEEP" ] && rm -rf "$LIVE_DIR"
	return 0
}

# Skips (exit 77) where namespaces cannot be made: not root, no iproute2,
# no namespace support.
live_check() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces and veth pairs)"
	command -v ip >/dev/null || skip "needs ip (iproute2)"
	command -v ethtool >/dev/null || skip "needs ethtool"
	ip netns add "$LIVE-probe" 2>/dev/null || skip "cannot create network namespaces here"
	ip netns del "$LIVE-probe"
	[ -x "$DEMO" ] || fail "$DEMO is not built (run ninja)"
}

new_ns() {
	ip netns add "$LIVE-$1" || fail "cannot create namespace $LIVE-$1"
	in_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	in_ns "$1" ip link set lo up
}

# A veth from the switch (port NAME) to namespace NS (eth0, MAC).
plug() {
	ip link add "$1" netns "$LIVE-sw" type veth peer name eth0 netns "$LIVE-$2" ||
		fail "cannot create a veth pair into $LIVE-$2"
	in_ns sw ip link set "$1" master br0 up
	in_ns "$2" ip link set eth0 address "$3"
	in_ns "$2" ip link set eth0 up
}

# live_up N: the switch, the client, the balancer's link, N backends
# (be1..beN, all serving; which ones the balancer uses is its own option).
live_up() {
	local n=$1 k
	trap live_down EXIT
	trap 'exit 1' INT TERM HUP
	LIVE_DIR=$(mktemp -d /tmp/pdl-live.XXXXXX)
	[ -n "$KEEP" ] && echo "$LIVE_DIR"
	new_ns sw
	in_ns sw ip link add br0 type bridge
	# A switch forwards frames, whatever they hold: without this, br_netfilter
	# (where loaded) drops malformed IPv4 before it reaches the balancer.
	in_ns sw sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
		net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0 \
		2>/dev/null
	in_ns sw ip link set br0 up
	new_ns lb
	plug lb lb "$LB_MAC"
	new_ns cl
	plug cl cl 02:1d:00:00:00:01
	in_ns cl ip addr add "$CLIENT_IP/16" dev eth0
	in_ns cl ip addr add "$BLOCKED_IP/16" dev eth0
	in_ns cl ip neigh replace "$VIP" lladdr "$LB_MAC" dev eth0 nud permanent
	in_ns cl ethtool -K eth0 tx off >/dev/null 2>&1 || fail "cannot turn off TX checksum offload"
	for k in $(seq 1 "$n"); do
		new_ns "be$k"
		plug "be$k" "be$k" "$(be_mac "$k")"
		in_ns "be$k" ip addr add "$(be_ip "$k")/16" dev eth0
		in_ns "be$k" ip addr add "$VIP/32" dev lo
		in_ns "be$k" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2
		mkdir -p "$LIVE_DIR/www$k"
		echo "be$k" >"$LIVE_DIR/www$k/whoami"
		$PYTHON -c "import sys; sys.stdout.write(('be$k ' * 3000000)[:8 << 20])" \
			>"$LIVE_DIR/www$k/big"
		in_ns "be$k" $PYTHON -m http.server 80 --bind 0.0.0.0 --directory "$LIVE_DIR/www$k" \
			>"$LIVE_DIR/be$k.log" 2>&1 &
	done
	for k in $(seq 1 "$n"); do
		wait_for "be$k's server" 10 in_ns "be$k" $PYTHON -c "
import socket; socket.create_connection(('$(be_ip "$k")', 80), 0.5).close()"
	done
}

# wait_for WHAT SECONDS CMD...: retries CMD every 0.1 s until it succeeds.
wait_for() {
	local what=$1 secs=$2 i=0
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -ge $((secs * 10)) ] && fail "$what: not ready after ${secs}s"
		sleep 0.1
	done
}

# backends_file K...: the balancer's backends, be<K> for each K, in a file.
backends_file() {
	local f="$LIVE_DIR/backends.conf" k
	echo "# NAME,MAC,IP of each backend the balancer starts with" >"$f"
	for k in "$@"; do
		be_spec "$k" >>"$f"
	done
	echo "$f"
}

# lb_start WORKERS ARGS...: the demo pipeline on the balancer's eth0 with
# af_packet, WORKERS workers (one af_packet queue pair each: the PMD joins
# its sockets in a PACKET_FANOUT_HASH group, so the kernel's flow hash keeps
# each flow on one worker - unless that worker's ring is full, when the
# PMD's ROLLOVER flag lets a packet spill to the other; each worker has its
# own connection table, so under such overload a flow could see the other
# table), in the background, its output in $LIVE_DIR/lb.log and commands
# through the pipe $LIVE_DIR/control.
# Returns once the pipeline runs.
lb_start() {
	local workers=$1 lcores cpu2=1
	shift
	# lcore -> CPU: the main lcore (the control thread, which sleeps) shares
	# CPU 0 with the first worker; a second worker gets CPU 1 if there is one.
	[ "$(nproc)" -gt 1 ] || cpu2=0
	case $workers in
	1) lcores=0@0,1@$cpu2 ;;
	2) lcores=0@0,1@0,2@$cpu2 ;;
	*) fail "lb_start: 1 or 2 workers" ;;
	esac
	mkfifo "$LIVE_DIR/control"
	# Not through in_ns: $! must be the program (ip netns exec execs it),
	# and a background job of a script ignores SIGINT, so lb_stop sends TERM.
	ip netns exec "$LIVE-lb" $DEMO --no-huge --no-pci -m 256 --file-prefix="$LIVE-lb" \
		--lcores="$lcores" --log-level=lib.eal:warning \
		--vdev="net_af_packet0,iface=eth0,qpairs=$workers" -- \
		--forward dsr --control "$LIVE_DIR/control" "$@" >"$LIVE_DIR/lb.log" 2>&1 &
	LB_PID=$!
	# The pipe must stay open for writing between commands, or a reader
	# would see end-of-file after each; fd 7 keeps it open.
	exec 7<>"$LIVE_DIR/control"
	wait_for "the balancer" 20 grep -q '^pd: pipeline' "$LIVE_DIR/lb.log"
	kill -0 "$LB_PID" 2>/dev/null || fail "the balancer exited: $(tail -5 "$LIVE_DIR/lb.log")"
}

# control LINE: sends a command and waits for the balancer's answer.
control() {
	local before
	before=$(grep -c '^control: ' "$LIVE_DIR/lb.log")
	echo "$1" >&7
	wait_for "command '$1'" 10 sh -c "[ \$(grep -c '^control: ' '$LIVE_DIR/lb.log') -gt $before ]"
	grep '^control: ' "$LIVE_DIR/lb.log" | tail -n 1 | grep -q ': ok$' ||
		fail "command '$1': $(grep '^control: ' "$LIVE_DIR/lb.log" | tail -n 1)"
}

# lb_stop: SIGTERM, then the exit table; fails unless it exited 0 with no
# mbuf leaked.
lb_stop() {
	kill -TERM "$LB_PID" 2>/dev/null
	wait "$LB_PID"
	local rc=$?
	LB_PID=
	exec 7>&-
	[ "$rc" = 0 ] || fail "the balancer exited with $rc: $(tail -20 "$LIVE_DIR/lb.log")"
	grep -q '^mbufs_in_use=0$' "$LIVE_DIR/lb.log" ||
		fail "mbufs leaked: $(grep mbufs_in_use "$LIVE_DIR/lb.log")"
}

# stage_sum STAGE COLUMN: the exit table's column (1-based after the name)
# for STAGE, summed over its rows.
stage_sum() {
	awk -v s="$1" -v c="$2" '$1 == s && NF >= 9 { n += $(c + 1) } END { print n + 0 }' \
		"$LIVE_DIR/lb.log"
}

# client ARGS...: tests/live/client.py in the client namespace.
client() {
	in_ns cl $PYTHON tests/live/client.py "$@"
}
