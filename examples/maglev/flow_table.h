/*
 * Maglev's connection tracking (NSDI'16 section 3.3): remembers which
 * backend each flow was sent to, so that an established connection stays on
 * its backend when the lookup table is rebuilt after backends come and go.
 * Only flows whose backend was removed move (to the new table's choice).
 *
 * The table is fixed-size and never allocates after creation: a
 * set-associative cache of MAGLEV_FLOW_WAYS entries per set, indexed by the
 * low bits of the 5-tuple hash.  A new flow takes a free way of its set, or
 * else one whose flow has been idle longer than the timeout, or else the
 * least recently seen one (LRU within the set).  So memory is bounded by the
 * capacity and a full table degrades to plain Maglev hashing for the evicted
 * flows - which, with a stable backend set, still picks the same backend.
 *
 * Time is whatever monotonic unit the caller passes as `now` (TSC cycles,
 * seconds...), with the timeout in the same unit.  Not thread-safe: one
 * table per worker, like the stage that owns it.
 *
 * The table is the `flow_table` struct of idl/maglev.pdl, so that pdlc
 * generates its checkpoint (save, load, equal) and the Maglev domain keeps
 * its connections across a fault; it lives on the libpd heap of the domain
 * that creates it (or outside any, in tests).  Callers use the functions
 * below, never the fields: how the table is laid out and saved may change.
 */
#ifndef MAGLEV_FLOW_TABLE_H
#define MAGLEV_FLOW_TABLE_H

#include <stdint.h>

#include "maglev.pdl.h"
#include "maglev_table.h"

/* 8 ways x 32-byte entries: a set is four cache lines, scanned linearly. */
#define MAGLEV_FLOW_WAYS 8u
#define MAGLEV_FLOW_MAX_CAPACITY (1u << 28)

struct maglev_flow_stats {
	uint64_t hits;       /* flow found, backend still present */
	uint64_t misses;     /* new flow (or evicted earlier): table lookup */
	uint64_t moved;      /* flow found but its backend was removed */
	uint64_t evictions;  /* a live, unexpired flow was pushed out (set full) */
};

/*
 * A table of `capacity` flows, rounded up to a power of two that is a
 * multiple of MAGLEV_FLOW_WAYS (max MAGLEV_FLOW_MAX_CAPACITY): a libpd object
 * owned by the current domain.  timeout = 0:
 * flows never expire and are only evicted when their set is full.
 */
int maglev_flow_table_create(uint32_t capacity, uint64_t timeout,
			     struct maglev_flow_table **out);
void maglev_flow_table_destroy(struct maglev_flow_table *ft);
/*
 * True when ft's shape is one create makes (entries for every set, a
 * power-of-two set count, counts in range, backend ids below max_backends):
 * what a table loaded from a checkpoint must be before it is used, since
 * the image's checksum proves it was written whole, not that its writer
 * was right.
 */
bool maglev_flow_table_valid(const struct maglev_flow_table *ft, uint32_t max_backends);
/* Forgets every flow (e.g. a stage reset); keeps capacity and timeout. */
void maglev_flow_table_clear(struct maglev_flow_table *ft);

uint32_t maglev_flow_table_capacity(const struct maglev_flow_table *ft);
/* Flows currently held (expired ones included until their way is reused). */
uint32_t maglev_flow_table_count(const struct maglev_flow_table *ft);
struct maglev_flow_stats maglev_flow_table_stats(const struct maglev_flow_table *ft);

/*
 * The per-packet call: the backend id for the flow k at time now.  An
 * established flow whose backend is still in t keeps it; any other flow gets
 * maglev_table_lookup's choice and is recorded.  No allocation.
 * Returns the id, or a negative code from the table (-MAGLEV_ENOTBUILT when
 * there is no backend) - in which case nothing is recorded.
 */
int maglev_flow_pick(struct maglev_flow_table *ft, const struct maglev_table *t,
		     const struct maglev_5tuple *k, uint64_t now);

/*
 * The same with the 5-tuple's hash (maglev_5tuple_hash(k)) already known,
 * for a stage that works in batches: hash every packet of the batch, call
 * maglev_flow_prefetch on each hash, then pick.  The set is then in cache
 * by the time it is scanned, instead of costing a DRAM miss per packet when
 * the table is larger than the cache.  hash must be k's hash.
 */
int maglev_flow_pick_hashed(struct maglev_flow_table *ft, const struct maglev_table *t,
			    const struct maglev_5tuple *k, uint64_t hash, uint64_t now);
void maglev_flow_prefetch(const struct maglev_flow_table *ft, uint64_t hash);

/*
 * The recorded backend id of k, without refreshing it or consulting a
 * table, or -MAGLEV_ENOENT if k is not held or has expired.  For tests and
 * diagnostics.
 */
int maglev_flow_find(const struct maglev_flow_table *ft, const struct maglev_5tuple *k,
		     uint64_t now);

#endif
