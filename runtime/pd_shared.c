/*
 * Reference counts of shared objects, kept in the object header.  Counts
 * are atomic so that a count read by a test or a stats thread is never
 * torn, though a shared object is only ever reached from one domain.
 */
#include "pd_core.h"
#include "pd_shared.h"

void *pd_shared_alloc(size_t size, const pd_kind *kind)
{
	void *obj = pd_alloc(size, kind);
	if (obj)
		pd__obj_of(obj)->refcount = 1;
	return obj;
}

void *pd_shared_retain(void *obj)
{
	if (obj)
		__atomic_add_fetch(&pd__obj_of(obj)->refcount, 1, __ATOMIC_RELAXED);
	return obj;
}

int pd_shared_release(void *obj)
{
	if (obj == NULL)
		return 0;
	if (__atomic_sub_fetch(&pd__obj_of(obj)->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return 0;
	return pd_free(obj);
}

uint32_t pd_shared_refcount(const void *obj)
{
	return __atomic_load_n(&pd__obj_of(obj)->refcount, __ATOMIC_RELAXED);
}
