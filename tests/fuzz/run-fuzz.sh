#!/bin/bash
# Runs the libFuzzer harnesses that build/fuzz/harnesses.txt lists (Ninja
# writes it from tests/fuzz/build.ninja's fuzz_harnesses), from the root:
#
#   tests/fuzz/run-fuzz.sh          each harness for $FUZZ_SECONDS (default 60)
#                                   seconds, growing its corpus in build/fuzz/corpus/NAME
#                                   (kept between runs, so campaigns add up)
#   tests/fuzz/run-fuzz.sh --smoke  each harness for $FUZZ_SMOKE_SECONDS (default 3)
#                                   seconds on its committed corpus only (ninja test)
#
# FUZZ_FORK=N (long runs) uses libFuzzer's fork mode with N jobs, which goes
# on after a finding instead of stopping at the first one.
#
# A harness NAME reads its seeds from tests/fuzz/corpus/NAME (committed; a
# crash once found is added there and so is replayed by every run), its
# dictionary from tests/fuzz/NAME.dict and extra libFuzzer options, one a
# line, from tests/fuzz/NAME.options when they exist.  Findings (crash-,
# leak-, timeout-, oom-, slow-unit- files) go to build/fuzz/findings/NAME.
# Prints one line per harness: executions, coverage (edges and features),
# corpus size and findings; exits 1 when anything was found, 77 when no
# harness could run (no clang with libFuzzer).
set -u
smoke=0
[ "${1:-}" = "--smoke" ] && smoke=1
list=build/fuzz/harnesses.txt
if [ ! -s "$list" ]; then
	echo "run-fuzz: $list missing: run ninja first" >&2
	exit 1
fi
if [ "$smoke" -eq 1 ]; then
	seconds=${FUZZ_SMOKE_SECONDS:-3}
else
	seconds=${FUZZ_SECONDS:-60}
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ran=0 skipped=0 found=0

printf '%-20s %6s %12s %9s %7s %8s %7s  %s\n' harness secs execs exec/s cov ft corpus findings
while read -r bin; do
	[ -n "$bin" ] || continue
	name=$(basename "$bin")
	"./$bin" -help=1 >"$tmp/probe" 2>&1
	if [ $? -eq 77 ]; then
		skipped=$((skipped + 1))
		echo "SKIP: $(grep -m1 '^SKIP' "$tmp/probe" | sed 's/^SKIP: //')"
		continue
	fi
	seeds=tests/fuzz/corpus/$name
	findings=build/fuzz/findings/$name
	mkdir -p "$findings"
	if [ "$smoke" -eq 1 ]; then
		work=$tmp/corpus-$name
	else
		work=build/fuzz/corpus/$name
	fi
	mkdir -p "$work"
	opts=(-max_total_time="$seconds" -print_final_stats=1 -timeout=20 -rss_limit_mb=2048
	      -artifact_prefix="$findings/")
	if [ "$smoke" -eq 0 ] && [ -n "${FUZZ_FORK:-}" ]; then
		opts+=(-fork="$FUZZ_FORK" -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1)
	fi
	[ -f "tests/fuzz/$name.dict" ] && opts+=(-dict="tests/fuzz/$name.dict")
	if [ -f "tests/fuzz/$name.options" ]; then
		while read -r o; do
			case "$o" in ''|'#'*) ;; *) opts+=("$o") ;; esac
		done <"tests/fuzz/$name.options"
	fi
	dirs=("$work")
	[ -d "$seeds" ] && dirs+=("$seeds")
	before=$(ls "$findings" | wc -l)
	start=$(date +%s)
	"./$bin" "${opts[@]}" "${dirs[@]}" >"$tmp/log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	after=$(ls "$findings" | wc -l)
	new=$((after - before))
	[ "$rc" -ne 0 ] && [ "$new" -eq 0 ] && new=1    # died without an artefact
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/log" | tail -n 1)
	status=$(grep -E '^#[0-9]+' "$tmp/log" | grep 'cov:' | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status")
	corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$status")
	# fork mode prints no final stats: its status lines start with the total
	[ -n "$execs" ] || execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$status")
	rate=$(( ${execs:-0} / (secs > 0 ? secs : 1) ))
	printf '%-20s %6s %12s %9s %7s %8s %7s  %s\n' "$name" "$secs" "${execs:-?}" "$rate" \
		"${cov:-?}" "${ft:-?}" "${corp:-?}" "$new"
	ran=$((ran + 1))
	if [ "$new" -ne 0 ]; then
		found=$((found + new))
		echo "  $name: exit $rc; new in $findings:"
		ls -t "$findings" | head -n "$new" | sed 's/^/    /'
		grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$tmp/log" | head -n 20 | sed 's/^/    /'
	fi
done <"$list"

if [ "$ran" -eq 0 ] && [ "$skipped" -gt 0 ]; then
	exit 77
fi
echo "fuzz: $ran harnesses run, $skipped skipped, $found findings"
[ "$found" -eq 0 ]
