/*
 * stage_parse.c - the demo's first stage (domain `parse` of idl/demo.pdl):
 * keeps well-formed Ethernet/IPv4/TCP-or-UDP frames and drops everything
 * else - truncated headers, IPv6, VLAN tags, ARP and other EtherTypes, bad
 * IPv4 lengths or IHL, fragments, other L4 protocols.  The checks are the
 * Maglev library's (maglev_parse: strict bounds, never reads past the
 * frame), so what parse passes, Maglev can balance.
 *
 * For the stages after it, it records where the headers are in the mbuf
 * (l2_len, l3_len, l4_len, packet_type), so the firewall reads its fields
 * without parsing again.  What it drops is the stage's drop count in the
 * statistics table.
 */
#include <rte_mbuf.h>
#include <rte_mbuf_ptype.h>

#include "demo.pdl.h"
#include "pd_batch.h"
#include "rewrite.h"

/* The domain's state: it needs an object to export, and keeps nothing else. */
typedef struct parse_state {
	uint64_t batches;
} parse_state;

static const pd_kind state_kind = { .name = "demo.parse_state", .destroy = NULL };

static int parse_process(void *self, pd_batch *b, pd_batch **result)
{
	parse_state *s = self;
	unsigned out = 0, n = b->n;

	s->batches++;
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		struct maglev_pkt p;
		int rc = maglev_parse(rte_pktmbuf_mtod(m, const uint8_t *),
				      rte_pktmbuf_data_len(m), &p);
		if (rc < 0) {
			rte_pktmbuf_free(m);
			continue;
		}
		m->l2_len = p.l3_off;
		m->l3_len = p.l4_off - p.l3_off;
		m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 |
				 (p.key.proto == 6 ? RTE_PTYPE_L4_TCP : RTE_PTYPE_L4_UDP);
		b->pkts[out++] = m;
	}
	b->n = (uint16_t)out;
	*result = b;
	return 0;
}

static const std_stage_ops parse_ops = { .process = parse_process };

int demo_parse_init(void *arg)
{
	(void)arg;
	parse_state *s = pd_alloc(sizeof *s, &state_kind);
	std_stage_rref r;

	if (!s)
		return -PD_ENOMEM;
	return std_stage_export(&parse_ops, s, NULL, NULL, &r);
}
