/*
 * The ownership heap: an owner pointer in each 64-byte header, per-domain
 * byte accounting, and two allocators behind pd_alloc.
 *
 * Small objects (payload <= SMALL_MAX) live in slabs: 2 MiB, 2 MiB-aligned
 * anonymous mappings (transparent huge pages where the kernel gives them),
 * each holding slots of one size class (header + payload rounded to 16
 * bytes) carved in address order by a bump pointer.  Every thread has a
 * cache per class: the slab it bumps into (nobody else bumps there) and a
 * list of freed slots.  So pd_alloc is, without any lock or atomic
 * read-modify-write, a pop from that list or a bump (objects allocated one
 * after another sit one after another: a structure built or loaded in walk
 * order is walked sequentially), and pd_free pushes onto the freeing
 * thread's list.  The heap lock is taken only to get a new slab, to trade
 * a list of LOCAL_MAX free slots with the global pool, and by the sweep.
 * A thread that exits gives its lists and its slab's room back.
 *
 * Larger objects are calloc'ed and kept on one doubly linked list.
 *
 * Moving an object is a single store to its header, so neither moves nor
 * the call fast path take the lock.  The sweep of a dying domain therefore
 * looks at every slot ever carved (sequentially, slab by slab: live ones
 * carry the magic) and at the large-object list, and takes those whose
 * owner is the domain.  Slot headers are written by their own thread while
 * a sweep on another thread may read them: magic, owner and charged are
 * accessed atomically (the magic is published last), and an object the
 * sweep is after is owned by the dying domain, which nobody else allocates
 * for or frees at that moment.
 *
 * Slab memory is never unmapped (freed slots are reused): anonymous
 * mappings are not heap blocks for valgrind, so nothing there is reported
 * as leaked, and the thread caches stay reachable from the thread list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pd_internal.h"

enum {
	OBJ_SWEPT = 1,       /* in a sweep: pd_free leaves it alone */
	OBJ_DESTROYING = 2,  /* destructor started: the sweep must not run it again */
};

#define SLAB_BYTES ((size_t)2 << 20)
#define SLAB_MAGIC 0x70647362u  /* "pdsb" */
#define SMALL_MAX 448u          /* largest payload a slab holds */
#define NCLASS (SMALL_MAX / 16 + 1)
#define BLOCK_N 4094u           /* free slots per block (a block is 32 KiB) */

static inline uint32_t class_of(size_t size)
{
	return (uint32_t)((size + 15) >> 4);
}

static inline size_t stride_of(uint32_t k)
{
	return sizeof(struct pd__obj) + ((size_t)k << 4);
}

/* The first 64 bytes of a slab; slots follow. */
struct slab {
	uint32_t magic;
	uint32_t cls;
	char *bump;          /* slots below it have been carved (atomic) */
	char *end;
	struct slab *next;   /* every slab (heap lock) */
	struct slab *spare;  /* on spare[cls]: has room, no thread bumps it */
} __attribute__((aligned(64)));

/*
 * Free slots are kept as arrays of pointers, not linked through the slots:
 * popping one reads no freed memory, so a run of allocations is not a
 * chain of dependent cache misses.
 */
struct fblock {
	struct fblock *next;  /* in pool[] or empty_blocks (heap lock) */
	uint32_t n;
	struct pd__obj *slot[BLOCK_N];
};

struct tclass {
	struct fblock *free;  /* this thread's free slots, or NULL */
	struct slab *slab;    /* the slab this thread bumps into */
};

struct tcache {
	struct tclass c[NCLASS];
	size_t allocs, frees;  /* small objects; written by the owner thread only */
	struct tcache *next, *prev;
};

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;

/* Under heap_lock: */
static struct pd__obj big = { .next = &big, .prev = &big };
static size_t big_count;
static struct slab *slabs;
static struct slab *spare[NCLASS];
static struct fblock *pool[NCLASS];  /* full blocks of free slots */
static struct fblock *empty_blocks;
static struct tcache threads = { .next = &threads, .prev = &threads };
static size_t gone_allocs, gone_frees;  /* of exited threads */

static __thread struct tcache *tc __attribute__((tls_model("initial-exec")));
static pthread_key_t tc_key;
static pthread_once_t tc_once = PTHREAD_ONCE_INIT;

/*
 * A crash inside the allocator or while the heap lock is held is libpd's
 * (or a corrupted heap's), not the domain's: those sections run as the
 * outside, so such a crash stops the process instead of unwinding with the
 * lock held or a free list half updated.
 */
static pd_domain *lock_heap(void)
{
	pd_domain *d = pd__self.current;
	pd__self.current = NULL;
	pthread_mutex_lock(&heap_lock);
	return d;
}

static void unlock_heap(pd_domain *d)
{
	pthread_mutex_unlock(&heap_lock);
	pd__self.current = d;
}

static inline void count(size_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

/* --- thread caches ------------------------------------------------------ */

/* Thread exit: the free lists go to the pool, the slabs' room to spare. */
static void tcache_exit(void *arg)
{
	struct tcache *t = arg;
	pd_domain *d = lock_heap();
	for (uint32_t k = 0; k < NCLASS; k++) {
		struct tclass *c = &t->c[k];
		struct fblock *b = c->free;
		if (b && b->n) {
			b->next = pool[k];
			pool[k] = b;
		} else if (b) {
			b->next = empty_blocks;
			empty_blocks = b;
		}
		struct slab *s = c->slab;
		if (s && s->bump + stride_of(k) <= s->end) {
			s->spare = spare[k];
			spare[k] = s;
		}
	}
	gone_allocs += t->allocs;
	gone_frees += t->frees;
	t->prev->next = t->next;
	t->next->prev = t->prev;
	unlock_heap(d);
	tc = NULL;
	free(t);
}

static void tcache_key(void)
{
	pthread_key_create(&tc_key, tcache_exit);
}

static struct tcache *tcache_new(void)
{
	pthread_once(&tc_once, tcache_key);
	struct tcache *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	pd_domain *d = lock_heap();
	t->next = threads.next;
	t->prev = &threads;
	threads.next->prev = t;
	threads.next = t;
	unlock_heap(d);
	pthread_setspecific(tc_key, t);
	tc = t;
	return t;
}

/* --- slabs ------------------------------------------------------------- */

static struct slab *slab_map(uint32_t k)
{
	char *p = mmap(NULL, 2 * SLAB_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	char *a = (char *)(((uintptr_t)p + SLAB_BYTES - 1) & ~(uintptr_t)(SLAB_BYTES - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + SLAB_BYTES < p + 2 * SLAB_BYTES)
		munmap(a + SLAB_BYTES, (size_t)(p + 2 * SLAB_BYTES - (a + SLAB_BYTES)));
#ifdef MADV_HUGEPAGE
	madvise(a, SLAB_BYTES, MADV_HUGEPAGE);
#endif
	struct slab *s = (struct slab *)a;
	s->magic = SLAB_MAGIC;
	s->cls = k;
	s->bump = a + sizeof(*s);
	s->end = a + SLAB_BYTES;
	return s;
}

/*
 * The thread's list and slab of class k are both empty: takes a chain from
 * the pool, or a spare slab, or maps a new one.  Runs as the outside.
 */
static int refill(struct tclass *c, uint32_t k)
{
	pthread_mutex_lock(&heap_lock);
	if (pool[k]) {
		struct fblock *b = pool[k];
		pool[k] = b->next;
		if (c->free) {  /* empty */
			c->free->next = empty_blocks;
			empty_blocks = c->free;
		}
		c->free = b;
		pthread_mutex_unlock(&heap_lock);
		return 0;
	}
	struct slab *s = spare[k];
	if (s) {
		spare[k] = s->spare;
	} else {
		s = slab_map(k);
		if (s == NULL) {
			pthread_mutex_unlock(&heap_lock);
			return -1;
		}
		s->next = slabs;
		slabs = s;
	}
	c->slab = s;
	pthread_mutex_unlock(&heap_lock);
	return 0;
}

/* Clears a reused slot: the sizes are small multiples of 16, where a
 * loop of 32-byte stores beats rep stos. */
static inline void zero_slot(void *p, size_t n)
{
	typedef uint64_t v4 __attribute__((vector_size(32), aligned(16), may_alias));
	char *c = p, *end = c + n;
	for (; c + 32 <= end; c += 32)
		*(volatile v4 *)c = (v4){ 0, 0, 0, 0 };
	if (c < end)
		memset(c, 0, 16);
}

/* A zeroed slot of class k with everything but its magic set; NULL when
 * memory is exhausted.  Runs as the outside. */
static struct pd__obj *slot_take(struct tcache *t, uint32_t k)
{
	struct tclass *c = &t->c[k];
	size_t stride = stride_of(k);
	for (;;) {
		struct fblock *b = c->free;
		if (b && b->n) {
			struct pd__obj *h = b->slot[--b->n];
			if (b->n)
				__builtin_prefetch(b->slot[b->n - 1], 1);
			zero_slot(h, stride);
			return h;
		}
		struct pd__obj *h;
		struct slab *s = c->slab;
		if (s && s->bump + stride <= s->end) {
			h = (struct pd__obj *)s->bump;  /* fresh mapping: already zero */
			__atomic_store_n(&s->bump, s->bump + stride, __ATOMIC_RELAXED);
			return h;
		}
		if (refill(c, k) < 0)
			return NULL;
	}
}

/* This thread's free block of class k is missing or full: hands a full one
 * to the pool and takes an empty one.  0, or -1 when out of memory. */
static int block_swap(struct tclass *c, uint32_t k)
{
	pthread_mutex_lock(&heap_lock);
	if (c->free) {
		c->free->next = pool[k];
		pool[k] = c->free;
		c->free = NULL;
	}
	struct fblock *b = empty_blocks;
	if (b)
		empty_blocks = b->next;
	pthread_mutex_unlock(&heap_lock);
	if (b == NULL && (b = malloc(sizeof(*b))) == NULL)
		return -1;
	b->n = 0;
	c->free = b;
	return 0;
}

/* Gives the slot back to this thread's free block.  Runs as the outside. */
static void slot_put(struct tcache *t, struct pd__obj *h)
{
	uint32_t k = class_of(h->size);
	struct tclass *c = &t->c[k];
	__atomic_store_n(&h->magic, 0, __ATOMIC_RELEASE);
	count(&t->frees);
	if ((c->free == NULL || c->free->n == BLOCK_N) && block_swap(c, k) < 0)
		return;  /* no memory for a block: the slot is lost, but dead */
	c->free->slot[c->free->n++] = h;
}

/* --- charging ---------------------------------------------------------- */

static inline void uncharge(struct pd__obj *h)
{
	if (__atomic_load_n(&h->charged, __ATOMIC_RELAXED) == NULL)
		return;
	pd_domain *p = __atomic_exchange_n(&h->charged, NULL, __ATOMIC_RELAXED);
	if (p)
		__atomic_sub_fetch(&p->charged_bytes, h->size, __ATOMIC_RELAXED);
}

/* --- large objects ----------------------------------------------------- */

static void big_unlink(struct pd__obj *h)
{
	h->prev->next = h->next;
	h->next->prev = h->prev;
	big_count--;
}

static void *big_alloc(pd_domain *d, size_t size, const pd_kind *kind)
{
	struct pd__obj *h = calloc(1, sizeof(*h) + size);
	if (h == NULL)
		return NULL;
	h->kind = kind;
	h->size = (uint32_t)size;
	h->owner = d;
	h->charged = d;
	h->magic = PD__OBJ_MAGIC;
	pthread_mutex_lock(&heap_lock);
	h->next = big.next;
	h->prev = &big;
	big.next->prev = h;
	big.next = h;
	big_count++;
	pthread_mutex_unlock(&heap_lock);
	return h + 1;
}

/* --- the interface ----------------------------------------------------- */

void *pd_alloc(size_t size, const pd_kind *kind)
{
	if (size > UINT32_MAX)  /* the header's size field is 32 bits */
		return NULL;
	pd_domain *d = pd__self.current;
	if (d) {
		size_t q = d->spec.quota_bytes;
		size_t now = __atomic_add_fetch(&d->charged_bytes, size, __ATOMIC_RELAXED);
		if (q && now > q) {
			__atomic_sub_fetch(&d->charged_bytes, size, __ATOMIC_RELAXED);
			pd__fault_quota(size);
		}
	}
	pd__self.current = NULL;
	void *obj;
	if (size > SMALL_MAX) {
		obj = big_alloc(d, size, kind);
	} else {
		struct tcache *t = tc ? tc : tcache_new();
		struct pd__obj *h = t ? slot_take(t, class_of(size)) : NULL;
		if (h) {
			h->kind = kind;
			h->size = (uint32_t)size;
			__atomic_store_n(&h->owner, d, __ATOMIC_RELAXED);
			__atomic_store_n(&h->charged, d, __ATOMIC_RELAXED);
			__atomic_store_n(&h->magic, PD__OBJ_MAGIC, __ATOMIC_RELEASE);
			count(&t->allocs);
			obj = h + 1;
		} else {
			obj = NULL;
		}
	}
	if (obj == NULL && d)
		__atomic_sub_fetch(&d->charged_bytes, size, __ATOMIC_RELAXED);
	pd__self.current = d;
	return obj;
}

/* Memory of an object whose destructor has run (or must not run). */
static void release(struct pd__obj *h)
{
	uncharge(h);
	if (h->size > SMALL_MAX) {
		pd_domain *d = lock_heap();
		big_unlink(h);
		h->magic = 0;
		unlock_heap(d);
		free(h);
		return;
	}
	pd_domain *d = pd__self.current;
	pd__self.current = NULL;
	struct tcache *t = tc ? tc : tcache_new();
	if (t)
		slot_put(t, h);
	else
		__atomic_store_n(&h->magic, 0, __ATOMIC_RELEASE);  /* lost, but dead */
	pd__self.current = d;
}

int pd_free(void *obj)
{
	if (obj == NULL)
		return 0;
	struct pd__obj *h = pd__obj_of(obj);

	if (__atomic_load_n(&h->magic, __ATOMIC_RELAXED) != PD__OBJ_MAGIC)
		return -PD_EINVAL;
	uint32_t f = __atomic_load_n(&h->flags, __ATOMIC_RELAXED);
	do {
		if (f & OBJ_DESTROYING)
			return -PD_EINVAL;
		if (f & OBJ_SWEPT)
			return 0;  /* the sweep owns it now */
		if (__atomic_load_n(&h->owner, __ATOMIC_RELAXED) != pd__self.current)
			return -PD_ENOTOWNER;
		/* first: if the destructor faults, the sweep frees the memory only */
	} while (!__atomic_compare_exchange_n(&h->flags, &f, f | OBJ_DESTROYING, 0,
	                                      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));

	if (h->kind && h->kind->destroy)
		h->kind->destroy(obj);
	release(h);
	return 0;
}

int pd_move(void *obj, pd_domain *to)
{
	if (obj == NULL)
		return -PD_EINVAL;
	struct pd__obj *h = pd__obj_of(obj);
	if (h->magic != PD__OBJ_MAGIC || (to && to->state == PD_DOMAIN_FREE))
		return -PD_EINVAL;
	if (__atomic_load_n(&h->owner, __ATOMIC_RELAXED) != pd__self.current)
		return -PD_ENOTOWNER;
	__atomic_store_n(&h->owner, to, __ATOMIC_RELAXED);
	return 0;
}

pd_domain *pd_owner(const void *obj, int *rc)
{
	const struct pd__obj *h = obj ? pd__obj_of(obj) : NULL;

	if (h == NULL || h->magic != PD__OBJ_MAGIC) {
		if (rc)
			*rc = -PD_EINVAL;
		return NULL;
	}
	if (rc)
		*rc = 0;
	return __atomic_load_n(&h->owner, __ATOMIC_RELAXED);
}

const pd_kind *pd_kind_of(const void *obj)
{
	const struct pd__obj *h = pd__obj_of(obj);
	return h->magic == PD__OBJ_MAGIC ? h->kind : NULL;
}

/* Runs body for every live small object h (heap lock held). */
#define FOR_EACH_SLOT(h, s, body)                                                  \
	for (struct slab *s = slabs; s; s = s->next) {                               \
		size_t stride_ = stride_of(s->cls);                                      \
		char *end_ = __atomic_load_n(&s->bump, __ATOMIC_RELAXED);                \
		for (char *p_ = (char *)(s + 1); p_ < end_; p_ += stride_) {             \
			struct pd__obj *h = (struct pd__obj *)p_;                        \
			if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != PD__OBJ_MAGIC) \
				continue;                                                \
			body                                                             \
		}                                                                        \
	}

/*
 * The epoch counter.  Walks on different threads take distinct epochs, so
 * they never mistake each other's stamps (they must not walk the same
 * objects at once anyway: that would race on refcounts too).  The wrap
 * reset could disturb a walk running on another thread at that instant;
 * that needs 2^32 walks, one of them concurrent with the wrap.
 */
static uint32_t epoch_counter;

uint32_t pd__epoch_next(void)
{
	uint32_t e = __atomic_add_fetch(&epoch_counter, 1, __ATOMIC_RELAXED);
	if (__builtin_expect(e != 0, 1))
		return e;
	pd_domain *d = lock_heap();
	FOR_EACH_SLOT(h, s, { h->epoch = 0; })
	for (struct pd__obj *h = big.next; h != &big; h = h->next)
		h->epoch = 0;
	unlock_heap(d);
	return __atomic_add_fetch(&epoch_counter, 1, __ATOMIC_RELAXED);
}

/* For the wrap test only: puts the counter just below the wrap. */
void pd__epoch_set(uint32_t e)
{
	__atomic_store_n(&epoch_counter, e, __ATOMIC_RELAXED);
}

size_t pd_heap_live_objects(void)
{
	pd_domain *d = lock_heap();
	size_t n = big_count + gone_allocs - gone_frees;
	for (struct tcache *t = threads.next; t != &threads; t = t->next)
		n += __atomic_load_n(&t->allocs, __ATOMIC_RELAXED) - __atomic_load_n(&t->frees, __ATOMIC_RELAXED);
	unlock_heap(d);
	return n;
}

void pd__heap_sweep(pd_domain *d, int forget)
{
	struct pd__obj *doomed = NULL;

	pd_domain *saved = lock_heap();
	FOR_EACH_SLOT(h, s, {
		pd_domain *o = __atomic_load_n(&h->owner, __ATOMIC_RELAXED);
		if (o == d) {
			uint32_t f = __atomic_fetch_or(&h->flags, OBJ_SWEPT, __ATOMIC_ACQ_REL);
			if (!(f & OBJ_SWEPT)) {
				h->next = doomed;  /* a live slot's link is unused: borrow it */
				doomed = h;
			}
		} else if (forget && __atomic_load_n(&h->charged, __ATOMIC_RELAXED) == d) {
			pd_domain *expect = d;
			__atomic_compare_exchange_n(&h->charged, &expect, NULL, 0, __ATOMIC_RELAXED,
			                            __ATOMIC_RELAXED);
		}
	})
	for (struct pd__obj *h = big.next, *next; h != &big; h = next) {
		next = h->next;
		if (h->owner == d) {
			big_unlink(h);
			h->flags |= OBJ_SWEPT;
			h->next = doomed;  /* the list links are free now: reuse one */
			doomed = h;
		} else if (forget && __atomic_load_n(&h->charged, __ATOMIC_RELAXED) == d) {
			pd_domain *expect = d;
			__atomic_compare_exchange_n(&h->charged, &expect, NULL, 0, __ATOMIC_RELAXED,
			                            __ATOMIC_RELAXED);
		}
	}
	unlock_heap(saved);

	/*
	 * Destructors run outside any domain (they are trusted kind code) and
	 * all before any memory goes, so one may still look at another.
	 */
	pd__self.current = NULL;
	for (struct pd__obj *h = doomed; h; h = h->next)
		if (!(h->flags & OBJ_DESTROYING) && h->kind && h->kind->destroy) {
			h->flags |= OBJ_DESTROYING;
			h->kind->destroy(h + 1);
		}
	struct tcache *t = tc ? tc : tcache_new();
	while (doomed) {
		struct pd__obj *h = doomed;
		doomed = h->next;
		uncharge(h);
		if (h->size > SMALL_MAX) {
			h->magic = 0;
			free(h);
		} else if (t) {
			slot_put(t, h);
		} else {
			__atomic_store_n(&h->magic, 0, __ATOMIC_RELEASE);
		}
	}
	pd__self.current = saved;
}
