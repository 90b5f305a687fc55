/*
 * state_bench.c - `maglev --state-bench`: the Maglev domain with a
 * connection table of 10^3 to 10^6 established flows, in both checkpoint
 * designs - full synchronous saves and the undo log of `checkpoint
 * incremental` - with the harness of examples/bench/state_bench.h.  The
 * state unit is a flow (a 32-byte way of the table); the hot set is 1% of
 * the flows, one UDP packet each per pass, which refreshes its way (and
 * the table's hit counter): Maglev's only data-path write.  The frames are
 * copied from their templates into the batch's buffers before each batch,
 * in both designs alike, since the stage rewrites them.
 *
 *   maglev --state-bench [--bench-flows N,N,...] [--bench-runs N] [--bench-trials N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "flow_table.h"
#include "stage_maglev.h"
#include "state_bench.h"

#define FRAME_LEN 60
#define BATCH 32

typedef struct traffic {
	uint8_t *templates;             /* one frame per flow */
	uint32_t n_flows;
	uint32_t hot_stride;            /* every hot_stride-th flow is hot */
	int all;                        /* the fill pass: every flow, not the hot ones */
	struct rte_mbuf *m[BATCH];
	uint8_t buf[BATCH][FRAME_LEN];
} traffic;

static void frame_for(uint8_t *f, uint32_t flow)
{
	static const uint8_t head[] = {
		0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00,  /* Ethernet */
		0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0,                    /* IPv4, UDP */
	};
	uint32_t src = rte_cpu_to_be_32(0x0a000000u + (flow >> 8)), dst = rte_cpu_to_be_32(0xc0a80001u);
	uint16_t sport = rte_cpu_to_be_16((uint16_t)(1024 + (flow & 0xff))), dport = rte_cpu_to_be_16(80);
	memset(f, 0, FRAME_LEN);
	memcpy(f, head, sizeof head);
	memcpy(f + 26, &src, 4);
	memcpy(f + 30, &dst, 4);
	memcpy(f + 34, &sport, 2);
	memcpy(f + 36, &dport, 2);
	f[39] = 26;                     /* UDP length; checksum 0: none */
}

static void fill(void *ctx, pd_batch *b, uint64_t k)
{
	traffic *t = ctx;
	uint64_t per_pass = t->all ? t->n_flows : t->n_flows / t->hot_stride;
	if (per_pass == 0)
		per_pass = 1;
	b->n = BATCH;
	for (unsigned i = 0; i < BATCH; i++) {
		uint64_t j = (k * BATCH + i) % per_pass;
		uint32_t flow = (uint32_t)(t->all ? j : j * t->hot_stride);
		memcpy(t->buf[i], t->templates + (size_t)flow * FRAME_LEN, FRAME_LEN);
		b->pkts[i] = t->m[i];
	}
}

static maglev_stage_config cfg;

static pd_domain *maglev_of(traffic *t, int incremental, uint32_t *held)
{
	pd_domain_spec spec = maglev_stage_spec(&cfg);
	spec.checkpoint_incremental = (uint32_t)incremental;
	spec.quota_bytes = 0;
	pd_domain *d;
	std_stage_rref st;
	if (pd_domain_create(&spec, &d) < 0 || std_stage_of_domain(d, 0, &st) < 0)
		return NULL;
	/* every flow once: the connection table holds them all */
	t->all = 1;
	pd_batch *b = pd_alloc(sizeof *b, &pd_batch_kind);
	for (uint64_t k = 0; k < (t->n_flows + BATCH - 1) / BATCH; k++) {
		fill(t, b, k);
		pd_batch *out = NULL;
		if (std_stage_process(st, &b, &out) < 0 || out == NULL)
			return NULL;
		b = out;
	}
	b->n = 0;
	pd_free(b);
	t->all = 0;
	const maglev_lb_state *s = d->slots[0].self;    /* the state is its first member */
	*held = maglev_flow_table_count(s->flows);
	return d;
}

static int one_size(uint32_t n_flows, int runs, int trials)
{
	traffic *t = calloc(1, sizeof *t);
	t->n_flows = n_flows;
	t->hot_stride = 100;
	t->templates = malloc((size_t)n_flows * FRAME_LEN);
	for (uint32_t i = 0; i < n_flows; i++)
		frame_for(t->templates + (size_t)i * FRAME_LEN, i);
	for (unsigned i = 0; i < BATCH; i++)
		t->m[i] = state_bench_mbuf(t->buf[i], FRAME_LEN);
	/* room for every flow in its 8-way set: twice as many ways */
	cfg.flow_capacity = 2 * n_flows < 64 ? 64 : 2 * n_flows;

	uint32_t held;
	pd_domain *d = maglev_of(t, 0, &held);
	if (d == NULL)
		return -1;
	uint32_t hot = n_flows / t->hot_stride ? n_flows / t->hot_stride : 1;
	state_bench sb = {
		.fill = fill, .ctx = t, .hot_batches = (hot + BATCH - 1) / BATCH,
		.dirty_pct = 100.0 * hot / (double)held, .state_objects = held,
		.runs = runs, .trials = trials, .trial_ms = 200,
	};
	state_bench_result rf, ri;
	int rc = state_bench_pause_outage(&sb, d, &rf);
	pd_domain_destroy(d);
	pd_domain *di = rc == 0 ? maglev_of(t, 1, &held) : NULL;
	if (di)
		rc = state_bench_pause_outage(&sb, di, &ri);
	/* Throughput on two fresh instances built alike (both in memory the
	 * first two gave back: a fresh mapping would favour whichever got it). */
	if (di)
		pd_domain_destroy(di);
	pd_domain *df = NULL;
	di = rc == 0 ? maglev_of(t, 1, &held) : NULL;
	if (di)
		df = maglev_of(t, 0, &held);
	if (df)
		rc = state_bench_throughput(&sb, df, di, &rf, &ri);
	if (di && df && rc == 0) {
		state_bench_print("maglev", "full", &sb, &rf);
		state_bench_print("maglev", "incremental", &sb, &ri);
	}
	if (df)
		pd_domain_destroy(df);
	if (di)
		pd_domain_destroy(di);
	for (unsigned i = 0; i < BATCH; i++)
		free(t->m[i]);
	free(t->templates);
	free(t);
	return di && df ? rc : -1;
}

int maglev_state_bench(int argc, char **argv)
{
	state_bench_args a = state_bench_parse_args(argc, argv, "--bench-flows", "1000,10000,100000,1000000");
	static const char *const backends[] = {
		"be1,02:00:00:00:10:01,10.10.0.1", "be2,02:00:00:00:10:02,10.10.0.2",
		"be3,02:00:00:00:10:03,10.10.0.3", "be4,02:00:00:00:10:04,10.10.0.4",
	};
	for (unsigned i = 0; i < 4; i++)
		if (maglev_backend_parse(backends[i], &cfg.backends[i]) < 0)
			return 1;
	cfg.n_backends = 4;
	cfg.forward = MAGLEV_FORWARD_REWRITE;
	printf("# maglev --state-bench: per connection-table size (state_objects = flows held), "
	       "the full checkpoint (baseline) and the incremental one; pause/outage in us as "
	       "median[min..max] of %d, throughput cost of a checkpoint every 10 ms (against no "
	       "checkpoint and no undo log) from %d interleaved trials of 200 ms\n", a.runs, a.trials);
	if (state_bench_each_size(&a, one_size) < 0)
		return 1;
	return 0;
}
