/*
 * ckpt_bench.c - `firewall --ckpt-bench`: saves and loads a firewall
 * ruleset of 100,000 rules and over a million trie nodes, built by the
 * stage's own firewall_ruleset_add from the generated types, and compares
 * in the same run:
 *
 *   save      the generated firewall_ruleset_save, aliases found by epoch
 *             stamps in the object headers (libpd's way)
 *   hashset   the same traversal and the same bytes, aliases found by a
 *             visited-address open-addressing hash set (the usual way)
 *   load      the generated restore, which validates every byte and checks
 *             the XXH3 checksum (reported as its share of the load)
 *
 * and a what-if on the save, to say what bounds it: the same save of the
 * restored copy (whose objects the load allocated in save order, so the
 * walk is sequential in memory).  Every figure is the median of the runs; MB/s are image
 * bytes (10^6) per second; saves reserve the last image's size up front,
 * as a periodic checkpointer can.
 *
 * Rule shapes: 99% of the rules have source prefixes of 24..32 bits (the
 * bulk of the trie), 1% of 8..16 bits; the leaf-pushed trie shares each of
 * those with every node below it - the aliases.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "firewall_bench.h"
#include "firewall_stage.h"

#define MAX_RUNS 51

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[n / 2];
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void build(firewall_ruleset *rs, uint32_t n_rules)
{
	for (uint32_t i = 0; i < n_rules; i++) {
		firewall_rule r = {
			.src_prefix = next_random(),
			.src_len = (uint8_t)(i % 100 == 0 ? 8 + next_random() % 9 : 24 + next_random() % 9),
			.dst_prefix = next_random(),
			.dst_len = (uint8_t)(next_random() % 33),
			.dst_port_lo = (uint16_t)(i % 1024),
			.dst_port_hi = 65535,
			.proto = i % 3 == 0 ? 6 : i % 3 == 1 ? 17 : 0,
			.allow = i % 2,
		};
		uint32_t index;
		if (firewall_ruleset_add(rs, &r, &index) < 0) {
			fprintf(stderr, "ckpt-bench: out of memory at rule %u\n", i);
			exit(1);
		}
		rs->all.items[index]->hits = (uint64_t)i * 7919u;   /* nonzero counters */
	}
}

static size_t count_nodes(const firewall_trie_node *n)
{
	return n ? 1 + count_nodes(n->zero) + count_nodes(n->one) : 0;
}

/* --- the hash-set variant ---------------------------------------------- */

/* Power-of-two open addressing, linear probing, multiplicative hash of the
 * address, load <= 1/2, cleared per save: the cost an epoch stamp avoids. */
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
	v->keys = calloc(cap, sizeof *v->keys);
	v->ids = malloc(cap * sizeof *v->ids);
	v->mask = cap - 1;
	v->count = 0;
	if (!v->keys || !v->ids)
		abort();
}

static inline size_t visited_hash(const struct visited *v, const void *p)
{
	return (size_t)((uintptr_t)p * 0x9e3779b97f4a7c15ull >> 20) & v->mask;
}

static void visited_grow(struct visited *v)
{
	struct visited bigger;
	visited_init(&bigger, v->mask + 1);
	for (size_t i = 0; i <= v->mask; i++)
		if (v->keys[i]) {
			size_t j = visited_hash(&bigger, v->keys[i]);
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

/* The wire format of pd_ckpt_put_shared. */
static int hs_put_shared(pd_ckpt_writer *w, struct visited *v, const void *obj)
{
	if (!obj) {
		pd_ckpt_put_u8(w, PD_CKPT_NULL);
		return 0;
	}
	size_t j = visited_hash(v, obj);
	for (; v->keys[j]; j = (j + 1) & v->mask)
		if (v->keys[j] == obj) {
			pd_ckpt_put_u8(w, PD_CKPT_BACKREF);
			pd_ckpt_put_u32(w, v->ids[j]);
			return 0;
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

static void hs_vec_save(pd_ckpt_writer *w, struct visited *v, const firewall_vec_shared_rule *vec)
{
	pd_ckpt_put_count(w, vec->len);
	for (uint32_t i = 0; i < vec->len; i++)
		if (hs_put_shared(w, v, vec->items[i]))
			firewall_rule_save(w, vec->items[i]);
}

/* The generated firewall_trie_node_save with the hash set in place of the
 * epoch stamp: the same traversal, prefetches included, the same bytes. */
static void hs_node_save(pd_ckpt_writer *w, struct visited *v, const firewall_trie_node *n)
{
	__builtin_prefetch(n->one);
	__builtin_prefetch(n->rules.items);
	pd_ckpt_put_present(w, n->zero != NULL);
	if (n->zero)
		hs_node_save(w, v, n->zero);
	pd_ckpt_put_present(w, n->one != NULL);
	if (n->one)
		hs_node_save(w, v, n->one);
	hs_vec_save(w, v, &n->rules);
}

/* --- the runs ----------------------------------------------------------- */

enum { V_EPOCH, V_HASHSET, V_RESTORED, N_VARIANTS };

static int save_image(int variant, const firewall_ruleset *rs, struct visited *v, size_t reserve,
		      void **image, size_t *len)
{
	pd_ckpt_writer w;

	pd_ckpt_writer_init(&w);
	pd_ckpt_writer_reserve(&w, reserve);
	switch (variant) {
	case V_HASHSET:
		memset(v->keys, 0, (v->mask + 1) * sizeof *v->keys);
		v->count = 0;
		hs_node_save(&w, v, rs->root);
		hs_vec_save(&w, v, &rs->all);
		pd_ckpt_put_u64(&w, rs->generation);
		break;
	default:
		firewall_ruleset_save(&w, rs);
	}
	return pd_ckpt_finish(&w, FIREWALL_RULESET_FINGERPRINT, image, len);
}

static unsigned number_arg(int argc, char **argv, const char *name, unsigned dflt,
			   unsigned lo, unsigned hi)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name)) {
			unsigned long n = strtoul(argv[i + 1], NULL, 10);
			return n < lo ? lo : n > hi ? hi : (unsigned)n;
		}
	return dflt;
}

int firewall_ckpt_bench(int argc, char **argv)
{
	uint32_t n_rules = number_arg(argc, argv, "--bench-rules", 100000, 1, 10000000);
	int runs = (int)number_arg(argc, argv, "--bench-runs", 7, 1, MAX_RUNS);

	size_t base = pd_heap_live_objects();
	double t = now();
	firewall_ruleset *rs = firewall_ruleset_new();
	if (!rs)
		return 1;
	build(rs, n_rules);
	double build_s = now() - t;
	size_t objects = pd_heap_live_objects() - base;

	void *image;
	size_t len;
	if (firewall_ruleset_checkpoint(rs, &image, &len) < 0)
		return 1;
	size_t reserve = len - PD_CKPT_HEADER_SIZE;
	firewall_ruleset restored = { 0 };
	if (firewall_ruleset_restore(image, len, NULL, &restored) < 0) {
		fprintf(stderr, "ckpt-bench: the image does not restore\n");
		return 1;
	}
	pd_eq_ctx eq;
	pd_eq_init(&eq);
	if (!firewall_ruleset_equal(&eq, rs, &restored)) {
		fprintf(stderr, "ckpt-bench: the restored ruleset differs\n");
		return 1;
	}
	struct visited v;
	visited_init(&v, n_rules);

	double s[N_VARIANTS][MAX_RUNS], load[MAX_RUNS], sum[MAX_RUNS], gen[MAX_RUNS];
	uint64_t sink = 0;
	for (int i = 0; i < runs; i++) {
		/* interleaved, so drift in clock speed hits every variant alike */
		for (int k = V_EPOCH; k < N_VARIANTS; k++) {
			void *img;
			size_t l;
			double t0 = now();
			int rc = save_image(k, k == V_RESTORED ? &restored : rs, &v, reserve, &img, &l);
			s[k][i] = now() - t0;
			if (rc < 0 || l != len || memcmp(img, image, len) != 0) {
				fprintf(stderr, "ckpt-bench: save variant %d differs\n", k);
				return 1;
			}
			pd_free(img);
		}
		void *img;
		size_t l;
		double t0 = now();
		if (firewall_ruleset_checkpoint(rs, &img, &l) < 0)  /* what the domain runs */
			return 1;
		gen[i] = now() - t0;
		pd_free(img);

		firewall_ruleset back = { 0 };
		t0 = now();
		int rc = firewall_ruleset_restore(image, len, NULL, &back);
		load[i] = now() - t0;
		if (rc < 0) {
			fprintf(stderr, "ckpt-bench: load failed: %s\n", pd_strerror(rc));
			return 1;
		}
		firewall_ruleset_free(&back);

		t0 = now();
		sink += XXH3_64bits((const uint8_t *)image + PD_CKPT_HEADER_SIZE, len - PD_CKPT_HEADER_SIZE);
		sum[i] = now() - t0;
	}

	uint64_t aliases = 0;
	for (uint32_t i = 0; i < rs->all.len; i++)
		aliases += pd_shared_refcount(rs->all.items[i]);
	double ms = median(s[V_EPOCH], runs), mh = median(s[V_HASHSET], runs);
	double mr = median(s[V_RESTORED], runs);
	double ml = median(load, runs), mc = median(sum, runs), mg = median(gen, runs);
	printf("rules=%u trie_nodes=%zu heap_objects=%zu build_s=%.2f runs=%d\n", rs->all.len,
	       count_nodes(rs->root), objects, build_s, runs);
	printf("image_bytes=%zu save_MBps=%.0f load_MBps=%.0f shared_objects=%u aliases=%" PRIu64 "\n",
	       len, (double)len / ms / 1e6, (double)len / ml / 1e6, rs->all.len, aliases);
	printf("hashset_save_MBps=%.0f speedup_vs_hashset=%.2f checksum_pct_of_load=%.2f\n",
	       (double)len / mh / 1e6, mh / ms, 100 * mc / ml);
	printf("checkpoint_call_MBps=%.0f save_of_restored_copy_MBps=%.0f\n",
	       (double)len / mg / 1e6, (double)len / mr / 1e6);
	if (sink == 42)
		puts("");   /* keeps the checksum from being optimised away */

	firewall_ruleset_free(&restored);
	pd_free(image);
	pd_free(rs);
	free(v.keys);
	free(v.ids);
	size_t left = pd_heap_live_objects() - base;
	if (left) {
		fprintf(stderr, "ckpt-bench: %zu heap objects left\n", left);
		return 1;
	}
	return 0;
}
