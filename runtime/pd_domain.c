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
		s->fast_iface = NULL;
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
	if (rc == -PD_EFAULT)
		pd__recover(d);
	return rc;
}

static int normalise_init_rc(int rc)
{
	return rc < 0 ? rc : -PD_EINVAL;
}

/* The labels and the sinks a spec gives a new (or recovering) domain. */
static int set_flow(pd_domain *d, const pd_domain_spec *spec)
{
	pd_labels initial = pd__domain_initial(spec);
	pd_labels mask = pd__clearance_mask(spec);
	if ((initial & PD_LABELS_INVALID) || (initial & ~mask) != 0)
		return -PD_ELABEL;
	d->label = initial;
	d->clearance_mask = mask;
	return 0;
}

int pd_domain_create(const pd_domain_spec *spec, pd_domain **out)
{
	if (spec == NULL || out == NULL || spec->n_sinks > PD_MAX_SINKS)
		return -PD_EINVAL;
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
		memset(d, 0, sizeof(*d));
	}
	/*
	 * A reused record keeps its slots' generations (keys are 0 already), so
	 * a handle from the previous incarnation keeps reading as stale, not as
	 * never exported, even before the new domain exports anything.
	 */
	for (uint32_t i = 0; i < PD_SLOTS; i++) {
		struct pd__slot *s = &d->slots[i];
		s->fast_iface = NULL;
		s->ops = NULL;
		s->self = NULL;
		s->acl = NULL;
		s->acl_arg = NULL;
		s->iface = NULL;
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
		return normalise_init_rc(rc);
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
	if (!pd__is_record(d) || d->state == PD_DOMAIN_FREE)
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
	pthread_mutex_unlock(&pd__table_lock);
	pd__heap_sweep(d, 1);
	pthread_mutex_lock(&pd__table_lock);
	d->state = PD_DOMAIN_FREE;
	void *image = d->ckpt_image;
	d->ckpt_image = NULL;
	pthread_mutex_unlock(&pd__table_lock);
	pd_free(image);         /* nobody's object: freed from outside, here */
	return 0;
}

pd_domain *pd_domain_lookup(uint32_t id)
{
	if (id == 0 || id >= PD_MAX_DOMAINS)
		return NULL;
	pd_domain *d = __atomic_load_n(&pd__domains[id], __ATOMIC_ACQUIRE);
	if (!pd__is_record(d) || d->state == PD_DOMAIN_FREE)
		return NULL;
	return d;
}

uint32_t pd_domain_id(const pd_domain *d)
{
	return d ? d->id : 0;
}

const char *pd_domain_name(const pd_domain *d)
{
	if (d == NULL)
		return "(outside)";
	return d->spec.name ? d->spec.name : "(unnamed)";
}

enum pd_domain_state pd_domain_state(const pd_domain *d)
{
	return d ? (enum pd_domain_state)d->state : PD_DOMAIN_FREE;
}

int pd_domain_get_stats(const pd_domain *d, pd_domain_stats *st)
{
	int rc = manageable(d);
	if (rc < 0 || st == NULL)
		return rc < 0 ? rc : -PD_EINVAL;
	st->faults = __atomic_load_n(&d->faults, __ATOMIC_RELAXED);
	st->recoveries = __atomic_load_n(&d->recoveries, __ATOMIC_RELAXED);
	st->charged_bytes = d->charged_bytes;
	st->exported = d->next_slot;
	pthread_mutex_lock(&pd__table_lock);
	st->checkpoints = d->checkpoints;
	st->restores = d->restores;
	st->restore_errors = d->restore_errors;
	st->image_bytes = d->ckpt_image ? d->ckpt_len : 0;
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
	if (rc == 0 && (rc = pd_move(io->image, NULL)) < 0)
		pd_free(io->image);
	return rc;
}

static int load_inside(void *arg)
{
	state_io *io = arg;
	return io->d->spec.load_state(io->image, io->len, domain_state(io->d));
}

/* Keeps image as d's last checkpoint; frees the previous one. */
static void keep_image(pd_domain *d, void *image, size_t len)
{
	pthread_mutex_lock(&pd__table_lock);
	void *old = d->ckpt_image;
	d->ckpt_image = image;
	d->ckpt_len = len;
	pthread_mutex_unlock(&pd__table_lock);
	pd_free(old);
}

int pd_domain_checkpoint(pd_domain *d)
{
	int rc = manageable(d);
	if (rc < 0)
		return rc;
	if (d->spec.save_state == NULL || domain_state(d) == NULL)
		return -PD_EINVAL;
	if (active_here(d))
		return -PD_EBUSY;
	state_io io = { .d = d };
	rc = pd__run_in(d, save_inside, &io);
	if (rc < 0)
		return rc;
	keep_image(d, io.image, io.len);
	pthread_mutex_lock(&pd__table_lock);
	d->checkpoints++;
	pthread_mutex_unlock(&pd__table_lock);
	return 0;
}

int pd_domain_checkpoint_image(const pd_domain *d, const void **image, size_t *len)
{
	int rc = manageable(d);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&pd__table_lock);
	*image = d->ckpt_image;
	*len = d->ckpt_image ? d->ckpt_len : 0;
	pthread_mutex_unlock(&pd__table_lock);
	return 0;
}

int pd_domain_set_checkpoint_image(pd_domain *d, const void *image, size_t len)
{
	int rc = manageable(d);
	if (rc < 0)
		return rc;
	if (image == NULL || len == 0)
		return -PD_EINVAL;
	pd_domain *saved = pd__self.current;
	pd__self.current = NULL;              /* the copy belongs to nobody */
	void *copy = pd_alloc(len, NULL);
	pd__self.current = saved;
	if (copy == NULL)
		return -PD_ENOMEM;
	memcpy(copy, image, len);
	keep_image(d, copy, len);
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
	int rc = pd__run_in(d, load_inside, &io);
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
int pd__recover(pd_domain *d)
{
	pthread_mutex_lock(&pd__table_lock);
	d->state = PD_DOMAIN_RECOVERING;
	kill_slots(d, PD__SLOT_ORPHANED);
	d->reinit = 1;
	d->rebind = 0;
	pthread_mutex_unlock(&pd__table_lock);

	pd__heap_sweep(d, 0);
	/* What it held is gone with its objects: it starts again from what its
	 * declaration says its state holds (a restore then adds the image's). */
	d->label = pd__domain_initial(&d->spec);

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
	return pd__recover(d);
}
