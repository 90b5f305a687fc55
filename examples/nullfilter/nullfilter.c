/*
 * nullfilter.c - the null filter, the paper's unit of isolation cost: the
 * stage code behind `domain null : filter` in idl/nullfilter.pdl.  It passes
 * every batch on untouched and does O(1) work per batch (it counts), so a
 * chain of them measures what crossing the domain boundaries costs and
 * nothing else; a stage doing real per-packet work pays the same boundary
 * cost on top of that work.
 *
 * It runs inside its own domain and knows nothing of DPDK ports, schedulers
 * or other stages.  pdlc emits the rest (generated/nullfilter.pdl.[ch]): the
 * ops table, the domain spec and the chain's wiring.
 */
#include "pd_batch.h"
#include "nullfilter.pdl.h"

/* The domain's state (`state counters`): freed and rebuilt on reset. */
static const pd_kind counters_kind = { .name = "nullfilter.counters", .destroy = NULL };

static int null_process(void *self, pd_batch *b, pd_batch **result)
{
	nullfilter_counters *c = self;

	c->batches++;
	c->packets += b->n;
	*result = b;
	return 0;
}

static int null_stats(void *self, nullfilter_counters *result)
{
	*result = *(const nullfilter_counters *)self;
	return 0;
}

static const nullfilter_filter_ops null_ops = {
	.stage = { .process = null_process },
	.stats = null_stats,
};

int nullfilter_null_init(void *arg)
{
	(void)arg;
	nullfilter_counters *c = pd_alloc(sizeof *c, &counters_kind);
	nullfilter_filter_rref r;

	if (!c)
		return -PD_ENOMEM;
	/* First export: the object the scheduler calls as a std.stage. */
	return nullfilter_filter_export(&null_ops, c, NULL, NULL, &r);
}
