#!/bin/bash
# The Maglev rewrite's checksums, checked by tools that share no code with
# it: check_rewrite.py makes a trace with scapy, build/tests/maglev/rewrite_pcap
# rewrites it with the library, and scapy (recomputing every checksum) and
# tshark (validating them) must find every IPv4/TCP/UDP checksum correct and
# nothing changed but the destination MAC/IP and the checksums.  The check
# must also be able to fail: the same output with three checksums broken on
# purpose must be rejected, naming exactly those frames.  Malformed frames
# must all be refused, each with its error.  Run from the repository root.
set -u
py=/usr/bin/python3
check=tests/maglev/check_rewrite.py
rewrite=build/tests/maglev/rewrite_pcap
dir=build/tests/maglev/checksums
mkdir -p "$dir"
fail=0

die() { echo "FAIL: $*"; exit 1; }

[ -x "$rewrite" ] || die "$rewrite not built (ninja tests_maglev)"
$py "$check" gen "$dir/valid.pcap" "$dir/malformed.pcap" || die "trace generation failed"

$rewrite "$dir/valid.pcap" "$dir/out.pcap" >"$dir/valid.log" || die "rewrite_pcap failed on the valid trace"
grep -qx 'rewritten=600 dropped=0' "$dir/valid.log" ||
	{ cat "$dir/valid.log"; die "the library refused well-formed frames"; }

$rewrite "$dir/malformed.pcap" "$dir/malformed-out.pcap" >"$dir/malformed.log" ||
	die "rewrite_pcap failed on the malformed trace"
expected_drops='rewritten=0 dropped=16
drop truncated frame=5
drop VLAN-tagged frame=1
drop not an IPv4 frame=2
drop malformed IPv4 header=3
drop IPv4 fragment=2
drop neither TCP nor UDP=1
drop malformed TCP/UDP header=2'
if [ "$(grep -v '^backend ' "$dir/malformed.log")" != "$expected_drops" ]; then
	echo "malformed frames: expected"; echo "$expected_drops"; echo "got"
	grep -v '^backend ' "$dir/malformed.log"
	fail=1
fi

$py "$check" check "$dir/valid.pcap" "$dir/out.pcap" "$dir/valid.log" || fail=1

# The checker must catch broken checksums: plainly (exit 1) and precisely.
$py "$check" corrupt "$dir/out.pcap" "$dir/corrupted.pcap" || die "corrupt failed"
if $py "$check" check "$dir/valid.pcap" "$dir/corrupted.pcap" "$dir/valid.log" >"$dir/corrupted.log"; then
	echo "the checker passed a trace with broken checksums:"; cat "$dir/corrupted.log"
	fail=1
else
	echo "corrupted trace rejected, as it must be"
fi
$py "$check" check "$dir/valid.pcap" "$dir/corrupted.pcap" "$dir/valid.log" --expect-bad 0,1,2 ||
	fail=1

[ "$fail" -eq 0 ] && echo "checksums: ok" || echo "checksums: FAIL"
exit "$fail"
