/*
 * main.c - the Maglev load balancer on its own: one stage, domain `maglev`
 * of idl/maglev.pdl, between an RX and a TX port.
 *
 *   maglev [EAL args] -- [--backend NAME,MAC,IP]... [--table-size PRIME]
 *                        [--change-at SECONDS:add:NAME,MAC,IP]...
 *                        [--change-at SECONDS:remove:NAME]... [common options]
 *
 * Without --backend it balances over be1..be4 (10.10.0.1-4).  With no EAL
 * arguments it replays tests/traces/demo.pcap into build/maglev-out.pcap
 * (run from the repo root).  Backends given here are the stage's start-time
 * configuration (stage_maglev.h); at run time they change through the
 * balancer rref (maglev_balancer_add_backend / _remove_backend): each
 * --change-at is made that many seconds into the run, by every worker on
 * its own stage instance, between two batches (pd_app_control).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_app.h"
#include "stage_maglev.h"

static maglev_stage_config cfg;

#define MAX_CHANGES 16

/* A --change-at: add (backend) or remove (backend.name) at `at` seconds. */
typedef struct change {
	double at;
	bool add;
	bool done;
	struct maglev_backend backend;
} change;

static change changes[MAX_CHANGES];
static unsigned n_changes;

static int parse_change(const char *v)
{
	char *end;
	change *c = &changes[n_changes];

	if (n_changes == MAX_CHANGES) {
		fprintf(stderr, "maglev: at most %d --change-at\n", MAX_CHANGES);
		return -1;
	}
	memset(c, 0, sizeof *c);
	c->at = strtod(v, &end);
	if (end == v || c->at < 0 || *end != ':')
		goto bad;
	end++;
	if (!strncmp(end, "add:", 4)) {
		c->add = true;
		if (maglev_backend_parse(end + 4, &c->backend) < 0)
			return -1;
	} else if (!strncmp(end, "remove:", 7)) {
		const char *name = end + 7;
		if (!*name || strlen(name) >= MAGLEV_NAME_MAX)
			goto bad;
		strcpy(c->backend.name, name);
	} else {
		goto bad;
	}
	n_changes++;
	return 0;
bad:
	fprintf(stderr, "maglev: --change-at wants SECONDS:add:NAME,MAC,IP or "
		"SECONDS:remove:NAME, not '%s'\n", v);
	return -1;
}

/* On each worker: the change through the generated proxies of its stage. */
static int apply_change(pd_worker *w, void *arg)
{
	const change *c = arg;
	pd_rref lb = w->stage[0];   /* the balancer: its first export */

	if (c->add) {
		maglev_backend_desc d = maglev_backend_to_pdl(&c->backend);
		uint32_t id;
		return maglev_balancer_add_backend(lb, &d, &id);
	}
	pd_bytes name = { .data = (uint8_t *)c->backend.name,
			  .len = (uint32_t)strlen(c->backend.name) };
	return maglev_balancer_remove_backend(lb, &name);
}

static void tick(double secs, void *ctx)
{
	(void)ctx;
	for (unsigned i = 0; i < n_changes; i++) {
		change *c = &changes[i];
		if (c->done || secs < c->at)
			continue;
		c->done = true;
		int rc = pd_app_control(apply_change, c);
		printf("maglev: at %.2f s: %s backend %s: %s (%d)\n", secs,
		       c->add ? "added" : "removed", c->backend.name,
		       rc < 0 ? "failed" : "ok", rc);
		fflush(stdout);
	}
}

static int lb_option(int argc, char **argv, void *ctx)
{
	(void)ctx;
	const char *v = argc > 1 ? argv[1] : NULL;

	if (!strcmp(argv[0], "--backend")) {
		if (!v) {
			fprintf(stderr, "maglev: --backend wants NAME,MAC,IP\n");
			return -1;
		}
		if (cfg.n_backends == MAGLEV_STAGE_MAX_BACKENDS) {
			fprintf(stderr, "maglev: at most %d backends\n", MAGLEV_STAGE_MAX_BACKENDS);
			return -1;
		}
		if (maglev_backend_parse(v, &cfg.backends[cfg.n_backends]) < 0)
			return -1;
		cfg.n_backends++;
		return 2;
	}
	if (!strcmp(argv[0], "--change-at")) {
		if (!v) {
			fprintf(stderr, "maglev: --change-at wants SECONDS:add:NAME,MAC,IP "
				"or SECONDS:remove:NAME\n");
			return -1;
		}
		return parse_change(v) < 0 ? -1 : 2;
	}
	if (!strcmp(argv[0], "--table-size")) {
		char *end;
		unsigned long n = v ? strtoul(v, &end, 10) : 0;
		if (!v || *end || n < 3 || n > MAGLEV_MAX_SIZE) {
			fprintf(stderr, "maglev: --table-size wants a prime in [3, %u]\n",
				MAGLEV_MAX_SIZE);
			return -1;
		}
		cfg.table_size = (uint32_t)n;
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const default_vdevs[] = {
		"net_pcap0,rx_pcap=tests/traces/demo.pcap,tx_pcap=build/maglev-out.pcap", NULL
	};
	pd_app_opts opts = {
		.extra = lb_option,
		.tick = tick,
		.usage = "  --backend NAME,MAC,IP      a backend (repeatable; default be1..be4)\n"
			 "  --table-size PRIME         lookup-table entries (65537)\n"
			 "  --change-at S:add:NAME,MAC,IP | S:remove:NAME\n"
			 "                             change the backends S seconds in\n",
	};

	int rc = pd_app_start(argc, argv, default_vdevs, &opts);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (cfg.n_backends == 0)
		maglev_stage_default_backends(&cfg);

	pd_domain_spec spec = maglev_stage_spec(&cfg);
	pd_stage_desc stage = { .name = "balance", .domain = &spec };
	pd_pipeline_desc pipeline = { .name = "maglev.main", .n_stages = 1, .stages = &stage };
	return pd_app_run(&pipeline, &opts);
}
