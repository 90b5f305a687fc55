/*
 * keeper.c - the stage code of the test domains of tests/ckpt/graph.pdl
 * (store, restored from checkpoints, and forgetful, reset): a ruleset that
 * grows one rule per add_rule, and a method that panics.
 */
#include <string.h>

#include "graph.pdl.h"

/* ---- the keeper: a ruleset that grows one rule per add_rule ---- */

static int keeper_add_rule(void *self, uint32_t prefix)
{
	graph_ruleset *s = self;
	graph_rule **items = pd_alloc((s->all.len + 1) * sizeof(*items), NULL);
	graph_rule *r = pd_shared_alloc(sizeof(*r), &graph_rule_kind);
	if (items == NULL || r == NULL)
		return -PD_ENOMEM;
	r->prefix = prefix;
	if (s->all.len)
		memcpy(items, s->all.items, s->all.len * sizeof(*items));
	items[s->all.len] = r;
	pd_free(s->all.items);
	s->all.items = items;
	s->all.len = s->all.cap = s->all.len + 1;
	s->generation++;
	return 0;
}

static int keeper_rule_count(void *self, uint64_t *result)
{
	*result = ((graph_ruleset *)self)->all.len;
	return 0;
}

static int keeper_crash(void *self)
{
	(void)self;
	pd_panic("keeper asked to crash");
	return 0;
}

static const graph_keeper_ops keeper_ops = {
	.add_rule = keeper_add_rule,
	.rule_count = keeper_rule_count,
	.crash = keeper_crash,
};

/* The state object is what the domain exports first, as libpd expects. */
static int keeper_init(void)
{
	graph_ruleset *s = pd_alloc(sizeof(*s), &graph_ruleset_kind);
	if (s == NULL)
		return -PD_ENOMEM;
	s->root = pd_alloc(sizeof(*s->root), &graph_trie_node_kind);
	graph_keeper_rref r;
	return graph_keeper_export(&keeper_ops, s, NULL, NULL, &r);
}

int graph_store_init(void *arg)
{
	(void)arg;
	return keeper_init();
}

int graph_forgetful_init(void *arg)
{
	(void)arg;
	return keeper_init();
}


/* ---- the chainer: a state as deep as its data ---- */

/* What a fresh chainer's state says (a restore that fails must leave it). */
#define CHAIN_FRESH 777u

static int chain_grow(void *self, uint32_t n)
{
	graph_link *l = self;
	while (l->next)
		l = l->next;
	for (uint32_t i = 0; i < n; i++) {
		l->next = pd_alloc(sizeof(*l->next), &graph_link_kind);
		if (l->next == NULL)
			return -PD_ENOMEM;
		l = l->next;
		l->value = i;
	}
	return 0;
}

static int chain_length(void *self, uint32_t *result)
{
	uint32_t n = 0;
	for (const graph_link *l = ((const graph_link *)self)->next; l; l = l->next)
		n++;
	*result = n;
	return 0;
}

static int chain_head(void *self, uint32_t *result)
{
	*result = ((const graph_link *)self)->value;
	return 0;
}

static int chain_crash(void *self)
{
	(void)self;
	pd_panic("chainer asked to crash");
	return 0;
}

static const graph_chain_api_ops chain_ops = {
	.grow = chain_grow,
	.length = chain_length,
	.head = chain_head,
	.crash = chain_crash,
};

int graph_chainer_init(void *arg)
{
	(void)arg;
	graph_link *s = pd_alloc(sizeof(*s), &graph_link_kind);
	if (s == NULL)
		return -PD_ENOMEM;
	s->value = CHAIN_FRESH;
	graph_chain_api_rref r;
	return graph_chain_api_export(&chain_ops, s, NULL, NULL, &r);
}
