#!/bin/bash
# A running pipeline answers /pd/stats and /pd/stage over DPDK telemetry with
# its stage counters.  Runs with the default EAL arguments (net_null, a
# generated --file-prefix read off the start-up line).
set -u
. tests/dpdk/lib.sh
scratch

"$NULLFILTER" -- --duration 20 --quiet >"$SCRATCH/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$SCRATCH"' EXIT

prefix=""
for _ in $(seq 100); do
	prefix=$(sed -n 's/.*file-prefix \([^ ]*\)$/\1/p' "$SCRATCH/log")
	[ -n "$prefix" ] && break
	kill -0 $pid 2>/dev/null || { cat "$SCRATCH/log"; fail "nullfilter died"; }
	sleep 0.1
done
[ -n "$prefix" ] || fail "no file-prefix on the start-up line"
sleep 0.5   # let some batches through

stats=$("$PYTHON" tests/dpdk/telemetry_client.py "$prefix" /pd/stats) || fail "no answer to /pd/stats"
echo "$stats"
echo "$stats" | "$PYTHON" -c '
import json, sys
s = json.load(sys.stdin)["/pd/stats"]
assert s["stages"] == ["f1", "f2", "f3", "f4", "f5"], s["stages"]
assert s["n_stages"] == 5
for key in ("batches", "pkts_in", "pkts_out", "drops", "fault_drops", "faults",
            "recoveries", "cycles_per_batch"):
    assert len(s[key]) == 5, key
assert all(b > 0 for b in s["batches"]), s["batches"]
assert s["faults"] == [0] * 5
assert s["rx"] > 0
' || fail "/pd/stats lacks the stage counters"

stage=$("$PYTHON" tests/dpdk/telemetry_client.py "$prefix" /pd/stage,f2) || fail "no answer to /pd/stage,f2"
echo "$stage"
echo "$stage" | "$PYTHON" -c '
import json, sys
s = json.load(sys.stdin)["/pd/stage"]
assert s["name"] == "f2" and s["batches"] > 0 and s["pkts_in"] >= s["batches"], s
' || fail "/pd/stage,f2 lacks the counters"

# DPDK's own client reads the same endpoint.
echo /pd/stats | dpdk-telemetry.py -f "$prefix" 2>&1 | grep -q '"stages"' ||
	fail "dpdk-telemetry.py got no /pd/stats"

kill -INT $pid
wait $pid
rc=$?
cat "$SCRATCH/log"
[ "$rc" -eq 0 ] || fail "nullfilter exited $rc after SIGINT"
expect_no_leak "$SCRATCH/log"
echo "ok: telemetry answered with stage counters"
