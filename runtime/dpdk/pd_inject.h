/*
 * pd_inject.h - fault injection for tests and demos:
 *     --inject-fault STAGE:EVERY_N[:KIND]      KIND = segv|abort|assert|fpe
 * makes every EVERY_N-th batch bound for STAGE (a stage name or index) fault
 * inside that stage's domain, by the chosen means (default segv).
 *
 * The scheduler raises the fault itself, at the point where the stage would
 * run: it enters the stage's domain exactly as the proxy does, moves the
 * batch in, and faults there.  To libpd that is a fault in the stage - the
 * domain is current and owns the batch - so containment, the batch's
 * destruction and recovery run as for a real bug, and any stage can be
 * tested without calling anything from its own code.
 */
#ifndef PD_INJECT_H
#define PD_INJECT_H

#include <stdint.h>

#include "pd_rref.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pd_inject_kind {
	PD_INJECT_SEGV,
	PD_INJECT_ABORT,
	PD_INJECT_ASSERT,
	PD_INJECT_FPE,
} pd_inject_kind;

/* Per (worker, stage) countdown; the scheduler owns these. */
typedef struct pd_inject {
	uint32_t every;         /* 0: never */
	uint32_t left;          /* batches until the next fault */
	pd_inject_kind kind;
} pd_inject;

/* Parses "STAGE:EVERY_N[:KIND]".  Stage names resolve against names[];
 * returns the stage index or -1 after printing why on stderr. */
int pd_inject_parse(const char *spec, unsigned n_stages,
		    const char *const *names, pd_inject *out);

/*
 * Enters the domain behind stage, moves *obj (a libpd object the caller
 * owns, e.g. a batch) into it, clears *obj and raises the fault there.  The
 * caller must hold the innermost catch frame (PD_CATCH_ARM): that is where
 * the fault lands.  Returns only when the fault could not be raised: a
 * negative libpd code (the stage cannot be entered, or no caller frame),
 * with *obj untouched.
 */
int pd_inject_in_domain(pd_rref stage, void **obj, pd_inject_kind kind);

/* Raises the fault in whatever domain is current; does not return. */
void pd_inject_fire(pd_inject_kind kind) __attribute__((noreturn));

const char *pd_inject_kind_name(pd_inject_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* PD_INJECT_H */
