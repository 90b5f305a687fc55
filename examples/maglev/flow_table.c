/*
 * The connection table behind maglev_flow_pick: a fixed array of sets of
 * MAGLEV_FLOW_WAYS entries.  The invariant that makes lookups cheap: a flow
 * lives only in the set its hash selects, at most once, so a lookup scans
 * one set and stops - no probing chains, no tombstones.
 */
#include "flow_table.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CAPACITY (1u << 28)

struct flow_entry {
	struct maglev_5tuple key; /* 13 bytes */
	uint8_t used;
	uint16_t backend;         /* id in the maglev table */
	uint32_t generation;      /* the id's generation when the flow was recorded */
	uint32_t reserved;
	uint64_t last_seen;
};
_Static_assert(sizeof(struct flow_entry) == 32, "two entries per cache line");

struct maglev_flow_table {
	struct flow_entry *entry;
	uint32_t set_mask;        /* number of sets - 1 */
	uint32_t count;
	uint64_t timeout;
	struct maglev_flow_stats stats;
};

int maglev_flow_table_create(uint32_t capacity, uint64_t timeout,
			     struct maglev_flow_table **out)
{
	if (out == NULL)
		return -MAGLEV_EINVAL;
	*out = NULL;
	if (capacity == 0 || capacity > MAX_CAPACITY)
		return -MAGLEV_EINVAL;
	uint32_t cap = MAGLEV_FLOW_WAYS;
	while (cap < capacity)
		cap <<= 1;
	struct maglev_flow_table *ft = calloc(1, sizeof(*ft));
	if (ft == NULL)
		return -MAGLEV_ENOMEM;
	/* Cache-line aligned so a set never straddles more lines than it must. */
	ft->entry = aligned_alloc(64, (size_t)cap * sizeof(*ft->entry));
	if (ft->entry == NULL) {
		free(ft);
		return -MAGLEV_ENOMEM;
	}
	memset(ft->entry, 0, (size_t)cap * sizeof(*ft->entry));
	ft->set_mask = cap / MAGLEV_FLOW_WAYS - 1;
	ft->timeout = timeout;
	*out = ft;
	return 0;
}

void maglev_flow_table_free(struct maglev_flow_table *ft)
{
	if (ft == NULL)
		return;
	free(ft->entry);
	free(ft);
}

void maglev_flow_table_clear(struct maglev_flow_table *ft)
{
	if (ft == NULL)
		return;
	memset(ft->entry, 0, ((size_t)ft->set_mask + 1) * MAGLEV_FLOW_WAYS * sizeof(*ft->entry));
	ft->count = 0;
	memset(&ft->stats, 0, sizeof(ft->stats));
}

uint32_t maglev_flow_table_capacity(const struct maglev_flow_table *ft)
{
	return ft ? (ft->set_mask + 1) * MAGLEV_FLOW_WAYS : 0;
}

uint32_t maglev_flow_table_count(const struct maglev_flow_table *ft)
{
	return ft ? ft->count : 0;
}

struct maglev_flow_stats maglev_flow_table_stats(const struct maglev_flow_table *ft)
{
	struct maglev_flow_stats none = { 0 };
	return ft ? ft->stats : none;
}

static struct flow_entry *set_of(const struct maglev_flow_table *ft, uint64_t hash)
{
	return &ft->entry[(size_t)(hash & ft->set_mask) * MAGLEV_FLOW_WAYS];
}

static int expired(const struct maglev_flow_table *ft, const struct flow_entry *e, uint64_t now)
{
	/* now < last_seen (a caller's clock went backwards) counts as fresh. */
	return ft->timeout != 0 && now > e->last_seen && now - e->last_seen > ft->timeout;
}

static struct flow_entry *find_in_set(struct flow_entry *set, const struct maglev_5tuple *k)
{
	for (uint32_t w = 0; w < MAGLEV_FLOW_WAYS; w++)
		if (set[w].used && memcmp(&set[w].key, k, sizeof(*k)) == 0)
			return &set[w];
	return NULL;
}

int maglev_flow_find(const struct maglev_flow_table *ft, const struct maglev_5tuple *k,
		     uint64_t now)
{
	if (ft == NULL || k == NULL)
		return -MAGLEV_EINVAL;
	const struct flow_entry *e = find_in_set(set_of(ft, maglev_5tuple_hash(k)), k);
	if (e == NULL || expired(ft, e, now))
		return -MAGLEV_ENOENT;
	return e->backend;
}

/* The way a new flow takes: free, else expired, else least recently seen. */
static struct flow_entry *victim(struct maglev_flow_table *ft, struct flow_entry *set,
				 uint64_t now)
{
	struct flow_entry *oldest = &set[0];
	for (uint32_t w = 0; w < MAGLEV_FLOW_WAYS; w++) {
		if (!set[w].used) {
			ft->count++;
			return &set[w];
		}
		if (expired(ft, &set[w], now))
			return &set[w];
		if (set[w].last_seen < oldest->last_seen)
			oldest = &set[w];
	}
	ft->stats.evictions++;
	return oldest;
}

void maglev_flow_prefetch(const struct maglev_flow_table *ft, uint64_t hash)
{
	if (ft == NULL)
		return;
	const char *set = (const char *)set_of(ft, hash);
	/* The whole set: a miss scans every way. */
	for (size_t off = 0; off < MAGLEV_FLOW_WAYS * sizeof(struct flow_entry); off += 64)
		__builtin_prefetch(set + off, 1);
}

int maglev_flow_pick(struct maglev_flow_table *ft, const struct maglev_table *t,
		     const struct maglev_5tuple *k, uint64_t now)
{
	if (k == NULL)
		return -MAGLEV_EINVAL;
	return maglev_flow_pick_hashed(ft, t, k, maglev_5tuple_hash(k), now);
}

int maglev_flow_pick_hashed(struct maglev_flow_table *ft, const struct maglev_table *t,
			    const struct maglev_5tuple *k, uint64_t hash, uint64_t now)
{
	if (ft == NULL || t == NULL || k == NULL)
		return -MAGLEV_EINVAL;
	struct flow_entry *set = set_of(ft, hash);
	struct flow_entry *e = find_in_set(set, k);
	if (e != NULL && !expired(ft, e, now)) {
		/* The generation check catches a removed backend whose id was
		 * since given to another backend: that flow must move too. */
		if (maglev_backend_generation(t, e->backend) == e->generation) {
			e->last_seen = now;
			ft->stats.hits++;
			return e->backend;
		}
		ft->stats.moved++;
	} else {
		ft->stats.misses++;
	}
	int id = maglev_table_lookup(t, hash);
	if (id < 0)
		return id;
	if (e == NULL)
		e = victim(ft, set, now);
	e->key = *k;
	e->used = 1;
	e->backend = (uint16_t)id;
	e->generation = maglev_backend_generation(t, id);
	e->last_seen = now;
	return id;
}
