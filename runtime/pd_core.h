/*
 * Layouts the inline fast path reads: a domain's reference table, the
 * object header and the per-thread state.  Not API - only pd_call.h and
 * libpd's own .c files touch these fields - but they must be visible so the
 * proxy compiles to a handful of loads and stores with no call into libpd.
 *
 * Invariants:
 *  - slot.key is either the exact 64-bit handle that reaches the slot, or a
 *    "dead key" that no handle indexing this slot can equal.  The dead key
 *    is 0 everywhere except in the permanent empty record at index 0, whose
 *    slots hold PD__NIL_KEY: a handle equal to 0 indexes record 0, and a
 *    handle equal to PD__NIL_KEY indexes record 1.  One compare thus
 *    validates domain, slot, generation, revocation and domain liveness,
 *    with no bounds check (the index fields are exactly as wide as the
 *    tables).
 *  - every entry of pd__domains points at a domain record (a shared,
 *    all-zero nil record when unused), and records are never freed, so a
 *    racing or forged lookup always reads valid memory.
 *  - a slot's generation only grows (a process-wide counter), so a handle
 *    from an earlier incarnation never matches.
 */
#ifndef PD_CORE_H
#define PD_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "pd_domain.h"
#include "pd_fault.h"
#include "pd_heap.h"
#include "pd_rref.h"

#define PD__DOM_SHIFT 54
#define PD__SLOT_SHIFT 32
#define PD__SLOT_MASK (PD_SLOTS - 1)
/*
 * The dead key of the record at index 0.  A handle equal to it indexes
 * domain 1, never index 0, so it cannot match there.
 */
#define PD__NIL_KEY (1ull << PD__DOM_SHIFT)

enum pd__slot_state {
	PD__SLOT_UNUSED = 0,
	PD__SLOT_BOUND,     /* callable */
	PD__SLOT_ORPHANED,  /* domain recovered and the re-init did not re-bind it */
	PD__SLOT_REVOKED,   /* for good */
};

struct pd__slot {
	uint64_t key;
	const void *ops;
	void *self;
	pd_acl_fn acl;
	void *acl_arg;
	uint32_t gen;
	uint32_t state;
} __attribute__((aligned(64)));

struct pd_domain {
	struct pd__slot slots[PD_SLOTS];   /* first: the fast path indexes it */
	/* Everything below is private to pd_domain.c. */
	pd_domain_spec spec;
	uint32_t id;
	uint32_t state;                    /* enum pd_domain_state */
	uint32_t next_slot;                /* slots [0, next_slot) exported at some time */
	uint32_t rebind;                   /* re-init: next slot to re-bind */
	int reinit;                        /* a re-init is running */
	size_t charged_bytes;              /* under the heap lock */
	uint64_t faults;                   /* atomically updated */
	uint64_t recoveries;
};

/* Every pd_alloc'd object is preceded by this; 64 bytes, so data stays 16-aligned. */
struct pd__obj {
	struct pd__obj *next, *prev;  /* the heap's live list */
	pd_domain *owner;             /* NULL = outside */
	const pd_kind *kind;
	pd_domain *charged;           /* whose quota pays; NULL = nobody */
	size_t size;
	uint32_t magic;               /* PD__OBJ_MAGIC while alive */
	uint32_t flags;
	uint32_t refcount;            /* reserved: `shared` objects (checkpoint issue) */
	uint32_t epoch;               /* reserved: checkpoint save stamp */
};

#define PD__OBJ_MAGIC 0x70646f62u  /* "pdob" */

static inline struct pd__obj *pd__obj_of(const void *obj)
{
	return (struct pd__obj *)obj - 1;
}

/* Per-thread state, one TLS block so the proxy reaches it with one base. */
struct pd__thread {
	pd_domain *current;
	pd_catch *top;        /* innermost catch frame */
	int ready;            /* alternate stack installed */
};

extern __thread struct pd__thread pd__self __attribute__((tls_model("initial-exec")));
extern pd_domain *pd__domains[PD_MAX_DOMAINS];

static inline pd_domain *pd_current(void)
{
	return pd__self.current;
}

#endif
