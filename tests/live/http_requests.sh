#!/bin/bash
# Live test 1 (issue 14): 1,000 HTTP requests, each on its own connection
# (its own source port), from the client through the VIP to three stock
# python3 http.server backends, with parse -> firewall -> Maglev on two
# workers in L2 direct-server-return mode between them.  Every request
# succeeds, and the backend that answered (the body of /whoami) is the one
# the independent Python Maglev picks for the request's 5-tuple.  As root;
# skipped where namespaces cannot be made.  About 20 s.
. tests/live/lib.sh
live_check
live_up 3
lb_start 2 --backends-file "$(backends_file 1 2 3)" --flows 4096 --quiet
client requests "$CLIENT_IP" "$VIP" 1000 4 >"$LIVE_DIR/results" || fail "the client failed"
lb_stop
$PYTHON tests/live/check_maglev.py be1,be2,be3 "$CLIENT_IP" "$VIP" "$LIVE_DIR/results" 1000 ||
	exit 1
grep '^pd: pipeline' "$LIVE_DIR/lb.log"
