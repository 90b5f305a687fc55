/*
 * state_bench.c - `firewall --state-bench`: the firewall domain at state
 * sizes from 10^3 to 10^6 heap objects (and the 100,000 rules),
 * in both checkpoint designs - full synchronous saves and the undo log of
 * `checkpoint incremental` - with the harness of examples/bench/state_bench.h.
 * The hot set is the rules that 1% of the heap objects are: one packet per
 * hot rule per pass, each bumping that rule's hit counter (the stage's
 * only write on the data path).  Every rule allows, so the stage never
 * frees the fabricated mbufs.
 *
 *   firewall --state-bench [--bench-rules N,N,...] [--bench-runs N] [--bench-trials N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "firewall_bench.h"
#include "firewall_stage.h"
#include "state_bench.h"

#define FRAME_LEN 60

typedef struct traffic {
	struct rte_mbuf **m;
	uint8_t *frames;
	uint32_t n;
} traffic;

static uint64_t rng;

static uint32_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* The rule shapes of --ckpt-bench, all allowing. */
static firewall_rule rule_number(uint32_t i)
{
	firewall_rule r = {
		.src_prefix = next_random(),
		.src_len = (uint8_t)(i % 100 == 0 ? 8 + next_random() % 9 : 24 + next_random() % 9),
		.dst_prefix = next_random(),
		.dst_len = (uint8_t)(next_random() % 33),
		.dst_port_lo = (uint16_t)(i % 1024),
		.dst_port_hi = 65535,
		.proto = i % 3 == 0 ? 6 : i % 3 == 1 ? 17 : 0,
		.allow = true,
	};
	return r;
}

static void frame_for(uint8_t *f, const firewall_rule *r)
{
	uint32_t src = rte_cpu_to_be_32(r->src_prefix), dst = rte_cpu_to_be_32(r->dst_prefix);
	uint16_t dport = rte_cpu_to_be_16(r->dst_port_lo), sport = rte_cpu_to_be_16(1234);
	memset(f, 0, FRAME_LEN);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = 0;
	f[17] = 46;
	f[22] = 64;
	f[23] = r->proto ? r->proto : 6;
	memcpy(f + 26, &src, 4);
	memcpy(f + 30, &dst, 4);
	memcpy(f + 34, &sport, 2);
	memcpy(f + 36, &dport, 2);
}

static void fill(void *ctx, pd_batch *b, uint64_t k)
{
	const traffic *t = ctx;
	b->n = PD_BATCH_MAX < 32 ? PD_BATCH_MAX : 32;
	for (unsigned i = 0; i < b->n; i++)
		b->pkts[i] = t->m[(k * b->n + i) % t->n];
}

/* A firewall domain of n_rules rules, in one design or the other. */
static pd_domain *firewall_of(uint32_t n_rules, int incremental, firewall_rule *rules)
{
	static firewall_config none;
	pd_domain_spec spec = firewall_stage_spec(&none);
	spec.checkpoint_incremental = (uint32_t)incremental;
	spec.quota_bytes = 0;
	pd_domain *d;
	firewall_filter_rref fr;
	if (pd_domain_create(&spec, &d) < 0 || firewall_filter_of_domain(d, 0, &fr) < 0)
		return NULL;
	rng = 0x9e3779b97f4a7c15ull;
	for (uint32_t i = 0; i < n_rules; i++) {
		uint32_t index;
		rules[i] = rule_number(i);
		if (firewall_filter_add_rule(fr, &rules[i], &index) < 0) {
			fprintf(stderr, "state-bench: rule %u not added\n", i);
			pd_domain_destroy(d);
			return NULL;
		}
	}
	return d;
}

/*
 * One state size: each design's pause and outage with only its domain
 * alive (a full recovery sweeps the whole heap), then the throughput of
 * both side by side.
 */
static int one_size(uint32_t n_rules, int runs, int trials)
{
	firewall_rule *rules = malloc(n_rules * sizeof *rules);
	size_t base = pd_heap_live_objects();
	pd_domain *d = firewall_of(n_rules, 0, rules);
	if (d == NULL)
		return -1;
	size_t objects = pd_heap_live_objects() - base;

	/* 1% of the objects: that many rules, spread over the ruleset */
	traffic t = { .n = (uint32_t)(objects / 100) };
	if (t.n == 0)
		t.n = 1;
	if (t.n > n_rules)
		t.n = n_rules;
	t.m = malloc(t.n * sizeof *t.m);
	t.frames = malloc((size_t)t.n * FRAME_LEN);
	for (uint32_t i = 0; i < t.n; i++) {
		frame_for(t.frames + (size_t)i * FRAME_LEN, &rules[(uint64_t)i * n_rules / t.n]);
		t.m[i] = state_bench_mbuf(t.frames + (size_t)i * FRAME_LEN, FRAME_LEN);
	}
	state_bench sb = {
		.fill = fill, .ctx = &t, .hot_batches = (t.n + 31) / 32,
		.dirty_pct = 100.0 * t.n / (double)objects, .state_objects = objects,
		.runs = runs, .trials = trials, .trial_ms = 200,
	};
	state_bench_result rf, ri;
	int rc = state_bench_pause_outage(&sb, d, &rf);
	pd_domain_destroy(d);
	pd_domain *di = rc == 0 ? firewall_of(n_rules, 1, rules) : NULL;
	if (di)
		rc = state_bench_pause_outage(&sb, di, &ri);
	/* Throughput on two fresh instances built alike (both in memory the
	 * first two gave back: a fresh mapping would favour whichever got it). */
	if (di)
		pd_domain_destroy(di);
	pd_domain *df = NULL;
	di = rc == 0 ? firewall_of(n_rules, 1, rules) : NULL;
	if (di)
		df = firewall_of(n_rules, 0, rules);
	if (df)
		rc = state_bench_throughput(&sb, df, di, &rf, &ri);
	if (di && df && rc == 0) {
		state_bench_print("firewall", "full", &sb, &rf);
		state_bench_print("firewall", "incremental", &sb, &ri);
	}
	if (df)
		pd_domain_destroy(df);
	if (di)
		pd_domain_destroy(di);
	for (uint32_t i = 0; i < t.n; i++)
		free(t.m[i]);
	free(t.m);
	free(t.frames);
	free(rules);
	return di && df ? rc : -1;
}

int firewall_state_bench(int argc, char **argv)
{
	state_bench_args a = state_bench_parse_args(argc, argv, "--bench-rules", "48,480,4800,48000,100000");
	printf("# firewall --state-bench: per state size, the full checkpoint (baseline) and the "
	       "incremental one; pause/outage in us as median[min..max] of %d, throughput "
	       "cost of a checkpoint every 10 ms (against no checkpoint and no undo log) from %d "
	       "interleaved trials of 200 ms\n", a.runs, a.trials);
	if (state_bench_each_size(&a, one_size) < 0)
		return 1;
	return 0;
}
