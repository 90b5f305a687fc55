/*
 * test_kvstore.c - information flow at run time, on the secure store.
 *
 * Each test sets up the store, the auditor and the tenants' clients as
 * protection domains from the specs pdlc generated (idl/kvstore.pdl), runs
 * a scenario inside a client, and checks what got through and what the
 * labels refused.  The seeded wiring bug is checked statically, by
 * tests/pdl/err/kvstore_leak.pdl.
 */
#define _GNU_SOURCE     /* memmem */
#include <string.h>

#include "cunit_main.h"

#include "kvstore.h"

typedef struct world {
	pd_domain *store, *alice, *bob, *auditor;
	kvstore_store_rref store_rref;
	kvstore_client_rref alice_rref, bob_rref;
	kvstore_audit_rref auditor_rref;
	kv_client_ctx a, b;
	kv_options options;
} world;

static kv_log audit_text;

static void world_up(world *w, kv_options options, kv_scenario alice, kv_scenario bob)
{
	memset(w, 0, sizeof(*w));
	pd_label_reset_outside();       /* each test starts with clean hands */
	w->options = options;
	pd_domain_spec kv = kvstore_kv_domain, ac = kvstore_alice_client_domain,
	               bc = kvstore_bob_client_domain;
	kv.arg = &w->options;
	ac.arg = &w->a;
	bc.arg = &w->b;
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&kv, &w->store), 0);
	CU_ASSERT_EQUAL_FATAL(kvstore_store_of_domain(w->store, 0, &w->store_rref), 0);
	w->a = (kv_client_ctx){ w->store_rref, KVSTORE_TENANTS_ALICE, alice, NULL, 0 };
	w->b = (kv_client_ctx){ w->store_rref, KVSTORE_TENANTS_BOB, bob, NULL, 0 };
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&ac, &w->alice), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&bc, &w->bob), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&kvstore_auditor_domain, &w->auditor), 0);
	CU_ASSERT_EQUAL(kvstore_client_of_domain(w->alice, 0, &w->alice_rref), 0);
	CU_ASSERT_EQUAL(kvstore_client_of_domain(w->bob, 0, &w->bob_rref), 0);
	CU_ASSERT_EQUAL(kvstore_audit_of_domain(w->auditor, 0, &w->auditor_rref), 0);
}

/* A domain's floating label in the tenants lattice (this test manages d). */
static pd_label label_of(const pd_domain *d)
{
	pd_labels all = PD_LABELS_INVALID;
	CU_ASSERT_EQUAL(pd_domain_labels(d, &all), 0);
	return pd_labels_get(all, &kvstore_tenants_lattice);
}

static void world_down(world *w)
{
	pd_domain_destroy(w->auditor);
	pd_domain_destroy(w->bob);
	pd_domain_destroy(w->alice);
	pd_domain_destroy(w->store);
}

static int alice_puts_secret(kv_client_ctx *ctx)
{
	return kv_put_string(ctx->store, "diary", "alice's secret", KVSTORE_TENANTS_ALICE);
}

static char bob_saw[64];
static pd_label bob_saw_label;

static int bob_reads_diary(kv_client_ctx *ctx)
{
	memset(bob_saw, 'x', sizeof(bob_saw));
	return kv_get_string(ctx->store, "diary", ctx->clearance, bob_saw, sizeof(bob_saw),
	                     &bob_saw_label);
}

static int alice_reads_diary(kv_client_ctx *ctx)
{
	char buf[64];
	int rc = kv_get_string(ctx->store, "diary", ctx->clearance, buf, sizeof(buf), NULL);
	return rc < 0 ? rc : strcmp(buf, "alice's secret") == 0 ? 0 : -1;
}

static void test_store_lattice_obeys_the_laws(void)
{
	CU_ASSERT_EQUAL(kvstore_tenants_selftest(), 0);
}

static void test_owner_reads_own_value_and_label_rises(void)
{
	world w;
	world_up(&w, (kv_options){ 0 }, alice_puts_secret, NULL);
	CU_ASSERT_EQUAL(kvstore_client_run(w.alice_rref), 0);
	CU_ASSERT_EQUAL(w.a.result, 0);
	/* the store now holds alice's data, so its floating label is {alice} */
	CU_ASSERT_EQUAL(label_of(w.store), KVSTORE_TENANTS_ALICE);
	w.a.scenario = alice_reads_diary;
	CU_ASSERT_EQUAL(kvstore_client_run(w.alice_rref), 0);
	CU_ASSERT_EQUAL(w.a.result, 0);
	CU_ASSERT_EQUAL(label_of(w.alice), KVSTORE_TENANTS_ALICE);
	world_down(&w);
}

static void test_correct_store_refuses_other_tenant(void)
{
	world w;
	world_up(&w, (kv_options){ 0 }, alice_puts_secret, bob_reads_diary);
	kvstore_client_run(w.alice_rref);
	pd_label_reset_outside();       /* alice's request is over */
	CU_ASSERT_EQUAL(kvstore_client_run(w.bob_rref), 0);
	CU_ASSERT_EQUAL(w.b.result, -PD_EACCES);
	CU_ASSERT_PTR_NULL(memmem(bob_saw, sizeof(bob_saw), "secret", 6));
	world_down(&w);
}

static void test_store_forgetting_reader_check_is_caught_by_labels(void)
{
	world w;
	world_up(&w, (kv_options){ .forget_reader_check = true }, alice_puts_secret, bob_reads_diary);
	kvstore_client_run(w.alice_rref);
	pd_label_reset_outside();
	CU_ASSERT_EQUAL(kvstore_client_run(w.bob_rref), 0);
	/* The store's C code handed the value over, but the result carries
	 * {alice} and bob's clearance is {bob}: the proxy withholds it. */
	CU_ASSERT_EQUAL(w.b.result, -PD_ELABEL);
	CU_ASSERT_PTR_NULL(memmem(bob_saw, sizeof(bob_saw), "secret", 6));
	CU_ASSERT_EQUAL(label_of(w.bob), KVSTORE_TENANTS_BOTTOM);
	world_down(&w);
}

static void test_value_copied_out_before_a_fault_is_wiped(void)
{
	world w;
	world_up(&w, (kv_options){ .forget_reader_check = true, .crash_after_copy = true },
	         alice_puts_secret, bob_reads_diary);
	kvstore_client_run(w.alice_rref);
	pd_label_reset_outside();
	CU_ASSERT_EQUAL(kvstore_client_run(w.bob_rref), 0);
	/* The store copied alice's value into bob's buffer, then faulted: the
	 * call failed, and the proxy wiped what the store had written. */
	CU_ASSERT_EQUAL(w.b.result, -PD_EFAULT);
	CU_ASSERT_PTR_NULL(memmem(bob_saw, sizeof(bob_saw), "secret", 6));
	world_down(&w);
}

static void test_store_logging_values_is_refused_at_the_sink_and_counted(void)
{
	world w;
	uint64_t refused = kvstore_audit_log_sink.refused, written = kvstore_audit_log_sink.written;
	size_t log_len = audit_text.len;
	world_up(&w, (kv_options){ .log_values = true }, alice_puts_secret, NULL);
	CU_ASSERT_EQUAL(kvstore_client_run(w.alice_rref), 0);
	CU_ASSERT_EQUAL(w.a.result, 0);
	CU_ASSERT_EQUAL(kvstore_audit_log_sink.refused, refused + 1);
	CU_ASSERT_EQUAL(kvstore_audit_log_sink.written, written);
	CU_ASSERT_EQUAL(audit_text.len, log_len);
	pd_sink_refusal r;
	CU_ASSERT_EQUAL_FATAL(pd_sink_refusal_get(&kvstore_audit_log_sink, 0, &r), 0);
	CU_ASSERT_EQUAL(r.bound, KVSTORE_TENANTS_BOTTOM);
	CU_ASSERT_EQUAL(r.data_label, KVSTORE_TENANTS_ALICE);
	CU_ASSERT_EQUAL(r.domain, pd_domain_id(w.store));
	world_down(&w);
}

static void test_declassifying_auditor_may_write_counts(void)
{
	world w;
	uint64_t written = kvstore_audit_log_sink.written;
	world_up(&w, (kv_options){ 0 }, alice_puts_secret, NULL);
	kvstore_client_run(w.alice_rref);
	uint64_t n = 0;
	CU_ASSERT_EQUAL(kvstore_store_count(w.store_rref, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(kvstore_audit_record(w.auditor_rref, n), 0);
	CU_ASSERT_EQUAL(label_of(w.auditor), KVSTORE_TENANTS_BOTTOM);
	CU_ASSERT_EQUAL(kvstore_audit_log_sink.written, written + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(audit_text.text, "entries=1\n"));
	world_down(&w);
}

static int undeclared_declassify(kv_client_ctx *ctx)
{
	(void)ctx;
	return pd_declassify(&kvstore_tenants_lattice, KVSTORE_TENANTS_ALICE, KVSTORE_TENANTS_BOTTOM);
}

static void test_domain_without_rule_cannot_declassify(void)
{
	world w;
	world_up(&w, (kv_options){ 0 }, undeclared_declassify, NULL);
	kvstore_client_run(w.alice_rref);
	CU_ASSERT_EQUAL(w.a.result, -PD_EACCES);
	world_down(&w);
}

/* The paper's aliasing exploit: keep the pointer to a buffer passed by
 * move, let the store write secret data into it, read it back. */
static kvstore_buffer *kept;

static int alice_appends_and_keeps_pointer(kv_client_ctx *ctx)
{
	kvstore_buffer *b = pd_alloc(sizeof(*b), NULL);
	if (b == NULL)
		return -PD_ENOMEM;
	kept = b;
	int rc = kvstore_store_append(ctx->store, &b);
	if (rc < 0)
		return rc;
	if (b != NULL)
		return -1;              /* the proxy must have cleared it */
	/* Reading through the kept pointer: libpd says whose object it is. */
	int err;
	if (pd_owner(kept, &err) == pd_current())
		return -2;
	return 0;
}

static void test_moved_buffer_is_unreachable_from_sender(void)
{
	world w;
	world_up(&w, (kv_options){ 0 }, alice_appends_and_keeps_pointer, NULL);
	CU_ASSERT_EQUAL(kvstore_client_run(w.alice_rref), 0);
	CU_ASSERT_EQUAL(w.a.result, 0);
	int err = 0;
	CU_ASSERT_PTR_EQUAL(pd_owner(kept, &err), w.store);
	world_down(&w);
}

static int bob_ran;

static int bob_marks_run(kv_client_ctx *ctx)
{
	(void)ctx;
	bob_ran = 1;
	return 0;
}

static void test_call_above_clearance_is_refused_before_data_moves(void)
{
	world w;
	world_up(&w, (kv_options){ 0 }, alice_puts_secret, bob_marks_run);
	kvstore_client_run(w.alice_rref);
	/* Trusted code reads the count from the store, which holds {alice}:
	 * its thread label rises to {alice}.  A call from it into bob's client
	 * (clearance {bob}) would lift bob above his clearance. */
	uint64_t n;
	CU_ASSERT_EQUAL(kvstore_store_count(w.store_rref, &n), 0);
	CU_ASSERT_EQUAL(pd_label_current(&kvstore_tenants_lattice), KVSTORE_TENANTS_ALICE);
	bob_ran = 0;
	CU_ASSERT_EQUAL(kvstore_client_run(w.bob_rref), -PD_ELABEL);
	CU_ASSERT_EQUAL(bob_ran, 0);
	CU_ASSERT_EQUAL(label_of(w.bob), KVSTORE_TENANTS_BOTTOM);
	pd_label_reset_outside();
	CU_ASSERT_EQUAL(kvstore_client_run(w.bob_rref), 0);
	CU_ASSERT_EQUAL(bob_ran, 1);
	world_down(&w);
}

static const struct test_case tests[] = {
	TEST(test_store_lattice_obeys_the_laws),
	TEST(test_owner_reads_own_value_and_label_rises),
	TEST(test_correct_store_refuses_other_tenant),
	TEST(test_store_forgetting_reader_check_is_caught_by_labels),
	TEST(test_value_copied_out_before_a_fault_is_wiped),
	TEST(test_store_logging_values_is_refused_at_the_sink_and_counted),
	TEST(test_declassifying_auditor_may_write_counts),
	TEST(test_domain_without_rule_cannot_declassify),
	TEST(test_moved_buffer_is_unreachable_from_sender),
	TEST(test_call_above_clearance_is_refused_before_data_moves),
};

int main(void)
{
	kvstore_audit_log_sink.write = kv_log_write;
	kvstore_audit_log_sink.write_arg = &audit_text;
	return RUN_SUITE("kvstore information flow", tests);
}
