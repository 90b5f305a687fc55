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
 *		rc = pd_call_flow_in(&call, NULL, 0);  // arguments' lattice, label
 *		if (rc < 0) {
 *			pd_call_leave(&call);
 *			return rc;
 *		}
 *		pd_batch *b_moved = *b;
 *		rc = pd_move_in(&call, b_moved);   // callee owns it from here
 *		if (rc < 0) {
 *			pd_call_leave(&call);
 *			return rc;
 *		}
 *		*b = NULL;
 *		// -PD_EFAULT when the callee faulted (it has been recovered by then)
 *		rc = PD_CALL_VIA(&call, ops->process)(call.self, b_moved, n, result);
 *		if (rc >= 0 && (rc = pd_call_flow_out(&call, NULL, 0)) < 0)
 *			memset(result, 0, sizeof(*result));  // withheld
 *		pd_call_leave(&call);
 *		return rc;
 *	}
 *
 * pd_call_flow_in gets the arguments' lattice and label (&M_L_lattice and
 * the declared labels joined with labeled<T> arguments' ->label; NULL, 0
 * when none), pd_call_flow_out the result's; a method without a result
 * calls pd_call_flow_out(&call, NULL, 0) when rc >= 0, without the memset.
 * A `bytes` or `labeled<bytes>` result is copied by the callee into the
 * caller's buffer; the proxy saves that buffer before the call
 * (pd_bytes result_buf = *result, or = result->value) and, when it
 * withholds the result, first wipes it:
 *
 *	if (rc >= 0 && (rc = pd_call_flow_out(&call, &M_L_lattice, result->label)) < 0) {
 *		if (result_buf.data)
 *			memset(result_buf.data, 0, result_buf.len);
 *		memset(result, 0, sizeof(*result));
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
 *		rc = pd_call_flow_out(&call, NULL, 0);
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
 * Why the catch frame is not in the pd_call: a frame on the proxy's stack
 * is published through pd__self.top, so the whole pd_call escaped and gcc
 * built it in memory (SLP-vectorised stores that stalled).  The frame now
 * comes from a per-thread frame stack; the pd_call itself never escapes
 * and stays in registers.  The fast path is laid out for a caller that
 * holds the innermost frame (the scheduler's loop: 7-10 cycles per stage
 * call); a framed call is the taken branch.  The ACL hook and the lattice
 * share one slot flag (hooks), so a plain slot pays one branch for both;
 * pd_call_flow_in then tests a register known to be NULL, and
 * pd_call_flow_out the callee record's lattice (the record is live across
 * the call anyway; keeping c->lattice too cost a spill).  Measured on
 * callbench's armed stage call, the two label checks cost under 1 cycle.
 *
 * x86-64 System V only (the thunk is assembly); the proxy is plain C.
 */
#ifndef PD_CALL_H
#define PD_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "pd_core.h"
#include "pd_error.h"
#include "pd_label.h"

/*
 * How pdlc declares a proxy.  Always inlined: the proxy is a handful of
 * loads, stores and branches around one indirect call, and gcc's size
 * heuristics otherwise leave it out of line once it carries the label
 * checks, which costs more than the checks themselves.
 */
#define PD_PROXY static inline __attribute__((always_inline))

typedef struct pd_call {
	const void *ops;       /* the callee's ops table */
	void *self;            /* the exported object */
	pd_domain *caller;     /* NULL = outside */
	pd_domain *callee;
	const struct pd_lattice *lattice;  /* the callee's; NULL = no labels */
	/* The frame this call pushed (the thread's frame stack, pd_core.h), or
	 * NULL when the caller already holds the innermost frame.  Not on the
	 * proxy's stack: nothing of the call escapes, so gcc keeps it in
	 * registers instead of building it in memory. */
	pd_catch *framed;
} pd_call;

/* Out of line, cold: the error a failed resolve returns (always < 0). */
int pd__rref_error(pd_rref r);
/* Out of line, cold: recovers the faulted callee after an unwind; returns 0. */
int pd__call_unwound(pd_call *c);

/* Out of line, cold: the next frame when the thread's frame stack is not
 * set up yet (pd_thread_init) or full; NULL then, with the error in *rc. */
pd_catch *pd__frame_slow(int *rc);

static inline int pd_call_enter(pd_call *c, pd_rref r, unsigned method)
{
	uint64_t v = r.v;
	pd_domain *d = pd__domains[v >> PD__DOM_SHIFT];
	const struct pd__slot *s = &d->slots[(v >> PD__SLOT_SHIFT) & PD__SLOT_MASK];

	if (__builtin_expect(s->key != v, 0)) {
		int rc = pd__rref_error(r);
		if (rc >= 0)
			__builtin_unreachable();  /* always an error */
		return rc;
	}

	struct pd__thread *t = &pd__self;
	pd_domain *caller = t->current;

	/* One flag says "ACL or lattice": a plain slot costs one branch. */
	c->lattice = NULL;
	if (__builtin_expect(s->hooks != 0, 0)) {
		if (s->acl != NULL && s->acl(caller, method, s->acl_arg))
			return -PD_EACCES;
		c->lattice = s->lattice;
	}
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
	c->framed = NULL;
	if (__builtin_expect(top == NULL || top->owner != caller, 0)) {
		pd_catch *f = t->frame_next;
		if (__builtin_expect(f == t->frame_end, 0)) {
			int rc;
			f = pd__frame_slow(&rc);
			if (f == NULL) {
				if (rc >= 0)
					__builtin_unreachable();  /* always an error */
				return rc;
			}
		}
		f->prev = top;
		f->owner = caller;
		f->kind = PD__FRAME_THUNK;
		t->frame_next = f + 1;
		t->top = f;
		c->framed = f;
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
	(__builtin_expect((c)->framed != NULL, 0) \
	 ? ((c)->framed->target = (const void *)(fn), \
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
	 ((c)->framed->kind = PD__FRAME_SETJMP, \
	  __builtin_expect(__builtin_setjmp((c)->framed->jb) == 0, 1)) || \
	 pd__call_unwound(c))

static inline void pd_call_leave(pd_call *c)
{
	struct pd__thread *t = &pd__self;
	pd_catch *f = c->framed;

	if (__builtin_expect(f != NULL, 0)) {
		t->top = f->prev;
		t->frame_next = f;
	}
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


/* a when c, else b; written so that gcc keeps it a cmov, not a branch. */
static inline uintptr_t pd__pick(int c, uintptr_t a, uintptr_t b)
{
	uintptr_t m = -(uintptr_t)(c != 0);
	return (a & m) | (b & ~m);
}

/*
 * Out of line, called only when a label changes: the whole raise (join,
 * clearance check, store) of pd_call_flow_in / pd_call_flow_out below.
 * They take the call's members, not the pd_call: its address would escape,
 * and gcc would build every pd_call in memory instead of registers.
 */
int pd__flow_in_raise(pd_domain *callee, const pd_domain *caller,
		      const pd_lattice *args_lattice, pd_label args);
int pd__flow_out_raise(const pd_domain *callee, pd_domain *caller,
		       const pd_lattice *result_lattice, pd_label result);

/*
 * Information flow on the way in (pd_label.h): raises the callee's floating
 * label by the caller's label and by ARGS, the arguments' labels in
 * ARGS_LATTICE (pdlc joins the declared ones with the run-time labels of
 * labeled<T> arguments).  Refused with -PD_ELABEL, before anything moves,
 * when that would lift the callee above its clearance or ARGS is not a
 * label.  A callee without a lattice costs a test of a register
 * (pd_call_enter set c->lattice from the slot only when its hooks flag is
 * set).
 *
 * Why it only compares inline: in a running pipeline labels settle after
 * the first few calls, so what comes in is almost always the label the
 * callee already holds (and that label is below the clearance: every raise
 * was checked).  The inline part tells exactly that - the caller's label
 * is the callee's or of another lattice, and so are the arguments' - with
 * loads, compares and one branch; anything else goes to pd__flow_in_raise.
 * Doing the join, the clearance check and the store inline on every call,
 * as this did before, cost 8-20 cycles: the lattice's kind branch and
 * tables, half a dozen taken jumps between the proxy and its cold blocks,
 * and each call chained to the previous one through store-to-load
 * forwarding of the labels it rewrote unchanged.  It still costs 6-9
 * cycles over a call into a domain without a lattice (callbench's
 * label_overhead_cycles): each check is a dozen instructions in its own
 * cold block (docs/ifc.md, "What it costs", says what would shrink it).
 */
static inline __attribute__((always_inline))
int pd_call_flow_in(pd_call *c, const pd_lattice *args_lattice, pd_label args)
{
	const pd_lattice *l = c->lattice;
	if (__builtin_expect(l == NULL, 1))
		return 0;
	/* The caller's label is a domain's or, outside any, the thread's: the
	 * two are laid out alike, so one pointer choice serves both fields. */
	const struct pd__flow *from = (const struct pd__flow *)pd__pick(c->caller != NULL,
		(uintptr_t)c->caller + offsetof(pd_domain, flow), (uintptr_t)&pd__self.flow);
	pd_label held = c->callee->flow.label;
	unsigned raise = (unsigned)(from->label ^ held) & -(unsigned)(from->lattice == l);
	raise |= (unsigned)(args ^ held) & -(unsigned)(args_lattice == l);
	if (__builtin_expect(raise, 0))
		return pd__flow_in_raise(c->callee, c->caller, args_lattice, args);
	return 0;
}

/*
 * On the way out: the caller receives the callee's label, joined with the
 * result's own (RESULT in RESULT_LATTICE: a declared label or a labeled<T>
 * result's).  -PD_ELABEL when that would lift the calling domain above its
 * clearance: the proxy then withholds the result.  Trusted code outside any
 * domain has no clearance; its thread label just rises.  As on the way in,
 * the inline part only tells that the caller holds these labels already.
 */
static inline __attribute__((always_inline))
int pd_call_flow_out(pd_call *c, const pd_lattice *result_lattice, pd_label result)
{
	/* The callee's lattice again, from its record (live across the call
	 * anyway, and its flow pair shares a line) rather than c->lattice,
	 * which would have to be kept. */
	const pd_lattice *l = c->callee->flow.lattice;
	if (__builtin_expect(l == NULL, 1))
		return 0;
	const struct pd__flow *to = (const struct pd__flow *)pd__pick(c->caller != NULL,
		(uintptr_t)c->caller + offsetof(pd_domain, flow), (uintptr_t)&pd__self.flow);
	pd_label held = to->label;
	/* A caller of another lattice receives nothing; outside any domain the
	 * thread adopts the callee's lattice, which is a change. */
	unsigned same = -(unsigned)(to->lattice == l);
	unsigned raise = ((unsigned)(c->callee->flow.label ^ held) & same) |
			 (~same & -(unsigned)(c->caller == NULL));
	raise |= (unsigned)(result ^ held) & -(unsigned)(result_lattice == l);
	if (__builtin_expect(raise, 0))
		return pd__flow_out_raise(c->callee, c->caller, result_lattice, result);
	return 0;
}

#endif
