/*
 * Fault containment and recovery: every fault kind, alone and nested three
 * deep; the signal mask; stack overflow; faults outside any domain keeping
 * their usual effect; init faults; failed recovery; the armed scheduler
 * frame; rrefs surviving recovery.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cunit_main.h"
#include "probe.h"

static const uint32_t every_fault[] = {
	PROBE_PANIC, PROBE_ASSERT, PROBE_ABORT, PROBE_SEGV, PROBE_BUS, PROBE_FPE, PROBE_ILL, PROBE_QUOTA,
};
#define N_FAULTS (sizeof(every_fault) / sizeof(every_fault[0]))

static int expected_signal(uint32_t cmd)
{
	switch (cmd) {
	case PROBE_ABORT: return SIGABRT;
	case PROBE_SEGV: return SIGSEGV;
	case PROBE_BUS: return SIGBUS;
	case PROBE_FPE: return SIGFPE;
	case PROBE_ILL: return SIGILL;
	default: return 0;
	}
}

static enum pd_fault_kind expected_kind(uint32_t cmd)
{
	if (cmd == PROBE_PANIC || cmd == PROBE_ASSERT)
		return PD_FAULT_PANIC;
	if (cmd == PROBE_QUOTA)
		return PD_FAULT_QUOTA;
	return PD_FAULT_SIGNAL;
}

static void test_every_fault_kind_returns_EFAULT_and_recovers(void)
{
	struct probe_config cfg = { .name = "victim", .quota = 4096 };
	CU_ASSERT_EQUAL_FATAL(probe_create(&cfg), 0);
	nf_null_rref r = cfg.exported;
	size_t live = pd_heap_live_objects();

	for (size_t i = 0; i < N_FAULTS; i++) {
		uint32_t out = 99;
		int rc = nf_null_ping(r, every_fault[i], &out);
		CU_ASSERT_EQUAL(rc, -PD_EFAULT);
		if (rc != -PD_EFAULT)
			fprintf(stderr, "\n%s gave %d\n", probe_cmd_name(every_fault[i]), rc);
		CU_ASSERT_EQUAL(pd_last_fault()->kind, expected_kind(every_fault[i]));
		CU_ASSERT_EQUAL(pd_last_fault()->signo, expected_signal(every_fault[i]));
		CU_ASSERT_EQUAL(pd_last_fault()->domain_id, pd_domain_id(cfg.domain));
		CU_ASSERT_EQUAL(cfg.init_calls, (int)i + 2);
		CU_ASSERT_PTR_NULL(pd_current());
		/* Same rref, fresh domain. */
		CU_ASSERT_EQUAL(nf_null_ping(r, 7, &out), 0);
		CU_ASSERT_EQUAL(out, 8);
		CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
	}
	pd_domain_stats st;
	pd_domain_get_stats(cfg.domain, &st);
	CU_ASSERT_EQUAL(st.faults, N_FAULTS);
	CU_ASSERT_EQUAL(st.recoveries, N_FAULTS);
	CU_ASSERT_EQUAL(cfg.exported.r.v, r.r.v);
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), 0);
}

/* A -> B -> C; C faults; B sees -PD_EFAULT and answers; A never notices. */
static void test_nested_three_deep_fault_unwinds_only_to_B(void)
{
	struct probe_config c = { .name = "C", .quota = 4096 };
	CU_ASSERT_EQUAL_FATAL(probe_create(&c), 0);
	struct probe_config b = { .name = "B", .next = c.exported };
	CU_ASSERT_EQUAL_FATAL(probe_create(&b), 0);
	struct probe_config a = { .name = "A", .next = b.exported };
	CU_ASSERT_EQUAL_FATAL(probe_create(&a), 0);

	for (size_t i = 0; i < N_FAULTS; i++) {
		uint32_t out = 0;
		CU_ASSERT_EQUAL(nf_null_ping(a.exported, every_fault[i], &out), 0);
		CU_ASSERT_EQUAL(out, PROBE_SAW_ERROR + 1);
		CU_ASSERT_EQUAL(b.last_next_rc, -PD_EFAULT);
		CU_ASSERT_EQUAL(a.last_next_rc, 0);
		CU_ASSERT_EQUAL(pd_last_fault()->domain_id, pd_domain_id(c.domain));
		CU_ASSERT_PTR_NULL(pd_current());
		/* Then the whole chain works again. */
		CU_ASSERT_EQUAL(nf_null_ping(a.exported, 10, &out), 0);
		CU_ASSERT_EQUAL(out, 13);
	}
	CU_ASSERT_EQUAL(a.init_calls, 1);
	CU_ASSERT_EQUAL(b.init_calls, 1);
	CU_ASSERT_EQUAL(c.init_calls, 1 + (int)N_FAULTS);
	CU_ASSERT_EQUAL(pd_domain_destroy(a.domain), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(b.domain), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(c.domain), 0);
}

static void test_signal_mask_is_restored_after_fault(void)
{
	struct probe_config cfg = { .name = "mask" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&cfg), 0);
	sigset_t marker, before, after;
	sigemptyset(&marker);
	sigaddset(&marker, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &marker, &before);
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	static const uint32_t signals[] = { PROBE_SEGV, PROBE_FPE, PROBE_ABORT, PROBE_ILL, PROBE_BUS };
	for (size_t i = 0; i < 5; i++) {
		uint32_t out;
		CU_ASSERT_EQUAL(nf_null_ping(cfg.exported, signals[i], &out), -PD_EFAULT);
		pthread_sigmask(SIG_SETMASK, NULL, &after);
		for (int s = 1; s < NSIG; s++)
			CU_ASSERT_EQUAL(sigismember(&after, s), sigismember(&before, s));
	}
	pthread_sigmask(SIG_UNBLOCK, &marker, NULL);
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), 0);
}

static void *overflow_thread(void *arg)
{
	struct probe_config *cfg = arg;
	uint32_t out;
	long rc = nf_null_ping(cfg->exported, PROBE_STACK, &out);
	if (rc == -PD_EFAULT && pd_last_fault()->signo == SIGSEGV &&
	    nf_null_ping(cfg->exported, 1, &out) == 0 && out == 2)
		rc = 0;
	return (void *)rc;
}

static void test_stack_overflow_in_domain_is_contained(void)
{
	struct probe_config cfg = { .name = "deep" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&cfg), 0);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	pthread_t t;
	void *rc = (void *)-1;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, &attr, overflow_thread, &cfg), 0);
	pthread_join(t, &rc);
	pthread_attr_destroy(&attr);
	CU_ASSERT_PTR_NULL(rc);
	CU_ASSERT_EQUAL(cfg.init_calls, 2);
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), 0);
}

/*
 * Runs fn in a child; returns the signal that killed it, 0 if it exited.
 * In a sanitizer build (./configure --sanitize) AddressSanitizer catches a
 * SIGSEGV, SIGBUS or SIGFPE that nobody contains, reports it and exits with
 * status 1 instead: that exit stands for the signal (SIGABRT it leaves alone).
 */
static int death_signal_of(void (*fn)(void), int expected)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
#if defined(__SANITIZE_ADDRESS__)
	if (expected != SIGABRT && WIFEXITED(status) && WEXITSTATUS(status) == 1)
		return expected;
#else
	(void)expected;
#endif
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static int *volatile null_ptr;

static void make_domain(void)
{
	struct probe_config *cfg = calloc(1, sizeof(*cfg));
	cfg->name = "bystander";
	if (probe_create(cfg) != 0)
		_exit(3);
}

static void segv_outside(void)
{
	make_domain();
	*null_ptr = 1;
}

static void abort_outside(void)
{
	make_domain();
	abort();
}

static void panic_outside(void)
{
	make_domain();
	close(2);  /* keep the test log clean */
	pd_panic("outside");
}

static void segv_in_armed_scheduler(void)
{
	make_domain();
	pd_catch c;
	if (PD_CATCH_ARM(&c))
		_exit(4);
	*null_ptr = 1;  /* the scheduler itself is outside any domain */
}

static void test_fault_outside_any_domain_kills_as_without_libpd(void)
{
	CU_ASSERT_EQUAL(death_signal_of(segv_outside, SIGSEGV), SIGSEGV);
	CU_ASSERT_EQUAL(death_signal_of(abort_outside, SIGABRT), SIGABRT);
	CU_ASSERT_EQUAL(death_signal_of(panic_outside, SIGABRT), SIGABRT);
	CU_ASSERT_EQUAL(death_signal_of(segv_in_armed_scheduler, SIGSEGV), SIGSEGV);
}

static void test_rref_stays_valid_across_recovery(void)
{
	struct probe_config cfg = { .name = "stable" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&cfg), 0);
	nf_null_rref kept = cfg.exported;
	for (int i = 0; i < 10; i++) {
		uint32_t out;
		CU_ASSERT_EQUAL(nf_null_ping(kept, PROBE_SEGV, &out), -PD_EFAULT);
		CU_ASSERT_EQUAL(cfg.exported.r.v, kept.r.v);
		CU_ASSERT_EQUAL(pd_rref_check(kept.r), 0);
		CU_ASSERT_EQUAL(nf_null_ping(kept, (uint32_t)i, &out), 0);
		CU_ASSERT_EQUAL(out, (uint32_t)i + 1);
	}
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), 0);
}

static void test_recovery_frees_objects_and_runs_destructors(void)
{
	struct probe_config cfg = { .name = "hoarder" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&cfg), 0);
	size_t live = pd_heap_live_objects();
	int destroyed = probe_objects_destroyed;
	uint32_t out;
	CU_ASSERT_EQUAL(nf_null_ping(cfg.exported, PROBE_ALLOC, &out), 0);
	CU_ASSERT_EQUAL(nf_null_ping(cfg.exported, PROBE_ALLOC, &out), 0);
	CU_ASSERT_EQUAL(probe_objects_alive, 2);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live + 2);
	CU_ASSERT_EQUAL(nf_null_ping(cfg.exported, PROBE_PANIC, &out), -PD_EFAULT);
	CU_ASSERT_EQUAL(probe_objects_alive, 0);
	CU_ASSERT_EQUAL(probe_objects_destroyed, destroyed + 2);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
	CU_ASSERT_STRING_EQUAL(pd_last_fault()->message, "probe hoarder: panic on request");
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), 0);
}

static void test_failed_reinit_leaves_domain_dead_with_EDEAD(void)
{
	struct probe_config cfg = { .name = "fragile", .fail_init_after = 1 };
	CU_ASSERT_EQUAL_FATAL(probe_create(&cfg), 0);
	size_t live = pd_heap_live_objects();
	uint32_t out;
	CU_ASSERT_EQUAL(nf_null_ping(cfg.exported, PROBE_SEGV, &out), -PD_EFAULT);
	CU_ASSERT_EQUAL(pd_domain_state(cfg.domain), PD_DOMAIN_DEAD);
	CU_ASSERT_EQUAL(nf_null_ping(cfg.exported, 1, &out), -PD_EDEAD);
	CU_ASSERT_EQUAL(pd_rref_check(cfg.exported.r), -PD_EDEAD);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live - 1);  /* its state object is gone */
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), 0);
	CU_ASSERT_EQUAL(nf_null_ping(cfg.exported, 1, &out), -PD_ESTALE);
}

static const pd_kind leaky = { .name = "leaky" };

static int faulting_init(void *arg)
{
	(void)arg;
	pd_alloc(100, &leaky);
	pd_alloc(100, &leaky);
	pd_panic("init gives up");
}

static int refusing_init(void *arg)
{
	(void)arg;
	pd_alloc(10, NULL);
	return 1;
}

static void test_init_fault_at_create_returns_EFAULT_and_frees_everything(void)
{
	size_t live = pd_heap_live_objects();
	pd_domain_spec spec = { .name = "stillborn", .init = faulting_init };
	pd_domain *d = NULL;
	CU_ASSERT_EQUAL(pd_domain_create(&spec, &d), -PD_EFAULT);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
	CU_ASSERT_PTR_NULL(pd_current());
	spec.init = refusing_init;
	CU_ASSERT_EQUAL(pd_domain_create(&spec, &d), -PD_EINVAL);
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live);
}

/* The scheduler mode: one frame for a loop of calls, no frame per call. */
static void test_armed_frame_catches_fault_of_called_domain(void)
{
	struct probe_config c = { .name = "C" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&c), 0);
	struct probe_config b = { .name = "B", .next = c.exported };
	CU_ASSERT_EQUAL_FATAL(probe_create(&b), 0);

	pd_catch frame;
	volatile int landed = 0, i = 0;
	volatile uint32_t sum = 0;
	if (PD_CATCH_ARM(&frame)) {
		landed++;
		CU_ASSERT_PTR_EQUAL(pd_catch_faulted(&frame), c.domain);
		CU_ASSERT_PTR_NULL(pd_current());
		i++;
	}
	for (; i < 6; i++) {
		uint32_t out = 0;
		if (i == 2) {
			nf_null_ping(c.exported, PROBE_FPE, &out);  /* lands above, not here */
			CU_FAIL("returned from a faulting call under an armed frame");
		}
		/* Nested calls still unwind to their own entry: B absorbs C's fault. */
		CU_ASSERT_EQUAL(nf_null_ping(b.exported, i == 4 ? PROBE_SEGV : 1, &out), 0);
		sum += out;
	}
	pd_catch_disarm(&frame);
	CU_ASSERT_EQUAL(landed, 1);
	CU_ASSERT_EQUAL(sum, 3 + 3 + 3 + PROBE_SAW_ERROR + 3);
	CU_ASSERT_EQUAL(c.init_calls, 3);
	CU_ASSERT_EQUAL(b.init_calls, 1);
	CU_ASSERT_EQUAL(pd_domain_destroy(b.domain), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(c.domain), 0);
}

static void test_guard_shape_proxy_contains_faults_too(void)
{
	struct probe_config cfg = { .name = "guarded" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&cfg), 0);
	uint32_t out;
	CU_ASSERT_EQUAL(nf_null_ping_guarded(cfg.exported, 5, &out), 0);
	CU_ASSERT_EQUAL(out, 6);
	CU_ASSERT_EQUAL(nf_null_ping_guarded(cfg.exported, PROBE_ILL, &out), -PD_EFAULT);
	CU_ASSERT_EQUAL(nf_null_ping_guarded(cfg.exported, PROBE_PANIC, &out), -PD_EFAULT);
	CU_ASSERT_EQUAL(nf_null_ping_guarded(cfg.exported, 5, &out), 0);
	CU_ASSERT_EQUAL(cfg.init_calls, 3);
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), 0);
}

static void test_manual_recover_and_destroy_rules(void)
{
	struct probe_config cfg = { .name = "managed" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&cfg), 0);
	CU_ASSERT_EQUAL(pd_domain_recover(cfg.domain), 0);
	CU_ASSERT_EQUAL(cfg.init_calls, 2);
	pd_domain_stats st;
	pd_domain_get_stats(cfg.domain, &st);
	CU_ASSERT_EQUAL(st.recoveries, 1);
	CU_ASSERT_EQUAL(st.faults, 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), 0);
	CU_ASSERT_EQUAL(pd_domain_recover(cfg.domain), -PD_EINVAL);
}

int main(void)
{
	if (probe_setup_sigbus() != 0) {
		fprintf(stderr, "test_fault: cannot set up the SIGBUS mapping\n");
		return 2;
	}
	static const struct test_case tests[] = {
		TEST(test_every_fault_kind_returns_EFAULT_and_recovers),
		TEST(test_nested_three_deep_fault_unwinds_only_to_B),
		TEST(test_signal_mask_is_restored_after_fault),
		TEST(test_stack_overflow_in_domain_is_contained),
		TEST(test_fault_outside_any_domain_kills_as_without_libpd),
		TEST(test_rref_stays_valid_across_recovery),
		TEST(test_recovery_frees_objects_and_runs_destructors),
		TEST(test_failed_reinit_leaves_domain_dead_with_EDEAD),
		TEST(test_init_fault_at_create_returns_EFAULT_and_frees_everything),
		TEST(test_armed_frame_catches_fault_of_called_domain),
		TEST(test_guard_shape_proxy_contains_faults_too),
		TEST(test_manual_recover_and_destroy_rules),
	};
	return RUN_SUITE("fault", tests);
}
