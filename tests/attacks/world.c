/*
 * world.c - the domain code of tests/attacks/attacks.pdl (see world.h).
 * The attacks live here as ordinary domain code: what it may do is what
 * the generated proxies and libpd's public headers let it do.
 */
#include "world.h"

#include <CUnit/CUnit.h>
#include <string.h>

#include <xxhash.h>

unsigned logged;
uint64_t last_logged;

static int log_write(void *arg, const void *data, size_t len)
{
	(void)arg;
	uint64_t v = 0;
	memcpy(&v, data, len < sizeof(v) ? len : sizeof(v));
	__atomic_store_n(&last_logged, v, __ATOMIC_RELAXED);
	__atomic_add_fetch(&logged, 1, __ATOMIC_RELAXED);
	return (int)len;
}

void world_reset_log(void)
{
	attacks_public_log_sink.write = log_write;
	logged = 0;
	last_logged = 0;
}

static int log_u64(uint64_t v)
{
	return pd_sink_write(&attacks_public_log_sink, ATTACKS_CONF_PUBLIC, &v, sizeof(v));
}

/* ---- kinds a domain defines for its own objects ---- */

const char *victim_name;
int dtor_rc[3];

/* Destructors are documented as trusted code and run outside any domain;
 * any domain may name one in pd_alloc. */
static void leaky_destroy(void *obj)
{
	pd_label_reset_outside();
	dtor_rc[0] = pd_sink_write(&attacks_public_log_sink, ATTACKS_CONF_PUBLIC, obj, sizeof(uint64_t));
}

static pd_domain *find_victim(void)
{
	for (uint32_t id = 1; id < PD_MAX_DOMAINS; id++) {
		pd_domain *d = pd_domain_lookup(id);
		if (d && victim_name && strcmp(pd_domain_name(d), victim_name) == 0)
			return d;
	}
	return NULL;
}

static void killer_destroy(void *obj)
{
	(void)obj;
	pd_domain *v = find_victim();
	pd_rref r;
	dtor_rc[0] = pd_domain_export_rref(v, 0, &r);
	dtor_rc[1] = pd_domain_destroy(v);
}

static void reviver_destroy(void *obj)
{
	(void)obj;
	pd_domain_stats st;
	pd_domain *v = find_victim();
	dtor_rc[0] = pd_domain_get_stats(v, &st);
	dtor_rc[1] = pd_domain_recover(v);
}

static void panicky_destroy(void *obj)
{
	(void)obj;
	pd_panic("a destructor the domain wrote");
}

static void reenter_destroy(void *obj)
{
	(void)obj;
	uint64_t busy = 0;
	dtor_rc[0] = attacks_node_act(w.relay_h, N_PROBE, &busy);
	dtor_rc[1] = (int)busy;
}

static const pd_kind reenter_kind = { .name = "reenter", .destroy = reenter_destroy };
static const pd_kind leaky_kind = { .name = "leaky", .destroy = leaky_destroy };
static const pd_kind killer_kind = { .name = "killer", .destroy = killer_destroy };
static const pd_kind reviver_kind = { .name = "reviver", .destroy = reviver_destroy };
static const pd_kind panicky_kind = { .name = "panicky", .destroy = panicky_destroy };

/* ---- the pet ---- */

static int pet_poke(void *self, uint32_t what, uint64_t *result)
{
	attacks_notes *n = self;
	*result = 0;
	switch (what) {
	case P_GET:
		*result = n->n;
		return 0;
	case P_EMIT:
		return log_u64(n->n);
	case P_CRASH:
		pd_panic("pet: poked to crash");
	}
	return -PD_EINVAL;
}

static const attacks_pet_ops pet_ops = { .poke = pet_poke };

int attacks_pet_d_init(void *arg)
{
	(void)arg;
	attacks_notes *n = pd_alloc(sizeof(*n), NULL);
	if (n == NULL)
		return -PD_ENOMEM;
	attacks_pet_rref r;
	return attacks_pet_export(&pet_ops, n, NULL, NULL, &r);
}

/* ---- the vault ---- */

static int with_kind(const pd_kind *k, uint64_t key)
{
	uint64_t *o = pd_alloc(sizeof(*o), k);
	if (o == NULL)
		return -PD_ENOMEM;
	*o = key;
	pd_panic("vault: a fault, so that the sweep runs the destructor");
}

static int vault_answer(void *self, uint32_t how, uint64_t *result)
{
	vault_state *s = self;
	uint64_t key = s->keys.key;
	attacks_pet_rref extra;
	*result = 0;
	switch (how) {
	case V_PLAIN:
		*result = key;
		return 0;
	case V_CHURN:
		for (unsigned i = 0; i < (key & 7); i++)
			if ((s->kept[i] = pd_alloc(16, NULL)) == NULL)
				return -PD_ENOMEM;
		return 0;
	case V_SPAWN:
		return pd_domain_create(&attacks_pet_d_domain, &s->pet);
	case V_KILL_IF_BIT:
		return (key & 1) ? pd_domain_destroy(s->pet) : 0;
	case V_EXPORT_IF_BIT:
		return (key & 1) ? attacks_pet_export(&pet_ops, NULL, NULL, NULL, &extra) : 0;
	case V_DTOR_LEAK:
		return with_kind(&leaky_kind, key);
	case V_DTOR_DESTROY:
		return with_kind(&killer_kind, key);
	case V_DTOR_RECOVER:
		return with_kind(&reviver_kind, key);
	case V_DTOR_PANIC:
		return with_kind(&panicky_kind, key);
	case V_DTOR_REENTER:
		return with_kind(&reenter_kind, key);
	}
	return -PD_EINVAL;
}

static const attacks_vault_ops vault_ops = { .answer = vault_answer };

int attacks_vault_d_init(void *arg)
{
	(void)arg;
	vault_state *s = pd_alloc(sizeof(*s), NULL);
	if (s == NULL)
		return -PD_ENOMEM;
	s->keys.key = 0x5ec2e0;
	attacks_vault_rref r;
	return attacks_vault_export(&vault_ops, s, NULL, NULL, &r);
}

/* ---- the nodes ---- */

static int node_put(void *self, const attacks_labeled_u64 *v)
{
	((node_state *)self)->held = v->value;
	return 0;
}

static int node_put_tenant(void *self, const attacks_labeled_u64 *v)
{
	((node_state *)self)->tenant_held = v->value;
	return 0;
}

/* A child built from a spec the node wrote itself: it may declassify
 * secret -> public and write the public log, which no .pdl declared. */
static int laundry_init(void *arg)
{
	int rc = pd_declassify(&attacks_conf_lattice, ATTACKS_CONF_SECRET, ATTACKS_CONF_PUBLIC);
	dtor_rc[2] = rc;
	(void)log_u64(*(const uint64_t *)arg);
	return 0;
}

static int forge_child(node_state *s)
{
	struct forged {
		pd_domain_spec spec;
		pd_declassify_rule rule;
		pd_sink *sinks[1];
		uint64_t data;
	} *f = pd_alloc(sizeof(*f), NULL);
	if (f == NULL)
		return -PD_ENOMEM;
	f->rule = (pd_declassify_rule){ &attacks_conf_lattice, ATTACKS_CONF_SECRET, ATTACKS_CONF_PUBLIC };
	f->sinks[0] = &attacks_public_log_sink;
	f->data = s->held;
	f->spec = (pd_domain_spec){
		.name = "laundry",
		.init = laundry_init,
		.arg = &f->data,
		.declassify = &f->rule,
		.n_declassify = 1,
		.sinks = f->sinks,
		.n_sinks = 1,
	};
	return pd_domain_create(&f->spec, &s->child);
}

/* An image of notes { n = what put() gave }, its label section bottom:
 * the writer's label field is a public struct member. */
static int forge_image(node_state *s)
{
	attacks_notes n = { .n = s->held };
	pd_ckpt_writer wr;
	void *image;
	size_t len;
	pd_ckpt_writer_init(&wr);
	wr.labels = PD_LABELS_BOTTOM;
	attacks_notes_save(&wr, &n);
	int rc = pd_ckpt_finish(&wr, ATTACKS_NOTES_FINGERPRINT, &image, &len);
	if (rc < 0)
		return rc;
	rc = pd_domain_set_checkpoint_image(s->child, image, len);
	pd_free(image);
	return rc;
}

/* An honest image, then by hand: its label section emptied (count 0, the
 * entries cut out), the header's length and checksum made right again. */
static int forge_image_bytes(node_state *s)
{
	attacks_notes n = { .n = s->held };
	void *image;
	size_t len;
	int rc = attacks_notes_checkpoint(&n, &image, &len);
	if (rc < 0)
		return rc;
	uint8_t *b = image;
	uint32_t count;
	memcpy(&count, b + PD_CKPT_HEADER_SIZE, 4);
	size_t cut = (size_t)count * 12;
	memmove(b + PD_CKPT_HEADER_SIZE + 4, b + PD_CKPT_HEADER_SIZE + 4 + cut,
		len - PD_CKPT_HEADER_SIZE - 4 - cut);
	len -= cut;
	memset(b + PD_CKPT_HEADER_SIZE, 0, 4);
	uint64_t payload = len - PD_CKPT_HEADER_SIZE, sum = XXH3_64bits(b + PD_CKPT_HEADER_SIZE, payload);
	memcpy(b + 16, &payload, 8);
	memcpy(b + 24, &sum, 8);
	rc = pd_domain_set_checkpoint_image(s->child, image, len);
	pd_free(image);
	return rc;
}

static int node_act(void *self, uint32_t what, uint64_t *result)
{
	node_state *s = self;
	pd_domain_stats st;
	*result = 0;
	switch (what) {
	case N_EMIT:
		return log_u64(s->held);
	case N_FORGE_CHILD:
		return forge_child(s);
	case N_SPAWN_PET:
		return pd_domain_create(&attacks_pet_d_domain, &s->child);
	case N_FORGE_IMAGE:
		return forge_image(s);
	case N_FORGE_IMAGE_BYTES:
		return forge_image_bytes(s);
	case N_SPAWN_VAULT:
		return pd_domain_create(&attacks_vault_d_domain, &s->child);
	case N_STATS: {
		int rc = pd_domain_get_stats(s->child, &st);
		return rc < 0 ? rc : log_u64(st.charged_bytes);
	}
	case N_LIVE_OBJECTS:
		return log_u64(pd_heap_live_objects());
	case N_COUNT_DOMAINS: {
		uint64_t n = 0;
		for (uint32_t id = 1; id < PD_MAX_DOMAINS; id++)
			n += pd_domain_lookup(id) != NULL;
		return log_u64(n);
	}
	case N_CALL_VAULT_REENTER: {
		s->busy = 1;
		int rc = attacks_vault_answer(s->vault, V_DTOR_REENTER, result);
		s->busy = 0;
		return rc;
	}
	case N_PROBE:
		*result = (uint64_t)s->busy;
		return 0;
	case N_GENERATION: {
		int rc = attacks_pet_export(&pet_ops, NULL, NULL, NULL, &s->exported);
		return rc < 0 ? rc : log_u64((uint32_t)s->exported.r.v);
	}
	}
	return -PD_EINVAL;
}

static const attacks_node_ops node_ops = {
	.put = node_put,
	.put_tenant = node_put_tenant,
	.act = node_act,
};

static int node_init(void)
{
	node_state *s = pd_alloc(sizeof(*s), NULL);
	if (s == NULL)
		return -PD_ENOMEM;
	attacks_node_rref r;
	return attacks_node_export(&node_ops, s, NULL, NULL, &r);
}

int attacks_relay_init(void *arg) { (void)arg; return node_init(); }
int attacks_pub_init(void *arg) { (void)arg; return node_init(); }

/* ---- the world ---- */

struct world w;

void *world_self_of(pd_domain *d)
{
	pd_rref r;
	const void *ops;
	void *self = NULL;
	if (pd_domain_export_rref(d, 0, &r) == 0)
		(void)pd__rref_target(r, &ops, &self);
	return self;
}

void world_set_key(pd_domain *vault, uint64_t key)
{
	((vault_state *)world_self_of(vault))->keys.key = key;
}

node_state *world_node(pd_domain *d)
{
	return world_self_of(d);
}

pd_label world_conf_of(const pd_domain *d)
{
	pd_labels v = PD_LABELS_INVALID;
	CU_ASSERT_EQUAL(pd_domain_labels(d, &v), 0);
	return pd_labels_get(v, &attacks_conf_lattice);
}

void world_up(void)
{
	pd_label_reset_outside();
	memset(&w, 0, sizeof(w));
	memset(dtor_rc, 0x7f, sizeof(dtor_rc));
	world_reset_log();
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&attacks_vault_d_domain, &w.vault), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&attacks_relay_domain, &w.relay), 0);
	CU_ASSERT_EQUAL_FATAL(pd_domain_create(&attacks_pub_domain, &w.pub), 0);
	CU_ASSERT_EQUAL(attacks_vault_of_domain(w.vault, 0, &w.vault_h), 0);
	CU_ASSERT_EQUAL(attacks_node_of_domain(w.relay, 0, &w.relay_h), 0);
	CU_ASSERT_EQUAL(attacks_node_of_domain(w.pub, 0, &w.pub_h), 0);
}

void world_down(void)
{
	pd_domain *kids[] = {
		w.pub && pd_domain_state(w.pub) == PD_DOMAIN_LIVE ? world_node(w.pub)->child : NULL,
		w.relay && pd_domain_state(w.relay) == PD_DOMAIN_LIVE ? world_node(w.relay)->child : NULL,
		w.vault && pd_domain_state(w.vault) == PD_DOMAIN_LIVE ?
			((vault_state *)world_self_of(w.vault))->pet : NULL,
	};
	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (kids[i] && pd_domain_state(kids[i]) != PD_DOMAIN_FREE)
			(void)pd_domain_destroy(kids[i]);
	pd_domain *all[] = { w.pub, w.relay, w.vault };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i] && pd_domain_state(all[i]) != PD_DOMAIN_FREE)
			(void)pd_domain_destroy(all[i]);
	pd_label_reset_outside();
}
