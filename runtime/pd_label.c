/*
 * Floating labels outside the proxy's fast path: where each lattice sits in
 * a pd_labels, joins lattice by lattice, the raises a call makes when a
 * label changes, declassification and sinks.  The test that no label
 * changes, made on every call, is inline in pd_call.h.
 */
#include "pd_label.h"

#include <assert.h>
#include <stdio.h>

#include "pd_internal.h"

/* ---- the registry ---------------------------------------------------- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static const pd_lattice *registered[PD_LABELS_BITS];  /* append-only */
static uint32_t n_registered;                         /* published with release */
static uint32_t bits_used;                            /* under registry_lock */

int pd_lattice_register(const pd_lattice *l)
{
	if (l == NULL || l->slot == NULL)
		return -PD_EINVAL;
	if (__atomic_load_n(&l->slot->registered, __ATOMIC_ACQUIRE) == 1)
		return 0;
	pthread_mutex_lock(&registry_lock);
	int rc = 0;
	if (l->slot->registered == 0) {
		if (l->width == 0 || l->width > PD_LABELS_BITS - bits_used) {
			l->slot->registered = 2;
			fprintf(stderr, "pd: label lattice %s needs %u bits; the lattices of this "
				"program have only %u of %u left (a powerset costs a bit per atom, "
				"an ordered lattice one per label above bottom)\n",
				l->name, l->width, PD_LABELS_BITS - bits_used, PD_LABELS_BITS);
		} else {
			l->slot->shift = bits_used;
			bits_used += l->width;
			registered[n_registered] = l;
			__atomic_store_n(&n_registered, n_registered + 1, __ATOMIC_RELEASE);
			__atomic_store_n(&l->slot->registered, 1, __ATOMIC_RELEASE);
		}
	}
	rc = l->slot->registered == 1 ? 0 : -PD_ENOMEM;
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

pd_labels pd__labels_of_slow(const pd_lattice *l, pd_label x)
{
	if (pd_lattice_register(l) < 0)
		return PD_LABELS_INVALID;
	return pd_labels_of(l, x);
}

const pd_lattice *const *pd_lattices(uint32_t *n)
{
	*n = __atomic_load_n(&n_registered, __ATOMIC_ACQUIRE);
	return registered;
}

const pd_lattice *pd_lattice_by_fingerprint(uint64_t fp)
{
	uint32_t n;
	const pd_lattice *const *all = pd_lattices(&n);
	for (uint32_t i = 0; i < n; i++)
		if (all[i]->fingerprint == fp)
			return all[i];
	return NULL;
}

/* ---- components ------------------------------------------------------ */

static inline uint64_t field_mask(const pd_lattice *l)
{
	return (l->width >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << l->width) - 1) << l->slot->shift;
}

/*
 * The label a field's bits stand for.  An ordered lattice's non-bottom
 * labels own one bit each, in id order (pdlc's encoding: a label's
 * down-set is the bits of the labels at or below it).  A field may be the
 * OR of several labels' down-sets (pd_call.h ORs arguments' labels
 * together); it stands for their join, which is the join of the labels
 * whose bits are set.
 */
static pd_label decode(const pd_lattice *l, uint64_t bits)
{
	if (l->kind == PD_LATTICE_POWERSET)
		return (pd_label)bits;
	pd_label x = l->bottom;
	for (pd_label e = 0; e < l->n_labels && bits; e++) {
		if (e == l->bottom)
			continue;
		uint32_t rank = e < l->bottom ? e : e - 1;
		if (bits >> rank & 1)
			x = pd_label_join(l, x, e);
	}
	return x;
}

pd_label pd_labels_get(pd_labels v, const pd_lattice *l)
{
	if (l->slot->registered != 1)
		return l->bottom;
	return decode(l, (v & field_mask(l)) >> l->slot->shift);
}

pd_labels pd_labels_set(pd_labels v, const pd_lattice *l, pd_label x)
{
	pd_labels bits = pd_labels_of(l, x);
	if (bits & PD_LABELS_INVALID)
		return PD_LABELS_INVALID;
	return (v & ~field_mask(l)) | bits;
}

pd_labels pd_labels_join(pd_labels a, pd_labels b)
{
	pd_labels u = a | b;
	if ((u & PD_LABELS_INVALID) || (a & ~b) == 0 || (b & ~a) == 0)
		return (u & PD_LABELS_INVALID) ? PD_LABELS_INVALID : u;
	/* Both have bits the other lacks: ordered lattices need their tables. */
	uint32_t n;
	const pd_lattice *const *all = pd_lattices(&n);
	for (uint32_t i = 0; i < n; i++) {
		const pd_lattice *l = all[i];
		if (l->kind == PD_LATTICE_POWERSET)
			continue;
		uint64_t m = field_mask(l);
		if ((a & m & ~b) == 0 || (b & m & ~a) == 0)
			continue;
		pd_label x = decode(l, (u & m) >> l->slot->shift);
		u = (u & ~m) | (l->downset[x] << l->slot->shift);
	}
	return u;
}

/* ---- raises ---------------------------------------------------------- */

/* x, if the domain may hold it; else -1 (the caller refuses). */
static int may_hold(const pd_domain *d, pd_labels x)
{
	return (x & PD_LABELS_INVALID) == 0 && (x & ~d->clearance_mask) == 0;
}

/*
 * Joins ADD into d's label, unless that would leave its clearance.  Two
 * threads may raise one domain at once (workers sharing it), and a raise
 * lost to the other's store would be a leak, so every change of a live
 * domain's label is a compare-and-swap.  (Relaxed is enough on x86-64:
 * a label is raised before the data it describes is handed over, and TSO
 * keeps stores in order.)
 */
static int raise_label(pd_domain *d, pd_labels add)
{
	pd_labels old = __atomic_load_n(&d->label, __ATOMIC_RELAXED);
	for (;;) {
		pd_labels x = pd_labels_join(old, add);
		if (!may_hold(d, x))
			return -PD_ELABEL;
		if (x == old || __atomic_compare_exchange_n(&d->label, &old, x, true, __ATOMIC_RELAXED,
							     __ATOMIC_RELAXED))
			return 0;
	}
}

int pd__flow_in_raise(pd_domain *d, pd_labels in)
{
	return raise_label(d, in);
}

/*
 * What code learns (a result, an error, a fault, an event) it comes to
 * hold.  When it may not hold all of it, it is refused - but the refusal
 * itself says the answer was above its clearance, and code holding less
 * than that may have decided so (a domain at `internal` choosing, on an
 * internal bit, to read something secret).  So the refused code still
 * comes to hold OUT met with its clearance: as packed down-sets, OUT and
 * the clearance mask ANDed, lattice by lattice.  What it learns from the
 * refusal was decided by code at or above that meet.
 */
int pd__flow_out_raise(pd_domain *to, pd_labels out)
{
	/* (a label that is not one - a forged labeled<T> - is refused; the
	 * valid labels beside it are still learnt) */
	pd_labels valid = out & ~PD_LABELS_INVALID;
	if (to == NULL) {
		pd__self.label = pd_labels_join(pd__self.label, valid);
		return (out & PD_LABELS_INVALID) ? -PD_ELABEL : 0;
	}
	if (raise_label(to, out) == 0)
		return 0;
	int part = raise_label(to, valid & to->clearance_mask);
	assert(part == 0);          /* a meet with the clearance is within it */
	(void)part;
	return -PD_ELABEL;
}

int pd__labels_raise_current(pd_labels v)
{
	return pd__flow_out_raise(pd__self.current, v);
}

void pd__event(pd_domain *d, pd_labels by)
{
	pd_labels old = __atomic_load_n(&d->event_labels, __ATOMIC_RELAXED), x;
	do
		x = pd_labels_join(old, by);
	while (x != old && !__atomic_compare_exchange_n(&d->event_labels, &old, x, true,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

int pd__fault_seen(pd_domain *faulted)
{
	pd_labels held = __atomic_load_n(&faulted->label, __ATOMIC_RELAXED);
	pd__event(faulted, held);
	return pd__labels_raise_current(held);
}

int pd__observed(pd_labels v, int rc)
{
	if (v == 0)
		return rc;
	return pd__labels_raise_current(v) < 0 ? -PD_ELABEL : rc;
}

pd_labels pd__domain_initial(const pd_domain_spec *spec)
{
	pd_labels v = 0;
	for (uint32_t i = 0; i < spec->n_initial; i++)
		v = pd_labels_join(v, pd_labels_of(spec->initial[i].lattice, spec->initial[i].label));
	return v;
}

pd_labels pd_labels_bound(const pd_lattice *l, pd_label bound)
{
	if (l == NULL || pd_lattice_register(l) < 0)
		return 0;
	pd_labels c = pd_labels_of(l, bound);
	if (c & PD_LABELS_INVALID)
		return 0;
	return (~PD_LABELS_INVALID & ~field_mask(l)) | c;
}

pd_labels pd__clearance_mask(const pd_domain_spec *spec)
{
	if (spec->lattice == NULL)
		return ~PD_LABELS_INVALID;
	return pd_labels_bound(spec->lattice, spec->clearance);
}

/* ---- what code may ask about labels ------------------------------------ */

pd_labels pd_labels_current(void)
{
	pd_domain *d = pd__self.current;
	return d ? d->label : pd__self.label;
}

pd_label pd_label_current(const pd_lattice *l)
{
	return pd_labels_get(pd_labels_current(), l);
}

void pd_label_reset_outside(void)
{
	if (pd__self.current == NULL)
		pd__self.label = 0;
}

int pd_label_set_outside(pd_labels v)
{
	if (pd__self.current != NULL)
		return -PD_EACCES;
	if (v & PD_LABELS_INVALID)
		return -PD_EINVAL;
	pd__self.label = v;
	return 0;
}

int pd_domain_labels(const pd_domain *d, pd_labels *out)
{
	if (!pd__valid_domain(d) || out == NULL)
		return -PD_EINVAL;
	if (!pd__may_manage(d))
		return -PD_EACCES;
	*out = d->label;
	return 0;
}

int pd_declassify(const pd_lattice *l, pd_label from, pd_label to)
{
	pd_domain *d = pd__self.current;
	if (d == NULL || l == NULL)
		return -PD_EACCES;
	for (uint32_t i = 0; i < d->spec.n_declassify; i++) {
		const pd_declassify_rule *r = &d->spec.declassify[i];
		if (r->lattice != l || r->from != from || r->to != to)
			continue;
		pd_labels old = __atomic_load_n(&d->label, __ATOMIC_RELAXED);
		do {
			if (!pd_label_leq(l, pd_labels_get(old, l), from))
				return -PD_ELABEL;
		} while (!__atomic_compare_exchange_n(&d->label, &old, pd_labels_set(old, l, to), true,
						      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
		return 0;
	}
	return -PD_EACCES;
}

/* ---- sinks ----------------------------------------------------------- */

static void refuse(pd_sink *s, pd_label data, pd_label held, const pd_domain *d, int why)
{
	uint64_t n = __atomic_fetch_add(&s->refused, 1, __ATOMIC_RELAXED);
	s->last[n % PD_SINK_RECORDS] = (pd_sink_refusal){
		.bound = s->bound,
		.data_label = data,
		.domain_label = held,
		.domain = d ? pd_domain_id(d) : 0,
		.reason = why,
	};
}

static int may_write(const pd_domain *d, const pd_sink *s)
{
	if (d == NULL)
		return 1;       /* trusted code */
	for (uint32_t i = 0; i < d->n_sinks; i++)
		if (d->sinks[i] == s)
			return 1;
	return 0;
}

int pd_sink_write(pd_sink *s, pd_label data_label, const void *data, size_t len)
{
	if (s == NULL || s->lattice == NULL || s->write == NULL)
		return -PD_EINVAL;
	const pd_lattice *l = s->lattice;
	pd_domain *d = pd__self.current;
	pd_labels mine = d ? d->label : pd__self.label;
	pd_label held = pd_labels_get(mine, l);
	if (!may_write(d, s)) {
		refuse(s, data_label, held, d, -PD_EACCES);
		return -PD_EACCES;
	}
	if ((mine & PD_LABELS_INVALID) || !pd_label_valid(l, data_label) ||
	    !pd_label_leq(l, pd_label_join(l, data_label, held), s->bound)) {
		refuse(s, data_label, held, d, -PD_ELABEL);
		return -PD_ELABEL;
	}
	int rc = s->write(s->write_arg, data, len);
	if (rc >= 0)
		__atomic_add_fetch(&s->written, 1, __ATOMIC_RELAXED);
	return rc;
}

int pd__sink_grant(pd_domain *d, const pd_sink *s)
{
	for (uint32_t i = 0; i < d->n_sinks; i++)
		if (d->sinks[i] == s)
			return 0;
	if (d->n_sinks == PD_MAX_SINKS)
		return -PD_ENOMEM;
	d->sinks[d->n_sinks++] = s;
	return 0;
}

int pd_sink_allow(pd_sink *s, pd_domain *d)
{
	if (s == NULL || !pd__valid_domain(d) || d->state == PD_DOMAIN_FREE)
		return -PD_EINVAL;
	if (pd__self.current != NULL)
		return -PD_EACCES;
	pthread_mutex_lock(&pd__table_lock);
	int rc = pd__sink_grant(d, s);
	pthread_mutex_unlock(&pd__table_lock);
	return rc;
}

int pd_sink_refusal_get(const pd_sink *s, unsigned i, pd_sink_refusal *out)
{
	uint64_t n = s ? __atomic_load_n(&s->refused, __ATOMIC_RELAXED) : 0;
	if (s == NULL || out == NULL || i >= n || i >= PD_SINK_RECORDS)
		return -PD_EINVAL;
	*out = s->last[(n - 1 - i) % PD_SINK_RECORDS];
	return 0;
}
