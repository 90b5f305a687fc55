/*
 * pd_sched.h - the stage scheduler: one worker per lcore runs
 *     rx burst -> every stage through its proxy, in order -> tx burst
 * to completion, on its own RX queue of each port.
 *
 * Each worker has its own instance (its own protection domain) of every
 * stage, created from the pipeline's domain specs, so workers share no stage
 * state and a fault on one worker never stalls another.  A worker arms one
 * catch frame for its whole loop (PD_CATCH_ARM), so a stage call pays no
 * setjmp; when a stage faults, libpd has already freed the faulted domain's
 * objects - the batch in flight and its mbufs among them - and re-run its
 * init by the time control lands back in the loop, which counts the fault
 * and goes on with the next batch.
 *
 * The graph.  pdlc checked information flow over the declared edges, so the
 * scheduler runs exactly those: a chain rx -> s1 -> ... -> tx, each stage's
 * output the next one's input, and nothing else - a pipeline whose edges
 * fan out or in is refused at start, never run as some other graph.  Each
 * stage instance may write the sinks its `S -> SINK` edges name, and only
 * those (pd_sink_allow).  The unit of work is one batch through the chain:
 * the worker's label starts at bottom for every batch and carries what each
 * stage returns into the next, so one labelled batch does not raise the
 * label of every later one.
 *
 * Checkpoints.  A stage whose domain spec has checkpoint_every = N > 0 and a
 * save_state is checkpointed (pd_domain_checkpoint) after every N batches it
 * was called with, at the batch boundary - after the chain ran and the
 * output went out, before the next RX - where run-to-completion makes its
 * state consistent without a lock.  Each worker checkpoints its own
 * instances; `on_fault restore` then reloads the last image.  With a
 * checkpoint writer running (pd_ckpt_files.c), each image is also handed
 * to it to be written to a file, off the packet path.
 *
 * A fault logs one line (pd_fault_log.c).
 */
#ifndef PD_SCHED_H
#define PD_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "pd.h"
#include "pd_batch.h"
#include "pd_inject.h"
#include "pd_ports.h"
#include "pd_stats.h"
#include "pd_wiring.h"

/* The std stage ops table and handle (pd_std_stage.h): pdlc's, included
 * here so that hooks can call stages through their typed handles. */
#include "pd_std_stage.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * One RX queue this worker polls and the TX queue its output goes to.  A
 * stream that replays a file (pd_port_info.replay) has ended once a burst
 * came back empty; the worker says so in `ended`, for pd_app to stop.
 */
typedef struct pd_stream {
	uint16_t rx_port, rx_queue;
	uint16_t tx_port, tx_queue;
	bool replay;
	volatile bool ended;
} pd_stream;

typedef struct pd_worker {
	unsigned id;
	unsigned n_stages;
	unsigned burst;
	bool direct;                     /* call stages without isolation */
	pd_labels tx_mask;               /* what may leave through tx (pd_labels_bound) */
	bool tx_refusal_said;

	/* The stages: isolated calls use stage[], direct calls ops[]/self[]. */
	pd_domain *domain[PD_MAX_STAGES];
	std_stage_rref stage[PD_MAX_STAGES];
	const struct std_stage_ops *ops[PD_MAX_STAGES];
	void *self[PD_MAX_STAGES];
	pd_inject inject[PD_MAX_STAGES];   /* every == 0: no injection */
	pd_stage_stats *stats[PD_MAX_STAGES];
	bool refused[PD_MAX_STAGES];       /* a refusal was reported */
	pd_port_stats *port_stats;
	uint32_t ckpt_every[PD_MAX_STAGES];  /* 0: the stage is not checkpointed */
	uint64_t ckpt_mark[PD_MAX_STAGES];   /* its batch count at the last one */

	unsigned n_streams;
	pd_stream streams[PD_MAX_PORTS];

	/*
	 * Loop state kept in memory, not in locals, because a fault lands back
	 * in the loop through a longjmp that does not restore registers.
	 */
	pd_batch *batch;                 /* the batch in flight, NULL when moved away */
	unsigned cur_stage;              /* stage being called */
	uint16_t inflight;               /* packets handed to it */
	uint64_t polls;
	bool final_done;                 /* the final hook call was made */
	volatile uint64_t last_rx_tsc;   /* read by the control thread */
} pd_worker;

/* Workers loop while this is true. */
extern volatile bool pd_sched_running;

/*
 * A program's hook at every batch boundary of every worker (after the
 * checkpoints), and once more with final = true when the worker's loop
 * ends, before its domains go.  It runs on the worker's thread, outside any
 * domain, so it may call the worker's stages through w->stage[] - the
 * control-plane calls (adding rules, reading counters) of a run-to-completion
 * pipeline.  A fault in such a call is contained and counted as the
 * stage's.  Set before the workers start; NULL for none.
 */
typedef void pd_batch_hook(pd_worker *w, bool final, void *arg);
void pd_sched_set_batch_hook(pd_batch_hook *fn, void *arg);

/*
 * Makes p the chain rx -> stages[0] -> ... -> stages[n-1] -> tx, for a program
 * that picks its stages at run time (fills in each stage's successor; the
 * stages' names, specs and sinks are the caller's).  n <= PD_MAX_STAGES.
 */
void pd_pipeline_chain(pd_pipeline_desc *p, const char *name, pd_stage_desc *stages, unsigned n);

/*
 * Is p a chain this scheduler runs exactly (rx -> s1 -> ... -> tx, the stages
 * in that order)?  0, or -PD_EINVAL after printing which edge is not.
 */
int pd_pipeline_check_chain(const pd_pipeline_desc *p);

/*
 * Creates the worker's stage domains from the pipeline description, lets each
 * write the sinks of its edges, and looks up each stage's exported std stage
 * object.  Must run outside any domain.  Returns 0, or a negative libpd code
 * after printing which stage failed (or why the graph is not one it runs).
 */
int pd_worker_init(pd_worker *w, unsigned id, const pd_pipeline_desc *p,
		   unsigned burst);

/* Frees the batch in flight and destroys the worker's domains. */
void pd_worker_fini(pd_worker *w);

/* The lcore function: loops until pd_sched_running is false.  arg is a pd_worker. */
int pd_worker_loop(void *arg);

/*
 * The bare chain over one batch, without statistics, for the benchmark:
 * isolated (through the proxies) and direct (through the ops tables, no
 * domain switch, no move; the (ops, self) read at pd_worker_init, so not
 * valid after a stage has been recovered).  Return 0 or the first stage error; *b is the
 * chain's output (NULL when everything was dropped or lost to a fault).
 */
int pd_chain_isolated(pd_worker *w, pd_batch **b);
int pd_chain_direct(pd_worker *w, pd_batch **b);

#ifdef __cplusplus
}
#endif

#endif /* PD_SCHED_H */
