#!/bin/bash
# The pipeline programs behave like DPDK programs: EAL arguments need no
# `--`, EAL options that name no port keep the default port, a pcap replay
# ends by itself at the end of its input (--loop replays it forever),
# defaults do not depend on the current folder, --bench writes no tracked
# file, --help starts no EAL, a failed EAL start leaves no runtime folder,
# the progress line has a rate for a short run, a fault logs a line, and
# checkpoint files are written off the packet path and can be started from.
# Every run is under `timeout`, so a program that does not end fails.
set -u
. tests/dpdk/lib.sh
scratch
root=$PWD
passed=0
failed=0

check() {       # check NAME FUNCTION: passes when FUNCTION succeeds
	local name=$1
	shift
	if "$@" >"$SCRATCH/check.out" 2>&1; then
		passed=$((passed + 1))
		echo "  ok   $name"
	else
		failed=$((failed + 1))
		echo "  FAIL $name"
		sed 's/^/    /' "$SCRATCH/check.out" | tail -n 25
	fi
}

# run LOG PROGRAM ARGS...: runs it for at most 60 s; its status is the run's.
run() {
	local log=$1
	shift
	# (a sanitizer build runs the benchmark's millions of calls a few times slower)
	timeout "${PD_SANITIZE:+300}${PD_SANITIZE:-60}" "$@" >"$log" 2>&1
	local rc=$?
	[ "$rc" -eq 0 ] || { echo "exit $rc:"; tail -n 20 "$log"; }
	return "$rc"
}

no_dashes() {
	run "$SCRATCH/nd.log" "$NULLFILTER" --vdev="net_pcap0,rx_pcap=$TRACE,tx_pcap=$SCRATCH/nd.pcap" \
		-l 0-1 --quiet &&
		grep -q '^pd: end of the input$' "$SCRATCH/nd.log" &&
		expect_no_leak "$SCRATCH/nd.log" &&
		"$PYTHON" tests/dpdk/pcap_compare.py "$TRACE" "$SCRATCH/nd.pcap"
}
check "EAL arguments alone, no '--': the pcap replay ends by itself, every packet out" no_dashes

mixed_order() {
	run "$SCRATCH/mo.log" "$NULLFILTER" --burst 7 --vdev="net_pcap0,rx_pcap=$TRACE,tx_pcap=$SCRATCH/mo.pcap" \
		--quiet -l 0 --stages 3 &&
		[ "$(stage_field "$SCRATCH/mo.log" f3 3)" = "$TRACE_PACKETS" ]
}
check "EAL and program arguments in any order" mixed_order

default_port() {
	run "$SCRATCH/dp.log" "$NULLFILTER" -l 0-1 --duration 0.3 --quiet &&
		grep -q ' 1 port(s),' "$SCRATCH/dp.log" &&
		rx=$(sed -n 's/^ports: rx=\([0-9]*\) .*/\1/p' "$SCRATCH/dp.log") &&
		[ "${rx:-0}" -gt 0 ]
}
check "EAL options that name no port keep the default port" default_port

loop() {
	run "$SCRATCH/lp.log" "$NULLFILTER" --vdev="net_pcap0,rx_pcap=$TRACE,tx_pcap=/dev/null" \
		--loop --duration 0.5 --quiet &&
		! grep -q 'end of the input' "$SCRATCH/lp.log" &&
		rx=$(sed -n 's/^ports: rx=\([0-9]*\) .*/\1/p' "$SCRATCH/lp.log") &&
		[ "${rx:-0}" -gt "$TRACE_PACKETS" ]
}
check "--loop replays the pcap past its end" loop

# The examples that replay the bundled trace by default, run from elsewhere.
elsewhere() {
	local prog=$1 out=$2
	rm -f "$root/build/$out"
	(cd "$SCRATCH" && run "$SCRATCH/$prog.log" "$root/build/examples/$prog" --quiet) &&
		grep -q '^ports: rx=3520 ' "$SCRATCH/$prog.log" &&
		[ -s "$root/build/$out" ] && expect_no_leak "$SCRATCH/$prog.log"
}
check "demo's defaults work from another folder" elsewhere demo demo-out.pcap
check "firewall's defaults work from another folder" elsewhere firewall firewall-out.pcap
check "maglev's defaults work from another folder" elsewhere maglev maglev-out.pcap

bench_files() {
	mkdir -p "$SCRATCH/benchout"
	local before
	before=$(git status --porcelain; stat -c %Y docs/figure2.csv docs/figure2.png)
	run "$SCRATCH/b1.log" "$NULLFILTER" --bench --bench-samples 100 &&
		[ "$(git status --porcelain; stat -c %Y docs/figure2.csv docs/figure2.png)" = "$before" ] &&
		run "$SCRATCH/b2.log" "$NULLFILTER" --bench --bench-samples 100 --bench-out "$SCRATCH/benchout" &&
		[ -s "$SCRATCH/benchout/figure2.csv" ]
}
check "--bench writes no file unless --bench-out names a folder" bench_files

# --help: usage on stdout, status 0, and no EAL: no EAL output, no runtime folder.
help_without_eal() {
	local prog pid rc
	for prog in build/examples/nullfilter build/examples/firewall build/examples/maglev \
		build/examples/demo build/examples/kvstore build/bench/callbench; do
		for args in "--help" "-l 0 --help"; do
			# shellcheck disable=SC2086
			timeout 60 "$prog" $args >"$SCRATCH/h.out" 2>"$SCRATCH/h.err" &
			pid=$!
			wait "$pid"
			rc=$?
			if [ "$rc" -ne 0 ] || ! grep -q '^usage: ' "$SCRATCH/h.out" ||
				grep -q -e '^EAL:' -e '^TELEMETRY:' "$SCRATCH/h.out" "$SCRATCH/h.err" ||
				ls -d /var/run/dpdk/pd${pid}_* >/dev/null 2>&1; then
				echo "$prog $args: exit $rc"
				cat "$SCRATCH/h.out" "$SCRATCH/h.err"
				return 1
			fi
			[ "$prog" = build/examples/kvstore ] || [ "$prog" = build/bench/callbench ] && break
		done
	done
}
check "--help prints the usage without starting the EAL, for every program" help_without_eal

failed_eal() {
	local pid rc
	timeout 60 "$NULLFILTER" --proc-type=secondary --duration 1 >"$SCRATCH/fe.log" 2>&1 &
	pid=$!
	wait "$pid"
	rc=$?
	[ "$rc" -eq 2 ] && grep -q 'cannot start the EAL' "$SCRATCH/fe.log" &&
		! ls -d /var/run/dpdk/pd${pid}_* 2>/dev/null
}
check "a failed EAL start leaves no runtime folder behind" failed_eal

short_rate() {
	run "$SCRATCH/sr.log" "$NULLFILTER" --vdev="net_pcap0,rx_pcap=$TRACE,tx_pcap=$SCRATCH/sr.pcap" &&
		line=$(grep "^pd: nullfilter.chain t=.* rx=$TRACE_PACKETS " "$SCRATCH/sr.log" | tail -n 1) &&
		echo "$line" &&
		rate=$(sed -n 's/.* rate=\([0-9.]*\)Mpps.*/\1/p' <<<"$line") &&
		[ -n "$rate" ] && [ "$rate" != "0.00" ]
}
check "a run shorter than a second ends with a progress line and a rate" short_rate

fault_lines() {
	run "$SCRATCH/fl.log" "$NULLFILTER" --vdev="net_pcap0,rx_pcap=$TRACE,tx_pcap=$SCRATCH/fl.pcap" \
		--quiet --burst 4 --inject-fault f2:100:segv --inject-fault f4:200:assert &&
		[ "$(grep -c '^pd: worker 0: stage f2 faulted (SIGSEGV), 4 packets lost; reset: its init ran again$' "$SCRATCH/fl.log")" = 5 ] &&
		[ "$(grep -c '^pd: worker 0: stage f4 faulted (panic: .*assertion failed.*), 4 packets lost; reset: its init ran again$' "$SCRATCH/fl.log")" = 2 ]
}
check "a fault logs one line: stage, kind, packets lost, what recovery did" fault_lines

FIREWALL=build/examples/firewall
firewall() {    # firewall LOG ARGS...: the firewall over the demo trace, one lcore
	local log=$1
	shift
	run "$log" "$FIREWALL" --vdev="net_pcap0,rx_pcap=tests/traces/demo.pcap,tx_pcap=$SCRATCH/fw.pcap" \
		-l 0 --quiet --burst 4 --checkpoint-every 4 "$@"
}

# A checkpoint folder whose first file blocks: its .tmp is a FIFO nobody
# reads yet.  Written on the worker, the first checkpoint would stall the
# pipeline; written by the writer thread, the whole trace goes through
# first, and the program ends once the FIFO is read.
off_packet_path() {
	mkdir -p "$SCRATCH/slow"
	mkfifo "$SCRATCH/slow/firewall-0.ckpt.tmp"
	timeout 60 "$FIREWALL" --vdev="net_pcap0,rx_pcap=tests/traces/demo.pcap,tx_pcap=$SCRATCH/fw.pcap" \
		-l 0 --burst 4 --checkpoint-every 4 --checkpoint-dir "$SCRATCH/slow" >"$SCRATCH/op.log" 2>&1 &
	local pid=$! i
	for i in $(seq 300); do
		grep -q '^pd: end of the input$' "$SCRATCH/op.log" && break
		sleep 0.1
	done
	grep -q '^pd: end of the input$' "$SCRATCH/op.log" || { echo "the pipeline stalled"; cat "$SCRATCH/op.log"; }
	local ended=$?
	cat "$SCRATCH/slow/firewall-0.ckpt.tmp" >/dev/null     # let the writer go on
	wait "$pid"
	local rc=$?
	cat "$SCRATCH/op.log"
	[ "$ended" -eq 0 ] && [ "$rc" -eq 0 ] && grep -q '^ports: rx=3520 ' "$SCRATCH/op.log" &&
		[ -f "$SCRATCH/slow/firewall-0.ckpt" ] && [ ! -p "$SCRATCH/slow/firewall-0.ckpt" ] &&
		head -c 4 "$SCRATCH/slow/firewall-0.ckpt" | grep -q PDCK
}
check "checkpoint files are written off the packet path" off_packet_path

restore() {
	mkdir -p "$SCRATCH/ck"
	firewall "$SCRATCH/r1.log" --rule "deny 10.66.0.0/16" \
		--add-rule-at "2:deny 0.0.0.0/0 proto tcp port 23" --checkpoint-dir "$SCRATCH/ck" &&
		grep -q '^firewall worker 0: rules=2 ' "$SCRATCH/r1.log" &&
		grep -q '^checkpoint files: [1-9][0-9]* written' "$SCRATCH/r1.log" &&
		hits1=$(sed -n 's/^firewall worker 0: rules=2 generation=[0-9]* hits=//p' "$SCRATCH/r1.log") &&
		# No rule given: the two rules, and their counters, come from the file.
		firewall "$SCRATCH/r2.log" --restore-from "$SCRATCH/ck" &&
		grep -q "^pd: worker 0: stage firewall starts from $SCRATCH/ck/firewall-0.ckpt" "$SCRATCH/r2.log" &&
		hits2=$(sed -n 's/^firewall worker 0: rules=2 generation=[0-9]* hits=//p' "$SCRATCH/r2.log") &&
		echo "hits after run 1: $hits1, after run 2: $hits2" &&
		[ -n "$hits2" ] && [ "${hits2%%,*}" -gt "${hits1%%,*}" ]
}
check "--restore-from starts the stages from the files --checkpoint-dir wrote" restore

restore_bad() {
	mkdir -p "$SCRATCH/bad"
	printf 'PDCK but not an image' >"$SCRATCH/bad/firewall-0.ckpt"
	! firewall "$SCRATCH/rb.log" --restore-from "$SCRATCH/bad" &&
		grep -q "does not load into stage firewall: corrupt checkpoint image" "$SCRATCH/rb.log" &&
		! grep -q '^pd: pipeline' "$SCRATCH/rb.log" &&
		mkdir -p "$SCRATCH/empty" && ! firewall "$SCRATCH/re.log" --restore-from "$SCRATCH/empty" &&
		grep -q "cannot read $SCRATCH/empty/firewall-0.ckpt: No such file" "$SCRATCH/re.log"
}
check "--restore-from refuses a corrupt or missing image before the pipeline starts" restore_bad

echo "Run Summary:    Type  Total    Ran Passed Failed Inactive"
echo "               tests $((passed + failed)) $((passed + failed)) $passed $failed 0"
[ "$failed" -eq 0 ]
