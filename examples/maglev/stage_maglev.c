/*
 * stage_maglev.c - the Maglev stage: the code behind `domain maglev :
 * balancer` in idl/maglev.pdl.  Per batch it parses every frame, hashes its
 * 5-tuple, prefetches the connection-table set of each hash, then picks each
 * packet's backend and rewrites its destination MAC and IPv4 address (with
 * the IP and TCP/UDP checksums fixed).  Frames maglev_parse refuses, and
 * every frame while no backend is configured, are dropped.
 *
 * The lookup and connection tables are the DPDK-free library's
 * (maglev_table.h, flow_table.h), which allocate with malloc; a heap object
 * of kind "maglev.tables" owns them, so that when the domain dies or is
 * reset the sweep frees them with everything else it owned.
 */
#include "stage_maglev.h"

#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include <arpa/inet.h>

#include "flow_table.h"
#include "pd_batch.h"
#include "rewrite.h"

#define DEFAULT_FLOW_CAPACITY 65536u

typedef struct lb {
	struct maglev_table *table;
	struct maglev_flow_table *flows;
} lb;

static void lb_destroy(void *obj)
{
	lb *s = obj;

	maglev_flow_table_free(s->flows);
	maglev_table_free(s->table);
}

static const pd_kind lb_kind = { .name = "maglev.tables", .destroy = lb_destroy };

/*
 * Two passes so that the connection-table lookups do not wait on memory one
 * after the other: the first parses and hashes every frame and prefetches
 * its set, the second picks and rewrites.
 */
static int lb_process(void *self, pd_batch *b, pd_batch **result)
{
	lb *s = self;
	unsigned n = b->n, out = 0;
	struct maglev_pkt pkt[PD_BATCH_MAX];
	uint64_t hash[PD_BATCH_MAX];
	int8_t ok[PD_BATCH_MAX];
	uint64_t now = rte_rdtsc();

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		ok[i] = maglev_parse(rte_pktmbuf_mtod(m, const uint8_t *),
				     rte_pktmbuf_data_len(m), &pkt[i]) == 0;
		if (ok[i]) {
			hash[i] = maglev_5tuple_hash(&pkt[i].key);
			maglev_flow_prefetch(s->flows, hash[i]);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		int id = ok[i] ? maglev_flow_pick_hashed(s->flows, s->table, &pkt[i].key,
							 hash[i], now) : -1;
		const struct maglev_backend *be = id >= 0 ? maglev_backend_get(s->table, id) : NULL;
		if (be && maglev_rewrite(rte_pktmbuf_mtod(m, uint8_t *),
					 rte_pktmbuf_data_len(m), &pkt[i], be) == 0)
			b->pkts[out++] = m;
		else
			rte_pktmbuf_free(m);
	}
	b->n = (uint16_t)out;
	*result = b;
	return 0;
}

/* Backend changes rebuild the whole table at once, between batches: the
 * library refuses lookups from an unbuilt table, never serves a half-built one. */
static int lb_add_backend(void *self, const maglev_backend_desc *b, uint32_t *result)
{
	lb *s = self;
	struct maglev_backend be = { 0 };

	if (!b->name.data || b->name.len == 0 || b->name.len >= MAGLEV_NAME_MAX)
		return -PD_EINVAL;
	memcpy(be.name, b->name.data, b->name.len);
	memcpy(be.mac, b->mac, sizeof be.mac);
	be.ip = rte_cpu_to_be_32(b->ip);
	int id = maglev_backend_add(s->table, &be);
	if (id < 0)
		return id;              /* -MAGLEV_EEXIST, ...: distinct from PD codes */
	int rc = maglev_table_build(s->table);
	if (rc < 0)
		return rc;
	*result = (uint32_t)id;
	return 0;
}

static int lb_remove_backend(void *self, const pd_bytes *name)
{
	lb *s = self;
	char key[MAGLEV_NAME_MAX] = { 0 };

	if (!name->data || name->len == 0 || name->len >= MAGLEV_NAME_MAX)
		return -PD_EINVAL;
	memcpy(key, name->data, name->len);
	int rc = maglev_backend_remove(s->table, key);
	if (rc < 0)
		return rc;              /* -MAGLEV_ENOENT */
	/* With no backend left the table stays unbuilt: packets are dropped. */
	rc = maglev_table_build(s->table);
	return rc < 0 && rc != -MAGLEV_ENOBACKENDS ? rc : 0;
}

/* The backend id an established flow keeps, else the table's choice. */
static int lb_backend_for(void *self, const maglev_flow_key *k, uint32_t *result)
{
	lb *s = self;
	struct maglev_5tuple t = {
		.src_ip = rte_cpu_to_be_32(k->src_ip),
		.dst_ip = rte_cpu_to_be_32(k->dst_ip),
		.src_port = rte_cpu_to_be_16(k->src_port),
		.dst_port = rte_cpu_to_be_16(k->dst_port),
		.proto = k->proto,
	};
	int id = maglev_flow_find(s->flows, &t, rte_rdtsc());
	if (id < 0 || !maglev_backend_get(s->table, id))
		id = maglev_table_lookup(s->table, maglev_5tuple_hash(&t));
	if (id < 0)
		return id;
	*result = (uint32_t)id;
	return 0;
}

static const maglev_balancer_ops lb_ops = {
	.stage = { .process = lb_process },
	.add_backend = lb_add_backend,
	.remove_backend = lb_remove_backend,
	.backend_for = lb_backend_for,
};

int maglev_maglev_init(void *arg)
{
	const maglev_stage_config *cfg = arg;
	lb *s = pd_alloc(sizeof *s, &lb_kind);
	maglev_balancer_rref r;

	if (!s)
		return -PD_ENOMEM;
	uint32_t size = cfg && cfg->table_size ? cfg->table_size : MAGLEV_DEFAULT_SIZE;
	uint32_t flows = cfg && cfg->flow_capacity ? cfg->flow_capacity : DEFAULT_FLOW_CAPACITY;
	if (maglev_table_create(size, &s->table) < 0 ||
	    maglev_flow_table_create(flows, 0, &s->flows) < 0)
		return -PD_ENOMEM;      /* the sweep frees what was made */
	for (unsigned i = 0; cfg && i < cfg->n_backends; i++)
		if (maglev_backend_add(s->table, &cfg->backends[i]) < 0)
			return -PD_EINVAL;
	if (cfg && cfg->n_backends && maglev_table_build(s->table) < 0)
		return -PD_ENOMEM;
	/* First export: the object the scheduler calls as a std.stage. */
	return maglev_balancer_export(&lb_ops, s, NULL, NULL, &r);
}

pd_domain_spec maglev_stage_spec(const maglev_stage_config *cfg)
{
	pd_domain_spec spec = maglev_maglev_domain;

	spec.arg = (void *)cfg;
	return spec;
}

int maglev_backend_parse(const char *spec, struct maglev_backend *out)
{
	char buf[128], *mac, *ip;
	struct in_addr a;

	memset(out, 0, sizeof *out);
	if (strlen(spec) >= sizeof buf)
		goto bad;
	strcpy(buf, spec);
	mac = strchr(buf, ',');
	if (!mac)
		goto bad;
	*mac++ = '\0';
	ip = strchr(mac, ',');
	if (!ip)
		goto bad;
	*ip++ = '\0';
	if (!*buf || strlen(buf) >= MAGLEV_NAME_MAX)
		goto bad;
	if (sscanf(mac, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx", &out->mac[0], &out->mac[1],
		   &out->mac[2], &out->mac[3], &out->mac[4], &out->mac[5]) != 6 ||
	    strlen(mac) != 17)
		goto bad;
	if (inet_pton(AF_INET, ip, &a) != 1)
		goto bad;
	strcpy(out->name, buf);
	out->ip = a.s_addr;
	return 0;
bad:
	fprintf(stderr, "maglev: a backend is NAME,MAC,IPV4 (e.g. "
		"be1,02:00:00:00:10:01,10.10.0.1), not '%s'\n", spec);
	return -1;
}

maglev_backend_desc maglev_backend_to_pdl(const struct maglev_backend *b)
{
	maglev_backend_desc p = {
		.name = { .data = (uint8_t *)b->name, .len = (uint32_t)strlen(b->name) },
		.ip = rte_be_to_cpu_32(b->ip),
		.healthy = true,
	};
	memcpy(p.mac, b->mac, sizeof p.mac);
	return p;
}

void maglev_stage_default_backends(maglev_stage_config *cfg)
{
	static const char *const names[] = { "be1", "be2", "be3", "be4" };

	cfg->n_backends = 4;
	for (unsigned i = 0; i < 4; i++) {
		struct maglev_backend *b = &cfg->backends[i];
		memset(b, 0, sizeof *b);
		strcpy(b->name, names[i]);
		memcpy(b->mac, (uint8_t[6]){ 0x02, 0, 0, 0, 0x10, (uint8_t)(i + 1) }, 6);
		b->ip = rte_cpu_to_be_32(0x0a0a0000u | (i + 1));   /* 10.10.0.N */
	}
}
