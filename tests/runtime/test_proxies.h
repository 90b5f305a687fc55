/*
 * The proxies the libpd core tests and the call benchmark use: pdlc's output
 * for tests/runtime/nf.pdl, plus the test stand-in for the packet batch and
 * one proxy in the older PD_CALL_GUARD shape, kept for comparison.
 *
 *	module nf;
 *	opaque batch = "pd_batch";
 *	interface filter { u32 process(move batch b, u32 n); }
 *	interface stage  { move batch process(move batch b); }
 *	interface null   { u32 ping(u32 x); }
 *
 * pd_batch here is a sequence number and a count; the DPDK runtime has the
 * real one.
 */
#ifndef TEST_PROXIES_H
#define TEST_PROXIES_H

#include <stdint.h>

#include "nf.pdl.h"

struct pd_batch {
	uint32_t n;
	uint32_t seq;
};

/* The same method in the older PD_CALL_GUARD shape, still supported. */
static inline int nf_null_ping_guarded(nf_null_rref r, uint32_t x, uint32_t *result)
{
	pd_call call;
	int rc = pd_call_resolve(&call, r.r, &nf_null_iface, NF_NULL_PING);
	if (rc < 0)
		return rc;
	const nf_null_ops *ops = (const nf_null_ops *)call.ops;
	if ((rc = pd_call_switch(&call)) < 0)
		return rc;
	if (PD_CALL_GUARD(&call))
		rc = ops->ping(call.self, x, result);
	else
		rc = -PD_EFAULT;
	pd_call_leave(&call);
	return rc;
}

#endif /* TEST_PROXIES_H */
