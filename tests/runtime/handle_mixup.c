/*
 * Compiled twice by tests/runtime/handle-types.sh: as it is it must
 * compile; with -DMIXUP (a null handle given to the filter's proxy) it
 * must not - each interface's handle is its own C type.
 */
#include "test_proxies.h"

int call_it(nf_null_rref null, nf_filter_rref filter, pd_batch **b);

int call_it(nf_null_rref null, nf_filter_rref filter, pd_batch **b)
{
	uint32_t out;
#ifdef MIXUP
	return nf_filter_process(null, b, 1, &out);
#else
	(void)null;
	return nf_filter_process(filter, b, 1, &out);
#endif
}
