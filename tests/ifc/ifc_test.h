/*
 * ifc_test.h - what the information-flow tests ask of a domain from the
 * outside (the tests are its manager): the object it exported first (its
 * state, to set up or inspect), its label in one lattice, and tearing a
 * world of domains down.
 */
#ifndef IFC_TEST_H
#define IFC_TEST_H

#include <stddef.h>

#include "cunit_main.h"
#include "pd_call.h"

static inline void *self_of(pd_domain *d)
{
	pd_rref r;
	const void *ops;
	void *self = NULL;
	CU_ASSERT_EQUAL(pd_domain_export_rref(d, 0, &r), 0);
	CU_ASSERT_EQUAL(pd__rref_target(r, &ops, &self), 0);
	return self;
}

static inline pd_label label_in(const pd_domain *d, const pd_lattice *l)
{
	pd_labels v = PD_LABELS_INVALID;
	CU_ASSERT_EQUAL(pd_domain_labels(d, &v), 0);
	return pd_labels_get(v, l);
}

/* Destroys the domains, in the order given, and forgets what this code
 * learnt from them. */
static inline void destroy_all(pd_domain *const *all, size_t n)
{
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(pd_domain_destroy(all[i]), 0);
	pd_label_reset_outside();
}

#endif
