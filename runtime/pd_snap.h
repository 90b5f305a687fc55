/*
 * Incremental checkpoints: an in-memory undo log per domain.
 *
 * A domain declared `checkpoint incremental every N batches;` keeps its
 * last checkpoint as the live state plus an undo log of what changed since
 * (docs/checkpoint-format.md, "Incremental checkpoints"):
 *
 *  - before stage code writes an object of its state during an epoch it
 *    calls pd_touch(obj) (or pd_touch_range for a part of a large array):
 *    the first touch of the epoch copies the object's old bytes into the
 *    log and stamps its header; later touches are one compare.
 *  - objects allocated (or moved in) during the epoch are logged as new;
 *    objects of the checkpoint freed during it are not freed but kept
 *    until the commit, so a rollback brings them back.  The heap and the
 *    proxies' moves log these themselves; retain/release of a shared
 *    object logs its count.
 *  - a checkpoint (pd_domain_checkpoint at a batch boundary) is a commit:
 *    the deferred frees run and the log is dropped by taking a new epoch -
 *    O(objects freed), not O(state).
 *  - a fault rolls the log back (O(bytes changed)): new objects are freed,
 *    old bytes copied back, deferred frees undone.  The state is then the
 *    last checkpoint, at the same addresses, so handles and pointers that
 *    stage code keeps stay valid and nothing is parsed.
 *
 * What it cannot see: a write to an object of the state that no pd_touch
 * preceded survives the rollback.  The checked mode (pd_snap_set_checked,
 * or PD_SNAP_CHECK=1 in the environment) catches that at the next commit
 * from checksums of every object and says which kind of object changed;
 * the tests run with it.  docs/threat-model.md states the limit.
 */
#ifndef PD_SNAP_H
#define PD_SNAP_H

#include <stddef.h>
#include <stdint.h>

#include "pd_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* pd_touch_range logs large objects in granules of this many bytes, from the payload's start. */
#define PD_SNAP_GRANULE 256u

/* With incremental checkpoints, every this many commits is also a full
 * image (the one pd_domain_checkpoint_image returns and disks keep), unless
 * the spec's checkpoint_full_every says otherwise. */
#define PD_SNAP_FULL_EVERY 1024u

/* Cold paths of the inline functions below and of the proxies' moves (pd_call.h). */
void pd__snap_moved_in(pd_domain *to, struct pd__obj *h);
void pd__snap_moved_out(pd_domain *from, struct pd__obj *h);
void pd__snap_touch(pd_domain *d, const void *obj);
void pd__snap_touch_range(pd_domain *d, const void *obj, const void *p, size_t len);

/*
 * Before the current domain writes obj - a pd_alloc'd object it owns - in
 * an epoch: logs obj's old bytes (and its shared count) once per epoch.
 * A no-op outside a domain, in a domain without incremental checkpoints,
 * for NULL, for a pointer no object has (every object is 16-aligned), and
 * for objects the domain does not own.  obj must be a pointer pd_alloc
 * returned: the inline test reads the stamp in the header before it (the
 * heap's registry is asked only when the stamp differs), so another aligned
 * pointer may fault the calling domain - its own fault, contained and
 * recovered as any other.
 */
static inline void pd_touch(const void *obj)
{
	pd_domain *d = pd__self.current;
	if (d == NULL || d->snap_epoch == 0 || obj == NULL || ((uintptr_t)obj & 15) != 0)
		return;
	/* (the header's address computed as an integer: obj may be no object,
	 * and pointer arithmetic past its bounds would be undefined) */
	const struct pd__obj *h = (const struct pd__obj *)((uintptr_t)obj - sizeof(struct pd__obj));
	if (__builtin_expect(pd__snap_stamp(h) == d->snap_epoch, 1))
		return;
	pd__snap_touch(d, obj);
}

/*
 * The same for the len bytes at p inside obj: for large arrays (Maglev's
 * connection table), where copying the whole object on its first write
 * would cost more than the change.  Logs the PD_SNAP_GRANULE-byte
 * granules the range covers, each once per epoch; a small object is
 * logged whole.
 */
static inline void pd_touch_range(const void *obj, const void *p, size_t len)
{
	pd_domain *d = pd__self.current;
	if (d == NULL || d->snap_epoch == 0 || obj == NULL)
		return;
	if (obj == d->snap_gobj && d->snap_gepoch == d->snap_epoch) {
		size_t off = (size_t)((const char *)p - (const char *)obj);
		if (off < d->snap_gsize && len && len <= d->snap_gsize - off) {
			size_t a = off / PD_SNAP_GRANULE, b = (off + len - 1) / PD_SNAP_GRANULE;
			if (b - a <= 1 && (d->snap_gbits[a / 64] >> (a % 64) & 1) &&
			    (d->snap_gbits[b / 64] >> (b % 64) & 1))
				return;
		}
	}
	pd__snap_touch_range(d, obj, p, len);
}

/*
 * pd_touch for trusted code (or d's manager) that writes an object of d's
 * state from outside d - a control plane, a test standing in for traffic.
 * 0, or -PD_EINVAL / -PD_EACCES.
 */
int pd_snap_touch_for(pd_domain *d, const void *obj);

/*
 * A hint for a pd_touch_range(obj, p, ...) to come, for code that
 * prefetches what it will write (Maglev's batch of connection-table sets):
 * prefetches the word of the granule bitmap p's granule is in, too.
 */
static inline void pd_touch_prefetch(const void *obj, const void *p)
{
	pd_domain *d = pd__self.current;
	if (d == NULL || d->snap_epoch == 0 || obj != d->snap_gobj)
		return;
	size_t off = (size_t)((const char *)p - (const char *)obj);
	if (off < d->snap_gsize)
		__builtin_prefetch(&d->snap_gbits[off / PD_SNAP_GRANULE / 64]);
}

typedef struct pd_snap_stats {
	uint64_t commits;         /* checkpoints taken as commits */
	uint64_t rollbacks;       /* faults recovered by rolling the log back */
	uint64_t fallbacks;       /* faults the log could not undo: full restore instead */
	uint64_t check_failures;  /* checked mode: objects changed without pd_touch */
	size_t logged_objects;    /* in the current epoch: objects (or granules) logged */
	size_t logged_bytes;      /* their old bytes */
	size_t new_objects;       /* allocated or moved in */
	size_t freed_objects;     /* frees deferred to the commit */
	uint32_t epoch;           /* 0: no epoch open (before the first checkpoint) */
} pd_snap_stats;

/* d's undo-log counters; its manager or trusted code.  0 or -PD_EINVAL/-PD_EACCES. */
int pd_snap_get_stats(const pd_domain *d, pd_snap_stats *st);

/*
 * Checked mode for d (trusted code or d's manager): at each commit every
 * object d owns that the log does not hold is compared with its checksum
 * at the previous commit; a mismatch is counted (check_failures), said
 * once on stderr with the object's kind, and fails that checkpoint with
 * -PD_ECORRUPT.  Costs O(state) per commit: for tests.  0 or an error.
 */
int pd_snap_set_checked(pd_domain *d, int on);

/*
 * Checked mode: whether every object d owns now has the bytes it had at
 * the last commit (after a rollback: did it restore everything?).  1 yes,
 * 0 no, negative on error (-PD_EINVAL: not in checked mode).
 */
int pd_snap_verify(pd_domain *d);

#ifdef __cplusplus
}
#endif

#endif
