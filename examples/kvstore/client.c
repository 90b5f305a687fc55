/*
 * client.c - the tenants' client domains, and helpers for their scenarios.
 */
#include <string.h>

#include "kvstore.h"

static int client_run(void *self)
{
	kv_client_ctx *ctx = self;
	ctx->result = ctx->scenario ? ctx->scenario(ctx) : 0;
	return 0;
}

static const kvstore_client_ops client_ops = { .run = client_run };

/* The context lives outside the domain (the program's), so recovery keeps it. */
static int client_init(void *arg)
{
	kvstore_client_rref r;
	return kvstore_client_export(&client_ops, arg, NULL, NULL, &r);
}

int kvstore_alice_client_init(void *arg)
{
	return client_init(arg);
}

int kvstore_bob_client_init(void *arg)
{
	return client_init(arg);
}

int kv_put_string(kvstore_store_rref store, const char *key, const char *value, pd_label label)
{
	pd_bytes k = { (uint8_t *)key, (uint32_t)strlen(key) };
	kvstore_labeled_bytes v = { { (uint8_t *)value, (uint32_t)strlen(value) }, label };
	return kvstore_store_put(store, &k, &v);
}

int kv_get_string(kvstore_store_rref store, const char *key, pd_label reader, char *out, size_t cap,
                  pd_label *label)
{
	pd_bytes k = { (uint8_t *)key, (uint32_t)strlen(key) };
	kvstore_labeled_bytes v = { { (uint8_t *)out, (uint32_t)(cap ? cap - 1 : 0) }, 0 };
	int rc = kvstore_store_get(store, &k, reader, &v);
	if (cap)
		out[rc >= 0 ? v.value.len : 0] = '\0';
	if (label)
		*label = v.label;
	return rc;
}

int kv_log_write(void *arg, const void *data, size_t len)
{
	kv_log *log = arg;
	if (log->len + len >= sizeof(log->text))
		return -PD_ENOMEM;
	memcpy(log->text + log->len, data, len);
	log->len += len;
	log->text[log->len] = '\0';
	return (int)len;
}
