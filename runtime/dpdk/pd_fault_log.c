/*
 * pd_fault_log.c - the line a fault logs (see pd_dpdk_internal.h).  Runs on
 * the worker that took the fault, outside every domain, after recovery.
 */
#include "pd_dpdk_internal.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>

#include <rte_cycles.h>

#include "pd_sched.h"

/* Per stage and worker: the first LOG_BURST faults, then one a second. */
#define LOG_BURST 10
static uint64_t last_line[PD_MAX_WORKERS][PD_MAX_STAGES];   /* TSC of the last line */
static unsigned lines[PD_MAX_WORKERS][PD_MAX_STAGES];       /* up to LOG_BURST */
static uint64_t unlogged[PD_MAX_WORKERS][PD_MAX_STAGES];

static const char *signal_name(int signo)
{
	switch (signo) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGABRT: return "SIGABRT (abort)";
	default: return "a signal";
	}
}

void pd_fault_log(const struct pd_worker *w, unsigned stage, unsigned lost, bool restored)
{
	if (w->id >= PD_MAX_WORKERS || stage >= PD_MAX_STAGES)
		return;
	uint64_t now = rte_rdtsc();
	if (lines[w->id][stage] >= LOG_BURST && now - last_line[w->id][stage] < rte_get_tsc_hz()) {
		unlogged[w->id][stage]++;
		return;
	}
	if (lines[w->id][stage] < LOG_BURST)
		lines[w->id][stage]++;
	last_line[w->id][stage] = now;

	const pd_fault_info *f = pd_last_fault();
	char what[200];
	switch (f->kind) {
	case PD_FAULT_PANIC:
		snprintf(what, sizeof what, "panic: %s", f->message);
		break;
	case PD_FAULT_SIGNAL:
		snprintf(what, sizeof what, "%s", signal_name(f->signo));
		break;
	case PD_FAULT_QUOTA:
		snprintf(what, sizeof what, "memory quota exceeded");
		break;
	default:
		snprintf(what, sizeof what, "fault");
		break;
	}
	const char *recovery = pd_domain_state(w->domain[stage]) != PD_DOMAIN_LIVE
		? "recovery failed: the stage is dead, its batches are dropped"
		: restored ? "restored its last checkpoint"
		: "reset: its init ran again";
	char more[64] = "";
	if (unlogged[w->id][stage])
		snprintf(more, sizeof more, " (and %" PRIu64 " more since the last line)",
			 unlogged[w->id][stage]);
	unlogged[w->id][stage] = 0;
	fprintf(stderr, "pd: worker %u: stage %s faulted (%s), %u packet%s lost; %s%s\n",
		w->id, pd_stats_stage_name(stage), what, lost, lost == 1 ? "" : "s",
		recovery, more);
}
