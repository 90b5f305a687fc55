/*
 * The ownership heap.  Every object allocated through pd_alloc has exactly
 * one owner: the domain that was current when it was allocated, or nobody
 * (the trusted "outside") when no domain was.  Passing an object by `move`
 * re-owns it in O(1) - same address, one store, no copy.  When a domain
 * dies or is recovered, every object it owns is freed and its kind's
 * destructor runs (a packet batch gives its mbufs back), whatever the fault.
 *
 * Quota: the bytes a domain allocates are charged to it until they are
 * freed, wherever the object has moved since (like a memory cgroup).
 * An allocation that would exceed the quota is a fault in that domain.
 */
#ifndef PD_HEAP_H
#define PD_HEAP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pd_domain pd_domain;

/*
 * What an object is.  destroy runs just before the memory is released (by
 * pd_free, or by the sweep of a dying domain).  It is trusted library code:
 * it runs outside any domain and must not fault.  It may pd_free objects
 * it owns; objects the dying domain owns are swept anyway, and pd_free of
 * one of those during the sweep does nothing.
 */
typedef struct pd_kind {
	const char *name;
	void (*destroy)(void *obj);
} pd_kind;

/*
 * Allocates size zeroed bytes owned by the current domain.  Returns NULL
 * when memory is exhausted or size exceeds UINT32_MAX (the header keeps a
 * 32-bit size).  Exceeding the current domain's quota does not
 * return: it faults the domain (pd_last_fault()->kind == PD_FAULT_QUOTA).
 * The result is aligned to 16 bytes.
 */
void *pd_alloc(size_t size, const pd_kind *kind);

/*
 * Runs the destructor and frees obj.  Only the owner may free it:
 * returns 0, -PD_EINVAL (not a libpd object) or -PD_ENOTOWNER.
 * pd_free(NULL) returns 0.
 */
int pd_free(void *obj);

/*
 * Gives obj, owned by the current domain (or by the outside when no domain
 * is current), to `to` (NULL = the outside).  O(1), same address.
 * Returns 0, -PD_EINVAL or -PD_ENOTOWNER.
 */
int pd_move(void *obj, pd_domain *to);

/* The owner of obj (NULL = outside), or NULL and *rc < 0 when invalid. */
pd_domain *pd_owner(const void *obj, int *rc);

const pd_kind *pd_kind_of(const void *obj);

/*
 * Objects alive in the whole heap (all owners); for leak checks in tests.
 * Trusted code only: inside a domain it returns 0 (the whole process's
 * count would tell a domain how much other domains hold).
 */
size_t pd_heap_live_objects(void);

#ifdef __cplusplus
}
#endif

#endif
