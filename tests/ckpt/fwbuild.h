/*
 * Builders for fwgraph values, shared by the tests and the benchmark: rules
 * indexed by a binary trie on the source prefix, each rule attached to
 * several trie nodes (aliases) and listed once in the ruleset's `all`.
 */
#ifndef FWBUILD_H
#define FWBUILD_H

#include <stdio.h>
#include <stdlib.h>

#include "fwgraph.h"

static inline void fw_vec_push(fw_vec_shared_rule *v, fw_rule *rule)
{
	if (v->len == v->cap) {
		uint32_t cap = v->cap ? v->cap * 2 : 2;
		fw_rule **items = pd_alloc(cap * sizeof(*items), NULL);
		if (items == NULL)
			abort();
		if (v->len)
			memcpy(items, v->items, v->len * sizeof(*items));
		pd_free(v->items);
		v->items = items;
		v->cap = cap;
	}
	v->items[v->len++] = pd_shared_retain(rule);
}

static inline fw_rule *fw_make_rule(uint32_t i)
{
	fw_rule *r = pd_shared_alloc(sizeof(*r), &fw_rule_kind);
	if (r == NULL)
		abort();
	r->src_prefix = i * 2654435761u;
	r->src_len = (uint8_t)(8 + i % 25);
	r->dst_prefix = ~i;
	r->dst_len = 24;
	r->dst_port_lo = (uint16_t)i;
	r->dst_port_hi = (uint16_t)(i + 100);
	r->proto = i % 2 ? 6 : 17;
	r->allow = i % 3 != 0;
	r->hits = (uint64_t)i * 1000003u;
	r->weight = i * 0.25;
	char name[32];
	int n = snprintf(name, sizeof(name), "rule-%u", i);
	r->name.data = pd_alloc((size_t)n, NULL);
	if (r->name.data == NULL)
		abort();
	memcpy(r->name.data, name, (size_t)n);
	r->name.len = (uint32_t)n;
	return r;
}

static inline fw_trie_node *fw_make_node(void)
{
	fw_trie_node *n = pd_alloc(sizeof(*n), &fw_trie_node_kind);
	if (n == NULL)
		abort();
	return n;
}

/* The node for the first len bits of prefix, created on the way. */
static inline fw_trie_node *fw_trie_walk(fw_trie_node *root, uint32_t prefix, unsigned len)
{
	fw_trie_node *n = root;
	for (unsigned bit = 0; bit < len; bit++) {
		fw_trie_node **child = (prefix >> (31 - bit)) & 1 ? &n->one : &n->zero;
		if (*child == NULL)
			*child = fw_make_node();
		n = *child;
	}
	return n;
}

/*
 * nrules rules; rule i hangs off its own prefix's node and off aliases-1
 * more nodes (the prefix cut shorter), so it ends with aliases + 1
 * references (the extra one from `all`).
 */
static inline void fw_build_ruleset(fw_ruleset *rs, uint32_t nrules, unsigned aliases)
{
	memset(rs, 0, sizeof(*rs));
	rs->root = fw_make_node();
	for (uint32_t i = 0; i < nrules; i++) {
		fw_rule *r = fw_make_rule(i);
		for (unsigned k = 0; k < aliases; k++) {
			unsigned len = r->src_len > k ? r->src_len - k : 0;
			fw_vec_push(&fw_trie_walk(rs->root, r->src_prefix, len)->rules, r);
		}
		fw_vec_push(&rs->all, r);
		pd_shared_release(r);  /* the builder's own reference */
		rs->generation++;
	}
}

#endif
