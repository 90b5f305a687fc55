/*
 * firewall.c - the firewall stage: the code behind `domain firewall :
 * filter` in idl/firewall.pdl (the paper's Figure 3).  Its state is the
 * ruleset the .pdl declares, built from the generated types on the domain's
 * heap: a binary trie on the source prefix whose nodes own their children
 * and share rule objects with the ruleset's list.  Everything is a libpd
 * object owned by the domain, so a fault frees it all and a reset rebuilds
 * it from the start-time rules.  (The checkpoint issue adds `restore`.)
 *
 * It reads the packet fields it filters on at the offsets the parse stage
 * recorded in the mbuf (l2_len, l3_len), bounds-checked again here: a
 * frame that does not carry them is dropped, whatever sent it.
 */
#include "firewall_stage.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "pd_batch.h"

/*
 * The trie is leaf-pushed: every node lists, besides the rules of its own
 * prefix, the rules of all its ancestors' prefixes, longest prefix first and
 * in the order added among equal prefixes.  So a lookup walks down as far as
 * the packet's source address leads and scans one list; the price is that a
 * rule is shared by every node below its own, which is what `shared rule`
 * (one object, one hit counter, many aliases) is for.
 */

/*
 * With `checkpoint incremental` every write to an object the last
 * checkpoint holds is preceded by pd_touch (pd_snap.h), which logs its old
 * bytes for a rollback; the holder of a vec is touched by the caller.
 */

/* Inserts r at index at of v, taking a reference to it. */
static int vec_insert(firewall_vec_shared_rule *v, uint32_t at, firewall_rule *r)
{
	if (v->len == v->cap) {
		uint32_t cap = v->cap ? v->cap * 2 : 2;
		firewall_rule **items = pd_alloc(cap * sizeof *items, NULL);
		if (!items)
			return -PD_ENOMEM;
		if (v->len)
			memcpy(items, v->items, v->len * sizeof *items);
		pd_free(v->items);
		v->items = items;
		v->cap = cap;
	}
	pd_touch(v->items);
	memmove(&v->items[at + 1], &v->items[at], (v->len - at) * sizeof *v->items);
	v->items[at] = pd_shared_retain(r);
	v->len++;
	return 0;
}

static uint32_t prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

/* A new node below parent: it inherits parent's rules (all its ancestors'). */
static firewall_trie_node *new_child(const firewall_trie_node *parent)
{
	firewall_trie_node *n = pd_alloc(sizeof *n, &firewall_trie_node_kind);
	uint32_t len = parent->rules.len;

	if (!n || !len)
		return n;
	n->rules.items = pd_alloc(len * sizeof *n->rules.items, NULL);
	if (!n->rules.items) {
		pd_free(n);
		return NULL;
	}
	for (uint32_t i = 0; i < len; i++)
		n->rules.items[i] = pd_shared_retain(parent->rules.items[i]);
	n->rules.len = n->rules.cap = len;
	return n;
}

/* Adds r to n and to every node below it, after the rules of longer prefixes. */
static int push_down(firewall_trie_node *n, firewall_rule *r)
{
	uint32_t at = 0;

	while (at < n->rules.len && n->rules.items[at]->src_len >= r->src_len)
		at++;
	pd_touch(n);
	int rc = vec_insert(&n->rules, at, r);
	if (rc == 0 && n->zero)
		rc = push_down(n->zero, r);
	if (rc == 0 && n->one)
		rc = push_down(n->one, r);
	return rc;
}

firewall_ruleset *firewall_ruleset_new(void)
{
	firewall_ruleset *rs = pd_alloc(sizeof *rs, &firewall_ruleset_kind);

	if (rs && !(rs->root = pd_alloc(sizeof *rs->root, &firewall_trie_node_kind))) {
		pd_free(rs);
		return NULL;
	}
	return rs;
}

int firewall_ruleset_add(firewall_ruleset *rs, const firewall_rule *r, uint32_t *index)
{
	if (r->src_len > 32 || r->dst_len > 32 || r->dst_port_lo > r->dst_port_hi)
		return -PD_EINVAL;
	if (rs->all.len == UINT32_MAX)
		return -PD_ENOMEM;
	firewall_rule *copy = pd_shared_alloc(sizeof *copy, &firewall_rule_kind);
	if (!copy)
		return -PD_ENOMEM;
	*copy = *r;
	copy->src_prefix &= prefix_mask(r->src_len);
	copy->dst_prefix &= prefix_mask(r->dst_len);
	copy->hits = 0;

	/* An allocation failure part way leaves the rule in some nodes only:
	 * wrong, but every reference counted, so nothing leaks or dangles. */
	int rc = 0;
	firewall_trie_node *n = rs->root;
	for (unsigned depth = 0; depth < copy->src_len && rc == 0; depth++) {
		firewall_trie_node **child = (copy->src_prefix >> (31 - depth)) & 1 ? &n->one : &n->zero;
		if (!*child)
			pd_touch(n);
		if (!*child && !(*child = new_child(n)))
			rc = -PD_ENOMEM;
		else
			n = *child;
	}
	if (rc == 0)
		rc = push_down(n, copy);
	pd_touch(rs);
	if (rc == 0)
		rc = vec_insert(&rs->all, rs->all.len, copy);
	pd_shared_release(copy);    /* the vecs hold their own references */
	if (rc < 0)
		return rc;
	rs->generation++;
	*index = rs->all.len - 1;
	return 0;
}

static int fw_add_rule(void *self, const firewall_rule *r, uint32_t *result)
{
	return firewall_ruleset_add(self, r, result);
}

static int fw_rule_count(void *self, uint64_t *result)
{
	*result = ((const firewall_ruleset *)self)->all.len;
	return 0;
}

static inline bool rule_matches(const firewall_rule *r, uint32_t dst, uint8_t proto,
				uint16_t dport)
{
	return (dst & prefix_mask(r->dst_len)) == r->dst_prefix &&
	       (r->proto == 0 || r->proto == proto) &&
	       dport >= r->dst_port_lo && dport <= r->dst_port_hi;
}

firewall_rule *firewall_ruleset_lookup(const firewall_ruleset *rs, uint32_t src, uint32_t dst,
				       uint8_t proto, uint16_t dport)
{
	const firewall_trie_node *n = rs->root;

	for (unsigned depth = 0; depth < 32; depth++) {
		const firewall_trie_node *next = (src >> (31 - depth)) & 1 ? n->one : n->zero;
		if (!next)
			break;
		n = next;
	}
	for (uint32_t i = 0; i < n->rules.len; i++)
		if (rule_matches(n->rules.items[i], dst, proto, dport))
			return n->rules.items[i];
	return NULL;
}

/*
 * Where the IPv4 header and the L4 ports are: as the parse stage recorded
 * them, or - run without one (l2_len 0) - read here from an untagged
 * Ethernet/IPv4 frame.  False when the frame has no such fields.
 */
static bool locate(const struct rte_mbuf *m, uint32_t *l2, uint32_t *l3)
{
	uint32_t len = rte_pktmbuf_data_len(m);
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

	*l2 = m->l2_len;
	*l3 = m->l3_len;
	if (*l2 == 0 && len >= 34 && p[12] == 0x08 && p[13] == 0x00 && (p[14] >> 4) == 4) {
		*l2 = 14;
		*l3 = (p[14] & 15u) * 4;
	}
	return *l2 >= 14 && *l3 >= 20 && *l2 + *l3 + 4u <= len;
}

static bool allowed(firewall_ruleset *rs, const struct rte_mbuf *m)
{
	uint32_t l2, l3;

	/* Not parsed (or parsed into nonsense): nothing to filter on. */
	if (!locate(m, &l2, &l3))
		return false;
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, l2);
	uint32_t src, dst;
	uint16_t dport;
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	memcpy(&dport, ip + l3 + 2, 2);
	firewall_rule *r = firewall_ruleset_lookup(rs, rte_be_to_cpu_32(src), rte_be_to_cpu_32(dst),
						   ip[9], rte_be_to_cpu_16(dport));
	if (!r)
		return true;
	pd_touch(r);
	r->hits++;
	return r->allow;
}

static int fw_process(void *self, pd_batch *b, pd_batch **result)
{
	firewall_ruleset *rs = self;
	unsigned out = 0, n = b->n;

	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		if (allowed(rs, m))
			b->pkts[out++] = m;
		else
			rte_pktmbuf_free(m);
	}
	b->n = (uint16_t)out;
	*result = b;
	return 0;
}

static const firewall_filter_ops fw_ops = {
	.stage = { .process = fw_process },
	.add_rule = fw_add_rule,
	.rule_count = fw_rule_count,
};

/* The state is the ruleset itself (pd_domain_spec: what is exported first),
 * so the generated save_state/load_state checkpoint and restore it whole. */
int firewall_firewall_init(void *arg)
{
	const firewall_config *cfg = arg;
	firewall_ruleset *rs = firewall_ruleset_new();
	uint32_t index;
	firewall_filter_rref r;

	if (!rs)
		return -PD_ENOMEM;
	for (unsigned i = 0; cfg && i < cfg->n_rules; i++) {
		int rc = firewall_ruleset_add(rs, &cfg->rules[i], &index);
		if (rc < 0)
			return rc;
	}
	/* First export: the object the scheduler calls as a std.stage. */
	return firewall_filter_export(&fw_ops, rs, NULL, NULL, &r);
}

pd_domain_spec firewall_stage_spec(const firewall_config *cfg)
{
	pd_domain_spec spec = firewall_firewall_domain;

	spec.arg = (void *)cfg;
	return spec;
}

static int parse_prefix(const char *s, uint32_t *addr, uint8_t *len)
{
	char buf[32], *slash, *end;
	struct in_addr a;

	if (strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	unsigned long l = 32;
	if (slash) {
		*slash++ = '\0';
		l = strtoul(slash, &end, 10);
		if (!*slash || *end || l > 32)
			return -1;
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	*addr = ntohl(a.s_addr);
	*len = (uint8_t)l;
	return 0;
}

int firewall_rule_parse(const char *spec, firewall_rule *out)
{
	char buf[256], *save = NULL;
	const char *why = "want allow|deny SRC/LEN [dst DST/LEN] [proto tcp|udp|N] [port LO[-HI]]";

	memset(out, 0, sizeof *out);
	out->dst_port_hi = 65535;
	if (strlen(spec) >= sizeof buf)
		goto bad;
	strcpy(buf, spec);
	char *w = strtok_r(buf, " ", &save);
	if (!w || (strcmp(w, "allow") && strcmp(w, "deny")))
		goto bad;
	out->allow = !strcmp(w, "allow");
	w = strtok_r(NULL, " ", &save);
	if (!w || parse_prefix(w, &out->src_prefix, &out->src_len) < 0)
		goto bad;
	while ((w = strtok_r(NULL, " ", &save))) {
		char *v = strtok_r(NULL, " ", &save), *end;
		if (!v)
			goto bad;
		if (!strcmp(w, "dst")) {
			if (parse_prefix(v, &out->dst_prefix, &out->dst_len) < 0)
				goto bad;
		} else if (!strcmp(w, "proto")) {
			unsigned long p = !strcmp(v, "tcp") ? 6 : !strcmp(v, "udp") ? 17
					  : strtoul(v, &end, 10);
			if (p == 0 || p > 255)
				goto bad;
			out->proto = (uint8_t)p;
		} else if (!strcmp(w, "port")) {
			unsigned long lo = strtoul(v, &end, 10), hi = lo;
			if (*end == '-')
				hi = strtoul(end + 1, &end, 10);
			if (*end || lo > hi || hi > 65535)
				goto bad;
			out->dst_port_lo = (uint16_t)lo;
			out->dst_port_hi = (uint16_t)hi;
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	fprintf(stderr, "firewall: bad rule '%s': %s\n", spec, why);
	return -1;
}

void firewall_rule_format(const firewall_rule *r, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s %u.%u.%u.%u/%u", r->allow ? "allow" : "deny",
			 r->src_prefix >> 24, r->src_prefix >> 16 & 255, r->src_prefix >> 8 & 255,
			 r->src_prefix & 255, r->src_len);
	if (n > 0 && (size_t)n < size && r->dst_len)
		n += snprintf(buf + n, size - n, " dst %u.%u.%u.%u/%u", r->dst_prefix >> 24,
			      r->dst_prefix >> 16 & 255, r->dst_prefix >> 8 & 255,
			      r->dst_prefix & 255, r->dst_len);
	if (n > 0 && (size_t)n < size && r->proto)
		n += r->proto == 6 ? snprintf(buf + n, size - n, " proto tcp")
		   : r->proto == 17 ? snprintf(buf + n, size - n, " proto udp")
		   : snprintf(buf + n, size - n, " proto %u", r->proto);
	if (n > 0 && (size_t)n < size && r->dst_port_lo == r->dst_port_hi)
		snprintf(buf + n, size - n, " port %u", r->dst_port_lo);
	else if (n > 0 && (size_t)n < size && (r->dst_port_lo != 0 || r->dst_port_hi != 65535))
		snprintf(buf + n, size - n, " port %u-%u", r->dst_port_lo, r->dst_port_hi);
}
