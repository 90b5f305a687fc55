/*
 * pd_inject.c - parsing --inject-fault and raising the faults.  Each kind goes
 * through the real mechanism (a wild write, abort(), a failed pd_assert, an
 * integer division by zero) so tests exercise the same containment paths as
 * genuine bugs.
 */
#include "pd_inject.h"
#include "pd_std_stage.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd.h"

static const char *const kind_names[] = {
	[PD_INJECT_SEGV] = "segv",
	[PD_INJECT_ABORT] = "abort",
	[PD_INJECT_ASSERT] = "assert",
	[PD_INJECT_FPE] = "fpe",
};

const char *pd_inject_kind_name(pd_inject_kind kind)
{
	return kind_names[kind];
}

int pd_inject_parse(const char *spec, unsigned n_stages,
		    const char *const *names, pd_inject *out)
{
	char buf[128], *stage, *every, *kind, *end;
	int idx = -1;

	if (strlen(spec) >= sizeof buf)
		goto bad;
	strcpy(buf, spec);
	stage = buf;
	every = strchr(stage, ':');
	if (!every)
		goto bad;
	*every++ = '\0';
	kind = strchr(every, ':');
	if (kind)
		*kind++ = '\0';

	for (unsigned i = 0; i < n_stages; i++)
		if (!strcmp(stage, names[i]))
			idx = (int)i;
	if (idx < 0) {
		errno = 0;
		unsigned long v = strtoul(stage, &end, 10);
		if (*stage && !*end && !errno && v < n_stages)
			idx = (int)v;
	}
	if (idx < 0) {
		fprintf(stderr, "pd: --inject-fault: no stage '%s' (stages:", stage);
		for (unsigned i = 0; i < n_stages; i++)
			fprintf(stderr, " %s", names[i]);
		fprintf(stderr, ", or an index below %u)\n", n_stages);
		return -1;
	}

	errno = 0;
	unsigned long n = strtoul(every, &end, 10);
	if (!*every || *end || errno || n == 0 || n > UINT32_MAX ||
	    every[0] == '-') {
		fprintf(stderr, "pd: --inject-fault: EVERY_N must be a positive "
			"integer, not '%s'\n", every);
		return -1;
	}
	out->every = out->left = (uint32_t)n;
	out->kind = PD_INJECT_SEGV;
	if (kind) {
		unsigned k;
		for (k = 0; k < sizeof kind_names / sizeof kind_names[0]; k++)
			if (!strcmp(kind, kind_names[k]))
				break;
		if (k == sizeof kind_names / sizeof kind_names[0]) {
			fprintf(stderr, "pd: --inject-fault: KIND must be segv, "
				"abort, assert or fpe, not '%s'\n", kind);
			return -1;
		}
		out->kind = (pd_inject_kind)k;
	}
	return idx;
bad:
	fprintf(stderr, "pd: --inject-fault wants STAGE:EVERY_N[:KIND], not '%s'\n",
		spec);
	return -1;
}

int pd_inject_in_domain(pd_rref stage, void **obj, pd_inject_kind kind)
{
	pd_call call;
	int rc = pd_call_resolve(&call, stage, &std_stage_iface, STD_STAGE_PROCESS);

	if (rc < 0)
		return rc;
	/* No frame of the caller's to land in: faulting would unwind to a
	 * frame nobody armed for this. */
	if (pd__self.top == NULL || pd__self.top->owner != call.caller)
		return -PD_EINVAL;
	if ((rc = pd_move_in(&call, *obj)) < 0)
		return rc;
	if ((rc = pd_call_switch(&call)) < 0) {
		pd_move_out(&call, *obj);
		return rc;
	}
	*obj = NULL;
	pd_inject_fire(kind);
}

/* The sanitizers must let these faults happen as in a plain build. */
__attribute__((no_sanitize("address", "undefined")))
void pd_inject_fire(pd_inject_kind kind)
{
	/* volatile so the compiler keeps the faulting access. */
	static volatile int zero;
	static int *volatile wild;

	switch (kind) {
	case PD_INJECT_SEGV:
		*wild = 1;
		break;
	case PD_INJECT_ABORT:
		abort();
	case PD_INJECT_ASSERT:
		pd_assert(zero == 1);
		break;
	case PD_INJECT_FPE:
		zero = 1 / zero;
		break;
	}
	/* Only reached when the platform ignores the fault (e.g. FPE masked). */
	abort();
}
