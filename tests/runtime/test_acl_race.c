/*
 * The access hook's window, with two threads and the interleaving made
 * deterministic: the hook announces it has started and waits for the main
 * thread, which meanwhile destroys the domain and creates another in its
 * record (past whose own deny-all hook the old handle must not get), or
 * revokes the handle.  When the hook returns, the call must not go ahead:
 * -PD_ESTALE or -PD_EREVOKED, the new domain never entered, and no hang.
 */
#include <pthread.h>
#include <semaphore.h>

#include "cunit_main.h"
#include "probe.h"

static sem_t in_hook, go_on;
static int hook_calls;

/* Allows everyone, after letting the main thread act. */
static int waiting_hook(const pd_domain *caller, unsigned method, void *arg)
{
	(void)caller;
	(void)method;
	(void)arg;
	hook_calls++;
	sem_post(&in_hook);
	sem_wait(&go_on);
	return 0;
}

static int deny_all(const pd_domain *caller, unsigned method, void *arg)
{
	(void)caller;
	(void)method;
	(void)arg;
	return 1;
}

static int old_pings, new_pings;

static int old_ping(void *self, uint32_t x, uint32_t *result)
{
	(void)self;
	old_pings++;
	*result = x;
	return 0;
}

static int new_ping(void *self, uint32_t x, uint32_t *result)
{
	(void)self;
	new_pings++;
	*result = x;
	return 0;
}

static const nf_null_ops old_ops = { .ping = old_ping }, new_ops = { .ping = new_ping };
static nf_null_rref old_rref, new_rref;

static int old_init(void *arg)
{
	(void)arg;
	return nf_null_export(&old_ops, NULL, waiting_hook, NULL, &old_rref);
}

static int new_init(void *arg)
{
	(void)arg;
	return nf_null_export(&new_ops, NULL, deny_all, NULL, &new_rref);
}

static int call_rc;

static void *caller_thread(void *arg)
{
	(void)arg;
	uint32_t out = 0;
	call_rc = nf_null_ping(old_rref, 7, &out);
	return NULL;
}

static void test_domain_replaced_during_the_hook_gives_ESTALE(void)
{
	static const pd_domain_spec old_spec = { .name = "old", .init = old_init };
	static const pd_domain_spec new_spec = { .name = "new", .init = new_init };
	pd_domain *old, *fresh;
	sem_init(&in_hook, 0, 0);
	sem_init(&go_on, 0, 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&old_spec, &old), 0);
	pthread_t t;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, caller_thread, NULL), 0);
	sem_wait(&in_hook);                     /* the caller is inside the hook */
	CU_ASSERT_EQUAL(pd_domain_destroy(old), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&new_spec, &fresh), 0);
	CU_ASSERT_PTR_EQUAL(fresh, old);        /* the same record, reused */
	sem_post(&go_on);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(call_rc, -PD_ESTALE);
	CU_ASSERT_EQUAL(old_pings, 0);
	CU_ASSERT_EQUAL(new_pings, 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(fresh), 0);
}

static void test_handle_revoked_during_the_hook_gives_EREVOKED(void)
{
	static const pd_domain_spec old_spec = { .name = "old", .init = old_init };
	pd_domain *old;
	sem_init(&in_hook, 0, 0);
	sem_init(&go_on, 0, 0);
	old_pings = 0;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&old_spec, &old), 0);
	pthread_t t;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, caller_thread, NULL), 0);
	sem_wait(&in_hook);
	CU_ASSERT_EQUAL(pd_revoke(old_rref.r), 0);
	sem_post(&go_on);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(call_rc, -PD_EREVOKED);
	CU_ASSERT_EQUAL(old_pings, 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(old), 0);
}

/* A hook is the exporter's code: a fault in it is the exporter's. */
static int faulting_hook(const pd_domain *caller, unsigned method, void *arg)
{
	(void)caller;
	(void)method;
	(void)arg;
	pd_panic("hook: broken");
}

static int faulty_init(void *arg)
{
	(void)arg;
	return nf_null_export(&old_ops, NULL, faulting_hook, NULL, &old_rref);
}

static void test_a_fault_in_the_hook_is_the_exporters(void)
{
	static const pd_domain_spec spec = { .name = "faulty", .init = faulty_init };
	pd_domain *d;
	old_pings = 0;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&spec, &d), 0);
	struct probe_config front = { .name = "front", .next = old_rref };
	CU_ASSERT_EQUAL_FATAL(probe_create(&front), 0);
	uint32_t out = 0;
	CU_ASSERT_EQUAL(nf_null_ping(front.exported, 1, &out), 0);
	CU_ASSERT_EQUAL(front.last_next_rc, -PD_EFAULT);
	pd_domain_stats st;
	CU_ASSERT_EQUAL(pd_domain_get_stats(d, &st), 0);
	CU_ASSERT_EQUAL(st.faults, 1);
	CU_ASSERT_EQUAL(st.recoveries, 1);
	CU_ASSERT_EQUAL(pd_domain_get_stats(front.domain, &st), 0);
	CU_ASSERT_EQUAL(st.faults, 0);                /* the caller is not blamed */
	CU_ASSERT_EQUAL(old_pings, 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(front.domain), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_domain_replaced_during_the_hook_gives_ESTALE),
		TEST(test_handle_revoked_during_the_hook_gives_EREVOKED),
		TEST(test_a_fault_in_the_hook_is_the_exporters),
	};
	return RUN_SUITE("acl_race", tests);
}
