/*
 * The connection table behind maglev_flow_pick: a fixed array of sets of
 * MAGLEV_FLOW_WAYS entries.  The invariant that makes lookups cheap: a flow
 * lives only in the set its hash selects, at most once, so a lookup scans
 * one set and stops - no probing chains, no tombstones.
 */
#include "flow_table.h"

#include <stddef.h>
#include <string.h>

/* The key fields lead the entry, in the 5-tuple's order (idl/maglev.pdl). */
typedef maglev_flow_entry flow_entry;
_Static_assert(sizeof(flow_entry) == 32, "two entries per cache line");

/*
 * Its own kind rather than the generated maglev_flow_table_kind (which a
 * table loaded from a checkpoint has; both free the entries), so that the
 * library links without the generated domain spec and the stage behind it.
 */
static void destroy(void *obj)
{
	struct maglev_flow_table *ft = obj;

	pd_free(ft->entries.items);
}

static const pd_kind table_kind = { .name = "maglev.flow_table", .destroy = destroy };

int maglev_flow_table_create(uint32_t capacity, uint64_t timeout,
			     struct maglev_flow_table **out)
{
	if (out == NULL)
		return -MAGLEV_EINVAL;
	*out = NULL;
	if (capacity == 0 || capacity > MAGLEV_FLOW_MAX_CAPACITY)
		return -MAGLEV_EINVAL;
	uint32_t cap = MAGLEV_FLOW_WAYS;
	while (cap < capacity)
		cap <<= 1;
	struct maglev_flow_table *ft = pd_alloc(sizeof(*ft), &table_kind);
	if (ft == NULL)
		return -MAGLEV_ENOMEM;
	ft->entries.items = pd_alloc((size_t)cap * sizeof(flow_entry), NULL);
	if (ft->entries.items == NULL) {
		pd_free(ft);
		return -MAGLEV_ENOMEM;
	}
	ft->entries.len = ft->entries.cap = cap;
	ft->set_mask = cap / MAGLEV_FLOW_WAYS - 1;
	ft->timeout = timeout;
	*out = ft;
	return 0;
}

void maglev_flow_table_destroy(struct maglev_flow_table *ft)
{
	pd_free(ft);            /* the kind frees the entries */
}

void maglev_flow_table_clear(struct maglev_flow_table *ft)
{
	if (ft == NULL)
		return;
	pd_touch(ft);
	pd_touch(ft->entries.items);
	memset(ft->entries.items, 0, (size_t)ft->entries.len * sizeof(flow_entry));
	ft->count = 0;
	ft->hits = ft->misses = ft->moved = ft->evictions = 0;
}

bool maglev_flow_table_valid(const struct maglev_flow_table *ft, uint32_t max_backends)
{
	if (ft == NULL || ft->entries.items == NULL)
		return false;
	uint64_t sets = (uint64_t)ft->set_mask + 1;
	if ((sets & (sets - 1)) != 0 || sets * MAGLEV_FLOW_WAYS != ft->entries.len ||
	    ft->entries.len > MAGLEV_FLOW_MAX_CAPACITY)
		return false;
	uint32_t used = 0;
	for (uint32_t i = 0; i < ft->entries.len; i++) {
		const flow_entry *e = &ft->entries.items[i];
		if (!e->used)
			continue;
		if (e->backend >= max_backends)
			return false;
		used++;
	}
	return used == ft->count;
}

uint32_t maglev_flow_table_capacity(const struct maglev_flow_table *ft)
{
	return ft ? ft->entries.len : 0;
}

uint32_t maglev_flow_table_count(const struct maglev_flow_table *ft)
{
	return ft ? ft->count : 0;
}

struct maglev_flow_stats maglev_flow_table_stats(const struct maglev_flow_table *ft)
{
	struct maglev_flow_stats none = { 0 };
	if (ft == NULL)
		return none;
	return (struct maglev_flow_stats){ .hits = ft->hits, .misses = ft->misses,
					   .moved = ft->moved, .evictions = ft->evictions };
}

static flow_entry *set_of(const struct maglev_flow_table *ft, uint64_t hash)
{
	return &ft->entries.items[(size_t)(hash & ft->set_mask) * MAGLEV_FLOW_WAYS];
}

static int expired(const struct maglev_flow_table *ft, const flow_entry *e, uint64_t now)
{
	/* now < last_seen (a caller's clock went backwards) counts as fresh. */
	return ft->timeout != 0 && now > e->last_seen && now - e->last_seen > ft->timeout;
}

static inline bool holds(const flow_entry *e, const struct maglev_5tuple *k)
{
	return e->used && e->src_ip == k->src_ip && e->dst_ip == k->dst_ip &&
	       e->src_port == k->src_port && e->dst_port == k->dst_port &&
	       e->proto == k->proto;
}

static flow_entry *find_in_set(flow_entry *set, const struct maglev_5tuple *k)
{
	for (uint32_t w = 0; w < MAGLEV_FLOW_WAYS; w++)
		if (holds(&set[w], k))
			return &set[w];
	return NULL;
}

int maglev_flow_find(const struct maglev_flow_table *ft, const struct maglev_5tuple *k,
		     uint64_t now)
{
	if (ft == NULL || k == NULL)
		return -MAGLEV_EINVAL;
	const flow_entry *e = find_in_set(set_of(ft, maglev_5tuple_hash(k)), k);
	if (e == NULL || expired(ft, e, now))
		return -MAGLEV_ENOENT;
	return e->backend;
}

/* The way a new flow takes: free, else expired, else least recently seen. */
static flow_entry *victim(struct maglev_flow_table *ft, flow_entry *set,
				 uint64_t now)
{
	flow_entry *oldest = &set[0];
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
	ft->evictions++;
	return oldest;
}

void maglev_flow_prefetch(const struct maglev_flow_table *ft, uint64_t hash)
{
	if (ft == NULL)
		return;
	const char *set = (const char *)set_of(ft, hash);
	/* The whole set: a miss scans every way. */
	for (size_t off = 0; off < MAGLEV_FLOW_WAYS * sizeof(flow_entry); off += 64)
		__builtin_prefetch(set + off, 1);
	pd_touch_prefetch(ft->entries.items, set);     /* the undo log's stamp of it */
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
	flow_entry *set = set_of(ft, hash);
	flow_entry *e = find_in_set(set, k);
	/* What follows writes the counters and this set: with incremental
	 * checkpoints their old bytes go to the undo log first (pd_snap.h). */
	pd_touch(ft);
	pd_touch_range(ft->entries.items, set, MAGLEV_FLOW_WAYS * sizeof *set);
	if (e != NULL && !expired(ft, e, now)) {
		/* The generation check catches a removed backend whose id was
		 * since given to another backend: that flow must move too. */
		if (maglev_backend_generation(t, e->backend) == e->generation) {
			e->last_seen = now;
			ft->hits++;
			return e->backend;
		}
		ft->moved++;
	} else {
		ft->misses++;
	}
	int id = maglev_table_lookup(t, hash);
	if (id < 0)
		return id;
	if (e == NULL)
		e = victim(ft, set, now);
	e->src_ip = k->src_ip;
	e->dst_ip = k->dst_ip;
	e->src_port = k->src_port;
	e->dst_port = k->dst_port;
	e->proto = k->proto;
	e->used = true;
	e->backend = (uint16_t)id;
	e->generation = maglev_backend_generation(t, id);
	e->last_seen = now;
	return id;
}
