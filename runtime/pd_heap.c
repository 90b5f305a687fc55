/*
 * The ownership heap: one list of every live object, an owner pointer in
 * each header, and per-domain byte accounting.  Moving an object is a
 * single store to its header, so the call fast path never takes the heap
 * lock; the price is that sweeping a dying domain walks the whole list
 * (the objects alive at that moment, in a pipeline mostly batches in
 * flight).  Allocation and free take one mutex around malloc/free.
 */
#include <stdint.h>
#include <stdlib.h>

#include "pd_internal.h"

enum {
	OBJ_SWEPT = 1,       /* in a sweep: pd_free leaves it alone */
	OBJ_DESTROYING = 2,  /* destructor started: the sweep must not run it again */
};

static pthread_mutex_t heap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pd__obj live = { .next = &live, .prev = &live };
static size_t live_count;

static void link_obj(struct pd__obj *h)
{
	h->next = live.next;
	h->prev = &live;
	live.next->prev = h;
	live.next = h;
	live_count++;
}

static void unlink_obj(struct pd__obj *h)
{
	h->prev->next = h->next;
	h->next->prev = h->prev;
	live_count--;
	if (h->charged)
		h->charged->charged_bytes -= h->size;
}

/*
 * A crash inside malloc/free or while the heap lock is held is libpd's (or
 * a corrupted C heap's), not the domain's: those sections run as the
 * outside, so such a crash stops the process instead of unwinding with the
 * lock held and deadlocking the next sweep.
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

void *pd_alloc(size_t size, const pd_kind *kind)
{
	if (size > UINT32_MAX)  /* the header's size field is 32 bits */
		return NULL;
	pd_domain *d = lock_heap();
	if (d && d->spec.quota_bytes && size > d->spec.quota_bytes - d->charged_bytes) {
		unlock_heap(d);
		pd__fault_quota(size);
	}
	struct pd__obj *h = calloc(1, sizeof(*h) + size);
	if (h == NULL) {
		unlock_heap(d);
		return NULL;
	}
	h->owner = d;
	h->kind = kind;
	h->charged = d;
	h->size = (uint32_t)size;
	h->magic = PD__OBJ_MAGIC;
	if (d)
		d->charged_bytes += size;
	link_obj(h);
	unlock_heap(d);
	return h + 1;
}

int pd_free(void *obj)
{
	if (obj == NULL)
		return 0;
	struct pd__obj *h = pd__obj_of(obj);

	pd_domain *d = lock_heap();
	int rc = 0;
	if (h->magic != PD__OBJ_MAGIC || (h->flags & OBJ_DESTROYING))
		rc = -PD_EINVAL;
	else if (h->flags & OBJ_SWEPT)
		rc = 1;  /* the sweep owns it now */
	else if (h->owner != d)
		rc = -PD_ENOTOWNER;
	else
		h->flags |= OBJ_DESTROYING;  /* first: if the destructor faults, the sweep frees the memory only */
	unlock_heap(d);
	if (rc != 0)
		return rc < 0 ? rc : 0;

	if (h->kind && h->kind->destroy)
		h->kind->destroy(obj);

	d = lock_heap();
	unlink_obj(h);
	h->magic = 0;
	free(h);
	unlock_heap(d);
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
	pthread_mutex_lock(&heap_lock);
	for (struct pd__obj *h = live.next; h != &live; h = h->next)
		h->epoch = 0;
	pthread_mutex_unlock(&heap_lock);
	return __atomic_add_fetch(&epoch_counter, 1, __ATOMIC_RELAXED);
}

/* For the wrap test only: puts the counter just below the wrap. */
void pd__epoch_set(uint32_t e)
{
	__atomic_store_n(&epoch_counter, e, __ATOMIC_RELAXED);
}

size_t pd_heap_live_objects(void)
{
	pthread_mutex_lock(&heap_lock);
	size_t n = live_count;
	pthread_mutex_unlock(&heap_lock);
	return n;
}

void pd__heap_sweep(pd_domain *d, int forget)
{
	struct pd__obj *doomed = NULL;

	pthread_mutex_lock(&heap_lock);
	for (struct pd__obj *h = live.next, *next; h != &live; h = next) {
		next = h->next;
		if (h->owner == d) {
			unlink_obj(h);
			h->flags |= OBJ_SWEPT;
			h->next = doomed;  /* the live links are free now: reuse one */
			doomed = h;
		} else if (forget && h->charged == d) {
			h->charged = NULL;
		}
	}
	pthread_mutex_unlock(&heap_lock);

	/*
	 * Destructors run outside any domain (they are trusted kind code) and
	 * all before any memory goes, so one may still look at another.
	 */
	pd_domain *saved = pd__self.current;
	pd__self.current = NULL;
	for (struct pd__obj *h = doomed; h; h = h->next)
		if (!(h->flags & OBJ_DESTROYING) && h->kind && h->kind->destroy) {
			h->flags |= OBJ_DESTROYING;
			h->kind->destroy(h + 1);
		}
	pd__self.current = saved;
	while (doomed) {
		struct pd__obj *h = doomed;
		doomed = h->next;
		h->magic = 0;
		free(h);
	}
}
