/*
 * Remote references: calls through exported rrefs, and every way a handle
 * can be wrong - revoked, stale, forged, random - giving its exact error
 * without reaching any object.  Also the access-control hook.
 */
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "probe.h"


static void test_call_through_exported_rref_returns_result(void)
{
	struct probe_config cfg = { .name = "echo" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&cfg), 0);
	uint32_t r = 0;
	CU_ASSERT_EQUAL(nf_null_ping(cfg.exported, 41, &r), 0);
	CU_ASSERT_EQUAL(r, 42);
	CU_ASSERT_EQUAL(pd_rref_check(cfg.exported.r), 0);
	CU_ASSERT_PTR_EQUAL(pd_rref_domain(cfg.exported.r), cfg.domain);
	CU_ASSERT_PTR_NULL(pd_current());
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), 0);
}

static void test_revoked_rref_returns_EREVOKED_also_after_recovery(void)
{
	struct probe_config cfg = { .name = "revoked" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&cfg), 0);
	nf_null_rref r = cfg.exported;
	uint32_t out = 7;
	CU_ASSERT_EQUAL(pd_revoke(r.r), 0);
	CU_ASSERT_EQUAL(nf_null_ping(r, 1, &out), -PD_EREVOKED);
	CU_ASSERT_EQUAL(out, 7);
	CU_ASSERT_EQUAL(pd_revoke(r.r), -PD_EREVOKED);
	CU_ASSERT_EQUAL(pd_domain_recover(cfg.domain), 0);
	CU_ASSERT_EQUAL(cfg.init_calls, 2);
	CU_ASSERT_EQUAL(cfg.exported.r.v, r.r.v);  /* re-init got the revoked handle back */
	CU_ASSERT_EQUAL(nf_null_ping(r, 1, &out), -PD_EREVOKED);
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), 0);
}

static void test_rref_into_destroyed_domain_returns_ESTALE_even_after_id_reuse(void)
{
	struct probe_config a = { .name = "old" }, b = { .name = "new" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&a), 0);
	nf_null_rref old = a.exported;
	uint32_t id = pd_domain_id(a.domain);
	CU_ASSERT_EQUAL(pd_domain_destroy(a.domain), 0);
	CU_ASSERT_PTR_NULL(pd_domain_lookup(id));
	uint32_t out;
	CU_ASSERT_EQUAL(nf_null_ping(old, 1, &out), -PD_ESTALE);
	CU_ASSERT_EQUAL_FATAL(probe_create(&b), 0);
	CU_ASSERT_EQUAL(pd_domain_id(b.domain), id);  /* lowest free id is reused */
	CU_ASSERT_NOT_EQUAL(b.exported.r.v, old.r.v);
	CU_ASSERT_EQUAL(nf_null_ping(old, 1, &out), -PD_ESTALE);
	CU_ASSERT_EQUAL(nf_null_ping(b.exported, 1, &out), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(b.domain), 0);
}

static void test_forged_handles_return_EINVAL_or_ESTALE(void)
{
	struct probe_config cfg = { .name = "target" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&cfg), 0);
	uint64_t v = cfg.exported.r.v;
	uint32_t out;
	CU_ASSERT_EQUAL(nf_null_ping((nf_null_rref){ { 0 } }, 1, &out), -PD_EINVAL);
	CU_ASSERT_EQUAL(nf_null_ping((nf_null_rref){ { PD__NIL_KEY } }, 1, &out), -PD_EINVAL);
	CU_ASSERT_EQUAL(nf_null_ping((nf_null_rref){ { v | 1ull << 45 } }, 1, &out), -PD_EINVAL);
	CU_ASSERT_EQUAL(nf_null_ping((nf_null_rref){ { v + (1ull << 32) } }, 1, &out), -PD_EINVAL);
	CU_ASSERT_EQUAL(nf_null_ping((nf_null_rref){ { v ^ 1ull << 20 } }, 1, &out), -PD_ESTALE);
	CU_ASSERT_EQUAL(nf_null_ping((nf_null_rref){ { (uint64_t)1000 << 54 | (v & 0xffffffffull) } }, 1, &out),
			-PD_EINVAL);
	CU_ASSERT_EQUAL(pd_revoke((pd_rref){ v ^ 1ull << 20 }), -PD_ESTALE);
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), 0);
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void test_million_random_handles_never_resolve(void)
{
	struct probe_config cfg[4] = { { .name = "r0" }, { .name = "r1" }, { .name = "r2" }, { .name = "r3" } };
	for (int i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(probe_create(&cfg[i]), 0);
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	unsigned resolved = 0, wrong_code = 0;
	for (int i = 0; i < 1000000; i++) {
		uint64_t v = xorshift(&seed);
		/* Every fourth handle aims at a live domain and slot, to get past the cheap checks. */
		if ((i & 3) == 0)
			v = (cfg[(i >> 2) & 3].exported.r.v & ~0xffffffffull) | (v & 0xffffffffull);
		int skip = 0;
		for (int k = 0; k < 4; k++)
			skip |= v == cfg[k].exported.r.v;
		if (skip)
			continue;
		uint32_t out = 0xabcd;
		int rc = nf_null_ping((nf_null_rref){ { v } }, 1, &out);
		if (rc == 0 || out != 0xabcd)
			resolved++;
		else if (rc != -PD_EINVAL && rc != -PD_ESTALE)
			wrong_code++;
	}
	CU_ASSERT_EQUAL(resolved, 0);
	CU_ASSERT_EQUAL(wrong_code, 0);
	for (int i = 0; i < 4; i++) {
		/* One flipped bit anywhere is never the handle. */
		for (int bit = 0; bit < 64; bit++) {
			uint32_t out;
			CU_ASSERT(nf_null_ping((nf_null_rref){ { cfg[i].exported.r.v ^ 1ull << bit } }, 1, &out) < 0);
		}
		CU_ASSERT_EQUAL(pd_domain_destroy(cfg[i].domain), 0);
	}
}

struct acl_log {
	const pd_domain *caller;
	unsigned method;
	int calls;
	const pd_domain *allow;
};

static int acl_only_allowed(const pd_domain *caller, unsigned method, void *arg)
{
	struct acl_log *log = arg;
	log->caller = caller;
	log->method = method;
	log->calls++;
	return caller != log->allow;
}

static struct acl_log guarded_log;
static uint32_t guarded_calls;

static int guarded_ping(void *self, uint32_t x, uint32_t *result)
{
	(void)self;
	guarded_calls++;
	*result = x * 2;
	return 0;
}

static const nf_null_ops guarded_ops = { .ping = guarded_ping };
static nf_null_rref guarded_rref;

static int guarded_init(void *arg)
{
	(void)arg;
	return nf_null_export(&guarded_ops, NULL, acl_only_allowed, &guarded_log, &guarded_rref);
}

static void test_acl_refusal_returns_EACCES_without_entering_callee(void)
{
	static const pd_domain_spec spec = { .name = "guarded", .init = guarded_init };
	pd_domain *g;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&spec, &g), 0);
	struct probe_config front = { .name = "front", .next = guarded_rref };
	CU_ASSERT_EQUAL_FATAL(probe_create(&front), 0);
	guarded_log.allow = front.domain;

	uint32_t out = 5;
	CU_ASSERT_EQUAL(nf_null_ping(guarded_rref, 21, &out), -PD_EACCES);
	CU_ASSERT_EQUAL(out, 5);
	CU_ASSERT_EQUAL(guarded_calls, 0);
	CU_ASSERT_PTR_NULL(guarded_log.caller);
	CU_ASSERT_EQUAL(guarded_log.method, NF_NULL_PING);

	/* Through "front", the hook sees front as the caller and lets it in. */
	CU_ASSERT_EQUAL(nf_null_ping(front.exported, 21, &out), 0);
	CU_ASSERT_EQUAL(out, 43);
	CU_ASSERT_EQUAL(front.last_next_rc, 0);
	CU_ASSERT_PTR_EQUAL(guarded_log.caller, front.domain);
	CU_ASSERT_EQUAL(guarded_calls, 1);
	CU_ASSERT_EQUAL(guarded_log.calls, 2);
	CU_ASSERT_EQUAL(pd_domain_destroy(front.domain), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(g), 0);
}

static int overfull_init(void *arg)
{
	int *last_rc = arg;
	nf_null_rref r;
	for (int i = 0; i < PD_SLOTS; i++)
		if (nf_null_export(&guarded_ops, NULL, NULL, NULL, &r) != 0)
			return -PD_EINVAL;
	*last_rc = nf_null_export(&guarded_ops, NULL, NULL, NULL, &r);
	return 0;
}

static void test_full_reference_table_returns_ENOMEM(void)
{
	int last_rc = 0;
	pd_domain_spec spec = { .name = "full", .init = overfull_init, .arg = &last_rc };
	pd_domain *d;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&spec, &d), 0);
	CU_ASSERT_EQUAL(last_rc, -PD_ENOMEM);
	pd_domain_stats st;
	pd_domain_get_stats(d, &st);
	CU_ASSERT_EQUAL(st.exported, PD_SLOTS);
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
}

static void test_export_outside_any_domain_returns_EINVAL(void)
{
	nf_null_rref r = { PD_RREF_NULL };
	CU_ASSERT_EQUAL(nf_null_export(&guarded_ops, NULL, NULL, NULL, &r), -PD_EINVAL);
	CU_ASSERT(pd_rref_is_null(r.r));
}

static void test_lookup_finds_domain_by_id_and_name(void)
{
	struct probe_config cfg = { .name = "named" };
	CU_ASSERT_EQUAL_FATAL(probe_create(&cfg), 0);
	uint32_t id = pd_domain_id(cfg.domain);
	CU_ASSERT(id > 0 && id < PD_MAX_DOMAINS);
	CU_ASSERT_PTR_EQUAL(pd_domain_lookup(id), cfg.domain);
	CU_ASSERT_STRING_EQUAL(pd_domain_name(cfg.domain), "named");
	CU_ASSERT_EQUAL(pd_domain_state(cfg.domain), PD_DOMAIN_LIVE);
	CU_ASSERT_PTR_NULL(pd_domain_lookup(0));
	CU_ASSERT_PTR_NULL(pd_domain_lookup(PD_MAX_DOMAINS));
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), 0);
	CU_ASSERT_EQUAL(pd_domain_destroy(cfg.domain), -PD_EINVAL);
}

static void test_strerror_describes_every_code(void)
{
	for (int c = PD_EINVAL; c < PD_ERROR_END; c++) {
		const char *m = pd_strerror(-c);
		CU_ASSERT_PTR_NOT_NULL(m);
		CU_ASSERT_STRING_NOT_EQUAL(m, "unknown libpd error");
	}
	CU_ASSERT_STRING_EQUAL(pd_strerror(-PD_EREVOKED), "remote reference revoked");
	CU_ASSERT_STRING_EQUAL(pd_strerror(0), "success");
	CU_ASSERT_STRING_EQUAL(pd_strerror(-1), "unknown libpd error");
}

/*
 * A method with more arguments than registers: self, seven u64 and the
 * result pointer put three arguments on the stack, which the thunk must
 * pass through untouched (interface wide of tests/runtime/nf.pdl).
 */
static int wide_sum_impl(void *self, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
			 uint64_t e, uint64_t f, uint64_t g, uint64_t *result)
{
	if (a == 0)
		pd_panic("wide: a == 0");
	*result = a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + (uint64_t)(uintptr_t)self;
	return 0;
}

static const nf_wide_ops wide = { .sum = wide_sum_impl };
static nf_wide_rref wide_rref;

static int wide_init(void *arg)
{
	(void)arg;
	return nf_wide_export(&wide, (void *)(uintptr_t)1000, NULL, NULL, &wide_rref);
}

static void test_stack_arguments_pass_through_the_thunk(void)
{
	static const pd_domain_spec spec = { .name = "wide", .init = wide_init };
	pd_domain *d;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&spec, &d), 0);
	uint64_t out = 0;
	CU_ASSERT_EQUAL(nf_wide_sum(wide_rref, 1, 2, 3, 4, 5, 6, 7, &out), 0);
	CU_ASSERT_EQUAL(out, 1 + 4 + 9 + 16 + 25 + 36 + 49 + 1000);
	CU_ASSERT_EQUAL(nf_wide_sum(wide_rref, 0, 2, 3, 4, 5, 6, 7, &out), -PD_EFAULT);
	CU_ASSERT_EQUAL(out, 1 + 4 + 9 + 16 + 25 + 36 + 49 + 1000);   /* not delivered: untouched */
	CU_ASSERT_EQUAL(nf_wide_sum(wide_rref, 1ull << 40, 0, 0, 0, 0, 0, 1ull << 33, &out), 0);
	CU_ASSERT_EQUAL(out, (1ull << 40) + 7 * (1ull << 33) + 1000);
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_call_through_exported_rref_returns_result),
		TEST(test_revoked_rref_returns_EREVOKED_also_after_recovery),
		TEST(test_rref_into_destroyed_domain_returns_ESTALE_even_after_id_reuse),
		TEST(test_forged_handles_return_EINVAL_or_ESTALE),
		TEST(test_million_random_handles_never_resolve),
		TEST(test_acl_refusal_returns_EACCES_without_entering_callee),
		TEST(test_full_reference_table_returns_ENOMEM),
		TEST(test_export_outside_any_domain_returns_EINVAL),
		TEST(test_lookup_finds_domain_by_id_and_name),
		TEST(test_strerror_describes_every_code),
		TEST(test_stack_arguments_pass_through_the_thunk),
	};
	return RUN_SUITE("rref", tests);
}
