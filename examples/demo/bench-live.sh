#!/bin/bash
# Requests/s and latency of real HTTP traffic through the PDL balancer
# (issue 14's benchmark), as root: tests/live's topology with three
# python3 -m http.server backends, wrk in the client namespace (new
# connection per request: the servers speak HTTP/1.0), and in one run:
#   direct       the same client to one backend, no balancer (the veth path)
#   pdl 1w iso   parse -> firewall -> Maglev (dsr), 1 worker, isolated
#   pdl 1w dir   the same with --direct (no domain crossings)
#   pdl 2w iso   2 workers (af_packet qpairs=2), isolated
#   pdl 2w dir   2 workers, --direct
#   haproxy      HAProxy in TCP mode on the balancer's namespace (a full
#                proxy: two TCP connections per request), 1 thread
# Prints one table row per case: requests/s, p50 and p99 latency (wrk's),
# and for PDL the cycles its three stages spent per packet (the exit
# table's sampled cycles/batch x batches / packets, summed over stages),
# to set PDL's own share against the request's latency.
# Figures are noisy on a shared 2-core machine: run it a few times.
#   examples/demo/bench-live.sh [SECONDS] [CONNECTIONS]
cd "$(dirname "$0")/../.."
. tests/live/lib.sh
SECS=${1:-5}
CONNS=${2:-16}
command -v wrk >/dev/null || skip "needs wrk"
command -v haproxy >/dev/null || skip "needs haproxy"
live_check
live_up 3
BACKENDS=$(backends_file 1 2 3)

# wrk NAME URL: one row.
row() {
	local out
	out=$(in_ns cl wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$2" 2>&1)
	local rps p50 p99 errs
	rps=$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')
	p50=$(echo "$out" | awk '$1 == "50%" { print $2 }')
	p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
	errs=$(echo "$out" | awk '/Socket errors|Non-2xx/ { $1 = $1; print }' | tr '\n' ';')
	printf '%-12s %10s %10s %10s  %s\n' "$1" "${rps:-?}" "${p50:-?}" "${p99:-?}" "$errs"
}

pdl() {
	lb_start "$1" --backends-file "$BACKENDS" --flows 65536 --quiet $3
	row "$2" "http://$VIP/whoami"
	lb_stop
	awk '($1 == "parse" || $1 == "firewall" || $1 == "balance") && NF >= 9 && $3 > 0 {
		c += $9 * $2 / $3 } END { printf "%-12s %10s pipeline cycles/packet: %.0f\n", "", "", c }' \
		"$LIVE_DIR/lb.log"
	rm -f "$LIVE_DIR/control"
}

echo "wrk -t2 -c$CONNS -d${SECS}s, GET /whoami (new TCP connection per request); load: $(uptime | sed 's/.*load/load/')"
printf '%-12s %10s %10s %10s\n' case "req/s" p50 p99
row direct "http://$(be_ip 1)/whoami"
pdl 1 "pdl 1w iso"
pdl 1 "pdl 1w dir" --direct
pdl 2 "pdl 2w iso"
pdl 2 "pdl 2w dir" --direct

# HAProxy: the VIP on the balancer's eth0 and a source address of its own
# (the backends hold the VIP themselves, so they would answer it locally).
in_ns lb ip addr add "$VIP/32" dev eth0
in_ns lb ip addr add 198.18.0.254/16 dev eth0
cat >"$LIVE_DIR/haproxy.cfg" <<CFG
global
	maxconn 4096
	nbthread 1
defaults
	mode tcp
	timeout connect 5s
	timeout client 30s
	timeout server 30s
frontend vip
	bind $VIP:80
	default_backend be
backend be
	balance roundrobin
	source 198.18.0.254
	server be1 $(be_ip 1):80
	server be2 $(be_ip 2):80
	server be3 $(be_ip 3):80
CFG
ip netns exec "$LIVE-lb" haproxy -f "$LIVE_DIR/haproxy.cfg" -db >"$LIVE_DIR/haproxy.log" 2>&1 &
HAPROXY=$!
wait_for haproxy 10 in_ns cl $PYTHON -c "
import socket; socket.create_connection(('$VIP', 80), 0.5).close()"
row haproxy "http://$VIP/whoami"
kill "$HAPROXY"
wait "$HAPROXY" 2>/dev/null
exit 0
