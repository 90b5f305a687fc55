/*
 * main.c - the null-filter pipeline: null filters, each in its own
 * protection domain, between an RX and a TX port.
 *
 *   nullfilter [EAL args] [--stages N] [common options]   forward packets
 *   nullfilter [EAL args] --bench [--bench-out DIR]       the paper's Figure 2
 *
 * With no EAL arguments naming a port it runs over net_null.  --bench prints
 * its figures and writes files only where --bench-out says (the committed
 * docs/figure2.* are refreshed with --bench-out docs, on purpose).  The chain is the one pdlc
 * emits from `pipeline chain { rx -> f1 -> ... -> f5 -> tx; }` in
 * idl/nullfilter.pdl; --stages N asks for another length, built here from
 * the same domain spec.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nullfilter.pdl.h"
#include "nullfilter_bench.h"
#include "pd_app.h"

typedef struct nf_opts {
	unsigned n_stages;
	bool bench;
	const char *bench_out;
	unsigned bench_samples;
} nf_opts;

static int number(const char *opt, const char *v, unsigned lo, unsigned hi,
		  unsigned *out)
{
	char *end;
	unsigned long n = v ? strtoul(v, &end, 10) : 0;

	if (!v || !*v || *end || v[0] == '-' || n < lo || n > hi) {
		fprintf(stderr, "nullfilter: %s wants an integer in [%u, %u], not '%s'\n",
			opt, lo, hi, v ? v : "(nothing)");
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

static int nf_option(int argc, char **argv, void *ctx)
{
	nf_opts *o = ctx;
	const char *v = argc > 1 ? argv[1] : NULL;

	if (!strcmp(argv[0], "--stages"))
		return number(argv[0], v, 1, PD_MAX_STAGES, &o->n_stages) ? -1 : 2;
	if (!strcmp(argv[0], "--bench")) {
		o->bench = true;
		return 1;
	}
	if (!strcmp(argv[0], "--bench-out")) {
		if (!v) {
			fprintf(stderr, "nullfilter: --bench-out wants a directory\n");
			return -1;
		}
		o->bench_out = v;
		return 2;
	}
	if (!strcmp(argv[0], "--bench-samples"))
		return number(argv[0], v, 100, 10000000, &o->bench_samples) ? -1 : 2;
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const default_vdevs[] = { "net_null0", NULL };
	static char names[PD_MAX_STAGES][8];
	static pd_stage_desc stages[PD_MAX_STAGES];
	nf_opts nf = { .n_stages = 0, .bench_out = NULL, .bench_samples = 10000 };
	pd_app_opts opts = {
		.extra = nf_option,
		.ctx = &nf,
		.usage = "  --stages N                 null filters in the chain (5)\n"
			 "  --bench                    measure isolation cost (Figure 2)\n"
			 "  --bench-out DIR            --bench also writes figure2.csv and .png there\n"
			 "  --bench-samples N          samples per variant, size and round (10000)\n",
	};

	int rc = pd_app_start(argc, argv, default_vdevs, &opts);
	if (rc != 0)
		return rc > 0 ? 0 : 2;

	const pd_pipeline_desc *pipeline = &nullfilter_chain_pipeline;
	pd_pipeline_desc custom;
	if (nf.n_stages) {
		for (unsigned i = 0; i < nf.n_stages; i++) {
			snprintf(names[i], sizeof names[i], "f%u", i + 1);
			stages[i] = (pd_stage_desc){ .name = names[i],
						     .domain = &nullfilter_null_domain };
		}
		pd_pipeline_chain(&custom, nullfilter_chain_pipeline.name, stages, nf.n_stages);
		pipeline = &custom;
	}

	if (nf.bench)
		return nullfilter_bench(pipeline, nf.bench_out, nf.bench_samples);
	return pd_app_run(pipeline, &opts);
}
