/*
 * ledger.c - the stage code of tests/snap/snap.pdl: a firewall-shaped
 * ruleset that every method changes the way a stage with incremental
 * checkpoints must - pd_touch before each write to an object that existed
 * at the last checkpoint - except `careless`, which forgets on purpose.
 * The same code serves the full-checkpoint domain, where pd_touch is a
 * no-op.
 */
#include <stdio.h>
#include <string.h>

#include "snap.pdl.h"

#define COUNTERS 8192u          /* 32 KiB: logged by granule */

/* Appends r to v (v's holder is touched by the caller). */
static int vec_push(snap_vec_shared_rule *v, snap_rule *r)
{
	if (v->len == v->cap) {
		uint32_t cap = v->cap ? 2 * v->cap : 2;
		snap_rule **items = pd_alloc(cap * sizeof *items, NULL);
		if (items == NULL)
			return -PD_ENOMEM;
		if (v->len)
			memcpy(items, v->items, v->len * sizeof *items);
		pd_free(v->items);      /* of the checkpoint: kept until the commit */
		v->items = items;
		v->cap = cap;
	}
	pd_touch(v->items);             /* the array is an object of its own */
	v->items[v->len++] = r;
	return 0;
}

static int bit(uint32_t prefix, unsigned depth)
{
	return (prefix >> (31 - depth)) & 1;
}

static int add_rule(void *self, uint32_t prefix)
{
	snap_ruleset *s = self;
	snap_rule *r = pd_shared_alloc(sizeof *r, &snap_rule_kind);
	if (r == NULL)
		return -PD_ENOMEM;
	r->prefix = prefix;
	r->len = (uint8_t)(prefix % 9);
	char name[32];
	int n = snprintf(name, sizeof name, "rule-%u", prefix);
	if ((r->name.data = pd_alloc((size_t)n, NULL)) == NULL)
		return -PD_ENOMEM;
	memcpy(r->name.data, name, (size_t)n);
	r->name.len = (uint32_t)n;

	pd_touch(s);
	int rc = vec_push(&s->all, r);          /* all holds the first reference */
	snap_trie_node *node = s->root;
	for (unsigned depth = 0; rc == 0 && depth < r->len; depth++) {
		snap_trie_node **child = bit(prefix, depth) ? &node->one : &node->zero;
		if (*child == NULL) {
			pd_touch(node);
			if ((*child = pd_alloc(sizeof **child, &snap_trie_node_kind)) == NULL)
				rc = -PD_ENOMEM;
		}
		if (rc == 0)
			node = *child;
	}
	if (rc == 0) {
		pd_touch(node);
		rc = vec_push(&node->rules, pd_shared_retain(r));
	}
	s->generation++;
	return rc;
}

static int hit(void *self, uint32_t index)
{
	snap_ruleset *s = self;
	if (s->all.len == 0)
		return -PD_EINVAL;
	snap_rule *r = s->all.items[index % s->all.len];
	pd_touch(r);
	r->hits++;
	return 0;
}

static int bump(void *self, uint32_t counter)
{
	snap_ruleset *s = self;
	uint32_t *c = &s->counters.items[counter % s->counters.len];
	pd_touch_range(s->counters.items, c, sizeof *c);
	(*c)++;
	return 0;
}

/* Removes r from the node where it sits, and that node when it empties. */
static void unlink_rule(snap_ruleset *s, snap_rule *r)
{
	snap_trie_node *node = s->root, *parent = NULL;
	for (unsigned depth = 0; depth < r->len; depth++) {
		parent = node;
		node = bit(r->prefix, depth) ? node->one : node->zero;
	}
	for (uint32_t i = node->rules.len; i-- > 0;)
		if (node->rules.items[i] == r) {
			pd_touch(node);
			pd_touch(node->rules.items);
			memmove(&node->rules.items[i], &node->rules.items[i + 1],
				(node->rules.len - i - 1) * sizeof *node->rules.items);
			node->rules.len--;
			pd_shared_release(r);
			break;
		}
	if (parent && node->rules.len == 0 && !node->zero && !node->one) {
		pd_touch(parent);
		if (parent->one == node)
			parent->one = NULL;
		else
			parent->zero = NULL;
		pd_free(node);
	}
}

static int drop_last(void *self)
{
	snap_ruleset *s = self;
	if (s->all.len == 0)
		return -PD_EINVAL;
	pd_touch(s);
	snap_rule *r = s->all.items[--s->all.len];
	unlink_rule(s, r);
	pd_shared_release(r);           /* the last reference: freed (or kept for a rollback) */
	s->generation++;
	return 0;
}

static int churn_then_crash(void *self, uint32_t n)
{
	snap_ruleset *s = self;
	for (uint32_t i = 0; i < n; i++) {
		add_rule(self, 0x80000000u | (i * 2654435761u >> 1));
		hit(self, i * 7);
		bump(self, i * 131);
		if (i % 3 == 0)
			drop_last(self);
	}
	pd_touch(s);
	s->secret.value ^= 0x5a5a;
	pd_panic("churned %u times, now a fault", n);
	return 0;
}

static int careless(void *self, uint32_t index)
{
	snap_ruleset *s = self;
	s->all.items[index % s->all.len]->hits += 1000;    /* no pd_touch */
	return 0;
}

static int take_then_crash(void *self, snap_blob *b)
{
	(void)self;
	(void)b;
	pd_panic("took a blob, now a fault");
	return 0;
}

static const snap_book_ops book_ops;

static int export_more(void *self)
{
	(void)self;
	snap_ruleset *more = pd_alloc(sizeof *more, &snap_ruleset_kind);
	if (more == NULL)
		return -PD_ENOMEM;
	snap_book_rref r;
	return snap_book_export(&book_ops, more, NULL, NULL, &r);
}

static int rule_count(void *self, uint64_t *result)
{
	*result = ((const snap_ruleset *)self)->all.len;
	return 0;
}

static const snap_book_ops book_ops = {
	.add_rule = add_rule,
	.hit = hit,
	.bump = bump,
	.drop_last = drop_last,
	.churn_then_crash = churn_then_crash,
	.careless = careless,
	.take_then_crash = take_then_crash,
	.export_more = export_more,
	.rule_count = rule_count,
};

static int ledger_init(void)
{
	snap_ruleset *s = pd_alloc(sizeof *s, &snap_ruleset_kind);
	if (s == NULL)
		return -PD_ENOMEM;
	s->root = pd_alloc(sizeof *s->root, &snap_trie_node_kind);
	s->counters.items = pd_alloc(COUNTERS * sizeof *s->counters.items, NULL);
	if (s->root == NULL || s->counters.items == NULL)
		return -PD_ENOMEM;
	s->counters.len = s->counters.cap = COUNTERS;
	snap_book_rref r;
	return snap_book_export(&book_ops, s, NULL, NULL, &r);
}

int snap_ledger_init(void *arg)
{
	(void)arg;
	return ledger_init();
}

int snap_ledger_full_init(void *arg)
{
	(void)arg;
	return ledger_init();
}
