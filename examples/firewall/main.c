/*
 * main.c - the firewall on its own: one stage (domain `firewall` of
 * idl/firewall.pdl) between an RX and a TX port, checkpointed and restored.
 *
 *   firewall [EAL args] -- [--rule RULE]... [--add-rule-at BATCH:RULE]...
 *            [--checkpoint-every N] [common options, --checkpoint-dir DIR among them]
 *   firewall --ckpt-bench [--bench-rules N] [--bench-runs N]     (no EAL)
 *   firewall --state-bench [--bench-rules N,...] [--bench-runs N] [--bench-trials N]  (no EAL)
 *
 * With no EAL arguments naming a port it replays the built-in copy of
 * tests/traces/demo.pcap into build/firewall-out.pcap, from any folder
 * (demo_trace.h).  --add-rule-at adds a rule at run time, through
 * the stage's rref (the generated proxy firewall_filter_add_rule), on each
 * worker once its firewall has seen BATCH batches: the control-plane call a
 * run-to-completion pipeline makes at a batch boundary.  At exit each
 * worker prints its firewall's rules and their hit counters:
 *   firewall worker W: rules=N generation=G hits=H0,H1,...
 * which, after a fault, are those of the last checkpoint plus what came
 * after it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo_trace.h"
#include "firewall_bench.h"
#include "firewall_stage.h"
#include "pd_app.h"
#include "pd_eal.h"
#include "pd_sched.h"

#define MAX_RUNTIME_RULES 64

typedef struct runtime_rule {
	uint64_t at_batch;
	firewall_rule rule;
} runtime_rule;

typedef struct fw_opts {
	firewall_config cfg;
	unsigned n_adds;
	runtime_rule adds[MAX_RUNTIME_RULES];
	unsigned added[PD_MAX_WORKERS];      /* per worker: adds made so far */
	long checkpoint_every;               /* -1: the .pdl's */
} fw_opts;

static int fw_option(int argc, char **argv, void *ctx)
{
	fw_opts *o = ctx;
	const char *v = argc > 1 ? argv[1] : NULL;
	char *end;

	if (!v)
		return 0;
	if (!strcmp(argv[0], "--rule")) {
		if (o->cfg.n_rules == FIREWALL_MAX_RULES) {
			fprintf(stderr, "firewall: at most %d rules\n", FIREWALL_MAX_RULES);
			return -1;
		}
		return firewall_rule_parse(v, &o->cfg.rules[o->cfg.n_rules++]) < 0 ? -1 : 2;
	}
	if (!strcmp(argv[0], "--add-rule-at")) {
		runtime_rule *a = &o->adds[o->n_adds];
		unsigned long long at = strtoull(v, &end, 10);
		if (o->n_adds == MAX_RUNTIME_RULES || end == v || *end != ':') {
			fprintf(stderr, "firewall: --add-rule-at wants BATCH:RULE (at most %d)\n",
				MAX_RUNTIME_RULES);
			return -1;
		}
		a->at_batch = at;
		if (firewall_rule_parse(end + 1, &a->rule) < 0)
			return -1;
		o->n_adds++;
		return 2;
	}
	if (!strcmp(argv[0], "--checkpoint-every")) {
		unsigned long n = strtoul(v, &end, 10);
		if (!*v || *end || v[0] == '-' || n > 1000000000ul) {
			fprintf(stderr, "firewall: --checkpoint-every wants batches (0: never)\n");
			return -1;
		}
		o->checkpoint_every = (long)n;
		return 2;
	}
	return 0;
}

static void print_state(const pd_worker *w)
{
	const void *ops;
	void *self;

	if (pd__rref_target(w->stage[0].r, &ops, &self) < 0) {
		printf("firewall worker %u: no state (the domain is dead)\n", w->id);
		return;
	}
	const firewall_ruleset *rs = self;   /* read from outside, the worker stopped */
	printf("firewall worker %u: rules=%u generation=%" PRIu64 " hits=", w->id,
	       rs->all.len, rs->generation);
	for (uint32_t i = 0; i < rs->all.len; i++)
		printf("%s%" PRIu64, i ? "," : "", rs->all.items[i]->hits);
	printf("\n");
}

/* On the worker, between batches: the run-time rules that are due. */
static void batch_hook(pd_worker *w, bool final, void *arg)
{
	fw_opts *o = arg;
	uint64_t seen = w->stats[0]->batches;

	if (final) {
		print_state(w);
		return;
	}
	while (o->added[w->id] < o->n_adds && o->adds[o->added[w->id]].at_batch <= seen) {
		uint32_t index = 0;
		firewall_filter_rref fw;   /* the stage's handle, as the firewall it is */
		int rc = firewall_filter_from_rref(w->stage[0].r, &fw);
		if (rc == 0)
			rc = firewall_filter_add_rule(fw, &o->adds[o->added[w->id]++].rule, &index);
		if (rc < 0)
			fprintf(stderr, "firewall worker %u: add_rule: %s\n", w->id, pd_strerror(rc));
		else
			printf("firewall worker %u: batch %" PRIu64 ": rule %u added\n", w->id,
			       seen, index);
	}
}

int main(int argc, char **argv)
{
	static const char *pcap_vdevs[] = { NULL, NULL };
	static fw_opts o = { .checkpoint_every = -1 };
	pd_app_opts opts = {
		.extra = fw_option,
		.ctx = &o,
		.usage = "  --rule RULE                a start-time rule (repeatable):\n"
			 "                             allow|deny SRC/LEN [dst DST/LEN]\n"
			 "                             [proto tcp|udp|N] [port LO[-HI]]\n"
			 "  --add-rule-at BATCH:RULE   add RULE through the rref after BATCH batches\n"
			 "  --checkpoint-every N       checkpoint every N batches (the .pdl: 64)\n"
			 "  --ckpt-bench               (alone, no EAL) checkpoint benchmark\n"
			 "  --state-bench              (alone, no EAL) checkpoint pause, restore outage\n",
	};

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ckpt-bench"))
			return firewall_ckpt_bench(argc, argv);
		if (!strcmp(argv[i], "--state-bench"))
			return firewall_state_bench(argc, argv);
	}
	if ((pcap_vdevs[0] = demo_trace_vdev("firewall-out.pcap")) == NULL)
		return 1;
	int rc = pd_app_start(argc, argv, pcap_vdevs, &opts);
	if (rc != 0)
		return rc > 0 ? 0 : 2;

	pd_domain_spec spec = firewall_stage_spec(&o.cfg);
	if (o.checkpoint_every >= 0)
		spec.checkpoint_every = (uint32_t)o.checkpoint_every;
	pd_stage_desc stage = { .name = "firewall", .domain = &spec };
	pd_pipeline_desc pipeline;
	pd_pipeline_chain(&pipeline, "firewall", &stage, 1);

	pd_sched_set_batch_hook(batch_hook, &o);
	for (unsigned i = 0; i < o.cfg.n_rules; i++) {
		char buf[128];
		firewall_rule_format(&o.cfg.rules[i], buf, sizeof buf);
		printf("firewall: rule %u: %s\n", i, buf);
	}
	fflush(stdout);
	return pd_app_run(&pipeline, &opts);
}
