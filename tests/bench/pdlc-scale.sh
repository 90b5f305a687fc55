#!/bin/bash
# Times pdlc, median of 5 runs, on two generated inputs: a .pdl of about
# LINES lines (default 20,000) of every kind of declaration, and a pipeline
# of 10,000 stages and 100,000 edges (the pipeline and flow checks).
# Run from the repository root after `ninja`.
#
#   tests/bench/pdlc-scale.sh --shapes [MAX [MIN]]   the hostile shapes of issue 15
#                                                    instead (pdlc-scale-shapes.sh)
set -eu
if [ "${1:-}" = "--shapes" ]; then
	shift
	exec tests/bench/pdlc-scale-shapes.sh "$@"
fi
lines=${1:-20000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3
[ -x "$py" ] || py=python3
"$py" tests/bench/gen-large-pdl.py "$lines" >"$tmp/big.pdl"
actual=$(wc -l <"$tmp/big.pdl")
# median_us FILE: pdlc's wall time on FILE, the median of 5 runs
median_us() {
	local times=() start end
	for run in 1 2 3 4 5; do
		start=$(date +%s%N)
		build/pdlc -I idl -o "$tmp" "$1"
		end=$(date +%s%N)
		times+=($(( (end - start) / 1000 )))
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n 3p
}
echo "pdlc_lines=$actual pdlc_median_us=$(median_us "$tmp/big.pdl") output_bytes=$(cat "$tmp"/big.pdl.[ch] | wc -c)"
"$py" tests/bench/gen-wiring.py 10000 100000 >"$tmp/wiring.pdl"
edges=$(grep -c -- '->' "$tmp/wiring.pdl")
echo "wiring_stages=10000 wiring_edges=$edges pdlc_median_us=$(median_us "$tmp/wiring.pdl")"
