/*
 * kvstore.h - the secure key-value store's stage code, shared by the demo
 * program (main.c) and the tests (tests/ifc/test_kvstore.c).
 *
 * Four kinds of domain, declared in idl/kvstore.pdl: the store, the
 * auditor, and one client per tenant.  A client runs a scenario (a C
 * function the program chooses) inside its own domain, so that everything
 * the scenario does through the store's rref carries the client's label.
 */
#ifndef KVSTORE_H
#define KVSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include "kvstore.pdl.h"

/* What the store's init is given: which seeded bug, if any, to carry. */
typedef struct kv_options {
	bool forget_reader_check;       /* get returns values whatever the reader */
	bool log_values;                /* put writes values to the audit log */
	bool crash_after_copy;          /* get copies the value out, then faults */
} kv_options;

typedef struct kv_client_ctx kv_client_ctx;
typedef int (*kv_scenario)(kv_client_ctx *ctx);

/* What a client's init is given; the same context serves every run. */
struct kv_client_ctx {
	kvstore_store_rref store;       /* the store's exported rref */
	pd_label clearance;             /* the client's own, passed to get */
	kv_scenario scenario;           /* what run() does, inside the client */
	void *arg;                      /* for the scenario */
	int result;                     /* what the scenario returned */
};

/* The store's ops table, for tests that export a store by hand. */
extern const kvstore_store_ops kv_store_ops;

/* Helpers for scenarios: put and get a string value. */
int kv_put_string(kvstore_store_rref store, const char *key, const char *value, pd_label label);
int kv_get_string(kvstore_store_rref store, const char *key, pd_label reader, char *out, size_t cap,
                  pd_label *label);

/* A sink writer that appends lines to a buffer (arg: a kv_log). */
typedef struct kv_log {
	char text[4096];
	size_t len;
} kv_log;
int kv_log_write(void *arg, const void *data, size_t len);

#endif /* KVSTORE_H */
