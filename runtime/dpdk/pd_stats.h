/*
 * pd_stats.h - per-stage statistics of a running pipeline.
 *
 * Each worker owns one cache-aligned counter block per stage and is its only
 * writer, so the hot path takes no lock and no atomic read-modify-write.
 * Readers (the progress line, the exit table, telemetry on its own thread)
 * sum the workers' blocks with relaxed loads; a figure may lag by a batch,
 * never tear, since 64-bit aligned loads are atomic on the targets DPDK runs.
 */
#ifndef PD_STATS_H
#define PD_STATS_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_MAX_STAGES 32
#define PD_MAX_WORKERS 64

typedef struct pd_stage_stats {
	uint64_t batches;       /* calls into the stage */
	uint64_t pkts_in;
	uint64_t pkts_out;
	uint64_t drops;         /* packets not passed on, faults included */
	uint64_t fault_drops;   /* of which lost with a faulted batch */
	uint64_t faults;
	uint64_t recoveries;
	uint64_t cycles;        /* TSC cycles inside the stage, proxy included, */
	uint64_t timed;         /* ... summed over this many sampled batches */
	uint64_t checkpoints;   /* images taken at batch boundaries */
	uint64_t restores;      /* recoveries that reloaded the last image */
	uint64_t ckpt_errors;   /* checkpoints (or their files) that failed */
	uint64_t ckpt_cycles;   /* TSC cycles spent taking them */
} __attribute__((aligned(64))) pd_stage_stats;

typedef struct pd_port_stats {
	uint64_t rx;
	uint64_t tx;
	uint64_t tx_dropped;    /* the TX ring was full: freed, not sent */
	uint64_t tx_refused;    /* held back: their batch carried labels above tx's bound */
	uint64_t busy_cycles;   /* RX to TX of non-empty polls, like testpmd's */
} __attribute__((aligned(64))) pd_port_stats;

/* Registers the stage names (kept by pointer) and the number of workers;
 * counters start at zero.  Returns 0 or -E2BIG. */
int pd_stats_init(const char *pipeline, unsigned n_stages,
		  const char *const *stage_names, unsigned n_workers);

/* The counter block a worker writes for one stage / for its ports. */
pd_stage_stats *pd_stats_stage(unsigned worker, unsigned stage);
pd_port_stats *pd_stats_port(unsigned worker);

/* Sums over workers. */
void pd_stats_sum_stage(unsigned stage, pd_stage_stats *out);
void pd_stats_sum_port(pd_port_stats *out);

unsigned pd_stats_n_stages(void);
const char *pd_stats_stage_name(unsigned stage);

/*
 * One progress line: elapsed time, packets, the rate since the last line,
 * faults.  last_rx is when the last packet arrived, on the same clock: the
 * rate is over the part of the interval up to it, so a replay that took
 * 5 ms shows its own rate, not 5 ms worth of packets spread over a second.
 */
void pd_stats_print_progress(FILE *f, double seconds, double last_rx);
/* The table printed at exit. */
void pd_stats_print_table(FILE *f);

/* Registers /pd/stats and /pd/stage with DPDK telemetry (after EAL init). */
int pd_stats_telemetry_register(void);

#ifdef __cplusplus
}
#endif

#endif /* PD_STATS_H */
