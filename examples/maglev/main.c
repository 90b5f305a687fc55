/*
 * main.c - the Maglev load balancer on its own: one stage, domain `maglev`
 * of idl/maglev.pdl, between an RX and a TX port.
 *
 *   maglev [EAL args] -- [--backend NAME,MAC,IP]... [--backends-file PATH]
 *                        [--table-size PRIME] [--flows N] [--forward rewrite|dsr]
 *                        [--control PIPE]
 *                        [--change-at SECONDS:add:NAME,MAC,IP]...
 *                        [--change-at SECONDS:remove:NAME]...
 *                        [--change-after PACKETS:add:NAME,MAC,IP]...
 *                        [--change-after PACKETS:remove:NAME]... [common options]
 *
 * Without --backend it balances over be1..be4 (10.10.0.1-4).  With no EAL
 * arguments naming a port it replays the built-in copy of
 * tests/traces/demo.pcap into build/maglev-out.pcap, from any folder
 * (demo_trace.h).  Backends given here are the stage's start-time
 * configuration (stage_maglev.h); at run time they change through the
 * balancer rref (maglev_balancer_add_backend / _remove_backend): each
 * --change-at is made that many seconds into the run, by every worker on
 * its own stage instance, between two batches (pd_app_control).
 * --change-after is the deterministic form (tests/demo/maglev_change.sh):
 * each worker makes it at the first batch boundary at which it has received
 * at least PACKETS packets, on its own thread (pd_sched_set_batch_hook), so
 * where it falls in the trace does not depend on timing or load.  Every
 * change is checkpointed at once (maglev_stage_change), so a fault after it
 * does not forget it.  --control takes the same changes, and faults, from a
 * named pipe (control.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "demo_trace.h"
#include "pd_eal.h"
#include "pd_app.h"
#include "stage_maglev.h"

static maglev_stage_config cfg;

#define MAX_CHANGES 16

/* A --change-at: made at `at` seconds; a --change-after (after_packets)
 * once a worker has received `at` packets. */
typedef struct change {
	double at;
	bool after_packets;
	bool done;                         /* --change-at: made */
	bool done_by[PD_MAX_WORKERS];      /* --change-after: made by worker i */
	maglev_change change;
} change;

static change changes[MAX_CHANGES];
static unsigned n_changes;
static const char *control_path;

static int parse_change(const char *opt, const char *v, bool after_packets)
{
	char *end;
	change *c = &changes[n_changes];

	if (n_changes == MAX_CHANGES) {
		fprintf(stderr, "maglev: at most %d --change-at/--change-after\n", MAX_CHANGES);
		return -1;
	}
	memset(c, 0, sizeof *c);
	c->after_packets = after_packets;
	c->at = strtod(v, &end);
	if (end == v || c->at < 0 || *end != ':') {
		fprintf(stderr, "maglev: %s wants %s:add:NAME,MAC,IP or %s:remove:NAME, not '%s'\n",
			opt, after_packets ? "PACKETS" : "SECONDS",
			after_packets ? "PACKETS" : "SECONDS", v);
		return -1;
	}
	if (maglev_change_parse(end + 1, &c->change) < 0)
		return -1;
	n_changes++;
	return 0;
}

/* On each worker: the change through the generated proxies of its stage. */
static int apply_change(pd_worker *w, void *arg)
{
	const change *c = arg;

	/* the balancer: its first export */
	return maglev_stage_change(w->stage[0].r, w->domain[0], &c->change);
}

static void tick(double secs, void *ctx)
{
	(void)ctx;
	maglev_control_poll();
	for (unsigned i = 0; i < n_changes; i++) {
		change *c = &changes[i];
		if (c->after_packets || c->done || secs < c->at)
			continue;
		c->done = true;
		int rc = pd_app_control(apply_change, c);
		printf("maglev: at %.2f s: %s backend %s: %s (%d)\n", secs,
		       c->change.add ? "added" : "removed", c->change.backend.name,
		       rc < 0 ? "failed" : "ok", rc);
		fflush(stdout);
	}
}

/*
 * After every batch, on each worker: the --change-after changes whose packet
 * count this worker has reached, through the generated proxies, outside any
 * domain and with no batch in flight (pd_sched.h).
 */
static void batch_hook(pd_worker *w, bool final, void *arg)
{
	(void)arg;
	if (final || w->id >= PD_MAX_WORKERS)
		return;
	uint64_t rx = w->port_stats->rx;
	for (unsigned i = 0; i < n_changes; i++) {
		change *c = &changes[i];
		if (!c->after_packets || c->done_by[w->id] || (double)rx < c->at)
			continue;
		c->done_by[w->id] = true;
		int rc = apply_change(w, c);
		printf("maglev: worker %u after %" PRIu64 " packets: %s backend %s: %s (%d)\n",
		       w->id, rx, c->change.add ? "added" : "removed", c->change.backend.name,
		       rc < 0 ? "failed" : "ok", rc);
		fflush(stdout);
	}
}

static int lb_option(int argc, char **argv, void *ctx)
{
	(void)ctx;
	const char *v = argc > 1 ? argv[1] : NULL;
	int n = maglev_stage_option(&cfg, argc, argv);

	if (n != 0)
		return n;
	if (!strcmp(argv[0], "--control")) {
		if (!v) {
			fprintf(stderr, "maglev: --control wants a named pipe\n");
			return -1;
		}
		control_path = v;
		return 2;
	}
	if (!strcmp(argv[0], "--change-at")) {
		if (!v) {
			fprintf(stderr, "maglev: --change-at wants SECONDS:add:NAME,MAC,IP "
				"or SECONDS:remove:NAME\n");
			return -1;
		}
		return parse_change(argv[0], v, false) < 0 ? -1 : 2;
	}
	if (!strcmp(argv[0], "--change-after")) {
		if (!v) {
			fprintf(stderr, "maglev: --change-after wants PACKETS:add:NAME,MAC,IP "
				"or PACKETS:remove:NAME\n");
			return -1;
		}
		return parse_change(argv[0], v, true) < 0 ? -1 : 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *default_vdevs[] = { NULL, NULL };
	pd_app_opts opts = {
		.extra = lb_option,
		.tick = tick,
		.usage = "  --control PIPE             read add NAME,MAC,IP / remove NAME /\n"
			 "                             fault STAGE [KIND] lines from a pipe\n"
			 "  --change-at S:add:NAME,MAC,IP | S:remove:NAME\n"
			 "                             change the backends S seconds in\n"
			 "  --change-after N:add:NAME,MAC,IP | N:remove:NAME\n"
			 "                             change them once a worker has\n"
			 "                             received N packets (deterministic)\n"
			 "  --state-bench              (alone, no EAL) checkpoint pause, restore\n"
			 "                             outage and cost, both designs\n",
	};

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--state-bench"))
			return maglev_state_bench(argc, argv);      /* no EAL */

	static char usage[2048];
	snprintf(usage, sizeof usage, "%s%s", maglev_stage_usage, opts.usage);
	opts.usage = usage;
	if ((default_vdevs[0] = demo_trace_vdev("maglev-out.pcap")) == NULL)
		return 1;
	int rc = pd_app_start(argc, argv, default_vdevs, &opts);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (maglev_stage_ready(&cfg) < 0) {
		pd_eal_stop();
		return 2;
	}

	pd_domain_spec spec = maglev_stage_spec(&cfg);
	pd_stage_desc stage = { .name = "balance", .domain = &spec };
	pd_pipeline_desc pipeline;
	pd_pipeline_chain(&pipeline, "maglev.main", &stage, 1);
	for (unsigned i = 0; i < n_changes; i++)
		if (changes[i].after_packets) {
			pd_sched_set_batch_hook(batch_hook, NULL);
			break;
		}
	if (control_path && maglev_control_open(control_path, &pipeline, 0) < 0) {
		pd_eal_stop();
		return 2;
	}
	rc = pd_app_run(&pipeline, &opts);
	maglev_control_close();
	return rc;
}
