/*
 * demo.h - what the demo's main and its benchmark share: the pipeline of
 * idl/demo.pdl with the firewall and Maglev stages given their start-time
 * configuration.
 */
#ifndef DEMO_H
#define DEMO_H

#include "demo.pdl.h"
#include "firewall_stage.h"
#include "pd_stats.h"
#include "stage_maglev.h"

typedef struct demo_config {
	firewall_config fw;
	maglev_stage_config lb;
	/* demo_main_pipeline with the configured specs in place of the generated ones */
	pd_domain_spec fw_spec, lb_spec;
	pd_stage_desc stages[PD_MAX_STAGES];
	pd_pipeline_desc pipeline;
} demo_config;

/* The firewall rules the demo starts with (tests/demo/check_demo.py knows them too). */
extern const char *const demo_default_rules[];

/* Fills in the pipeline from cfg->fw and cfg->lb.  Returns 0 or -1. */
int demo_pipeline(demo_config *cfg);

/*
 * `demo --bench`: Mpps per core of the chain, isolated and direct, for batch
 * sizes 1..256, over a net_null port whose frames are filled with varied
 * 5-tuples.  EAL already started; stops it; returns the exit status.
 */
int demo_bench(const pd_pipeline_desc *p, unsigned samples);

#endif
