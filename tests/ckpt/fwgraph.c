/*
 * Hand-written stand-in for pdlc's checkpoint output for fwgraph.h: one
 * save, load, free and equal per type, each a plain sequence over the
 * fields in declaration order.  Conventions the emitter follows:
 *  - load fills zeroed memory and stores every allocation into the value
 *    at once, so free can walk whatever a failed load built;
 *  - errors are sticky in the reader, so load returns at the first one;
 *  - every nested object's body is read between pd_ckpt_enter/leave;
 *  - a kind's destructor frees the object's fields, so pd_free of an own
 *    child and the last pd_shared_release of a shared one free deeply.
 */
#include "fwgraph.h"

static void fw_rule_destroy(void *obj) { fw_rule_free(obj); }
static void fw_trie_node_destroy(void *obj) { fw_trie_node_free(obj); }
static void fw_ring_destroy(void *obj) { fw_ring_free(obj); }

const pd_kind fw_rule_kind = { .name = "fw.rule", .destroy = fw_rule_destroy };
const pd_kind fw_trie_node_kind = { .name = "fw.trie_node", .destroy = fw_trie_node_destroy };
const pd_kind fw_ring_kind = { .name = "fw.ring", .destroy = fw_ring_destroy };

/* --- vec<shared rule> -------------------------------------------------- */

static void fw_vec_shared_rule_save(pd_ckpt_writer *w, const fw_vec_shared_rule *v)
{
	pd_ckpt_put_count(w, v->len);
	for (uint32_t i = 0; i < v->len; i++)
		if (pd_ckpt_put_shared(w, v->items[i]))
			fw_rule_save(w, v->items[i]);
}

static int fw_vec_shared_rule_load(pd_ckpt_reader *r, fw_vec_shared_rule *v)
{
	uint32_t n;
	void *o;
	int rc = pd_ckpt_get_count(r, &n, 1);  /* a shared pointer takes at least its tag byte */
	if (rc == 0)
		rc = pd_ckpt_alloc_array(r, n, sizeof(v->items[0]), NULL, &o);
	if (rc < 0)
		return rc;
	v->items = o;
	v->len = v->cap = n;
	for (uint32_t i = 0; i < n; i++) {
		rc = pd_ckpt_get_shared(r, &o, sizeof(fw_rule), &fw_rule_kind, FW_RULE_TAG);
		v->items[i] = o;
		if (rc > 0) {
			rc = pd_ckpt_enter(r);
			if (rc == 0)
				rc = fw_rule_load(r, v->items[i]);
			pd_ckpt_leave(r);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void fw_vec_shared_rule_free(fw_vec_shared_rule *v)
{
	for (uint32_t i = 0; i < v->len; i++)
		pd_shared_release(v->items[i]);
	pd_free(v->items);
	v->items = NULL;
	v->len = v->cap = 0;
}

static bool fw_vec_shared_rule_equal(pd_eq_ctx *c, const fw_vec_shared_rule *a,
                                     const fw_vec_shared_rule *b)
{
	if (a->len != b->len)
		return false;
	for (uint32_t i = 0; i < a->len; i++)
		switch (pd_eq_shared(c, a->items[i], b->items[i])) {
		case -1:
			return false;
		case 1:
			if (!fw_rule_equal(c, a->items[i], b->items[i]))
				return false;
		}
	return true;
}

/* --- rule -------------------------------------------------------------- */

void fw_rule_save(pd_ckpt_writer *w, const fw_rule *p)
{
	pd_ckpt_put_u32(w, p->src_prefix);
	pd_ckpt_put_u8(w, p->src_len);
	pd_ckpt_put_u32(w, p->dst_prefix);
	pd_ckpt_put_u8(w, p->dst_len);
	pd_ckpt_put_u16(w, p->dst_port_lo);
	pd_ckpt_put_u16(w, p->dst_port_hi);
	pd_ckpt_put_u8(w, p->proto);
	pd_ckpt_put_bool(w, p->allow);
	pd_ckpt_put_u64(w, p->hits);
	pd_ckpt_put_f64(w, p->weight);
	pd_ckpt_put_bytes(w, p->name.data, p->name.len);
}

int fw_rule_load(pd_ckpt_reader *r, fw_rule *p)
{
	pd_ckpt_get_u32(r, &p->src_prefix);
	pd_ckpt_get_u8(r, &p->src_len);
	pd_ckpt_get_u32(r, &p->dst_prefix);
	pd_ckpt_get_u8(r, &p->dst_len);
	pd_ckpt_get_u16(r, &p->dst_port_lo);
	pd_ckpt_get_u16(r, &p->dst_port_hi);
	pd_ckpt_get_u8(r, &p->proto);
	pd_ckpt_get_bool(r, &p->allow);
	pd_ckpt_get_u64(r, &p->hits);
	pd_ckpt_get_f64(r, &p->weight);
	return pd_ckpt_get_bytes(r, &p->name);  /* sticky: reports the first failure above too */
}

void fw_rule_free(fw_rule *p)
{
	pd_free(p->name.data);
	p->name.data = NULL;
	p->name.len = 0;
}

bool fw_rule_equal(pd_eq_ctx *c, const fw_rule *a, const fw_rule *b)
{
	(void)c;
	return a->src_prefix == b->src_prefix && a->src_len == b->src_len &&
	       a->dst_prefix == b->dst_prefix && a->dst_len == b->dst_len &&
	       a->dst_port_lo == b->dst_port_lo && a->dst_port_hi == b->dst_port_hi &&
	       a->proto == b->proto && a->allow == b->allow && a->hits == b->hits &&
	       memcmp(&a->weight, &b->weight, sizeof(a->weight)) == 0 &&
	       a->name.len == b->name.len &&
	       (a->name.len == 0 || memcmp(a->name.data, b->name.data, a->name.len) == 0);
}

/* --- trie_node --------------------------------------------------------- */

void fw_trie_node_save(pd_ckpt_writer *w, const fw_trie_node *p)
{
	pd_ckpt_put_present(w, p->zero != NULL);
	if (p->zero)
		fw_trie_node_save(w, p->zero);
	pd_ckpt_put_present(w, p->one != NULL);
	if (p->one)
		fw_trie_node_save(w, p->one);
	fw_vec_shared_rule_save(w, &p->rules);
}

/* An `own T?` field: presence, then a new object and its body. */
static int fw_trie_node_load_own(pd_ckpt_reader *r, fw_trie_node **field)
{
	bool present;
	void *o;
	int rc = pd_ckpt_get_present(r, &present);
	if (rc < 0 || !present)
		return rc;
	rc = pd_ckpt_alloc(r, sizeof(fw_trie_node), &fw_trie_node_kind, &o);
	if (rc < 0)
		return rc;
	*field = o;
	rc = pd_ckpt_enter(r);
	if (rc == 0)
		rc = fw_trie_node_load(r, *field);
	pd_ckpt_leave(r);
	return rc;
}

int fw_trie_node_load(pd_ckpt_reader *r, fw_trie_node *p)
{
	int rc = fw_trie_node_load_own(r, &p->zero);
	if (rc == 0)
		rc = fw_trie_node_load_own(r, &p->one);
	if (rc == 0)
		rc = fw_vec_shared_rule_load(r, &p->rules);
	return rc;
}

void fw_trie_node_free(fw_trie_node *p)
{
	pd_free(p->zero);
	pd_free(p->one);
	p->zero = p->one = NULL;
	fw_vec_shared_rule_free(&p->rules);
}

bool fw_trie_node_equal(pd_eq_ctx *c, const fw_trie_node *a, const fw_trie_node *b)
{
	if ((a->zero == NULL) != (b->zero == NULL) || (a->one == NULL) != (b->one == NULL))
		return false;
	if (a->zero && !fw_trie_node_equal(c, a->zero, b->zero))
		return false;
	if (a->one && !fw_trie_node_equal(c, a->one, b->one))
		return false;
	return fw_vec_shared_rule_equal(c, &a->rules, &b->rules);
}

/* --- ruleset ----------------------------------------------------------- */

void fw_ruleset_save(pd_ckpt_writer *w, const fw_ruleset *p)
{
	fw_trie_node_save(w, p->root);  /* own, never NULL: no presence byte */
	fw_vec_shared_rule_save(w, &p->all);
	pd_ckpt_put_u64(w, p->generation);
}

int fw_ruleset_load(pd_ckpt_reader *r, fw_ruleset *p)
{
	void *o;
	int rc = pd_ckpt_alloc(r, sizeof(fw_trie_node), &fw_trie_node_kind, &o);
	if (rc < 0)
		return rc;
	p->root = o;
	rc = pd_ckpt_enter(r);
	if (rc == 0)
		rc = fw_trie_node_load(r, p->root);
	pd_ckpt_leave(r);
	if (rc == 0)
		rc = fw_vec_shared_rule_load(r, &p->all);
	if (rc == 0)
		rc = pd_ckpt_get_u64(r, &p->generation);
	return rc;
}

void fw_ruleset_free(fw_ruleset *p)
{
	pd_free(p->root);
	p->root = NULL;
	fw_vec_shared_rule_free(&p->all);
}

bool fw_ruleset_equal(pd_eq_ctx *c, const fw_ruleset *a, const fw_ruleset *b)
{
	return fw_trie_node_equal(c, a->root, b->root) && fw_vec_shared_rule_equal(c, &a->all, &b->all) &&
	       a->generation == b->generation;
}

/* --- ring (a shared cycle) --------------------------------------------- */

void fw_ring_save(pd_ckpt_writer *w, const fw_ring *p)
{
	pd_ckpt_put_i32(w, p->value);
	if (pd_ckpt_put_shared(w, p->next))
		fw_ring_save(w, p->next);
	if (pd_ckpt_put_shared(w, p->rule))
		fw_rule_save(w, p->rule);
}

int fw_ring_load(pd_ckpt_reader *r, fw_ring *p)
{
	void *o;
	int rc = pd_ckpt_get_i32(r, &p->value);
	if (rc < 0)
		return rc;
	rc = pd_ckpt_get_shared(r, &o, sizeof(fw_ring), &fw_ring_kind, FW_RING_TAG);
	p->next = o;
	if (rc > 0) {
		rc = pd_ckpt_enter(r);
		if (rc == 0)
			rc = fw_ring_load(r, p->next);
		pd_ckpt_leave(r);
	}
	if (rc < 0)
		return rc;
	rc = pd_ckpt_get_shared(r, &o, sizeof(fw_rule), &fw_rule_kind, FW_RULE_TAG);
	p->rule = o;
	if (rc > 0) {
		rc = pd_ckpt_enter(r);
		if (rc == 0)
			rc = fw_rule_load(r, p->rule);
		pd_ckpt_leave(r);
	}
	return rc < 0 ? rc : 0;
}

void fw_ring_free(fw_ring *p)
{
	pd_shared_release(p->next);
	pd_shared_release(p->rule);
	p->next = NULL;
	p->rule = NULL;
}

bool fw_ring_equal(pd_eq_ctx *c, const fw_ring *a, const fw_ring *b)
{
	if (a->value != b->value)
		return false;
	switch (pd_eq_shared(c, a->next, b->next)) {
	case -1:
		return false;
	case 1:
		if (!fw_ring_equal(c, a->next, b->next))
			return false;
	}
	switch (pd_eq_shared(c, a->rule, b->rule)) {
	case -1:
		return false;
	case 1:
		if (!fw_rule_equal(c, a->rule, b->rule))
			return false;
	}
	return true;
}

void fw_ringset_save(pd_ckpt_writer *w, const fw_ringset *p)
{
	if (pd_ckpt_put_shared(w, p->head))
		fw_ring_save(w, p->head);
}

int fw_ringset_load(pd_ckpt_reader *r, fw_ringset *p)
{
	void *o;
	int rc = pd_ckpt_get_shared(r, &o, sizeof(fw_ring), &fw_ring_kind, FW_RING_TAG);
	p->head = o;
	if (rc > 0) {
		rc = pd_ckpt_enter(r);
		if (rc == 0)
			rc = fw_ring_load(r, p->head);
		pd_ckpt_leave(r);
	}
	return rc < 0 ? rc : 0;
}

void fw_ringset_free(fw_ringset *p)
{
	pd_shared_release(p->head);
	p->head = NULL;
}

bool fw_ringset_equal(pd_eq_ctx *c, const fw_ringset *a, const fw_ringset *b)
{
	switch (pd_eq_shared(c, a->head, b->head)) {
	case -1:
		return false;
	case 1:
		return fw_ring_equal(c, a->head, b->head);
	}
	return true;
}

/* --- root entry points ------------------------------------------------- */

int fw_ruleset_save_image(const fw_ruleset *p, void **image, size_t *len)
{
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	fw_ruleset_save(&w, p);
	return pd_ckpt_finish(&w, FW_RULESET_FINGERPRINT, image, len);
}

int fw_ruleset_load_image(const void *image, size_t len, const pd_ckpt_limits *limits,
                          fw_ruleset *out, pd_ckpt_reader *r)
{
	pd_ckpt_reader local;
	if (r == NULL)
		r = &local;
	memset(out, 0, sizeof(*out));
	int rc = pd_ckpt_reader_init(r, image, len, FW_RULESET_FINGERPRINT, limits);
	if (rc == 0)
		rc = fw_ruleset_load(r, out);
	if (rc == 0)
		rc = pd_ckpt_reader_finish(r);
	if (rc < 0) {
		fw_ruleset_free(out);
		pd_ckpt_reader_abort(r);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

bool fw_ruleset_equal_root(const fw_ruleset *a, const fw_ruleset *b)
{
	pd_eq_ctx c;
	pd_eq_init(&c);
	return fw_ruleset_equal(&c, a, b);
}

int fw_ringset_save_image(const fw_ringset *p, void **image, size_t *len)
{
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	fw_ringset_save(&w, p);
	return pd_ckpt_finish(&w, FW_RINGSET_FINGERPRINT, image, len);
}

int fw_ringset_load_image(const void *image, size_t len, const pd_ckpt_limits *limits,
                          fw_ringset *out, pd_ckpt_reader *r)
{
	pd_ckpt_reader local;
	if (r == NULL)
		r = &local;
	memset(out, 0, sizeof(*out));
	int rc = pd_ckpt_reader_init(r, image, len, FW_RINGSET_FINGERPRINT, limits);
	if (rc == 0)
		rc = fw_ringset_load(r, out);
	if (rc == 0)
		rc = pd_ckpt_reader_finish(r);
	if (rc < 0) {
		fw_ringset_free(out);
		pd_ckpt_reader_abort(r);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

bool fw_ringset_equal_root(const fw_ringset *a, const fw_ringset *b)
{
	pd_eq_ctx c;
	pd_eq_init(&c);
	return fw_ringset_equal(&c, a, b);
}
