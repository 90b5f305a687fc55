/*
 * Shared objects: the `shared T` of a .pdl, reference-counted heap objects
 * that several fields may point at (the firewall's rules, reached from
 * every trie leaf that matches them).  They are ordinary pd_alloc objects
 * of the current domain - a dying domain frees them whatever their counts -
 * with a count kept in the object header next to the checkpoint stamp.
 *
 * A count only says how many fields of the same domain's state point at
 * the object; shared objects never cross domains (domains share no data).
 * Cycles through shared pointers are allowed but, as with any reference
 * counting, are not freed by releases alone: the domain's sweep (or the
 * checkpoint reader's abort, for a failed load) frees them.
 */
#ifndef PD_SHARED_H
#define PD_SHARED_H

#include <stddef.h>
#include <stdint.h>

#include "pd_heap.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Allocates size zeroed bytes owned by the current domain, like pd_alloc,
 * with one reference (the caller's).  NULL when out of memory.
 */
void *pd_shared_alloc(size_t size, const pd_kind *kind);

/* Adds a reference; returns obj.  NULL is allowed and returned. */
void *pd_shared_retain(void *obj);

/*
 * Drops a reference; the last one frees the object with pd_free (its kind's
 * destructor releases what it holds), so the last release must come from
 * the owner.  Returns 0, or pd_free's error.  NULL is allowed.
 */
int pd_shared_release(void *obj);

/* The current count (for tests and assertions); 0 for a plain object. */
uint32_t pd_shared_refcount(const void *obj);

#ifdef __cplusplus
}
#endif

#endif
