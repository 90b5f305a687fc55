/*
 * The ownership heap: an owner pointer in each 64-byte header, per-domain
 * byte accounting, a registry that tells a libpd object from any other
 * address, and two allocators behind pd_alloc.
 *
 * Every object lives in memory the heap mapped itself, in 2 MiB-aligned
 * chunks, and a two-level chunk map (address >> 21 -> descriptor) says
 * which chunks those are.  So every entry point that takes an object first
 * asks the map whether the pointer is the payload of a slot libpd carved -
 * reading only the map and the heap's own descriptors - and refuses
 * anything else (a made-up pointer, a pointer into the middle of an
 * object, a forged header, a freed big object) without touching memory
 * libpd does not own.  Descriptors are never freed and slab chunks never
 * unmapped, so the check is safe against any value and any race.
 *
 * Slab objects (payload <= SLAB_MAX): 2 MiB slabs, one size class each
 * (16-byte steps up to 448 bytes, then four steps per doubling), slots
 * carved in address order.  Every thread has a cache per class: the slab
 * it bumps into and a block of freed slots, so pd_alloc and pd_free take
 * no lock and no atomic read-modify-write; the heap lock is taken to get
 * a slab, to trade a block of LOCAL_MAX free slots with the global pool,
 * and by the sweep.  Objects allocated one after another are adjacent (a
 * load rebuilds a structure in walk order).  A thread that exits gives its
 * blocks and its slabs' room back.  Small classes ask for transparent huge
 * pages; larger ones do not (a thread's half-used slab of a rare class
 * should not pin 2 MiB).
 *
 * Big objects: a mapping of their own, a whole number of chunks, whose
 * descriptor lives outside it.  A freed big region keeps its address range
 * (the pages are given back with MADV_DONTNEED) and is reused by a later
 * big allocation it fits, so a stale pointer into it reads zeros - never
 * unmapped memory.
 *
 * Moving an object is a single store to its header, so neither moves nor
 * the call fast path take the lock.  The sweep of a dying domain therefore
 * looks at every slot ever carved (sequentially, slab by slab: live ones
 * carry the magic) and at every live big object, and takes those whose
 * owner is the domain.  Slot headers are written by their own thread while
 * a sweep on another thread may read them: magic, owner and charged are
 * accessed atomically (the magic is published last).
 *
 * Quota: a domain is charged what an object really costs - its slot
 * (header and size-class rounding), or its big object's header and pages.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pd_internal.h"

enum {
	OBJ_SWEPT = 1,       /* in a sweep: pd_free leaves it alone */
	OBJ_DESTROYING = 2,  /* destructor started: the sweep must not run it again */
	OBJ_SHARED = 4,      /* made by pd_shared_alloc: freed by its last release */
};

#define CHUNK_SHIFT 21
#define CHUNK_BYTES ((size_t)1 << CHUNK_SHIFT)
#define SLAB_MAGIC 0x70647362u  /* "pdsb" */
#define BIG_MAGIC 0x70646267u   /* "pdbg" */
#define BLOCK_N 4094u           /* free slots per block (a block is 32 KiB) */
#define HEADER ((uintptr_t)sizeof(struct pd__obj))

/* The chunk map: 47-bit user addresses, 26 bits of chunk index split 13/13. */
#define MAP_L2_BITS 13
#define MAP_L1_BITS 13
#define USER_ADDR_BITS 47

/* ---- size classes ---------------------------------------------------- */

/* Payload bytes of each class; the stride of a slot is the header plus this. */
static const uint32_t class_payload[] = {
	0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240,
	256, 272, 288, 304, 320, 336, 352, 368, 384, 400, 416, 432, 448,
	512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584,
	4096, 5120, 6144, 7168, 8192, 10240, 12288, 14336, 16384,
	20480, 24576, 28672, 32768,
};
#define NCLASS ((uint32_t)(sizeof(class_payload) / sizeof(class_payload[0])))
#define SMALL_CLASSES 29u       /* 0 .. 448 in 16-byte steps */
#define SMALL_MAX 448u
#define SLAB_MAX 32768u         /* larger payloads are big objects */

static inline uint32_t class_of(size_t size)
{
	if (size <= SMALL_MAX)
		return (uint32_t)((size + 15) >> 4);
	uint32_t k = SMALL_CLASSES;
	while (class_payload[k] < size)
		k++;
	return k;
}

static inline size_t stride_of(uint32_t k)
{
	return HEADER + class_payload[k];
}

/* Pages a big object of this payload touches, header included. */
static inline size_t big_footprint(size_t size)
{
	return (HEADER + size + 4095) & ~(size_t)4095;
}

/* What pd_alloc(size) costs the current domain's quota. */
static inline size_t footprint(size_t size)
{
	return size <= SLAB_MAX ? stride_of(class_of(size)) : big_footprint(size);
}

size_t pd__heap_footprint(size_t size)
{
	return footprint(size);
}

/* ---- descriptors ----------------------------------------------------- */

/* The first 64 bytes of a slab; slots follow. */
struct slab {
	uint32_t magic;      /* SLAB_MAGIC: the chunk map can point here */
	uint32_t cls;
	char *bump;          /* slots below it have been carved (atomic) */
	char *end;
	struct slab *next;   /* every slab (heap lock) */
	struct slab *spare;  /* on spare[cls]: has room, no thread bumps it */
	uint64_t recip;      /* ceil(2^42 / stride): slot index by multiplication */
	uint32_t stride;
} __attribute__((aligned(64)));

/* A big object's mapping; the descriptor is heap metadata, never freed. */
struct big {
	uint32_t magic;      /* BIG_MAGIC */
	uint32_t live;       /* an object occupies the region (atomic) */
	char *base;          /* the object header; the payload is base + HEADER */
	size_t capacity;     /* bytes mapped */
	struct big *next, *prev;  /* live or free list (heap lock) */
};

/* ---- the thread caches ----------------------------------------------- */

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
	size_t allocs, frees;  /* slab objects; written by the owner thread only */
	struct tcache *next, *prev;
};

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;

/* Under heap_lock: */
static struct big live_big = { .next = &live_big, .prev = &live_big };
static struct big free_big = { .next = &free_big, .prev = &free_big };
static size_t big_count;
static struct slab *slabs;
static struct slab *spare[NCLASS];
static struct fblock *pool[NCLASS];  /* full blocks of free slots */
static struct fblock *empty_blocks;
static struct tcache threads = { .next = &threads, .prev = &threads };
static size_t gone_allocs, gone_frees;  /* of exited threads */

/* Entries are written under heap_lock and read without it. */
static void **chunk_map[1u << MAP_L1_BITS];

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

/* ---- the chunk map ---------------------------------------------------- */

/* Records desc for the chunks of [base, base + bytes).  Heap lock held. */
static int map_set(char *base, size_t bytes, void *desc)
{
	uintptr_t first = (uintptr_t)base >> CHUNK_SHIFT;
	uintptr_t last = ((uintptr_t)base + bytes - 1) >> CHUNK_SHIFT;
	for (uintptr_t ci = first; ci <= last; ci++) {
		uintptr_t hi = ci >> MAP_L2_BITS;
		if (hi >= (1u << MAP_L1_BITS))
			return -1;
		void **l2 = chunk_map[hi];
		if (l2 == NULL) {
			l2 = mmap(NULL, sizeof(void *) << MAP_L2_BITS, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (l2 == MAP_FAILED)
				return -1;
			__atomic_store_n(&chunk_map[hi], l2, __ATOMIC_RELEASE);
		}
		__atomic_store_n(&l2[ci & ((1u << MAP_L2_BITS) - 1)], desc, __ATOMIC_RELEASE);
	}
	return 0;
}

/* The descriptor of the chunk holding address a, or NULL. */
static inline void *map_get(uintptr_t a)
{
	uintptr_t ci = a >> CHUNK_SHIFT;
	void **l2 = __atomic_load_n(&chunk_map[ci >> MAP_L2_BITS], __ATOMIC_ACQUIRE);
	return l2 ? __atomic_load_n(&l2[ci & ((1u << MAP_L2_BITS) - 1)], __ATOMIC_ACQUIRE) : NULL;
}

/*
 * The header of the object whose payload is p, if p is the payload of a
 * slot some slab carved or of a big object that is live; NULL otherwise.
 * Reads only the map and descriptors, which are never freed.  Does not
 * check that a slab slot is alive (its magic): callers do.  A slab slot's
 * address stays a slot of its class for good (slabs are never unmapped),
 * so the thread remembers the last one it checked and the proxies' moves
 * of the same batch check it once.
 */
struct pd__obj *pd__obj_lookup(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	if ((a & 15) != 0 || a == 0 || a >> USER_ADDR_BITS)
		return NULL;
	const uint32_t *desc = map_get(a);
	if (desc == NULL)
		return NULL;
	if (*desc == SLAB_MAGIC) {
		const struct slab *s = (const struct slab *)desc;
		uintptr_t first = (uintptr_t)(s + 1) + HEADER;
		if (a < first)
			return NULL;
		uintptr_t off = a - first;
		uint64_t idx = ((uint64_t)off * s->recip) >> 42;
		if (idx * s->stride != off ||
		    a - HEADER + s->stride > (uintptr_t)__atomic_load_n(&s->bump, __ATOMIC_ACQUIRE))
			return NULL;
		pd__self.known_obj = p;
		return (struct pd__obj *)p - 1;
	}
	if (*desc == BIG_MAGIC) {
		const struct big *b = (const struct big *)desc;
		if (!__atomic_load_n(&b->live, __ATOMIC_ACQUIRE) || a != (uintptr_t)b->base + HEADER)
			return NULL;
		return (struct pd__obj *)p - 1;
	}
	return NULL;
}

/* The live object at p, or NULL; the entry points' one test. */
static struct pd__obj *live_obj(const void *p)
{
	struct pd__obj *h = pd__obj_find(p);
	if (h == NULL || __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != PD__OBJ_MAGIC)
		return NULL;
	return h;
}

/* ---- thread caches ---------------------------------------------------- */

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

/* ---- slabs ------------------------------------------------------------ */

/* A 2 MiB-aligned, 2 MiB-long anonymous mapping, or NULL. */
static char *map_chunks(size_t bytes)
{
	char *p = mmap(NULL, bytes + CHUNK_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	char *a = (char *)(((uintptr_t)p + CHUNK_BYTES - 1) & ~(uintptr_t)(CHUNK_BYTES - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + bytes < p + bytes + CHUNK_BYTES)
		munmap(a + bytes, (size_t)(p + bytes + CHUNK_BYTES - (a + bytes)));
	return a;
}

/* A new slab of class k, registered in the chunk map.  Heap lock held. */
static struct slab *slab_new(uint32_t k)
{
	char *a = map_chunks(CHUNK_BYTES);
	if (a == NULL)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (k < SMALL_CLASSES)
		madvise(a, CHUNK_BYTES, MADV_HUGEPAGE);
#endif
	struct slab *s = (struct slab *)a;
	s->magic = SLAB_MAGIC;
	s->cls = k;
	s->stride = (uint32_t)stride_of(k);
	s->recip = ((UINT64_C(1) << 42) + s->stride - 1) / s->stride;
	s->bump = a + sizeof(*s);
	s->end = a + CHUNK_BYTES;
	if (map_set(a, CHUNK_BYTES, s) < 0) {
		munmap(a, CHUNK_BYTES);
		return NULL;
	}
	s->next = slabs;
	slabs = s;
	return s;
}

/*
 * The thread's list and slab of class k are both empty: takes a block from
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
	if (s)
		spare[k] = s->spare;
	else
		s = slab_new(k);
	if (s)
		c->slab = s;
	pthread_mutex_unlock(&heap_lock);
	return s ? 0 : -1;
}

/* Clears a reused slot: small ones are a few multiples of 16, where a
 * loop of 32-byte stores beats rep stos. */
static inline void zero_slot(void *p, size_t n)
{
	if (n > 512) {
		memset(p, 0, n);
		return;
	}
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
			__atomic_store_n(&s->bump, s->bump + stride, __ATOMIC_RELEASE);
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

/* ---- charging --------------------------------------------------------- */

static inline void uncharge(struct pd__obj *h)
{
	if (__atomic_load_n(&h->charged, __ATOMIC_RELAXED) == NULL)
		return;
	pd_domain *p = __atomic_exchange_n(&h->charged, NULL, __ATOMIC_RELAXED);
	if (p)
		__atomic_sub_fetch(&p->charged_bytes, footprint(h->size), __ATOMIC_RELAXED);
}

/* ---- big objects ------------------------------------------------------ */

static void big_unlink(struct big *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
}

static void big_link(struct big *list, struct big *b)
{
	b->next = list->next;
	b->prev = list;
	list->next->prev = b;
	list->next = b;
}

/* A region for size payload bytes: a free one it fits (the smallest), or a
 * new mapping.  Heap lock held. */
static struct big *big_region(size_t size)
{
	size_t need = (HEADER + size + CHUNK_BYTES - 1) & ~(CHUNK_BYTES - 1);
	struct big *best = NULL;
	for (struct big *b = free_big.next; b != &free_big; b = b->next)
		if (b->capacity >= need && (best == NULL || b->capacity < best->capacity))
			best = b;
	if (best) {
		big_unlink(best);
		return best;
	}
	struct big *b = calloc(1, sizeof(*b));
	char *a = b ? map_chunks(need) : NULL;
	if (a == NULL || map_set(a, need, b) < 0) {
		if (a)
			munmap(a, need);
		free(b);
		return NULL;
	}
	b->magic = BIG_MAGIC;
	b->base = a;
	b->capacity = need;
	return b;
}

static void *big_alloc(pd_domain *d, size_t size, const pd_kind *kind)
{
	pd_domain *saved = lock_heap();
	struct big *b = big_region(size);
	if (b == NULL) {
		unlock_heap(saved);
		return NULL;
	}
	struct pd__obj *h = (struct pd__obj *)b->base;  /* zero: fresh or given back */
	h->kind = kind;
	h->size = (uint32_t)size;
	h->owner = d;
	h->charged = d;
	h->next = (struct pd__obj *)b;  /* the header knows its region */
	__atomic_store_n(&h->magic, PD__OBJ_MAGIC, __ATOMIC_RELEASE);
	__atomic_store_n(&b->live, 1, __ATOMIC_RELEASE);
	big_link(&live_big, b);
	big_count++;
	unlock_heap(saved);
	return h + 1;
}

/* Gives the pages back and keeps the range for reuse.  Heap lock held. */
static void big_release(struct pd__obj *h)
{
	struct big *b = (struct big *)h->next;
	__atomic_store_n(&b->live, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&h->magic, 0, __ATOMIC_RELEASE);
	big_unlink(b);
	big_count--;
	madvise(b->base, b->capacity, MADV_DONTNEED);  /* reads as zero from now on */
	big_link(&free_big, b);
}

/* ---- the interface ---------------------------------------------------- */

void *pd_alloc(size_t size, const pd_kind *kind)
{
	if (size > UINT32_MAX)  /* the header's size field is 32 bits */
		return NULL;
	pd_domain *d = pd__self.current;
	size_t cost = footprint(size);
	if (d) {
		if (__builtin_expect(__atomic_load_n(&d->sweeping, __ATOMIC_RELAXED), 0))
			return NULL;        /* its destructors are running (run_destructors) */
		size_t q = d->spec.quota_bytes;
		size_t now = __atomic_add_fetch(&d->charged_bytes, cost, __ATOMIC_RELAXED);
		if (q && now > q) {
			__atomic_sub_fetch(&d->charged_bytes, cost, __ATOMIC_RELAXED);
			pd__fault_quota(size);
		}
	}
	pd__self.current = NULL;
	void *obj;
	if (size > SLAB_MAX) {
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
		__atomic_sub_fetch(&d->charged_bytes, cost, __ATOMIC_RELAXED);
	pd__self.current = d;
	if (__builtin_expect(obj && d && d->snap_epoch, 0))
		pd__snap_alloc(d, pd__obj_of(obj));   /* new in the epoch: a rollback frees it */
	return obj;
}

/* Memory of an object whose destructor has run (or must not run). */
static void release(struct pd__obj *h)
{
	uncharge(h);
	if (h->size > SLAB_MAX) {
		pd_domain *d = lock_heap();
		big_release(h);
		unlock_heap(d);
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

int pd__free_object(void *obj, int shared_ok)
{
	struct pd__obj *h = live_obj(obj);
	if (h == NULL)
		return -PD_EINVAL;
	uint32_t f = __atomic_load_n(&h->flags, __ATOMIC_RELAXED);
	do {
		if (f & OBJ_DESTROYING)
			return -PD_EINVAL;
		if (f & OBJ_SWEPT)
			return 0;  /* the sweep owns it now */
		if (__atomic_load_n(&h->owner, __ATOMIC_RELAXED) != pd__self.current)
			return -PD_ENOTOWNER;
		if ((f & OBJ_SHARED) && !shared_ok)
			return -PD_EBUSY;   /* freed by the release of its last reference */
		pd_domain *cur = pd__self.current;
		if (__builtin_expect(cur && cur->snap_epoch, 0)) {
			int snap = pd__snap_free(cur, h);   /* kept for a rollback? */
			if (snap <= 0)
				return snap;
		}
		/* first: if the destructor faults, the sweep frees the memory only */
	} while (!__atomic_compare_exchange_n(&h->flags, &f, f | OBJ_DESTROYING, 0,
	                                      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));

	if (h->kind && h->kind->destroy)
		h->kind->destroy(obj);
	release(h);
	return 0;
}

int pd_free(void *obj)
{
	return obj == NULL ? 0 : pd__free_object(obj, 0);
}

/* An object changing owner: the undo logs of both sides hear of it. */
static inline void snap_moving(struct pd__obj *h, pd_domain *from, pd_domain *to)
{
	if (__builtin_expect(from && from->snap_epoch, 0))
		pd__snap_moved_out(from, h);
	if (__builtin_expect(to && to->snap_epoch, 0))
		pd__snap_moved_in(to, h);
}

static int give(void *obj, pd_domain *to)
{
	struct pd__obj *h = live_obj(obj);
	if (h == NULL || (to && (!pd__valid_domain(to) || to->state == PD_DOMAIN_FREE)))
		return -PD_EINVAL;
	/* A domain gives objects to another only through a proxy's typed
	 * move, which checks labels and moves what the object owns; handing
	 * one to the outside is all it may do here. */
	if (pd__self.current != NULL && to != NULL && to != pd__self.current)
		return -PD_EACCES;
	if (__atomic_load_n(&h->owner, __ATOMIC_RELAXED) != pd__self.current)
		return -PD_ENOTOWNER;
	snap_moving(h, pd__self.current, to);
	__atomic_store_n(&h->owner, to, __ATOMIC_RELAXED);
	return 0;
}

int pd_move(void *obj, pd_domain *to)
{
	int rc = give(obj, to);
	/* What a domain hands the outside carries what the domain holds: the
	 * trusted code on this thread comes to hold it, as from a result. */
	pd_domain *d = pd__self.current;
	if (rc == 0 && to == NULL && d != NULL)
		pd__self.label = pd_labels_join(pd__self.label, __atomic_load_n(&d->label, __ATOMIC_RELAXED));
	return rc;
}

int pd__give_to_nobody(void *obj)
{
	return give(obj, NULL);
}

/* ---- walks over values (pd_call.h) ------------------------------------ */

/*
 * The stamp is the checkpoint writer's field (pd_core.h): a walk takes its
 * own epoch, so an old save's stamp never reads as "met".  A shared object
 * never moves - its other references stay behind - which pdlc refuses for
 * declared types; this refuses it for values built by hand.
 */
int pd_move_visit(pd_walk *w, const void *obj, size_t bytes)
{
	struct pd__obj *h = live_obj(obj);
	if (w->epoch == 0)
		w->epoch = pd__epoch_next();
	if (h == NULL || h->size < bytes || (h->flags & OBJ_SHARED) || h->epoch == w->epoch)
		return -PD_EINVAL;
	if (__atomic_load_n(&h->owner, __ATOMIC_RELAXED) != w->from)
		return -PD_ENOTOWNER;
	h->epoch = w->epoch;
	return 0;
}

void pd_move_give(pd_walk *w, void *obj)
{
	snap_moving(pd__obj_of(obj), w->from, w->to);
	__atomic_store_n(&pd__obj_of(obj)->owner, w->to, __ATOMIC_RELAXED);
}

int pd_walk_shared(pd_walk *w, const void *obj, size_t bytes)
{
	struct pd__obj *h = live_obj(obj);
	if (h == NULL || h->size < bytes)
		return -PD_EINVAL;
	if (w->epoch == 0)
		w->epoch = pd__epoch_next();
	if (h->epoch == w->epoch)
		return 0;
	h->epoch = w->epoch;
	return 1;
}

/*
 * The object whose payload contains address a (interior pointers too), or
 * NULL: for a buffer that must not be inside the callee's objects.
 */
static const struct pd__obj *obj_containing(uintptr_t a)
{
	const uint32_t *desc = a >> USER_ADDR_BITS ? NULL : map_get(a);
	if (desc == NULL)
		return NULL;
	if (*desc == SLAB_MAGIC) {
		const struct slab *s = (const struct slab *)desc;
		uintptr_t first = (uintptr_t)(s + 1);
		if (a < first)
			return NULL;
		uint64_t idx = ((uint64_t)(a - first) * s->recip) >> 42;
		const struct pd__obj *h = (const struct pd__obj *)(first + idx * s->stride);
		if ((uintptr_t)h + s->stride > (uintptr_t)__atomic_load_n(&s->bump, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != PD__OBJ_MAGIC)
			return NULL;
		return h;
	}
	const struct big *b = (const struct big *)desc;
	if (*desc != BIG_MAGIC || !__atomic_load_n(&b->live, __ATOMIC_ACQUIRE))
		return NULL;
	return (const struct pd__obj *)b->base;
}

static int range_ok(const void *p, size_t n)
{
	return n == 0 || (p != NULL && (uintptr_t)p + n - 1 >= (uintptr_t)p);
}

int pd_probe_read(const void *p, size_t n)
{
	if (!range_ok(p, n))
		return -PD_EINVAL;
	const volatile char *c = p;
	for (size_t off = 0; off < n; off += 4096 - ((uintptr_t)(c + off) & 4095))
		(void)c[off];
	if (n)
		(void)c[n - 1];
	return 0;
}

int pd_probe_write(const pd_domain *callee, void *p, size_t n)
{
	if (!range_ok(p, n))
		return -PD_EINVAL;
	if (n == 0)
		return 0;
	const struct pd__obj *first = obj_containing((uintptr_t)p);
	const struct pd__obj *last = obj_containing((uintptr_t)p + n - 1);
	if ((first && __atomic_load_n(&first->owner, __ATOMIC_RELAXED) == callee) ||
	    (last && __atomic_load_n(&last->owner, __ATOMIC_RELAXED) == callee))
		return -PD_EINVAL;
	char *c = p;
	for (size_t off = 0; off < n; off += 4096 - ((uintptr_t)(c + off) & 4095))
		__atomic_fetch_or(c + off, 0, __ATOMIC_RELAXED);   /* a write that changes nothing */
	__atomic_fetch_or(c + n - 1, 0, __ATOMIC_RELAXED);
	return 0;
}

pd_domain *pd_owner(const void *obj, int *rc)
{
	const struct pd__obj *h = live_obj(obj);
	if (rc)
		*rc = h ? 0 : -PD_EINVAL;
	return h ? __atomic_load_n(&h->owner, __ATOMIC_RELAXED) : NULL;
}

const pd_kind *pd_kind_of(const void *obj)
{
	const struct pd__obj *h = live_obj(obj);
	return h ? h->kind : NULL;
}

/* ---- shared objects --------------------------------------------------- */

void *pd_shared_alloc(size_t size, const pd_kind *kind)
{
	void *obj = pd_alloc(size, kind);
	if (obj) {
		struct pd__obj *h = pd__obj_of(obj);
		h->refcount = 1;
		h->flags |= OBJ_SHARED;     /* (keeping an undo-log stamp) */
	}
	return obj;
}

/* The live shared object at p that the current domain may count, or NULL. */
/* A shared count about to change: the owner's undo log keeps the old one. */
static inline void snap_counting(struct pd__obj *h)
{
	pd_domain *d = pd__self.current;
	if (__builtin_expect(d && d->snap_epoch, 0))
		pd__snap_count(d, h);
}

static struct pd__obj *countable(const void *p)
{
	struct pd__obj *h = live_obj(p);
	if (h == NULL || !(__atomic_load_n(&h->flags, __ATOMIC_RELAXED) & OBJ_SHARED) ||
	    __atomic_load_n(&h->owner, __ATOMIC_RELAXED) != pd__self.current)
		return NULL;
	return h;
}

void *pd_shared_retain(void *obj)
{
	if (obj == NULL)
		return NULL;
	struct pd__obj *h = countable(obj);
	if (h == NULL)
		return NULL;
	snap_counting(h);
	uint32_t n = __atomic_load_n(&h->refcount, __ATOMIC_RELAXED);
	do {
		if (n == 0 || n >= PD__RC_MAX)
			return NULL;   /* being freed, or the count would wrap */
	} while (!__atomic_compare_exchange_n(&h->refcount, &n, n + 1, 0, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return obj;
}

int pd_shared_release(void *obj)
{
	if (obj == NULL)
		return 0;
	struct pd__obj *h = countable(obj);
	if (h == NULL) {
		const struct pd__obj *o = live_obj(obj);
		return o && (o->flags & OBJ_SHARED) ? -PD_ENOTOWNER : -PD_EINVAL;
	}
	snap_counting(h);
	uint32_t n = __atomic_load_n(&h->refcount, __ATOMIC_RELAXED);
	do {
		if (n == 0)
			return -PD_EINVAL;
	} while (!__atomic_compare_exchange_n(&h->refcount, &n, n - 1, 0, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return n == 1 ? pd__free_object(obj, 1) : 0;
}

uint32_t pd_shared_refcount(const void *obj)
{
	const struct pd__obj *h = live_obj(obj);
	return h ? __atomic_load_n(&h->refcount, __ATOMIC_RELAXED) : 0;
}

/* ---- walks over every object ------------------------------------------ */

/* Runs body for every live slab object h (heap lock held). */
#define FOR_EACH_SLOT(h, s, body)                                                  \
	for (struct slab *s = slabs; s; s = s->next) {                               \
		size_t stride_ = s->stride;                                              \
		char *end_ = __atomic_load_n(&s->bump, __ATOMIC_ACQUIRE);                \
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
	for (struct big *b = live_big.next; b != &live_big; b = b->next)
		((struct pd__obj *)b->base)->epoch = 0;
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
	if (pd__self.current != NULL)
		return 0;
	pd_domain *d = lock_heap();
	size_t n = big_count + gone_allocs - gone_frees;
	for (struct tcache *t = threads.next; t != &threads; t = t->next)
		n += __atomic_load_n(&t->allocs, __ATOMIC_RELAXED) - __atomic_load_n(&t->frees, __ATOMIC_RELAXED);
	unlock_heap(d);
	return n;
}

/* With forget: d is going away, so nobody is charged for what it allocated. */
static void forget_payer(struct pd__obj *h, pd_domain *d)
{
	pd_domain *expect = d;
	if (__atomic_load_n(&h->charged, __ATOMIC_RELAXED) == d)
		__atomic_compare_exchange_n(&h->charged, &expect, NULL, 0, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED);
}

/*
 * The destructors of a dying domain's objects, all before any memory goes
 * (so one may still look at another).  A kind's destructor is the owner's
 * code - domain code may name a kind it wrote - so it runs inside the
 * owner, with its authority and labels, under a catch frame of its own:
 * one that faults is abandoned (its object is freed all the same) and the
 * rest still run.  Nothing the domain allocates meanwhile is kept
 * (pd_alloc refuses while it is swept).
 */
static void run_destructors(pd_domain *d, struct pd__obj *doomed)
{
	struct pd__obj *first = doomed;
	while (first && !(first->kind && first->kind->destroy))
		first = first->prev;
	if (first == NULL)
		return;                         /* nothing to run: no frame to arm */
	struct pd__thread *t = &pd__self;
	pd_domain *saved = t->current;
	struct pd__obj *volatile next = first;
	pd_catch c = { .prev = t->top, .owner = NULL, .kind = PD__FRAME_SETJMP };

	__atomic_store_n(&d->sweeping, 1, __ATOMIC_RELAXED);
	t->top = &c;
	if (__builtin_setjmp(c.jb) != 0) {
		pd__count_fault(c.faulted);     /* that destructor is given up */
		c.faulted = NULL;
		t->top = &c;
	}
	t->current = d;
	while (next) {
		struct pd__obj *h = next;
		next = h->prev;
		if (!(h->flags & OBJ_DESTROYING) && h->kind && h->kind->destroy) {
			h->flags |= OBJ_DESTROYING;
			h->kind->destroy(h + 1);
		}
	}
	t->top = c.prev;
	t->current = saved;
	__atomic_store_n(&d->sweeping, 0, __ATOMIC_RELAXED);
}

/*
 * The memory of a sweep's doomed objects (their destructors have run), as
 * the outside: slots back to this thread's cache, big objects unmapped.
 * Leaves pd__self.current NULL; the caller puts back its own.
 */
static void release_doomed(struct pd__obj *doomed)
{
	pd__self.current = NULL;
	struct tcache *t = tc ? tc : tcache_new();
	while (doomed) {
		struct pd__obj *h = doomed;
		doomed = h->prev;
		uncharge(h);
		if (h->size > SLAB_MAX) {
			pthread_mutex_lock(&heap_lock);   /* already running as the outside */
			big_release(h);
			pthread_mutex_unlock(&heap_lock);
		} else if (t) {
			slot_put(t, h);
		} else {
			__atomic_store_n(&h->magic, 0, __ATOMIC_RELEASE);
		}
	}
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
				h->prev = doomed;  /* a slab slot's links are unused: borrow one */
				doomed = h;
			}
		} else if (forget) {
			forget_payer(h, d);
		}
	})
	for (struct big *b = live_big.next; b != &live_big; b = b->next) {
		struct pd__obj *h = (struct pd__obj *)b->base;
		if (h->owner == d) {
			if (!(__atomic_fetch_or(&h->flags, OBJ_SWEPT, __ATOMIC_ACQ_REL) & OBJ_SWEPT)) {
				h->prev = doomed;
				doomed = h;
			}
		} else if (forget) {
			forget_payer(h, d);
		}
	}
	unlock_heap(saved);

	run_destructors(d, doomed);
	release_doomed(doomed);
	pd__self.current = saved;
}

/* ---- for the undo log (pd_snap.c) ---- */

/*
 * A rollback's half of a sweep: the objects of objs that d still owns and
 * that are new in epoch e go, destructors first.
 */
void pd__heap_free_new(pd_domain *d, struct pd__obj **objs, size_t n, uint32_t e)
{
	struct pd__obj *doomed = NULL;
	for (size_t i = 0; i < n; i++) {
		struct pd__obj *h = objs[i];
		uint32_t f = __atomic_load_n(&h->flags, __ATOMIC_RELAXED);
		if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != PD__OBJ_MAGIC ||
		    __atomic_load_n(&h->owner, __ATOMIC_RELAXED) != d ||
		    (f >> PD__SNAP_SHIFT) != e || !(f & PD__SNAP_NEW))
			continue;
		if (__atomic_fetch_or(&h->flags, OBJ_SWEPT, __ATOMIC_ACQ_REL) & OBJ_SWEPT)
			continue;           /* listed twice (moved in twice) */
		h->prev = doomed;
		doomed = h;
	}
	run_destructors(d, doomed);
	pd_domain *saved = pd__self.current;
	release_doomed(doomed);
	pd__self.current = saved;
}

void pd__heap_uncharge(struct pd__obj *h)
{
	uncharge(h);
}

void pd__heap_recharge(pd_domain *d, struct pd__obj *h)
{
	pd_domain *none = NULL;
	if (__atomic_compare_exchange_n(&h->charged, &none, d, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		__atomic_add_fetch(&d->charged_bytes, footprint(h->size), __ATOMIC_RELAXED);
}

void pd__heap_each_owned(pd_domain *d, void (*fn)(struct pd__obj *h, void *arg), void *arg)
{
	pd_domain *saved = lock_heap();
	FOR_EACH_SLOT(h, s, {
		if (__atomic_load_n(&h->owner, __ATOMIC_RELAXED) == d)
			fn(h, arg);
	})
	for (struct big *b = live_big.next; b != &live_big; b = b->next) {
		struct pd__obj *h = (struct pd__obj *)b->base;
		if (h->owner == d)
			fn(h, arg);
	}
	unlock_heap(saved);
}

/* A stamp of an epoch still open (its owner's) is kept: that epoch's
 * rollback still needs its marks; every other stamp goes. */
static void clear_closed_stamp(struct pd__obj *h)
{
	const uint32_t keep = (1u << PD__SNAP_SHIFT) - 1;
	pd_domain *o = __atomic_load_n(&h->owner, __ATOMIC_RELAXED);
	uint32_t f = __atomic_load_n(&h->flags, __ATOMIC_RELAXED);
	if (pd__is_record(o) && o->snap_epoch && (f >> PD__SNAP_SHIFT) == o->snap_epoch)
		return;
	__atomic_fetch_and(&h->flags, keep, __ATOMIC_RELAXED);
}

void pd__heap_clear_snap_stamps(void)
{
	pd_domain *d = lock_heap();
	FOR_EACH_SLOT(h, s, { clear_closed_stamp(h); })
	for (struct big *b = live_big.next; b != &live_big; b = b->next)
		clear_closed_stamp((struct pd__obj *)b->base);
	unlock_heap(d);
}
