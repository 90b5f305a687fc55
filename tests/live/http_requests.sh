#!/bin/bash
# Live test 1 (issue 14): 1,000 HTTP requests, each on its own connection
# (its own source port), from the client through the VIP to three stock
# python3 http.server backends, with parse -> firewall -> Maglev on two
# workers (both get flows) in L2 direct-server-return mode between them.  Every request
# succeeds, and the backend that answered (the body of /whoami) is the one
# the independent Python Maglev picks for the request's 5-tuple.  As root;
# skipped where namespaces cannot be made.  About 20 s.
. tests/live/lib.sh
live_check
live_up 3
lb_start 2 --backends-file "$(backends_file 1 2 3)" --flows 4096 --quiet
client requests "$CLIENT_IP" "$VIP" 1000 4 10000 >"$LIVE_DIR/results" || fail "the client failed"
lb_stop
$PYTHON tests/live/check_maglev.py be1,be2,be3 "$CLIENT_IP" "$VIP" "$LIVE_DIR/results" 1000 ||
	exit 1
# Both workers had their share (the kernel's fanout hash spreads the flows).
PER_WORKER=$(sed -n 's/^  packets in, per worker: *//p' "$LIVE_DIR/lb.log")
echo "$PER_WORKER" | awk '{ exit !($2 > 100 && $4 > 100) }' ||
	fail "the flows were not spread over the two workers: ${PER_WORKER:-no per-worker line}"
echo "two workers, packets in per worker: $PER_WORKER"
