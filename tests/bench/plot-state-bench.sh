#!/bin/bash
# Draws docs/state_bench.png (and docs/state_bench.csv) from the output of
#   build/examples/firewall --state-bench > fw.txt
#   build/examples/maglev --state-bench > mg.txt
#   tests/bench/plot-state-bench.sh fw.txt mg.txt [OUTDIR]
# checkpoint pause and restore outage (medians) against state size, both
# designs, log-log, with gnuplot (issue 13).
set -eu
out=${3:-docs}
csv="$out/state_bench.csv"
echo "nf,design,state_objects,dirty_pct,pause_us,outage_us,throughput_cost_pct,cost_best_pct" >"$csv"
cat "$1" "$2" | awk '$2 ~ /^design=/ {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	best = "";
	for (i = 2; i < NF; i++) if ($i == "(best_of_trials") { best = $(i + 1); sub(/\)/, "", best) }
	p = v["checkpoint_pause_us"]; sub(/\[.*/, "", p)
	o = v["restore_outage_us"]; sub(/\[.*/, "", o)
	print $1 "," v["design"] "," v["state_objects"] "," v["dirty_pct"] "," p "," o "," v["ckpt_throughput_cost_pct"] "," best
}' >>"$csv"
series() { awk -F, -v nf="$1" -v d="$2" -v col="$3" 'NR > 1 && $1 == nf && $2 == d { print $3, $col }' "$csv"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for nf in firewall maglev; do
	for d in full incremental; do
		series $nf $d 5 >"$tmp/$nf-$d-pause"
		series $nf $d 6 >"$tmp/$nf-$d-outage"
	done
done
gnuplot <<GP
set terminal png size 1100,450
set output "$out/state_bench.png"
set multiplot layout 1,2
set logscale xy
set grid
set key top left
set xlabel "state (heap objects; Maglev: flows)"
set ylabel "microseconds (median)"
set title "checkpoint pause on the data path"
plot "$tmp/firewall-full-pause" w lp t "firewall, full", \
     "$tmp/firewall-incremental-pause" w lp t "firewall, incremental", \
     "$tmp/maglev-full-pause" w lp t "maglev, full", \
     "$tmp/maglev-incremental-pause" w lp t "maglev, incremental", \
     100 w l dt 2 t "goal 100 us"
set title "recovery outage: fault to the first batch after it"
plot "$tmp/firewall-full-outage" w lp t "firewall, full", \
     "$tmp/firewall-incremental-outage" w lp t "firewall, incremental", \
     "$tmp/maglev-full-outage" w lp t "maglev, full", \
     "$tmp/maglev-incremental-outage" w lp t "maglev, incremental", \
     1000 w l dt 2 t "goal 1 ms"
unset multiplot
GP
echo "wrote $csv and $out/state_bench.png"
