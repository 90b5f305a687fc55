#!/bin/bash
# `ninja demo-live` (root): the demo pipeline between real Linux hosts.  It
# sets up tests/live's topology (a client, three backends running
# python3 -m http.server, a Linux bridge, all in namespaces of this run),
# starts parse -> firewall -> Maglev on the balancer's veth with DPDK's
# net_af_packet (two workers, L2 direct server return), sends a burst of
# real HTTP requests through the VIP with one fault injected into the
# Maglev stage half way, prints which backend served how many, the
# pipeline's statistics and summary, and tears everything down.
set -e
cd "$(dirname "$0")/../.."
. tests/live/lib.sh
set +e
live_check
live_up 3
echo "demo-live: client $CLIENT_IP -> VIP $VIP:80 -> Maglev (dsr) -> be1..be3 ($(be_ip 1)..3)"
lb_start 2 --backends-file "$(backends_file 1 2 3)" --flows 4096
client requests "$CLIENT_IP" "$VIP" 500 4 10000 >"$LIVE_DIR/results" || fail "the client failed"
control "fault balance"
echo "demo-live: fault injected into the Maglev stage (both workers)"
client requests "$CLIENT_IP" "$VIP" 500 4 11000 >>"$LIVE_DIR/results" || fail "the client failed"
lb_stop
sed -n '/^stage /,$p' "$LIVE_DIR/lb.log"
echo
echo "requests served, per backend (the body of /whoami):"
awk 'NF == 2 { n[$2]++ } NF != 2 { e++ } END { for (b in n) printf "  %-6s %d\n", b, n[b];
	printf "  failed %d\n", e }' "$LIVE_DIR/results" | sort
$PYTHON tests/live/check_maglev.py be1,be2,be3 "$CLIENT_IP" "$VIP" "$LIVE_DIR/results" 1000
