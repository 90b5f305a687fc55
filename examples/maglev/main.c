/*
 * main.c - the Maglev load balancer on its own: one stage, domain `maglev`
 * of idl/maglev.pdl, between an RX and a TX port.
 *
 *   maglev [EAL args] -- [--backend NAME,MAC,IP]... [--table-size PRIME]
 *                        [common options]
 *
 * Without --backend it balances over be1..be4 (10.10.0.1-4).  With no EAL
 * arguments it replays tests/traces/demo.pcap into build/maglev-out.pcap
 * (run from the repo root).  Backends given here are the stage's start-time
 * configuration (stage_maglev.h); at run time they change through the
 * balancer rref (maglev_balancer_add_backend / _remove_backend).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_app.h"
#include "stage_maglev.h"

static maglev_stage_config cfg;

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
		.usage = "  --backend NAME,MAC,IP      a backend (repeatable; default be1..be4)\n"
			 "  --table-size PRIME         lookup-table entries (65537)\n",
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
