/*
 * test_generated.c - pdlc's generated checkpoint code (tests/ckpt/graph.pdl)
 * round-trips every field kind, keeps sharing and cycles, and refuses every
 * corrupted image without leaking.
 */
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"

#include "graph.pdl.h"

static graph_rule *new_rule(uint32_t i)
{
	graph_rule *r = pd_shared_alloc(sizeof(*r), &graph_rule_kind);
	r->prefix = 0x0a000000u | i << 8;
	r->len = 24;
	r->allow = i & 1;
	r->hits = 1000u * i;
	r->delta = (int16_t)-i;
	r->weight = 0.5 * i;
	r->name.len = 6;
	r->name.data = pd_alloc(6, NULL);
	memcpy(r->name.data, "rule-x", 6);
	r->name.data[5] = (uint8_t)('0' + i % 10);
	return r;
}

/* A trie of the given depth whose leaves share the N_RULES rules. */
#define N_RULES 5
static graph_trie_node *new_trie(int depth, graph_rule **rules, uint32_t *leaf)
{
	graph_trie_node *n = pd_alloc(sizeof(*n), &graph_trie_node_kind);
	if (depth == 0) {
		graph_rule *r = rules[(*leaf)++ % N_RULES];
		n->rules.items = pd_alloc(sizeof(graph_rule *), NULL);
		n->rules.items[0] = pd_shared_retain(r);
		n->rules.len = n->rules.cap = 1;
		return n;
	}
	n->zero = new_trie(depth - 1, rules, leaf);
	if (depth % 2)
		n->one = new_trie(depth - 1, rules, leaf);
	return n;
}

static void build(graph_ruleset *s, uint32_t *leaves)
{
	graph_rule *rules[N_RULES];
	memset(s, 0, sizeof(*s));
	s->all.items = pd_alloc(N_RULES * sizeof(graph_rule *), NULL);
	for (uint32_t i = 0; i < N_RULES; i++)
		s->all.items[i] = rules[i] = new_rule(i);
	s->all.len = s->all.cap = N_RULES;
	*leaves = 0;
	s->root = new_trie(7, rules, leaves);
	s->generation = 42;
	s->secret.value = 7;
	s->secret.label = GRAPH_LV_A;
	memcpy(s->mac, "\x02\x00\x00\x00\x00\x01", 6);
	s->nested.items = pd_alloc(2 * sizeof(graph_vec_u16), NULL);
	s->nested.len = s->nested.cap = 2;
	s->nested.items[1].items = pd_alloc(3 * sizeof(uint16_t), NULL);
	s->nested.items[1].len = s->nested.items[1].cap = 3;
	s->nested.items[1].items[2] = 65535;
	s->inline_rules[1].hits = 9;
}

static void test_round_trip_is_equal_and_keeps_sharing(void)
{
	size_t live = pd_heap_live_objects();
	graph_ruleset a, b = { 0 };
	uint32_t leaves;
	build(&a, &leaves);
	void *image;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(graph_ruleset_checkpoint(&a, &image, &len), 0);
	CU_ASSERT_EQUAL_FATAL(graph_ruleset_restore(image, len, NULL, &b), 0);
	pd_eq_ctx c;
	pd_eq_init(&c);
	CU_ASSERT_TRUE(graph_ruleset_equal(&c, &a, &b));
	/* each rule: one reference from `all`, one per leaf that shares it */
	uint32_t total = 0;
	for (uint32_t i = 0; i < N_RULES; i++) {
		CU_ASSERT_PTR_NOT_EQUAL(b.all.items[i], a.all.items[i]);
		total += pd_shared_refcount(b.all.items[i]) - 1;
		CU_ASSERT_EQUAL(pd_shared_refcount(b.all.items[i]), pd_shared_refcount(a.all.items[i]));
	}
	CU_ASSERT_EQUAL(total, leaves);
	/* a difference is seen */
	b.all.items[3]->hits++;
	pd_eq_init(&c);
	CU_ASSERT_FALSE(graph_ruleset_equal(&c, &a, &b));
	graph_ruleset_free(&a);
	graph_ruleset_free(&b);
	pd_free(image);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
}

static void test_shared_cycle_round_trips(void)
{
	size_t live = pd_heap_live_objects();
	graph_ring *r[3];
	for (int i = 0; i < 3; i++) {
		r[i] = pd_shared_alloc(sizeof(graph_ring), &graph_ring_kind);
		r[i]->value = 10u + (uint32_t)i;
	}
	for (int i = 0; i < 3; i++)
		r[i]->next = pd_shared_retain(r[(i + 1) % 3]);
	graph_ring head = { .next = pd_shared_retain(r[0]), .value = 1 }, back = { 0 };
	void *image;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(graph_ring_checkpoint(&head, &image, &len), 0);
	CU_ASSERT_EQUAL_FATAL(graph_ring_restore(image, len, NULL, &back), 0);
	graph_ring *x = back.next;
	CU_ASSERT_EQUAL(x->value, 10);
	CU_ASSERT_EQUAL(x->next->value, 11);
	CU_ASSERT_EQUAL(x->next->next->value, 12);
	CU_ASSERT_PTR_EQUAL(x->next->next->next, x);
	CU_ASSERT_EQUAL(pd_shared_refcount(x), 2);      /* the head and the last node */
	pd_eq_ctx c;
	pd_eq_init(&c);
	CU_ASSERT_TRUE(graph_ring_equal(&c, &head, &back));
	/* cycles are freed by breaking them */
	for (graph_ring *rings[2] = { head.next, back.next }, **p = rings; p < rings + 2; p++) {
		graph_ring *n = (*p)->next->next;
		graph_ring *loop = n->next;
		n->next = NULL;
		pd_shared_release(loop);
	}
	for (int i = 0; i < 3; i++)
		pd_shared_release(r[i]);
	graph_ring_free(&head);
	graph_ring_free(&back);
	pd_free(image);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
}

/* Flipping any byte, or truncating anywhere, is refused or (a payload byte
 * that still decodes, with a re-sealed checksum) restores cleanly; never a
 * crash, never a leak. */
static void test_every_corruption_is_refused_without_leaking(void)
{
	graph_ruleset a;
	uint32_t leaves;
	build(&a, &leaves);
	void *image;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(graph_ruleset_checkpoint(&a, &image, &len), 0);
	size_t live = pd_heap_live_objects();
	uint8_t *copy = malloc(len);
	unsigned refused = 0;
	for (size_t i = 0; i < len; i++) {
		memcpy(copy, image, len);
		copy[i] ^= 0x5a;
		graph_ruleset b = { 0 };
		int rc = graph_ruleset_restore(copy, len, NULL, &b);
		refused += rc < 0;
		if (rc == 0)
			graph_ruleset_free(&b);
		CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
	}
	CU_ASSERT_EQUAL(refused, len);  /* the checksum covers every payload byte */
	for (size_t n = 0; n < len; n++) {
		graph_ruleset b = { 0 };
		CU_ASSERT_NOT_EQUAL(graph_ruleset_restore(image, n, NULL, &b), 0);
		CU_ASSERT_PTR_NULL(b.root);
	}
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
	/* another type's image: the fingerprint differs */
	graph_ring ring = { 0 };
	CU_ASSERT_EQUAL(graph_ring_restore(image, len, NULL, &ring), -PD_ECORRUPT);
	free(copy);
	graph_ruleset_free(&a);
	pd_free(image);
}

static void test_invalid_label_in_image_is_refused(void)
{
	graph_ruleset a;
	uint32_t leaves;
	build(&a, &leaves);
	a.secret.label = 0xff;          /* not a label of the 2-atom powerset */
	void *image;
	size_t len;
	CU_ASSERT_EQUAL_FATAL(graph_ruleset_checkpoint(&a, &image, &len), 0);
	size_t live = pd_heap_live_objects();
	graph_ruleset b = { 0 };
	CU_ASSERT_EQUAL(graph_ruleset_restore(image, len, NULL, &b), -PD_ECORRUPT);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
	graph_ruleset_free(&a);
	pd_free(image);
}

static const struct test_case tests[] = {
	TEST(test_round_trip_is_equal_and_keeps_sharing),
	TEST(test_shared_cycle_round_trips),
	TEST(test_every_corruption_is_refused_without_leaking),
	TEST(test_invalid_label_in_image_is_refused),
};

int main(void)
{
	return RUN_SUITE("generated checkpoint code", tests);
}
