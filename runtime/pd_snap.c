/*
 * The undo log of incremental checkpoints (pd_snap.h): logging, commit,
 * rollback and the checked mode.  The heap (pd_heap.c) and the proxies'
 * moves (pd_call.h) call the hooks here only while a domain has an epoch
 * open; pd_domain.c decides when to commit and when a fault may roll back.
 *
 * The log lives in malloc'd memory, not in the domain's heap: a fault must
 * not free it, and it is libpd's, not the domain's, so it is not charged
 * to the domain's quota.  Its blocks are kept from one epoch to the next,
 * so a commit frees nothing but the objects whose free it deferred.
 *
 * The hooks may run on several threads at once (two threads calling into
 * one domain): each takes the log's lock for its own bookkeeping, never
 * around stage code (destructors log through the hooks themselves).
 * Commit and rollback run on the thread that runs the domain at a batch
 * boundary or after its fault, as the rest of its recovery does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_internal.h"
#include "pd_snap.h"

/*
 * The log is libpd's memory, outside the domain's quota, so it has bounds
 * of its own: past them the epoch is given up (a fault then restores the
 * last full image) rather than the process's memory.  A domain's first
 * touches log at most its state once per epoch; what is unbounded is
 * allocating and freeing within one epoch, one record each.
 */
#define MAX_RECORDS ((size_t)1 << 22)
#define MAX_LOG_BYTES ((size_t)1 << 30)

/* Objects larger than this are logged by granule when touched by range. */
#define GRANULAR_MIN (4 * PD_SNAP_GRANULE)
#define BLOCK_BYTES ((size_t)1 << 20)

enum rec_type { REC_OLD, REC_NEW, REC_FREED };

/* One entry of the log: an object's old bytes [off, off+len), or a new or deferred-freed object. */
struct rec {
	struct pd__obj *h;
	void *copy;              /* REC_OLD: in a block */
	uint32_t off, len;
	uint32_t refcount;       /* REC_OLD of a whole object: its shared count then */
	uint8_t type;
	uint8_t whole;
};

struct block {
	struct block *next;
	size_t used, cap;
	_Alignas(16) unsigned char data[];
};

/*
 * A large object logged by granule: a bit per granule logged in epoch
 * `epoch`.  A bit, not a stamp per granule: in a 32 MB table a pick reads
 * one of these at random, and 16 KB of bits stay in cache and in a few TLB
 * entries where 512 KB of stamps did not (in a VM a TLB miss is a 2-D page
 * walk: the stamps halved Maglev's packet rate at 10^6 flows).  The bits
 * are cleared by the first touch of an epoch, not by the commit, which so
 * stays O(1).
 */
struct gran {
	struct pd__obj *h;
	uint32_t size, n;
	uint64_t *bits;
	uint32_t epoch;
};

static inline int gran_logged(const struct gran *g, uint32_t e, size_t i)
{
	return g->epoch == e && (g->bits[i / 64] >> (i % 64) & 1);
}

/* Checked mode: what each object the domain owned at the last commit hashed to. */
struct sum {
	const struct pd__obj *h;
	uint32_t size;
	uint32_t n;              /* granules (0: one hash of the whole object) */
	uint64_t whole;
	uint64_t *gsum;
};

struct pd_snap {
	struct rec *recs;
	size_t nrec, rcap;
	struct block *blocks, *cur;
	size_t old_objects, old_bytes, new_objects, freed_objects;
	struct gran *grans;
	uint32_t ngran, gcap, last_gran;
	int lock;                /* the hooks' spin lock (snap_lock) */
	int rolling;             /* a rollback is freeing the new objects */
	const char *broken;      /* why this epoch cannot be rolled back, or NULL */
	uint32_t commit_next_slot;
	pd_labels commit_labels;
	uint32_t since_full;
	pd_snap_stats st;
	int checked;
	int check_said;
	struct sum *sums;
	size_t nsum, scap;       /* open addressing, scap a power of two */
};

/* Epochs are process-wide, so a stamp of one domain never reads as another's. */
static uint32_t epoch_counter;

static void forget_granule_epochs(void);

/* After the first wrap, a number may still be some domain's open epoch
 * (a domain that has not committed for 2^24 commits of the others). */
static int epoch_wrapped;

static int epoch_open_somewhere(uint32_t e)
{
	for (uint32_t i = 1; i < PD_MAX_DOMAINS; i++) {
		pd_domain *d = __atomic_load_n(&pd__domains[i], __ATOMIC_ACQUIRE);
		if (pd__is_record(d) && d->snap_epoch == e)
			return 1;
	}
	return 0;
}

static uint32_t next_epoch(void)
{
	for (;;) {
		uint32_t e = __atomic_add_fetch(&epoch_counter, 1, __ATOMIC_RELAXED);
		if (__builtin_expect(e <= PD__SNAP_EPOCH_MAX, 1)) {
			if (__builtin_expect(!epoch_wrapped, 1) || !epoch_open_somewhere(e))
				return e;
			continue;
		}
		/* Once per 2^24 commits: no stamp of a closed epoch may survive
		 * into the new round - not the objects', not the granule
		 * bitmaps' - while the marks of epochs still open (other
		 * domains', mid-batch) stay.  (Another worker committing at
		 * this instant could race with it, as with the checkpoint
		 * walks' epoch wrap.) */
		pd__heap_clear_snap_stamps();
		forget_granule_epochs();
		epoch_wrapped = 1;
		__atomic_store_n(&epoch_counter, 0, __ATOMIC_RELAXED);
	}
}

static void stamp(struct pd__obj *h, uint32_t e, uint32_t bits)
{
	uint32_t f = __atomic_load_n(&h->flags, __ATOMIC_RELAXED), nf;
	do {
		nf = (f & ((1u << PD__SNAP_SHIFT) - 1) & ~(PD__SNAP_NEW | PD__SNAP_FREED)) | bits |
		     (e << PD__SNAP_SHIFT);
	} while (!__atomic_compare_exchange_n(&h->flags, &f, nf, 0, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
}

static void unstamp_bits(struct pd__obj *h, uint32_t bits)
{
	__atomic_fetch_and(&h->flags, ~bits, __ATOMIC_RELAXED);
}

static int is_new(const struct pd__obj *h, uint32_t e)
{
	uint32_t f = __atomic_load_n(&h->flags, __ATOMIC_RELAXED);
	return (f >> PD__SNAP_SHIFT) == e && (f & PD__SNAP_NEW);
}

static void snap_lock(struct pd_snap *s)
{
	while (__atomic_exchange_n(&s->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&s->lock, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static void snap_unlock(struct pd_snap *s)
{
	__atomic_store_n(&s->lock, 0, __ATOMIC_RELEASE);
}

static void mark_broken(pd_domain *d, const char *why)
{
	if (d->snap->broken == NULL)
		d->snap->broken = why;
}

/*
 * Drops the records of new objects that are gone (freed in the epoch that
 * made them, their slot maybe made again) and the repeats of one that was
 * made again: an epoch that allocates and frees without end keeps one
 * record per live new object, not one per allocation.  Returns the
 * records left.
 */
static size_t compact_new(pd_domain *d)
{
	struct pd_snap *s = d->snap;
	uint32_t e = d->snap_epoch;
	size_t k = 0;
	for (size_t i = 0; i < s->nrec; i++) {
		struct rec *r = &s->recs[i];
		if (r->type == REC_NEW) {
			uint32_t f = __atomic_load_n(&r->h->flags, __ATOMIC_RELAXED);
			if (__atomic_load_n(&r->h->magic, __ATOMIC_ACQUIRE) != PD__OBJ_MAGIC ||
			    (f >> PD__SNAP_SHIFT) != e || !(f & PD__SNAP_NEW) || (f & PD__SNAP_KEPT)) {
				s->new_objects--;
				continue;
			}
			__atomic_fetch_or(&r->h->flags, PD__SNAP_KEPT, __ATOMIC_RELAXED);
		}
		s->recs[k++] = *r;
	}
	for (size_t i = 0; i < k; i++)
		if (s->recs[i].type == REC_NEW)
			__atomic_fetch_and(&s->recs[i].h->flags, ~PD__SNAP_KEPT, __ATOMIC_RELAXED);
	s->nrec = k;
	return k;
}

static struct rec *add_rec(pd_domain *d, struct pd__obj *h, uint8_t type)
{
	struct pd_snap *s = d->snap;
	if (s->broken)
		return NULL;            /* given up for this epoch: nothing to keep */
	if (s->nrec == MAX_RECORDS) {
		mark_broken(d, "the undo log reached its bound of records");
		return NULL;
	}
	if (s->nrec == s->rcap && (s->rcap == 0 || compact_new(d) > s->rcap / 2)) {
		size_t cap = s->rcap ? 2 * s->rcap : 4096;
		struct rec *grown = realloc(s->recs, cap * sizeof *grown);
		if (grown == NULL) {
			mark_broken(d, "out of memory for the undo log");
			return NULL;
		}
		s->recs = grown;
		s->rcap = cap;
	}
	struct rec *r = &s->recs[s->nrec++];
	memset(r, 0, sizeof *r);
	r->h = h;
	r->type = type;
	return r;
}

/* Room for n bytes of old data, 16-aligned, in the log's blocks. */
static void *log_room(pd_domain *d, size_t n)
{
	struct pd_snap *s = d->snap;
	n = (n + 15) & ~(size_t)15;
	struct block *b = s->cur;
	while (b && b->cap - b->used < n) {
		b = b->next;
		if (b)
			b->used = 0;
	}
	if (b == NULL) {
		size_t cap = n > BLOCK_BYTES ? n : BLOCK_BYTES;
		b = malloc(sizeof *b + cap);
		if (b == NULL) {
			mark_broken(d, "out of memory for the undo log");
			return NULL;
		}
		b->cap = cap;
		b->used = 0;
		/* appended after cur, so that a reset starts from blocks[0] again */
		if (s->cur) {
			b->next = s->cur->next;
			s->cur->next = b;
		} else {
			b->next = s->blocks;
			s->blocks = b;
		}
	}
	s->cur = b;
	void *p = b->data + b->used;
	b->used += n;
	return p;
}

static void log_old(pd_domain *d, struct pd__obj *h, uint32_t off, uint32_t len, int whole)
{
	if (d->snap->broken)
		return;
	if (d->snap->old_bytes + len > MAX_LOG_BYTES) {
		mark_broken(d, "the undo log reached its bound of bytes");
		return;
	}
	void *copy = len ? log_room(d, len) : NULL;
	if (len && copy == NULL)
		return;
	struct rec *r = add_rec(d, h, REC_OLD);
	if (r == NULL)
		return;
	r->copy = copy;
	r->off = off;
	r->len = len;
	r->whole = (uint8_t)whole;
	r->refcount = __atomic_load_n(&h->refcount, __ATOMIC_RELAXED);
	if (len)
		memcpy(copy, (char *)(h + 1) + off, len);
	d->snap->old_objects++;
	d->snap->old_bytes += len;
}

/* The header of obj when it is a live object d owns, else NULL. */
static struct pd__obj *owned_by(pd_domain *d, const void *obj)
{
	struct pd__obj *h = pd__obj_lookup(obj);
	if (h == NULL || __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != PD__OBJ_MAGIC ||
	    __atomic_load_n(&h->owner, __ATOMIC_RELAXED) != d)
		return NULL;
	return h;
}

static void touch_locked(pd_domain *d, const void *obj)
{
	struct pd_snap *s = d->snap;
	uint32_t e = d->snap_epoch;
	/* (logged during a rollback too: the destructors it runs are stage
	 * code, and what they write must be undone with the rest) */
	if (s == NULL || e == 0)
		return;
	struct pd__obj *h = owned_by(d, obj);
	if (h == NULL || pd__snap_stamp(h) == e)
		return;
	log_old(d, h, 0, h->size, 1);
	stamp(h, e, 0);
}

void pd__snap_touch(pd_domain *d, const void *obj)
{
	struct pd_snap *s = d->snap;
	if (s == NULL || d->snap_epoch == 0)
		return;
	snap_lock(s);
	touch_locked(d, obj);
	snap_unlock(s);
}

static struct gran *gran_of(pd_domain *d, struct pd__obj *h)
{
	struct pd_snap *s = d->snap;
	if (s->last_gran < s->ngran && s->grans[s->last_gran].h == h &&
	    s->grans[s->last_gran].size == h->size)
		return &s->grans[s->last_gran];
	for (uint32_t i = 0; i < s->ngran; i++)
		if (s->grans[i].h == h && s->grans[i].size == h->size) {
			s->last_gran = i;
			return &s->grans[i];
		}
	if (s->ngran == s->gcap) {
		uint32_t cap = s->gcap ? 2 * s->gcap : 8;
		struct gran *grown = realloc(s->grans, cap * sizeof *grown);
		if (grown == NULL)
			return NULL;
		s->grans = grown;
		s->gcap = cap;
	}
	struct gran *g = &s->grans[s->ngran];
	g->h = h;
	g->size = h->size;
	g->n = (h->size + PD_SNAP_GRANULE - 1) / PD_SNAP_GRANULE;
	g->bits = calloc((g->n + 63) / 64, sizeof *g->bits);
	g->epoch = 0;
	if (g->bits == NULL)
		return NULL;
	s->last_gran = s->ngran++;
	return g;
}

static void forget_granule_epochs(void)
{
	for (uint32_t i = 1; i < PD_MAX_DOMAINS; i++) {
		pd_domain *d = __atomic_load_n(&pd__domains[i], __ATOMIC_ACQUIRE);
		if (!pd__is_record(d) || d->snap == NULL)
			continue;
		if (d->snap_gepoch != d->snap_epoch)
			d->snap_gepoch = 0;
		for (uint32_t k = 0; k < d->snap->ngran; k++)
			if (d->snap->grans[k].epoch != d->snap_epoch || d->snap_epoch == 0)
				d->snap->grans[k].epoch = 0;
	}
}

/* Forgets the granule stamps of h (it is being freed for good). */
static void gran_forget(pd_domain *d, const struct pd__obj *h)
{
	struct pd_snap *s = d->snap;
	if (d->snap_gobj == h + 1)
		d->snap_gobj = NULL;
	for (uint32_t i = 0; i < s->ngran; i++)
		if (s->grans[i].h == h) {
			free(s->grans[i].bits);
			s->grans[i] = s->grans[--s->ngran];
			s->last_gran = 0;
			return;
		}
}

static void touch_range_locked(pd_domain *d, const void *obj, const void *p, size_t len)
{
	struct pd_snap *s = d->snap;
	uint32_t e = d->snap_epoch;
	/* (logged during a rollback too: the destructors it runs are stage
	 * code, and what they write must be undone with the rest) */
	if (s == NULL || e == 0)
		return;
	struct pd__obj *h = owned_by(d, obj);
	if (h == NULL || pd__snap_stamp(h) == e)
		return;
	if (h->size <= GRANULAR_MIN) {
		touch_locked(d, obj);
		return;
	}
	uintptr_t base = (uintptr_t)(h + 1), a = (uintptr_t)p;
	if (a < base || a >= base + h->size || len == 0)
		return;                 /* not inside obj: nothing of obj changes */
	size_t off = a - base, end = off + len > h->size ? h->size : off + len;
	struct gran *g = gran_of(d, h);
	if (g == NULL) {                /* no memory for the stamps: log it whole */
		touch_locked(d, obj);
		return;
	}
	if (g->epoch != e) {            /* the first touch of this epoch */
		memset(g->bits, 0, (g->n + 63) / 64 * sizeof *g->bits);
		g->epoch = e;
	}
	d->snap_gobj = h + 1;           /* the inline fast path's cache */
	d->snap_gbits = g->bits;
	d->snap_gsize = g->size;
	d->snap_gepoch = e;
	for (size_t i = off / PD_SNAP_GRANULE; i * PD_SNAP_GRANULE < end; i++) {
		if (gran_logged(g, e, i))
			continue;
		uint32_t goff = (uint32_t)(i * PD_SNAP_GRANULE);
		uint32_t glen = h->size - goff < PD_SNAP_GRANULE ? h->size - goff : PD_SNAP_GRANULE;
		log_old(d, h, goff, glen, 0);
		g->bits[i / 64] |= 1ull << (i % 64);
	}
}

void pd__snap_touch_range(pd_domain *d, const void *obj, const void *p, size_t len)
{
	struct pd_snap *s = d->snap;
	if (s == NULL || d->snap_epoch == 0)
		return;
	snap_lock(s);
	touch_range_locked(d, obj, p, len);
	snap_unlock(s);
}

/* ---- the heap's hooks ---- */

static void alloc_locked(pd_domain *d, struct pd__obj *h)
{
	if (d->snap->rolling)
		return;
	if (add_rec(d, h, REC_NEW))
		d->snap->new_objects++;
	stamp(h, d->snap_epoch, PD__SNAP_NEW);
}

void pd__snap_alloc(pd_domain *d, struct pd__obj *h)
{
	struct pd_snap *s = d->snap;
	if (s == NULL)
		return;
	snap_lock(s);
	alloc_locked(d, h);
	snap_unlock(s);
}

/* (from and to are records their callers checked: the proxy's resolved
 * callee, pd_move's checked target, a walk's ends) */
void pd__snap_moved_in(pd_domain *to, struct pd__obj *h)
{
	struct pd_snap *s = to->snap;
	if (s == NULL || to->snap_epoch == 0)
		return;
	snap_lock(s);
	/* Back again in the same epoch (a batch, every call): logged already -
	 * a rollback frees what d owns of its new objects when it runs. */
	if (!is_new(h, to->snap_epoch))
		alloc_locked(to, h);
	snap_unlock(s);
}

void pd__snap_moved_out(pd_domain *from, struct pd__obj *h)
{
	struct pd_snap *s = from->snap;
	if (s == NULL || from->snap_epoch == 0)
		return;
	snap_lock(s);
	if (!is_new(h, from->snap_epoch))
		mark_broken(from, "an object of the checkpoint was moved out");
	snap_unlock(s);
}

void pd__snap_count(pd_domain *d, struct pd__obj *h)
{
	struct pd_snap *s = d->snap;
	/* (during a rollback too: a destructor releasing an object of the
	 * checkpoint changes a count that step 2 must put back) */
	if (s == NULL || pd__snap_stamp(h) == d->snap_epoch)
		return;
	snap_lock(s);
	if (__atomic_load_n(&h->owner, __ATOMIC_RELAXED) == d && pd__snap_stamp(h) != d->snap_epoch) {
		log_old(d, h, 0, h->size, 1);
		stamp(h, d->snap_epoch, 0);
	}
	snap_unlock(s);
}

static int free_locked(pd_domain *d, struct pd__obj *h)
{
	struct pd_snap *s = d->snap;
	uint32_t e = d->snap_epoch;
	uint32_t f = __atomic_load_n(&h->flags, __ATOMIC_RELAXED);
	int stamped = (f >> PD__SNAP_SHIFT) == e;
	if (stamped && (f & PD__SNAP_NEW))
		return 1;               /* born in this epoch: nothing to bring back */
	if (s->rolling)
		return 0;               /* the rollback brings it back as it was */
	if (stamped && (f & PD__SNAP_FREED))
		return -PD_EINVAL;      /* freed already (the free waits for the commit) */
	/* Kept until the commit, with its destructor: a rollback resurrects it. */
	if (add_rec(d, h, REC_FREED) == NULL)
		return 1;               /* cannot log it: free it, the epoch is broken */
	s->freed_objects++;
	stamp(h, e, PD__SNAP_FREED);
	/* Freed as far as the quota goes: the domain may allocate its
	 * replacement now, as with full checkpoints. */
	pd__heap_uncharge(h);
	return 0;
}

int pd__snap_free(pd_domain *d, struct pd__obj *h)
{
	struct pd_snap *s = d->snap;
	if (s == NULL)
		return 1;
	snap_lock(s);
	int rc = free_locked(d, h);
	snap_unlock(s);
	return rc;
}

/* ---- checked mode ---- */

static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0x243f6a8885a308d3ull ^ n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	for (; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h ^ (h >> 32);
}

static size_t sum_slot(const struct pd_snap *s, const struct pd__obj *h)
{
	uint64_t x = (uintptr_t)h >> 6;
	x *= 0x9e3779b97f4a7c15ull;
	return (size_t)(x >> 20) & (s->scap - 1);
}

static struct sum *sum_find(const struct pd_snap *s, const struct pd__obj *h)
{
	if (s->scap == 0)
		return NULL;
	for (size_t i = sum_slot(s, h);; i = (i + 1) & (s->scap - 1)) {
		if (s->sums[i].h == h)
			return &s->sums[i];
		if (s->sums[i].h == NULL)
			return NULL;
	}
}

static void sums_clear(struct pd_snap *s)
{
	for (size_t i = 0; i < s->scap; i++)
		free(s->sums[i].gsum);
	free(s->sums);
	s->sums = NULL;
	s->nsum = s->scap = 0;
}

static int sums_insert(struct pd_snap *s, const struct pd__obj *h)
{
	if (2 * (s->nsum + 1) > s->scap) {
		size_t cap = s->scap ? 2 * s->scap : 1024;
		struct sum *old = s->sums, *grown = calloc(cap, sizeof *grown);
		size_t ocap = s->scap;
		if (grown == NULL)
			return -PD_ENOMEM;
		s->sums = grown;
		s->scap = cap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].h) {
				size_t j = sum_slot(s, old[i].h);
				while (s->sums[j].h)
					j = (j + 1) & (cap - 1);
				s->sums[j] = old[i];
			}
		free(old);
	}
	size_t j = sum_slot(s, h);
	while (s->sums[j].h)
		j = (j + 1) & (s->scap - 1);
	struct sum *e = &s->sums[j];
	const unsigned char *p = (const unsigned char *)(h + 1);
	e->h = h;
	e->size = h->size;
	if (h->size > GRANULAR_MIN) {
		e->n = (h->size + PD_SNAP_GRANULE - 1) / PD_SNAP_GRANULE;
		if ((e->gsum = malloc(e->n * sizeof *e->gsum)) == NULL) {
			e->h = NULL;
			return -PD_ENOMEM;
		}
		for (uint32_t g = 0; g < e->n; g++) {
			size_t off = (size_t)g * PD_SNAP_GRANULE;
			size_t len = h->size - off < PD_SNAP_GRANULE ? h->size - off : PD_SNAP_GRANULE;
			e->gsum[g] = hash_bytes(p + off, len);
		}
	} else {
		e->whole = hash_bytes(p, h->size);
	}
	s->nsum++;
	return 0;
}

struct check {
	pd_domain *d;
	uint32_t e;
	size_t bad;
	const char *kind;
	int err;
};

static void record_one(struct pd__obj *h, void *arg)
{
	struct check *c = arg;
	if (c->err == 0)
		c->err = sums_insert(c->d->snap, h);
}

/* Does h still hash as at the last commit, apart from what this epoch logged? */
static void check_one(struct pd__obj *h, void *arg)
{
	struct check *c = arg;
	struct pd_snap *s = c->d->snap;
	uint32_t f = __atomic_load_n(&h->flags, __ATOMIC_RELAXED);
	int stamped = c->e && (f >> PD__SNAP_SHIFT) == c->e;
	if (stamped && (f & PD__SNAP_NEW))
		return;
	struct sum *e = sum_find(s, h);
	int ok = e != NULL && e->size == h->size;
	const unsigned char *p = (const unsigned char *)(h + 1);
	if (ok && stamped)
		ok = 1;                 /* logged whole: the rollback restores it */
	else if (ok && e->n) {
		struct gran *g = NULL;
		for (uint32_t i = 0; i < s->ngran && c->e; i++)
			if (s->grans[i].h == h && s->grans[i].size == h->size)
				g = &s->grans[i];
		for (uint32_t i = 0; i < e->n && ok; i++) {
			if (g && gran_logged(g, c->e, i))
				continue;
			size_t off = (size_t)i * PD_SNAP_GRANULE;
			size_t len = h->size - off < PD_SNAP_GRANULE ? h->size - off : PD_SNAP_GRANULE;
			ok = hash_bytes(p + off, len) == e->gsum[i];
		}
	} else if (ok) {
		ok = hash_bytes(p, h->size) == e->whole;
	}
	if (!ok) {
		c->bad++;
		if (c->kind == NULL)
			c->kind = h->kind && h->kind->name ? h->kind->name : "(no kind)";
	}
}

static int check_now(pd_domain *d, uint32_t e)
{
	struct pd_snap *s = d->snap;
	struct check c = { .d = d, .e = e };
	if (s->scap == 0)
		return 0;
	pd__heap_each_owned(d, check_one, &c);
	if (c.bad == 0)
		return 0;
	s->st.check_failures += c.bad;
	if (!s->check_said) {
		s->check_said = 1;
		fprintf(stderr, "pd: domain %s: %zu object(s) changed since the last checkpoint "
			"without pd_touch (first: a %s); a rollback would not restore them\n",
			pd_domain_name(d), c.bad, c.kind);
	}
	return -PD_ECORRUPT;
}

static int record_now(pd_domain *d)
{
	struct check c = { .d = d };
	sums_clear(d->snap);
	pd__heap_each_owned(d, record_one, &c);
	return c.err;
}

/* ---- life of the log ---- */

static struct pd_snap *snap_of(pd_domain *d)
{
	if (d->snap == NULL) {
		d->snap = calloc(1, sizeof *d->snap);
		if (d->snap && getenv("PD_SNAP_CHECK") && *getenv("PD_SNAP_CHECK") == '1')
			d->snap->checked = 1;
	}
	return d->snap;
}

static void reset_log(struct pd_snap *s)
{
	s->nrec = 0;
	s->cur = s->blocks;
	if (s->cur)
		s->cur->used = 0;
	s->old_objects = s->old_bytes = s->new_objects = s->freed_objects = 0;
	s->broken = NULL;
}

/* The frees this epoch deferred, for good now (the epoch is closed: no hook runs). */
static int free_deferred(pd_domain *d, uint32_t e)
{
	struct pd_snap *s = d->snap;
	for (size_t i = 0; i < s->nrec; i++) {
		struct rec *r = &s->recs[i];
		if (r->type != REC_FREED)
			continue;
		struct pd__obj *h = r->h;
		uint32_t f = __atomic_load_n(&h->flags, __ATOMIC_RELAXED);
		if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != PD__OBJ_MAGIC ||
		    (f >> PD__SNAP_SHIFT) != e || !(f & PD__SNAP_FREED) ||
		    __atomic_load_n(&h->owner, __ATOMIC_RELAXED) != d)
			continue;
		unstamp_bits(h, PD__SNAP_FREED);
		gran_forget(d, h);
		int rc = pd__free_object(h + 1, 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

struct commit_io {
	pd_domain *d;
	uint32_t e;
};

static int free_deferred_inside(void *arg)
{
	struct commit_io *io = arg;
	return free_deferred(io->d, io->e);
}

int pd__snap_commit(pd_domain *d, int *want_full)
{
	struct pd_snap *s = snap_of(d);
	if (s == NULL)
		return -PD_ENOMEM;
	uint32_t e = d->snap_epoch;
	int rc = 0;
	uint32_t every = d->spec.checkpoint_full_every ? d->spec.checkpoint_full_every : PD_SNAP_FULL_EVERY;
	*want_full = e == 0 || s->broken != NULL || ++s->since_full >= every;
	if (e != 0 && s->checked)
		rc = check_now(d, e);
	/* Closed: what runs now (the deferred destructors, a full save) is not logged. */
	d->snap_epoch = 0;
	if (e != 0 && s->freed_objects) {      /* else the commit is O(1) */
		struct commit_io io = { .d = d, .e = e };
		/* destructors are the owner's code: inside it, contained */
		int frc = pd__run_in(d, free_deferred_inside, &io);
		if (frc < 0) {
			snap_lock(s);
			reset_log(s);
			snap_unlock(s);
			return frc;     /* the caller recovers d the full way */
		}
	}
	if (*want_full)
		s->since_full = 0;
	snap_lock(s);
	reset_log(s);
	snap_unlock(s);
	return rc;
}

/* After the commit's full save (or without one): the next epoch starts. */
void pd__snap_open(pd_domain *d)
{
	struct pd_snap *s = d->snap;
	if (s == NULL)
		return;
	s->commit_next_slot = d->next_slot;
	s->commit_labels = __atomic_load_n(&d->label, __ATOMIC_RELAXED);
	if (s->checked && record_now(d) < 0)
		sums_clear(s);
	d->snap_epoch = next_epoch();
	s->st.commits++;
}

const char *pd__snap_why_not(const pd_domain *d)
{
	const struct pd_snap *s = d->snap;
	if (s == NULL || d->snap_epoch == 0)
		return "no epoch open";
	if (s->broken)
		return s->broken;
	if (d->next_slot != s->commit_next_slot)
		return "the domain exported an object since the checkpoint";
	return NULL;
}

void pd__snap_rollback(pd_domain *d)
{
	struct pd_snap *s = d->snap;
	uint32_t e = d->snap_epoch;

	s->rolling = 1;
	/* 1. what the epoch brought in goes, destructors first (a batch's
	 * mbufs go back); their frees and releases of old objects change
	 * nothing that step 2 does not put back. */
	snap_lock(s);
	size_t n = 0;
	for (size_t i = 0; i < s->nrec; i++)
		if (s->recs[i].type == REC_NEW)
			n++;
	struct pd__obj **objs = n ? malloc(n * sizeof *objs) : NULL;
	size_t k = 0;
	if (objs)
		for (size_t i = 0; i < s->nrec; i++)
			if (s->recs[i].type == REC_NEW)
				objs[k++] = s->recs[i].h;
	snap_unlock(s);         /* the destructors log through the hooks */
	if (objs) {
		pd__heap_free_new(d, objs, k, e);
		free(objs);
	}
	snap_lock(s);
	/* 2. old bytes back, newest first (a range logged before its whole
	 * object must win over the whole copy taken after it changed). */
	for (size_t i = s->nrec; i-- > 0;) {
		struct rec *r = &s->recs[i];
		if (r->type == REC_OLD) {
			if (r->len)
				memcpy((char *)(r->h + 1) + r->off, r->copy, r->len);
			if (r->whole)
				__atomic_store_n(&r->h->refcount, r->refcount, __ATOMIC_RELAXED);
		} else if (r->type == REC_FREED) {
			unstamp_bits(r->h, PD__SNAP_FREED);
			pd__heap_recharge(d, r->h);
		}
	}
	s->rolling = 0;
	reset_log(s);
	snap_unlock(s);
	s->st.rollbacks++;
	d->snap_epoch = next_epoch();   /* a fresh epoch over the same checkpoint */
}

pd_labels pd__snap_commit_labels(const pd_domain *d)
{
	return d->snap ? d->snap->commit_labels : 0;
}

void pd__snap_fallback(pd_domain *d, const char *why)
{
	struct pd_snap *s = d->snap;
	d->snap_epoch = 0;
	if (s == NULL)
		return;
	if (*why && s->st.fallbacks++ == 0)
		fprintf(stderr, "pd: domain %s: the undo log cannot undo this fault (%s); "
			"restoring the last full image instead\n", pd_domain_name(d), why);
	snap_lock(s);
	reset_log(s);
	snap_unlock(s);
	/* the heap was swept: no granule table describes a live object any more */
	d->snap_gobj = NULL;
	for (uint32_t i = 0; i < s->ngran; i++)
		free(s->grans[i].bits);
	s->ngran = 0;
	sums_clear(s);
}

void pd__snap_destroy(pd_domain *d)
{
	struct pd_snap *s = d->snap;
	d->snap_epoch = 0;
	d->snap = NULL;
	d->snap_gobj = NULL;
	if (s == NULL)
		return;
	for (struct block *b = s->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	for (uint32_t i = 0; i < s->ngran; i++)
		free(s->grans[i].bits);
	free(s->grans);
	free(s->recs);
	sums_clear(s);
	free(s);
}

/* ---- API ---- */

static int snap_manageable(const pd_domain *d)
{
	if (!pd__valid_domain(d) || d->state == PD_DOMAIN_FREE)
		return -PD_EINVAL;
	return pd__may_manage(d) ? 0 : -PD_EACCES;
}

/* What the log says (its counts, whether the state changed) was chosen by
 * the domain's code: whoever reads it comes to hold the domain's label, or
 * gets -PD_ELABEL above its clearance (as pd_domain_get_stats). */
static int snap_readable(const pd_domain *d)
{
	int rc = snap_manageable(d);
	if (rc < 0)
		return rc;
	return pd__observed(__atomic_load_n(&d->label, __ATOMIC_RELAXED), 0);
}

int pd_snap_touch_for(pd_domain *d, const void *obj)
{
	int rc = snap_manageable(d);
	if (rc < 0)
		return rc;
	if (d->snap_epoch && obj)
		pd__snap_touch(d, obj);
	return 0;
}

int pd_snap_get_stats(const pd_domain *d, pd_snap_stats *st)
{
	int rc = snap_readable(d);
	if (rc < 0 || st == NULL)
		return rc < 0 ? rc : -PD_EINVAL;
	memset(st, 0, sizeof *st);
	const struct pd_snap *s = d->snap;
	if (s == NULL)
		return 0;
	*st = s->st;
	st->logged_objects = s->old_objects;
	st->logged_bytes = s->old_bytes;
	st->new_objects = s->new_objects;
	st->freed_objects = s->freed_objects;
	st->epoch = d->snap_epoch;
	return 0;
}

int pd_snap_set_checked(pd_domain *d, int on)
{
	int rc = snap_manageable(d);
	if (rc < 0)
		return rc;
	struct pd_snap *s = snap_of(d);
	if (s == NULL)
		return -PD_ENOMEM;
	s->checked = on != 0;
	if (!s->checked)
		sums_clear(s);
	return 0;
}

int pd_snap_verify(pd_domain *d)
{
	int rc = snap_readable(d);
	if (rc < 0)
		return rc;
	struct pd_snap *s = d->snap;
	if (s == NULL || !s->checked || s->scap == 0)
		return -PD_EINVAL;
	/* Nothing counts as logged: every object must be as it was. */
	struct check c = { .d = d, .e = 0 };
	pd__heap_each_owned(d, check_one, &c);
	/* and every object it owned then must still be there */
	size_t live = 0;
	for (size_t i = 0; i < s->scap; i++)
		if (s->sums[i].h) {
			const struct pd__obj *h = s->sums[i].h;
			if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) == PD__OBJ_MAGIC &&
			    __atomic_load_n(&h->owner, __ATOMIC_RELAXED) == d)
				live++;
		}
	return c.bad == 0 && live == s->nsum;
}
