#!/bin/bash
# Live test 2 (issue 14): long-lived connections stay on their backend
# while the backend set changes at run time through the balancer rref.
# Eight slow downloads (8 MB at 2 MB/s each) run over be1..be3; then be2
# is removed and be4 added (control pipe -> every worker's stage through
# the generated proxies).  Every download not on be2 completes whole from
# its backend - the connection table kept it there although the new table
# sends about a quarter of the flows to be4; requests made after the
# removal never reach be2, those after the addition are served by the
# final table's pick (be1, be3, be4: the Python Maglev).  As root;
# skipped where namespaces cannot be made.  About 15 s.
. tests/live/lib.sh
live_check
live_up 4
lb_start 2 --backends-file "$(backends_file 1 2 3)" --flows 1024 --quiet
client downloads "$CLIENT_IP" "$VIP" 8 2000000 "$LIVE_DIR/ready" >"$LIVE_DIR/downloads" &
DOWNLOADS=$!
wait_for "the downloads" 20 test -s "$LIVE_DIR/ready"
control "remove be2"
client requests "$CLIENT_IP" "$VIP" 100 2 10000 >"$LIVE_DIR/removed" || fail "the client failed"
control "add $(be_spec 4)"
client requests "$CLIENT_IP" "$VIP" 200 2 11000 >"$LIVE_DIR/added" || fail "the client failed"
wait $DOWNLOADS || fail "the download client failed"
lb_stop
$PYTHON tests/live/check_maglev.py be1,be3 "$CLIENT_IP" "$VIP" "$LIVE_DIR/removed" 100 || exit 1
$PYTHON tests/live/check_maglev.py be1,be3,be4 "$CLIENT_IP" "$VIP" "$LIVE_DIR/added" 200 || exit 1
grep -q ' be4$' "$LIVE_DIR/added" || fail "no request reached the added backend"
KEPT=$(awk '$2 != "be2"' "$LIVE_DIR/downloads" | grep -c ' ok ')
OTHERS=$(awk '$2 != "be2"' "$LIVE_DIR/downloads" | wc -l)
[ "$OTHERS" -gt 0 ] || fail "every download went to be2: nothing to check"
[ "$KEPT" = "$OTHERS" ] ||
	fail "downloads on the backends that stayed broke: $(awk '$2 != "be2"' "$LIVE_DIR/downloads")"
# Had the table's new choice been followed, some of them would have moved:
$PYTHON - "$CLIENT_IP" "$VIP" "$LIVE_DIR/downloads" <<'PY' || exit 1
import sys
sys.path.insert(0, "tests/demo")
from check_demo import maglev_table, pick
client, vip, path = sys.argv[1:]
final = maglev_table(["be1", "be3", "be4"])
rows = [l.split() for l in open(path)]
moved = [r for r in rows if r[1] != "be2" and pick(final, client, vip, int(r[0]), 80, 6) != r[1]]
print("%d downloads kept their backend across the change; %d of them the final table "
      "sends elsewhere" % (sum(r[1] != "be2" for r in rows), len(moved)))
PY
