/*
 * main.c - build/examples/kvstore: the secure store in action.
 *
 * Alice stores a secret; Bob tries to read it from a correct store and from
 * one whose C code forgets to check; the auditor writes the entry count to
 * the public log; a buggy store tries to log values there.  Each step
 * prints what happened and why.
 */
#include <stdio.h>
#include <string.h>

#include "kvstore.h"

static kv_log audit_text;

static int alice_puts(kv_client_ctx *ctx)
{
	return kv_put_string(ctx->store, "diary", "alice's secret", KVSTORE_TENANTS_ALICE);
}

static int bob_reads(kv_client_ctx *ctx)
{
	char buf[64];
	int rc = kv_get_string(ctx->store, "diary", ctx->clearance, buf, sizeof(buf), NULL);
	printf("  bob's get: %s%s%s\n", rc < 0 ? pd_strerror(rc) : "read '", rc < 0 ? "" : buf,
	       rc < 0 ? "" : "'");
	return rc;
}

/* The handle of the object domain d exported first (this program manages d). */
static pd_rref first_export(pd_domain *d)
{
	pd_rref r = PD_RREF_NULL;
	pd_domain_export_rref(d, 0, &r);
	return r;
}

static int run_store(const char *title, kv_options opts)
{
	pd_domain *store, *alice, *bob, *auditor;
	kv_client_ctx a = { .clearance = KVSTORE_TENANTS_ALICE, .scenario = alice_puts };
	kv_client_ctx b = { .clearance = KVSTORE_TENANTS_BOB, .scenario = bob_reads };
	pd_domain_spec kv = kvstore_kv_domain, ac = kvstore_alice_client_domain,
	               bc = kvstore_bob_client_domain;
	kv.arg = &opts;
	ac.arg = &a;
	bc.arg = &b;
	printf("%s\n", title);
	int rc = pd_domain_create(&kv, &store);
	if (rc == 0)
		rc = kvstore_store_from_rref(first_export(store), &a.store);
	b.store = a.store;
	if (rc == 0)
		rc = pd_domain_create(&ac, &alice);
	if (rc == 0)
		rc = pd_domain_create(&bc, &bob);
	if (rc == 0)
		rc = pd_domain_create(&kvstore_auditor_domain, &auditor);
	if (rc < 0) {
		fprintf(stderr, "kvstore: cannot set up domains: %s\n", pd_strerror(rc));
		return 1;
	}
	kvstore_client_rref alice_rref, bob_rref;
	kvstore_audit_rref auditor_rref;
	if (kvstore_client_from_rref(first_export(alice), &alice_rref) < 0 ||
	    kvstore_client_from_rref(first_export(bob), &bob_rref) < 0 ||
	    kvstore_audit_from_rref(first_export(auditor), &auditor_rref) < 0) {
		fprintf(stderr, "kvstore: a domain exported no handle of its interface\n");
		return 1;
	}

	uint64_t refused_before = kvstore_audit_log_sink.refused;
	kvstore_client_run(alice_rref);
	printf("  alice put 'diary' labelled {alice}: %s\n", a.result < 0 ? pd_strerror(a.result) : "ok");
	/* This program ran alice's request and now runs bob's: what it carried
	 * from alice's must not count against bob. */
	pd_label_reset_outside();
	int brc = kvstore_client_run(bob_rref);
	if (brc < 0)
		printf("  bob's run: %s\n", pd_strerror(brc));
	uint64_t n = 0;
	pd_label_reset_outside();
	kvstore_store_count(a.store, &n);
	int arc = kvstore_audit_record(auditor_rref, n);
	printf("  auditor logged the count: %s\n", arc < 0 ? pd_strerror(arc) : "ok");
	printf("  audit log refusals: %llu\n",
	       (unsigned long long)(kvstore_audit_log_sink.refused - refused_before));
	pd_domain_destroy(auditor);
	pd_domain_destroy(bob);
	pd_domain_destroy(alice);
	pd_domain_destroy(store);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		bool help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");
		fprintf(help ? stdout : stderr,
			"usage: %s\n"
			"Runs the secure key-value store's scenarios (no options, no DPDK):\n"
			"alice stores a secret; bob reads it from a correct store and from one\n"
			"that forgets to check; a buggy store tries to log values to the\n"
			"public audit log.  Each step prints what happened and why.\n", argv[0]);
		if (!help)
			fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], argv[1]);
		return help ? 0 : 2;
	}
	kvstore_audit_log_sink.write = kv_log_write;
	kvstore_audit_log_sink.write_arg = &audit_text;
	int rc = run_store("A correct store:", (kv_options){ 0 });
	rc |= run_store("A store that forgets to check the reader:",
	                (kv_options){ .forget_reader_check = true });
	rc |= run_store("A store that writes values to the public audit log:",
	                (kv_options){ .log_values = true });
	printf("The public audit log holds:\n%s", audit_text.text);
	return rc;
}
