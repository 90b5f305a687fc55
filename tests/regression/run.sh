#!/bin/bash
# Regression inputs for pdlc (issue 15 onwards), one folder each, run from
# the repository root.  A folder holds the input, either as files (the
# first argument is input.pdl) or as a line "generate SHAPE LINES" (made by
# tests/bench/gen-hostile-pdl.py), and a file `expect` of lines:
#
#   status N          pdlc's exit status (default 0)
#   stderr REGEX      a line of its stderr must match (grep -E); repeatable
#   no-stderr REGEX   no line may match
#   stack_kb N        run under `ulimit -s N`: recursion as deep as the
#                     input dies here, a bounded pass does not
#   memory_mb N       run under `ulimit -v`: super-linear memory dies here
#   leaks             run under valgrind: no leak of any kind, no error
#   args ARGS         pdlc's arguments instead of "-I idl -o OUT input.pdl"
#                     (OUT and DIR in them are replaced by the output folder
#                     and the case's folder)
#
# Every run also has a 60 s hang guard, far above what any case takes now
# (each one took minutes, or died, before its fix).  PDLC=path tests
# another build (e.g. the code before a fix, to see the case fail).
# Under a sanitizer build of pdlc (it holds __asan_init) LeakSanitizer
# checks the `leaks` cases instead of valgrind, and `memory_mb` is not
# applied (ASan's shadow memory needs terabytes of address space).
# Prints a CUnit-style row so the runner counts each case.
set -u
pdlc=${PDLC:-build/pdlc}
asan=0
grep -qa __asan_init "$pdlc" && asan=1
py=/usr/bin/python3
[ -x "$py" ] || py=python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

for dir in tests/regression/*/; do
	dir=${dir%/}
	name=$(basename "$dir")
	[ -f "$dir/expect" ] || continue
	want_status=0 stack="" memory="" leaks=0 args=""
	while read -r key rest; do
		case "$key" in
		status) want_status=$rest ;;
		stack_kb) stack=$rest ;;
		memory_mb) memory=$rest ;;
		leaks) leaks=1 ;;
		args) args=$rest ;;
		esac
	done <"$dir/expect"
	out="$tmp/$name"
	mkdir -p "$out"
	input="$dir/input.pdl"
	gen=$(sed -n 's/^generate //p' "$dir/expect")
	if [ -n "$gen" ]; then
		# shellcheck disable=SC2086
		"$py" tests/bench/gen-hostile-pdl.py $gen >"$out/input.pdl"
		input="$out/input.pdl"
	fi
	if [ -n "$args" ]; then
		args=${args//OUT/$out}
		args=${args//DIR/$dir}
	else
		args="-I idl -o $out $input"
	fi
	wrap=()
	[ "$leaks" -eq 1 ] && [ "$asan" -eq 0 ] && wrap=(valgrind -q --leak-check=full
		--show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99)
	[ "$asan" -eq 1 ] && memory=
	# shellcheck disable=SC2086
	(
		[ -n "$stack" ] && ulimit -s "$stack"
		[ -n "$memory" ] && ulimit -v $((memory * 1024))
		export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
		exec timeout 60 "${wrap[@]}" "$pdlc" $args
	) >"$out/stdout" 2>"$out/stderr"
	rc=$?
	why=""
	[ "$rc" -eq "$want_status" ] || why="exit $rc, want $want_status"
	while read -r key rest; do
		case "$key" in
		stderr) grep -Eq -- "$rest" "$out/stderr" || why="${why:+$why; }no stderr line matches '$rest'" ;;
		no-stderr) ! grep -Eq -- "$rest" "$out/stderr" || why="${why:+$why; }stderr matches '$rest'" ;;
		esac
	done <"$dir/expect"
	if [ -z "$why" ]; then
		passed=$((passed + 1))
		echo "  ok   $name"
	else
		failed=$((failed + 1))
		echo "  FAIL $name: $why"
		head -c 1500 "$out/stderr" | sed 's/^/    /'
	fi
done
echo "Run Summary:    Type  Total    Ran Passed Failed Inactive"
echo "               tests $((passed + failed)) $((passed + failed)) $passed $failed 0"
[ "$failed" -eq 0 ]
