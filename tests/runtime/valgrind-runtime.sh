#!/bin/sh
# Runs the runtime tests that must be clean under valgrind - above all the
# 100,000 fault-and-recover cycles - and fails on any memory error, any
# definitely or indirectly lost block, or any failed CUnit assertion.
# test_fault is left out: it forks children that die on purpose.
# Run from the repository root after building.
set -u
if [ -n "${PD_SANITIZE:-}" ]; then
	echo "SKIP: valgrind cannot run a sanitizer build (its own checks ran in the tests above)"
	exit 77
fi
command -v valgrind >/dev/null || { echo "$0: valgrind not installed" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for t in test_recovery_stress test_threads test_heap test_rref; do
	prog=build/tests/runtime/$t
	[ -x "$prog" ] || { echo "$0: $prog not built" >&2; exit 1; }
	if valgrind -q --error-exitcode=1 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect \
		--suppressions=tests/runtime/valgrind.supp \
		"$prog" >"$log" 2>&1; then
		echo "valgrind clean: $t"
	else
		echo "valgrind FAILED: $t"
		tail -n 40 "$log"
		status=1
	fi
done
exit $status
