#!/bin/bash
# Live test 5 (issue 14): malformed and non-IP frames written onto the
# client link (an empty IPv4 frame, a truncated IPv4 header, IPv4 version 6, IHL < 5,
# total length past the frame, ICMP, TCP offset < 5, UDP length
# < 8, IPv6, ARP, a VLAN tag, another EtherType), addressed to the
# balancer, between real requests: every one is dropped and counted by the
# parse stage, nothing crashes, the requests still all succeed, and
# mbufs_in_use=0 at the end.  As root; skipped where namespaces cannot be
# made.  About 10 s.
. tests/live/lib.sh
live_check
live_up 3
lb_start 2 --backends-file "$(backends_file 1 2 3)" --flows 1024 --quiet
client requests "$CLIENT_IP" "$VIP" 100 4 10000 >"$LIVE_DIR/before" || fail "the client failed"
INJECTED=$(client inject eth0 "$LB_MAC") || fail "cannot inject frames"
client requests "$CLIENT_IP" "$VIP" 100 4 11000 >"$LIVE_DIR/after" || fail "the client failed"
kill -0 "$LB_PID" || fail "the balancer died: $(tail -20 "$LIVE_DIR/lb.log")"
lb_stop
cat "$LIVE_DIR/before" "$LIVE_DIR/after" >"$LIVE_DIR/results"
$PYTHON tests/live/check_maglev.py be1,be2,be3 "$CLIENT_IP" "$VIP" "$LIVE_DIR/results" 200 ||
	exit 1
MALFORMED=$(( $(stage_sum parse 4) - $(stage_sum parse 5) ))
# ARP and the like from the hosts on the switch reach the balancer too.
[ "$MALFORMED" -ge "$INJECTED" ] && [ "$MALFORMED" -le $((INJECTED + 50)) ] ||
	fail "the parse stage dropped $MALFORMED frames; $INJECTED were injected"
[ "$(stage_sum parse 6)" = 0 ] || fail "the parse stage faulted"
echo "$INJECTED malformed frames injected, $MALFORMED dropped by parse; no fault; mbufs_in_use=0"
