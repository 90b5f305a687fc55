/*
 * Information flow at run time: floating labels, declassification and
 * sinks.  See docs/ifc.md for the model.
 *
 * Every domain and every thread (for trusted code outside any domain)
 * carries a floating label: a pd_labels, one component per lattice of the
 * program (pd_lattice.h), so what a domain received in one lattice is never
 * forgotten because it also received something in another.  A domain
 * starts at the labels its declaration says its state holds, and rises with
 * every call into it (by the caller's label and the labels of the
 * arguments) and with every result it receives (by the callee's label and
 * the result's).  A raise above the domain's clearance - declared in one
 * lattice, unbounded in the others - is refused with -PD_ELABEL before any
 * data moves (arguments) or before the result is handed over (results).
 * Only a domain whose spec lists `declassify A -> B` may lower its label,
 * from at most A to B, in A's lattice.  A sink accepts data only from a
 * domain allowed to write it, and only when the data's label joined with
 * the writer's is at or below the sink's bound; a refusal is counted and
 * recorded.
 */
#ifndef PD_LABEL_H
#define PD_LABEL_H

#include <stddef.h>
#include <stdint.h>

#include "pd_data.h"
#include "pd_lattice.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pd_domain pd_domain;

/* One `declassify from -> to` of a domain, in one lattice. */
typedef struct pd_declassify_rule {
	const pd_lattice *lattice;
	pd_label from;
	pd_label to;
} pd_declassify_rule;

/* The current domain's floating label (or this thread's, outside any). */
pd_labels pd_labels_current(void);
/* Its component in lattice l. */
pd_label pd_label_current(const pd_lattice *l);

/*
 * Trusted code outside any domain (a scheduler, a test) starts afresh:
 * its label goes back to bottom.  Its label exists only to carry what it
 * received from one domain into the next call; the caller decides when a
 * unit of work (a batch, a request) ends.  No effect inside a domain.
 */
void pd_label_reset_outside(void);

/* Trusted code only: sets this thread's label (a scheduler carrying one
 * batch's label into the next stage).  -PD_EACCES inside a domain. */
int pd_label_set_outside(pd_labels v);

/*
 * A domain's floating label.  Its manager only (docs/threat-model.md):
 * 0, -PD_EACCES or -PD_EINVAL.
 */
int pd_domain_labels(const pd_domain *d, pd_labels *out);

/*
 * Lowers the current domain's label in lattice l to `to`, as its
 * declaration allows: the domain must declare `declassify from -> to` in l
 * and hold no more than `from` there.  Returns 0, -PD_EACCES (no such rule,
 * or outside any domain) or -PD_ELABEL (the domain holds more than `from`).
 */
int pd_declassify(const pd_lattice *l, pd_label from, pd_label to);

#define PD_SINK_RECORDS 16

/* What a refused write looked like. */
typedef struct pd_sink_refusal {
	pd_label bound;
	pd_label data_label;
	pd_label domain_label;          /* the writer's, in the sink's lattice */
	uint32_t domain;                /* its id; 0 = outside any domain */
	int reason;                     /* -PD_ELABEL (too high) or -PD_EACCES (not a writer) */
} pd_sink_refusal;

/*
 * An output whose data must stay at or below a bound.  pdlc emits one per
 * `sink` declaration with name, lattice and bound filled in; the program
 * sets write (e.g. to append to a log) before use.
 */
typedef struct pd_sink {
	const char *name;
	const pd_lattice *lattice;
	pd_label bound;
	int (*write)(void *arg, const void *data, size_t len);
	void *write_arg;
	uint64_t written;               /* updated atomically */
	uint64_t refused;
	pd_sink_refusal last[PD_SINK_RECORDS];  /* the latest refusals, a ring */
} pd_sink;

/*
 * Writes data labelled data_label (in the sink's lattice) to the sink on
 * behalf of the current domain.  The writer must be trusted code, or a
 * domain its declaration (`emits SINK`) or its pipeline stage (`S -> SINK`)
 * allows to write this sink; the data's label joined with the writer's
 * must be at or below the bound.  Returns the writer's result (>= 0);
 * -PD_EACCES (not an allowed writer) or -PD_ELABEL (above the bound, or
 * not a label): nothing is written, the refusal counted and recorded;
 * -PD_EINVAL for a NULL sink or one whose write is not set (a sink that
 * would drop data silently refuses instead).
 */
int pd_sink_write(pd_sink *s, pd_label data_label, const void *data, size_t len);

/*
 * Lets domain d write sink s (a scheduler granting a stage its pipeline's
 * `S -> SINK` edges).  Trusted code only: a domain's writers are what its
 * .pdl declares, and domain code may not add one, even to a domain it
 * manages.  0, -PD_EACCES, -PD_EINVAL, or -PD_ENOMEM when d already has
 * PD_MAX_SINKS sinks.
 */
#define PD_MAX_SINKS 16
int pd_sink_allow(pd_sink *s, pd_domain *d);

/* The i-th latest refusal (0 = the latest); -PD_EINVAL when there is none. */
int pd_sink_refusal_get(const pd_sink *s, unsigned i, pd_sink_refusal *out);

#ifdef __cplusplus
}
#endif

#endif
