/*
 * The ownership heap: move semantics through proxies (pointer cleared,
 * owner changed, same address), refused moves changing nothing, frees by
 * the owner only, domain death freeing what the domain owns (destructors
 * included), quota faults and byte accounting.
 */
#include <string.h>

#include "cunit_main.h"
#include "probe.h"

static int batch_destroyed;

static void batch_destroy(void *obj)
{
	(void)obj;
	batch_destroyed++;
}

static const pd_kind batch_kind = { .name = "batch", .destroy = batch_destroy };

/* A filter domain that keeps the last batch it was given, or hands it on. */
static pd_batch *kept;
static pd_domain *kept_owner_seen;

static int keeper_process(void *self, pd_batch *b, uint32_t n, uint32_t *result)
{
	(void)self;
	kept = b;
	kept_owner_seen = pd_owner(b, NULL);
	b->n = n;
	*result = n;
	return 0;
}

static int passer_process(void *self, pd_batch *b, pd_batch **result)
{
	(void)self;
	b->seq++;
	*result = b;
	return 0;
}

static const nf_filter_ops keeper_ops = { .process = keeper_process };
static const nf_stage_ops passer_ops = { .process = passer_process };
static nf_filter_rref keeper_rref;
static nf_stage_rref passer_rref;

static int keeper_init(void *arg)
{
	(void)arg;
	int rc = nf_filter_export(&keeper_ops, NULL, NULL, NULL, &keeper_rref);
	return rc ? rc : nf_stage_export(&passer_ops, NULL, NULL, NULL, &passer_rref);
}

static pd_domain *make_keeper(void)
{
	static const pd_domain_spec spec = { .name = "keeper", .init = keeper_init };
	pd_domain *d = NULL;
	CU_ASSERT_EQUAL(pd_domain_create(&spec, &d), 0);
	return d;
}

static void test_move_clears_pointer_changes_owner_keeps_address(void)
{
	pd_domain *d = make_keeper();
	pd_batch *b = pd_alloc(sizeof(*b), &batch_kind);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	pd_batch *const original = b;
	CU_ASSERT_PTR_NULL(pd_owner(b, NULL));
	uint32_t out = 0;
	CU_ASSERT_EQUAL(nf_filter_process(keeper_rref, &b, 32, &out), 0);
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_EQUAL(out, 32);
	CU_ASSERT_PTR_EQUAL(kept, original);
	CU_ASSERT_PTR_EQUAL(kept_owner_seen, d);
	CU_ASSERT_PTR_EQUAL(pd_owner(original, NULL), d);
	CU_ASSERT_EQUAL(original->n, 32);
	/* The outside no longer owns it: it can neither free nor move it again. */
	CU_ASSERT_EQUAL(pd_free(original), -PD_ENOTOWNER);
	CU_ASSERT_EQUAL(pd_move(original, NULL), -PD_ENOTOWNER);
	int destroyed = batch_destroyed;
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
	CU_ASSERT_EQUAL(batch_destroyed, destroyed + 1);  /* died with its owner */
}

static void test_refused_move_keeps_pointer_and_owner(void)
{
	pd_domain *d = make_keeper();
	pd_batch *b = pd_alloc(sizeof(*b), &batch_kind);
	CU_ASSERT_EQUAL(pd_move(b, d), 0);  /* now d's, not ours */
	pd_batch *const original = b;
	kept = NULL;
	uint32_t out = 0;
	CU_ASSERT_EQUAL(nf_filter_process(keeper_rref, &b, 1, &out), -PD_ENOTOWNER);
	CU_ASSERT_PTR_EQUAL(b, original);
	CU_ASSERT_PTR_NULL(kept);  /* callee never entered */
	CU_ASSERT_PTR_EQUAL(pd_owner(original, NULL), d);
	pd_batch *none = NULL;
	CU_ASSERT_EQUAL(nf_filter_process(keeper_rref, &none, 1, &out), -PD_EINVAL);
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
}

static void test_move_of_foreign_memory_returns_EINVAL(void)
{
	pd_domain *d = make_keeper();
	static char not_heap[256];
	pd_batch *b = (pd_batch *)(not_heap + 128);
	uint32_t out;
	CU_ASSERT_EQUAL(nf_filter_process(keeper_rref, &b, 1, &out), -PD_EINVAL);
	CU_ASSERT_PTR_EQUAL(b, (pd_batch *)(not_heap + 128));
	CU_ASSERT_EQUAL(pd_free(b), -PD_EINVAL);
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
}

static void test_own_result_moves_back_to_caller(void)
{
	pd_domain *d = make_keeper();
	pd_batch *b = pd_alloc(sizeof(*b), &batch_kind);
	pd_batch *const original = b, *back = NULL;
	CU_ASSERT_EQUAL(nf_stage_process(passer_rref, &b, &back), 0);
	CU_ASSERT_PTR_NULL(b);
	CU_ASSERT_PTR_EQUAL(back, original);
	CU_ASSERT_EQUAL(back->seq, 1);
	CU_ASSERT_PTR_NULL(pd_owner(back, NULL));
	int destroyed = batch_destroyed;
	CU_ASSERT_EQUAL(pd_free(back), 0);
	CU_ASSERT_EQUAL(batch_destroyed, destroyed + 1);
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
}

static void test_quota_overrun_faults_the_domain(void)
{
	struct probe_config cfg = { .name = "frugal", .quota = 1024 };
	CU_ASSERT_EQUAL_FATAL(probe_create(&cfg), 0);
	pd_domain_stats st;
	pd_domain_get_stats(cfg.domain, &st);
	size_t base = st.charged_bytes;
	CU_ASSERT(base > 0 && base < 1024);  /* its state object */
	uint32_t out;
	CU_ASSERT_EQUAL(nf_null_ping(cfg.exported, PROBE_ALLOC, &out), 0);
	pd_domain_get_stats(cfg.domain, &st);
	CU_ASSERT_EQUAL(st.charged_bytes, base + PD_OBJ_OVERHEAD + 32);  /* header and payload */
	CU_ASSERT_EQUAL(nf_null_ping(cfg.exported, PROBE_QUOTA, &out), -PD_EFAULT);
	CU_ASSERT_EQUAL(pd_last_fault()->kind, PD_FAULT_QUOTA);
	pd_domain_get_stats(cfg.domain, &st);
	CU_ASSERT_EQUAL(st.charged_bytes, base);  /* swept, re-initialised */
	CU_ASSERT_EQUAL(probe_objects_alive, 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), 0);
}

static void test_free_by_owner_only(void)
{
	pd_domain *d = make_keeper();
	void *mine = pd_alloc(16, NULL);
	CU_ASSERT_EQUAL(pd_move(mine, d), 0);
	CU_ASSERT_EQUAL(pd_free(mine), -PD_ENOTOWNER);
	CU_ASSERT_EQUAL(pd_free(NULL), 0);
	size_t live = pd_heap_live_objects();
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live - 1);
	void *again = pd_alloc(16, NULL);
	CU_ASSERT_EQUAL(pd_free(again), 0);
}

static void test_alloc_is_zeroed_aligned_and_typed(void)
{
	unsigned char *p = pd_alloc(100, &batch_kind);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL((uintptr_t)p % 16, 0);
	int zero = 1;
	for (int i = 0; i < 100; i++)
		zero &= p[i] == 0;
	CU_ASSERT(zero);
	CU_ASSERT_PTR_EQUAL(pd_kind_of(p), &batch_kind);
	batch_destroyed = 0;
	CU_ASSERT_EQUAL(pd_free(p), 0);
	CU_ASSERT_EQUAL(batch_destroyed, 1);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_move_clears_pointer_changes_owner_keeps_address),
		TEST(test_refused_move_keeps_pointer_and_owner),
		TEST(test_move_of_foreign_memory_returns_EINVAL),
		TEST(test_own_result_moves_back_to_caller),
		TEST(test_quota_overrun_faults_the_domain),
		TEST(test_free_by_owner_only),
		TEST(test_alloc_is_zeroed_aligned_and_typed),
	};
	return RUN_SUITE("heap", tests);
}
