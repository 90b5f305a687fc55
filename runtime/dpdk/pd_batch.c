/*
 * pd_batch.c - the batch kind.  Its destructor is what makes "a faulted
 * stage leaks no mbuf" true: libpd runs it for every batch the dead domain
 * owned, outside any domain, so it must not fault on a half-filled batch;
 * n is only ever raised after the mbuf is stored, so pkts[0..n) are valid.
 */
#include "pd_batch.h"

static void batch_destroy(void *obj)
{
	pd_batch *b = obj;

	if (b->n > PD_BATCH_MAX)   /* corrupted by its owner: leak, never crash */
		return;
	rte_pktmbuf_free_bulk(b->pkts, b->n);
	b->n = 0;
}

const pd_kind pd_batch_kind = {
	.name = "pd_batch",
	.destroy = batch_destroy,
};
