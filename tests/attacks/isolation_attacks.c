/*
 * isolation_attacks.c - isolation attacks (issue 11) and bad arguments on
 * tests/attacks/attacks.pdl's domains.  Each test states the guarantee and
 * FAILS while the attack it describes still works.  No wild writes and no
 * pointer kept after a move: generated proxies and public libpd calls only.
 *
 * Most of these share one root: a domain may pd_alloc objects with a
 * pd_kind it wrote itself, and a recovery sweep runs every kind's
 * destructor outside any domain - as trusted code, with the authority of
 * the scheduler (docs/threat-model.md lists kind destructors in the TCB,
 * but nothing stops domain code from supplying one).
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cunit_main.h"
#include "world.h"

/* Runs fn in a child process; how it ended. */
static int in_child(void (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	int status = 0;
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	return status;
}

static void put_value(attacks_node_rref to, uint64_t value)
{
	attacks_labeled_u64 v = { .value = value, .label = ATTACKS_CONF_PUBLIC };
	CU_ASSERT_EQUAL(attacks_node_put(to, &v), 0);
	pd_label_reset_outside();
}

/*
 * Class: management authority (kind destructor as trusted code).  Steps:
 * the vault allocates an object of its own kind and panics; the recovery
 * sweep runs the destructor outside any domain, where it finds the pub
 * domain with pd_domain_lookup and calls pd_domain_export_rref and
 * pd_domain_destroy on it - both succeed, as for the scheduler.  Broke:
 * an unrelated domain is destroyed (its handles go stale) by a domain
 * that neither created it nor holds a handle to it; a handle to its
 * private export is minted.
 */
static void test_a_kind_destructor_destroys_a_domain_it_does_not_manage(void)
{
	world_up();
	victim_name = "attacks.pub";
	uint64_t x;
	CU_ASSERT_EQUAL(attacks_vault_answer(w.vault_h, V_DTOR_DESTROY, &x), -PD_EFAULT);
	pd_label_reset_outside();
	/* (the destructor runs as the vault, which does not even find pub) */
	CU_ASSERT(dtor_rc[0] == -PD_EACCES || dtor_rc[0] == -PD_EINVAL);   /* minting a handle to pub */
	CU_ASSERT(dtor_rc[1] == -PD_EACCES || dtor_rc[1] == -PD_EINVAL);   /* destroying pub */
	CU_ASSERT_EQUAL(pd_domain_state(w.pub), PD_DOMAIN_LIVE);
	CU_ASSERT_EQUAL(attacks_node_act(w.pub_h, N_PROBE, &x), 0);
	pd_label_reset_outside();
	world_down();
}

/*
 * Class: a domain's state wiped for another's doing.  Steps: the outside
 * gives the relay a value; the vault allocates an object of its own kind
 * and panics; its destructor, running as trusted code, reads the relay's
 * statistics and recovers it.  Broke: the relay's state is reset (the
 * value is gone) though the relay did nothing wrong and the vault is not
 * its manager.
 */
static void test_a_kind_destructor_wipes_a_bystanders_state(void)
{
	world_up();
	put_value(w.relay_h, 42);
	victim_name = "attacks.relay";
	uint64_t x;
	CU_ASSERT_EQUAL(attacks_vault_answer(w.vault_h, V_DTOR_RECOVER, &x), -PD_EFAULT);
	pd_label_reset_outside();
	CU_ASSERT(dtor_rc[0] == -PD_EACCES || dtor_rc[0] == -PD_EINVAL);   /* its statistics */
	CU_ASSERT(dtor_rc[1] == -PD_EACCES || dtor_rc[1] == -PD_EINVAL);   /* its recovery */
	CU_ASSERT_EQUAL(world_node(w.relay)->held, 42);
	world_down();
}

/*
 * Class: re-entry (a domain active on the stack entered again).  pd_call.h
 * promises -PD_EBUSY for A -> B -> A, since recovering A from the inner
 * call would free state the outer one is using; the check is skipped for
 * callers outside any domain.  Steps: the outside calls the relay, which
 * calls the vault; the vault allocates an object of its own kind and
 * panics; during the vault's recovery the destructor (outside any domain,
 * still on the relay's stack) calls the relay.  Broke: the relay is
 * entered while its outer call is under way (N_PROBE answers busy = 1).
 */
static void test_a_kind_destructor_reenters_a_domain_on_the_stack(void)
{
	world_up();
	world_node(w.relay)->vault = w.vault_h;
	uint64_t x;
	CU_ASSERT_EQUAL(attacks_node_act(w.relay_h, N_CALL_VAULT_REENTER, &x), -PD_EFAULT);
	pd_label_reset_outside();
	CU_ASSERT_EQUAL(dtor_rc[0], -PD_EBUSY);
	CU_ASSERT_NOT_EQUAL(dtor_rc[1], 1);              /* entered while busy */
	world_down();
}

/*
 * Class: crash the process.  Steps: the vault allocates an object of its
 * own kind whose destructor panics, and panics itself; the sweep runs the
 * destructor outside any domain, where a panic is not contained: abort().
 * Broke: the whole process dies from one domain's fault (run in a child
 * process here; the test asserts it exits normally).
 */
static void dtor_panic_scenario(void)
{
	world_up();
	uint64_t x;
	(void)attacks_vault_answer(w.vault_h, V_DTOR_PANIC, &x);
	world_down();
}

static void test_a_faulting_kind_destructor_kills_the_process(void)
{
	int status = in_child(dtor_panic_scenario);
	if (WIFSIGNALED(status))
		fprintf(stderr, "\n  the process died of signal %d\n", WTERMSIG(status));
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/*
 * Class: bad argument crashes the runtime.  The management calls take a
 * pd_domain pointer and check only that it is not NULL or libpd's two
 * placeholder records, then read (and destroy writes) through it.  Steps:
 * trusted code passes a pointer that is not a domain record.  Broke: the
 * process dies of SIGSEGV instead of getting -PD_EINVAL (run in a child).
 */
static void bad_domain_scenario(void)
{
	pd_domain_stats st;
	int rc = pd_domain_get_stats((const pd_domain *)(uintptr_t)0x40, &st);
	_exit(rc == -PD_EINVAL ? 0 : 3);
}

static void test_a_pointer_that_is_not_a_domain_crashes_the_management_calls(void)
{
	int status = in_child(bad_domain_scenario);
	if (WIFSIGNALED(status))
		fprintf(stderr, "\n  the process died of signal %d\n", WTERMSIG(status));
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_a_kind_destructor_destroys_a_domain_it_does_not_manage),
		TEST(test_a_kind_destructor_wipes_a_bystanders_state),
		TEST(test_a_kind_destructor_reenters_a_domain_on_the_stack),
		TEST(test_a_faulting_kind_destructor_kills_the_process),
		TEST(test_a_pointer_that_is_not_a_domain_crashes_the_management_calls),
	};
	return RUN_SUITE("isolation attacks", tests);
}
