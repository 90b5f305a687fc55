/*
 * store.c - the store domain: a vector of labelled entries.
 *
 * The store is the one place all tenants' data meets, so it checks the
 * reader's clearance on every get.  Seeded bugs can be switched on through
 * kv_options to show what the generated label checks catch when the C code
 * is wrong: a get that forgets the check, a put that writes values to the
 * public audit log, and a get that faults after copying the value out.
 */
#include <string.h>

#include "kvstore.h"

typedef struct kv_store {
	kvstore_store_state state;
	kv_options options;
} kv_store;

static const pd_kind kv_store_kind = { .name = "kvstore.store" };

/* A copy of SRC in the store's own heap (freed with the domain). */
static int copy_bytes(pd_bytes *dst, const void *src, uint32_t len)
{
	dst->data = len ? pd_alloc(len, NULL) : NULL;
	if (len && dst->data == NULL)
		return -PD_ENOMEM;
	if (len)
		memcpy(dst->data, src, len);
	dst->len = len;
	return 0;
}

static kvstore_entry *find(kv_store *s, const pd_bytes *key)
{
	for (uint32_t i = 0; i < s->state.entries.len; i++) {
		kvstore_entry *e = &s->state.entries.items[i];
		if (e->key.len == key->len && memcmp(e->key.data, key->data, key->len) == 0)
			return e;
	}
	return NULL;
}

static int grow(kvstore_vec_entry *v)
{
	if (v->len < v->cap)
		return 0;
	uint32_t cap = v->cap ? 2 * v->cap : 8;
	kvstore_entry *items = pd_alloc(cap * sizeof(*items), NULL);
	if (items == NULL)
		return -PD_ENOMEM;
	if (v->len)
		memcpy(items, v->items, v->len * sizeof(*items));
	pd_free(v->items);
	v->items = items;
	v->cap = cap;
	return 0;
}

static int store_put(void *self, const pd_bytes *key, const kvstore_labeled_bytes *value)
{
	kv_store *s = self;
	if (s->options.log_values)      /* seeded bug: the sink refuses it */
		pd_sink_write(&kvstore_audit_log_sink, value->label, value->value.data, value->value.len);
	kvstore_entry *e = find(s, key);
	if (e == NULL) {
		int rc = grow(&s->state.entries);
		if (rc < 0)
			return rc;
		e = &s->state.entries.items[s->state.entries.len];
		memset(e, 0, sizeof(*e));
		if ((rc = copy_bytes(&e->key, key->data, key->len)) < 0)
			return rc;
		s->state.entries.len++;
	}
	pd_free(e->value.value.data);
	e->value.label = value->label;
	s->state.puts++;
	return copy_bytes(&e->value.value, value->value.data, value->value.len);
}

static int store_get(void *self, const pd_bytes *key, uint32_t reader_clearance,
                     kvstore_labeled_bytes *result)
{
	kv_store *s = self;
	kvstore_entry *e = find(s, key);
	s->state.gets++;
	if (e == NULL)
		return -PD_EINVAL;
	if (!s->options.forget_reader_check && !kvstore_tenants_leq(e->value.label, reader_clearance)) {
		s->state.refused++;
		return -PD_EACCES;
	}
	uint32_t n = e->value.value.len < result->value.len ? e->value.value.len : result->value.len;
	memcpy(result->value.data, e->value.value.data, n);
	result->value.len = n;
	result->label = e->value.label;
	if (s->options.crash_after_copy)         /* seeded bug: the copy is out, then a fault */
		pd_panic("store crashed after copying '%.*s'", (int)key->len, (const char *)key->data);
	return 0;
}

static int store_count(void *self, uint64_t *result)
{
	*result = ((kv_store *)self)->state.entries.len;
	return 0;
}

/* Keeps the buffer as the journal and writes to it: the store owns it now. */
static int store_append(void *self, kvstore_buffer *b)
{
	kv_store *s = self;
	static const char secret[] = "alice's secret";
	if (s->state.journal)
		pd_free(s->state.journal);
	s->state.journal = b;
	pd_free(b->data.data);
	return copy_bytes(&b->data, secret, sizeof(secret) - 1);
}

const kvstore_store_ops kv_store_ops = {
	.put = store_put,
	.get = store_get,
	.count = store_count,
	.append = store_append,
};

int kvstore_kv_init(void *arg)
{
	kv_store *s = pd_alloc(sizeof(*s), &kv_store_kind);
	if (s == NULL)
		return -PD_ENOMEM;
	if (arg)
		s->options = *(const kv_options *)arg;
	kvstore_store_rref r;
	return kvstore_store_export(&kv_store_ops, s, NULL, NULL, &r);
}
