#!/bin/sh
# `demo --bench` runs to the end: parse -> firewall -> Maglev measured
# isolated and direct at every batch size, then Maglev alone, with every
# mbuf back in the pool.  What it measures is not judged here (that is
# docs/benchmarks.md's job); that it measures both variants, with figures, is.
. tests/dpdk/lib.sh
scratch
build/examples/demo -- --bench --bench-samples 100 >"$SCRATCH/log" 2>&1 ||
	fail "demo --bench exited with $?: $(tail -5 "$SCRATCH/log")"
expect_no_leak "$SCRATCH/log"
for batch in 16 32 64 128 256; do
	grep -Eq "^batch=$batch direct_mpps=[0-9.]+ isolated_mpps=[0-9.]+ overhead_pct=-?[0-9.]+ direct_cycles=[0-9]+ isolated_cycles=[0-9]+$" \
		"$SCRATCH/log" || fail "no figures for batch $batch: $(grep "^batch=$batch " "$SCRATCH/log")"
done
grep -q '^bench: Maglev alone' "$SCRATCH/log" || fail "the Maglev-alone part did not start"
grep -Eq '^maglev_only batch=256 direct_mpps=[0-9.]+ isolated_mpps=[0-9.]+ ' "$SCRATCH/log" ||
	fail "the Maglev-alone part measured nothing: $(tail -3 "$SCRATCH/log")"
echo "ok: demo --bench measured both variants, the chain and Maglev alone, mbufs_in_use=0"
