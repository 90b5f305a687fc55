/*
 * pd_batch.h - the packet batch: one libpd heap object owning up to
 * PD_BATCH_MAX mbufs.
 *
 * Handing a batch to the next stage is one ownership change of this object
 * (pd_move through the stage proxy); the mbufs follow because the batch owns
 * them.  Whoever frees the batch - its owner with pd_free, or libpd sweeping
 * a faulted domain - runs the kind's destructor, which returns every mbuf
 * still in it to its mempool.  So a stage must take an mbuf out of pkts[]
 * before passing it anywhere else, and put nothing in pkts[] it does not own.
 */
#ifndef PD_BATCH_H
#define PD_BATCH_H

#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "pd_heap.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PD_BATCH_MAX 256

typedef struct pd_batch {
	uint16_t n;                 /* pkts[0..n) are owned */
	uint16_t port;              /* RX port the packets came from */
	uint16_t queue;             /* RX queue */
	uint16_t reserved;
	struct rte_mbuf *pkts[PD_BATCH_MAX];
} pd_batch;

extern const pd_kind pd_batch_kind;

/* An empty batch owned by the current domain; NULL when out of memory. */
static inline pd_batch *pd_batch_new(void)
{
	return (pd_batch *)pd_alloc(sizeof(pd_batch), &pd_batch_kind);
}

/*
 * Keeps the packets for which keep(m, arg) is true, in order, and frees the
 * others.  Returns the number dropped.  The usual body of a filter stage.
 */
static inline unsigned pd_batch_filter(pd_batch *b,
				       int (*keep)(const struct rte_mbuf *, void *),
				       void *arg)
{
	unsigned out = 0, n = b->n;
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (keep(m, arg))
			b->pkts[out++] = m;
		else
			rte_pktmbuf_free(m);
	}
	b->n = (uint16_t)out;
	return n - out;
}

/*
 * Sends the batch's packets on port/queue and frees those the port did not
 * take, so that nothing is left owned by the batch.  Returns how many were
 * sent; the batch is left empty (and still the caller's to free).
 */
static inline uint16_t pd_batch_tx(pd_batch *b, uint16_t port, uint16_t queue)
{
	uint16_t sent = rte_eth_tx_burst(port, queue, b->pkts, b->n);
	if (sent < b->n)
		rte_pktmbuf_free_bulk(b->pkts + sent, b->n - sent);
	b->n = 0;
	return sent;
}

#ifdef __cplusplus
}
#endif

#endif /* PD_BATCH_H */
