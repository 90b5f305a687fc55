/*
 * The Maglev lookup table: backend bookkeeping, each backend's permutation
 * (offset and skip from two seeded XXH64 hashes of its name) and the
 * round-robin population of the paper's Pseudocode 1.  Also the error
 * strings of the whole library.
 *
 * Permutations are never materialised: a backend's next preferred slot is
 * (previous + skip) mod M, so the build keeps one cursor per backend instead
 * of the paper's N x M permutation array (which would be 262 MB for 1000
 * backends at M = 65537).  Nothing here runs per packet except the inline
 * lookup in the header.
 */
#define _GNU_SOURCE /* qsort_r */
#include "maglev_table.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* An entry no backend has taken yet; never a valid id (ids < 65535). */
#define ENTRY_EMPTY UINT16_MAX

struct backend_slot {
	struct maglev_backend b;
	uint32_t offset;     /* permutation[0] */
	uint32_t skip;       /* in [1, M-1]: coprime with prime M */
	uint32_t generation; /* bumped each time the slot gets a new backend */
	int used;
};

struct maglev_table {
	/* First, so the inline lookup in the header can read it through a cast. */
	struct maglev_table_hot hot;
	uint16_t *entry;
	struct backend_slot *slot;
	uint32_t nslots;     /* allocated slots; ids are indices into slot[] */
	uint32_t nbackends;  /* slots in use */
};

static const char *const error_text[] = {
	[MAGLEV_EINVAL - MAGLEV_EINVAL] = "invalid argument",
	[MAGLEV_ENOMEM - MAGLEV_EINVAL] = "out of memory or table full",
	[MAGLEV_ENOTPRIME - MAGLEV_EINVAL] = "table size is not a prime",
	[MAGLEV_EEXIST - MAGLEV_EINVAL] = "backend already exists",
	[MAGLEV_ENOENT - MAGLEV_EINVAL] = "no such backend",
	[MAGLEV_ENOBACKENDS - MAGLEV_EINVAL] = "no backends",
	[MAGLEV_ENOTBUILT - MAGLEV_EINVAL] = "table not built since backends changed",
	[MAGLEV_ETRUNC - MAGLEV_EINVAL] = "truncated frame",
	[MAGLEV_EVLAN - MAGLEV_EINVAL] = "VLAN-tagged frame",
	[MAGLEV_ENOTIPV4 - MAGLEV_EINVAL] = "not an IPv4 frame",
	[MAGLEV_EBADIP - MAGLEV_EINVAL] = "malformed IPv4 header",
	[MAGLEV_EFRAG - MAGLEV_EINVAL] = "IPv4 fragment",
	[MAGLEV_EPROTO - MAGLEV_EINVAL] = "neither TCP nor UDP",
	[MAGLEV_EBADL4 - MAGLEV_EINVAL] = "malformed TCP/UDP header",
};

const char *maglev_strerror(int rc)
{
	if (rc < 0)
		rc = -rc;
	if (rc == MAGLEV_OK)
		return "success";
	if (rc < MAGLEV_EINVAL || rc >= MAGLEV_ERROR_END)
		return "unknown error";
	return error_text[rc - MAGLEV_EINVAL];
}

/* Trial division: runs once per table, and sqrt(MAGLEV_MAX_SIZE) < 4100. */
static int is_prime(uint32_t n)
{
	if (n < 2)
		return 0;
	if (n % 2 == 0)
		return n == 2;
	for (uint32_t d = 3; (uint64_t)d * d <= n; d += 2)
		if (n % d == 0)
			return 0;
	return 1;
}

int maglev_table_create(uint32_t size, struct maglev_table **out)
{
	if (out == NULL)
		return -MAGLEV_EINVAL;
	*out = NULL;
	if (size == 0)
		size = MAGLEV_DEFAULT_SIZE;
	/* M = 2 would force skip = 1 for everyone: a degenerate table. */
	if (size < 3 || size > MAGLEV_MAX_SIZE || !is_prime(size))
		return -MAGLEV_ENOTPRIME;
	struct maglev_table *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -MAGLEV_ENOMEM;
	t->entry = malloc((size_t)size * sizeof(*t->entry));
	if (t->entry == NULL) {
		free(t);
		return -MAGLEV_ENOMEM;
	}
	t->hot.size = size;
	t->hot.entry = t->entry;
	*out = t;
	return 0;
}

void maglev_table_free(struct maglev_table *t)
{
	if (t == NULL)
		return;
	free(t->entry);
	free(t->slot);
	free(t);
}

static int name_ok(const char *name)
{
	return name != NULL && name[0] != '\0' && memchr(name, '\0', MAGLEV_NAME_MAX) != NULL;
}

int maglev_backend_find(const struct maglev_table *t, const char *name)
{
	if (t == NULL || !name_ok(name))
		return -MAGLEV_EINVAL;
	/* Linear: control path only, and N is at most a few thousand in practice. */
	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->slot[i].used && strcmp(t->slot[i].b.name, name) == 0)
			return (int)i;
	return -MAGLEV_ENOENT;
}

/* Makes slot[] hold at least n slots (new ones unused). */
static int grow_slots(struct maglev_table *t, uint32_t n)
{
	if (n <= t->nslots)
		return 0;
	if (n > MAGLEV_MAX_BACKENDS)
		return -MAGLEV_ENOMEM;
	struct backend_slot *s = realloc(t->slot, (size_t)n * sizeof(*s));
	if (s == NULL)
		return -MAGLEV_ENOMEM;
	memset(s + t->nslots, 0, (size_t)(n - t->nslots) * sizeof(*s));
	t->slot = s;
	t->nslots = n;
	return 0;
}

/* A free slot index, growing slot[] geometrically; negative on failure. */
static int free_slot(struct maglev_table *t)
{
	for (uint32_t i = 0; i < t->nslots; i++)
		if (!t->slot[i].used)
			return (int)i;
	if (t->nslots >= MAGLEV_MAX_BACKENDS)
		return -MAGLEV_ENOMEM;
	uint32_t n = t->nslots ? t->nslots * 2 : 16;
	int id = (int)t->nslots;
	int rc = grow_slots(t, n > MAGLEV_MAX_BACKENDS ? MAGLEV_MAX_BACKENDS : n);
	return rc < 0 ? rc : id;
}

/* Gives slot id (unused, allocated) to b: its permutation, a use. */
static void fill_slot(struct maglev_table *t, int id, const struct maglev_backend *b)
{
	struct backend_slot *s = &t->slot[id];
	uint32_t m = t->hot.size;
	size_t len = strlen(b->name);
	s->b = *b;
	memset(s->b.name + len, 0, MAGLEV_NAME_MAX - len); /* no stray bytes in images */
	/* Two independent hashes, as the paper asks, so offset and skip do not
	 * correlate; skip in [1, M-1] is coprime with prime M, which makes the
	 * sequence offset + j*skip visit every slot exactly once. */
	s->offset = (uint32_t)(XXH64(b->name, len, MAGLEV_SEED_OFFSET) % m);
	s->skip = (uint32_t)(XXH64(b->name, len, MAGLEV_SEED_SKIP) % (m - 1)) + 1;
	s->used = 1;
	t->nbackends++;
	t->hot.built = 0;
}

int maglev_backend_add(struct maglev_table *t, const struct maglev_backend *b)
{
	if (t == NULL || b == NULL || !name_ok(b->name))
		return -MAGLEV_EINVAL;
	if (maglev_backend_find(t, b->name) >= 0)
		return -MAGLEV_EEXIST;
	int id = free_slot(t);
	if (id < 0)
		return id;
	t->slot[id].generation++;
	fill_slot(t, id, b);
	return id;
}

int maglev_backend_add_at(struct maglev_table *t, int id, uint32_t generation,
			  const struct maglev_backend *b)
{
	if (t == NULL || (b != NULL && !name_ok(b->name)) || id < 0 ||
	    (uint32_t)id >= MAGLEV_MAX_BACKENDS)
		return -MAGLEV_EINVAL;
	if (b != NULL && maglev_backend_find(t, b->name) >= 0)
		return -MAGLEV_EEXIST;
	int rc = grow_slots(t, (uint32_t)id + 1);
	if (rc < 0)
		return rc;
	if (t->slot[id].used)
		return -MAGLEV_EEXIST;
	t->slot[id].generation = generation;
	if (b != NULL)
		fill_slot(t, id, b);
	return id;
}

int maglev_backend_remove(struct maglev_table *t, const char *name)
{
	int id = maglev_backend_find(t, name);
	if (id < 0)
		return id;
	t->slot[id].used = 0;
	t->nbackends--;
	t->hot.built = 0;
	return id;
}

/* qsort_r comparator (glibc argument order): ids by backend name. */
static int by_name(const void *a, const void *b, void *table)
{
	const struct maglev_table *t = table;
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return strcmp(t->slot[x].b.name, t->slot[y].b.name);
}

int maglev_table_build(struct maglev_table *t)
{
	if (t == NULL)
		return -MAGLEV_EINVAL;
	t->hot.built = 0;
	uint32_t n = t->nbackends, m = t->hot.size;
	if (n == 0)
		return -MAGLEV_ENOBACKENDS;
	uint16_t *order = malloc((size_t)n * sizeof(*order));
	uint32_t *next = malloc((size_t)n * sizeof(*next));
	if (order == NULL || next == NULL) {
		free(order);
		free(next);
		return -MAGLEV_ENOMEM;
	}
	uint32_t k = 0;
	for (uint32_t i = 0; i < t->nslots; i++)
		if (t->slot[i].used)
			order[k++] = (uint16_t)i;
	qsort_r(order, n, sizeof(*order), by_name, t);
	for (uint32_t i = 0; i < n; i++)
		next[i] = t->slot[order[i]].offset;

	/* Pseudocode 1: each backend in turn takes its next preferred empty
	 * slot, until all M are filled.  next[i] is the backend's cursor into its
	 * permutation, so a slot it found taken is never looked at again. */
	for (uint32_t i = 0; i < m; i++)
		t->entry[i] = ENTRY_EMPTY;
	uint32_t filled = 0;
	for (;;) {
		for (uint32_t i = 0; i < n; i++) {
			const struct backend_slot *s = &t->slot[order[i]];
			uint32_t c = next[i];
			while (t->entry[c] != ENTRY_EMPTY) {
				c += s->skip;
				if (c >= m)
					c -= m;
			}
			t->entry[c] = order[i];
			c += s->skip;
			next[i] = c >= m ? c - m : c;
			if (++filled == m)
				goto done;
		}
	}
done:
	free(order);
	free(next);
	t->hot.built = 1;
	return 0;
}

uint32_t maglev_table_size(const struct maglev_table *t)
{
	return t ? t->hot.size : 0;
}

uint32_t maglev_backend_count(const struct maglev_table *t)
{
	return t ? t->nbackends : 0;
}

const struct maglev_backend *maglev_backend_get(const struct maglev_table *t, int id)
{
	if (t == NULL || id < 0 || (uint32_t)id >= t->nslots || !t->slot[id].used)
		return NULL;
	return &t->slot[id].b;
}

uint32_t maglev_backend_generation(const struct maglev_table *t, int id)
{
	if (t == NULL || id < 0 || (uint32_t)id >= t->nslots || !t->slot[id].used)
		return 0; /* generations of live backends start at 1 */
	return t->slot[id].generation;
}

int maglev_backend_permutation(const struct maglev_table *t, int id, uint32_t *out)
{
	if (maglev_backend_get(t, id) == NULL || out == NULL)
		return -MAGLEV_EINVAL;
	const struct backend_slot *s = &t->slot[id];
	uint32_t m = t->hot.size;
	for (uint32_t j = 0; j < m; j++)
		out[j] = (uint32_t)((s->offset + (uint64_t)j * s->skip) % m);
	return 0;
}

int maglev_table_entry(const struct maglev_table *t, uint32_t i)
{
	if (t == NULL || i >= t->hot.size)
		return -MAGLEV_EINVAL;
	if (!t->hot.built)
		return -MAGLEV_ENOTBUILT;
	return t->entry[i];
}

uint64_t maglev_5tuple_hash(const struct maglev_5tuple *k)
{
	return XXH3_64bits(k, sizeof(*k));
}
