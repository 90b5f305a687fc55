/*
 * pd_lattice.h - a label lattice as the constant data pdlc emits.
 *
 * pdlc proves the lattice laws at compile time and writes the join and meet
 * tables out, so run-time label operations are a table load (ordered
 * lattices) or one bit operation (powersets), never a search.
 */
#ifndef PD_LATTICE_H
#define PD_LATTICE_H

#include <stdbool.h>
#include <stdint.h>

#include "pd_data.h"

enum pd_lattice_kind {
	PD_LATTICE_ORDER,       /* given by edges; ids 0..n_labels-1 */
	PD_LATTICE_POWERSET,    /* ids are bit sets over n_names atoms */
};

typedef struct pd_lattice {
	const char *name;               /* "module.lattice" */
	enum pd_lattice_kind kind;
	uint32_t n_labels;
	uint32_t n_names;               /* elements, or atoms of a powerset */
	const char *const *names;
	pd_label bottom, top;
	const uint8_t *join;            /* ORDER: n_labels x n_labels */
	const uint8_t *meet;
	const uint64_t *above;          /* ORDER: above[a] has bit b when a <= b */
} pd_lattice;

static inline pd_label pd_label_join(const pd_lattice *l, pd_label a, pd_label b)
{
	return l->kind == PD_LATTICE_POWERSET ? (a | b) : l->join[a * l->n_labels + b];
}

static inline pd_label pd_label_meet(const pd_lattice *l, pd_label a, pd_label b)
{
	return l->kind == PD_LATTICE_POWERSET ? (a & b) : l->meet[a * l->n_labels + b];
}

static inline bool pd_label_leq(const pd_lattice *l, pd_label a, pd_label b)
{
	return l->kind == PD_LATTICE_POWERSET ? (a & ~b) == 0 : (l->above[a] >> b & 1) != 0;
}

#endif /* PD_LATTICE_H */
