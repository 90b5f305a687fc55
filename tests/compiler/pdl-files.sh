#!/bin/bash
# File-driven pdlc tests, run from the repository root:
#   tests/pdl/ok/*.pdl    must compile, and the C they give must compile with -Werror;
#   tests/pdl/err/X.pdl   must fail with exit 1 and exactly the diagnostics in X.expected;
#   idl/**/*.pdl          must compile, twice, to the same bytes (determinism).
# Prints a CUnit-style summary row so the runner counts each file.
set -u
pdlc=build/pdlc
cc=${CC:-gcc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

pass() { passed=$((passed + 1)); echo "  ok   $1"; }
fail() { failed=$((failed + 1)); echo "  FAIL $1: $2"; }

# The modules the ok files import, generated where their #includes look.
mkdir -p "$tmp/okinc/inc"
for f in tests/pdl/ok/inc/*.pdl; do
	"$pdlc" -I idl -o "$tmp/okinc/inc" "$f" || fail "$f" "pdlc failed on an imported module"
done

for f in tests/pdl/ok/*.pdl; do
	out="$tmp/ok/$(basename "$f" .pdl)"
	mkdir -p "$out"
	if ! "$pdlc" -I idl -o "$out" "$f" 2>"$out/stderr"; then
		fail "$f" "pdlc failed: $(head -n 3 "$out/stderr")"
	elif [ -s "$out/stderr" ]; then
		fail "$f" "pdlc printed diagnostics on a clean file"
	elif ! $cc -std=gnu11 -Wall -Wextra -Werror -Iruntime -Igenerated -I"$tmp/okinc" -I"$out" \
		-c "$out"/*.pdl.c -o "$out/x.o" 2>"$out/cc"; then
		fail "$f" "generated C does not compile: $(head -n 5 "$out/cc")"
	else
		pass "$f"
	fi
done

for f in tests/pdl/err/*.pdl; do
	expected="${f%.pdl}.expected"
	"$pdlc" -I idl -o "$tmp" "$f" 2>"$tmp/stderr" >/dev/null
	rc=$?
	if [ "$rc" -ne 1 ]; then
		fail "$f" "exit status $rc, expected 1"
	elif ! diff -u "$expected" "$tmp/stderr" >"$tmp/diff"; then
		fail "$f" "diagnostics differ:"
		cat "$tmp/diff"
	elif ls "$tmp"/*.pdl.[ch] >/dev/null 2>&1; then
		fail "$f" "output was written for a file with errors"
	else
		pass "$f"
	fi
done

for f in $(find idl -name '*.pdl' | sort); do
	a="$tmp/det/a" b="$tmp/det/b"
	# idl/std/x.pdl is written to OUT/std/x.pdl.h: below -I idl as below idl.
	name=${f#idl/}
	name=${name%.pdl}
	if "$pdlc" -I idl -o "$a" "$f" && "$pdlc" -I idl -o "$b" "$f" &&
		[ -s "$a/$name.pdl.h" ] && [ -s "$a/$name.pdl.c" ] &&
		cmp -s "$a/$name.pdl.h" "$b/$name.pdl.h" && cmp -s "$a/$name.pdl.c" "$b/$name.pdl.c"; then
		pass "$f (deterministic)"
	else
		fail "$f" "not reproducible"
	fi
	if grep -q -e "$PWD" -e '20[0-9][0-9]-[01][0-9]-' "$a/$name".pdl.[ch]; then
		fail "$f" "output holds an absolute path or a date"
	fi
done

echo "Run Summary:    Type  Total    Ran Passed Failed Inactive"
echo "               tests $((passed + failed)) $((passed + failed)) $passed $failed 0"
[ "$failed" -eq 0 ]
