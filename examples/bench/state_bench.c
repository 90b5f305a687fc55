/*
 * state_bench.c - the harness of state_bench.h.  Everything is timed with
 * CLOCK_MONOTONIC around the calls the scheduler makes (pd_domain_checkpoint
 * at a batch boundary, the proxied std.stage process); a fault is injected
 * as --inject-fault does (pd_inject_in_domain), so the outage is what a
 * worker sees: the unwind, the recovery, and the next batch.
 */
#include "state_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_mbuf.h>

#include "pd_inject.h"

#define MAX_RUNS 101

double state_bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

state_bench_args state_bench_parse_args(int argc, char **argv, const char *size_flag,
					const char *sizes)
{
	state_bench_args a = { .sizes = sizes, .runs = 11, .trials = 5 };
	for (int i = 1; i + 1 < argc; i++) {
		if (!strcmp(argv[i], size_flag))
			a.sizes = argv[i + 1];
		else if (!strcmp(argv[i], "--bench-runs"))
			a.runs = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--bench-trials"))
			a.trials = atoi(argv[i + 1]);
	}
	return a;
}

int state_bench_each_size(const state_bench_args *a, int (*one)(uint32_t n, int runs, int trials))
{
	for (const char *p = a->sizes; *p;) {
		uint32_t n = (uint32_t)strtoul(p, NULL, 10);
		if (n && one(n, a->runs, a->trials) < 0)
			return -1;
		p = strchr(p, ',');
		if (!p)
			break;
		p++;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void summarise(double *v, int n, double out[3])
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	out[0] = v[n / 2];
	out[1] = v[0];
	out[2] = v[n - 1];
}

struct rte_mbuf *state_bench_mbuf(uint8_t *frame, uint16_t len)
{
	struct rte_mbuf *m = calloc(1, sizeof *m);
	if (m == NULL)
		return NULL;
	m->buf_addr = frame;
	m->data_off = 0;
	m->data_len = len;
	m->pkt_len = len;
	m->nb_segs = 1;
	return m;
}

typedef struct run {
	const state_bench *sb;
	std_stage_rref stage;
	pd_batch *b;
	uint64_t k;
} run;

/* One batch through the stage; the packets it kept. */
static unsigned one_batch(run *r)
{
	r->sb->fill(r->sb->ctx, r->b, r->k++);
	pd_batch *in = r->b, *out = NULL;
	int rc = std_stage_process(r->stage, &in, &out);
	if (rc < 0 || out == NULL) {
		/* the batch was lost with a fault: a new one */
		r->b = pd_alloc(sizeof *r->b, &pd_batch_kind);
		return 0;
	}
	r->b = out;
	return out->n;
}

static void one_pass(run *r)
{
	for (uint64_t i = 0; i < r->sb->hot_batches; i++)
		one_batch(r);
}

static int fault(run *r)
{
	pd_catch c;
	void *volatile obj = pd_alloc(16, NULL);
	int rc = 0;
	if (PD_CATCH_ARM(&c) == 0) {
		void *o = obj;
		rc = pd_inject_in_domain(r->stage.r, &o, PD_INJECT_SEGV);
		pd_free(o);     /* only when it did not fault */
	}
	pd_catch_disarm(&c);
	return rc;
}

/* This thread's CPU time: what the worker's own core would see, whatever
 * else this shared machine runs meanwhile (wall-clock trials of 200 ms
 * here varied 3x from one to the next). */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Packets per CPU second for ms milliseconds, checkpointing every 10 ms
 * (of CPU time) or not. */
static double throughput(run *r, pd_domain *d, unsigned ms, int checkpointing)
{
	double start = cpu_now(), next = start + 0.010, end = start + ms / 1000.0;
	uint64_t pkts = 0;
	for (;;) {
		for (int i = 0; i < 16; i++)
			pkts += one_batch(r);
		double t = cpu_now();
		if (t >= end)
			return (double)pkts / (t - start);
		if (checkpointing && t >= next) {
			pd_domain_checkpoint(d);
			next += 0.010;
		}
	}
}

static int run_init(run *r, const state_bench *sb, pd_domain *d)
{
	memset(r, 0, sizeof *r);
	r->sb = sb;
	if (std_stage_of_domain(d, 0, &r->stage) < 0)
		return -1;
	r->b = pd_alloc(sizeof *r->b, &pd_batch_kind);
	return r->b ? 0 : -1;
}

static void run_fini(run *r)
{
	r->b->n = 0;            /* the mbufs are the driver's */
	pd_free(r->b);
}

int state_bench_pause_outage(const state_bench *sb, pd_domain *d, state_bench_result *out)
{
	run r;
	int runs = sb->runs < 1 ? 1 : sb->runs > MAX_RUNS ? MAX_RUNS : sb->runs;
	double pause[MAX_RUNS], outage[MAX_RUNS];

	memset(out, 0, sizeof *out);
	if (run_init(&r, sb, d) < 0)
		return -1;
	one_pass(&r);
	if (pd_domain_checkpoint(d) < 0)        /* the first: a full image in both designs */
		return -1;
	for (int i = 0; i < runs; i++) {
		one_pass(&r);
		if (i == 0) {
			pd_snap_stats ss;
			if (pd_snap_get_stats(d, &ss) == 0)
				out->logged_bytes = ss.logged_bytes;
		}
		double t0 = state_bench_now();
		int rc = pd_domain_checkpoint(d);
		pause[i] = (state_bench_now() - t0) * 1e6;
		if (rc < 0) {
			fprintf(stderr, "state-bench: checkpoint failed: %s\n", pd_strerror(rc));
			return -1;
		}
	}
	for (int i = 0; i < runs; i++) {
		one_pass(&r);
		double t0 = state_bench_now();
		if (fault(&r) < 0) {
			fprintf(stderr, "state-bench: the fault was not raised\n");
			return -1;
		}
		one_batch(&r);
		outage[i] = (state_bench_now() - t0) * 1e6;
	}
	summarise(pause, runs, out->pause_us);
	summarise(outage, runs, out->outage_us);
	run_fini(&r);
	return 0;
}

int state_bench_throughput(const state_bench *sb, pd_domain *full, pd_domain *incr,
			   state_bench_result *rfull, state_bench_result *rincr)
{
	run a, b;
	int trials = sb->trials < 1 ? 1 : sb->trials > MAX_RUNS ? MAX_RUNS : sb->trials;
	double v[4][MAX_RUNS], m[4][3];
	if (run_init(&a, sb, full) < 0 || run_init(&b, sb, incr) < 0)
		return -1;
	for (int i = 0; i < trials; i++) {
		v[0][i] = throughput(&a, full, sb->trial_ms, 0);
		v[1][i] = throughput(&a, full, sb->trial_ms, 1);
		v[2][i] = throughput(&b, incr, sb->trial_ms, 1);
		v[3][i] = throughput(&b, incr, sb->trial_ms, 0);
		if (getenv("STATE_BENCH_TRIALS"))
			fprintf(stderr, "trial %d: full off %.3f on %.3f, incremental on %.3f off %.3f\n", i,
				v[0][i] / 1e6, v[1][i] / 1e6, v[2][i] / 1e6, v[3][i] / 1e6);
	}
	for (int k = 0; k < 4; k++)
		summarise(v[k], trials, m[k]);
	rfull->mpps_off = m[0][0] / 1e6;
	rfull->mpps_on = m[1][0] / 1e6;
	rincr->mpps_on = m[2][0] / 1e6;
	rincr->mpps_off = m[3][0] / 1e6;
	rfull->cost_pct = 100.0 * (1.0 - m[1][0] / m[0][0]);
	rincr->cost_pct = 100.0 * (1.0 - m[2][0] / m[0][0]);
	/* best of the trials: the least disturbed by the machine's other load */
	rfull->cost_best_pct = 100.0 * (1.0 - m[1][2] / m[0][2]);
	rincr->cost_best_pct = 100.0 * (1.0 - m[2][2] / m[0][2]);
	run_fini(&a);
	run_fini(&b);
	return 0;
}

void state_bench_print(const char *nf, const char *design, const state_bench *sb,
		       const state_bench_result *r)
{
	printf("%s design=%s state_objects=%zu dirty_pct=%.2f checkpoint_pause_us=%.2f[%.2f..%.2f] "
	       "restore_outage_us=%.2f[%.2f..%.2f] ckpt_throughput_cost_pct=%.2f (best_of_trials %.2f) "
	       "mpps_off=%.3f mpps_on=%.3f undo_log_bytes=%zu\n", nf, design, sb->state_objects,
	       sb->dirty_pct, r->pause_us[0], r->pause_us[1], r->pause_us[2], r->outage_us[0],
	       r->outage_us[1], r->outage_us[2], r->cost_pct, r->cost_best_pct, r->mpps_off,
	       r->mpps_on, r->logged_bytes);
	fflush(stdout);
}
