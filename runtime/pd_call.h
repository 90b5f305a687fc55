/*
 * The cross-domain call: what every pdlc-generated proxy is made of.  The
 * whole fast path is inline - resolve the rref with one compare, check its
 * interface with another, carry labels in, move arguments, switch the
 * thread's current domain and push a catch frame unless the caller already
 * holds one, call, switch back, carry labels out, move the result - and
 * makes no system call and no call into libpd's C code.
 *
 * The order is what makes blame and refusals right.  Everything that can
 * fail or read the caller's memory - argument checks, the handle, the
 * interface, the access hook, label checks, the moves - happens before the
 * switch, while the caller is still the current domain: a bad argument is
 * refused before anything changed, and a fault in this trusted code is
 * the caller's, never the callee's.  Only then does pd_call_switch make
 * the callee current and push its frame, right before the call itself.
 *
 * THE PROXY SHAPE (pdlc emits exactly this).  For
 *	interface filter { u32 process(move batch b, u32 n); }    // module nf
 * it emits:
 *
 *	typedef struct nf_filter_ops {
 *		int (*process)(void *self, pd_batch *b, uint32_t n, uint32_t *result);
 *	} nf_filter_ops;
 *	enum { NF_FILTER_PROCESS = 0 };      // method index, given to the ACL hook
 *	typedef struct nf_filter_rref { pd_rref r; } nf_filter_rref;
 *	extern const pd_iface nf_filter_iface;
 *
 *	PD_PROXY int nf_filter_process(nf_filter_rref rref, pd_batch **b, uint32_t n,
 *				       uint32_t *result)
 *	{
 *		if (b == NULL || result == NULL)
 *			return -PD_EINVAL;
 *		pd_call call;
 *		int rc = pd_call_resolve(&call, rref.r, &nf_filter_iface, NF_FILTER_PROCESS);
 *		if (rc < 0)
 *			return rc;
 *		const nf_filter_ops *ops = (const nf_filter_ops *)call.ops;
 *		if ((rc = pd_call_flow_in(&call, PD_LABELS_BOTTOM)) < 0)  // arguments' labels
 *			return rc;
 *		pd_batch *b_moved = *b;
 *		if ((rc = pd_move_in(&call, b_moved)) < 0)   // callee owns it from here
 *			return rc;
 *		if ((rc = pd_call_switch(&call)) < 0) {
 *			pd_move_out(&call, b_moved);          // refused: give it back
 *			return rc;
 *		}
 *		*b = NULL;
 *		// -PD_EFAULT when the callee faulted (it has been recovered by then)
 *		rc = PD_CALL_VIA(&call, ops->process)(call.self, b_moved, n, result);
 *		pd_call_leave(&call);
 *		rc = pd_call_flow_out(&call, rc, PD_LABELS_BOTTOM);   // the result's labels
 *		if (rc < 0)
 *			memset(result, 0, sizeof(*result));   // a result not delivered is wiped
 *		return rc;
 *	}
 *
 * Arguments: scalars by value, borrowed structs `const T *` (NULL is
 * -PD_EINVAL), inout `T *` (copied in and out: the callee works on the
 * proxy's copy, which reaches the caller only when the result is
 * delivered), rrefs as their typed handle, `move T` as `T **` (moved whole:
 * for a struct, pdlc's M_T_move_in hands over everything the value owns;
 * the caller's pointers are cleared only once every move succeeded, and a
 * refused call gives back what it took).  A result is a trailing
 * `T *result`, wiped whenever it is not delivered - the callee failed,
 * faulted, or the caller may not hold its label; a `bytes` result is
 * copied by the callee into the caller's buffer, which is wiped likewise.
 * A `move T` result is `T **result`, moved whole with M_T_move_out after
 * the call.
 *
 * pd_call_flow_in gets the arguments' labels: pdlc packs the declared ones
 * (`u64 n @secret`, and `@label` fields of the types passed) and ORs in the
 * run-time label of every labeled<T> the arguments hold, at any depth;
 * pd_call_flow_out the result's, likewise (bottom when the callee failed:
 * its error code still carries the callee's own label).
 *
 * PD_CALL_VIA(&call, ops->m) is an expression of the same function type as
 * ops->m; it is called with exactly the implementation's arguments.
 *
 * Why not a setjmp in the proxy (the older PD_CALL_GUARD shape, still
 * supported below): gcc never inlines a function that calls setjmp and
 * spills every live value around it; see tests/bench/callbench.c.  Why the
 * catch frame is not in the pd_call: a frame on the proxy's stack is
 * published through pd__self.top, so the whole pd_call escaped and gcc
 * built it in memory.  The frame comes from a per-thread frame stack; the
 * pd_call itself never escapes and stays in registers.  The fast path is
 * laid out for a caller that holds the innermost frame (the scheduler's
 * loop); a framed call is the taken branch.
 *
 * x86-64 System V only (the thunk is assembly); the proxy is plain C.
 */
#ifndef PD_CALL_H
#define PD_CALL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pd_core.h"
#include "pd_error.h"
#include "pd_label.h"
#include "pd_snap.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * How pdlc declares a proxy.  Always inlined: the proxy is a handful of
 * loads, stores and branches around one indirect call, and gcc's size
 * heuristics otherwise leave it out of line, which costs more than the
 * checks it makes.
 */
#define PD_PROXY static inline __attribute__((always_inline))

typedef struct pd_call {
	const void *ops;       /* the callee's ops table */
	void *self;            /* the exported object */
	pd_domain *caller;     /* NULL = outside */
	pd_domain *callee;
	/* The frame this call pushed (the thread's frame stack, pd_core.h), or
	 * NULL when the caller already holds the innermost frame. */
	pd_catch *framed;
} pd_call;

/*
 * Out of line, cold: everything pd_call_resolve does not do inline - a
 * handle that does not match (the precise error), an object exported as an
 * interface derived from the proxy's (accepted), one of another interface
 * (-PD_EIFACE), and a slot with an access hook (run inside the callee,
 * then the slot checked again).  The target, or ops NULL and the error in
 * rc.  The cold functions take and return values, never the pd_call: its
 * address would escape, and gcc would build every pd_call in memory.
 */
typedef struct pd__target {
	const void *ops;
	union {
		void *self;
		intptr_t rc;    /* when ops is NULL */
	};
} pd__target;

pd__target pd__call_resolve_slow(pd_rref r, const pd_iface *iface, unsigned method,
				 pd_domain *caller);

/*
 * Resolves r for a call of method of iface: afterwards c names the callee
 * and the object, and nothing about the thread has changed.  The common
 * case is two compares on the slot's first cache line: the key (domain,
 * slot, generation, revocation, liveness) and the interface-and-no-hook
 * word.  The key is compared again after ops and self are read: another
 * thread revoking the slot, or destroying the domain and reusing its
 * record, changes the key before it touches them (generations never
 * repeat), so a call never goes ahead with fields of a slot that changed
 * under it.  (A call that resolved before the revoke may still complete.)
 */
static inline int pd_call_resolve(pd_call *c, pd_rref r, const pd_iface *iface, unsigned method)
{
	uint64_t v = r.v;
	pd_domain *d = pd__domains[v >> PD__DOM_SHIFT];
	const struct pd__slot *s = &d->slots[(v >> PD__SLOT_SHIFT) & PD__SLOT_MASK];

	c->caller = pd__self.current;
	c->callee = d;
	/* (one branch for both: `|`, not `||`) */
	bool named = (s->iface_word == (uintptr_t)iface) | (s->fast_base == iface);
	if (__builtin_expect(__atomic_load_n(&s->key, __ATOMIC_ACQUIRE) == v && named, 1)) {
		c->ops = s->ops;
		c->self = s->self;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);   /* (a compiler barrier on x86-64) */
		if (__builtin_expect(__atomic_load_n(&s->key, __ATOMIC_RELAXED) == v, 1))
			return 0;
	}
	pd__target t = pd__call_resolve_slow(r, iface, method, c->caller);
	c->ops = t.ops;
	c->self = t.ops ? t.self : NULL;
	return t.ops ? 0 : (int)t.rc;
}

/* The floating label of the calling side: its domain's, or outside any,
 * the thread's.  A branch, not a cmov: a call site's caller is always one
 * or always the other, and the branch costs less than choosing. */
static inline pd_labels *pd__caller_labels(const pd_call *c)
{
	if (__builtin_expect(c->caller == NULL, 1))   /* the scheduler's stage calls */
		return &pd__self.label;
	return &c->caller->label;
}

/* Out of line, called only when a label changes (or is not a label). */
int pd__flow_in_raise(pd_domain *callee, pd_labels in);
int pd__flow_out_raise(pd_domain *caller, pd_labels out);

/*
 * Information flow on the way in (pd_label.h): the callee must come to hold
 * the caller's label and ARGS, the arguments' labels.  Refused with
 * -PD_ELABEL, before anything moves, when that would lift the callee above
 * its clearance or ARGS is not a label.  Inline only the test that the
 * callee holds them already - in a running pipeline labels settle after
 * the first calls, and unlabelled programs have 0 everywhere - which, with
 * labels packed as down-sets, is one or and one and-not for every lattice.
 */
static inline __attribute__((always_inline))
int pd_call_flow_in(pd_call *c, pd_labels args)
{
	pd_labels in = *pd__caller_labels(c) | args;
	if (__builtin_expect(in == 0 || (in & ~c->callee->label) == 0, 1))
		return 0;
	return pd__flow_in_raise(c->callee, in);
}

/*
 * On the way out, whatever the callee returned: the caller comes to hold
 * the callee's label (read now: the callee may have risen during the call)
 * and RESULT, the result's own labels.  An error code is an answer too, so
 * it is no exception.  Returns rc, or -PD_ELABEL when that would lift a
 * calling domain above its clearance: the proxy then withholds the result
 * - and the callee's error code with it.  Trusted code outside any domain
 * has no clearance; its thread label just rises.
 */
static inline __attribute__((always_inline))
int pd_call_flow_out(pd_call *c, int rc, pd_labels result)
{
	pd_labels out = c->callee->label | result;
	if (__builtin_expect(out == 0 || (out & ~*pd__caller_labels(c)) == 0, 1))
		return rc;
	int raised = pd__flow_out_raise(c->caller, out);
	return raised < 0 ? raised : rc;
}

/*
 * Out of line, cold: the next frame when the thread's frame stack is not
 * set up yet (pd_thread_init) or full, and for every call from inside a
 * domain the re-entry check: a domain already active on this thread's stack
 * (A -> B -> A) is refused with -PD_EBUSY rather than entered again, since
 * recovering it from the inner call would free state its outer activation
 * is using.  The frame, or frame NULL and the error in rc.
 */
typedef struct pd__framing {
	pd_catch *frame;
	long rc;
} pd__framing;

pd__framing pd__frame_slow(const pd_domain *caller, const pd_domain *callee);

/* Cold: the same re-entry check for a domain that holds the innermost
 * frame itself (it armed one) and so calls without pushing a frame:
 * -PD_EBUSY when callee is active on this thread, else 0. */
int pd__reentry_check(const pd_domain *caller, const pd_domain *callee);

/*
 * The switch, after every check passed: makes the callee current and,
 * unless the caller already holds the innermost frame, pushes the call's
 * catch frame.  Returns 0, or -PD_EBUSY (re-entry) / -PD_ENOMEM (4096
 * nested framed calls) with nothing switched.
 */
static inline int pd_call_switch(pd_call *c)
{
	struct pd__thread *t = &pd__self;
	pd_catch *top = t->top;

	c->framed = NULL;
	if (__builtin_expect(top == NULL || top->owner != c->caller, 0)) {
		/*
		 * A framed call.  From the outside with no frame on the stack
		 * (the common framed case: a test, a control call) it takes the
		 * next frame inline; from a domain, or from trusted code that
		 * runs while domains are on the stack, it goes through the
		 * re-entry check.
		 */
		pd_catch *f = t->frame_next;
		if (__builtin_expect(f == t->frame_end || c->caller != NULL || top != NULL, 0)) {
			pd__framing x = pd__frame_slow(c->caller, c->callee);
			if (x.frame == NULL) {
				if (x.rc >= 0)
					__builtin_unreachable();  /* always an error */
				return (int)x.rc;
			}
			f = x.frame;
		}
		f->prev = top;
		f->owner = c->caller;
		f->kind = PD__FRAME_THUNK;
		t->frame_next = f + 1;
		t->top = f;
		c->framed = f;
	} else if (__builtin_expect(c->caller != NULL, 0)) {
		/* a domain under its own armed frame (the scheduler, outside
		 * every domain, cannot re-enter anything) */
		int rc = pd__reentry_check(c->caller, c->callee);
		if (rc < 0)
			return rc;
	}
	/*
	 * A relaxed atomic store is a plain mov, but gcc's SLP vectorizer does
	 * not merge it with the store to t->top beside it: one 16-byte store
	 * that the next 8-byte loads of either field cannot forward from cost
	 * ~5 cycles per framed call (measured with callbench).
	 */
	__atomic_store_n(&t->current, c->callee, __ATOMIC_RELAXED);
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
/* Out of line, cold: recovers the faulted callee after an unwind; returns 0. */
int pd__call_unwound(pd_call *c);

#define PD_CALL_VIA(c, fn) \
	(__builtin_expect((c)->framed != NULL, 0) \
	 ? ((c)->framed->target = (const void *)(fn), \
	    (__typeof__(&*(fn)))(void (*)(void))pd__guarded_call) \
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
	__atomic_store_n(&t->current, c->caller, __ATOMIC_RELAXED);   /* (see pd_call_switch) */
}

/*
 * Moves one object from the caller to the callee: the root of a moved
 * argument (pdlc's M_T_move_in moves what a struct owns as well).  obj must
 * be a live libpd object the caller owns.  Returns 0, -PD_EINVAL (NULL or
 * not a libpd object) or -PD_ENOTOWNER.
 */
static inline int pd_move_in(pd_call *c, void *obj)
{
	struct pd__obj *h = pd__obj_find(obj);
	if (__builtin_expect(h == NULL || h->magic != PD__OBJ_MAGIC, 0))
		return -PD_EINVAL;
	if (__builtin_expect(__atomic_load_n(&h->owner, __ATOMIC_RELAXED) != c->caller, 0))
		return -PD_ENOTOWNER;
	if (__builtin_expect(c->callee->snap_epoch, 0))
		pd__snap_moved_in(c->callee, h);     /* new to its undo log */
	__atomic_store_n(&h->owner, c->callee, __ATOMIC_RELAXED);
	return 0;
}

/*
 * Moves one object from the callee to the caller: a moved result, or a
 * moved argument being handed back.  NULL is no object and succeeds.
 */
static inline int pd_move_out(pd_call *c, void *obj)
{
	if (obj == NULL)
		return 0;
	struct pd__obj *h = pd__obj_find(obj);
	if (__builtin_expect(h == NULL || h->magic != PD__OBJ_MAGIC, 0))
		return -PD_EINVAL;
	if (__builtin_expect(__atomic_load_n(&h->owner, __ATOMIC_RELAXED) != c->callee, 0))
		return -PD_ENOTOWNER;
	if (__builtin_expect(c->callee->snap_epoch, 0))
		pd__snap_moved_out(c->callee, h);
	__atomic_store_n(&h->owner, c->caller, __ATOMIC_RELAXED);
	return 0;
}

/*
 * Clears what a callee wrote into a proxy's copy that will not be
 * delivered; unlike a plain memset before the copy dies, it is not
 * optimised away.
 */
static inline void pd_wipe(void *p, size_t n)
{
	memset(p, 0, n);
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

/*
 * Walks over a value's children, which pdlc generates per struct
 * (M_T_inspect, M_T_move_check, M_T_move_give) and proxies run before the
 * switch:
 *  - inspect, for data the callee will read or write in the caller's memory
 *    (borrowed and inout arguments, results): touches every buffer the value
 *    points to, in the caller's context - so a bad pointer faults the caller,
 *    not the callee - and collects the labels of every labeled<T> in it;
 *  - a whole-value move, in two passes so that a refused move changes
 *    nothing: pd_move_visit checks every object the value owns (a live libpd
 *    object of at least `bytes` bytes, owned by `from`, met once: a child
 *    reached twice is an alias, not a tree) and collects labels, then
 *    pd_move_give re-owns each to `to`.
 * Neither follows a pointer it has not just checked or touched.  Walks nest
 * at most PD_WALK_MAX_DEPTH objects deep (as a checkpoint does), and stamp
 * the objects they meet with an epoch of their own, so cycles through
 * shared pointers end.
 */
typedef struct pd_walk {
	pd_domain *from, *to;     /* a move: whose objects, and to whom */
	pd_labels labels;         /* the labels the walk met */
	uint32_t epoch;           /* taken at the first object that needs a stamp */
	uint32_t depth;
} pd_walk;

#define PD_WALK_MAX_DEPTH 256

static inline void pd_walk_init(pd_walk *w, pd_domain *from)
{
	w->from = from;
	w->to = NULL;
	w->labels = 0;
	w->epoch = 0;
	w->depth = 0;
}

static inline int pd_walk_enter(pd_walk *w)
{
	return ++w->depth > PD_WALK_MAX_DEPTH ? -PD_EINVAL : 0;
}

static inline void pd_walk_leave(pd_walk *w)
{
	w->depth--;
}

static inline void pd_walk_label(pd_walk *w, const pd_lattice *l, pd_label x)
{
	w->labels |= pd_labels_of(l, x);
}

/* 0, -PD_EINVAL (not an object, too small, shared, met twice) or -PD_ENOTOWNER. */
int pd_move_visit(pd_walk *w, const void *obj, size_t bytes);
void pd_move_give(pd_walk *w, void *obj);

/*
 * A shared object an inspection meets: 1 the first time (walk its body),
 * 0 when met before, -PD_EINVAL when obj is not a live libpd object of at
 * least `bytes` bytes.
 */
int pd_walk_shared(pd_walk *w, const void *obj, size_t bytes);

/*
 * Touches every page of [p, p + n) - reading, or for a buffer the callee
 * fills, writing it unchanged - so that a bad buffer faults here, in the
 * caller's context.  A buffer the callee fills may not lie inside an object
 * the callee owns (the caller would make it overwrite its own state).
 * 0, or -PD_EINVAL (NULL with n > 0, a range that wraps, or the callee's).
 */
int pd_probe_read(const void *p, size_t n);
int pd_probe_write(const pd_domain *callee, void *p, size_t n);

#ifdef __cplusplus
}
#endif

#endif
