/*
 * pd_ports.c - port and mempool set-up for pipelines.  Kept apart from the
 * scheduler so that the hot loop sees only (port, queue) pairs.
 */
#include "pd_ports.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define RX_DESC 1024
#define TX_DESC 1024
#define POOL_CACHE 256

static pd_port_info ports[PD_MAX_PORTS];
static unsigned n_ports;
static struct rte_mempool *pool;

/* Does the port read pcap files once through?  net_pcap's RX then gives
 * an empty burst only at the end of the file (or of a pipe's input). */
static bool replays_file(const struct rte_eth_dev_info *info)
{
	const struct rte_devargs *da = info->device ? rte_dev_devargs(info->device) : NULL;
	const char *args = da && da->args ? da->args : "";

	return info->driver_name && !strcmp(info->driver_name, "net_pcap") &&
	       strstr(args, "rx_pcap=") && !strstr(args, "infinite_rx=1");
}

static int start_port(uint16_t pid, unsigned n_workers)
{
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int rc;

	if ((rc = rte_eth_dev_info_get(pid, &info)) != 0)
		return rc;
	unsigned q = n_workers;
	if (q > info.max_rx_queues)
		q = info.max_rx_queues;
	if (q > info.max_tx_queues)
		q = info.max_tx_queues;
	if (q == 0)
		return -ENODEV;

	memset(&conf, 0, sizeof conf);
	if (q > 1 && info.flow_type_rss_offloads) {
		/* Spread flows so each worker's RX queue gets its share. */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
	}
	if ((rc = rte_eth_dev_configure(pid, q, q, &conf)) != 0)
		return rc;
	uint16_t nb_rxd = RX_DESC, nb_txd = TX_DESC;
	if ((rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd)) != 0)
		return rc;
	int socket = rte_eth_dev_socket_id(pid);
	for (unsigned i = 0; i < q; i++) {
		rc = rte_eth_rx_queue_setup(pid, i, nb_rxd, socket, NULL, pool);
		if (rc)
			return rc;
		rc = rte_eth_tx_queue_setup(pid, i, nb_txd, socket, NULL);
		if (rc)
			return rc;
	}
	if ((rc = rte_eth_dev_start(pid)) != 0)
		return rc;
	/* Promiscuous mode is meaningless on most vdevs; ignore a refusal. */
	(void)rte_eth_promiscuous_enable(pid);
	ports[n_ports].port_id = pid;
	ports[n_ports].n_queues = (uint16_t)q;
	ports[n_ports].replay = replays_file(&info);
	n_ports++;
	return 0;
}

int pd_ports_start(unsigned n_workers, unsigned extra_mbufs)
{
	uint16_t pid;
	unsigned avail = rte_eth_dev_count_avail();

	if (avail == 0) {
		fprintf(stderr, "pd: no ports: give one with --vdev (e.g. "
			"--vdev=net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap); if you "
			"did, its driver refused it (see the EAL messages above)\n");
		return -ENODEV;
	}
	if (avail > PD_MAX_PORTS) {
		fprintf(stderr, "pd: %u ports, at most %d supported\n",
			avail, PD_MAX_PORTS);
		return -E2BIG;
	}
	/* Each queue's RX ring can hold RX_DESC mbufs and its TX ring TX_DESC;
	 * each lcore's cache up to 1.5x POOL_CACHE. */
	unsigned n_mbufs = avail * n_workers * (RX_DESC + TX_DESC) +
		rte_lcore_count() * (POOL_CACHE * 3 / 2) + extra_mbufs + 1024;
	pool = rte_pktmbuf_pool_create("pd_mbufs", n_mbufs, POOL_CACHE, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (!pool) {
		fprintf(stderr, "pd: cannot create a pool of %u mbufs: %s "
			"(more memory with -m?)\n", n_mbufs, rte_strerror(rte_errno));
		return -ENOMEM;
	}

	RTE_ETH_FOREACH_DEV(pid) {
		int rc = start_port(pid, n_workers);
		if (rc) {
			fprintf(stderr, "pd: cannot start port %u: %s\n", pid,
				rte_strerror(-rc));
			pd_ports_stop();
			return rc;
		}
	}
	for (unsigned i = 0; i < n_ports; i++)
		ports[i].tx_port = (i ^ 1) < n_ports ? ports[i ^ 1].port_id
						     : ports[i].port_id;
	return (int)n_ports;
}

unsigned pd_ports_count(void)
{
	return n_ports;
}

const pd_port_info *pd_port(unsigned i)
{
	return i < n_ports ? &ports[i] : NULL;
}

struct rte_mempool *pd_ports_pool(void)
{
	return pool;
}

void pd_ports_stop(void)
{
	for (unsigned i = 0; i < n_ports; i++) {
		(void)rte_eth_dev_stop(ports[i].port_id);
		(void)rte_eth_dev_close(ports[i].port_id);
	}
	n_ports = 0;
}

static void add_in_use(struct rte_mempool *mp, void *arg)
{
	*(uint64_t *)arg += rte_mempool_in_use_count(mp);
}

uint64_t pd_mbufs_in_use(void)
{
	uint64_t n = 0;
	rte_mempool_walk(add_in_use, &n);
	return n;
}
