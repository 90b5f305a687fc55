/*
 * test_domain_restore.c - a domain declared `on_fault restore` comes back
 * from a fault with its state as of its last checkpoint, and its clients'
 * rrefs keep working; one declared `on_fault reset` comes back empty.
 * The stage code of the test domains (tests/ckpt/graph.pdl) is keeper.c.
 */
#include <string.h>

#include "cunit_main.h"

#include <stdlib.h>
#include <string.h>

#include "graph.pdl.h"

/* ---- tests ---- */

static uint64_t count(graph_keeper_rref r)
{
	uint64_t n = 999;
	CU_ASSERT_EQUAL(graph_keeper_rule_count(r, &n), 0);
	return n;
}

static void test_restore_brings_back_last_checkpoint_after_a_fault(void)
{
	size_t live = pd_heap_live_objects();
	pd_domain *d;
	graph_keeper_rref r;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&graph_store_domain, &d), 0);
	CU_ASSERT_EQUAL_FATAL(graph_keeper_of_domain(d, 0, &r), 0);
	for (uint32_t i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(graph_keeper_add_rule(r, i), 0);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
	CU_ASSERT_EQUAL(graph_keeper_add_rule(r, 99), 0);
	CU_ASSERT_EQUAL(count(r), 4);

	CU_ASSERT_EQUAL(graph_keeper_crash(r), -PD_EFAULT);
	/* the same rref, the state of the checkpoint: three rules, not four */
	CU_ASSERT_EQUAL(count(r), 3);
	pd_domain_stats st;
	pd_domain_get_stats(d, &st);
	CU_ASSERT_EQUAL(st.faults, 1);
	CU_ASSERT_EQUAL(st.recoveries, 1);
	CU_ASSERT_EQUAL(st.checkpoints, 1);
	CU_ASSERT_EQUAL(st.restores, 1);
	CU_ASSERT_TRUE(st.image_bytes > 0);

	/* and it goes on from there: checkpoint again, fault again */
	CU_ASSERT_EQUAL(graph_keeper_add_rule(r, 7), 0);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
	CU_ASSERT_EQUAL(graph_keeper_crash(r), -PD_EFAULT);
	CU_ASSERT_EQUAL(count(r), 4);
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
}

static void test_reset_comes_back_empty(void)
{
	pd_domain *d;
	graph_keeper_rref r;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&graph_forgetful_domain, &d), 0);
	CU_ASSERT_EQUAL_FATAL(graph_keeper_of_domain(d, 0, &r), 0);
	CU_ASSERT_EQUAL(graph_keeper_add_rule(r, 1), 0);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), -PD_EINVAL);   /* it declares none */
	CU_ASSERT_EQUAL(graph_keeper_crash(r), -PD_EFAULT);
	CU_ASSERT_EQUAL(count(r), 0);
	pd_domain_destroy(d);
}

static void test_recovery_before_any_checkpoint_resets(void)
{
	pd_domain *d;
	graph_keeper_rref r;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&graph_store_domain, &d), 0);
	CU_ASSERT_EQUAL_FATAL(graph_keeper_of_domain(d, 0, &r), 0);
	CU_ASSERT_EQUAL(graph_keeper_add_rule(r, 1), 0);
	CU_ASSERT_EQUAL(graph_keeper_crash(r), -PD_EFAULT);
	CU_ASSERT_EQUAL(count(r), 0);
	pd_domain_stats st;
	pd_domain_get_stats(d, &st);
	CU_ASSERT_EQUAL(st.restores, 0);
	pd_domain_destroy(d);
}

static void test_many_fault_restore_cycles_leak_nothing(void)
{
	size_t live = pd_heap_live_objects();
	pd_domain *d;
	graph_keeper_rref r;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&graph_store_domain, &d), 0);
	CU_ASSERT_EQUAL_FATAL(graph_keeper_of_domain(d, 0, &r), 0);
	for (uint32_t i = 0; i < 50; i++)
		graph_keeper_add_rule(r, i);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
	for (int round = 0; round < 2000; round++) {
		graph_keeper_add_rule(r, 1000);
		if (graph_keeper_crash(r) != -PD_EFAULT || count(r) != 50) {
			CU_FAIL("restore did not bring back the 50 rules");
			break;
		}
	}
	pd_domain_destroy(d);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
}

/* ---- what saves must load, and a failed restore is the fresh state ---- */

static uint32_t chain_length(graph_chain_api_rref r)
{
	uint32_t n = 999999;
	CU_ASSERT_EQUAL(graph_chain_api_length(r, &n), 0);
	return n;
}

static void test_a_state_deeper_than_a_load_allows_is_not_saved(void)
{
	pd_domain *d;
	graph_chain_api_rref r;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&graph_chainer_domain, &d), 0);
	CU_ASSERT_EQUAL_FATAL(graph_chain_api_of_domain(d, 0, &r), 0);
	/* 200 links nest 201 deep with the root: under the limit, it round trips. */
	CU_ASSERT_EQUAL(graph_chain_api_grow(r, 200), 0);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
	CU_ASSERT_EQUAL(graph_chain_api_crash(r), -PD_EFAULT);
	CU_ASSERT_EQUAL(chain_length(r), 200);
	/* 300: the save refuses loudly, and the 200-deep image is kept. */
	CU_ASSERT_EQUAL(graph_chain_api_grow(r, 100), 0);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), -PD_EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(pd_ckpt_save_error(), "deeper than 256"));
	CU_ASSERT_EQUAL(graph_chain_api_crash(r), -PD_EFAULT);
	CU_ASSERT_EQUAL(chain_length(r), 200);
	pd_domain_stats st;
	CU_ASSERT_EQUAL(pd_domain_get_stats(d, &st), 0);
	CU_ASSERT_EQUAL(st.restores, 2);
	CU_ASSERT_EQUAL(st.restore_errors, 0);
	pd_domain_destroy(d);
}

static void test_a_restore_that_fails_leaves_the_fresh_state_and_is_counted(void)
{
	pd_domain *d;
	graph_chain_api_rref r;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&graph_chainer_domain, &d), 0);
	CU_ASSERT_EQUAL_FATAL(graph_chain_api_of_domain(d, 0, &r), 0);
	CU_ASSERT_EQUAL(graph_chain_api_grow(r, 10), 0);
	CU_ASSERT_EQUAL(pd_domain_checkpoint(d), 0);
	/* The kept image goes bad (say, a file from another build). */
	const void *image;
	size_t len;
	CU_ASSERT_EQUAL(pd_domain_checkpoint_image(d, &image, &len), 0);
	uint8_t *bad = malloc(len);
	memcpy(bad, image, len);
	bad[len - 1] ^= 0xff;                          /* the checksum no longer matches */
	CU_ASSERT_EQUAL(pd_domain_set_checkpoint_image(d, bad, len), 0);
	free(bad);
	CU_ASSERT_EQUAL(graph_chain_api_crash(r), -PD_EFAULT);
	uint32_t head = 0;
	CU_ASSERT_EQUAL(graph_chain_api_head(r, &head), 0);
	CU_ASSERT_EQUAL(head, 777);                    /* what init made, not zeroes */
	CU_ASSERT_EQUAL(chain_length(r), 0);
	pd_domain_stats st;
	CU_ASSERT_EQUAL(pd_domain_get_stats(d, &st), 0);
	CU_ASSERT_EQUAL(st.restores, 0);
	CU_ASSERT_EQUAL(st.restore_errors, 1);
	pd_domain_destroy(d);
}

static const struct test_case tests[] = {
	TEST(test_a_state_deeper_than_a_load_allows_is_not_saved),
	TEST(test_a_restore_that_fails_leaves_the_fresh_state_and_is_counted),
	TEST(test_restore_brings_back_last_checkpoint_after_a_fault),
	TEST(test_reset_comes_back_empty),
	TEST(test_recovery_before_any_checkpoint_resets),
	TEST(test_many_fault_restore_cycles_leak_nothing),
};

int main(void)
{
	return RUN_SUITE("domain checkpoint and restore", tests);
}
