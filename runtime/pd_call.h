/*
 * The cross-domain call: what every pdlc-generated proxy is made of.  The
 * whole fast path is inline - resolve the rref with one compare, run the
 * access-control hook if the slot has one, switch the thread's current
 * domain, push a catch frame unless the caller already holds one, call,
 * switch back - and makes no system call and no call into libpd's C code.
 *
 * THE PROXY SHAPE (pdlc emits exactly this).  For
 *	interface filter { u32 process(move batch b, u32 n); }    // module nf
 * it emits:
 *
 *	typedef struct nf_filter_ops {
 *		int (*process)(void *self, pd_batch *b, uint32_t n, uint32_t *result);
 *	} nf_filter_ops;
 *	enum { NF_FILTER_PROCESS = 0 };      // method index, given to the ACL hook
 *
 *	static inline int nf_filter_process(pd_rref r, pd_batch **b, uint32_t n,
 *					    uint32_t *result)
 *	{
 *		pd_call call;
 *		int rc = pd_call_enter(&call, r, NF_FILTER_PROCESS);
 *		if (rc < 0)
 *			return rc;
 *		const nf_filter_ops *ops = call.ops;
 *		pd_batch *b_moved = *b;
 *		rc = pd_move_in(&call, b_moved);   // callee owns it from here
 *		if (rc < 0) {
 *			pd_call_leave(&call);
 *			return rc;
 *		}
 *		*b = NULL;
 *		// -PD_EFAULT when the callee faulted (it has been recovered by then)
 *		rc = PD_CALL_VIA(&call, ops->process)(call.self, b_moved, n, result);
 *		pd_call_leave(&call);
 *		return rc;
 *	}
 *
 * PD_CALL_VIA(&call, ops->m) is an expression of the same function type as
 * ops->m; it is called with exactly the implementation's arguments.
 *
 * Parameters: scalars by value, borrowed structs `const T *`, inout `T *`,
 * rrefs as pd_rref, `move T` as `T **` (one pd_move_in per moved argument,
 * in declaration order, before the call; the caller's pointers are cleared
 * only once every move succeeded; if the k-th pd_move_in fails, give the
 * first k-1 back with pd_move_out before pd_call_leave, so a refused call
 * changes no ownership).  A result is a trailing `T *result`.  A result
 * declared `own T` (ownership comes to the caller) is `T **result` and is
 * handed over with pd_move_out after the call:
 *
 *	pd_batch *out = NULL;
 *	rc = PD_CALL_VIA(&call, ops->process)(call.self, b_moved, &out);
 *	if (rc >= 0)
 *		rc = pd_move_out(&call, out);     // callee -> caller; NULL is fine
 *	pd_call_leave(&call);
 *	if (rc >= 0)
 *		*result = out;
 *	return rc;
 *
 * Why not a setjmp in the proxy (the older PD_CALL_GUARD shape, still
 * supported below): gcc never inlines a function that calls setjmp and
 * spills every live value around it; measured, the proxy cost 25 cycles
 * over a direct call that way, against 18 with the thunk (10 when the
 * caller holds an armed frame, where PD_CALL_VIA is the implementation
 * itself).  See tests/bench/callbench.c.
 *
 * x86-64 System V only (the thunk is assembly); the proxy is plain C.
 */
#ifndef PD_CALL_H
#define PD_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "pd_core.h"
#include "pd_error.h"

typedef struct pd_call {
	const void *ops;       /* the callee's ops table */
	void *self;            /* the exported object */
	pd_domain *caller;     /* NULL = outside */
	pd_domain *callee;
	pd_catch *saved_top;   /* innermost frame before the call */
	int framed;            /* this call pushed its own frame */
	pd_catch frame;
} pd_call;

/* Out of line, cold: the error a failed resolve returns (always < 0). */
int pd__rref_error(pd_rref r);
/* Out of line, cold: recovers the faulted callee after an unwind; returns 0. */
int pd__call_unwound(pd_call *c);

static inline int pd_call_enter(pd_call *c, pd_rref r, unsigned method)
{
	uint64_t v = r.v;
	pd_domain *d = pd__domains[v >> PD__DOM_SHIFT];
	const struct pd__slot *s = &d->slots[(v >> PD__SLOT_SHIFT) & PD__SLOT_MASK];

	if (__builtin_expect(s->key != v, 0))
		return pd__rref_error(r);

	struct pd__thread *t = &pd__self;
	pd_domain *caller = t->current;

	if (__builtin_expect(s->acl != NULL, 0) && s->acl(caller, method, s->acl_arg))
		return -PD_EACCES;
	c->ops = s->ops;
	c->self = s->self;
	c->caller = caller;
	c->callee = d;

	/*
	 * The innermost frame already belongs to the caller (a scheduler armed
	 * PD_CATCH_ARM): a fault in the callee unwinds there, which is exactly
	 * the entry of this call, so no frame of our own is needed.
	 */
	pd_catch *top = t->top;
	c->saved_top = top;
	c->framed = top == NULL || top->owner != caller;
	if (c->framed) {
		if (__builtin_expect(!t->ready, 0))
			pd_thread_init();
		c->frame.prev = top;
		c->frame.owner = caller;
		c->frame.kind = PD__FRAME_THUNK;
		t->top = &c->frame;
	}
	t->current = d;
	return 0;
}

/*
 * PD_CALL_VIA(c, fn) is the function to call in place of the
 * implementation fn, with fn's own arguments: fn itself when the caller
 * holds the innermost frame, else pd__guarded_call (pd_thunk_x86_64.S)
 * with fn recorded in the call's frame.  Either way, a fault in the callee
 * makes the call return -PD_EFAULT after the callee has been recovered
 * (or, with a caller-armed frame, lands in PD_CATCH_ARM).
 */
void pd__guarded_call(void);
int pd__guarded_unwound(pd_catch *frame);

#define PD_CALL_VIA(c, fn) \
	(__builtin_expect((c)->framed, 1) \
	 ? ((c)->frame.target = (const void *)(fn), \
	    (__typeof__(fn))(void (*)(void))pd__guarded_call) \
	 : (fn))

/*
 * The older, portable shape: if (PD_CALL_GUARD(&call)) rc = impl(...);
 * else rc = -PD_EFAULT.  True on the way in; false when the callee faulted,
 * after it has been recovered.  It puts a setjmp in the proxy, which then
 * cannot be inlined; prefer PD_CALL_VIA.
 */
#define PD_CALL_GUARD(c) \
	(!(c)->framed || \
	 ((c)->frame.kind = PD__FRAME_SETJMP, \
	  __builtin_expect(__builtin_setjmp((c)->frame.jb) == 0, 1)) || \
	 pd__call_unwound(c))

static inline void pd_call_leave(pd_call *c)
{
	struct pd__thread *t = &pd__self;

	t->top = c->saved_top;
	t->current = c->caller;
}

/*
 * Moves obj from the caller to the callee.  obj must come from pd_alloc.
 * Returns 0, -PD_EINVAL (NULL or not a libpd object) or -PD_ENOTOWNER.
 */
static inline int pd_move_in(pd_call *c, void *obj)
{
	if (__builtin_expect(obj == NULL, 0))
		return -PD_EINVAL;
	struct pd__obj *h = pd__obj_of(obj);
	if (__builtin_expect(h->magic != PD__OBJ_MAGIC, 0))
		return -PD_EINVAL;
	if (__builtin_expect(__atomic_load_n(&h->owner, __ATOMIC_RELAXED) != c->caller, 0))
		return -PD_ENOTOWNER;
	__atomic_store_n(&h->owner, c->callee, __ATOMIC_RELAXED);
	return 0;
}

/*
 * Moves a result (or a moved argument being handed back) from the callee
 * to the caller.  NULL is no object and succeeds.
 */
static inline int pd_move_out(pd_call *c, void *obj)
{
	if (obj == NULL)
		return 0;
	struct pd__obj *h = pd__obj_of(obj);
	if (__builtin_expect(h->magic != PD__OBJ_MAGIC, 0))
		return -PD_EINVAL;
	if (__builtin_expect(__atomic_load_n(&h->owner, __ATOMIC_RELAXED) != c->callee, 0))
		return -PD_ENOTOWNER;
	__atomic_store_n(&h->owner, c->caller, __ATOMIC_RELAXED);
	return 0;
}

#endif
