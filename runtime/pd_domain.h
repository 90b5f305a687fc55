/*
 * Protection domains: create, destroy, look up, and the thread's current
 * domain.  A domain is a name, an init function, a recovery policy and an
 * optional memory quota; it owns the objects allocated while it runs and a
 * reference table of exported objects (pd_rref.h).  Code runs "inside" a
 * domain only between a proxy's pd_call_enter and pd_call_leave (or while
 * its init runs); pd_current() is NULL in the trusted scheduler/main.
 *
 * Per thread: the current domain and the stack of catch frames.  Shared:
 * the domain table, each domain's reference table and heap accounting
 * (creation, destruction, export, revoke and the heap take a mutex; a call
 * only reads).  See docs/architecture.md.
 */
#ifndef PD_DOMAIN_H
#define PD_DOMAIN_H

#include <stddef.h>
#include <stdint.h>

#include "pd_data.h"
#include "pd_lattice.h"
#include "pd_rref.h"

#ifdef __cplusplus
extern "C" {
#endif

struct pd_sink;

enum pd_recovery {
	PD_RECOVER_RESET = 0,  /* free everything, run init again */
	PD_RECOVER_RESTORE,    /* free everything, run restore (falls back to init) */
};

/*
 * pdlc emits one of these per domain as a const initialiser, so it stays a
 * plain struct of scalars and function pointers.  The pointers (name
 * included) must outlive the domain.
 */
typedef struct pd_domain_spec {
	const char *name;
	int (*init)(void *arg);        /* runs inside the domain; nonzero = failure */
	void *arg;
	enum pd_recovery policy;
	size_t quota_bytes;            /* 0 = unlimited */
	uint32_t checkpoint_every;     /* used by the checkpoint issue; 0 = never */
	int (*restore)(void *arg);     /* seam for PD_RECOVER_RESTORE; may be NULL */
	/*
	 * Information flow (pd_label.h).  Every domain carries a label in every
	 * lattice; its clearance, when it has one, bounds it in one of them
	 * (lattice NULL: unbounded everywhere).  initial: what its state holds
	 * by declaration (`@label` fields), where its label starts and comes
	 * back to on recovery.  sinks: the sinks it may write (`emits`).
	 */
	const struct pd_lattice *lattice;
	pd_label clearance;            /* the highest label it may hold in lattice */
	const struct pd_declassify_rule *declassify;   /* the lowerings it may do */
	uint32_t n_declassify;
	const pd_label_ref *initial;
	uint32_t n_initial;
	struct pd_sink *const *sinks;
	uint32_t n_sinks;
	/*
	 * Checkpointing (pdlc emits these for `state T` with `checkpoint every
	 * N batches`; NULL otherwise).  The state is the object the domain
	 * exports first (or that object's first member): save_state writes it
	 * as an image, load_state reloads one into a freshly initialised state.
	 */
	int (*save_state)(const void *state, void **image, size_t *len);
	int (*load_state)(const void *image, size_t len, void *state);
	/*
	 * `checkpoint incremental every N batches`: a checkpoint commits the
	 * domain's undo log and a `restore` rolls it back (pd_snap.h); a full
	 * image is saved at the first checkpoint and every PD_SNAP_FULL_EVERY
	 * commits after.  0: every checkpoint is a full save.
	 */
	uint32_t checkpoint_incremental;
	/* With it: a full image every this many commits (0: PD_SNAP_FULL_EVERY;
	 * UINT32_MAX: only the first and those forced) - each one is a full
	 * save's pause, the price of a recent image on disk and for fallbacks. */
	uint32_t checkpoint_full_every;
} pd_domain_spec;

enum pd_domain_state {
	PD_DOMAIN_FREE = 0,  /* table entry not in use (destroyed) */
	PD_DOMAIN_LIVE,
	PD_DOMAIN_RECOVERING,
	PD_DOMAIN_DEAD,      /* recovery failed; calls return -PD_EDEAD */
};

typedef struct pd_domain_stats {
	uint64_t faults;
	uint64_t recoveries;
	size_t charged_bytes;  /* what the objects it allocated and are alive cost */
	uint32_t exported;     /* slots ever exported */
	uint64_t checkpoints;  /* images taken */
	uint64_t restores;     /* recoveries that reloaded the last image */
	uint64_t restore_errors;  /* recoveries whose image did not load: fresh state */
	size_t image_bytes;    /* the size of the last image, 0 when none */
	uint64_t images;       /* full images kept (saved or set); with incremental
	                        * checkpoints fewer than checkpoints */
} pd_domain_stats;

#define PD_MAX_DOMAINS 1024  /* ids 1 .. 1023; 0 is never a domain */
#define PD_SLOTS 256         /* reference-table slots per domain */

/*
 * Who may manage a domain - destroy, recover, checkpoint it, read its
 * image, label or statistics, mint handles to its exports: trusted code
 * outside every domain, and the domain that created it (while that domain
 * lives).  Anyone else gets -PD_EACCES.
 *
 * Creates a domain and runs spec->init(spec->arg) inside it, contained: if
 * init fails or faults, everything it allocated is freed and the error is
 * returned (init's own negative code, -PD_EINVAL for a positive one,
 * -PD_EFAULT for a fault).  The current domain (NULL outside) becomes its
 * manager.  Installs libpd's fault handlers on first use.  Returns 0 and
 * *out, or -PD_EINVAL / -PD_ENOMEM / -PD_ELABEL (the initial labels are
 * above the clearance) / init's error.
 *
 * Trusted code may create a domain from any spec.  Domain code may create
 * only the domains a .pdl declares - specs pdlc emitted, which its
 * generated code registers before main - so that a domain cannot give a
 * child declassification rules, sinks, a clearance or initial labels that
 * no .pdl declared and pdlc did not check: -PD_EACCES for any other spec.
 */
int pd_domain_create(const pd_domain_spec *spec, pd_domain **out);

/*
 * Makes spec one that domain code may create (pdlc's generated
 * constructors call it).  Trusted code only (-PD_EACCES inside a domain);
 * 0, or -PD_EINVAL / -PD_ENOMEM.
 */
int pd_domain_spec_register(const pd_domain_spec *spec);

/*
 * Frees everything the domain owns, kills its reference table (later calls
 * return -PD_ESTALE) and releases its id.  Its manager only (-PD_EACCES);
 * must be called outside the domain (-PD_EBUSY otherwise), and no other
 * thread may be inside it.
 */
int pd_domain_destroy(pd_domain *d);

/*
 * The live (or dead) domain with this id, NULL when none.  Whether a domain
 * exists says what its manager did, so inside a domain only the domains it
 * manages are found (whose record's events it comes to hold, as from a
 * stale handle); any other id reads as NULL.
 */
pd_domain *pd_domain_lookup(uint32_t id);

uint32_t pd_domain_id(const pd_domain *d);
const char *pd_domain_name(const pd_domain *d);

/* d's state; inside a domain, for domains it manages only (others read as
 * PD_DOMAIN_FREE), as pd_domain_lookup. */
enum pd_domain_state pd_domain_state(const pd_domain *d);
/* Its manager only: 0, -PD_EACCES or -PD_EINVAL. */
int pd_domain_get_stats(const pd_domain *d, pd_domain_stats *st);

/*
 * Recovers d now, as if it had faulted (frees its objects, re-runs init,
 * re-binds slots).  Its manager only; must be called outside d.
 * Returns 0, -PD_EACCES, -PD_EBUSY, or -PD_EDEAD when re-initialisation
 * failed.
 */
int pd_domain_recover(pd_domain *d);

/*
 * Takes a checkpoint of d's state now: runs spec->save_state inside d on
 * the object d exported first, and keeps the image (outside d's heap, so a
 * fault in d does not free it) as the one `on_fault restore` reloads.  A
 * scheduler calls it at a batch boundary, where run-to-completion makes
 * the state consistent without locks.  Its manager only; must be called
 * outside d.  Returns 0, -PD_EACCES, -PD_EINVAL (d has no save_state or no
 * export), or the save's error (the previous image is kept then).
 */
int pd_domain_checkpoint(pd_domain *d);

/*
 * With incremental checkpoints (spec.checkpoint_incremental) a checkpoint
 * is a commit of the undo log: no image is written, save at the first
 * checkpoint and every PD_SNAP_FULL_EVERY commits (and at the commit after
 * a fault the log could not undo); pd_domain_checkpoint_full forces one at
 * this commit.  Same returns, and -PD_ECORRUPT from a commit in checked
 * mode that found objects changed without pd_touch (the commit is made).
 */
int pd_domain_checkpoint_full(pd_domain *d);

/*
 * The image the next full restore would load (*image NULL when there is
 * none) - with incremental checkpoints, the last full save, which may be
 * older than the last commit.
 * Its manager only: the image holds the domain's data, whatever its label.
 * 0, -PD_EACCES or -PD_EINVAL.
 */
int pd_domain_checkpoint_image(const pd_domain *d, const void **image, size_t *len);

/*
 * Makes image (validated by the domain's load_state when the domain next
 * restores) the one its next `restore` recovery loads - a program starting
 * from files a previous run wrote.  Copied; its manager only.  0,
 * -PD_EACCES, -PD_EINVAL or -PD_ENOMEM.
 */
int pd_domain_set_checkpoint_image(pd_domain *d, const void *image, size_t len);

/* The domain running on this thread; NULL outside any domain. */
static inline pd_domain *pd_current(void);

#ifdef __cplusplus
}
#endif

#include "pd_core.h"

#endif
