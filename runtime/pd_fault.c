/*
 * Fault containment: the per-thread state, the catch-frame stack, the
 * signal handlers and the landing code that starts recovery.
 *
 * A fault never recovers anything by itself: it records what happened and
 * __builtin_longjmp's to the innermost catch frame.  Recovery (which frees
 * memory and runs init, neither of which is async-signal-safe) happens
 * where the unwind lands, on the ordinary stack of the code that made the
 * call.  The handlers are installed with SA_NODEFER and an empty sa_mask,
 * so jumping out of one leaves the signal mask exactly as it was when the
 * fault happened - no sigprocmask on any path.
 */
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pd_internal.h"

/* The layout pd_thunk_x86_64.S relies on. */
_Static_assert(offsetof(struct pd__thread, top) == 8, "thunk: pd__thread.top");
_Static_assert(offsetof(pd_catch, target) == 32, "thunk: pd_catch.target");
_Static_assert(offsetof(pd_catch, regs) == 40, "thunk: pd_catch.regs");

void pd__guarded_resume(pd_catch *frame) __attribute__((noreturn));

__thread struct pd__thread pd__self __attribute__((tls_model("initial-exec")));

static __thread pd_fault_info last_fault;

static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
static struct sigaction previous[NSIG];
static pthread_once_t handlers_once = PTHREAD_ONCE_INIT;
static pthread_key_t altstack_key;

/*
 * Only the top pages of the alternate stack are ever touched (MAP_NORESERVE:
 * the rest costs address space, not memory).  It is this large so that
 * the jump from it back to the thread's stack is never mistaken by
 * valgrind for stack growth (its limit is 2 MB), which would make it
 * forget the thread's live frames.
 */
#define ALTSTACK_SIZE (4 * 1024 * 1024)

const pd_fault_info *pd_last_fault(void)
{
	return &last_fault;
}

/* Leaves for the innermost frame; the caller has filled last_fault. */
__attribute__((noreturn, noinline))
static void unwind(void)
{
	struct pd__thread *t = &pd__self;
	pd_catch *c = t->top;

	c->faulted = t->current;
	last_fault.domain_id = t->current->id;
	last_fault.count++;
	if (c->kind == PD__FRAME_THUNK)
		pd__guarded_resume(c);
	__builtin_longjmp(c->jb, 1);
}

static int contained(void)
{
	return pd__self.current != NULL && pd__self.top != NULL;
}

/* Copies without stdio: used from the signal handler. */
static void set_message(const char *a, const char *b)
{
	size_t n = 0;
	for (; *a && n < sizeof(last_fault.message) - 1; a++)
		last_fault.message[n++] = *a;
	for (; b && *b && n < sizeof(last_fault.message) - 1; b++)
		last_fault.message[n++] = *b;
	last_fault.message[n] = '\0';
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGFPE: return "SIGFPE";
	case SIGILL: return "SIGILL";
	case SIGABRT: return "SIGABRT";
	default: return "signal";
	}
}

/*
 * Outside any domain libpd must be invisible: hand the signal to whatever
 * handler was there before, or take the default action.
 */
static void not_ours(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = &previous[sig];

	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (!(old->sa_flags & SA_SIGINFO) && old->sa_handler != SIG_DFL &&
	    old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
		return;
	}
	sigaction(sig, old, NULL);
	/*
	 * A fault raised by the hardware happens again when we return and now
	 * meets the default action; one sent by raise/kill/abort must be sent
	 * again (abort re-raises by itself, but once more does no harm).
	 */
	if (si == NULL || si->si_code <= 0)
		raise(sig);
}

static void on_fault_signal(int sig, siginfo_t *si, void *uc)
{
	if (!contained()) {
		not_ours(sig, si, uc);
		return;
	}
	last_fault.kind = PD_FAULT_SIGNAL;
	last_fault.signo = sig;
	set_message(signal_name(sig), " in domain");
	unwind();
}

static void install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fault_signals) / sizeof(fault_signals[0]); i++)
		sigaction(fault_signals[i], &sa, &previous[fault_signals[i]]);
}

static void drop_altstack(void *mem)
{
	stack_t ss = { .ss_flags = SS_DISABLE };
	sigaltstack(&ss, NULL);
	munmap(mem, ALTSTACK_SIZE);
}

static void make_key(void)
{
	pthread_key_create(&altstack_key, drop_altstack);
	install();
}

void pd__install_handlers(void)
{
	pthread_once(&handlers_once, make_key);
}

int pd_thread_init(void)
{
	if (pd__self.ready)
		return 0;
	pd__install_handlers();

	/* A thread that already has an alternate stack (DPDK's, the app's) keeps it. */
	stack_t old;
	if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE)) {
		pd__self.ready = 1;
		return 0;
	}
	void *mem = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (mem == MAP_FAILED)
		return -PD_ENOMEM;
	stack_t ss = { .ss_sp = mem, .ss_size = ALTSTACK_SIZE, .ss_flags = 0 };
	if (sigaltstack(&ss, NULL) != 0) {
		munmap(mem, ALTSTACK_SIZE);
		return -PD_ENOMEM;
	}
	pthread_setspecific(altstack_key, mem);
	pd__self.ready = 1;
	return 0;
}

void pd_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_fault.message, sizeof(last_fault.message), fmt, ap);
	va_end(ap);
	if (contained()) {
		last_fault.kind = PD_FAULT_PANIC;
		last_fault.signo = 0;
		unwind();
	}
	fprintf(stderr, "pd_panic: %s\n", last_fault.message);
	abort();
}

void pd__assert_fail(const char *expr, const char *file, int line)
{
	pd_panic("%s:%d: assertion failed: %s", file, line, expr);
}

void pd__fault_quota(size_t size)
{
	snprintf(last_fault.message, sizeof(last_fault.message),
		 "quota of %zu bytes exceeded by an allocation of %zu",
		 pd__self.current->spec.quota_bytes, size);
	last_fault.kind = PD_FAULT_QUOTA;
	last_fault.signo = 0;
	unwind();
}

void pd__catch_push(pd_catch *c)
{
	struct pd__thread *t = &pd__self;

	if (!t->ready)
		pd_thread_init();
	c->prev = t->top;
	c->owner = t->current;
	c->faulted = NULL;
	c->kind = PD__FRAME_SETJMP;
	t->top = c;
}

/* An armed frame caught a fault: recover, stay armed, report it. */
int pd__catch_landed(pd_catch *c)
{
	struct pd__thread *t = &pd__self;

	t->current = c->owner;
	t->top = c;
	pd__count_fault(c->faulted);
	pd__recover(c->faulted);
	return 1;
}

void pd_catch_disarm(pd_catch *c)
{
	pd__self.top = c->prev;
}

__attribute__((cold))
int pd__call_unwound(pd_call *c)
{
	struct pd__thread *t = &pd__self;

	t->current = c->caller;
	t->top = &c->frame;
	pd__count_fault(c->frame.faulted);
	pd__recover(c->frame.faulted);
	return 0;
}

/* A thunk frame caught a fault; the proxy's pd_call_leave pops the frame. */
__attribute__((cold))
int pd__guarded_unwound(pd_catch *frame)
{
	struct pd__thread *t = &pd__self;

	t->current = frame->owner;
	t->top = frame;
	pd__count_fault(frame->faulted);
	pd__recover(frame->faulted);
	return -PD_EFAULT;
}
