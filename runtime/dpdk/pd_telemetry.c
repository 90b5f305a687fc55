/*
 * pd_telemetry.c - serves the pipeline's counters through DPDK telemetry.
 *
 *   /pd/stats            {"pipeline": NAME, "stages": [names...],
 *                         "batches": [...], "pkts_in": [...], ... one array
 *                         per counter, indexed like "stages", plus "rx", "tx"}
 *   /pd/stage,NAME|IDX   one stage's counters as a flat dict
 *
 * Arrays per counter rather than one dict per stage because DPDK 22.11's
 * telemetry cannot nest a dict inside a dict.  Callbacks run on the telemetry
 * thread and only read counters (see pd_stats.h for why that is safe).
 */
#include "pd_stats.h"

#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

enum { C_BATCHES, C_PKTS_IN, C_PKTS_OUT, C_DROPS, C_FAULT_DROPS, C_FAULTS,
       C_RECOVERIES, C_CYCLES_PER_BATCH, C_CHECKPOINTS, C_RESTORES,
       C_CKPT_ERRORS, C_CYCLES_PER_CHECKPOINT, N_COUNTERS };

static const char *const counter_names[N_COUNTERS] = {
	"batches", "pkts_in", "pkts_out", "drops", "fault_drops", "faults",
	"recoveries", "cycles_per_batch", "checkpoints", "restores",
	"checkpoint_errors", "cycles_per_checkpoint",
};

static uint64_t counter(const pd_stage_stats *s, int c)
{
	switch (c) {
	case C_BATCHES: return s->batches;
	case C_PKTS_IN: return s->pkts_in;
	case C_PKTS_OUT: return s->pkts_out;
	case C_DROPS: return s->drops;
	case C_FAULT_DROPS: return s->fault_drops;
	case C_FAULTS: return s->faults;
	case C_RECOVERIES: return s->recoveries;
	case C_CHECKPOINTS: return s->checkpoints;
	case C_RESTORES: return s->restores;
	case C_CKPT_ERRORS: return s->ckpt_errors;
	case C_CYCLES_PER_CHECKPOINT: return s->checkpoints ? s->ckpt_cycles / s->checkpoints : 0;
	default: return s->timed ? s->cycles / s->timed : 0;
	}
}

static int handle_stats(const char *cmd, const char *params,
			struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	unsigned n = pd_stats_n_stages();
	pd_stage_stats s[PD_MAX_STAGES];
	pd_port_stats p;

	for (unsigned i = 0; i < n; i++)
		pd_stats_sum_stage(i, &s[i]);
	pd_stats_sum_port(&p);

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "n_stages", n);
	rte_tel_data_add_dict_u64(d, "rx", p.rx);
	rte_tel_data_add_dict_u64(d, "tx", p.tx);
	rte_tel_data_add_dict_u64(d, "tx_dropped", p.tx_dropped);
	rte_tel_data_add_dict_u64(d, "tx_refused", p.tx_refused);

	struct rte_tel_data *names = rte_tel_data_alloc();
	if (!names)
		return -1;
	rte_tel_data_start_array(names, RTE_TEL_STRING_VAL);
	for (unsigned i = 0; i < n; i++)
		rte_tel_data_add_array_string(names, pd_stats_stage_name(i));
	rte_tel_data_add_dict_container(d, "stages", names, 0);

	for (int c = 0; c < N_COUNTERS; c++) {
		struct rte_tel_data *a = rte_tel_data_alloc();
		if (!a)
			return -1;
		rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
		for (unsigned i = 0; i < n; i++)
			rte_tel_data_add_array_u64(a, counter(&s[i], c));
		rte_tel_data_add_dict_container(d, counter_names[c], a, 0);
	}
	return 0;
}

/* A stage by name or by index. */
static int find_stage(const char *params)
{
	unsigned n = pd_stats_n_stages();
	char *end;

	if (!params || !*params)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(params, pd_stats_stage_name(i)))
			return (int)i;
	unsigned long idx = strtoul(params, &end, 10);
	return *end == '\0' && idx < n ? (int)idx : -1;
}

static int handle_stage(const char *cmd, const char *params,
			struct rte_tel_data *d)
{
	(void)cmd;
	int i = find_stage(params);
	pd_stage_stats s;

	if (i < 0)
		return -1;    /* telemetry answers with a null value */
	pd_stats_sum_stage((unsigned)i, &s);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", pd_stats_stage_name((unsigned)i));
	for (int c = 0; c < N_COUNTERS; c++)
		rte_tel_data_add_dict_u64(d, counter_names[c], counter(&s, c));
	return 0;
}

int pd_stats_telemetry_register(void)
{
	int rc = rte_telemetry_register_cmd("/pd/stats", handle_stats,
		"Per-stage counters of the PDL pipeline, one array per counter.");
	if (rc == 0)
		rc = rte_telemetry_register_cmd("/pd/stage", handle_stage,
			"One PDL stage's counters. Parameter: stage name or index.");
	return rc;
}
