/*
 * state_bench.h - the harness that `firewall --state-bench` and `maglev
 * --state-bench` share (issue 13): what a checkpoint costs the data path
 * and what a fault costs, for one stateful stage in both designs - the
 * full synchronous checkpoint (the baseline) and the incremental one (the
 * undo log of runtime/pd_snap.h) - measured in the same run, on the same
 * state, with the same traffic.  No EAL: the batches hold mbufs the driver
 * fabricates around its frames, and go through the isolated proxy call
 * the scheduler makes.
 *
 * Per design it prints one line:
 *   checkpoint_pause_us=MEDIAN[MIN..MAX]   pd_domain_checkpoint after one pass
 *                                          of the hot set
 *   restore_outage_us=MEDIAN[MIN..MAX]     a fault after one pass, to the end of
 *                                          the first batch processed after it
 *   ckpt_throughput_cost_pct=X             1 - Mpps(this design, checkpoint every
 *                                          10 ms) / Mpps(no checkpoint, no undo log),
 *                                          medians of interleaved trials; packets
 *                                          per second of the thread's CPU time
 *   dirty_pct=, state_objects=             what the driver says one pass changes
 * Figures are printed, never judged.
 */
#ifndef STATE_BENCH_H
#define STATE_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include "pd.h"
#include "pd_batch.h"
#include "std/packet.pdl.h"

typedef struct state_bench {
	/* The driver's traffic: fill b with the k-th batch of the hot set
	 * (k wraps at hot_batches: one pass changes dirty_pct of the state). */
	void (*fill)(void *ctx, pd_batch *b, uint64_t k);
	void *ctx;
	uint64_t hot_batches;
	double dirty_pct;
	size_t state_objects;
	int runs;               /* pause and outage samples */
	int trials;             /* throughput trials (each 2 x trial_ms) */
	unsigned trial_ms;
} state_bench;

typedef struct state_bench_result {
	double pause_us[3], outage_us[3];   /* median, min, max */
	double mpps_off, mpps_on, cost_pct;  /* off: this design without checkpoints */
	double cost_best_pct;                /* the same from each variant's best trial */
	size_t logged_bytes;                /* incremental: the undo log of one pass */
} state_bench_result;

/* Pause and outage of domain d (its stage exported first), whose state
 * the driver built; d is faulted (and recovered) sb->runs times. */
int state_bench_pause_outage(const state_bench *sb, pd_domain *d, state_bench_result *out);

/*
 * Throughput of the two designs side by side, trials interleaved: Mpps of
 * full without checkpoints (the baseline: no checkpoint, no undo log),
 * full and incremental checkpointing every 10 ms, incremental without;
 * each design's cost is against the baseline.
 */
int state_bench_throughput(const state_bench *sb, pd_domain *full, pd_domain *incr,
			   state_bench_result *rfull, state_bench_result *rincr);

void state_bench_print(const char *nf, const char *design, const state_bench *sb,
		       const state_bench_result *r);

/* One mbuf around a frame of the driver's (no mempool: the stage must not free it). */
struct rte_mbuf *state_bench_mbuf(uint8_t *frame, uint16_t len);

double state_bench_now(void);

/* What both drivers' command lines say: `SIZE_FLAG a,b,c` (the state
 * sizes, default SIZES), `--bench-runs N` (default 11), `--bench-trials N`
 * (default 5). */
typedef struct state_bench_args {
	const char *sizes;
	int runs, trials;
} state_bench_args;

state_bench_args state_bench_parse_args(int argc, char **argv, const char *size_flag,
					const char *sizes);

/* one(n, runs, trials) for each size of a.sizes in order: 0, or -1 at the
 * first that fails. */
int state_bench_each_size(const state_bench_args *a, int (*one)(uint32_t n, int runs, int trials));

#endif
