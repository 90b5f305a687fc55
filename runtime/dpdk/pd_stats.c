/*
 * pd_stats.c - counter storage, summing, and the human-readable outputs
 * (progress line, exit table).  Telemetry lives in pd_telemetry.c.
 */
#include "pd_stats.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static const char *pipeline_name;
static unsigned n_stages, n_workers;
static const char *const *names;
static pd_stage_stats stage_stats[PD_MAX_WORKERS][PD_MAX_STAGES];
static pd_port_stats port_stats[PD_MAX_WORKERS];

int pd_stats_init(const char *pipeline, unsigned stages,
		  const char *const *stage_names, unsigned workers)
{
	if (stages > PD_MAX_STAGES || workers > PD_MAX_WORKERS)
		return -E2BIG;
	pipeline_name = pipeline;
	n_stages = stages;
	n_workers = workers;
	names = stage_names;
	memset(stage_stats, 0, sizeof stage_stats);
	memset(port_stats, 0, sizeof port_stats);
	return 0;
}

pd_stage_stats *pd_stats_stage(unsigned worker, unsigned stage)
{
	return &stage_stats[worker][stage];
}

pd_port_stats *pd_stats_port(unsigned worker)
{
	return &port_stats[worker];
}

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

void pd_stats_sum_stage(unsigned stage, pd_stage_stats *out)
{
	memset(out, 0, sizeof *out);
	for (unsigned w = 0; w < n_workers; w++) {
		const pd_stage_stats *s = &stage_stats[w][stage];
		out->batches += LOAD(s->batches);
		out->pkts_in += LOAD(s->pkts_in);
		out->pkts_out += LOAD(s->pkts_out);
		out->drops += LOAD(s->drops);
		out->fault_drops += LOAD(s->fault_drops);
		out->faults += LOAD(s->faults);
		out->recoveries += LOAD(s->recoveries);
		out->cycles += LOAD(s->cycles);
		out->timed += LOAD(s->timed);
		out->checkpoints += LOAD(s->checkpoints);
		out->restores += LOAD(s->restores);
		out->ckpt_errors += LOAD(s->ckpt_errors);
		out->ckpt_cycles += LOAD(s->ckpt_cycles);
	}
}

void pd_stats_sum_port(pd_port_stats *out)
{
	memset(out, 0, sizeof *out);
	for (unsigned w = 0; w < n_workers; w++) {
		out->rx += LOAD(port_stats[w].rx);
		out->tx += LOAD(port_stats[w].tx);
		out->tx_dropped += LOAD(port_stats[w].tx_dropped);
		out->tx_refused += LOAD(port_stats[w].tx_refused);
		out->busy_cycles += LOAD(port_stats[w].busy_cycles);
	}
}

unsigned pd_stats_n_stages(void)
{
	return n_stages;
}

const char *pd_stats_stage_name(unsigned stage)
{
	return stage < n_stages ? names[stage] : NULL;
}

void pd_stats_print_progress(FILE *f, double seconds, double last_rx)
{
	static uint64_t last_rx_count;
	static double last_seconds;
	pd_port_stats p;
	pd_stage_stats s;
	uint64_t faults = 0;

	pd_stats_sum_port(&p);
	for (unsigned i = 0; i < n_stages; i++) {
		pd_stats_sum_stage(i, &s);
		faults += s.faults;
	}
	/* Up to the last arrival when that fell in this interval. */
	double end = last_rx > last_seconds && last_rx < seconds ? last_rx : seconds;
	double dt = end - last_seconds;
	double mpps = dt > 0 ? (double)(p.rx - last_rx_count) / dt / 1e6 : 0;
	fprintf(f, "pd: %s t=%.*fs rx=%" PRIu64 " tx=%" PRIu64
		" rate=%.2fMpps faults=%" PRIu64 "\n",
		pipeline_name, seconds < 1 ? 3 : 1, seconds, p.rx, p.tx, mpps, faults);
	fflush(f);
	last_rx_count = p.rx;
	last_seconds = seconds;
}

void pd_stats_print_table(FILE *f)
{
	pd_port_stats p;
	pd_stage_stats s;

	/* New columns go at the end: scripts read the table by column. */
	fprintf(f, "%-16s %10s %12s %12s %10s %10s %8s %10s %12s %11s %8s\n",
		"stage", "batches", "pkts_in", "pkts_out", "drops",
		"fault_drop", "faults", "recoveries", "cycles/batch",
		"checkpoints", "restores");
	for (unsigned i = 0; i < n_stages; i++) {
		pd_stats_sum_stage(i, &s);
		fprintf(f, "%-16s %10" PRIu64 " %12" PRIu64 " %12" PRIu64
			" %10" PRIu64 " %10" PRIu64 " %8" PRIu64 " %10" PRIu64
			" %12.1f %11" PRIu64 " %8" PRIu64 "\n", names[i], s.batches,
			s.pkts_in, s.pkts_out, s.drops, s.fault_drops, s.faults,
			s.recoveries, s.timed ? (double)s.cycles / (double)s.timed : 0.0,
			s.checkpoints, s.restores);
		if (s.checkpoints || s.ckpt_errors)
			fprintf(f, "checkpoints of %s: taken=%" PRIu64 " failed=%" PRIu64
				" restored=%" PRIu64 " cycles_per_checkpoint=%.0f\n", names[i],
				s.checkpoints, s.ckpt_errors, s.restores,
				s.checkpoints ? (double)s.ckpt_cycles / (double)s.checkpoints : 0.0);
	}
	pd_stats_sum_port(&p);
	fprintf(f, "ports: rx=%" PRIu64 " tx=%" PRIu64 " tx_dropped=%" PRIu64
		" busy_cycles_per_packet=%.2f\n", p.rx, p.tx, p.tx_dropped,
		p.rx ? (double)p.busy_cycles / (double)p.rx : 0.0);
	if (p.tx_refused)
		fprintf(f, "ports: tx_refused=%" PRIu64 " (packets whose batch carried labels above "
			"tx's bound)\n", p.tx_refused);
}
