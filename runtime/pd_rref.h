/*
 * Remote references (rrefs): the only way one protection domain reaches an
 * object of another.  An rref is a 64-bit value naming (domain, slot,
 * generation) in the owning domain's reference table; it is passed by value
 * and is never dereferenced directly: a proxy (pd_call.h) resolves it on each
 * call.  Resolving a revoked, stale, out-of-range or forged value yields an
 * error code and never touches another object, because the whole 64-bit
 * value must equal the key stored in the slot it indexes.
 *
 * Encoding (bit 63 .. 0):  domain index (10) | zero (14) | slot (8) | generation (32).
 * Generations come from one process-wide counter, so a slot's generation
 * never repeats across domain incarnations and an old handle can never
 * match a new export.
 */
#ifndef PD_RREF_H
#define PD_RREF_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pd_domain pd_domain;

typedef struct pd_rref {
	uint64_t v;
} pd_rref;

/*
 * An interface, as pdlc emits it for every `interface` (M_I_iface): what
 * a slot records at export, and what each proxy checks a handle against.
 * An object exported as I may be called through the proxies of I and of
 * every interface I extends (its ops table embeds theirs first).
 */
typedef struct pd_iface {
	const char *name;               /* "module.interface" */
	const struct pd_iface *base;    /* `interface I : BASE`, or NULL */
	uint32_t n_methods;             /* the base's included */
} pd_iface;

/* Does an object exported as `have` implement `want` (itself or a base)? */
static inline bool pd_iface_implements(const pd_iface *have, const pd_iface *want)
{
	for (unsigned hops = 0; have && hops < 1024; have = have->base, hops++)
		if (have == want)
			return true;
	return false;
}

#define PD_RREF_NULL ((pd_rref){ 0 })

static inline bool pd_rref_is_null(pd_rref r)
{
	return r.v == 0;
}

static inline bool pd_rref_eq(pd_rref a, pd_rref b)
{
	return a.v == b.v;
}

/*
 * Access-control hook, run by the proxy before every call through the slot.
 * caller is the calling domain (NULL: trusted code outside any domain),
 * method the method index pdlc assigns in declaration order.  Nonzero
 * refuses: the proxy returns -PD_EACCES without entering the callee.
 * The hook runs inside the exporting domain (a fault in it is contained and
 * blamed there, and the call returns -PD_EFAULT); the slot is checked again
 * after it returns, so a handle revoked or a domain destroyed meanwhile
 * gives -PD_EREVOKED / -PD_ESTALE, never the object that replaced it.
 */
typedef int (*pd_acl_fn)(const pd_domain *caller, unsigned method, void *acl_arg);

/*
 * Exports (ops, self), an object implementing iface, from the current
 * domain into its reference table and returns the handle in *out.  Must be
 * called inside a domain (-PD_EINVAL otherwise).  pdlc's M_I_export calls
 * this with M_I_iface.  acl may be NULL (everyone may call); it runs inside
 * the exporting domain, under a catch frame of its own, before every call
 * through the slot: a fault in it is the exporter's.
 *
 * Re-binding rule: slots are handed out in export order.  When a domain is
 * recovered, its reference table is emptied and its init runs again; the
 * k-th pd_export made during that re-init re-binds the k-th slot ever
 * exported by the domain, with the same generation, so clients' rrefs keep
 * working.  A re-init therefore must export its objects in the same order
 * as the original init.  A revoked slot stays revoked (the k-th export then
 * returns the revoked handle).  Slots the re-init does not re-bind (e.g.
 * exported later, while serving a call) are stale from then on.
 * Returns 0, -PD_EINVAL, or -PD_ENOMEM when the table is full.
 */
int pd_export(const pd_iface *iface, const void *ops, void *self, pd_acl_fn acl, void *acl_arg,
	      pd_rref *out);

/*
 * Kills the slot for good: every later call through any copy of r returns
 * -PD_EREVOKED, also after recovery.  Allowed from the owning domain or from
 * outside any domain (the trusted manager).  Returns 0 or a negative error.
 */
int pd_revoke(pd_rref r);

/*
 * Checks r without calling: 0 when a call would reach an object, else the
 * error the proxy would return (-PD_EINVAL, -PD_EREVOKED, -PD_ESTALE,
 * -PD_EDEAD).  With iface not NULL, also that the object implements it
 * (-PD_EIFACE otherwise): how pdlc's M_I_from_rref checks a handle that
 * arrived as data before it becomes a typed one.
 */
int pd_rref_check(pd_rref r);
int pd_rref_check_iface(pd_rref r, const pd_iface *iface);

/*
 * The handle of the k-th object domain d exported (k counts pd_export
 * calls of d's init in order, from 0; the re-binding rule above keeps it
 * the same across recoveries).  d's manager only: minting a handle to any
 * domain's objects is authority (docs/threat-model.md).  Returns 0,
 * -PD_EACCES, -PD_EINVAL (no such export or no live domain), -PD_EREVOKED
 * or -PD_ESTALE (not bound now: the domain is recovering, or a re-init did
 * not export it again).
 */
int pd_domain_export_rref(const pd_domain *d, unsigned k, pd_rref *out);

/*
 * Trusted code only (the scheduler's direct, unisolated baseline): the ops
 * table and object r reaches, without calling.  0, -PD_EACCES inside any
 * domain, or pd_rref_check's error.
 */
int pd__rref_target(pd_rref r, const void **ops, void **self);

/* The domain an rref points into, or NULL when r names no live domain.
 * Inside a domain, only domains it manages are found (pd_domain_lookup). */
pd_domain *pd_rref_domain(pd_rref r);

#ifdef __cplusplus
}
#endif

#endif
