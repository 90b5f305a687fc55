/*
 * ckptbench: saves and loads a firewall-shaped graph of over a million heap
 * objects (100,000 rules, each hung off 4 trie nodes, plus the trie) and
 * compares alias detection by epoch stamp (libpd's) with a visited-address
 * open-addressing hash set doing the same job in the same save code, in
 * the same run.  Prints one line:
 *
 *   objects=… image_bytes=… shared_objects=… aliases=… save_MBps=… load_MBps=…
 *   hashset_save_MBps=… speedup_vs_hashset=… checksum_pct_of_load=…
 *
 * MB/s are image bytes (10^6) per second; each figure is the median of the
 * runs (default 7; argv[1] overrides).  The save includes the header and
 * checksum; both variants reserve the previous image's size up front, as a
 * periodic checkpointer would.
 */
#include <time.h>
#include <xxhash.h>

#include "fwbuild.h"

#define NRULES 100000
#define ALIASES 4

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* --- the hash-set variant ---------------------------------------------- */

/*
 * A good visited set: power-of-two open addressing with linear probing,
 * multiplicative hashing of the address, load factor <= 1/2, cleared
 * (memset) per save - the cost an epoch stamp avoids, along with the probe.
 */
struct visited {
	const void **keys;
	uint32_t *ids;
	size_t mask, count;
};

static void visited_init(struct visited *v, size_t expect)
{
	size_t cap = 16;
	while (cap < expect * 2)
		cap *= 2;
	v->keys = calloc(cap, sizeof(*v->keys));
	v->ids = malloc(cap * sizeof(*v->ids));
	v->mask = cap - 1;
	v->count = 0;
	if (v->keys == NULL || v->ids == NULL)
		abort();
}

static void visited_clear(struct visited *v)
{
	memset(v->keys, 0, (v->mask + 1) * sizeof(*v->keys));
	v->count = 0;
}

static void visited_grow(struct visited *v)
{
	struct visited bigger;
	visited_init(&bigger, (v->mask + 1));
	for (size_t i = 0; i <= v->mask; i++)
		if (v->keys[i]) {
			size_t j = ((uintptr_t)v->keys[i] * 0x9e3779b97f4a7c15ull >> 20) & bigger.mask;
			while (bigger.keys[j])
				j = (j + 1) & bigger.mask;
			bigger.keys[j] = v->keys[i];
			bigger.ids[j] = v->ids[i];
		}
	bigger.count = v->count;
	free(v->keys);
	free(v->ids);
	*v = bigger;
}

/* Same wire format as pd_ckpt_put_shared. */
static int hs_put_shared(pd_ckpt_writer *w, struct visited *v, const void *obj)
{
	if (obj == NULL) {
		pd_ckpt_put_u8(w, PD_CKPT_NULL);
		return 0;
	}
	size_t j = ((uintptr_t)obj * 0x9e3779b97f4a7c15ull >> 20) & v->mask;
	while (v->keys[j]) {
		if (v->keys[j] == obj) {
			pd_ckpt_put_u8(w, PD_CKPT_BACKREF);
			pd_ckpt_put_u32(w, v->ids[j]);
			return 0;
		}
		j = (j + 1) & v->mask;
	}
	uint32_t id = (uint32_t)v->count++;
	v->keys[j] = obj;
	v->ids[j] = id;
	pd_ckpt_put_u8(w, PD_CKPT_NEW);
	pd_ckpt_put_u32(w, id);
	if (v->count * 2 > v->mask)
		visited_grow(v);
	return 1;
}

static void hs_vec_save(pd_ckpt_writer *w, struct visited *v, const fw_vec_shared_rule *vec)
{
	pd_ckpt_put_count(w, vec->len);
	for (uint32_t i = 0; i < vec->len; i++)
		if (hs_put_shared(w, v, vec->items[i]))
			fw_rule_save(w, vec->items[i]);
}

static void hs_trie_node_save(pd_ckpt_writer *w, struct visited *v, const fw_trie_node *p)
{
	pd_ckpt_put_present(w, p->zero != NULL);
	if (p->zero)
		hs_trie_node_save(w, v, p->zero);
	pd_ckpt_put_present(w, p->one != NULL);
	if (p->one)
		hs_trie_node_save(w, v, p->one);
	hs_vec_save(w, v, &p->rules);
}

static int hs_ruleset_save_image(const fw_ruleset *p, struct visited *v, size_t reserve, void **img,
                                 size_t *len)
{
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	pd_ckpt_writer_reserve(&w, reserve);
	visited_clear(v);
	hs_trie_node_save(&w, v, p->root);
	hs_vec_save(&w, v, &p->all);
	pd_ckpt_put_u64(&w, p->generation);
	return pd_ckpt_finish(&w, FW_RULESET_FINGERPRINT, img, len);
}

/* The epoch variant: fw_ruleset_save with the same reservation. */
static int epoch_ruleset_save_image(const fw_ruleset *p, size_t reserve, void **img, size_t *len)
{
	pd_ckpt_writer w;
	pd_ckpt_writer_init(&w);
	pd_ckpt_writer_reserve(&w, reserve);
	fw_ruleset_save(&w, p);
	return pd_ckpt_finish(&w, FW_RULESET_FINGERPRINT, img, len);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 7;
	if (runs < 1 || runs > 100)
		runs = 7;

	size_t base = pd_heap_live_objects();
	fw_ruleset rs;
	fw_build_ruleset(&rs, NRULES, ALIASES);
	size_t objects = pd_heap_live_objects() - base;

	void *img;
	size_t len;
	if (fw_ruleset_save_image(&rs, &img, &len) < 0)
		return 1;
	size_t reserve = len - PD_CKPT_HEADER_SIZE;
	struct visited v;
	visited_init(&v, NRULES);

	double save[100], hsave[100], load[100], sum[100];
	uint64_t sink = 0;
	for (int i = 0; i < runs; i++) {
		void *a, *b;
		size_t la, lb;
		/* interleaved, so drift in clock speed hits both alike */
		double t0 = now();
		int rc = epoch_ruleset_save_image(&rs, reserve, &a, &la);
		double t1 = now();
		rc |= hs_ruleset_save_image(&rs, &v, reserve, &b, &lb);
		double t2 = now();
		if (rc < 0 || la != lb || memcmp(a, b, la) != 0) {
			fprintf(stderr, "ckptbench: the two saves differ\n");
			return 1;
		}
		save[i] = t1 - t0;
		hsave[i] = t2 - t1;
		pd_free(b);

		fw_ruleset back;
		double t3 = now();
		rc = fw_ruleset_load_image(a, la, NULL, &back, NULL);
		double t4 = now();
		if (rc < 0) {
			fprintf(stderr, "ckptbench: load failed: %s\n", pd_strerror(rc));
			return 1;
		}
		load[i] = t4 - t3;
		if (i == 0 && !fw_ruleset_equal_root(&rs, &back)) {
			fprintf(stderr, "ckptbench: the restored graph differs\n");
			return 1;
		}
		fw_ruleset_free(&back);

		double t5 = now();
		sink += XXH3_64bits((uint8_t *)a + PD_CKPT_HEADER_SIZE, la - PD_CKPT_HEADER_SIZE);
		sum[i] = now() - t5;
		pd_free(a);
	}

	uint64_t aliases = 0;
	for (uint32_t i = 0; i < rs.all.len; i++)
		aliases += pd_shared_refcount(rs.all.items[i]);
	double ms = median(save, runs), mh = median(hsave, runs), ml = median(load, runs);
	double mc = median(sum, runs);
	printf("objects=%zu image_bytes=%zu shared_objects=%u aliases=%llu save_MBps=%.0f load_MBps=%.0f "
	       "hashset_save_MBps=%.0f speedup_vs_hashset=%.2f checksum_pct_of_load=%.2f\n",
	       objects, len, rs.all.len, (unsigned long long)aliases, len / ms / 1e6, len / ml / 1e6,
	       len / mh / 1e6, mh / ms, 100 * mc / ml);
	if (sink == 42)
		puts("");  /* keeps the checksum loop from being optimised away */
	pd_free(img);
	fw_ruleset_free(&rs);
	free(v.keys);
	free(v.ids);
	return 0;
}
