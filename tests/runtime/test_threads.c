/*
 * Two worker threads calling into domains at once: a shared domain both
 * call, and one private domain each that faults now and then.  Checks that
 * the current domain and catch frames are per-thread (each thread's faults
 * land in its own calls), that calls into the shared domain are never
 * disturbed, and that the counts add up exactly.  One worker uses a frame
 * per call, the other one armed frame for its whole loop, as a scheduler
 * would.  And two threads raising one domain's label at once: neither
 * raise may be lost.
 */
#include <pthread.h>

#include "cunit_main.h"
#include "probe.h"

enum { ITERATIONS = 20000, FAULT_EVERY = 50 };

struct worker {
	nf_null_rref shared;
	struct probe_config own;
	int armed;
	/* results */
	unsigned bad_answers, faults_seen, landed, not_outside;
};

static void one_round(struct worker *w, int i)
{
	uint32_t out = 0;
	if (nf_null_ping(w->shared, (uint32_t)i, &out) != 0 || out != (uint32_t)i + 1)
		w->bad_answers++;
	uint32_t cmd = i % FAULT_EVERY == FAULT_EVERY - 1 ? (i & 1 ? PROBE_SEGV : PROBE_PANIC) : 3;
	int rc = nf_null_ping(w->own.exported, cmd, &out);
	if (rc == -PD_EFAULT)
		w->faults_seen++;
	else if (rc != 0 || out != 4)
		w->bad_answers++;
	if (pd_current() != NULL)
		w->not_outside++;
}

static void *run_framed(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < ITERATIONS; i++)
		one_round(w, i);
	return NULL;
}

static void *run_armed(void *arg)
{
	struct worker *w = arg;
	pd_catch frame;
	volatile int i = 0;
	if (PD_CATCH_ARM(&frame)) {
		/* Only the private domain faults; the fault skipped the rest of round i. */
		w->landed++;
		if (pd_catch_faulted(&frame) != w->own.domain)
			w->bad_answers++;
		i++;
	}
	for (; i < ITERATIONS; i++)
		one_round(w, i);
	pd_catch_disarm(&frame);
	return NULL;
}

static void test_two_threads_call_shared_and_private_domains_concurrently(void)
{
	struct probe_config shared = { .name = "shared" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&shared), 0);
	struct worker w[2] = {
		{ .shared = shared.exported, .own = { .name = "own0" }, .armed = 0 },
		{ .shared = shared.exported, .own = { .name = "own1" }, .armed = 1 },
	};
	for (int k = 0; k < 2; k++)
		CU_ASSERT_EQUAL_FATAL(probe_create(&w[k].own), 0);
	size_t live = pd_heap_live_objects();

	pthread_t t[2];
	for (int k = 0; k < 2; k++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[k], NULL, w[k].armed ? run_armed : run_framed, &w[k]), 0);
	for (int k = 0; k < 2; k++)
		pthread_join(t[k], NULL);

	const unsigned faults = ITERATIONS / FAULT_EVERY;
	for (int k = 0; k < 2; k++) {
		CU_ASSERT_EQUAL(w[k].bad_answers, 0);
		CU_ASSERT_EQUAL(w[k].not_outside, 0);
		CU_ASSERT_EQUAL(w[k].faults_seen + w[k].landed, faults);
		CU_ASSERT_EQUAL(w[k].own.init_calls, 1 + (int)faults);
		pd_domain_stats st;
		pd_domain_get_stats(w[k].own.domain, &st);
		CU_ASSERT_EQUAL(st.faults, faults);
		CU_ASSERT_EQUAL(st.recoveries, faults);
	}
	CU_ASSERT_EQUAL(w[0].landed, 0);
	CU_ASSERT_EQUAL(w[1].faults_seen, 0);  /* armed: faults land in the frame */
	CU_ASSERT_EQUAL(shared.init_calls, 1);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
	CU_ASSERT_PTR_NULL(pd_current());
	for (int k = 0; k < 2; k++)
		CU_ASSERT_EQUAL(pd_domain_destroy(w[k].own.domain), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(shared.domain), 0);
}

static void *create_and_destroy(void *arg)
{
	long bad = 0;
	(void)arg;
	/* Enough rounds to hit id reuse racing with stale-handle checks. */
	for (int i = 0; i < 20000; i++) {
		struct probe_config cfg = { .name = "churn" };
		uint32_t out = 0;
		if (probe_create(&cfg) != 0 || nf_null_ping(cfg.exported, 1, &out) != 0 || out != 2 ||
		    pd_domain_destroy(cfg.domain) != 0 || nf_null_ping(cfg.exported, 1, &out) != -PD_ESTALE)
			bad++;
	}
	return (void *)bad;
}

static void test_two_threads_create_and_destroy_domains_concurrently(void)
{
	size_t live = pd_heap_live_objects();
	pthread_t t[2];
	void *bad[2];
	for (int k = 0; k < 2; k++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[k], NULL, create_and_destroy, NULL), 0);
	for (int k = 0; k < 2; k++) {
		pthread_join(t[k], &bad[k]);
		CU_ASSERT_PTR_NULL(bad[k]);
	}
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
}

/* ---- two raises at once ---- */

enum { RAISE_TRIALS = 20000 };

static int sponge_take(void *self, nf_record *r) { (void)self; return pd_free(r); }
static int sponge_give(void *self, nf_record **r) { (void)self; *r = NULL; return -PD_EINVAL; }
static int sponge_check(void *self, uint64_t *result) { (void)self; *result = 0; return 0; }
static int sponge_note(void *self, const nf_labeled_u64 *v) { (void)self; (void)v; return 0; }

static const nf_keeper_ops sponge_ops = {
	.take = sponge_take, .give = sponge_give, .check = sponge_check, .note = sponge_note,
};
static nf_keeper_rref sponge;

static int sponge_init(void *arg)
{
	(void)arg;
	return nf_keeper_export(&sponge_ops, NULL, NULL, NULL, &sponge);
}

static pthread_barrier_t raise_start, raise_done;
static unsigned raise_errors;

static void *raiser(void *arg)
{
	const nf_labeled_u64 v = { 1, (pd_label)(uintptr_t)arg };
	for (int i = 0; i < RAISE_TRIALS; i++) {
		pthread_barrier_wait(&raise_start);
		if (nf_keeper_note(sponge, &v) != 0)
			__atomic_add_fetch(&raise_errors, 1, __ATOMIC_RELAXED);
		pd_label_reset_outside();
		pthread_barrier_wait(&raise_done);
	}
	return NULL;
}

static void test_two_threads_raising_one_domain_lose_no_raise(void)
{
	static const pd_domain_spec spec = { .name = "sponge", .init = sponge_init };
	pthread_t t[2];
	pthread_barrier_init(&raise_start, NULL, 3);
	pthread_barrier_init(&raise_done, NULL, 3);
	raise_errors = 0;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t[0], NULL, raiser, (void *)(uintptr_t)NF_LVL_A), 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t[1], NULL, raiser, (void *)(uintptr_t)NF_LVL_B), 0);
	unsigned lost = 0;
	for (int i = 0; i < RAISE_TRIALS; i++) {
		pd_domain *d;
		if (pd_domain_create(&spec, &d) != 0) {
			CU_FAIL("cannot create the domain");
			break;
		}
		pthread_barrier_wait(&raise_start);
		pthread_barrier_wait(&raise_done);
		pd_labels v = 0;
		CU_ASSERT_EQUAL(pd_domain_labels(d, &v), 0);
		lost += pd_labels_get(v, &nf_lvl_lattice) != (NF_LVL_A | NF_LVL_B);
		pd_domain_destroy(d);
	}
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	CU_ASSERT_EQUAL(raise_errors, 0);
	CU_ASSERT_EQUAL(lost, 0);
	if (lost)
		printf("\n  %u of %d trials lost a raise\n", lost, RAISE_TRIALS);
	pthread_barrier_destroy(&raise_start);
	pthread_barrier_destroy(&raise_done);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_two_threads_call_shared_and_private_domains_concurrently),
		TEST(test_two_threads_create_and_destroy_domains_concurrently),
		TEST(test_two_threads_raising_one_domain_lose_no_raise),
	};
	return RUN_SUITE("threads", tests);
}
