/*
 * The domain table and each domain's life: creation (init run contained),
 * recovery (sweep, re-init, re-bind, reload), destruction, and who may do
 * these.  Domain records are allocated once per table index and never
 * freed, so the lock-free proxy path can always read the record an rref
 * indexes, even while that domain is being destroyed on another thread.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_ckpt.h"
#include "pd_internal.h"
#include "pd_lattice.h"

pthread_mutex_t pd__table_lock = PTHREAD_MUTEX_INITIALIZER;

/* Stands for every unused index: all keys 0, which only a handle equal to 0 could match, and 0 indexes record 0. */
static pd_domain nil_record;

/* Record 0 is never a domain; its keys must not be 0 (see pd_core.h). */
static pd_domain zero_record = {
	.slots = { [0 ... PD_SLOTS - 1] = { .key = PD__NIL_KEY } },
};

pd_domain *pd__domains[PD_MAX_DOMAINS] = {
	[0] = &zero_record,
	[1 ... PD_MAX_DOMAINS - 1] = &nil_record,
};

/* Under pd__table_lock; 0 is never an incarnation. */
static uint64_t incarnations;

int pd__is_record(const pd_domain *d)
{
	return d != NULL && d != &nil_record && d != &zero_record;
}

/*
 * Every record ever allocated, by address (open addressing, never
 * removed: records are never freed), so that a pointer handed to the API
 * is recognised without reading through it.
 */
#define RECORD_SET 2048u            /* a power of two, twice PD_MAX_DOMAINS */
static pd_domain *record_set[RECORD_SET];

static uint32_t record_slot(const pd_domain *d)
{
	uint64_t x = (uintptr_t)d >> 6;
	x *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(x >> 40) & (RECORD_SET - 1);
}

/* pd__table_lock held. */
static void remember_record(pd_domain *d)
{
	uint32_t i = record_slot(d);
	while (record_set[i] != NULL)
		i = (i + 1) & (RECORD_SET - 1);
	__atomic_store_n(&record_set[i], d, __ATOMIC_RELEASE);
}

int pd__valid_domain(const pd_domain *d)
{
	if (d == NULL)
		return 0;
	for (uint32_t i = record_slot(d);; i = (i + 1) & (RECORD_SET - 1)) {
		const pd_domain *r = __atomic_load_n(&record_set[i], __ATOMIC_ACQUIRE);
		if (r == d)
			return 1;
		if (r == NULL)
			return 0;
	}
}

/*
 * Trusted code outside every domain may manage any domain; a domain may
 * manage the domains it created, as long as it is the incarnation that
 * created them (a record reused by a later domain inherits nothing).
 */
int pd__may_manage(const pd_domain *d)
{
	const pd_domain *cur = pd__self.current;
	return cur == NULL || (d->manager == cur && d->manager_incarnation == cur->incarnation);
}

/* Makes every slot of d uncallable; the slot states stay for pd__rref_error. */
static void kill_slots(pd_domain *d, uint32_t new_state_for_bound)
{
	for (uint32_t i = 0; i < d->next_slot; i++) {
		struct pd__slot *s = &d->slots[i];
		__atomic_store_n(&s->key, 0, __ATOMIC_RELEASE);
		s->iface_word |= 1;
		s->fast_base = NULL;
		if (s->state == PD__SLOT_BOUND && new_state_for_bound)
			s->state = new_state_for_bound;
	}
}

int pd__run_in(pd_domain *d, int (*fn)(void *), void *arg)
{
	struct pd__thread *t = &pd__self;
	pd_catch c;
	int rc;

	c.prev = t->top;
	c.owner = t->current;
	c.faulted = NULL;
	c.kind = PD__FRAME_SETJMP;
	t->top = &c;
	t->current = d;
	if (__builtin_setjmp(c.jb) == 0)
		rc = fn(arg);
	else {
		pd__count_fault(c.faulted);
		rc = -PD_EFAULT;
	}
	t->current = c.owner;
	t->top = c.prev;
	return rc;
}

int pd__run_contained(pd_domain *d, int (*fn)(void *), void *arg)
{
	int rc = pd__run_in(d, fn, arg);
	if (rc == -PD_EFAULT) {
		int seen = pd__fault_seen(d);   /* before recovery resets its label */
		pd__recover(d);
		if (seen < 0)
			rc = -PD_ELABEL;
	}
	return rc;
}

static int normalise_init_rc(int rc)
{
	return rc < 0 ? rc : -PD_EINVAL;
}

/*
 * The labels a spec gives a new domain: what its state holds by
 * declaration, joined with what its creator holds - init runs on the
 * creator's argument.  -PD_ELABEL when that is above its clearance.
 */
static int set_flow(pd_domain *d, const pd_domain_spec *spec)
{
	pd_labels born = pd_labels_current();
	pd_labels initial = pd_labels_join(pd__domain_initial(spec), born);
	pd_labels mask = pd__clearance_mask(spec);
	if ((initial & PD_LABELS_INVALID) || (initial & ~mask) != 0)
		return -PD_ELABEL;
	d->label = initial;
	d->born_labels = born;
	d->clearance_mask = mask;
	return 0;
}

/* The specs domain code may create from (pd_domain_spec_register). */
static const pd_domain_spec **registered_specs;
static uint32_t n_registered, registered_cap;

int pd_domain_spec_register(const pd_domain_spec *spec)
{
	if (spec == NULL)
		return -PD_EINVAL;
	if (pd__self.current != NULL)
		return -PD_EACCES;
	pthread_mutex_lock(&pd__table_lock);
	int rc = 0;
	if (n_registered == registered_cap) {
		uint32_t cap = registered_cap ? 2 * registered_cap : 64;
		const pd_domain_spec **grown = realloc(registered_specs, cap * sizeof(*grown));
		if (grown == NULL)
			rc = -PD_ENOMEM;
		else {
			registered_specs = grown;
			registered_cap = cap;
		}
	}
	if (rc == 0)
		registered_specs[n_registered++] = spec;
	pthread_mutex_unlock(&pd__table_lock);
	return rc;
}

static bool spec_registered(const pd_domain_spec *spec)
{
	pthread_mutex_lock(&pd__table_lock);
	bool found = false;
	for (uint32_t i = 0; i < n_registered && !found; i++)
		found = registered_specs[i] == spec;
	pthread_mutex_unlock(&pd__table_lock);
	return found;
}

int pd_domain_create(const pd_domain_spec *spec, pd_domain **out)
{
	if (spec == NULL || out == NULL || spec->n_sinks > PD_MAX_SINKS)
		return -PD_EINVAL;
	/* Domain code creates only what a .pdl declared (pd_domain.h). */
	if (pd__self.current != NULL && !spec_registered(spec))
		return -PD_EACCES;
	if (pd_thread_init() < 0)
		return -PD_ENOMEM;

	pthread_mutex_lock(&pd__table_lock);
	uint32_t id = 1;
	while (id < PD_MAX_DOMAINS && pd__is_record(pd__domains[id]) &&
	       pd__domains[id]->state != PD_DOMAIN_FREE)
		id++;
	if (id == PD_MAX_DOMAINS) {
		pthread_mutex_unlock(&pd__table_lock);
		return -PD_ENOMEM;
	}
	pd_domain *d = pd__domains[id];
	if (!pd__is_record(d)) {
		d = aligned_alloc(64, sizeof(*d));
		if (d == NULL) {
			pthread_mutex_unlock(&pd__table_lock);
			return -PD_ENOMEM;
		}
		memset(d, 0, sizeof(*d));       /* FREE until it is published below */
		d->id = id;
		remember_record(d);
		__atomic_store_n(&pd__domains[id], d, __ATOMIC_RELEASE);
	}
	/*
	 * A reused record keeps its slots' generations (keys are 0 already), so
	 * a handle from the previous incarnation keeps reading as stale, not as
	 * never exported, even before the new domain exports anything.
	 */
	for (uint32_t i = 0; i < PD_SLOTS; i++) {
		struct pd__slot *s = &d->slots[i];
		s->iface_word = 0;
		s->fast_base = NULL;
		s->ops = NULL;
		s->self = NULL;
		s->acl = NULL;
		s->acl_arg = NULL;
		s->state = PD__SLOT_UNUSED;
	}
	memset(&d->spec, 0, sizeof(*d) - offsetof(pd_domain, spec));
	d->spec = *spec;
	int rc = set_flow(d, spec);
	if (rc < 0) {
		pthread_mutex_unlock(&pd__table_lock);
		return rc;
	}
	for (uint32_t i = 0; i < spec->n_sinks; i++)
		pd__sink_grant(d, spec->sinks[i]);
	pd_domain *creator = pd__self.current;
	d->manager = creator;
	d->manager_incarnation = creator ? creator->incarnation : 0;
	d->incarnation = ++incarnations;
	d->id = id;
	d->state = PD_DOMAIN_LIVE;
	__atomic_store_n(&pd__domains[id], d, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&pd__table_lock);

	rc = spec->init ? pd__run_in(d, spec->init, spec->arg) : 0;
	if (rc != 0) {
		pthread_mutex_lock(&pd__table_lock);
		kill_slots(d, 0);
		pthread_mutex_unlock(&pd__table_lock);
		pd__heap_sweep(d, 1);
		d->state = PD_DOMAIN_FREE;
		/* why init failed is the new domain's answer to its creator */
		return pd__observed(__atomic_load_n(&d->label, __ATOMIC_RELAXED), normalise_init_rc(rc));
	}
	*out = d;
	return 0;
}

/* Is d current or the owner of a catch frame on this thread's stack? */
static int active_here(const pd_domain *d)
{
	if (pd__self.current == d)
		return 1;
	for (const pd_catch *c = pd__self.top; c; c = c->prev)
		if (c->owner == d)
			return 1;
	return 0;
}

/* The checks every management call starts with. */
static int manageable(const pd_domain *d)
{
	if (!pd__valid_domain(d) || d->state == PD_DOMAIN_FREE)
		return -PD_EINVAL;
	return pd__may_manage(d) ? 0 : -PD_EACCES;
}

int pd_domain_destroy(pd_domain *d)
{
	int rc = manageable(d);
	if (rc < 0)
		return rc;
	if (active_here(d))
		return -PD_EBUSY;
	pthread_mutex_lock(&pd__table_lock);
	kill_slots(d, 0);
	/* its clients will find it gone: the manager's decision, which they learn */
	pd__event(d, pd_labels_current());
	pthread_mutex_unlock(&pd__table_lock);
	d->snap_epoch = 0;      /* what the sweep frees is not logged */
	pd__heap_sweep(d, 1);
	pd__snap_destroy(d);
	pthread_mutex_lock(&pd__table_lock);
	d->state = PD_DOMAIN_FREE;
	void *image = d->ckpt_image;
	d->ckpt_image = NULL;
	pthread_mutex_unlock(&pd__table_lock);
	pd_free(image);         /* nobody's object: freed from outside, here */
	return 0;
}

int pd__may_see(const pd_domain *d)
{
	if (pd__self.current == NULL)
		return 1;
	if (!pd__may_manage(d))
		return 0;
	return pd__observed(__atomic_load_n(&d->event_labels, __ATOMIC_RELAXED), 0) == 0;
}

pd_domain *pd_domain_lookup(uint32_t id)
{
	if (id == 0 || id >= PD_MAX_DOMAINS)
		return NULL;
	pd_domain *d = __atomic_load_n(&pd__domains[id], __ATOMIC_ACQUIRE);
	if (!pd__is_record(d) || !pd__may_see(d) || d->state == PD_DOMAIN_FREE)
		return NULL;
	return d;
}

uint32_t pd_domain_id(const pd_domain *d)
{
	return pd__valid_domain(d) ? d->id : 0;
}

const char *pd_domain_name(const pd_domain *d)
{
	if (d == NULL)
		return "(outside)";
	if (!pd__valid_domain(d))
		return "(not a domain)";
	return d->spec.name ? d->spec.name : "(unnamed)";
}

enum pd_domain_state pd_domain_state(const pd_domain *d)
{
	if (!pd__valid_domain(d) || !pd__may_see(d))
		return PD_DOMAIN_FREE;
	return (enum pd_domain_state)d->state;
}

int pd_domain_get_stats(const pd_domain *d, pd_domain_stats *st)
{
	int rc = manageable(d);
	if (rc < 0 || st == NULL)
		return rc < 0 ? rc : -PD_EINVAL;
	/* Its counts (faults, bytes, exports) are what the domain did, and
	 * what was done to it: the reader comes to hold both. */
	if ((rc = pd__observed(pd_labels_join(__atomic_load_n(&d->label, __ATOMIC_RELAXED),
					      __atomic_load_n(&d->event_labels, __ATOMIC_RELAXED)), 0)) < 0)
		return rc;
	st->faults = __atomic_load_n(&d->faults, __ATOMIC_RELAXED);
	st->recoveries = __atomic_load_n(&d->recoveries, __ATOMIC_RELAXED);
	st->charged_bytes = d->charged_bytes;
	st->exported = d->next_slot;
	pthread_mutex_lock(&pd__table_lock);
	st->checkpoints = d->checkpoints;
	st->restores = d->restores;
	st->restore_errors = d->restore_errors;
	st->image_bytes = d->ckpt_image ? d->ckpt_len : 0;
	st->images = d->images;
	pthread_mutex_unlock(&pd__table_lock);
	return 0;
}

/* ---- checkpoints ---- */

typedef struct state_io {
	pd_domain *d;
	void *image;
	size_t len;
} state_io;

/* The state is what the domain exported first (pd_domain_spec explains). */
static void *domain_state(const pd_domain *d)
{
	return d->next_slot > 0 ? d->slots[0].self : NULL;
}

/* Runs inside the domain: the image is born in its heap, then given away
 * to nobody so that the domain's next fault cannot free it. */
static int save_inside(void *arg)
{
	state_io *io = arg;
	int rc = io->d->spec.save_state(domain_state(io->d), &io->image, &io->len);
	if (rc == 0 && (rc = pd__give_to_nobody(io->image)) < 0)
		pd_free(io->image);
	return rc;
}

static int load_inside(void *arg)
{
	state_io *io = arg;
	return io->d->spec.load_state(io->image, io->len, domain_state(io->d));
}

/* Keeps image as d's last checkpoint; frees the previous one. */
static void keep_image(pd_domain *d, void *image, size_t len, pd_labels labels)
{
	pthread_mutex_lock(&pd__table_lock);
	void *old = d->ckpt_image;
	d->ckpt_image = image;
	d->ckpt_len = len;
	d->ckpt_labels = labels;
	d->images++;
	pthread_mutex_unlock(&pd__table_lock);
	pd_free(old);
}

static int save_full(pd_domain *d);

/*
 * An incremental checkpoint: the commit drops the undo log (its deferred
 * frees run), a full image is saved when one is due, and the next epoch
 * opens on the state as it is now.
 */
static int commit(pd_domain *d, int force_full)
{
	int full = 0;
	int rc = pd__snap_commit(d, &full);
	if (rc == -PD_EFAULT) {         /* a deferred destructor faulted */
		int seen = pd__fault_seen(d);
		pd__recover(d);         /* no epoch open: the full way */
		return seen < 0 ? -PD_ELABEL : rc;
	}
	if (rc == -PD_ENOMEM)
		return rc;
	int checked = rc;
	rc = 0;
	if (full || force_full) {
		rc = save_full(d);
		if (rc == -PD_EFAULT || rc == -PD_ELABEL)
			return rc;      /* recovered the full way */
	}
	pd__snap_open(d);
	if (rc == 0) {
		pthread_mutex_lock(&pd__table_lock);
		d->checkpoints++;
		pthread_mutex_unlock(&pd__table_lock);
	}
	return checked < 0 ? checked : rc;
}

static int checkpoint(pd_domain *d, int force_full)
{
	int rc = manageable(d);
	if (rc < 0)
		return rc;
	if (d->spec.save_state == NULL || domain_state(d) == NULL)
		return -PD_EINVAL;
	if (active_here(d))
		return -PD_EBUSY;
	if (d->spec.checkpoint_incremental)
		return commit(d, force_full);
	rc = save_full(d);
	if (rc == 0) {
		pthread_mutex_lock(&pd__table_lock);
		d->checkpoints++;
		pthread_mutex_unlock(&pd__table_lock);
	}
	return rc;
}

int pd_domain_checkpoint(pd_domain *d)
{
	return checkpoint(d, 0);
}

int pd_domain_checkpoint_full(pd_domain *d)
{
	return checkpoint(d, 1);
}

/* The full synchronous save: the image that a full restore loads. */
static int save_full(pd_domain *d)
{
	int rc;
	state_io io = { .d = d };
	/* A save that faults is the domain's fault (its state is what the
	 * walk tripped on): contained and recovered like any other. */
	rc = pd__run_contained(d, save_inside, &io);
	if (rc == -PD_EFAULT || rc == -PD_ELABEL)
		return rc;
	/* Whether it saved depends on what the state holds: the manager
	 * learns that much (the image's labels it learns when it reads it). */
	if (rc < 0)
		return pd__observed(__atomic_load_n(&d->label, __ATOMIC_RELAXED), rc);
	/* (a save calls no other domain: the labels it ran with are d's now) */
	keep_image(d, io.image, io.len, __atomic_load_n(&d->label, __ATOMIC_RELAXED));
	return 0;
}

int pd_domain_checkpoint_image(const pd_domain *d, const void **image, size_t *len)
{
	int rc = manageable(d);
	if (rc < 0)
		return rc;
	if (image == NULL || len == NULL)
		return -PD_EINVAL;
	pthread_mutex_lock(&pd__table_lock);
	const void *have = d->ckpt_image;
	size_t have_len = have ? d->ckpt_len : 0;
	pd_labels carried = have ? d->ckpt_labels : 0;
	pthread_mutex_unlock(&pd__table_lock);
	/* Reading the state is learning what it holds. */
	rc = pd__observed(carried, 0);
	*image = rc == 0 ? have : NULL;
	*len = rc == 0 ? have_len : 0;
	return rc;
}

int pd_domain_set_checkpoint_image(pd_domain *d, const void *image, size_t len)
{
	int rc = manageable(d);
	if (rc < 0)
		return rc;
	if (image == NULL || len == 0)
		return -PD_EINVAL;
	/* Setting the image commits an open epoch (below), which may run the
	 * domain's deferred destructors and recover it: never under its own
	 * activation, as destroy, recover and checkpoint refuse too. */
	if (active_here(d))
		return -PD_EBUSY;
	/* Refused now, not at the fault that needs it: an image whose header or
	 * labels do not read (its schema is checked when it loads). */
	pd_labels carried;
	if ((rc = pd_ckpt_image_labels(image, len, &carried)) < 0)
		return rc;
	/* The bytes are the setter's: whatever their label section says, they
	 * hold at least what the setter holds (a labelled manager could write
	 * an image with an empty one). */
	carried = pd_labels_join(carried, pd_labels_current());
	pd_domain *saved = pd__self.current;
	pd__self.current = NULL;              /* the copy belongs to nobody */
	void *copy = pd_alloc(len, NULL);
	pd__self.current = saved;
	if (copy == NULL)
		return -PD_ENOMEM;
	memcpy(copy, image, len);
	keep_image(d, copy, len, carried);
	/* The next restore loads this image: no rollback to an older commit. */
	if (d->snap_epoch) {
		int full;
		if (pd__snap_commit(d, &full) == -PD_EFAULT)
			pd__recover(d);
	}
	return 0;
}

/*
 * After a `restore` domain's init has run again: reload the last image into
 * the fresh state.  The load raises the domain's label to the labels the
 * image carries (the state comes back with what it held).  An image that
 * does not load - corrupt, for another schema, labelled above the
 * clearance, or memory ran out - leaves the freshly initialised state, as
 * `reset` would, and is counted and said once.
 */
static void reload_state(pd_domain *d)
{
	if (d->spec.policy != PD_RECOVER_RESTORE || d->spec.load_state == NULL ||
	    d->ckpt_image == NULL || domain_state(d) == NULL)
		return;
	state_io io = { .d = d, .image = d->ckpt_image, .len = d->ckpt_len };
	/* What the image holds, by who made it - not only what its label
	 * section says (pd_domain_set_checkpoint_image). */
	int rc = pd__flow_in_raise(d, d->ckpt_labels);
	if (rc == 0)
		rc = pd__run_in(d, load_inside, &io);
	if (rc == 0) {
		__atomic_add_fetch(&d->restores, 1, __ATOMIC_RELAXED);
		return;
	}
	if (__atomic_add_fetch(&d->restore_errors, 1, __ATOMIC_RELAXED) == 1)
		fprintf(stderr, "pd: domain %s: its last checkpoint did not load (%s); "
			"it runs with its fresh state\n", pd_domain_name(d), pd_strerror(rc));
}

void pd__count_fault(pd_domain *d)
{
	if (d)
		__atomic_add_fetch(&d->faults, 1, __ATOMIC_RELAXED);
}

/*
 * The paper's recovery: empty the reference table, free everything the
 * domain owns, run its init again, and let that init's exports re-bind the
 * old slots (pd_export's rule) so clients' rrefs keep working.  If the
 * re-init fails or faults too, the domain is dead: calls return -PD_EDEAD
 * until it is destroyed.  Runs outside the domain, on the stack of the
 * code the fault unwound to.
 */
/*
 * A `restore` domain with an epoch open recovers by rolling its undo log
 * back: the state is the last checkpoint again, at the same addresses, so
 * its exports stay bound (their keys are only hidden meanwhile) and no
 * init runs.  Its label is kept: it holds at least what the checkpoint's
 * state held, and is never lowered - the state may still hold what a
 * write without pd_touch left there (docs/threat-model.md).
 */
static int roll_back(pd_domain *d)
{
	uint64_t keys[PD_SLOTS];
	pthread_mutex_lock(&pd__table_lock);
	d->state = PD_DOMAIN_RECOVERING;
	uint32_t n = d->next_slot;
	for (uint32_t i = 0; i < n; i++) {
		keys[i] = d->slots[i].key;
		__atomic_store_n(&d->slots[i].key, 0, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&pd__table_lock);

	pd__snap_rollback(d);
	pd_labels back = pd_labels_join(pd_labels_join(pd__domain_initial(&d->spec), d->born_labels),
					pd__snap_commit_labels(d));
	d->label = pd_labels_join(back, __atomic_load_n(&d->label, __ATOMIC_RELAXED));

	pthread_mutex_lock(&pd__table_lock);
	for (uint32_t i = 0; i < n; i++)
		__atomic_store_n(&d->slots[i].key, keys[i], __ATOMIC_RELEASE);
	d->state = PD_DOMAIN_LIVE;
	__atomic_add_fetch(&d->recoveries, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&d->restores, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&pd__table_lock);
	return 0;
}

int pd__recover(pd_domain *d)
{
	if (d->snap_epoch) {
		const char *why = d->spec.policy == PD_RECOVER_RESTORE ? pd__snap_why_not(d) : "";
		if (why == NULL)
			return roll_back(d);
		pd__snap_fallback(d, why);      /* the full way, from the last full image */
	}
	pthread_mutex_lock(&pd__table_lock);
	d->state = PD_DOMAIN_RECOVERING;
	kill_slots(d, PD__SLOT_ORPHANED);
	d->reinit = 1;
	d->rebind = 0;
	pthread_mutex_unlock(&pd__table_lock);

	pd__heap_sweep(d, 0);
	/* What it held is gone with its objects: it starts again from what its
	 * declaration says its state holds and what it was born with (a
	 * restore then adds the image's). */
	d->label = pd_labels_join(pd__domain_initial(&d->spec), d->born_labels);

	int (*fn)(void *) = d->spec.init;
	if (d->spec.policy == PD_RECOVER_RESTORE && d->spec.restore)
		fn = d->spec.restore;
	int rc = fn ? pd__run_in(d, fn, d->spec.arg) : 0;

	if (rc == 0)
		reload_state(d);

	pthread_mutex_lock(&pd__table_lock);
	d->reinit = 0;
	if (rc != 0) {
		kill_slots(d, 0);
		d->state = PD_DOMAIN_DEAD;
	} else {
		d->state = PD_DOMAIN_LIVE;
		__atomic_add_fetch(&d->recoveries, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&pd__table_lock);
	if (rc != 0) {
		pd__heap_sweep(d, 0);
		return -PD_EDEAD;
	}
	return 0;
}

int pd_domain_recover(pd_domain *d)
{
	int rc = manageable(d);
	if (rc < 0)
		return rc;
	if (active_here(d))
		return -PD_EBUSY;
	/* Its fresh state says it was reset, when the manager chose: whoever
	 * reads that state or finds old handles stale learns the manager's
	 * labels (refused when the domain may not hold them). */
	pd_labels by = pd_labels_current();
	pd_labels born = pd_labels_join(d->born_labels, by);
	if ((born & PD_LABELS_INVALID) || (born & ~d->clearance_mask) != 0)
		return -PD_ELABEL;
	pthread_mutex_lock(&pd__table_lock);
	d->born_labels = born;
	pd__event(d, by);
	pthread_mutex_unlock(&pd__table_lock);
	return pd__recover(d);
}
