/*
 * Information flow at run time: floating labels, declassification and
 * sinks.  See docs/ifc.md for the model.
 *
 * Each domain whose spec names a lattice carries a floating label: it
 * starts at bottom and is raised by every call into the domain (by the
 * caller's label and the labels of the arguments) and by every result the
 * domain receives from a call it makes.  A raise above the domain's
 * clearance is refused with -PD_ELABEL before any data moves (for
 * arguments) or before the result is handed over (for results).  Only a
 * domain whose spec lists `declassify A -> B` may lower its label, and only
 * from at most A to B.  A sink accepts data only when the data's label,
 * joined with the writing domain's label, is at or below the sink's bound;
 * a refusal is counted and recorded.
 *
 * Labels of different lattices do not mix: a call between domains of two
 * lattices carries no label across (pdlc's static check covers each
 * lattice on its own).
 */
#ifndef PD_LABEL_H
#define PD_LABEL_H

#include <stddef.h>
#include <stdint.h>

#include "pd_data.h"
#include "pd_lattice.h"

typedef struct pd_domain pd_domain;

/* One `declassify from -> to` of a domain. */
typedef struct pd_declassify_rule {
	pd_label from;
	pd_label to;
} pd_declassify_rule;

/* The current domain's floating label (or this thread's, outside any). */
pd_label pd_label_current(void);
const pd_lattice *pd_lattice_current(void);
/*
 * Trusted code outside any domain (a scheduler, a test) starts afresh:
 * its label goes back to bottom.  Its label exists only to carry what it
 * received from one domain into the next call; the caller decides when a
 * unit of work (a batch, a request) ends.  No effect inside a domain.
 */
void pd_label_reset_outside(void);

/* A domain's floating label; 0 for a domain without a lattice. */
pd_label pd_domain_label(const pd_domain *d);

/*
 * Lowers the current domain's label to `to`, as its declaration allows:
 * the domain must declare `declassify from -> to` and hold no more than
 * `from`.  Returns 0, -PD_EACCES (no such rule, or outside any domain) or
 * -PD_ELABEL (the domain holds more than `from`).
 */
int pd_declassify(pd_label from, pd_label to);

/* Is x a label of lattice l at all?  Labels from memory are checked. */
static inline int pd_label_valid(const pd_lattice *l, pd_label x)
{
	return l->kind == PD_LATTICE_POWERSET ? (x & ~l->top) == 0 : x < l->n_labels;
}

#define PD_SINK_RECORDS 16

/* What a refused write looked like. */
typedef struct pd_sink_refusal {
	pd_label bound;
	pd_label data_label;
	pd_label domain_label;
	uint32_t domain;                /* its id; 0 = outside any domain */
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
 * Writes data labelled data_label to the sink on behalf of the current
 * domain.  Returns the writer's result (>= 0), or -PD_ELABEL when the label
 * (joined with the domain's own) is above the bound or is not a label of
 * the sink's lattice: then nothing is written, and the refusal is counted
 * and recorded.  -PD_EINVAL for a NULL sink.
 */
int pd_sink_write(pd_sink *s, pd_label data_label, const void *data, size_t len);

/* The i-th latest refusal (0 = the latest); -PD_EINVAL when there is none. */
int pd_sink_refusal_get(const pd_sink *s, unsigned i, pd_sink_refusal *out);

#endif
