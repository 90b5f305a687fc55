#!/bin/bash
# pdlc must never crash, hang or read out of bounds, whatever it is given:
# each input below must give exit status 1 (bad input) or 2 (bad usage)
# with a located "error:" line, within 20 seconds, and without a single
# memcheck error under valgrind.  Run from the repository root.
set -u
pdlc=build/pdlc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
py=${PYTHON:-/usr/bin/python3}
command -v "$py" >/dev/null || py=python3

# run NAME WANT_STATUS WANT_TEXT ARGS...
run() {
	local name=$1 want=$2 text=$3
	shift 3
	# A sanitizer build (PD_SANITIZE) checks itself; valgrind cannot run it.
	if [ -n "${PD_SANITIZE:-}" ]; then
		timeout 120 "$pdlc" "$@" >"$tmp/out" 2>"$tmp/err"
	else
		timeout 120 valgrind -q --error-exitcode=99 "$pdlc" "$@" >"$tmp/out" 2>"$tmp/err"
	fi
	local rc=$?
	if [ "$rc" -eq "$want" ] && { [ -z "$text" ] || grep -q -- "$text" "$tmp/err" "$tmp/out"; }; then
		passed=$((passed + 1))
		echo "  ok   $name"
	else
		failed=$((failed + 1))
		echo "  FAIL $name: exit $rc (want $want), output:"
		head -c 2000 "$tmp/err" | sed 's/^/    /'
	fi
}

printf '' >"$tmp/empty.pdl"
run "empty file" 1 "empty.pdl:1:1: error:" -o "$tmp" "$tmp/empty.pdl"

"$py" -c "import random,sys; r=random.Random(7); sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(65536)))" >"$tmp/junk.pdl"
run "binary junk" 1 "junk.pdl:1:" -o "$tmp" "$tmp/junk.pdl"

printf 'module m;\n\0\0struct\0 s { u8 a; }\0' >"$tmp/nul.pdl"
run "NUL bytes" 1 "nul.pdl:2:1: error: stray byte 0x00" -o "$tmp" "$tmp/nul.pdl"

"$py" -c "print('module m; struct s { ' + 'x' * 1048576 + ' f; }')" >"$tmp/longline.pdl"
run "1 MB line" 1 "longline.pdl:1:22: error: unknown type" -o "$tmp" "$tmp/longline.pdl"

"$py" -c "print('module m; /* ' + 'y' * 1048576)" >"$tmp/longcomment.pdl"
run "1 MB unterminated comment" 1 "longcomment.pdl:1:11: error: unterminated comment" -o "$tmp" "$tmp/longcomment.pdl"

printf 'module m;\nopaque o = "no end\n' >"$tmp/string.pdl"
run "unterminated string" 1 "string.pdl:2:12: error: unterminated string" -o "$tmp" "$tmp/string.pdl"

"$py" -c "print('module m; ' + '{' * 10000 + '}' * 10000)" >"$tmp/braces.pdl"
run "10,000 nested braces" 1 "braces.pdl:1:11: error:" -o "$tmp" "$tmp/braces.pdl"

"$py" -c "print('module m; struct s { ' + 'vec<' * 10000 + 'u8' + '>' * 10000 + ' x; }')" >"$tmp/nested.pdl"
run "10,000 nested types" 1 "nested.pdl:1:20001: error: input nested too deeply" -o "$tmp" "$tmp/nested.pdl"

"$py" -c "print('module m;' + ''.join('struct s%d { u8 a; }' % i for i in range(50000)))" >"$tmp/many.pdl"
run "50,000 structs on one line" 0 "" -o "$tmp" "$tmp/many.pdl"

run "missing file" 1 "cannot read '$tmp/nope.pdl': No such file or directory" -o "$tmp" "$tmp/nope.pdl"
mkdir "$tmp/dir.pdl"
run "a directory as the file" 1 "cannot read '$tmp/dir.pdl': is a directory" -o "$tmp" "$tmp/dir.pdl"
if [ "$(id -u)" -ne 0 ]; then
	printf 'module m;\n' >"$tmp/secret.pdl"
	chmod 000 "$tmp/secret.pdl"
	run "unreadable file" 1 "Permission denied" -o "$tmp" "$tmp/secret.pdl"
fi
printf 'module m;\nimport "dir.pdl";\n' >"$tmp/imports_dir.pdl"
run "an import naming a directory" 1 "imports_dir.pdl:2:8: error: cannot read imported file" -o "$tmp" "$tmp/imports_dir.pdl"
printf 'module m;\n' >"$tmp/ok.pdl"
run "an output folder that cannot be made" 1 "cannot create output folder '$tmp/ok.pdl'" \
	-o "$tmp/ok.pdl/sub" "$tmp/ok.pdl"
mkdir -p "$tmp/a" "$tmp/b"
printf 'module a;\n' >"$tmp/a/same.pdl"
printf 'module b;\n' >"$tmp/b/same.pdl"
run "two inputs for one output" 2 "would both be written to $tmp/same.pdl.h" \
	-o "$tmp" "$tmp/a/same.pdl" "$tmp/b/same.pdl"

run "no arguments" 2 "no input file"
run "unknown option" 2 "unknown option: --frobnicate" --frobnicate "$tmp/ok.pdl"
run "-o without a folder" 2 "missing argument after: -o" "$tmp/ok.pdl" -o
run "--version" 0 "pdlc 0.1.0 (libpd format 2)" --version
run "--help" 0 "usage: pdlc" --help

echo "Run Summary:    Type  Total    Ran Passed Failed Inactive"
echo "               tests $((passed + failed)) $((passed + failed)) $passed $failed 0"
[ "$failed" -eq 0 ]
