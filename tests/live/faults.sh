#!/bin/bash
# Live test 3 (issue 14, with issue 13's connection table): faults in the
# Maglev stage and in the firewall mid-run, on both workers, while six slow
# downloads (8 MB each, read at 2 MB/s, so their ACKs cross the balancer
# for seconds) and a stream of short requests go through.  The Maglev
# domain is `on_fault restore` and so is the firewall: the faulted batch is
# lost (TCP sends it again) and the restored connection table keeps every
# established flow on its backend, so no connection breaks - every
# download completes with its whole file, from one backend, and every
# request succeeds.  The faults and restores show in the statistics.  As
# root; skipped where namespaces cannot be made.  About 15 s.
. tests/live/lib.sh
live_check
live_up 3
# Flows picked before the fault are only safe if the restore brings them
# back: add a backend at run time first, so the table of a fresh start
# (be1..be3) would send some of them elsewhere.
lb_start 2 --backends-file "$(backends_file 1 2)" --flows 1024 --quiet
control "add $(be_spec 3)"
client downloads "$CLIENT_IP" "$VIP" 6 2000000 "$LIVE_DIR/ready" >"$LIVE_DIR/downloads" &
DOWNLOADS=$!
wait_for "the downloads" 20 test -s "$LIVE_DIR/ready"
client requests "$CLIENT_IP" "$VIP" 50 2 10000 >"$LIVE_DIR/results" || fail "the client failed"
control "fault balance"
client requests "$CLIENT_IP" "$VIP" 50 2 10100 >>"$LIVE_DIR/results" || fail "the client failed"
control "fault firewall abort"
client requests "$CLIENT_IP" "$VIP" 50 2 10200 >>"$LIVE_DIR/results" || fail "the client failed"
control "fault balance assert"
wait $DOWNLOADS || fail "the download client failed"
lb_stop
$PYTHON tests/live/check_maglev.py be1,be2,be3 "$CLIENT_IP" "$VIP" "$LIVE_DIR/results" 150 ||
	exit 1
BROKEN=$(grep -vc ' ok ' "$LIVE_DIR/downloads")
[ "$BROKEN" = 0 ] && [ "$(wc -l <"$LIVE_DIR/downloads")" = 6 ] ||
	fail "downloads broken by the faults: $(cat "$LIVE_DIR/downloads")"
LB_FAULTS=$(stage_sum balance 6) LB_RESTORES=$(stage_sum balance 10)
FW_FAULTS=$(stage_sum firewall 6) FW_RESTORES=$(stage_sum firewall 10)
[ "$LB_FAULTS" -ge 2 ] && [ "$LB_RESTORES" = "$LB_FAULTS" ] ||
	fail "Maglev: $LB_FAULTS faults, $LB_RESTORES restores (want >= 2, all restored)"
[ "$FW_FAULTS" -ge 1 ] && [ "$FW_RESTORES" = "$FW_FAULTS" ] ||
	fail "firewall: $FW_FAULTS faults, $FW_RESTORES restores (want >= 1, all restored)"
echo "6 downloads of 8 MB and 150 requests unbroken across $LB_FAULTS Maglev faults and" \
	"$FW_FAULTS firewall faults, each restored: $(awk '{ print $2 }' "$LIVE_DIR/downloads" | sort | uniq -c | tr -s ' \n' ' ')"
