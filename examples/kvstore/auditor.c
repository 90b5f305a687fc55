/*
 * auditor.c - the auditor domain: learns counts at any label, lowers them
 * to public (the one declassification its declaration allows) and writes
 * them to the public audit log.
 */
#include <stdio.h>

#include "kvstore.h"

static int auditor_record(void *self, uint64_t entries)
{
	(void)self;
	int rc = pd_declassify(&kvstore_tenants_lattice, KVSTORE_TENANTS_TOP, KVSTORE_TENANTS_BOTTOM);
	if (rc < 0)
		return rc;
	char line[64];
	int n = snprintf(line, sizeof(line), "entries=%llu\n", (unsigned long long)entries);
	rc = pd_sink_write(&kvstore_audit_log_sink, KVSTORE_TENANTS_BOTTOM, line, (size_t)n);
	return rc < 0 ? rc : 0;
}

static const kvstore_audit_ops auditor_ops = { .record = auditor_record };

int kvstore_auditor_init(void *arg)
{
	(void)arg;
	kvstore_audit_rref r;
	return kvstore_audit_export(&auditor_ops, NULL, NULL, NULL, &r);
}
