/*
 * Who may manage a domain: only its manager - the domain that created it,
 * or trusted code outside every domain - may mint handles to its exports,
 * read its checkpoint image, checkpoint, recover, inspect or destroy it.
 * Tried from inside an ordinary domain, every one is -PD_EACCES and changes
 * nothing.
 */
#include <string.h>

#include "cunit_main.h"
#include "probe.h"

/* The attacker: a domain that, when pinged, tries every management call on
 * the victim and records what each returned. */
enum { TRY_EXPORT, TRY_IMAGE, TRY_CHECKPOINT, TRY_RECOVER, TRY_STATS, TRY_TARGET, TRY_DESTROY, TRIES };

static pd_domain *victim;
static int tried[TRIES];

static int attacker_ping(void *self, uint32_t x, uint32_t *result)
{
	(void)self;
	(void)x;
	pd_rref r = PD_RREF_NULL;
	tried[TRY_EXPORT] = pd_domain_export_rref(victim, 0, &r);
	const void *image = NULL;
	size_t len = 0;
	tried[TRY_IMAGE] = pd_domain_checkpoint_image(victim, &image, &len);
	tried[TRY_CHECKPOINT] = pd_domain_checkpoint(victim);
	tried[TRY_RECOVER] = pd_domain_recover(victim);
	pd_domain_stats st;
	tried[TRY_STATS] = pd_domain_get_stats(victim, &st);
	const void *ops;
	void *obj;
	tried[TRY_TARGET] = pd__rref_target(r, &ops, &obj);
	tried[TRY_DESTROY] = pd_domain_destroy(victim);
	*result = pd_rref_is_null(r) ? 0 : 1;   /* 1: it got a handle */
	return 0;
}

static const nf_null_ops attacker_ops = { .ping = attacker_ping };
static nf_null_rref attacker_rref;

static int attacker_init(void *arg)
{
	(void)arg;
	return nf_null_export(&attacker_ops, NULL, NULL, NULL, &attacker_rref);
}

static void test_management_calls_from_another_domain_are_EACCES(void)
{
	struct probe_config v = { .name = "victim" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&v), 0);
	victim = v.domain;
	static const pd_domain_spec spec = { .name = "attacker", .init = attacker_init };
	pd_domain *a;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&spec, &a), 0);
	uint32_t got = 9;
	CU_ASSERT_EQUAL(nf_null_ping(attacker_rref, 0, &got), 0);
	CU_ASSERT_EQUAL(got, 0);
	for (int i = 0; i < TRIES; i++)
		CU_ASSERT_EQUAL(tried[i], -PD_EACCES);
	/* Nothing happened to the victim. */
	pd_domain_stats st;
	CU_ASSERT_EQUAL(pd_domain_get_stats(victim, &st), 0);
	CU_ASSERT_EQUAL(st.recoveries, 0);
	CU_ASSERT_EQUAL(v.init_calls, 1);
	CU_ASSERT_EQUAL(pd_domain_state(victim), PD_DOMAIN_LIVE);
	CU_ASSERT_EQUAL(pd_domain_destroy(a), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(victim), 0);
}

/* A domain that creates a child may manage it; the child's own peers may not. */
static pd_domain *child;
static int child_rc[4];

static nf_null_rref child_rref;

static int child_init(void *arg)
{
	(void)arg;
	return nf_null_export(&attacker_ops, NULL, NULL, NULL, &child_rref);
}

/* Domain code may create only registered specs (what a .pdl declares:
 * pdlc's generated code registers its own); this test registers this one. */
static const pd_domain_spec child_spec = { .name = "child", .init = child_init };

static int parent_ping(void *self, uint32_t x, uint32_t *result)
{
	(void)self;
	static struct probe_config cfg = { .name = "unregistered" };
	if (x == 0) {
		child_rc[3] = probe_create(&cfg);          /* a spec no .pdl declared */
		child_rc[0] = pd_domain_create(&child_spec, &child);
		pd_rref r;
		child_rc[1] = pd_domain_export_rref(child, 0, &r);
		child_rc[2] = pd_domain_recover(child);
	} else {
		child_rc[0] = pd_domain_destroy(child);
	}
	*result = 0;
	return 0;
}

static const nf_null_ops parent_ops = { .ping = parent_ping };
static nf_null_rref parent_rref;

static int parent_init(void *arg)
{
	(void)arg;
	return nf_null_export(&parent_ops, NULL, NULL, NULL, &parent_rref);
}

static void test_the_creating_domain_manages_its_child(void)
{
	static const pd_domain_spec spec = { .name = "parent", .init = parent_init };
	pd_domain *p;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&spec, &p), 0);
	uint32_t out;
	CU_ASSERT_EQUAL(nf_null_ping(parent_rref, 0, &out), 0);
	CU_ASSERT_EQUAL(child_rc[3], -PD_EACCES);
	CU_ASSERT_EQUAL(child_rc[0], 0);
	CU_ASSERT_EQUAL(child_rc[1], 0);
	CU_ASSERT_EQUAL(child_rc[2], 0);
	/* A sibling may not touch it... */
	victim = child;
	static const pd_domain_spec aspec = { .name = "sibling", .init = attacker_init };
	pd_domain *a;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&aspec, &a), 0);
	CU_ASSERT_EQUAL(nf_null_ping(attacker_rref, 0, &out), 0);
	CU_ASSERT_EQUAL(tried[TRY_DESTROY], -PD_EACCES);
	/* ...and the parent destroys it. */
	CU_ASSERT_EQUAL(nf_null_ping(parent_rref, 1, &out), 0);
	CU_ASSERT_EQUAL(child_rc[0], 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(a), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(p), 0);
}

/* A manager that is destroyed does not hand its authority to the next
 * domain that reuses its record. */
static void test_a_dead_managers_record_does_not_inherit_authority(void)
{
	static const pd_domain_spec spec = { .name = "parent", .init = parent_init };
	pd_domain *p;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&spec, &p), 0);
	uint32_t out;
	CU_ASSERT_EQUAL(nf_null_ping(parent_rref, 0, &out), 0);
	pd_domain *orphan = child;
	CU_ASSERT_EQUAL(pd_domain_destroy(p), 0);
	/* The attacker most likely gets the parent's record (lowest free id). */
	victim = orphan;
	static const pd_domain_spec aspec = { .name = "heir", .init = attacker_init };
	pd_domain *a;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&aspec, &a), 0);
	CU_ASSERT_PTR_EQUAL(a, p);
	CU_ASSERT_EQUAL(nf_null_ping(attacker_rref, 0, &out), 0);
	CU_ASSERT_EQUAL(tried[TRY_DESTROY], -PD_EACCES);
	CU_ASSERT_EQUAL(pd_domain_destroy(a), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(orphan), 0);   /* the outside may */
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_management_calls_from_another_domain_are_EACCES),
		TEST(test_the_creating_domain_manages_its_child),
		TEST(test_a_dead_managers_record_does_not_inherit_authority),
	};
	if (pd_domain_spec_register(&child_spec) != 0)
		return 2;
	return RUN_SUITE("authority", tests);
}
