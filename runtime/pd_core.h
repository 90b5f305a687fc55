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
#include "pd_label.h"
#include "pd_rref.h"

#ifdef __cplusplus
extern "C" {
#endif

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
	/*
	 * The interface the object was exported as, with bit 0 set when a
	 * call must first run the slot's ACL hook (pd__slot_iface strips it).
	 * A proxy compares the word with its own interface: one compare says
	 * "the handle names this interface and there is no hook".
	 */
	uintptr_t iface_word;
	/*
	 * That interface's base when there is no hook, else NULL: a stage
	 * exported as `filter : std.stage` answers std.stage's proxies on the
	 * fast path too, from this same cache line.  Anything else - a hook,
	 * a deeper derivation, the wrong interface - takes the cold path.
	 */
	const pd_iface *fast_base;
	const void *ops;
	void *self;
	pd_acl_fn acl;
	void *acl_arg;
	uint32_t gen;
	uint32_t state;
} __attribute__((aligned(64)));

static inline const pd_iface *pd__slot_iface(const struct pd__slot *s)
{
	return (const pd_iface *)(s->iface_word & ~(uintptr_t)1);
}

struct pd_domain {
	struct pd__slot slots[PD_SLOTS];   /* first: the fast path indexes it */
	/* The floating label (pd_label.h): raised by what the domain receives,
	 * never outside clearance_mask; back to spec's initial labels when
	 * the domain recovers (and up to its image's labels on a restore). */
	pd_labels label;
	pd_labels clearance_mask;          /* the bits label may have */
	/* Incremental checkpoints (pd_snap.h): the epoch of the undo log that
	 * pd_touch and the heap's hooks write, 0 while the domain keeps none
	 * (then every hook is one not-taken branch). */
	uint32_t snap_epoch;
	struct pd_snap *snap;
	/* The large object pd_touch_range met last and the bitmap of its
	 * granules logged in epoch snap_gepoch, so that a touch of a granule
	 * already logged is a few compares. */
	const void *snap_gobj;
	const uint64_t *snap_gbits;
	size_t snap_gsize;
	uint32_t snap_gepoch;
	/* Everything below is private to libpd's .c files. */
	/* What a client learns when it finds a handle of this record revoked,
	 * stale or dead: the labels of whoever caused that (a revoker, a
	 * manager, the domain's own fault).  Only rises, and outlives the
	 * incarnations of the record: an old handle still learns it. */
	pd_labels event_labels;
	pd_domain_spec spec;
	uint32_t id;
	uint32_t state;                    /* enum pd_domain_state */
	uint32_t next_slot;                /* slots [0, next_slot) exported at some time */
	uint32_t rebind;                   /* re-init: next slot to re-bind */
	int reinit;                        /* a re-init is running */
	int sweeping;                      /* its objects' destructors are running */
	size_t charged_bytes;              /* updated atomically (two threads may run it) */
	uint64_t faults;                   /* atomically updated */
	uint64_t recoveries;
	/* Who may manage it: the domain current at its creation (NULL: only
	 * trusted code), as that domain's incarnation - a record reused by
	 * another domain is not the manager. */
	uint64_t incarnation;              /* bumped by every pd_domain_create */
	pd_domain *manager;
	uint64_t manager_incarnation;
	/* What its creation carried in - the creator's labels (init's argument
	 * is the creator's data) and those of every manager that recovered it
	 * by hand: with the spec's initial labels, where it starts again. */
	pd_labels born_labels;
	/* The sinks it may write (spec.sinks and pd_sink_allow). */
	const pd_sink *sinks[PD_MAX_SINKS];
	uint32_t n_sinks;
	/* The last checkpoint image (owned by nobody: it survives the domain's
	 * faults) and counters, all under pd__table_lock.  pd_domain.c only. */
	void *ckpt_image;
	size_t ckpt_len;
	pd_labels ckpt_labels;             /* what the image carries (its label section) */
	uint64_t checkpoints, restores, restore_errors;
	uint64_t images;                   /* keep_image calls */
};

/*
 * Every pd_alloc'd object is preceded by this; 64 bytes, so data stays
 * 16-aligned.  size is 32 bits (pd_alloc refuses more) to make room for
 * the checkpoint fields:
 *  - refcount counts the references to a `shared` object (pd_shared.h);
 *    plain objects keep 0.
 *  - epoch/ckpt_id: a checkpoint save (or a sharing-aware equality walk)
 *    that meets the object stamps it with its own epoch and a dense id.
 *    An object whose epoch differs from the walk's is new to that walk, so
 *    detecting aliases needs no visited set and no pass to clear stamps.
 *    Epochs come from pd__epoch_next() and are never 0.
 */
struct pd__obj {
	struct pd__obj *next, *prev;  /* large objects: the live list; slab slots: the sweep's link */
	pd_domain *owner;             /* NULL = outside */
	const pd_kind *kind;
	pd_domain *charged;           /* whose quota pays; NULL = nobody */
	uint32_t size;
	uint32_t magic;               /* PD__OBJ_MAGIC while alive */
	uint32_t flags;
	uint32_t refcount;            /* `shared` objects: live references */
	uint32_t epoch;               /* the last save/equality walk that met it */
	uint32_t ckpt_id;             /* its dense id in that walk */
};

#ifdef __cplusplus
static_assert(sizeof(struct pd__obj) == 64, "the object header must stay 64 bytes");
#else
_Static_assert(sizeof(struct pd__obj) == 64, "the object header must stay 64 bytes");
#endif

/*
 * A fresh, never-0 epoch for one save or equality walk.  When the 32-bit
 * counter wraps, every live object's stamp is cleared first (once per 2^32
 * walks), so an old stamp can never be mistaken for a current one.
 */
uint32_t pd__epoch_next(void);
void pd__epoch_set(uint32_t e);  /* tests only: to reach the wrap */

#define PD__OBJ_MAGIC 0x70646f62u  /* "pdob" */

/*
 * The undo log's stamp lives in the high 24 bits of an object's flags
 * (pd_heap.c's own flags are the low bits): an object owned by a domain
 * whose stamp equals the domain's snap_epoch is already logged in this
 * epoch - its old bytes are kept, or it is new (PD__SNAP_NEW: allocated or
 * moved in since the last commit), or its free waits for the commit
 * (PD__SNAP_FREED).  Those two bits mean something only when the stamp
 * matches.
 */
#define PD__SNAP_SHIFT 8
#define PD__SNAP_NEW 0x10u
#define PD__SNAP_FREED 0x20u
#define PD__SNAP_KEPT 0x40u    /* a mark while the log is compacted (pd_snap.c) */
#define PD__SNAP_EPOCH_MAX ((1u << (32 - PD__SNAP_SHIFT)) - 1)

static inline uint32_t pd__snap_stamp(const struct pd__obj *h)
{
	return __atomic_load_n(&h->flags, __ATOMIC_RELAXED) >> PD__SNAP_SHIFT;
}

/* What an object costs beyond its payload; the checkpoint loader's byte
 * limit counts it for every allocation it makes. */
#define PD_OBJ_OVERHEAD sizeof(struct pd__obj)

/* A shared object's count never reaches this; counts at or above it mark
 * an object being torn down (the checkpoint reader's abort). */
#define PD__RC_MAX (1u << 30)

/* The header of an object already known to be one (libpd's own code). */
static inline struct pd__obj *pd__obj_of(const void *obj)
{
	return (struct pd__obj *)obj - 1;
}

/* Per-thread state, one TLS block so the proxy reaches it with one base. */
struct pd__thread {
	pd_domain *current;
	pd_catch *top;        /* innermost catch frame */
	int ready;            /* alternate stack installed */
	/* The label of trusted code outside any domain (the scheduler): what it
	 * has received from the domains it called, every lattice. */
	pd_labels label;
	/* The proxies' catch frames: a stack (pd_thread_init maps it) that a
	 * framed call pushes one record onto; frame_next == frame_end when
	 * it is full or not set up yet, which sends the proxy to its slow path. */
	pd_catch *frame_next;
	pd_catch *frame_end;
	/* The last pointer pd__obj_lookup found to be a slab slot's payload:
	 * it stays one for good, so moving the same batch again skips the
	 * registry (pd__obj_find). */
	const void *known_obj;
};

extern __thread struct pd__thread pd__self __attribute__((tls_model("initial-exec")));
extern pd_domain *pd__domains[PD_MAX_DOMAINS];

static inline pd_domain *pd_current(void)
{
	return pd__self.current;
}

/*
 * The header of the object whose payload is p, when p is exactly that - a
 * slot a slab carved or a live big object - and NULL for anything else
 * (made-up pointers, interior pointers, forged headers, other memory).
 * Reads nothing but libpd's own registry (pd_heap.c).  Whether the slot
 * is alive is the caller's test (its magic).
 */
struct pd__obj *pd__obj_lookup(const void *p);

static inline struct pd__obj *pd__obj_find(const void *p)
{
	if (__builtin_expect(p == pd__self.known_obj, 1))
		if (__builtin_expect(p != NULL, 1))
			return (struct pd__obj *)p - 1;
	return pd__obj_lookup(p);
}

#ifdef __cplusplus
}
#endif

#endif
