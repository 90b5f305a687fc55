/*
 * test_firewall.c - the firewall's state (the generated `firewall_ruleset`,
 * built by the stage's own code) through checkpoint images: round trips
 * keep the sharing of rules, every corruption of a real image is refused
 * with its error and leaks nothing, and the firewall domain comes back from
 * a fault with the rules and hit counters of its last checkpoint.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "cunit_main.h"
#include "firewall_stage.h"
#include "pd_inject.h"

static firewall_rule make_rule(const char *spec)
{
	firewall_rule r;
	CU_ASSERT_EQUAL_FATAL(firewall_rule_parse(spec, &r), 0);
	return r;
}

/* n rules of /24../32 plus a /8 and a /12 shared by every node below them. */
static firewall_ruleset *build(uint32_t n)
{
	firewall_ruleset *rs = firewall_ruleset_new();
	firewall_rule r = make_rule("deny 10.0.0.0/8 proto tcp port 23");
	uint32_t index;

	CU_ASSERT_FATAL(rs != NULL);
	CU_ASSERT_EQUAL(firewall_ruleset_add(rs, &r, &index), 0);
	for (uint32_t i = 0; i < n; i++) {
		r = (firewall_rule){ .src_prefix = 0x0a000000u | (i * 2654435761u >> 8),
				     .src_len = (uint8_t)(24 + i % 9), .dst_port_hi = 65535, .proto = 17,
				     .allow = i % 2 };
		CU_ASSERT_EQUAL(firewall_ruleset_add(rs, &r, &index), 0);
		rs->all.items[index]->hits = i + 1;
	}
	r = make_rule("allow 10.16.0.0/12");
	CU_ASSERT_EQUAL(firewall_ruleset_add(rs, &r, &index), 0);
	return rs;
}

static void test_round_trip_is_equal_and_keeps_sharing(void)
{
	size_t live = pd_heap_live_objects();
	firewall_ruleset *rs = build(500);
	firewall_ruleset back = { 0 };
	void *image;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(firewall_ruleset_checkpoint(rs, &image, &len), 0);
	CU_ASSERT_EQUAL_FATAL(firewall_ruleset_restore(image, len, NULL, &back), 0);
	pd_eq_ctx c;
	pd_eq_init(&c);
	CU_ASSERT_TRUE(firewall_ruleset_equal(&c, rs, &back));

	/* The /8 rule: one object in each, reached by the same number of
	 * aliases (k aliases: one object, k references), and a lookup finds
	 * that very object from any leaf below it. */
	const firewall_rule *a = rs->all.items[0], *b = back.all.items[0];
	CU_ASSERT_TRUE(pd_shared_refcount(a) > 100);
	CU_ASSERT_EQUAL(pd_shared_refcount(b), pd_shared_refcount(a));
	for (uint32_t i = 0; i < 500; i += 7) {
		uint32_t src = 0x0a000000u | (i * 2654435761u >> 8);
		if ((src & 0xfff00000u) == 0x0a100000u)
			continue;               /* the /12 decides there */
		CU_ASSERT_PTR_EQUAL(firewall_ruleset_lookup(&back, src, 1, 6, 23), b);
	}
	CU_ASSERT_PTR_EQUAL(firewall_ruleset_lookup(&back, 0x0b000001u, 1, 6, 23), NULL);

	/* Equality notices a counter and a broken sharing. */
	back.all.items[3]->hits++;
	pd_eq_init(&c);
	CU_ASSERT_FALSE(firewall_ruleset_equal(&c, rs, &back));
	back.all.items[3]->hits--;

	firewall_ruleset_free(&back);
	pd_free(image);
	pd_free(rs);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
}

/* Loads with the reader protocol by hand, to see pd_ckpt_error. */
static int load_detail(const void *image, size_t len, int *detail)
{
	firewall_ruleset out = { 0 };
	pd_ckpt_reader r;
	int rc = pd_ckpt_reader_init(&r, image, len, FIREWALL_RULESET_FINGERPRINT, NULL);

	if (rc == 0)
		rc = firewall_ruleset_load(&r, &out);
	if (rc == 0)
		rc = pd_ckpt_reader_finish(&r);
	*detail = pd_ckpt_error(&r);
	if (rc < 0) {
		firewall_ruleset_free(&out);
		pd_ckpt_reader_abort(&r);
	} else {
		firewall_ruleset_free(&out);
	}
	return rc;
}

/* A flip in the payload length claims more bytes than there are
 * (ETRUNCATED) or fewer (ELENGTH), as the bit goes. */
static int expected_for_flip(const uint8_t *image, size_t at, unsigned bit)
{
	if (at >= 16 && at < 24)
		return image[at] & (1u << bit) ? PD_CKPT_ELENGTH : PD_CKPT_ETRUNCATED;
	return at < 4 ? PD_CKPT_EMAGIC : at < 8 ? PD_CKPT_EVERSION : at < 16 ? PD_CKPT_EFINGERPRINT
	     : PD_CKPT_ECHECKSUM;
}

static void test_every_flipped_byte_gives_its_error(void)
{
	size_t live = pd_heap_live_objects();
	firewall_ruleset *rs = build(40);
	void *image;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(firewall_ruleset_checkpoint(rs, &image, &len), 0);
	uint8_t *copy = malloc(len);
	unsigned wrong = 0;
	for (size_t at = 0; at < len; at++)
		for (unsigned bit = 0; bit < 8; bit += 7) {
			int detail;
			memcpy(copy, image, len);
			copy[at] ^= (uint8_t)(1u << bit);
			if (load_detail(copy, len, &detail) != -PD_ECORRUPT ||
			    detail != expected_for_flip(image, at, bit)) {
				if (wrong++ < 5)
					printf("flip at %zu: detail %d\n", at, detail);
			}
		}
	CU_ASSERT_EQUAL(wrong, 0);
	free(copy);
	pd_free(image);
	pd_free(rs);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
}

static void test_every_truncation_is_refused(void)
{
	size_t live = pd_heap_live_objects();
	firewall_ruleset *rs = build(40);
	void *image;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(firewall_ruleset_checkpoint(rs, &image, &len), 0);
	unsigned wrong = 0;
	for (size_t n = 0; n < len; n++) {
		int detail;
		/* a cut header, or a payload shorter than its length says */
		int want = PD_CKPT_ETRUNCATED;
		if (load_detail(image, n, &detail) != -PD_ECORRUPT || detail != want) {
			if (wrong++ < 5)
				printf("cut at %zu: detail %d\n", n, detail);
		}
	}
	CU_ASSERT_EQUAL(wrong, 0);
	pd_free(image);
	pd_free(rs);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
}

/*
 * Random images: random bytes (refused at the header), and random or
 * mutated payloads under a valid header and checksum, which reach the
 * structural checks: each is refused with a structural error or loads,
 * and either way nothing is left allocated.
 */
static void test_random_images_are_refused_without_leaks(void)
{
	size_t live = pd_heap_live_objects();
	firewall_ruleset *rs = build(40);
	void *image;
	size_t len;
	unsigned seed = 12345, wrong = 0, loaded = 0;

	CU_ASSERT_EQUAL_FATAL(firewall_ruleset_checkpoint(rs, &image, &len), 0);
	uint8_t *buf = malloc(len + 64);
	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)rand_r(&seed) % (len + 64);
		int detail, rc;
		if (round % 3 == 0) {
			for (size_t i = 0; i < n; i++)
				buf[i] = (uint8_t)rand_r(&seed);
			rc = load_detail(buf, n, &detail);
			wrong += rc != -PD_ECORRUPT;
			continue;
		}
		if (round % 3 == 1) {           /* the real image, a few bytes changed */
			n = len;
			memcpy(buf, image, len);
			for (int k = 0; k < 1 + round % 4; k++)
				buf[PD_CKPT_HEADER_SIZE + (size_t)rand_r(&seed) % (len - PD_CKPT_HEADER_SIZE)] =
					(uint8_t)rand_r(&seed);
		} else {                        /* random payload */
			if (n < PD_CKPT_HEADER_SIZE)
				n = PD_CKPT_HEADER_SIZE;
			memcpy(buf, image, PD_CKPT_HEADER_SIZE);
			for (size_t i = PD_CKPT_HEADER_SIZE; i < n; i++)
				buf[i] = (uint8_t)(rand_r(&seed) % 4);  /* small: tags and counts */
		}
		uint64_t plen = n - PD_CKPT_HEADER_SIZE;
		uint64_t sum = XXH3_64bits(buf + PD_CKPT_HEADER_SIZE, plen);
		memcpy(buf + 16, &plen, 8);
		memcpy(buf + 24, &sum, 8);
		rc = load_detail(buf, n, &detail);
		if (rc == 0)
			loaded++;
		else if (rc != -PD_ECORRUPT || detail < PD_CKPT_ETRUNCATED)
			wrong++;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_TRUE(loaded < 3000);
	free(buf);
	pd_free(image);
	pd_free(rs);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
}

/* ---- the firewall domain ---- */

static firewall_ruleset *state_of(firewall_filter_rref r)
{
	const void *ops;
	void *self = NULL;
	CU_ASSERT_EQUAL(pd__rref_target(r.r, &ops, &self), 0);
	return self;
}

/* What traffic does to the counters, done from outside for the test - and
 * logged as the stage logs it (the domain checkpoints incrementally). */
static void hit(firewall_filter_rref r, uint32_t rule, uint64_t n)
{
	firewall_rule *x = state_of(r)->all.items[rule];
	CU_ASSERT_EQUAL(pd_snap_touch_for(pd_rref_domain(r.r), x), 0);
	x->hits += n;
}

static void fault(firewall_filter_rref r)
{
	pd_catch c;
	void *volatile obj = pd_alloc(16, NULL);

	if (PD_CATCH_ARM(&c) == 0) {
		void *o = obj;
		pd_inject_in_domain(r.r, &o, PD_INJECT_SEGV);
		CU_FAIL("the fault was not raised");
		pd_free(o);
	}
	pd_catch_disarm(&c);
}

static uint64_t rule_count(firewall_filter_rref r)
{
	uint64_t n = 999;
	CU_ASSERT_EQUAL(firewall_filter_rule_count(r, &n), 0);
	return n;
}

static void test_fault_after_runtime_adds_restores_last_checkpoint(void)
{
	size_t live = pd_heap_live_objects();
	static firewall_config cfg;
	cfg.n_rules = 2;
	cfg.rules[0] = make_rule("deny 0.0.0.0/0 proto tcp port 23");
	cfg.rules[1] = make_rule("deny 10.66.0.0/16");
	pd_domain_spec spec = firewall_stage_spec(&cfg);
	pd_domain *d;
	firewall_filter_rref r;
	uint32_t index;

	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&spec, &d), 0);
	CU_ASSERT_EQUAL_FATAL(pd_snap_set_checked(d, 1), 0);   /* the stage touches what it writes */
	CU_ASSERT_EQUAL_FATAL(firewall_filter_of_domain(d, 0, &r), 0);
	firewall_rule added = make_rule("allow 10.66.7.0/24");
	CU_ASSERT_EQUAL(firewall_filter_add_rule(r, &added, &index), 0);
	CU_ASSERT_EQUAL(index, 2);
	added = make_rule("deny 172.16.0.0/12");
	CU_ASSERT_EQUAL(firewall_filter_add_rule(r, &added, &index), 0);
	hit(r, 1, 10);
	hit(r, 2, 5);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);

	/* after the checkpoint: more rules, more hits, then the fault */
	added = make_rule("deny 192.168.0.0/16");
	CU_ASSERT_EQUAL(firewall_filter_add_rule(r, &added, &index), 0);
	hit(r, 1, 1000);
	CU_ASSERT_EQUAL(rule_count(r), 5);
	fault(r);

	/* the same rref, the rules and counters of the checkpoint */
	CU_ASSERT_EQUAL(rule_count(r), 4);
	firewall_ruleset *rs = state_of(r);
	CU_ASSERT_EQUAL(rs->all.items[1]->hits, 10);
	CU_ASSERT_EQUAL(rs->all.items[2]->hits, 5);
	CU_ASSERT_PTR_EQUAL(firewall_ruleset_lookup(rs, 0x0a420701u, 1, 17, 53), rs->all.items[2]);
	CU_ASSERT_PTR_EQUAL(firewall_ruleset_lookup(rs, 0x0a420801u, 1, 17, 53), rs->all.items[1]);
	pd_domain_stats st;
	pd_domain_get_stats(d, &st);
	CU_ASSERT_EQUAL(st.faults, 1);
	CU_ASSERT_EQUAL(st.restores, 1);

	/* and it goes on: add, checkpoint, fault again */
	CU_ASSERT_EQUAL(firewall_filter_add_rule(r, &added, &index), 0);
	CU_ASSERT_EQUAL(index, 4);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
	fault(r);
	CU_ASSERT_EQUAL(rule_count(r), 5);
	CU_ASSERT_EQUAL(state_of(r)->all.items[1]->hits, 10);
	/* both faults rolled back the undo log (the domain is incremental), and
	 * every commit found the stage's writes logged */
	pd_snap_stats ss;
	CU_ASSERT_EQUAL(pd_snap_get_stats(d, &ss), 0);
	CU_ASSERT_EQUAL(ss.rollbacks, 2);
	CU_ASSERT_EQUAL(ss.fallbacks, 0);
	CU_ASSERT_EQUAL(ss.check_failures, 0);
	CU_ASSERT_EQUAL(pd_snap_verify(d), 1);

	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
}

static const struct test_case tests[] = {
	TEST(test_round_trip_is_equal_and_keeps_sharing),
	TEST(test_every_flipped_byte_gives_its_error),
	TEST(test_every_truncation_is_refused),
	TEST(test_random_images_are_refused_without_leaks),
	TEST(test_fault_after_runtime_adds_restores_last_checkpoint),
};

int main(void)
{
	return RUN_SUITE("firewall", tests);
}
