/*
 * sema.c - the order of the semantic passes.
 */
#include "sema.h"

#include "diag.h"

void sema_check(module *m)
{
	if (m->checked)
		return;
	m->checked = true;
	sema_declare(m);
	sema_build_lattices(m);
	sema_check_types(m);
	if (diag_error_count() == 0)
		sema_compute_facts(m);
	sema_check_pipelines(m);
	/* On a program that is already wrong, flow paths would only add noise. */
	if (diag_error_count() == 0)
		sema_check_flows(m);
}
