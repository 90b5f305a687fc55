/*
 * pd_wiring.h - the pipeline wiring that pdlc emits from a `pipeline`
 * declaration, as plain constant data.
 *
 * pdlc orders the stages along the declared edges (rx -> S1 -> ... -> tx), so
 * a scheduler runs stages[0..n_stages) in order.  Each stage is an instance of
 * a domain declaration: the scheduler creates one protection domain per stage
 * from its spec, and the domain's init exports, as its first export, an object
 * implementing the std stage interface (idl/std/packet.pdl).  Nothing here
 * depends on DPDK, so the generated code compiles without it.
 */
#ifndef PD_WIRING_H
#define PD_WIRING_H

#include <stdint.h>

struct pd_domain_spec;

typedef struct pd_stage_desc {
	const char *name;                       /* the stage's name in the .pdl */
	const struct pd_domain_spec *domain;    /* what each instance runs */
	uint32_t n_sinks;                       /* sinks this stage may emit to */
	const uint16_t *sinks;                  /* indexes into pd_pipeline_desc.sinks */
} pd_stage_desc;

typedef struct pd_sink_desc {
	const char *name;
	uint32_t bound;                         /* label id of the sink's bound */
} pd_sink_desc;

typedef struct pd_pipeline_desc {
	const char *name;
	uint32_t n_stages;
	const pd_stage_desc *stages;            /* in rx-to-tx order */
	uint32_t n_sinks;
	const pd_sink_desc *sinks;
} pd_pipeline_desc;

#endif /* PD_WIRING_H */
