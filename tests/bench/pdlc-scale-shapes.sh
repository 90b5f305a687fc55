#!/bin/bash
# pdlc's time and peak memory on the hostile shapes of issue 15
# (tests/bench/gen-hostile-pdl.py), from MIN_LINES doubling up to MAX_LINES:
#
#   tests/bench/pdlc-scale-shapes.sh [MAX_LINES [MIN_LINES]]   (1024000 and 1000)
#
# Prints a table: shape, lines, median wall time of $RUNS runs (3; 1 once a
# run takes over 5 s), peak RSS, pdlc's exit status, and the ratio of each
# to the row before (the goal: <= 2.2 per doubling).  A shape stops early
# when pdlc dies, takes over $LIMIT_S seconds (120) or $LIMIT_MB MiB (4096).
# PDLC=path times another pdlc (e.g. an older build); SHAPES="a b" picks.
# Run from the repository root after `ninja`.
set -u
max=${1:-1024000}
min=${2:-1000}
pdlc=${PDLC:-build/pdlc}
runs=${RUNS:-3}
limit_s=${LIMIT_S:-120}
limit_mb=${LIMIT_MB:-4096}
shapes=${SHAPES:-"struct_chain struct_cycle own_chain pipeline_leak vec_depth fields declassify emits"}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf '%-14s %8s %9s %9s %9s %7s %7s %7s\n' shape lines bytes time_s rss_mb exit t_ratio m_ratio
for shape in $shapes; do
	prev_t="" prev_m=""
	for ((n = min; n <= max; n *= 2)); do
		"$py" tests/bench/gen-hostile-pdl.py "$shape" "$n" >"$tmp/in.pdl"
		lines=$(wc -l <"$tmp/in.pdl")
		bytes=$(wc -c <"$tmp/in.pdl")
		times=() rss=0 rc=0 stop=0
		for ((r = 0; r < runs; r++)); do
			rm -rf "$tmp/out"
			( ulimit -v $((limit_mb * 1024)); exec timeout "$limit_s" /usr/bin/time -f '%e %M' \
				-o "$tmp/time" "$pdlc" -I idl -o "$tmp/out" "$tmp/in.pdl" ) >/dev/null 2>"$tmp/err"
			rc=$?
			# (time puts "Command exited with non-zero status N" first)
			read -r t m < <(tail -n 1 "$tmp/time" 2>/dev/null) || { t=$limit_s; m=0; }
			case "$t" in [0-9]*) ;; *) t=$limit_s m=0 ;; esac   # time killed by timeout
			times+=("$t")
			[ "${m:-0}" -gt "$rss" ] && rss=$m
			if [ "$rc" -gt 1 ]; then stop=1; break; fi
			awk -v t="$t" 'BEGIN { exit !(t > 5) }' && break
		done
		med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
		mb=$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')
		[ "$rc" -eq 124 ] && stop=1
		tr=- mr=-
		if [ -n "$prev_t" ]; then
			tr=$(awk -v a="$med" -v b="$prev_t" 'BEGIN { if (b < 0.02) print "~"; else printf "%.2f", a / b }')
			mr=$(awk -v a="$mb" -v b="$prev_m" 'BEGIN { if (b < 0.1 || a < 0.1) print "~"; else printf "%.2f", a / b }')
		fi
		status=$rc
		[ "$rc" -eq 124 ] && status=timeout
		[ "$rc" -gt 128 ] && [ "$rc" -ne 124 ] && status="sig$((rc - 128))"
		grep -q 'out of memory\|Cannot allocate' "$tmp/err" && status=oom
		printf '%-14s %8s %9s %9s %9s %7s %7s %7s\n' "$shape" "$lines" "$bytes" "$med" "$mb" "$status" "$tr" "$mr"
		prev_t=$med prev_m=$mb
		[ "$stop" -eq 1 ] && break
		awk -v t="$med" -v l="$limit_s" 'BEGIN { exit !(t >= l * 0.5) }' && break
		[ "$shape" = vec_depth ] && [ "$n" -ge 16384 ] && break   # the parser's nesting cap
	done
done
