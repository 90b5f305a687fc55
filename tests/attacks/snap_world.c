/*
 * snap_world.c - the stage code of tests/attacks/snap_attacks.pdl.  It
 * writes its state the way docs/checkpoint-format.md asks of a stage with
 * `checkpoint incremental` - pd_touch before every write to an object of
 * the checkpoint - and otherwise does what careless stage code does: kinds
 * of its own whose destructors write the state or fault, a payload freed
 * before its replacement is allocated, pd_touch on a pointer it was given.
 * No wild writes: generated proxies and libpd's public API only.
 */
#include <string.h>

#include "snap_attacks.pdl.h"

static int set(void *self, uint64_t n)
{
	sa_box *s = self;
	pd_touch(s);
	s->n = n;
	return 0;
}

static int put(void *self, const sa_labeled_u64 *v)
{
	sa_box *s = self;
	pd_touch(s);
	s->secret = *v;
	return 0;
}

static int churn(void *self, uint32_t n)
{
	(void)self;
	for (uint32_t i = 0; i < n; i++) {
		sa_cell *c = pd_alloc(sizeof *c, &sa_cell_kind);
		if (c == NULL)
			return -PD_ENOMEM;
		pd_free(c);             /* born and gone in the same epoch */
	}
	return 0;
}

static int spawn(void *self, uint32_t n)
{
	(void)self;
	for (uint32_t i = 0; i < n; i++)
		if (pd_alloc(16, NULL) == NULL)
			return -PD_ENOMEM;
	return 0;
}

/* A session-like object: its destructor keeps a count in the state up to
 * date, touching the state first as the stage is told to. */
struct scribbler {
	sa_box *box;
};

static void scribbler_destroy(void *obj)
{
	struct scribbler *sc = obj;
	pd_touch(sc->box);
	sc->box->n += 1000;
}

static const pd_kind scribbler_kind = { .name = "sa.scribbler", .destroy = scribbler_destroy };

static int spawn_scribblers_then_crash(void *self, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		struct scribbler *sc = pd_alloc(sizeof *sc, &scribbler_kind);
		if (sc == NULL)
			return -PD_ENOMEM;
		sc->box = self;
	}
	pd_panic("spawned %u scribblers, now a fault", n);
	return 0;
}

/* An object whose destructor faults.  Only the vault domain of a test uses
 * it (a static of this file, not shared state of two domains). */
static void *armed;

static void faulting_destroy(void *obj)
{
	(void)obj;
	pd_panic("a destructor that faults");
}

static const pd_kind faulting_kind = { .name = "sa.faulting", .destroy = faulting_destroy };

static int arm_faulting_free(void *self)
{
	(void)self;
	armed = pd_alloc(16, &faulting_kind);
	return armed ? 0 : -PD_ENOMEM;
}

static int free_armed(void *self)
{
	(void)self;
	int rc = pd_free(armed);
	armed = NULL;
	return rc;
}

static int replace_payload(void *self, uint32_t size)
{
	sa_box *s = self;
	pd_touch(s);
	pd_free(s->payload.data);               /* first: the old one is not needed */
	s->payload.data = NULL;
	s->payload.len = 0;
	if ((s->payload.data = pd_alloc(size, NULL)) == NULL)
		return -PD_ENOMEM;
	memset(s->payload.data, 0x5a, size);
	s->payload.len = size;
	return 0;
}

static int crash(void *self)
{
	(void)self;
	pd_panic("crash on request");
	return 0;
}

static int touch_addr(void *self, uint64_t addr)
{
	(void)self;
	pd_touch((const void *)(uintptr_t)addr);     /* a read at most: no write */
	return 0;
}

static int touch_payload_range(void *self, uint64_t off, uint64_t len)
{
	sa_box *s = self;
	const char *p = (const char *)s->payload.data + off;
	pd_touch_range(s->payload.data, p, (size_t)len);
	return 0;
}

static int scribble_payload(void *self, uint64_t off, uint32_t v)
{
	sa_box *s = self;
	if (off >= s->payload.len)
		return -PD_EINVAL;
	pd_touch_range(s->payload.data, s->payload.data + off, 1);
	s->payload.data[off] = (uint8_t)v;
	return 0;
}

static int make(void *self, uint32_t len, sa_blob **result)
{
	(void)self;
	sa_blob *b = pd_alloc(sizeof *b, &sa_blob_kind);
	if (b == NULL)
		return -PD_ENOMEM;
	if (len && (b->data.data = pd_alloc(len, NULL)) == NULL) {
		pd_free(b);
		return -PD_ENOMEM;
	}
	if (len)
		memset(b->data.data, 0xab, len);
	b->data.len = len;
	*result = b;
	return 0;
}

static int take(void *self, sa_blob *b)
{
	sa_box *s = self;
	pd_touch(s);
	pd_free(s->held);
	s->held = b;
	return 0;
}

static int give_held(void *self, sa_blob **result)
{
	sa_box *s = self;
	if (s->held == NULL)
		return -PD_EINVAL;
	pd_touch(s);
	*result = s->held;
	s->held = NULL;
	return 0;
}

static int held_len(void *self, uint64_t *result)
{
	const sa_box *s = self;
	*result = s->held ? s->held->data.len : UINT64_MAX;
	return 0;
}

static int get(void *self, uint64_t *result)
{
	*result = ((const sa_box *)self)->n;
	return 0;
}

static const sa_safe_ops safe_ops = {
	.set = set,
	.put = put,
	.churn = churn,
	.spawn = spawn,
	.spawn_scribblers_then_crash = spawn_scribblers_then_crash,
	.arm_faulting_free = arm_faulting_free,
	.free_armed = free_armed,
	.replace_payload = replace_payload,
	.crash = crash,
	.touch_addr = touch_addr,
	.touch_payload_range = touch_payload_range,
	.scribble_payload = scribble_payload,
	.make = make,
	.take = take,
	.give_held = give_held,
	.held_len = held_len,
	.get = get,
};

static int box_init(void)
{
	sa_box *s = pd_alloc(sizeof *s, &sa_box_kind);
	if (s == NULL)
		return -PD_ENOMEM;
	sa_safe_rref r;
	return sa_safe_export(&safe_ops, s, NULL, NULL, &r);
}

int sa_vault_init(void *arg)
{
	(void)arg;
	return box_init();
}

int sa_other_init(void *arg)
{
	(void)arg;
	return box_init();
}

int sa_vault_full_init(void *arg)
{
	(void)arg;
	return box_init();
}

/* ---- a manager and its incremental child ---- */

typedef struct boss_state {
	pd_domain *child;
} boss_state;

static int spawn_child(void *self)
{
	boss_state *s = self;
	return pd_domain_create(&sa_kid_domain, &s->child);
}

/* Gives the child back its own last image, as a manager that rolls a child
 * back to a known state would. */
static int reset_child_image(void *self)
{
	boss_state *s = self;
	const void *img;
	size_t len;
	int rc = pd_domain_checkpoint_image(s->child, &img, &len);
	if (rc < 0)
		return rc;
	if (img == NULL)
		return -PD_EINVAL;
	return pd_domain_set_checkpoint_image(s->child, img, len);
}

static const sa_boss_ops boss_ops = {
	.spawn_child = spawn_child,
	.reset_child_image = reset_child_image,
};

int sa_boss_d_init(void *arg)
{
	(void)arg;
	boss_state *s = pd_alloc(sizeof *s, NULL);
	if (s == NULL)
		return -PD_ENOMEM;
	sa_boss_rref r;
	return sa_boss_export(&boss_ops, s, NULL, NULL, &r);
}

/* The child's object whose destructor faults (only the kid uses it). */
static void *kid_armed;

static int kid_arm(void *self)
{
	(void)self;
	kid_armed = pd_alloc(16, &faulting_kind);
	return kid_armed ? 0 : -PD_ENOMEM;
}

static int kid_free_then_call(void *self, sa_boss_rref b)
{
	sa_box *s = self;
	pd_free(kid_armed);             /* deferred to the commit */
	kid_armed = NULL;
	int rc = sa_boss_reset_child_image(b);
	/* still running: its state is what it writes next */
	pd_touch(s);
	s->n = 77;
	return rc;
}

static int kid_get(void *self, uint64_t *result)
{
	*result = ((const sa_box *)self)->n;
	return 0;
}

static const sa_kid_i_ops kid_ops = {
	.arm = kid_arm,
	.free_then_call = kid_free_then_call,
	.get = kid_get,
};

int sa_kid_init(void *arg)
{
	(void)arg;
	sa_box *s = pd_alloc(sizeof *s, &sa_box_kind);
	if (s == NULL)
		return -PD_ENOMEM;
	sa_kid_i_rref r;
	return sa_kid_i_export(&kid_ops, s, NULL, NULL, &r);
}
