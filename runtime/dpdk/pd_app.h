/*
 * pd_app.h - the main loop every pipeline program shares: EAL start, common
 * options, ports, one worker per lcore, the once-a-second progress line,
 * telemetry, clean shutdown, the exit table and the mbuf leak check.
 *
 * A program is run as `PROGRAM [EAL args] [options]` (pd_eal.h sorts them;
 * `--help` prints the usage without starting the EAL).  Common options:
 *   --burst N                  packets per RX burst, 1..256 (default 32)
 *   --inject-fault S:N[:KIND]  see pd_inject.h; may be repeated
 *   --duration SECONDS         stop after this long
 *   --idle-exit MS             stop once no packet arrived for MS ms
 *   --loop                     replay pcap inputs forever
 *   --checkpoint-dir DIR       also write each checkpoint to DIR/STAGE-WORKER.ckpt,
 *                              by a thread of its own, off the packet path
 *   --restore-from DIR         start the stages (`on_fault restore`) from the
 *                              images in DIR, validated as any restore is
 *   --direct                   call stages without isolation (comparison
 *                              only: no containment, and what stage code
 *                              allocates is the outside's, so a domain's
 *                              destruction does not free it)
 *   --quiet                    no progress lines
 * A program adds its own through pd_app_opts.extra.
 *
 * When it stops: at SIGINT or SIGTERM, after --duration or --idle-exit, and
 * by itself once the input has ended when every port replays pcap files
 * (net_pcap's rx_pcap=, without --loop): then every packet of the input has
 * gone through the pipeline.  A fault logs one line on stderr when it
 * happens: worker, stage, kind, packets lost, what recovery did.
 */
#ifndef PD_APP_H
#define PD_APP_H

#include <stdbool.h>

#include "pd_inject.h"
#include "pd_sched.h"
#include "pd_wiring.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pd_app_opts {
	unsigned burst;
	double duration;
	double idle_exit_ms;
	bool direct;
	bool quiet;
	bool loop;
	unsigned n_injects;
	const char *inject_specs[PD_MAX_STAGES];
	const char *checkpoint_dir;     /* checked at start: an existing, writable folder */
	const char *restore_from;       /* checked at start: an existing folder */

	/*
	 * The program's own options: called with argv[i] and the rest of the
	 * arguments; returns how many it consumed (>= 1), 0 for "not mine",
	 * or -1 after printing an error.
	 */
	int (*extra)(int argc, char **argv, void *ctx);
	void *ctx;
	const char *usage;          /* the program's own options, for --help */

	/*
	 * Called by the control thread about every 10 ms while the pipeline
	 * runs, with the seconds since it started; the place to call
	 * pd_app_control (e.g. a change scheduled by an option).
	 */
	void (*tick)(double secs, void *ctx);
} pd_app_opts;

/*
 * A control call: run by every worker on its own thread, between two polls
 * (no batch in flight, outside every domain), with its stages' rrefs in
 * w->stage[] - e.g. to reconfigure a stage through its generated proxies.
 * Returns 0 or a negative code.
 */
typedef int (*pd_app_control_fn)(pd_worker *w, void *arg);

/*
 * Runs fn on every worker and waits for all of them.  Only from the
 * control thread (a tick).  A worker polling an empty queue answers at
 * once; one blocked in its RX burst (a pcap read from a pipe) answers when
 * that burst returns and its batch has gone through.  Returns 0, the first
 * worker's error, -PD_EBUSY once the run is stopping, or -PD_EINVAL
 * outside a tick.
 */
int pd_app_control(pd_app_control_fn fn, void *arg);

/*
 * Starts the EAL (pd_eal.h) and parses the program arguments into opts.
 * Returns 0; 1 after --help (printed without starting the EAL); or -1 after
 * printing an error (the EAL is then already stopped).
 */
int pd_app_start(int argc, char **argv, const char *const *default_vdevs,
		 pd_app_opts *opts);

/*
 * Runs the pipeline until stopped, prints the table and mbufs_in_use=N,
 * stops the EAL.  Returns the process exit status: 0; 1 for a set-up error
 * (no ports, out of memory, a stage's init failed, an image of
 * --restore-from that does not load); 2 for a bad option; 3 when mbufs
 * leaked.
 */
int pd_app_run(const pd_pipeline_desc *p, const pd_app_opts *opts);

/* Counts the workers pd_app_run would start: worker lcores, or 1. */
unsigned pd_app_n_workers(void);

#ifdef __cplusplus
}
#endif

#endif /* PD_APP_H */
