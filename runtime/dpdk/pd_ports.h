/*
 * pd_ports.h - the ethdev ports a pipeline reads and writes, and the mbuf
 * pool behind them.
 *
 * Every port the EAL found (vdevs such as net_pcap, net_null, net_ring, or
 * real NICs) is started with one RX and one TX queue per worker lcore (fewer
 * when the device has fewer).  Port p forwards to its pair p^1 when that
 * exists, else back to itself; so one net_pcap port with rx_pcap and tx_pcap
 * copies a file, and two net_null ports reproduce testpmd's io forwarding.
 */
#ifndef PD_PORTS_H
#define PD_PORTS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mempool;

#define PD_MAX_PORTS 16

typedef struct pd_port_info {
	uint16_t port_id;
	uint16_t tx_port;       /* where this port's pipeline output goes */
	uint16_t n_queues;      /* RX queues = TX queues on this port */
	/* RX replays pcap files (net_pcap's rx_pcap=, not infinite_rx=1): an
	 * empty burst means the end of the input. */
	bool replay;
} pd_port_info;

/*
 * Configures and starts every available port with up to n_workers queues,
 * creating one mbuf pool sized for the descriptor rings, per-lcore caches and
 * extra_mbufs more (batches in flight).  Returns the number of ports (> 0) or
 * a negative code after printing why.
 */
int pd_ports_start(unsigned n_workers, unsigned extra_mbufs);

unsigned pd_ports_count(void);
const pd_port_info *pd_port(unsigned i);
struct rte_mempool *pd_ports_pool(void);

/* Stops and closes every port, which flushes pcap output files. */
void pd_ports_stop(void);

/* Mbufs taken from every mempool and not yet returned, caches included.
 * After pd_ports_stop and with no batch alive this must be 0. */
uint64_t pd_mbufs_in_use(void);

#ifdef __cplusplus
}
#endif

#endif /* PD_PORTS_H */
