/*
 * What libpd's .c files share and nobody else may use: the locks, the
 * heap sweep, contained execution and recovery.
 *
 * Lock order: pd__table_lock before the heap lock; neither is held while
 * domain code or a destructor runs.
 */
#ifndef PD_INTERNAL_H
#define PD_INTERNAL_H

#include <pthread.h>

#include "pd_call.h"

extern pthread_mutex_t pd__table_lock;

/*
 * Is d a real domain record (not the nil or index-0 placeholder)?  Decided
 * by address, never by a field, so it holds while a record is reused.
 */
int pd__is_record(const pd_domain *d);

/* Is d a domain record - any pointer, never read through (for pointers
 * the API is handed; pd__is_record is for what the table holds)? */
int pd__valid_domain(const pd_domain *d);

/*
 * Frees every object d owns: destructors first (all objects still valid),
 * then memory.  With forget, also forgets d as the payer of objects it
 * allocated that live on elsewhere (d is being destroyed).
 */
void pd__heap_sweep(pd_domain *d, int forget);

/*
 * pd_free's body.  With shared_ok, also frees a shared object (its last
 * release, or a reader's abort); pd_free itself refuses those (-PD_EBUSY).
 */
int pd__free_object(void *obj, int shared_ok);

/* What pd_alloc(size) really costs: its header, size-class rounding or
 * pages (what quotas and checkpoint loads are charged). */
size_t pd__heap_footprint(size_t size);

/* Runs fn(arg) inside d under a catch frame; -PD_EFAULT when it faulted. */
int pd__run_in(pd_domain *d, int (*fn)(void *), void *arg);

/* Reset/restore recovery; see pd_domain.c.  0 or -PD_EDEAD. */
int pd__recover(pd_domain *d);

/* Counts a contained fault of d; called where the unwind lands. */
void pd__count_fault(pd_domain *d);

/* Faults the current domain for exceeding its quota; does not return. */
__attribute__((noreturn)) void pd__fault_quota(size_t size);

/* Installs the process-wide fault handlers once. */
void pd__install_handlers(void);

/* Why r does not resolve (always < 0): the cold half of a proxy's resolve. */
int pd__rref_error(pd_rref r);

/* May the code running now manage d (pd_domain.h: its creator or trusted code)? */
int pd__may_manage(const pd_domain *d);

/* May it see whether d exists and its state: trusted code, or d's manager,
 * which then comes to hold d's record events (pd_domain_lookup). */
int pd__may_see(const pd_domain *d);

/* Runs fn(arg) inside d under a catch frame; a fault recovers d and gives
 * -PD_EFAULT (-PD_ELABEL when the code running now may not learn what d
 * held: pd__fault_seen).  For code of d's that others trigger (access hooks). */
int pd__run_contained(pd_domain *d, int (*fn)(void *), void *arg);

/* pd_label.c: the labels a spec starts a domain at, the bits its clearance
 * allows, raising the current domain's (or thread's) label, and granting a
 * domain a sink (pd__table_lock held). */
pd_labels pd__domain_initial(const pd_domain_spec *spec);
pd_labels pd__clearance_mask(const pd_domain_spec *spec);
int pd__labels_raise_current(pd_labels v);
int pd__sink_grant(pd_domain *d, const pd_sink *s);

/*
 * Effects other code observes carry labels too.  pd__event: d's clients
 * will find its handles revoked, stale or dead because of code holding BY
 * (d->event_labels, joined by compare-and-swap).  pd__fault_seen: the code
 * running now, where d's fault landed, learns that d faulted - what d
 * held (call it before recovery resets d's label); 0 or -PD_ELABEL when
 * it may not hold that.  pd__observed: rc, after the code running now
 * came to hold V, or -PD_ELABEL when it may not (then nothing is raised).
 */
void pd__event(pd_domain *d, pd_labels by);
int pd__fault_seen(pd_domain *faulted);
int pd__observed(pd_labels v, int rc);

/* pd_heap.c: gives obj of the current domain to nobody, without the label
 * pd_move(obj, NULL) gives the outside (a checkpoint image: whoever reads
 * it learns the labels it carries, pd_domain_checkpoint_image). */
int pd__give_to_nobody(void *obj);

/*
 * pd_snap.c, the undo log of incremental checkpoints (pd_snap.h).  The
 * heap calls these only when the domain concerned has an epoch open
 * (snap_epoch != 0).  pd__snap_free answers pd__free_object after its own
 * checks: 1 free it now (new in this epoch), 0 done (the free waits for
 * the commit, or a rollback brings the object back), or an error.
 */
void pd__snap_alloc(pd_domain *d, struct pd__obj *h);
int pd__snap_free(pd_domain *d, struct pd__obj *h);
void pd__snap_count(pd_domain *d, struct pd__obj *h);
/* pd_domain.c's side: a commit (its deferred frees; *want_full says a full
 * image is due), opening the next epoch, whether a fault can roll back
 * (NULL) or why not, the rollback, the labels the state held at the
 * commit, giving up the epoch for a full restore, and the end. */
int pd__snap_commit(pd_domain *d, int *want_full);
void pd__snap_open(pd_domain *d);
const char *pd__snap_why_not(const pd_domain *d);
void pd__snap_rollback(pd_domain *d);
pd_labels pd__snap_commit_labels(const pd_domain *d);
void pd__snap_fallback(pd_domain *d, const char *why);
void pd__snap_destroy(pd_domain *d);

/* pd_heap.c for pd_snap.c: frees those of objs that d owns and that are
 * new in epoch e, as a sweep does (destructors first); calls fn on every
 * object d owns (heap lock held: fn must not use the heap); clears every
 * object's undo-log stamp (the epoch counter wrapped). */
void pd__heap_free_new(pd_domain *d, struct pd__obj **objs, size_t n, uint32_t e);
void pd__heap_each_owned(pd_domain *d, void (*fn)(struct pd__obj *h, void *arg), void *arg);
void pd__heap_clear_snap_stamps(void);
/* A free the undo log defers leaves the quota now, as a free would, and a
 * rollback that brings the object back charges it to d again. */
void pd__heap_uncharge(struct pd__obj *h);
void pd__heap_recharge(pd_domain *d, struct pd__obj *h);

#endif
