/*
 * nullfilter_bench.h - `nullfilter --bench`: the paper's Figure 2.
 */
#ifndef NULLFILTER_BENCH_H
#define NULLFILTER_BENCH_H

#include "pd_wiring.h"

/* Runs the benchmark (EAL already started), stops the EAL, returns the exit
 * status.  Writes figure2.csv and figure2.png into out_dir (NULL: no files). */
int nullfilter_bench(const pd_pipeline_desc *p, const char *out_dir,
		     unsigned samples);

#endif /* NULLFILTER_BENCH_H */
