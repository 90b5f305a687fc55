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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pd_internal.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

/* The layout pd_thunk_x86_64.S relies on. */
_Static_assert(offsetof(struct pd__thread, top) == 8, "thunk: pd__thread.top");
_Static_assert(offsetof(pd_catch, target) == 32, "thunk: pd_catch.target");
_Static_assert(offsetof(pd_catch, regs) == 40, "thunk: pd_catch.regs");

void pd__guarded_resume(pd_catch *frame) __attribute__((noreturn));

__thread struct pd__thread pd__self __attribute__((tls_model("initial-exec")));

static __thread pd_fault_info last_fault;

/*
 * A panic's message is formatted when someone asks (pd_last_fault), not at
 * fault time, where vsnprintf was a third of a recovery.  The fault records
 * a copy of the format and the arguments by value (strings copied: they
 * may live in the heap the recovery frees).
 */
enum { LAZY_ARGS = 12 };
enum arg_class { ARG_NONE, ARG_INT, ARG_UINT, ARG_DOUBLE, ARG_LDOUBLE, ARG_STR, ARG_PTR };

static __thread struct {
	int pending;          /* last_fault.message is still to be formatted */
	const char *assert_expr, *assert_file;  /* an assertion: literals */
	int assert_line;
	char fmt[sizeof(last_fault.message)];
	union {
		long long i;
		unsigned long long u;
		double d;
		long double ld;
		const char *s;
		void *p;
	} arg[LAZY_ARGS];
	int star[LAZY_ARGS][2];  /* '*' width and precision, when given */
	char strs[256];          /* copies of %s arguments */
} lazy;

/* The proxies' frame stack (pd_call.h): only the pages used are touched. */
#define FRAME_STACK_FRAMES 4096
static pthread_key_t frames_key;

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

/* One conversion of a printf format, as far as capturing it needs. */
struct spec {
	const char *start, *end;     /* from '%' to after the conversion */
	const char *flags, *width, *prec;  /* spans, ending at the next part */
	int nflags, nwidth, nprec;   /* lengths; -1: '*' */
	int has_prec;
	char len;                    /* 'H' hh, 'h', 'l', 'q' ll, 'z', 'j', 't', 'L', 0 */
	char conv;
	enum arg_class cls;
};

/* Parses the conversion at *p ('%' + 1); false when we do not handle it. */
static bool parse_spec(const char *p, struct spec *sp)
{
	sp->start = p - 1;
	sp->flags = p;
	while (*p == '-' || *p == '+' || *p == ' ' || *p == '#' || *p == '0')
		p++;
	sp->nflags = (int)(p - sp->flags);
	sp->width = p;
	if (*p == '*') {
		sp->nwidth = -1;
		p++;
	} else {
		while (*p >= '0' && *p <= '9')
			p++;
		sp->nwidth = (int)(p - sp->width);
	}
	sp->has_prec = *p == '.';
	sp->nprec = 0;
	if (sp->has_prec) {
		sp->prec = ++p;
		if (*p == '*') {
			sp->nprec = -1;
			p++;
		} else {
			while (*p >= '0' && *p <= '9')
				p++;
			sp->nprec = (int)(p - sp->prec);
		}
	}
	sp->len = 0;
	switch (*p) {
	case 'h': sp->len = p[1] == 'h' ? (p++, 'H') : 'h'; p++; break;
	case 'l': sp->len = p[1] == 'l' ? (p++, 'q') : 'l'; p++; break;
	case 'z': case 'j': case 't': case 'L': sp->len = *p++; break;
	default: break;
	}
	sp->conv = *p;
	sp->end = p + 1;
	switch (*p) {
	case 'd': case 'i': sp->cls = ARG_INT; break;
	case 'u': case 'o': case 'x': case 'X': sp->cls = ARG_UINT; break;
	case 'c': sp->cls = ARG_INT; return sp->len == 0;
	case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': case 'a': case 'A':
		sp->cls = sp->len == 'L' ? ARG_LDOUBLE : ARG_DOUBLE;
		return sp->len == 0 || sp->len == 'L' || sp->len == 'l';
	case 's': sp->cls = ARG_STR; return sp->len == 0;
	case 'p': sp->cls = ARG_PTR; return sp->len == 0;
	default: return false;  /* %n, wide, unknown: format eagerly */
	}
	return sp->len != 'L';
}

static long long take_int(va_list *ap, char len, bool is_signed)
{
	switch (len) {
	case 'l': return is_signed ? va_arg(*ap, long) : (long long)va_arg(*ap, unsigned long);
	case 'q': return va_arg(*ap, long long);
	case 'z': return (long long)va_arg(*ap, size_t);
	case 'j': return (long long)va_arg(*ap, intmax_t);
	case 't': return (long long)va_arg(*ap, ptrdiff_t);
	default: return is_signed ? va_arg(*ap, int) : (long long)va_arg(*ap, unsigned);
	}
}

/* Records fmt and its arguments; false when fmt needs formatting now. */
static bool capture(const char *fmt, va_list *ap)
{
	size_t n = strnlen(fmt, sizeof(lazy.fmt));
	if (n == sizeof(lazy.fmt))
		return false;
	memcpy(lazy.fmt, fmt, n + 1);
	if (memchr(lazy.fmt, '%', n) == NULL)
		return true;          /* a plain message: nothing else to record */
	size_t used = 0;
	int k = 0;
	for (const char *p = lazy.fmt; *p; p++) {
		if (*p != '%')
			continue;
		if (*++p == '%')
			continue;
		struct spec sp;
		if (k == LAZY_ARGS || !parse_spec(p, &sp))
			return false;
		p = sp.end - 1;
		if (sp.nwidth < 0)
			lazy.star[k][0] = va_arg(*ap, int);
		if (sp.nprec < 0)
			lazy.star[k][1] = va_arg(*ap, int);
		switch (sp.cls) {
		case ARG_INT: lazy.arg[k].i = take_int(ap, sp.len, true); break;
		case ARG_UINT: lazy.arg[k].i = take_int(ap, sp.len, false); break;
		case ARG_DOUBLE: lazy.arg[k].d = va_arg(*ap, double); break;
		case ARG_LDOUBLE: lazy.arg[k].ld = va_arg(*ap, long double); break;
		case ARG_PTR: lazy.arg[k].p = va_arg(*ap, void *); break;
		case ARG_STR: {
			const char *str = va_arg(*ap, const char *);
			if (str == NULL)
				str = "(null)";
			lazy.arg[k].s = lazy.strs + used;
			while (*str && used < sizeof(lazy.strs) - 1)
				lazy.strs[used++] = *str++;
			lazy.strs[used] = '\0';
			if (used < sizeof(lazy.strs) - 1)
				used++;
			break;
		}
		default: return false;
		}
		k++;
	}
	return true;
}

/* Formats what capture recorded, conversion by conversion. */
static void format_captured(char *out, size_t size)
{
	size_t n = 0;
	int k = 0;
	for (const char *p = lazy.fmt; *p && n < size - 1;) {
		if (p[0] != '%' || p[1] == '%') {
			out[n++] = *p;
			p += p[0] == '%' ? 2 : 1;
			continue;
		}
		struct spec sp;
		parse_spec(p + 1, &sp);
		/* Normalised: stars made numbers, lengths widened to what we stored. */
		char f[48];
		int m = snprintf(f, sizeof(f), "%%%.*s", sp.nflags, sp.flags);
		if (sp.nwidth < 0)
			m += snprintf(f + m, sizeof(f) - m, "%d", lazy.star[k][0]);
		else
			m += snprintf(f + m, sizeof(f) - m, "%.*s", sp.nwidth, sp.width);
		if (sp.has_prec && sp.nprec < 0 && lazy.star[k][1] >= 0)
			m += snprintf(f + m, sizeof(f) - m, ".%d", lazy.star[k][1]);
		else if (sp.has_prec && sp.nprec >= 0)
			m += snprintf(f + m, sizeof(f) - m, ".%.*s", sp.nprec, sp.prec);
		const char *len = sp.cls == ARG_INT || sp.cls == ARG_UINT ? "ll"
				  : sp.cls == ARG_LDOUBLE ? "L" : "";
		if (sp.conv == 'c')
			len = "";
		snprintf(f + m, sizeof(f) - m, "%s%c", len, sp.conv);
		long long i = lazy.arg[k].i;
		switch (sp.len) {  /* the truncation the callee's printf would do */
		case 'H': i = sp.cls == ARG_INT ? (long long)(signed char)i : (long long)(unsigned char)i; break;
		case 'h': i = sp.cls == ARG_INT ? (long long)(short)i : (long long)(unsigned short)i; break;
		case 0: i = sp.cls == ARG_INT ? (long long)(int)i : (long long)(unsigned)i; break;
		case 'l': i = sp.cls == ARG_INT ? (long)i : (long long)(unsigned long)i; break;
		default: break;
		}
		int w;
		switch (sp.cls) {
		case ARG_DOUBLE: w = snprintf(out + n, size - n, f, lazy.arg[k].d); break;
		case ARG_LDOUBLE: w = snprintf(out + n, size - n, f, lazy.arg[k].ld); break;
		case ARG_STR: w = snprintf(out + n, size - n, f, lazy.arg[k].s); break;
		case ARG_PTR: w = snprintf(out + n, size - n, f, lazy.arg[k].p); break;
		default:
			w = sp.conv == 'c' ? snprintf(out + n, size - n, f, (int)i)
					   : snprintf(out + n, size - n, f, i);
			break;
		}
		n += w > 0 ? (size_t)w : 0;
		if (n > size - 1)
			n = size - 1;
		p = sp.end;
		k++;
	}
	out[n] = '\0';
}

const pd_fault_info *pd_last_fault(void)
{
	if (lazy.pending) {
		lazy.pending = 0;
		if (lazy.assert_expr)
			snprintf(last_fault.message, sizeof(last_fault.message),
				 "%s:%d: assertion failed: %s", lazy.assert_file,
				 lazy.assert_line, lazy.assert_expr);
		else
			format_captured(last_fault.message, sizeof(last_fault.message));
	}
	return &last_fault;
}

/*
 * AddressSanitizer poisons the stack of frames it sees return; a jump over
 * them (the longjmp or the thunk's resume) must tell it they are gone, or
 * their poisoned bytes trip a later, innocent frame.
 */
#if defined(__SANITIZE_ADDRESS__)
static inline void pd__sanitizer_unwinding(void) { __asan_handle_no_return(); }
#else
static inline void pd__sanitizer_unwinding(void) {}
#endif

/* Leaves for the innermost frame; the caller has filled last_fault. */
__attribute__((noreturn, noinline))
static void unwind(void)
{
	struct pd__thread *t = &pd__self;
	pd_catch *c = t->top;

	c->faulted = t->current;
	last_fault.domain_id = t->current->id;
	last_fault.count++;
	pd__sanitizer_unwinding();
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
	lazy.pending = 0;
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

static void drop_frames(void *mem)
{
	pd__self.frame_next = pd__self.frame_end = NULL;
	munmap(mem, FRAME_STACK_FRAMES * sizeof(pd_catch));
}

static void make_key(void)
{
	pthread_key_create(&altstack_key, drop_altstack);
	pthread_key_create(&frames_key, drop_frames);
	install();
}

static int map_frames(void)
{
	struct pd__thread *t = &pd__self;
	if (t->frame_end != NULL)
		return 0;
	pd_catch *f = mmap(NULL, FRAME_STACK_FRAMES * sizeof(pd_catch), PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (f == MAP_FAILED)
		return -PD_ENOMEM;
	pthread_setspecific(frames_key, f);
	t->frame_next = f;
	t->frame_end = f + FRAME_STACK_FRAMES;
	return 0;
}

/*
 * The proxy's framed path when its caller is a domain, or when the thread's
 * frame stack is full or not mapped yet.  A domain that is already active
 * on this thread - current, or the owner of a frame on its stack, which is
 * every domain suspended in a call - is not entered again: recovering it
 * from the inner activation would free what the outer one is using.
 */
__attribute__((cold))
int pd__reentry_check(const pd_domain *caller, const pd_domain *callee)
{
	if (callee == caller)
		return -PD_EBUSY;
	for (const pd_catch *f = pd__self.top; f; f = f->prev)
		if (f->owner == callee)
			return -PD_EBUSY;
	return 0;
}

__attribute__((cold))
pd__framing pd__frame_slow(const pd_domain *caller, const pd_domain *callee)
{
	struct pd__thread *t = &pd__self;

	if ((caller != NULL || t->top != NULL) && pd__reentry_check(caller, callee) < 0)
		return (pd__framing){ NULL, -PD_EBUSY };
	if (t->frame_end == NULL) {
		int rc = pd_thread_init();
		if (rc < 0)
			return (pd__framing){ NULL, rc };
	}
	if (t->frame_next != t->frame_end)
		return (pd__framing){ t->frame_next, 0 };
	/* FRAME_STACK_FRAMES nested cross-domain calls */
	return (pd__framing){ NULL, -PD_ENOMEM };
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
	if (map_frames() < 0)
		return -PD_ENOMEM;

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

/* Records the message of a fault, for pd_last_fault to format later. */
static void record_message(const char *fmt, va_list ap)
{
	va_list again;

	va_copy(again, ap);
	lazy.assert_expr = NULL;
	lazy.pending = capture(fmt, &again);
	if (!lazy.pending)
		vsnprintf(last_fault.message, sizeof(last_fault.message), fmt, ap);
	va_end(again);
}

__attribute__((format(printf, 1, 2)))
static void record(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_message(fmt, ap);
	va_end(ap);
}

void pd_panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	record_message(fmt, ap);
	va_end(ap);
	if (contained()) {
		last_fault.kind = PD_FAULT_PANIC;
		last_fault.signo = 0;
		unwind();
	}
	fprintf(stderr, "pd_panic: %s\n", pd_last_fault()->message);
	abort();
}

/* expr and file are string literals (pd_assert): kept by pointer. */
void pd__assert_fail(const char *expr, const char *file, int line)
{
	lazy.assert_expr = expr;
	lazy.assert_file = file;
	lazy.assert_line = line;
	lazy.pending = 1;
	if (contained()) {
		last_fault.kind = PD_FAULT_PANIC;
		last_fault.signo = 0;
		unwind();
	}
	fprintf(stderr, "pd_panic: %s\n", pd_last_fault()->message);
	abort();
}

void pd__fault_quota(size_t size)
{
	record("quota of %zu bytes exceeded by an allocation of %zu",
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
	/* The owner learns that the domain faulted.  When it may not hold what
	 * the domain held, it still lands here (there is no result to withhold
	 * on this path); docs/ifc.md lists this one bit. */
	(void)pd__fault_seen(c->faulted);
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
	t->top = c->framed;
	t->frame_next = c->framed + 1;
	pd__count_fault(c->framed->faulted);
	(void)pd__fault_seen(c->framed->faulted);   /* (as in pd__catch_landed) */
	pd__recover(c->framed->faulted);
	return 0;
}

/* A thunk frame caught a fault; the proxy's pd_call_leave pops the frame. */
__attribute__((cold))
int pd__guarded_unwound(pd_catch *frame)
{
	struct pd__thread *t = &pd__self;

	t->current = frame->owner;
	t->top = frame;
	t->frame_next = frame + 1;
	pd__count_fault(frame->faulted);
	/* The caller learns that the callee faulted, as it would learn a result:
	 * it holds what the callee held, or gets -PD_ELABEL like a withheld one. */
	int seen = pd__fault_seen(frame->faulted);
	pd__recover(frame->faulted);
	return seen < 0 ? -PD_ELABEL : -PD_EFAULT;
}
