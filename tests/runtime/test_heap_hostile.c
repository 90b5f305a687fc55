/*
 * The heap's entry points against pointers libpd did not hand out: every
 * function that takes an object must recognise a live libpd object without
 * touching memory libpd does not own, and refuse anything else with an
 * error - outside any domain (where a fault would kill the process) and
 * inside one (where it would be blamed on the domain).  Also: frees and
 * releases that do not match the object's state, and quotas that count
 * what an object really costs.
 */
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "cunit_main.h"
#include "probe.h"
#include "pd_shared.h"

/* A page whose predecessor is unmapped: reading 64 bytes before it faults. */
static char *lonely_page(void)
{
	char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	munmap(p, 4096);
	return p + 4096;
}

static void test_entry_points_refuse_a_page_start_outside_any_domain(void)
{
	char *p = lonely_page();
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	int rc = 0;
	CU_ASSERT_EQUAL(pd_free(p), -PD_EINVAL);
	CU_ASSERT_EQUAL(pd_move(p, NULL), -PD_EINVAL);
	CU_ASSERT_PTR_NULL(pd_owner(p, &rc));
	CU_ASSERT_EQUAL(rc, -PD_EINVAL);
	CU_ASSERT_PTR_NULL(pd_kind_of(p));
	CU_ASSERT_PTR_NULL(pd_shared_retain(p));
	CU_ASSERT_EQUAL(pd_shared_release(p), -PD_EINVAL);
	CU_ASSERT_EQUAL(pd_shared_refcount(p), 0);
	munmap(p, 4096);
}

/* Memory that looks like a libpd object from the inside: a header with the
 * right magic, owned by nobody, in the middle of a buffer. */
static unsigned char forged[512] __attribute__((aligned(64)));

static void *forge(void)
{
	memset(forged, 0, sizeof forged);
	struct pd__obj *h = (struct pd__obj *)(forged + 128);
	h->magic = PD__OBJ_MAGIC;
	h->size = 64;
	return h + 1;
}

static void test_entry_points_refuse_a_forged_header(void)
{
	void *fake = forge();
	unsigned char before[sizeof forged];
	memcpy(before, forged, sizeof forged);
	int rc = 0;
	CU_ASSERT_EQUAL(pd_free(fake), -PD_EINVAL);
	CU_ASSERT_EQUAL(pd_move(fake, NULL), -PD_EINVAL);
	CU_ASSERT_PTR_NULL(pd_owner(fake, &rc));
	CU_ASSERT_PTR_NULL(pd_shared_retain(fake));
	CU_ASSERT_EQUAL(pd_shared_release(fake), -PD_EINVAL);
	CU_ASSERT(memcmp(before, forged, sizeof forged) == 0);  /* nothing written */
}

/* An object of the heap's, and a pointer into its middle shaped like one. */
static void test_interior_pointer_is_not_an_object(void)
{
	unsigned char *big = pd_alloc(400, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	struct pd__obj *h = (struct pd__obj *)(big + 128);
	h->magic = PD__OBJ_MAGIC;
	h->size = 16;
	void *inner = h + 1;
	CU_ASSERT_EQUAL(pd_free(inner), -PD_EINVAL);
	CU_ASSERT_EQUAL(pd_move(inner, NULL), -PD_EINVAL);
	CU_ASSERT_PTR_NULL(pd_shared_retain(inner));
	CU_ASSERT_EQUAL(pd_free(big), 0);
}

static void test_double_free_is_refused_for_every_size(void)
{
	static const size_t sizes[] = { 0, 1, 48, 448, 449, 2056, 40000, 300000, 4u << 20 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		void *p = pd_alloc(sizes[i], NULL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
		CU_ASSERT_EQUAL(pd_free(p), 0);
		CU_ASSERT_EQUAL(pd_free(p), -PD_EINVAL);
		CU_ASSERT_EQUAL(pd_move(p, NULL), -PD_EINVAL);
	}
}

static void test_shared_counts_cannot_underflow_or_be_bypassed(void)
{
	void *plain = pd_alloc(32, NULL);
	CU_ASSERT_EQUAL(pd_shared_release(plain), -PD_EINVAL);  /* not a shared object */
	CU_ASSERT_PTR_NULL(pd_shared_retain(plain));
	CU_ASSERT_EQUAL(pd_shared_refcount(plain), 0);
	CU_ASSERT_EQUAL(pd_free(plain), 0);

	void *s = pd_shared_alloc(32, NULL);
	CU_ASSERT_PTR_EQUAL(pd_shared_retain(s), s);
	CU_ASSERT_EQUAL(pd_shared_refcount(s), 2);
	CU_ASSERT_EQUAL(pd_free(s), -PD_EBUSY);                 /* references are left */
	CU_ASSERT_EQUAL(pd_shared_refcount(s), 2);
	size_t live = pd_heap_live_objects();
	CU_ASSERT_EQUAL(pd_shared_release(s), 0);
	CU_ASSERT_EQUAL(pd_shared_release(s), 0);               /* the last one frees */
	CU_ASSERT_EQUAL(pd_heap_live_objects(), live - 1);
	CU_ASSERT_EQUAL(pd_shared_release(s), -PD_EINVAL);      /* gone */
}

/* ---- inside a domain: the same pointers are errors, not faults ---- */

static void *hostile_arg;
static int hostile_rc[6];

static int hostile_ping(void *self, uint32_t x, uint32_t *result)
{
	(void)self;
	(void)x;
	hostile_rc[0] = pd_free(hostile_arg);
	hostile_rc[1] = pd_move(hostile_arg, NULL);
	pd_owner(hostile_arg, &hostile_rc[2]);
	hostile_rc[3] = pd_shared_retain(hostile_arg) == NULL ? -PD_EINVAL : 0;
	hostile_rc[4] = pd_shared_release(hostile_arg);
	hostile_rc[5] = pd_kind_of(hostile_arg) == NULL ? -PD_EINVAL : 0;
	*result = 1;
	return 0;
}

static const nf_null_ops hostile_ops = { .ping = hostile_ping };
static nf_null_rref hostile_rref;

static int hostile_init(void *arg)
{
	(void)arg;
	return nf_null_export(&hostile_ops, NULL, NULL, NULL, &hostile_rref);
}

static void test_entry_points_refuse_bad_pointers_inside_a_domain(void)
{
	static const pd_domain_spec spec = { .name = "hostile", .init = hostile_init };
	pd_domain *d;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&spec, &d), 0);
	void *bad[] = { lonely_page(), forge() };
	for (size_t i = 0; i < 2; i++) {
		hostile_arg = bad[i];
		uint32_t out = 0;
		CU_ASSERT_EQUAL(nf_null_ping(hostile_rref, 0, &out), 0);  /* no fault */
		CU_ASSERT_EQUAL(out, 1);
		for (int k = 0; k < 6; k++)
			CU_ASSERT_EQUAL(hostile_rc[k], -PD_EINVAL);
	}
	pd_domain_stats st;
	pd_domain_get_stats(d, &st);
	CU_ASSERT_EQUAL(st.faults, 0);
	munmap(bad[0], 4096);
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
}

/* ---- quotas charge what an object costs ---- */

static unsigned long grabbed;

static int grab_ping(void *self, uint32_t x, uint32_t *result)
{
	(void)self;
	for (grabbed = 0; grabbed < x; grabbed++)
		if (pd_alloc(1, NULL) == NULL)
			break;
	*result = 0;
	return 0;
}

static const nf_null_ops grab_ops = { .ping = grab_ping };
static nf_null_rref grab_rref;

static int grab_init(void *arg)
{
	(void)arg;
	return nf_null_export(&grab_ops, NULL, NULL, NULL, &grab_rref);
}

static long rss_kib(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void test_quota_counts_headers_and_rounding(void)
{
	static const pd_domain_spec spec = { .name = "grabber", .init = grab_init,
					     .quota_bytes = 1u << 20 };
	pd_domain *d;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&spec, &d), 0);
	long before = rss_kib();
	uint32_t out;
	CU_ASSERT_EQUAL(nf_null_ping(grab_rref, 10u << 20, &out), -PD_EFAULT);
	CU_ASSERT_EQUAL(pd_last_fault()->kind, PD_FAULT_QUOTA);
	/* 1-byte objects each cost a 64-byte header and a 16-byte slot: at
	 * most 1 MiB / 80 of them fit, not a million. */
	CU_ASSERT(grabbed <= (1u << 20) / 80);
	CU_ASSERT(grabbed >= (1u << 20) / 80 - 64);
	CU_ASSERT(rss_kib() - before < 8 * 1024);   /* a few MiB, not 92 */
	CU_ASSERT_EQUAL(pd_domain_destroy(d), 0);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_entry_points_refuse_a_page_start_outside_any_domain),
		TEST(test_entry_points_refuse_a_forged_header),
		TEST(test_interior_pointer_is_not_an_object),
		TEST(test_double_free_is_refused_for_every_size),
		TEST(test_shared_counts_cannot_underflow_or_be_bypassed),
		TEST(test_entry_points_refuse_bad_pointers_inside_a_domain),
		TEST(test_quota_counts_headers_and_rounding),
	};
	return RUN_SUITE("heap_hostile", tests);
}
