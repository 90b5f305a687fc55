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

#endif
