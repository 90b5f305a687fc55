/*
 * main.c - the demo: parse -> firewall -> Maglev -> tx, each stage in its
 * own protection domain (idl/demo.pdl).
 *
 *   demo [EAL args] -- [--rule RULE]... [Maglev options] [--control PIPE] [options]
 *   demo [EAL args] -- --bench [--bench-samples N]
 *
 * With no EAL arguments naming a port it replays the built-in copy of
 * tests/traces/demo.pcap into build/demo-out.pcap, from any folder
 * (demo_trace.h; --bench: over net_null).
 * After the run it prints, besides the statistics table, a summary in plain
 * words; the per-backend counts are read back from the output pcap, so they
 * say what really left the pipeline.  The Maglev options (--backend,
 * --backends-file, --flows, --forward dsr, ...) are stage_maglev.h's;
 * --control reads backend changes and faults from a named pipe (control.h),
 * which is how tests/live drives a run over real traffic.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "demo.h"
#include "demo_trace.h"
#include "pd_app.h"
#include "pd_eal.h"
#include "pd_stats.h"

const char *const demo_default_rules[] = {
	"deny 0.0.0.0/0 proto tcp port 23",             /* no telnet, from anywhere... */
	"deny 10.1.0.0/16 proto tcp port 23",           /* ...including (first at /16) */
	"allow 10.1.0.0/16 dst 192.168.100.0/24",       /* the clients */
	"deny 10.66.0.0/16",                            /* a blocked tenant... */
	"allow 10.66.7.0/24",                           /* ...but for one subnet */
	"deny 172.16.0.0/12",
	NULL
};

typedef struct demo_opts {
	demo_config *cfg;
	bool bench;
	unsigned bench_samples;
	const char *control;
} demo_opts;

static int demo_option(int argc, char **argv, void *ctx)
{
	demo_opts *o = ctx;
	demo_config *c = o->cfg;
	const char *v = argc > 1 ? argv[1] : NULL;

	if (!strcmp(argv[0], "--bench")) {
		o->bench = true;
		return 1;
	}
	int n = maglev_stage_option(&c->lb, argc, argv);
	if (n != 0)
		return n;
	if (!v)
		return 0;
	if (!strcmp(argv[0], "--control")) {
		o->control = v;
		return 2;
	}
	if (!strcmp(argv[0], "--rule")) {
		if (c->fw.n_rules == FIREWALL_MAX_RULES) {
			fprintf(stderr, "demo: at most %d rules\n", FIREWALL_MAX_RULES);
			return -1;
		}
		return firewall_rule_parse(v, &c->fw.rules[c->fw.n_rules++]) < 0 ? -1 : 2;
	}
	if (!strcmp(argv[0], "--bench-samples")) {
		char *end;
		unsigned long n = strtoul(v, &end, 10);
		if (*end || n < 100 || n > 10000000) {
			fprintf(stderr, "demo: --bench-samples wants an integer in [100, 10000000]\n");
			return -1;
		}
		o->bench_samples = (unsigned)n;
		return 2;
	}
	return 0;
}

int demo_pipeline(demo_config *c)
{
	const pd_pipeline_desc *g = &demo_main_pipeline;

	if (c->fw.n_rules == 0)
		for (const char *const *r = demo_default_rules; *r; r++)
			if (firewall_rule_parse(*r, &c->fw.rules[c->fw.n_rules++]) < 0)
				return -1;
	if (maglev_stage_ready(&c->lb) < 0)
		return -1;
	c->fw_spec = firewall_stage_spec(&c->fw);
	c->lb_spec = maglev_stage_spec(&c->lb);
	for (unsigned i = 0; i < g->n_stages; i++) {
		c->stages[i] = g->stages[i];
		if (g->stages[i].domain == &firewall_firewall_domain)
			c->stages[i].domain = &c->fw_spec;
		else if (g->stages[i].domain == &maglev_maglev_domain)
			c->stages[i].domain = &c->lb_spec;
	}
	c->pipeline = *g;
	c->pipeline.stages = c->stages;
	return 0;
}

/* The tx_pcap=PATH of a net_pcap vdev among the arguments, or NULL. */
static const char *tx_pcap_path(int argc, char **argv, const char *dflt)
{
	static char path[512];

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *p = strstr(argv[i], "tx_pcap=");
		if (p) {
			p += strlen("tx_pcap=");
			size_t n = strcspn(p, ",");
			if (n >= sizeof path)
				return NULL;
			memcpy(path, p, n);
			path[n] = '\0';
			return path;
		}
		if (strstr(argv[i], "--vdev") || strstr(argv[i], "net_"))
			dflt = NULL;    /* the EAL arguments name other ports */
	}
	return dflt ? strstr(dflt, "tx_pcap=") + strlen("tx_pcap=") : NULL;
}

/* Counts the frames of a pcap file by destination IPv4 address, per backend. */
static int count_by_backend(const char *path, const maglev_stage_config *lb,
			    uint64_t *count, uint64_t *other)
{
	FILE *f = fopen(path, "rb");
	uint8_t hdr[24], rec[16], frame[65536];

	if (!f || fread(hdr, 1, sizeof hdr, f) != sizeof hdr) {
		if (f)
			fclose(f);
		return -1;
	}
	*other = 0;
	while (fread(rec, 1, sizeof rec, f) == sizeof rec) {
		uint32_t caplen;
		memcpy(&caplen, rec + 8, 4);    /* host order: net_pcap writes native */
		if (caplen > sizeof frame || fread(frame, 1, caplen, f) != caplen)
			break;
		unsigned k = lb->n_backends;
		if (caplen >= 34 && frame[12] == 0x08 && frame[13] == 0x00)
			for (k = 0; k < lb->n_backends; k++)
				if (!memcmp(frame + 30, &lb->backends[k].ip, 4))
					break;
		if (k < lb->n_backends)
			count[k]++;
		else
			(*other)++;
	}
	fclose(f);
	return 0;
}

/* Counted before the run, while the EAL is up. */
static unsigned n_workers;

static void print_summary(const demo_config *c, const char *out_pcap, int status)
{
	pd_port_stats ports;
	pd_stage_stats s[3];
	uint64_t faults = 0, recoveries = 0, lost = 0;

	pd_stats_sum_port(&ports);
	for (unsigned i = 0; i < 3; i++) {
		pd_stats_sum_stage(i, &s[i]);
		faults += s[i].faults;
		recoveries += s[i].recoveries;
		lost += s[i].fault_drops;
	}
	printf("\nsummary:\n");
	printf("  packets in:                %" PRIu64 "\n", ports.rx);
	printf("  malformed, dropped:        %" PRIu64 " (truncated, IPv6, VLAN, non-IP, "
	       "bad lengths: the parse stage)\n", s[0].drops - s[0].fault_drops);
	printf("  blocked by the firewall:   %" PRIu64 " (%u rules)\n",
	       s[1].drops - s[1].fault_drops, c->fw.n_rules);
	printf("  dropped by Maglev:         %" PRIu64 "\n", s[2].drops - s[2].fault_drops);
	printf("  faults:                    %" PRIu64 ", recovered: %" PRIu64
	       " (lost with the faulted batches: %" PRIu64 " packets)\n", faults, recoveries, lost);
	printf("  forwarded:                 %" PRIu64 "\n", ports.tx);
	if (n_workers > 1) {
		printf("  packets in, per worker:   ");
		for (unsigned w = 0; w < n_workers; w++)
			printf(" %u: %" PRIu64, w, pd_stats_port(w)->rx);
		printf("\n");
	}

	uint64_t count[MAGLEV_STAGE_MAX_BACKENDS] = { 0 }, other = 0;
	if (out_pcap && count_by_backend(out_pcap, &c->lb, count, &other) == 0) {
		for (unsigned k = 0; k < c->lb.n_backends; k++) {
			const uint8_t *ip = (const uint8_t *)&c->lb.backends[k].ip;
			printf("    to %-8s %u.%u.%u.%u:  %" PRIu64 "\n", c->lb.backends[k].name,
			       ip[0], ip[1], ip[2], ip[3], count[k]);
		}
		if (other)
			printf("    to no backend:   %" PRIu64 " (should be none)\n", other);
		printf("  written to %s\n", out_pcap);
	}
	printf("  mbufs_in_use=%s\n", status == 3 ? "NOT 0: mbufs leaked" :
	       status == 0 ? "0: every mbuf went back to its pool" : "unknown (the run failed)");
}

static void tick(double secs, void *ctx)
{
	(void)secs;
	(void)ctx;
	maglev_control_poll();
}

int main(int argc, char **argv)
{
	static const char *pcap_vdevs[] = { NULL, NULL };
	static const char *const null_vdevs[] = { "net_null0", NULL };
	static demo_config cfg;
	static char usage[2048];
	demo_opts d = { .cfg = &cfg, .bench_samples = 5000 };
	pd_app_opts opts = {
		.extra = demo_option,
		.ctx = &d,
		.tick = tick,
		.usage = usage,
	};
	snprintf(usage, sizeof usage, "%s%s",
		 "  --rule RULE                a firewall rule, replaces the defaults:\n"
		 "                             allow|deny SRC/LEN [dst DST/LEN]\n"
		 "                             [proto tcp|udp|N] [port LO[-HI]]\n"
		 "  --control PIPE             read add NAME,MAC,IP / remove NAME /\n"
		 "                             fault STAGE [KIND] lines from a pipe\n"
		 "  --bench                    Mpps isolated vs direct, batch 1..256\n"
		 "  --bench-samples N          samples per variant and size (5000)\n",
		 maglev_stage_usage);
	bool bench = false;

	/* The default ports depend on the mode, and are chosen before the EAL starts. */
	for (int i = 1; i < argc; i++)
		bench |= !strcmp(argv[i], "--bench");
	if (!bench && (pcap_vdevs[0] = demo_trace_vdev("demo-out.pcap")) == NULL)
		return 1;
	const char *const *vdevs = bench ? null_vdevs : pcap_vdevs;
	int rc = pd_app_start(argc, argv, vdevs, &opts);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (demo_pipeline(&cfg) < 0) {
		pd_eal_stop();
		return 2;
	}
	if (d.bench)
		return demo_bench(&cfg.pipeline, d.bench_samples);

	printf("demo: parse -> firewall -> balance (Maglev), rules:\n");
	for (unsigned i = 0; i < cfg.fw.n_rules; i++) {
		char buf[128];
		firewall_rule_format(&cfg.fw.rules[i], buf, sizeof buf);
		printf("  %u: %s\n", i, buf);
	}
	fflush(stdout);
	unsigned balancer = 0;
	while (balancer + 1 < cfg.pipeline.n_stages &&
	       cfg.pipeline.stages[balancer].domain != &cfg.lb_spec)
		balancer++;
	if (d.control && maglev_control_open(d.control, &cfg.pipeline, balancer) < 0) {
		pd_eal_stop();
		return 2;
	}
	n_workers = pd_app_n_workers();
	int status = pd_app_run(&cfg.pipeline, &opts);
	maglev_control_close();
	if (status == 0 || status == 3)
		print_summary(&cfg, tx_pcap_path(argc, argv, bench ? NULL : pcap_vdevs[0]), status);
	return status;
}
