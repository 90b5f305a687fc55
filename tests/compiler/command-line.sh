#!/bin/bash
# pdlc's command line as build systems use it: outputs land where the
# generated #include lines expect them (below OUTDIR as below the -I
# folder, like protoc), several inputs in one run, a missing output folder
# made, the glued option forms, unchanged outputs left alone (for Ninja's
# restat), a depfile naming every output and every file read, and the
# standard import folder found beside the binary, overridable.
# Run from the repository root; PDLC=path tests another pdlc.
set -u
pdlc=${PDLC:-build/pdlc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

check() {       # check NAME COMMAND...: passes when COMMAND succeeds
	local name=$1
	shift
	if "$@" >"$tmp/check.out" 2>&1; then
		passed=$((passed + 1))
		echo "  ok   $name"
	else
		failed=$((failed + 1))
		echo "  FAIL $name"
		sed 's/^/    /' "$tmp/check.out" | head -n 20
	fi
}

# -- where outputs go ----------------------------------------------------
layout() {
	"$pdlc" -I idl -o "$tmp/gen" idl/std/packet.pdl &&
		[ -f "$tmp/gen/std/packet.pdl.h" ] && [ -f "$tmp/gen/std/packet.pdl.c" ] &&
		[ ! -e "$tmp/gen/packet.pdl.h" ]
}
check "an input below -I DIR is written below OUTDIR the same way" layout

outside() {
	mkdir -p "$tmp/elsewhere" && printf 'module lone;\n' >"$tmp/elsewhere/lone.pdl" &&
		"$pdlc" -I idl -o "$tmp/gen" "$tmp/elsewhere/lone.pdl" && [ -f "$tmp/gen/lone.pdl.h" ]
}
check "an input below no import folder is written to OUTDIR/NAME" outside

several() {
	"$pdlc" -I idl -o "$tmp/many" idl/std/packet.pdl idl/nullfilter.pdl idl/firewall.pdl &&
		[ -f "$tmp/many/std/packet.pdl.h" ] && [ -f "$tmp/many/nullfilter.pdl.c" ] &&
		[ -f "$tmp/many/firewall.pdl.c" ] &&
		# the includes resolve with -I OUTDIR alone, not with the committed tree
		gcc -std=gnu11 -Wall -Wextra -Werror -Iruntime -I"$tmp/many" \
			-c "$tmp/many/nullfilter.pdl.c" -o "$tmp/nullfilter.o"
}
check "several inputs in one run; their #includes resolve with -I OUTDIR" several

nested() {
	"$pdlc" -I idl -o "$tmp/not/there/yet" idl/nullfilter.pdl &&
		[ -f "$tmp/not/there/yet/nullfilter.pdl.h" ]
}
check "a missing output folder is made" nested

# -- option spellings --------------------------------------------------------
glued() {
	"$pdlc" -I idl -o "$tmp/spaced" --depfile "$tmp/spaced.d" idl/nullfilter.pdl &&
		"$pdlc" -Iidl -o"$tmp/glued" --depfile="$tmp/glued.d" idl/nullfilter.pdl &&
		cmp "$tmp/spaced/nullfilter.pdl.h" "$tmp/glued/nullfilter.pdl.h" &&
		cmp "$tmp/spaced/nullfilter.pdl.c" "$tmp/glued/nullfilter.pdl.c" &&
		[ "$(sed "s|$tmp/spaced|X|g" "$tmp/spaced.d")" = "$(sed "s|$tmp/glued|X|g" "$tmp/glued.d")" ]
}
check "-IDIR, -oDIR and --depfile=FILE work as the spaced forms" glued

# -- restat ------------------------------------------------------------------
unchanged() {
	cp idl/std/packet.pdl "$tmp/std.pdl" &&
		"$pdlc" -o "$tmp/restat" "$tmp/std.pdl" &&
		touch -d '2001-01-01' "$tmp/restat/std.pdl.h" "$tmp/restat/std.pdl.c" &&
		"$pdlc" -o "$tmp/restat" "$tmp/std.pdl" &&
		[ "$(stat -c %Y "$tmp/restat/std.pdl.h")" = "$(date -d 2001-01-01 +%s)" ] &&
		[ "$(stat -c %Y "$tmp/restat/std.pdl.c")" = "$(date -d 2001-01-01 +%s)" ] &&
		printf '\nstruct extra { u8 a; }\n' >>"$tmp/std.pdl" &&
		"$pdlc" -o "$tmp/restat" "$tmp/std.pdl" &&
		[ "$(stat -c %Y "$tmp/restat/std.pdl.h")" != "$(date -d 2001-01-01 +%s)" ] &&
		grep -q std_extra "$tmp/restat/std.pdl.h"
}
check "an output whose bytes do not change is not rewritten; a changed one is" unchanged

# A write that fails part-way (past a file-size limit, with SIGXFSZ ignored
# so write() fails with EFBIG) must say so, exit 1 and leave the outputs of
# the last good run as they were, with no temporary file beside them: at
# 4 KiB the header fails, at 12 KiB the source (after a whole header, which
# must not replace the old one alone).
short_write() {
	local limit=$1 failing=$2
	rm -rf "$tmp/short" &&
		"$pdlc" -I idl -o "$tmp/short" idl/firewall.pdl &&
		cp "$tmp/short/firewall.pdl.h" "$tmp/firewall.h.good" &&
		cp "$tmp/short/firewall.pdl.c" "$tmp/firewall.c.good" &&
		sed 's/^module firewall;/module firewall;\nstruct extra { u8 a; }/' idl/firewall.pdl \
			>"$tmp/firewall.pdl" &&
		! (trap '' XFSZ; ulimit -f "$limit"; exec "$pdlc" -I idl -o "$tmp/short" "$tmp/firewall.pdl") \
			2>"$tmp/short.err" &&
		grep -q "error: cannot write '$tmp/short/firewall.pdl.$failing': File too large" "$tmp/short.err" &&
		cmp "$tmp/short/firewall.pdl.h" "$tmp/firewall.h.good" &&
		cmp "$tmp/short/firewall.pdl.c" "$tmp/firewall.c.good" &&
		[ "$(ls -A "$tmp/short")" = "$(printf 'firewall.pdl.c\nfirewall.pdl.h')" ]
}
check "a header write that fails part-way is an error and leaves the last outputs as they were" \
	short_write 4 h
check "a source write that fails part-way leaves the old header too, not a new one beside the old source" \
	short_write 12 c

# Two inputs, the second too large for the limit: the first module's outputs
# are written, and the error gives the write's own reason (not a stale one
# left by looking for the first module's files).
second_fails() {
	cp idl/std/packet.pdl "$tmp/p.pdl" && cp idl/firewall.pdl "$tmp/firewall.pdl" &&
		! (trap '' XFSZ; ulimit -f 12; exec "$pdlc" -I idl -o "$tmp/two" "$tmp/p.pdl" "$tmp/firewall.pdl") \
			2>"$tmp/two.err" &&
		[ -f "$tmp/two/p.pdl.h" ] && [ -f "$tmp/two/p.pdl.c" ] &&
		grep -q "error: cannot write '$tmp/two/firewall.pdl.c': File too large" "$tmp/two.err" &&
		[ "$(ls -A "$tmp/two")" = "$(printf 'p.pdl.c\np.pdl.h')" ]
}
check "when the second of two inputs cannot be written, the error says why" second_fails

# Outputs in a folder the user may not write (a read-only checkout) are fine
# while they are current; a change is an error naming the file.
read_only() {
	command -v setpriv >/dev/null || { echo "(no setpriv: skipped)"; return 0; }
	local ro
	ro=$(mktemp -d /tmp/pdlc-ro.XXXXXX) && chmod 755 "$ro" && cp idl/std/packet.pdl "$ro/p.pdl" &&
		"$pdlc" -o "$ro/out" "$ro/p.pdl" && chmod 555 "$ro/out" &&
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$pdlc" -o "$ro/out" "$ro/p.pdl" &&
		printf '\nstruct extra { u8 a; }\n' >>"$ro/p.pdl" &&
		! setpriv --reuid=nobody --regid=nogroup --clear-groups "$pdlc" -o "$ro/out" "$ro/p.pdl" \
			2>"$tmp/ro.err" &&
		grep -q "error: cannot write '$ro/out/p.pdl.h': Permission denied" "$tmp/ro.err" &&
		! grep -q extra "$ro/out/p.pdl.h"
	local rc=$?
	rm -rf "$ro"
	return $rc
}
check "a read-only output folder is fine while the outputs are current" read_only

# Any legal output name works (the temporary name does not grow it), and a
# FIFO in a target's place is replaced, not read (which would block).
names_and_fifos() {
	local n
	n=$(printf 'a%.0s' $(seq 240)) &&
		cp idl/std/packet.pdl "$tmp/$n.pdl" && "$pdlc" -o "$tmp/long" "$tmp/$n.pdl" &&
		[ -f "$tmp/long/$n.pdl.h" ] &&
		mkdir -p "$tmp/fifo" && mkfifo "$tmp/fifo/std.pdl.h" && cp idl/std/packet.pdl "$tmp/std.pdl" &&
		timeout 20 "$pdlc" -o "$tmp/fifo" "$tmp/std.pdl" && [ -f "$tmp/fifo/std.pdl.h" ] &&
		[ "$(ls -A "$tmp/fifo")" = "$(printf 'std.pdl.c\nstd.pdl.h')" ]
}
check "a 246-character output name works; a FIFO in an output's place does not block" names_and_fifos

# Two builds writing the same output folder at once (two build trees sharing
# one, a build beside an editor's): every run must succeed and leave whole
# files, the same bytes as a run alone, with a plain file's mode.
at_once() {
	"$pdlc" -I idl -o "$tmp/alone" idl/kvstore.pdl &&
		for round in 1 2 3 4 5; do
			pids=""
			for k in 1 2 3 4; do
				"$pdlc" -I idl -o "$tmp/shared" idl/kvstore.pdl & pids="$pids $!"
			done
			for p in $pids; do wait "$p" || { echo "round $round: a run failed"; return 1; }; done
			cmp "$tmp/alone/kvstore.pdl.h" "$tmp/shared/kvstore.pdl.h" &&
				cmp "$tmp/alone/kvstore.pdl.c" "$tmp/shared/kvstore.pdl.c" || return 1
			rm "$tmp/shared/kvstore.pdl.h"      # the next round writes it again
		done &&
		[ -z "$(ls "$tmp/shared" | grep '\.tmp$')" ] &&
		[ "$(stat -c %a "$tmp/shared/kvstore.pdl.c")" = "$(stat -c %a "$tmp/alone/kvstore.pdl.c")" ] &&
		touch "$tmp/plain" && [ "$(stat -c %a "$tmp/shared/kvstore.pdl.c")" = "$(stat -c %a "$tmp/plain")" ]
}
check "runs writing the same outputs at once all succeed and leave whole files" at_once

# -- the depfile -------------------------------------------------------------
depfile() {
	"$pdlc" -I idl -o "$tmp/dep" --depfile "$tmp/dep.d" idl/nullfilter.pdl idl/firewall.pdl &&
		tr -d '\\\n' <"$tmp/dep.d" >"$tmp/dep.flat" &&
		targets=$(sed 's/:.*//' "$tmp/dep.flat") &&
		deps=$(sed 's/^[^:]*://' "$tmp/dep.flat") &&
		for t in nullfilter.pdl.h nullfilter.pdl.c firewall.pdl.h firewall.pdl.c; do
			grep -qw -- "$tmp/dep/$t" <<<"$targets" || { echo "target $t missing: $targets"; return 1; }
		done &&
		for d in idl/std/packet.pdl idl/nullfilter.pdl idl/firewall.pdl; do
			grep -qw -- "$d" <<<"$deps" || { echo "dependency $d missing: $deps"; return 1; }
		done
}
check "the depfile names every output and every file read" depfile

# -- the standard import folder --------------------------------------------
# An installed layout: PREFIX/bin/pdlc and PREFIX/share/pdl/idl/std/packet.pdl.
prefix="$tmp/prefix"
mkdir -p "$prefix/bin" "$prefix/share/pdl/idl/std" "$tmp/user"
cp "$pdlc" "$prefix/bin/pdlc"
cp idl/std/packet.pdl "$prefix/share/pdl/idl/std/"
cp idl/nullfilter.pdl "$tmp/user/"
builtin() {
	(unset PDLC_IDL_DIR; cd "$tmp/user" &&
		"$prefix/bin/pdlc" -o out --depfile out.d nullfilter.pdl) &&
		[ -f "$tmp/user/out/nullfilter.pdl.h" ] &&
		grep -q "$prefix/share/pdl/idl/std/packet.pdl" "$tmp/user/out.d"
}
check "the standard .pdl files are found without -I, beside pdlc" builtin

std_input() {
	(unset PDLC_IDL_DIR; "$prefix/bin/pdlc" -o "$tmp/stdout" "$prefix/share/pdl/idl/std/packet.pdl") &&
		[ -f "$tmp/stdout/std/packet.pdl.h" ]
}
check "an input below the standard folder is written below OUTDIR the same way" std_input

after_dash_i() {
	# An -I folder holding its own std/packet.pdl wins over the standard one.
	mkdir -p "$tmp/mine/std" && sed 's/^module std;/module std;\nstruct mine { u8 a; }/' \
		idl/std/packet.pdl >"$tmp/mine/std/packet.pdl" &&
		(unset PDLC_IDL_DIR; cd "$tmp/user" &&
			"$prefix/bin/pdlc" -I "$tmp/mine" -o out2 --depfile out2.d nullfilter.pdl) &&
		grep -q "$tmp/mine/std/packet.pdl" "$tmp/user/out2.d" &&
		! grep -q "$prefix/share" "$tmp/user/out2.d"
}
check "the standard folder is searched after the -I folders" after_dash_i

overridden() {
	mkdir -p "$tmp/other/std" && cp idl/std/packet.pdl "$tmp/other/std/" &&
		(cd "$tmp/user" && PDLC_IDL_DIR="$tmp/other" "$prefix/bin/pdlc" -o o3 --depfile o3.d nullfilter.pdl) &&
		grep -q "$tmp/other/std/packet.pdl" "$tmp/user/o3.d" &&
		(cd "$tmp/user" && PDLC_IDL_DIR=/nonexistent "$prefix/bin/pdlc" --idl-dir "$tmp/other" \
			-o o4 nullfilter.pdl) &&
		! (cd "$tmp/user" && "$prefix/bin/pdlc" --idl-dir '' -o o5 nullfilter.pdl 2>"$tmp/none.err") &&
		grep -q "cannot find imported file 'std/packet.pdl'" "$tmp/none.err" &&
		! (cd "$tmp/user" && PDLC_IDL_DIR= "$prefix/bin/pdlc" -o o6 nullfilter.pdl 2>/dev/null)
}
check "PDLC_IDL_DIR and --idl-dir replace the standard folder ('' for none)" overridden

echo "Run Summary:    Type  Total    Ran Passed Failed Inactive"
echo "               tests $((passed + failed)) $((passed + failed)) $passed $failed 0"
[ "$failed" -eq 0 ]
