#!/bin/bash
# Live test 4 (issue 14): a firewall rule blocks one client subnet
# (198.18.2.0/24): connections from it fail - their SYNs die in the
# firewall stage, which counts them - while connections from the other
# subnet, through the same pipeline at the same time, all succeed.  As
# root; skipped where namespaces cannot be made.  About 10 s.
. tests/live/lib.sh
live_check
live_up 3
lb_start 2 --backends-file "$(backends_file 1 2 3)" --flows 1024 --quiet \
	--rule "deny 198.18.2.0/24" --rule "allow 198.18.1.0/24 dst $VIP/32 proto tcp port 80"
client blocked "$BLOCKED_IP" "$VIP" 8 2 >"$LIVE_DIR/blocked" &
BLOCKED=$!
client requests "$CLIENT_IP" "$VIP" 200 4 10000 >"$LIVE_DIR/results" || fail "the client failed"
wait $BLOCKED || fail "the blocked client failed"
lb_stop
$PYTHON tests/live/check_maglev.py be1,be2,be3 "$CLIENT_IP" "$VIP" "$LIVE_DIR/results" 200 ||
	exit 1
CONNECTED=$(grep -c connected "$LIVE_DIR/blocked")
TIMEOUTS=$(grep -c timeout "$LIVE_DIR/blocked")
[ "$CONNECTED" = 0 ] && [ "$TIMEOUTS" = 8 ] ||
	fail "from the blocked subnet: $CONNECTED connected, $TIMEOUTS timed out (want 0 and 8)"
DENIED=$(( $(stage_sum firewall 4) - $(stage_sum firewall 5) ))
[ "$DENIED" -ge 8 ] || fail "the firewall dropped $DENIED packets, fewer than the 8 SYNs"
echo "blocked subnet: 8 of 8 connections failed, $DENIED SYNs (retries included) dropped by the firewall"
