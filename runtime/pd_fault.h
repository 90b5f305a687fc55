/*
 * Fault containment.  A fault while a domain runs - pd_panic, a failed
 * pd_assert, abort(), SIGSEGV, SIGBUS, SIGFPE, SIGILL, a quota overrun -
 * unwinds to the innermost catch frame, which is the entry of the call into
 * that domain: the proxy that called it, or a frame the caller armed
 * itself with PD_CATCH_ARM.  The faulted domain is recovered there (its
 * objects freed, its init re-run) and the caller gets -PD_EFAULT.
 * A fault outside any domain behaves as it would without libpd.
 *
 * Catch frames are a per-thread stack of pd_catch records: frames armed by
 * hand live in the armers' stack frames, proxies' frames in a per-thread
 * frame stack (so the proxy's own state stays in registers; at most 4096
 * nested framed calls, beyond which a call fails with -PD_ENOMEM).  A
 * proxy's frame is filled by a small assembly
 * thunk that saves the callee-saved registers on the way into the
 * implementation (pd_call.h); a frame armed by hand costs a
 * __builtin_setjmp.  Neither makes a system call.  The
 * signal handlers run on a per-thread alternate stack, so a stack overflow
 * inside a domain is caught too; they are installed with SA_NODEFER and an
 * empty mask, so the signal mask after an unwind is the one at the fault.
 */
#ifndef PD_FAULT_H
#define PD_FAULT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pd_domain pd_domain;

/*
 * One recovery point.  Lives in the stack frame of the code that armed it
 * (a proxy's: in the thread's frame stack).  Two kinds: a setjmp frame (PD_CATCH_ARM, init runs, PD_CALL_GUARD) and a
 * thunk frame, filled by pd__guarded_call (pd_call.h) with the registers a
 * return needs.  The field offsets are known to pd_thunk_x86_64.S.
 */
typedef struct pd_catch {
	struct pd_catch *prev;    /* next outer frame on this thread */
	pd_domain *owner;         /* domain that armed it (NULL = outside) */
	pd_domain *faulted;       /* after an unwind: the domain that faulted */
	long kind;                /* PD__FRAME_SETJMP or PD__FRAME_THUNK */
	const void *target;       /* thunk: the implementation to call */
	void *regs[8];            /* thunk: return address, rsp, rbx, rbp, r12-r15 */
	void *jb[5];              /* setjmp: __builtin_setjmp buffer */
} pd_catch;

#define PD__FRAME_SETJMP 0
#define PD__FRAME_THUNK 1

enum pd_fault_kind {
	PD_FAULT_NONE = 0,
	PD_FAULT_PANIC,   /* pd_panic or pd_assert */
	PD_FAULT_SIGNAL,  /* signo says which */
	PD_FAULT_QUOTA,   /* pd_alloc over the domain's quota */
};

/*
 * What the last fault on this thread was; for logs and tests.  A panic's
 * message is formatted on the first pd_last_fault() after it, not at fault
 * time (the format and arguments are recorded, %s strings copied), so read
 * it through pd_last_fault().
 */
typedef struct pd_fault_info {
	enum pd_fault_kind kind;
	int signo;
	uint32_t domain_id;
	uint64_t count;       /* faults contained on this thread so far */
	char message[160];
} pd_fault_info;

const pd_fault_info *pd_last_fault(void);

/*
 * Inside a domain: unwinds to the entry of the call into it.  Outside: the
 * message goes to stderr and the process aborts, as assert() would.
 */
__attribute__((noreturn, format(printf, 1, 2)))
void pd_panic(const char *fmt, ...);

__attribute__((noreturn))
void pd__assert_fail(const char *expr, const char *file, int line);

#define pd_assert(e) \
	((e) ? (void)0 : pd__assert_fail(#e, __FILE__, __LINE__))

/*
 * Prepares the calling thread (alternate signal stack, process-wide
 * handlers).  Called implicitly by pd_domain_create, PD_CATCH_ARM and a
 * thread's first framed proxy call; call it explicitly at worker start to
 * keep the first call cheap.  Returns 0 or -PD_ENOMEM.
 */
int pd_thread_init(void);

/*
 * Arms one catch frame for everything the caller calls from here on:
 * a proxy called while the innermost frame is the caller's own skips its
 * setjmp, so a scheduler calling stages in a loop pays for one recovery
 * point, not one per call.  Evaluates to 0 when armed, and - like setjmp -
 * "returns" again with nonzero after a callee faulted; by then the faulted
 * domain (pd_catch_faulted) has been recovered, the current domain is the
 * caller again and the frame is still armed.
 *
 *	pd_catch c;
 *	if (PD_CATCH_ARM(&c))
 *		faults++;                  // a stage faulted: its batch is gone
 *	while (running)
 *		... proxy calls ...
 *	pd_catch_disarm(&c);
 *
 * Rules of setjmp apply: the function that armed must disarm before it
 * returns, and its locals changed after arming must be volatile to be
 * read after a fault.
 */
#define PD_CATCH_ARM(c) \
	(pd__catch_push(c), \
	 __builtin_expect(__builtin_setjmp((c)->jb) != 0, 0) ? pd__catch_landed(c) : 0)

void pd_catch_disarm(pd_catch *c);

static inline pd_domain *pd_catch_faulted(const pd_catch *c)
{
	return c->faulted;
}

/* Implementation hooks of the macros above and of pd_call.h. */
void pd__catch_push(pd_catch *c);
int pd__catch_landed(pd_catch *c);

#ifdef __cplusplus
}
#endif

#endif
