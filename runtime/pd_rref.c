/*
 * The reference table: exporting, re-binding after recovery, revoking, and
 * telling a caller precisely why a handle did not resolve.  Writers hold
 * pd__table_lock; the proxy reads slots without it, so a slot's key is
 * published last (release) when bound and cleared first when killed.
 */
#include <stdbool.h>
#include <sys/random.h>
#include <x86intrin.h>

#include "pd_internal.h"

/*
 * Generations.  The n-th binding of a slot gets generation F(n), F a
 * permutation of the 32-bit numbers keyed by a per-process secret and the
 * slot (a 4-round Feistel network): distinct for that slot until 2^32
 * bindings of it, so an old handle never matches, and - unlike one
 * counter for the process - saying nothing to the handle's holder about
 * how many exports other code made (a channel between domains).  The
 * next generation is F(F^-1(current) + 1); 0 is never one.
 */
static uint64_t gen_secret;             /* under pd__table_lock; 0 until first used */

static uint16_t gen_round(uint64_t key, unsigned round, uint16_t half)
{
	uint64_t x = key ^ (uint64_t)round << 56 ^ half;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return (uint16_t)x;
}

static uint32_t gen_permute(uint32_t v, uint64_t key, bool inverse)
{
	uint16_t l = (uint16_t)(v >> 16), r = (uint16_t)v;
	if (!inverse) {
		for (unsigned i = 0; i < 4; i++) {
			uint16_t t = l ^ gen_round(key, i, r);
			l = r;
			r = t;
		}
	} else {
		for (unsigned i = 4; i-- > 0;) {
			uint16_t t = r ^ gen_round(key, i, l);
			r = l;
			l = t;
		}
	}
	return (uint32_t)l << 16 | r;
}

static uint32_t next_generation(const pd_domain *d, uint32_t slot, uint32_t gen)
{
	if (gen_secret == 0 && (getrandom(&gen_secret, sizeof(gen_secret), 0) != sizeof(gen_secret) ||
				gen_secret == 0))
		gen_secret = __rdtsc() | 1;
	uint64_t key = gen_secret ^ ((uint64_t)d->id << 8 | slot) * 0x9e3779b97f4a7c15ull;
	uint32_t n = gen ? gen_permute(gen, key, true) : 0;
	do
		gen = gen_permute(++n, key, false);
	while (gen == 0);
	return gen;
}

static uint64_t handle_of(const pd_domain *d, uint32_t slot, uint32_t gen)
{
	return (uint64_t)d->id << PD__DOM_SHIFT | (uint64_t)slot << PD__SLOT_SHIFT | gen;
}

static void bind(pd_domain *d, uint32_t i, const pd_iface *iface, const void *ops, void *self,
		 pd_acl_fn acl, void *acl_arg)
{
	struct pd__slot *s = &d->slots[i];

	s->ops = ops;
	s->self = self;
	s->acl = acl;
	s->acl_arg = acl_arg;
	s->iface_word = (uintptr_t)iface | (acl != NULL);
	s->fast_base = acl ? NULL : iface->base;
	s->state = PD__SLOT_BOUND;
	__atomic_store_n(&s->key, handle_of(d, i, s->gen), __ATOMIC_RELEASE);
}

int pd_export(const pd_iface *iface, const void *ops, void *self, pd_acl_fn acl, void *acl_arg,
	      pd_rref *out)
{
	pd_domain *d = pd__self.current;

	if (d == NULL || iface == NULL || ops == NULL || out == NULL)
		return -PD_EINVAL;
	pthread_mutex_lock(&pd__table_lock);
	uint32_t i;
	if (d->reinit && d->rebind < d->next_slot) {
		i = d->rebind++;
		if (d->slots[i].state != PD__SLOT_REVOKED)
			bind(d, i, iface, ops, self, acl, acl_arg);
	} else {
		if (d->next_slot == PD_SLOTS) {
			pthread_mutex_unlock(&pd__table_lock);
			return -PD_ENOMEM;
		}
		i = d->next_slot++;
		if (d->reinit)
			d->rebind = d->next_slot;
		d->slots[i].gen = next_generation(d, i, d->slots[i].gen);
		bind(d, i, iface, ops, self, acl, acl_arg);
	}
	out->v = handle_of(d, i, d->slots[i].gen);
	pthread_mutex_unlock(&pd__table_lock);
	return 0;
}

int pd_domain_export_rref(const pd_domain *d, unsigned k, pd_rref *out)
{
	if (out == NULL || !pd__valid_domain(d))
		return -PD_EINVAL;
	if (!pd__may_manage(d))
		return -PD_EACCES;
	pthread_mutex_lock(&pd__table_lock);
	int rc = 0;
	if (d->state == PD_DOMAIN_FREE || k >= d->next_slot)
		rc = -PD_EINVAL;
	else if (d->slots[k].state == PD__SLOT_REVOKED)
		rc = -PD_EREVOKED;
	else if (d->slots[k].state != PD__SLOT_BOUND)
		rc = -PD_ESTALE;
	else
		out->v = handle_of(d, k, d->slots[k].gen);
	pthread_mutex_unlock(&pd__table_lock);
	return rc;
}

int pd__rref_target(pd_rref r, const void **ops, void **self)
{
	if (pd__self.current != NULL)
		return -PD_EACCES;   /* a raw pointer into a domain is for trusted code */
	int rc = pd_rref_check(r);
	if (rc < 0)
		return rc;
	const struct pd__slot *s =
		&pd__domains[r.v >> PD__DOM_SHIFT]->slots[(r.v >> PD__SLOT_SHIFT) & PD__SLOT_MASK];
	*ops = s->ops;
	*self = s->self;
	return 0;
}

/* The slot r names if it was ever exported with r's generation, else NULL. */
static struct pd__slot *slot_of(pd_rref r, pd_domain **dp)
{
	uint64_t v = r.v;
	pd_domain *d = pd__domains[v >> PD__DOM_SHIFT];
	struct pd__slot *s = &d->slots[(v >> PD__SLOT_SHIFT) & PD__SLOT_MASK];

	*dp = d;
	if (s->gen == 0 || s->gen != (uint32_t)v || s->state == PD__SLOT_UNUSED ||
	    v != handle_of(d, (v >> PD__SLOT_SHIFT) & PD__SLOT_MASK, s->gen))
		return NULL;
	return s;
}

int pd_revoke(pd_rref r)
{
	pd_domain *d;

	pthread_mutex_lock(&pd__table_lock);
	struct pd__slot *s = slot_of(r, &d);
	int rc = 0;
	if (s == NULL || d->state == PD_DOMAIN_FREE)
		rc = pd__rref_error(r);
	else if (pd__self.current != NULL && pd__self.current != d)
		rc = -PD_EACCES;
	else if (s->state == PD__SLOT_REVOKED)
		rc = -PD_EREVOKED;
	else {
		__atomic_store_n(&s->key, 0, __ATOMIC_RELEASE);
		__atomic_thread_fence(__ATOMIC_RELEASE);   /* the key changes before the fields */
		s->iface_word |= 1;         /* (the key is 0 already: belt and braces) */
		s->fast_base = NULL;
		s->state = PD__SLOT_REVOKED;
		s->ops = NULL;
		s->self = NULL;
		/* clients will find out, and learn what the revoker held */
		pd__event(d, pd_labels_current());
	}
	pthread_mutex_unlock(&pd__table_lock);
	return rc;
}

/*
 * Why r does not resolve.  Never returns 0: the proxy calls it only after
 * the key compare failed, and a slot that became valid meanwhile is still
 * reported as a (retryable) stale handle rather than half-entered.
 */
int pd__rref_error(pd_rref r)
{
	uint64_t v = r.v;

	/* Generation 0 is never issued; the bits between slot and domain are always 0. */
	if ((uint32_t)v == 0 || (v >> 40 & ((1u << 14) - 1)) != 0)
		return -PD_EINVAL;
	pd_domain *d = pd__domains[v >> PD__DOM_SHIFT];
	if (!pd__is_record(d))
		return -PD_EINVAL;
	/* A handle that once worked and no longer does says something happened
	 * to its domain; the code that finds out learns the labels of whoever
	 * made it happen (pd__event). */
	pd_labels why = __atomic_load_n(&d->event_labels, __ATOMIC_RELAXED);
	if (__atomic_load_n(&d->state, __ATOMIC_ACQUIRE) == PD_DOMAIN_FREE)
		return pd__observed(why, -PD_ESTALE);
	const struct pd__slot *s = &d->slots[(v >> PD__SLOT_SHIFT) & PD__SLOT_MASK];
	if (s->gen == 0)
		return -PD_EINVAL;  /* this slot was never exported by any incarnation */
	if (s->gen != (uint32_t)v || s->state == PD__SLOT_UNUSED)
		return pd__observed(why, -PD_ESTALE);
	if (s->state == PD__SLOT_REVOKED)
		return pd__observed(why, -PD_EREVOKED);
	if (d->state == PD_DOMAIN_DEAD || d->state == PD_DOMAIN_RECOVERING)
		return pd__observed(why, -PD_EDEAD);
	return pd__observed(why, -PD_ESTALE);
}

int pd_rref_check(pd_rref r)
{
	uint64_t v = r.v;
	const pd_domain *d = pd__domains[v >> PD__DOM_SHIFT];

	if (__atomic_load_n(&d->slots[(v >> PD__SLOT_SHIFT) & PD__SLOT_MASK].key,
			    __ATOMIC_ACQUIRE) == v)
		return 0;
	return pd__rref_error(r);
}

int pd_rref_check_iface(pd_rref r, const pd_iface *iface)
{
	int rc = pd_rref_check(r);
	if (rc < 0 || iface == NULL)
		return rc;
	const struct pd__slot *s =
		&pd__domains[r.v >> PD__DOM_SHIFT]->slots[(r.v >> PD__SLOT_SHIFT) & PD__SLOT_MASK];
	return pd_iface_implements(pd__slot_iface(s), iface) ? 0 : -PD_EIFACE;
}

/* ---- the proxy's cold path -------------------------------------------- */

typedef struct acl_call {
	pd_acl_fn acl;
	const pd_domain *caller;
	unsigned method;
	void *arg;
} acl_call;

static int run_acl(void *arg)
{
	acl_call *a = arg;
	return a->acl(a->caller, a->method, a->arg);
}

/*
 * What pd_call_resolve leaves to here.  The slot's fields are read, then
 * the key again: if it changed meanwhile (revoked, or the domain destroyed
 * and its record reused) the call does not go ahead with a mix of the old
 * slot and the new one.  The access hook is the exporter's code, so it runs
 * inside the exporter under a frame of its own; it may take its time (or
 * wait), so the slot is checked once more after it, and the call uses what
 * was read before it - never a slot that something else filled meanwhile.
 */
static pd__target refused(int rc)
{
	return (pd__target){ .ops = NULL, .rc = rc };
}

pd__target pd__call_resolve_slow(pd_rref r, const pd_iface *iface, unsigned method,
				 pd_domain *caller)
{
	uint64_t v = r.v;
	pd_domain *d = pd__domains[v >> PD__DOM_SHIFT];
	const struct pd__slot *s = &d->slots[(v >> PD__SLOT_SHIFT) & PD__SLOT_MASK];

	if (__atomic_load_n(&s->key, __ATOMIC_ACQUIRE) != v)
		return refused(pd__rref_error(r));
	const pd_iface *have = pd__slot_iface(s);
	const void *ops = s->ops;
	void *self = s->self;
	acl_call a = { .acl = s->acl, .caller = caller, .method = method, .arg = s->acl_arg };
	if (__atomic_load_n(&s->key, __ATOMIC_ACQUIRE) != v)
		return refused(pd__rref_error(r));
	if (iface == NULL || !pd_iface_implements(have, iface))
		return refused(-PD_EIFACE);
	if (method >= iface->n_methods)
		return refused(-PD_EINVAL);
	if (a.acl) {
		/* The hook learns who calls which method, so the exporter holds
		 * the caller's labels before it runs; its refusal is the
		 * exporter's answer, so the caller then holds the exporter's. */
		if (pd__flow_in_raise(d, pd_labels_current()) < 0)
			return refused(-PD_ELABEL);
		int rc = pd__run_contained(d, run_acl, &a);
		if (rc == -PD_EFAULT || rc == -PD_ELABEL)
			return refused(rc);
		if (rc != 0)
			return refused(pd__observed(__atomic_load_n(&d->label, __ATOMIC_RELAXED),
						    -PD_EACCES));
		if (__atomic_load_n(&s->key, __ATOMIC_ACQUIRE) != v)
			return refused(pd__rref_error(r));
	}
	return (pd__target){ .ops = ops, .self = self };
}

pd_domain *pd_rref_domain(pd_rref r)
{
	pd_domain *d = pd__domains[r.v >> PD__DOM_SHIFT];
	if (!pd__is_record(d) || !pd__may_see(d) || d->state == PD_DOMAIN_FREE)
		return NULL;
	return d;
}
