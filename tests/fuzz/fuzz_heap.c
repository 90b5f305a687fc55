/*
 * fuzz_heap - libFuzzer harness for the heap's entry points (runtime/pd_heap.h,
 * pd_shared.h): the input is a sequence of operations on a small table of
 * pointers - allocations of every size (slab classes and big objects),
 * plain and shared; frees, moves, retains and releases of live objects, of
 * freed ones (double frees, stale releases), of interior pointers, of
 * pointers into memory libpd does not own (a stack buffer, a page with an
 * unmapped neighbour, an unmapped page); objects given to a domain, which
 * the outside may no longer free, retain or release, and which the
 * domain's destruction frees.  The same calls also run inside that domain
 * (pd__run_contained, as a stage's code runs), where the domain's objects
 * are its own and the outside's are not, and a fault inside it frees what
 * it owns.  A model says what each call must return; any other answer, a
 * crash or a leak at the end aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pd.h"
#include "pd_internal.h"
#include "pd_shared.h"

enum { SLOTS = 32 };

struct slot {
	uint8_t *p;          /* NULL: empty */
	uint32_t size;
	uint32_t refs;       /* shared: references held; 0 = freed */
	int shared, live;
	int in_domain;       /* owned by `domain`, not by the outside */
};

static struct slot table[SLOTS];
static const pd_kind kind = { .name = "fuzz.object", .destroy = NULL };

/* The domain objects are given to; made when first needed. */
static pd_domain *domain;

static int empty_init(void *arg)
{
	(void)arg;
	return 0;
}

static const pd_domain_spec domain_spec = { .name = "fuzz.keeper", .init = empty_init };

/* Memory libpd does not own: a page whose predecessor is unmapped, and an
 * unmapped page; made once. */
static uint8_t *lonely, *gone;

static void setup(void)
{
	if (lonely)
		return;
	uint8_t *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		abort();
	munmap(m, 4096);
	munmap(m + 2 * 4096, 4096);
	lonely = m + 4096;
	gone = m + 2 * 4096;
}

static void expect(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_heap: %s\n", what);
		abort();
	}
}

/* A freed object's address may come back from a later allocation: the
 * model forgets the dead entry then, so no call expects it to be dead. */
static void forget_dead_at(const uint8_t *p)
{
	for (int i = 0; i < SLOTS; i++)
		if (table[i].p == p && !table[i].live)
			table[i].p = NULL;
}

static int dead(const struct slot *s)
{
	return s->p && !s->live;
}

/* Where the calls run now: 1 inside `domain` (in_domain_op), 0 outside. */
static int inside;

/* The object belongs to whoever is calling. */
static int mine(const struct slot *s)
{
	return s->in_domain == inside;
}

/* Every entry point refuses a pointer that is not a live libpd object. */
static void refused_everywhere(void *p, const char *what)
{
	int rc = 0;
	if (pd_free(p) != -PD_EINVAL)
		fprintf(stderr, "pd_free(%p)\n", p), expect(0, what);
	if (pd_move(p, NULL) != -PD_EINVAL)
		fprintf(stderr, "pd_move(%p)\n", p), expect(0, what);
	if (pd_owner(p, &rc) != NULL || rc != -PD_EINVAL)
		fprintf(stderr, "pd_owner(%p)\n", p), expect(0, what);
	if (pd_kind_of(p) != NULL)
		fprintf(stderr, "pd_kind_of(%p)\n", p), expect(0, what);
	if (pd_shared_retain(p) != NULL)
		fprintf(stderr, "pd_shared_retain(%p)\n", p), expect(0, what);
	if (pd_shared_release(p) != -PD_EINVAL)
		fprintf(stderr, "pd_shared_release(%p)\n", p), expect(0, what);
	if (pd_shared_refcount(p) != 0)
		fprintf(stderr, "pd_shared_refcount(%p)\n", p), expect(0, what);
}

static void do_alloc(struct slot *s, uint32_t size, int shared)
{
	if (s->p && s->live)
		return;
	uint8_t *p = shared ? pd_shared_alloc(size, &kind) : pd_alloc(size, &kind);
	expect(p != NULL, "allocation failed");
	expect(((uintptr_t)p & 15) == 0, "misaligned object");
	for (uint32_t i = 0; i < size; i++)
		expect(p[i] == 0, "allocation not zeroed");
	forget_dead_at(p);
	memset(p, 0xa5, size);   /* a reused slot must come back zeroed */
	*s = (struct slot){ .p = p, .size = size, .refs = 1, .shared = shared, .live = 1,
			    .in_domain = inside };
	int rc = -1;
	expect(pd_owner(p, &rc) == (inside ? domain : NULL) && rc == 0,
	       "a new object is not its allocator's");
	expect(pd_kind_of(p) == &kind, "a new object lost its kind");
}

static void do_free(struct slot *s)
{
	if (!s->p)
		return;
	int rc = pd_free(s->p);
	if (dead(s))
		expect(rc == -PD_EINVAL, "a double free was not refused");
	else if (!mine(s))
		expect(rc == -PD_ENOTOWNER, "pd_free of another's object was not refused");
	else if (s->shared)
		expect(rc == -PD_EBUSY, "pd_free of a shared object with references was not refused");
	else {
		expect(rc == 0, "pd_free of a live object failed");
		s->live = 0;
	}
}

static void do_release(struct slot *s)
{
	if (!s->p)
		return;
	int rc = pd_shared_release(s->p);
	if (dead(s) || !s->shared) {
		expect(rc == -PD_EINVAL, "a release of a freed or plain object was not refused");
		return;
	}
	if (!mine(s)) {
		expect(rc == -PD_ENOTOWNER, "a release of another's object was not refused");
		return;
	}
	expect(rc == 0, "a release failed");
	if (--s->refs == 0)
		s->live = 0;
}

static void do_retain(struct slot *s)
{
	if (!s->p)
		return;
	void *r = pd_shared_retain(s->p);
	if (dead(s) || !s->shared || !mine(s)) {
		expect(r == NULL, "a retain of a freed, plain or another's object was not refused");
		return;
	}
	expect(r == s->p, "a retain failed");
	s->refs++;
	expect(pd_shared_refcount(s->p) == s->refs, "refcount differs from the model");
}

static void do_move(struct slot *s)
{
	if (!s->p)
		return;
	int rc = pd_move(s->p, NULL);
	if (dead(s)) {
		expect(rc == -PD_EINVAL, "pd_move of a freed object was not refused");
	} else if (!mine(s)) {
		expect(rc == -PD_ENOTOWNER, "pd_move of another's object to the outside was not refused");
	} else {
		expect(rc == 0, "pd_move to the outside failed");
		s->in_domain = 0;
	}
}

static void do_give(struct slot *s)
{
	if (!s->p)
		return;
	if (domain == NULL)
		expect(pd_domain_create(&domain_spec, &domain) == 0, "domain_create");
	int rc = pd_move(s->p, domain);
	if (dead(s))
		expect(rc == -PD_EINVAL, "pd_move of a freed object to a domain was not refused");
	else if (s->in_domain)
		expect(rc == -PD_ENOTOWNER, "pd_move of another's object was not refused");
	else {
		expect(rc == 0, "pd_move to a domain failed");
		s->in_domain = 1;
		rc = -1;
		expect(pd_owner(s->p, &rc) == domain && rc == 0, "pd_owner after a move");
	}
}

/* The domain's sweep freed every object it owned, shared or not. */
static void domain_objects_gone(void)
{
	for (int i = 0; i < SLOTS; i++)
		if (table[i].p && table[i].live && table[i].in_domain)
			table[i].live = 0;
}

/* Destroying the domain frees what it owns, shared or not. */
static void do_destroy(void)
{
	if (domain == NULL)
		return;
	expect(pd_domain_destroy(domain) == 0, "domain_destroy");
	domain = NULL;
	domain_objects_gone();
}

/* One call made inside the domain, as its stage code would make it. */
struct in_domain_call {
	uint8_t op;
	struct slot *s;
	uint32_t arg;
};

static void do_one(uint8_t op, struct slot *s, uint32_t arg);

static int in_domain_body(void *arg)
{
	struct in_domain_call *c = arg;
	if (c->op % 8 == 7)
		pd_panic("fuzz_heap: a fault inside the domain");
	do_one(c->op % 8, c->s, c->arg);
	return 0;
}

static void in_domain_op(uint8_t op, struct slot *s, uint32_t arg)
{
	if (domain == NULL)
		expect(pd_domain_create(&domain_spec, &domain) == 0, "domain_create");
	struct in_domain_call c = { .op = op, .s = s, .arg = arg };
	inside = 1;
	int rc = pd__run_contained(domain, in_domain_body, &c);
	inside = 0;
	if (op % 8 == 7) {
		/* The fault: its recovery (reset) freed everything the domain owned. */
		expect(rc == -PD_EFAULT, "a fault inside the domain was not reported");
		expect(pd_domain_state(domain) == PD_DOMAIN_LIVE, "the domain did not recover");
		domain_objects_gone();
	} else {
		expect(rc == 0, "a call inside the domain faulted");
	}
}

static void do_interior(struct slot *s, uint32_t off)
{
	if (!s->p || s->size < 2)
		return;
	off = 1 + off % (s->size - 1);
	refused_everywhere(s->p + off, "an interior pointer was taken for an object");
}

static void do_foreign(uint8_t which, uint32_t off)
{
	uint8_t stack[256] __attribute__((aligned(64)));
	memset(stack, 0, sizeof stack);
	uint8_t *p;
	switch (which % 4) {
	case 0: p = lonely + (off % 4096 & ~15u); break;   /* page start, neighbour unmapped */
	case 1: p = gone + (off % 4096 & ~15u); break;     /* unmapped */
	case 2: p = stack + 64 + (off % 128 & ~15u); break;
	default: p = (uint8_t *)(uintptr_t)(((uint64_t)off + 1) << 12); break;   /* made up, not NULL */
	}
	refused_everywhere(p, "a pointer libpd did not hand out was taken for an object");
}

/* The end of an input: every object goes, and nothing is left. */
static void drain(size_t baseline)
{
	do_destroy();
	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &table[i];
		if (s->p && s->live) {
			if (s->shared)
				while (s->refs) {
					expect(pd_shared_release(s->p) == 0, "drain: release");
					s->refs--;
				}
			else
				expect(pd_free(s->p) == 0, "drain: free");
		}
		s->p = NULL;
	}
	expect(pd_heap_live_objects() == baseline, "objects leaked");
}

/* The calls either side may make (op % 8): 0-6 below, 7 (inside only) a fault. */
static void do_one(uint8_t op, struct slot *s, uint32_t arg)
{
	switch (op % 8) {
	case 0: do_alloc(s, arg % 512, arg & 0x8000); break;            /* small classes */
	case 1: do_alloc(s, arg % 40000 + 1, arg & 0x8000); break;      /* up to big objects */
	case 2: do_free(s); break;
	case 3: do_release(s); break;
	case 4: do_retain(s); break;
	case 5: do_move(s); break;
	default: do_foreign((uint8_t)(arg >> 12), arg); do_interior(s, arg); break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	size_t baseline = pd_heap_live_objects();
	for (size_t i = 0; i + 4 <= size; i += 4) {
		uint8_t op = data[i], at = data[i + 1] % SLOTS;
		uint32_t arg = (uint32_t)data[i + 2] | (uint32_t)data[i + 3] << 8;
		struct slot *s = &table[at];
		switch (op % 12) {
		case 6: do_interior(s, arg); break;
		case 7: do_foreign(op >> 3, arg); break;
		case 8: do_give(s); break;
		case 9: do_destroy(); break;
		case 10: case 11: in_domain_op(op / 12, s, arg); break;
		default: do_one(op % 12, s, arg); break;               /* 0-5: as inside */
		}
	}
	drain(baseline);
	return 0;
}
