/*
 * 100,000 fault-and-recover cycles, cycling through the fault kinds, with
 * the domain holding objects (with destructors) each time it dies.  Checks
 * exact counts and that the heap is back where it started; run under
 * valgrind by valgrind-recovery-stress.sh, which also fails on any leak.
 * PD_STRESS_CYCLES in the environment overrides the count.
 */
#include <stdlib.h>

#include "cunit_main.h"
#include "probe.h"

static void test_hundred_thousand_fault_and_recover_cycles_leak_nothing(void)
{
	const char *env = getenv("PD_STRESS_CYCLES");
	const int cycles = env ? atoi(env) : 100000;
	static const uint32_t kinds[] = { PROBE_PANIC, PROBE_SEGV, PROBE_ASSERT, PROBE_FPE, PROBE_QUOTA,
					  PROBE_ABORT, PROBE_ILL, PROBE_BUS };
	const int n_kinds = sizeof(kinds) / sizeof(kinds[0]);

	struct probe_config cfg = { .name = "phoenix", .quota = 4096 };
	CU_ASSERT_EQUAL_FATAL(probe_create(&cfg), 0);
	size_t live = pd_heap_live_objects();
	int destroyed = probe_objects_destroyed;
	unsigned wrong = 0;

	for (int i = 0; i < cycles; i++) {
		uint32_t out = 0;
		if (nf_null_ping(cfg.exported, PROBE_ALLOC, &out) != 0)
			wrong++;
		if (nf_null_ping(cfg.exported, kinds[i % n_kinds], &out) != -PD_EFAULT)
			wrong++;
		if (nf_null_ping(cfg.exported, (uint32_t)i & 0xfff, &out) != 0 || out != ((uint32_t)i & 0xfff) + 1)
			wrong++;
	}
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT_EQUAL(cfg.init_calls, cycles + 1);
	CU_ASSERT_EQUAL(probe_objects_alive, 0);
	CU_ASSERT_EQUAL(probe_objects_destroyed, destroyed + cycles);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
	pd_domain_stats st;
	pd_domain_get_stats(cfg.domain, &st);
	CU_ASSERT_EQUAL(st.faults, (uint64_t)cycles);
	CU_ASSERT_EQUAL(st.recoveries, (uint64_t)cycles);
	CU_ASSERT_EQUAL(pd_last_fault()->count, (uint64_t)cycles);
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), 0);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), 0);
}

int main(void)
{
	if (probe_setup_sigbus() != 0)
		return 2;
	static const struct test_case tests[] = {
		TEST(test_hundred_thousand_fault_and_recover_cycles_leak_nothing),
	};
	return RUN_SUITE("recovery_stress", tests);
}
