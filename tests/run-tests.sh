#!/bin/bash
# Runs every test program and script given, in order, and ends with one line
# "N passed, N failed".  A CUnit program counts as the tests it ran (read off
# its run summary); any other program or script counts as one test that
# passes when it exits 0, and is skipped when it exits 77 (it cannot run
# here, e.g. without root; it prints why).  Exits 1 when anything failed.
set -u
# A sanitizer build (PD_SANITIZE=1): every report fails the test that made
# it, leaks included.
if [ -n "${PD_SANITIZE:-}" ]; then
	export PD_SANITIZE
	export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allow_user_segv_handler=1:detect_stack_use_after_return=0}"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi
passed=0
failed=0
skipped=0
failures=()

for t in "$@"; do
	log=$(mktemp)
	start=$(date +%s)
	"./$t" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	# CUnit's summary row: "tests  TOTAL  RAN  PASSED  FAILED  INACTIVE"
	row=$(awk '$1 == "tests" && NF == 6 { print $4, $5 }' "$log" | tail -n 1)
	if [ "$rc" -eq 77 ] && [ -z "$row" ]; then
		skipped=$((skipped + 1))
		echo "skip $t: $(grep -m1 '^SKIP' "$log" | sed 's/^SKIP: //')"
		rm -f "$log"
		continue
	elif [ -n "$row" ]; then
		read -r p f <<<"$row"
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	elif [ "$rc" -eq 0 ]; then
		p=1 f=0
	else
		p=0 f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		failures+=("$t")
		echo "FAIL $t (exit $rc, ${secs}s)"
		sed 's/^/    /' "$log" | tail -n 60
	else
		echo "ok   $t ($p passed, ${secs}s)"
	fi
	rm -f "$log"
done

if [ "${#failures[@]}" -ne 0 ]; then
	echo "failed: ${failures[*]}"
fi
if [ "$skipped" -ne 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
