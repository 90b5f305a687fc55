/*
 * Floating labels outside the proxy's fast path: the raises a call makes
 * when a label changes, declassification and sinks.  The test that no
 * label changes, made on every call, is inline in pd_call.h.
 */
#include "pd_label.h"

#include "pd_internal.h"

/*
 * The raises of pd_call_flow_in/out (pd_call.h), which inline only the test
 * that nothing changes.  Everything is re-read here; this runs once per
 * change of a label, not per call.
 */
int pd__flow_in_raise(pd_domain *d, const pd_domain *from,
		      const pd_lattice *args_lattice, pd_label args)
{
	const pd_lattice *l = d->spec.lattice;
	pd_label x = d->flow.label;

	if ((from ? from->spec.lattice : pd__self.flow.lattice) == l)
		x = pd_label_join(l, x, from ? from->flow.label : pd__self.flow.label);
	if (args_lattice == l) {
		if (!pd_label_valid(l, args))
			return -PD_ELABEL;
		x = pd_label_join(l, x, args);
	}
	if (!pd_label_leq(l, x, d->spec.clearance))
		return -PD_ELABEL;
	d->flow.label = x;
	return 0;
}

int pd__flow_out_raise(const pd_domain *callee, pd_domain *to,
		       const pd_lattice *result_lattice, pd_label result)
{
	const pd_lattice *l = callee->spec.lattice;
	pd_label x = callee->flow.label;

	if (result_lattice == l) {
		if (!pd_label_valid(l, result))
			return -PD_ELABEL;
		x = pd_label_join(l, x, result);
	}
	if (to == NULL) {
		struct pd__thread *t = &pd__self;
		if (t->flow.lattice != l) {
			t->flow.lattice = l;
			t->flow.label = l->bottom;
		}
		t->flow.label = pd_label_join(l, t->flow.label, x);
		return 0;
	}
	if (to->spec.lattice != l)
		return 0;
	x = pd_label_join(l, to->flow.label, x);
	if (!pd_label_leq(l, x, to->spec.clearance))
		return -PD_ELABEL;
	to->flow.label = x;
	return 0;
}

pd_label pd_label_current(void)
{
	pd_domain *d = pd__self.current;
	return d ? d->flow.label : pd__self.flow.label;
}

const pd_lattice *pd_lattice_current(void)
{
	pd_domain *d = pd__self.current;
	return d ? d->spec.lattice : pd__self.flow.lattice;
}

void pd_label_reset_outside(void)
{
	if (pd__self.current == NULL) {
		pd__self.flow.lattice = NULL;
		pd__self.flow.label = 0;
	}
}

pd_label pd_domain_label(const pd_domain *d)
{
	return d && pd__is_record(d) ? d->flow.label : 0;
}

int pd_declassify(pd_label from, pd_label to)
{
	pd_domain *d = pd__self.current;
	if (d == NULL || d->spec.lattice == NULL)
		return -PD_EACCES;
	for (uint32_t i = 0; i < d->spec.n_declassify; i++) {
		const pd_declassify_rule *r = &d->spec.declassify[i];
		if (r->from != from || r->to != to)
			continue;
		if (!pd_label_leq(d->spec.lattice, d->flow.label, from))
			return -PD_ELABEL;
		d->flow.label = to;
		return 0;
	}
	return -PD_EACCES;
}

static void refuse(pd_sink *s, pd_label data, pd_label held, const pd_domain *d)
{
	uint64_t n = __atomic_fetch_add(&s->refused, 1, __ATOMIC_RELAXED);
	s->last[n % PD_SINK_RECORDS] = (pd_sink_refusal){
		.bound = s->bound,
		.data_label = data,
		.domain_label = held,
		.domain = d ? pd_domain_id(d) : 0,
	};
}

int pd_sink_write(pd_sink *s, pd_label data_label, const void *data, size_t len)
{
	if (s == NULL || s->lattice == NULL)
		return -PD_EINVAL;
	const pd_lattice *l = s->lattice;
	pd_domain *d = pd__self.current;
	const pd_lattice *dl = d ? d->spec.lattice : pd__self.flow.lattice;
	pd_label held = dl == l ? (d ? d->flow.label : pd__self.flow.label) : l->bottom;
	if (!pd_label_valid(l, data_label) ||
	    !pd_label_leq(l, pd_label_join(l, data_label, held), s->bound)) {
		refuse(s, data_label, held, d);
		return -PD_ELABEL;
	}
	int rc = s->write ? s->write(s->write_arg, data, len) : 0;
	if (rc >= 0)
		__atomic_add_fetch(&s->written, 1, __ATOMIC_RELAXED);
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
