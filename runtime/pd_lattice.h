/*
 * pd_lattice.h - a label lattice as the constant data pdlc emits, and the
 * packed labels the run time carries: one component per lattice.
 *
 * pdlc proves the lattice laws at compile time and writes the join and meet
 * tables out, so run-time label operations are a table load (ordered
 * lattices) or one bit operation (powersets), never a search.
 *
 * pd_labels.  A value, a domain or a thread may hold labels of several
 * lattices at once (a batch from a `conf` domain passed through a `qos`
 * one); none may be dropped.  So the run time carries a pd_labels: every
 * lattice the program uses gets a bit field of one 64-bit word when it is
 * first registered, and a label is stored there as its down-set - the set
 * of labels below it, bottom left out (a powerset label is its own atom
 * set, which is the same thing).  Then, for every lattice at once,
 *     a <= b  exactly when  (a & ~b) == 0,
 * and bottom everywhere is 0: the proxies' common case ("nothing new comes
 * in") is one and-not and one test.  Joins of ordered lattices need their
 * tables (a union of down-sets is a down-set only in distributive
 * lattices), so joins are done per component, off the fast path.
 *
 * The fields of all lattices of a program must fit in 63 bits: a powerset
 * costs one bit per atom, an ordered lattice one bit per label above its
 * bottom.  Bit 63 marks a value that is not a label (an out-of-range id
 * from memory, or a lattice that did not fit); every check refuses it.
 */
#ifndef PD_LATTICE_H
#define PD_LATTICE_H

#include <stdbool.h>
#include <stdint.h>

#include "pd_data.h"

#ifdef __cplusplus
extern "C" {
#endif

enum pd_lattice_kind {
	PD_LATTICE_ORDER,       /* given by edges; ids 0..n_labels-1 */
	PD_LATTICE_POWERSET,    /* ids are bit sets over n_names atoms */
};

/* Where a lattice's field sits in a pd_labels; set once, at registration. */
typedef struct pd_lattice_slot {
	uint32_t shift;
	uint32_t registered;    /* 1 when placed; 2 when it did not fit */
} pd_lattice_slot;

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
	/* The packed form (above): width bits, label id -> its down-set
	 * (ORDER; a powerset label is its own encoding). */
	uint32_t width;
	const uint64_t *downset;
	/* A hash of the definition (name, labels in id order, order): how a
	 * checkpoint image names the lattice of a label it carries. */
	uint64_t fingerprint;
	pd_lattice_slot *slot;
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

/* Is x a label of lattice l at all?  Labels from memory are checked. */
static inline bool pd_label_valid(const pd_lattice *l, pd_label x)
{
	return l->kind == PD_LATTICE_POWERSET ? (x & ~l->top) == 0 : x < l->n_labels;
}

/* ---- packed labels --------------------------------------------------- */

typedef uint64_t pd_labels;

#define PD_LABELS_BOTTOM ((pd_labels)0)
#define PD_LABELS_INVALID ((pd_labels)1 << 63)
#define PD_LABELS_BITS 63u

/*
 * Places l in the packed word (once; the first call decides).  pdlc's
 * generated code registers every lattice of a module when the program
 * starts.  Returns 0, or -PD_ENOMEM when the lattices do not fit in 63
 * bits (the lattice's labels then pack to PD_LABELS_INVALID).
 */
int pd_lattice_register(const pd_lattice *l);

/* Out of line: registers l, then packs (what pd_labels_of does first). */
pd_labels pd__labels_of_slow(const pd_lattice *l, pd_label x);

/* The packed form of label x of lattice l; PD_LABELS_INVALID when x is
 * not a label of l. */
static inline pd_labels pd_labels_of(const pd_lattice *l, pd_label x)
{
	if (__builtin_expect(l->slot->registered != 1, 0))
		return pd__labels_of_slow(l, x);
	if (__builtin_expect(!pd_label_valid(l, x), 0))
		return PD_LABELS_INVALID;
	pd_labels bits = l->kind == PD_LATTICE_POWERSET ? (pd_labels)x : l->downset[x];
	return bits << l->slot->shift;
}

/* a <= b in every lattice (and neither is invalid). */
static inline bool pd_labels_leq(pd_labels a, pd_labels b)
{
	return ((a & ~b) | ((a | b) & PD_LABELS_INVALID)) == 0;
}

/* The least upper bound, lattice by lattice; INVALID if either is. */
pd_labels pd_labels_join(pd_labels a, pd_labels b);

/* The component of v in lattice l, as a label id (bottom when l is not
 * registered). */
pd_label pd_labels_get(pd_labels v, const pd_lattice *l);

/* v with its component in l replaced by label x. */
pd_labels pd_labels_set(pd_labels v, const pd_lattice *l, pd_label x);

/*
 * The bits of every packed value that is at most `bound` in l and anything
 * in the other lattices: v is within the bound when (v & ~mask) == 0.  A
 * clearance, a sink's or tx's bound.  0 (nothing is within it) when bound
 * is not a label of l or l cannot be registered.
 */
pd_labels pd_labels_bound(const pd_lattice *l, pd_label bound);

/* Every lattice registered so far, in registration order (for images and
 * diagnostics); n is set to their number. */
const pd_lattice *const *pd_lattices(uint32_t *n);

/* The registered lattice with this fingerprint, or NULL. */
const pd_lattice *pd_lattice_by_fingerprint(uint64_t fp);

/* A label and the lattice it belongs to (domain specs, declassify rules). */
typedef struct pd_label_ref {
	const pd_lattice *lattice;
	pd_label label;
} pd_label_ref;

#ifdef __cplusplus
}
#endif

#endif /* PD_LATTICE_H */
