/*
 * pd_wiring.h - the pipeline wiring that pdlc emits from a `pipeline`
 * declaration, as plain constant data: the stages in topological order from
 * rx, and every declared edge.
 *
 * Each stage is an instance of a domain declaration: a scheduler creates
 * one protection domain per stage from its spec, and the domain's init
 * exports, as its first export, an object implementing the std stage
 * interface (idl/std/packet.pdl).  The edges are what pdlc's flow check
 * reasoned about, so a scheduler must run exactly this graph - or refuse
 * it (runtime/dpdk/pd_sched.c runs chains rx -> s1 -> ... -> tx) - and let
 * each stage write exactly the sinks its edges name (pd_sink_allow).
 * Nothing here depends on DPDK, so the generated code compiles without it.
 */
#ifndef PD_WIRING_H
#define PD_WIRING_H

#include <stdint.h>

#include "pd_data.h"                   /* pd_label */

#ifdef __cplusplus
extern "C" {
#endif

struct pd_domain_spec;
struct pd_sink;
struct pd_lattice;

/* A successor that is not a stage: the pipeline's packet output. */
#define PD_STAGE_TX 0xffffu

typedef struct pd_stage_desc {
	const char *name;                       /* the stage's name in the .pdl */
	const struct pd_domain_spec *domain;    /* what each instance runs */
	uint32_t n_next;
	const uint16_t *next;                   /* successors: stage indexes or PD_STAGE_TX */
	uint32_t n_sinks;
	struct pd_sink *const *sinks;           /* the sinks its `S -> SINK` edges feed */
} pd_stage_desc;

typedef struct pd_pipeline_desc {
	const char *name;
	uint32_t n_stages;
	const pd_stage_desc *stages;            /* in topological order from rx */
	uint32_t n_first;
	const uint16_t *first;                  /* the stages `rx ->` feeds */
	/* `tx @L;`: what may leave through tx is at most tx_bound in
	 * tx_lattice (NULL: unbounded).  The scheduler drops a batch that
	 * carries more. */
	const struct pd_lattice *tx_lattice;
	pd_label tx_bound;
} pd_pipeline_desc;

#ifdef __cplusplus
}
#endif

#endif /* PD_WIRING_H */
