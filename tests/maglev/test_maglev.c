/*
 * The Maglev library without DPDK: the lookup table (prime size, full
 * permutations, no empty entry, exact balance, minimal disruption), the
 * connection table (flows stay on their backend across changes, bounded
 * LRU eviction, expiry) and the frame rewrite (5-tuple parsing, exact error
 * for every malformed frame, destination rewrite with checksums that stay
 * valid).  The checksums are also checked independently of this code by
 * tests/maglev/checksums.sh (scapy and tshark).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <xxhash.h>

#include "cunit_main.h"
#include "maglev_table.h"
#include "flow_table.h"
#include "rewrite.h"

/* ---- helpers -------------------------------------------------------- */

static struct maglev_backend backend_named(const char *fmt, int i)
{
	struct maglev_backend b;
	memset(&b, 0, sizeof(b));
	snprintf(b.name, sizeof(b.name), fmt, i);
	b.mac[0] = 0x02;
	b.mac[4] = (uint8_t)(i >> 8);
	b.mac[5] = (uint8_t)i;
	b.ip = htonl(0x0a010000u | (uint32_t)(i + 1));
	return b;
}

/* A built table of n backends "be-0".."be-(n-1)"; fails the test on error. */
static struct maglev_table *table_with(uint32_t m, int n)
{
	struct maglev_table *t = NULL;
	if (maglev_table_create(m, &t) != 0)
		return NULL;
	for (int i = 0; i < n; i++) {
		struct maglev_backend b = backend_named("be-%d", i);
		if (maglev_backend_add(t, &b) != i) {
			maglev_table_free(t);
			return NULL;
		}
	}
	if (n > 0 && maglev_table_build(t) != 0) {
		maglev_table_free(t);
		return NULL;
	}
	return t;
}

/* Entries per backend id, into count[nids]; returns the number of entries
 * that did not name a live backend (must be 0). */
static uint32_t count_entries(const struct maglev_table *t, uint32_t *count, uint32_t nids)
{
	uint32_t bad = 0;
	memset(count, 0, nids * sizeof(*count));
	for (uint32_t i = 0; i < maglev_table_size(t); i++) {
		int id = maglev_table_entry(t, i);
		if (id < 0 || (uint32_t)id >= nids || maglev_backend_get(t, id) == NULL)
			bad++;
		else
			count[id]++;
	}
	return bad;
}

static struct maglev_5tuple flow(uint32_t i)
{
	struct maglev_5tuple k = {
		.src_ip = htonl(0xc0a80000u + (i >> 8)),
		.dst_ip = htonl(0x0a000001u),
		.src_port = htons((uint16_t)(1024 + (i & 0xff) * 97)),
		.dst_port = htons(80),
		.proto = (uint8_t)(i % 3 ? 6 : 17),
	};
	return k;
}

/* ---- lookup table --------------------------------------------------- */

static void test_create_accepts_only_prime_sizes(void)
{
	struct maglev_table *t = NULL;
	static const uint32_t bad[] = { 1, 2, 4, 9, 65535, 65536, 65541, MAGLEV_MAX_SIZE + 2 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(maglev_table_create(bad[i], &t), -MAGLEV_ENOTPRIME);
		CU_ASSERT_PTR_NULL(t);
	}
	static const uint32_t good[] = { 3, 251, 65537, 655373 };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CU_ASSERT_EQUAL_FATAL(maglev_table_create(good[i], &t), 0);
		CU_ASSERT_EQUAL(maglev_table_size(t), good[i]);
		maglev_table_free(t);
	}
	CU_ASSERT_EQUAL_FATAL(maglev_table_create(0, &t), 0);
	CU_ASSERT_EQUAL(maglev_table_size(t), MAGLEV_DEFAULT_SIZE);
	maglev_table_free(t);
	CU_ASSERT_EQUAL(maglev_table_create(65537, NULL), -MAGLEV_EINVAL);
}

static void test_null_and_bad_arguments_return_EINVAL(void)
{
	struct maglev_backend b = backend_named("be-%d", 0);
	uint32_t perm[3];
	CU_ASSERT_EQUAL(maglev_backend_add(NULL, &b), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_backend_remove(NULL, "x"), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_backend_find(NULL, "x"), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_table_build(NULL), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_table_lookup(NULL, 1), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_table_entry(NULL, 0), -MAGLEV_EINVAL);
	CU_ASSERT_PTR_NULL(maglev_backend_get(NULL, 0));
	CU_ASSERT_EQUAL(maglev_backend_permutation(NULL, 0, perm), -MAGLEV_EINVAL);
	maglev_table_free(NULL);

	struct maglev_table *t = table_with(3, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(maglev_backend_add(t, NULL), -MAGLEV_EINVAL);
	struct maglev_backend empty = { .name = "" };
	CU_ASSERT_EQUAL(maglev_backend_add(t, &empty), -MAGLEV_EINVAL);
	struct maglev_backend longname;
	memset(longname.name, 'a', sizeof(longname.name)); /* no NUL in MAGLEV_NAME_MAX */
	CU_ASSERT_EQUAL(maglev_backend_add(t, &longname), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_backend_remove(t, NULL), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_backend_permutation(t, 0, NULL), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_backend_permutation(t, 7, perm), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_backend_permutation(t, -1, perm), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_table_entry(t, 3), -MAGLEV_EINVAL);
	CU_ASSERT_PTR_NULL(maglev_backend_get(t, 1));
	CU_ASSERT_PTR_NULL(maglev_backend_get(t, -5));
	maglev_table_free(t);
}

static void test_duplicate_name_is_EEXIST_unknown_name_is_ENOENT(void)
{
	struct maglev_table *t = table_with(251, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	struct maglev_backend b = backend_named("be-%d", 1);
	CU_ASSERT_EQUAL(maglev_backend_add(t, &b), -MAGLEV_EEXIST);
	CU_ASSERT_EQUAL(maglev_backend_remove(t, "nope"), -MAGLEV_ENOENT);
	CU_ASSERT_EQUAL(maglev_backend_find(t, "nope"), -MAGLEV_ENOENT);
	CU_ASSERT_EQUAL(maglev_backend_find(t, "be-1"), 1);
	CU_ASSERT_EQUAL(maglev_backend_count(t), 2);
	CU_ASSERT_STRING_EQUAL(maglev_strerror(-MAGLEV_EEXIST), "backend already exists");
	CU_ASSERT_STRING_EQUAL(maglev_strerror(-1), "unknown error");
	maglev_table_free(t);
}

static void test_empty_table_build_is_ENOBACKENDS_and_lookup_ENOTBUILT(void)
{
	struct maglev_table *t = table_with(251, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(maglev_table_build(t), -MAGLEV_ENOBACKENDS);
	CU_ASSERT_EQUAL(maglev_table_lookup(t, 12345), -MAGLEV_ENOTBUILT);
	CU_ASSERT_EQUAL(maglev_table_entry(t, 0), -MAGLEV_ENOTBUILT);

	/* Removing the last backend empties it again. */
	struct maglev_backend b = backend_named("be-%d", 0);
	CU_ASSERT_EQUAL(maglev_backend_add(t, &b), 0);
	CU_ASSERT_EQUAL(maglev_table_build(t), 0);
	CU_ASSERT_EQUAL(maglev_table_lookup(t, 12345), 0);
	CU_ASSERT_EQUAL(maglev_backend_remove(t, "be-0"), 0);
	CU_ASSERT_EQUAL(maglev_table_lookup(t, 12345), -MAGLEV_ENOTBUILT);
	CU_ASSERT_EQUAL(maglev_table_build(t), -MAGLEV_ENOBACKENDS);
	CU_ASSERT_EQUAL(maglev_table_lookup(t, 12345), -MAGLEV_ENOTBUILT);
	maglev_table_free(t);
}

static void test_backend_change_needs_rebuild_before_lookup(void)
{
	struct maglev_table *t = table_with(251, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT(maglev_table_lookup(t, 99) >= 0);
	struct maglev_backend b = backend_named("be-%d", 3);
	CU_ASSERT_EQUAL(maglev_backend_add(t, &b), 3);
	CU_ASSERT_EQUAL(maglev_table_lookup(t, 99), -MAGLEV_ENOTBUILT);
	CU_ASSERT_EQUAL(maglev_table_build(t), 0);
	CU_ASSERT(maglev_table_lookup(t, 99) >= 0);
	maglev_table_free(t);
}

static void test_offset_and_skip_come_from_two_seeded_xxh64_of_the_name(void)
{
	struct maglev_table *t = table_with(65537, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	uint32_t *perm = malloc(65537 * sizeof(*perm));
	CU_ASSERT_PTR_NOT_NULL_FATAL(perm);
	CU_ASSERT_EQUAL(maglev_backend_permutation(t, 0, perm), 0);
	uint64_t offset = XXH64("be-0", 4, MAGLEV_SEED_OFFSET) % 65537;
	uint64_t skip = XXH64("be-0", 4, MAGLEV_SEED_SKIP) % 65536 + 1;
	CU_ASSERT_EQUAL(perm[0], offset);
	CU_ASSERT_EQUAL(perm[1], (offset + skip) % 65537);
	CU_ASSERT_EQUAL(perm[65536], (offset + 65536 * skip) % 65537);
	free(perm);
	maglev_table_free(t);
}

static void test_every_backend_permutation_covers_all_slots(void)
{
	const uint32_t m = 65537;
	const int n = 100;
	struct maglev_table *t = table_with(m, n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	uint32_t *perm = malloc(m * sizeof(*perm));
	uint8_t *seen = malloc(m);
	CU_ASSERT_FATAL(perm != NULL && seen != NULL);
	int not_permutations = 0;
	for (int id = 0; id < n; id++) {
		CU_ASSERT_EQUAL(maglev_backend_permutation(t, id, perm), 0);
		memset(seen, 0, m);
		uint32_t distinct = 0;
		for (uint32_t j = 0; j < m; j++)
			if (perm[j] < m && !seen[perm[j]]++)
				distinct++;
		if (distinct != m)
			not_permutations++;
	}
	CU_ASSERT_EQUAL(not_permutations, 0);
	free(perm);
	free(seen);
	maglev_table_free(t);
}

static void test_population_leaves_no_empty_slot(void)
{
	static const int ns[] = { 1, 3, 7, 100, 1000 };
	uint32_t count[1000];
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		struct maglev_table *t = table_with(65537, ns[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		CU_ASSERT_EQUAL(count_entries(t, count, 1000), 0);
		maglev_table_free(t);
	}
}

static void test_balance_is_exact_floor_or_ceil_M_over_N(void)
{
	static const int ns[] = { 1, 3, 7, 100, 1000 };
	const uint32_t m = 65537;
	uint32_t count[1000];
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		uint32_t n = (uint32_t)ns[i];
		struct maglev_table *t = table_with(m, (int)n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		CU_ASSERT_EQUAL(count_entries(t, count, n), 0);
		uint32_t lo = m / n, hi = (m + n - 1) / n, off = 0, min = UINT32_MAX, max = 0;
		for (uint32_t id = 0; id < n; id++) {
			if (count[id] != lo && count[id] != hi)
				off++;
			min = count[id] < min ? count[id] : min;
			max = count[id] > max ? count[id] : max;
		}
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		CU_ASSERT_EQUAL(maglev_table_build(t), 0);
		clock_gettime(CLOCK_MONOTONIC, &b);
		printf("\n    N=%-4u entries per backend: min %u max %u (floor %u ceil %u), "
		       "rebuild %.2f ms", n, min, max, lo, hi,
		       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1e6);
		CU_ASSERT_EQUAL(off, 0);
		maglev_table_free(t);
	}
}

/* Fraction of the entries of backends other than `gone` that changed owner. */
static void measure_disruption(int n, int gone, uint32_t *moved_out, uint32_t *others_out)
{
	const uint32_t m = 65537;
	struct maglev_table *t = table_with(m, n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	uint16_t *before = malloc(m * sizeof(*before));
	CU_ASSERT_PTR_NOT_NULL_FATAL(before);
	for (uint32_t i = 0; i < m; i++)
		before[i] = (uint16_t)maglev_table_entry(t, i);
	char name[MAGLEV_NAME_MAX];
	snprintf(name, sizeof(name), "be-%d", gone);
	CU_ASSERT_EQUAL(maglev_backend_remove(t, name), gone);
	CU_ASSERT_EQUAL(maglev_table_build(t), 0);
	uint32_t moved = 0, others = 0, gone_left = 0;
	for (uint32_t i = 0; i < m; i++) {
		int now = maglev_table_entry(t, i);
		if (now == gone)
			gone_left++;
		if (before[i] == gone)
			continue;
		others++;
		if (now != before[i])
			moved++;
	}
	CU_ASSERT_EQUAL(gone_left, 0);
	*moved_out = moved;
	*others_out = others;
	free(before);
	maglev_table_free(t);
}

static void test_removing_one_of_100_backends_moves_under_2pct_of_others(void)
{
	double worst = 0, sum = 0;
	const int trials = 10;
	/* Several victims, since disruption depends on which backend leaves. */
	for (int k = 0; k < trials; k++) {
		uint32_t moved, others;
		measure_disruption(100, k * 10 + 3, &moved, &others);
		double f = (double)moved / others;
		sum += f;
		worst = f > worst ? f : worst;
		CU_ASSERT(f < 0.02);
	}
	printf("\n    removing 1 of 100 backends (M=65537) moved %.3f%% of the other "
	       "backends' entries on average, %.3f%% at worst (%d trials)",
	       100 * sum / trials, 100 * worst, trials);
}

static void test_table_depends_on_names_not_add_order_or_ids(void)
{
	const uint32_t m = 251;
	struct maglev_table *a = table_with(m, 10), *b = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL_FATAL(maglev_table_create(m, &b), 0);
	/* Same names, reverse order, after a churn that reshuffles ids. */
	struct maglev_backend tmp = backend_named("tmp-%d", 0);
	CU_ASSERT_EQUAL(maglev_backend_add(b, &tmp), 0);
	for (int i = 9; i >= 0; i--) {
		struct maglev_backend be = backend_named("be-%d", i);
		CU_ASSERT(maglev_backend_add(b, &be) >= 0);
	}
	CU_ASSERT_EQUAL(maglev_backend_remove(b, "tmp-0"), 0);
	CU_ASSERT_EQUAL(maglev_table_build(b), 0);
	int differ = 0;
	for (uint32_t i = 0; i < m; i++) {
		const struct maglev_backend *x = maglev_backend_get(a, maglev_table_entry(a, i));
		const struct maglev_backend *y = maglev_backend_get(b, maglev_table_entry(b, i));
		if (x == NULL || y == NULL || strcmp(x->name, y->name) != 0)
			differ++;
	}
	CU_ASSERT_EQUAL(differ, 0);
	maglev_table_free(a);
	maglev_table_free(b);
}

static void test_lookup_uses_the_hash_high_bits_onto_the_table(void)
{
	struct maglev_table *t = table_with(65537, 7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	struct maglev_5tuple k = flow(42);
	uint64_t h = maglev_5tuple_hash(&k);
	uint8_t raw[13];
	memcpy(raw, &k.src_ip, 4);
	memcpy(raw + 4, &k.dst_ip, 4);
	memcpy(raw + 8, &k.src_port, 2);
	memcpy(raw + 10, &k.dst_port, 2);
	raw[12] = k.proto;
	CU_ASSERT_EQUAL(h, XXH3_64bits(raw, 13));
	CU_ASSERT_EQUAL(maglev_table_lookup(t, h),
			maglev_table_entry(t, (uint32_t)(((h >> 32) * 65537) >> 32)));
	CU_ASSERT_EQUAL(maglev_table_lookup(t, UINT64_MAX), maglev_table_entry(t, 65536));
	CU_ASSERT_EQUAL(maglev_table_lookup(t, 0), maglev_table_entry(t, 0));
	maglev_table_free(t);
}

/* Informational figures; the asserts only check the runs were real. */
static void test_lookup_and_flow_pick_cost_is_printed(void)
{
	struct maglev_table *t = table_with(65537, 100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	const uint32_t iters = 10 * 1000 * 1000;
	struct timespec a, b;
	uint64_t acc = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (uint32_t i = 0; i < iters; i++) {
		struct maglev_5tuple k = flow(i);
		acc += (uint64_t)maglev_table_lookup(t, maglev_5tuple_hash(&k));
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / iters;
	printf("\n    hash+lookup: %.1f ns per packet (checksum %llu)", ns,
	       (unsigned long long)(acc % 1000));
	CU_ASSERT(acc > 0);

	/* Through a 2^20-entry (32 MB) connection table holding 2^16 live
	 * flows, so the sets are in DRAM: one packet at a time, then in
	 * batches of 32 that are hashed and prefetched before the picks. */
	struct maglev_flow_table *ft = NULL;
	CU_ASSERT_EQUAL_FATAL(maglev_flow_table_create(1u << 20, 0, &ft), 0);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (uint32_t i = 0; i < iters; i++) {
		struct maglev_5tuple k = flow((i * 2654435761u) & 0xffff);
		acc += (uint64_t)maglev_flow_pick(ft, t, &k, i);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / iters;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (uint32_t i = 0; i < iters; i += 32) {
		struct maglev_5tuple k[32];
		uint64_t h[32];
		for (int j = 0; j < 32; j++) {
			k[j] = flow(((i + j) * 2654435761u) & 0xffff);
			h[j] = maglev_5tuple_hash(&k[j]);
			maglev_flow_prefetch(ft, h[j]);
		}
		for (int j = 0; j < 32; j++)
			acc += (uint64_t)maglev_flow_pick_hashed(ft, t, &k[j], h[j], i);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double batched = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / iters;
	printf("\n    connection table pick, 65536 flows in 2^20 entries: %.1f ns per packet, "
	       "%.1f ns batched with prefetch", ns, batched);
	CU_ASSERT_EQUAL(maglev_flow_table_count(ft), 1u << 16);
	CU_ASSERT_EQUAL(maglev_flow_table_stats(ft).misses, 1u << 16);
	CU_ASSERT_EQUAL(maglev_flow_table_stats(ft).evictions, 0);
	maglev_flow_table_destroy(ft);
	maglev_table_free(t);
}

/* ---- connection table ----------------------------------------------- */

static void test_flow_table_rejects_bad_arguments(void)
{
	struct maglev_flow_table *ft = NULL;
	struct maglev_5tuple k = flow(1);
	CU_ASSERT_EQUAL(maglev_flow_table_create(0, 0, &ft), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_flow_table_create((1u << 28) + 1, 0, &ft), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_flow_table_create(8, 0, NULL), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_flow_pick(NULL, NULL, &k, 0), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_flow_find(NULL, &k, 0), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_flow_pick_hashed(NULL, NULL, &k, 1, 0), -MAGLEV_EINVAL);
	maglev_flow_prefetch(NULL, 1);   /* no-op, no crash */
	CU_ASSERT_EQUAL_FATAL(maglev_flow_table_create(100, 0, &ft), 0);
	CU_ASSERT_EQUAL(maglev_flow_table_capacity(ft), 128);
	CU_ASSERT_EQUAL(maglev_flow_pick(ft, NULL, &k, 0), -MAGLEV_EINVAL);
	/* No backend: nothing picked, nothing recorded. */
	struct maglev_table *t = table_with(251, 0);
	CU_ASSERT_EQUAL(maglev_flow_pick(ft, t, NULL, 0), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_flow_pick(ft, t, &k, 0), -MAGLEV_ENOTBUILT);
	CU_ASSERT_EQUAL(maglev_flow_table_count(ft), 0);
	maglev_table_free(t);
	maglev_flow_table_destroy(ft);
	maglev_flow_table_destroy(NULL);
}

static void test_established_flows_keep_backend_across_table_change(void)
{
	const uint32_t nflows = 20000;
	struct maglev_table *t = table_with(65537, 10);
	struct maglev_flow_table *ft = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	/* 2^18 entries: 0.6 flows per 8-way set on average, so no set overflows
	 * and every flow is remembered (overflow is tested separately). */
	CU_ASSERT_EQUAL_FATAL(maglev_flow_table_create(1u << 18, 0, &ft), 0);
	int *first = malloc(nflows * sizeof(*first));
	CU_ASSERT_PTR_NOT_NULL_FATAL(first);
	for (uint32_t i = 0; i < nflows; i++) {
		struct maglev_5tuple k = flow(i);
		first[i] = maglev_flow_pick(ft, t, &k, 1);
		CU_ASSERT_EQUAL(first[i], maglev_table_lookup(t, maglev_5tuple_hash(&k)));
	}
	CU_ASSERT_EQUAL(maglev_flow_table_count(ft), nflows);

	/* Two backends join and one leaves. */
	struct maglev_backend b10 = backend_named("be-%d", 10), b11 = backend_named("be-%d", 11);
	CU_ASSERT_EQUAL(maglev_backend_add(t, &b10), 10);
	CU_ASSERT_EQUAL(maglev_backend_add(t, &b11), 11);
	CU_ASSERT_EQUAL(maglev_backend_remove(t, "be-4"), 4);
	CU_ASSERT_EQUAL(maglev_table_build(t), 0);

	uint32_t kept = 0, moved_off_removed = 0, table_would_move = 0, wrong = 0;
	for (uint32_t i = 0; i < nflows; i++) {
		struct maglev_5tuple k = flow(i);
		int fresh = maglev_table_lookup(t, maglev_5tuple_hash(&k));
		int now = maglev_flow_pick(ft, t, &k, 2);
		if (first[i] == 4) {
			/* Its backend is gone: it follows the new table. */
			moved_off_removed++;
			wrong += now != fresh;
		} else {
			kept += now == first[i];
			wrong += now != first[i];
			table_would_move += fresh != first[i];
		}
	}
	printf("\n    %u flows: %u kept their backend (%u of them against the new table's "
	       "choice), %u moved off the removed backend",
	       nflows, kept, table_would_move, moved_off_removed);
	CU_ASSERT_EQUAL(wrong, 0);
	CU_ASSERT(table_would_move > 0);   /* else the test proves nothing */
	CU_ASSERT(moved_off_removed > 0);
	struct maglev_flow_stats s = maglev_flow_table_stats(ft);
	CU_ASSERT_EQUAL(s.misses, nflows);
	CU_ASSERT_EQUAL(s.moved, moved_off_removed);
	CU_ASSERT_EQUAL(s.hits, nflows - moved_off_removed);
	CU_ASSERT_EQUAL(s.evictions, 0);
	/* A new flow follows the new table. */
	struct maglev_5tuple k = flow(nflows + 7);
	CU_ASSERT_EQUAL(maglev_flow_pick(ft, t, &k, 3), maglev_table_lookup(t, maglev_5tuple_hash(&k)));
	free(first);
	maglev_flow_table_destroy(ft);
	maglev_table_free(t);
}

static void test_flow_on_removed_backend_moves_even_if_its_id_is_reused(void)
{
	struct maglev_table *t = table_with(251, 1);   /* only be-0, id 0 */
	struct maglev_flow_table *ft = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(maglev_flow_table_create(64, 0, &ft), 0);
	struct maglev_5tuple k = flow(5);
	CU_ASSERT_EQUAL(maglev_flow_pick(ft, t, &k, 1), 0);
	uint32_t gen = maglev_backend_generation(t, 0);
	CU_ASSERT_EQUAL(maglev_backend_remove(t, "be-0"), 0);
	struct maglev_backend a = backend_named("other-%d", 0), b = backend_named("other-%d", 1);
	CU_ASSERT_EQUAL(maglev_backend_add(t, &a), 0);   /* takes id 0 again */
	CU_ASSERT_EQUAL(maglev_backend_add(t, &b), 1);
	CU_ASSERT_EQUAL(maglev_backend_generation(t, 0), gen + 1);
	CU_ASSERT_EQUAL(maglev_table_build(t), 0);
	int fresh = maglev_table_lookup(t, maglev_5tuple_hash(&k));
	CU_ASSERT_EQUAL(maglev_flow_pick(ft, t, &k, 2), fresh);
	CU_ASSERT_EQUAL(maglev_flow_table_stats(ft).moved, 1);
	maglev_flow_table_destroy(ft);
	maglev_table_free(t);
}

/* Flows whose hash lands in set 0 of a table of `sets` sets. */
static uint32_t flows_in_set0(uint32_t sets, struct maglev_5tuple *out, uint32_t n)
{
	uint32_t got = 0;
	for (uint32_t i = 0; got < n && i < 1000000; i++) {
		struct maglev_5tuple k = flow(i);
		if ((maglev_5tuple_hash(&k) & (sets - 1)) == 0)
			out[got++] = k;
	}
	return got;
}

static void test_full_set_evicts_least_recently_seen_flow(void)
{
	struct maglev_table *t = table_with(251, 3);
	struct maglev_flow_table *ft = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(maglev_flow_table_create(16, 0, &ft), 0); /* 2 sets */
	struct maglev_5tuple k[10];
	CU_ASSERT_EQUAL_FATAL(flows_in_set0(2, k, 10), 10);
	for (int i = 0; i < 8; i++)
		CU_ASSERT(maglev_flow_pick(ft, t, &k[i], 10 + i) >= 0);
	CU_ASSERT_EQUAL(maglev_flow_table_count(ft), 8);
	CU_ASSERT(maglev_flow_pick(ft, t, &k[0], 100) >= 0);  /* k[0] is recent again */
	CU_ASSERT(maglev_flow_pick(ft, t, &k[8], 101) >= 0);  /* evicts k[1], the oldest */
	CU_ASSERT_EQUAL(maglev_flow_find(ft, &k[1], 101), -MAGLEV_ENOENT);
	CU_ASSERT(maglev_flow_find(ft, &k[0], 101) >= 0);
	CU_ASSERT(maglev_flow_find(ft, &k[8], 101) >= 0);
	CU_ASSERT(maglev_flow_pick(ft, t, &k[9], 102) >= 0);  /* evicts k[2] */
	CU_ASSERT_EQUAL(maglev_flow_find(ft, &k[2], 102), -MAGLEV_ENOENT);
	CU_ASSERT_EQUAL(maglev_flow_table_count(ft), 8);      /* bounded */
	CU_ASSERT_EQUAL(maglev_flow_table_stats(ft).evictions, 2);
	maglev_flow_table_clear(ft);
	CU_ASSERT_EQUAL(maglev_flow_table_count(ft), 0);
	CU_ASSERT_EQUAL(maglev_flow_find(ft, &k[0], 102), -MAGLEV_ENOENT);
	maglev_flow_table_destroy(ft);
	maglev_table_free(t);
}

static void test_idle_flow_expires_after_timeout_and_its_way_is_reused(void)
{
	struct maglev_table *t = table_with(251, 3);
	struct maglev_flow_table *ft = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(maglev_flow_table_create(8, 100, &ft), 0); /* 1 set */
	struct maglev_5tuple k[9];
	CU_ASSERT_EQUAL_FATAL(flows_in_set0(1, k, 9), 9);
	/* k[3] last: a flow that is already idle would otherwise give its way
	 * to the next new flow. */
	for (int i = 0; i < 8; i++)
		if (i != 3)
			CU_ASSERT(maglev_flow_pick(ft, t, &k[i], 1000) >= 0);
	CU_ASSERT(maglev_flow_pick(ft, t, &k[3], 0) >= 0);
	CU_ASSERT_EQUAL(maglev_flow_table_count(ft), 8);
	CU_ASSERT(maglev_flow_find(ft, &k[3], 100) >= 0);         /* idle 100: alive */
	CU_ASSERT_EQUAL(maglev_flow_find(ft, &k[3], 101), -MAGLEV_ENOENT);
	CU_ASSERT(maglev_flow_pick(ft, t, &k[8], 1050) >= 0);     /* takes k[3]'s way */
	CU_ASSERT_EQUAL(maglev_flow_table_stats(ft).evictions, 0);
	for (int i = 0; i < 9; i++)
		if (i != 3)
			CU_ASSERT(maglev_flow_find(ft, &k[i], 1050) >= 0);
	maglev_flow_table_destroy(ft);
	maglev_table_free(t);
}

/* ---- frames ---------------------------------------------------------- */

/* RFC 1071 one's-complement sum, the test's own reference. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* A checksummed region verifies when its sum (checksum included) is 0xffff. */
static int ip_csum_ok(const uint8_t *f)
{
	return fold(sum16(f + 14, (size_t)(f[14] & 15) * 4, 0)) == 0xffff;
}

static int l4_csum_ok(const uint8_t *f)
{
	const uint8_t *ip = f + 14;
	size_t ihl = (size_t)(ip[0] & 15) * 4, total = (size_t)(ip[2] << 8 | ip[3]);
	size_t l4len = total - ihl;
	uint32_t s = sum16(ip + 12, 8, 0) + ip[9] + (uint32_t)l4len;
	return fold(sum16(ip + ihl, l4len, s)) == 0xffff;
}

/* Fills a checksummed Ethernet/IPv4/{TCP,UDP} frame; returns its length. */
static uint32_t make_frame(uint8_t *f, uint8_t proto, uint32_t ip_opts, uint32_t tcp_opts,
			   uint32_t payload, uint32_t pad)
{
	static const uint8_t dmac[6] = { 0x02, 0xaa, 0, 0, 0, 1 }, smac[6] = { 0x02, 0xbb, 0, 0, 0, 2 };
	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08, f[13] = 0x00;
	uint8_t *ip = f + 14;
	uint32_t ihl = 20 + ip_opts, l4h = proto == 6 ? 20 + tcp_opts : 8;
	uint32_t total = ihl + l4h + payload;
	memset(ip, 0, ihl);
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	ip[2] = (uint8_t)(total >> 8), ip[3] = (uint8_t)total;
	ip[4] = 0x12, ip[5] = 0x34;
	ip[6] = 0x40;                           /* DF */
	ip[8] = 64, ip[9] = proto;
	uint8_t src[4] = { 192, 168, 7, 9 }, dst[4] = { 10, 0, 0, 1 };
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	for (uint32_t i = 20; i < ihl; i++)
		ip[i] = 1;                      /* NOP options */
	uint8_t *l4 = ip + ihl;
	memset(l4, 0, l4h);
	l4[0] = 0xc3, l4[1] = 0x50, l4[2] = 0x00, l4[3] = 0x50;
	if (proto == 6) {
		l4[12] = (uint8_t)((l4h / 4) << 4);
		l4[13] = 0x18;
		for (uint32_t i = 20; i < l4h; i++)
			l4[i] = 1;
	} else {
		l4[4] = (uint8_t)((8 + payload) >> 8), l4[5] = (uint8_t)(8 + payload);
	}
	for (uint32_t i = 0; i < payload; i++)
		l4[l4h + i] = (uint8_t)(i * 31 + 7);
	uint16_t c = (uint16_t)~fold(sum16(ip, ihl, 0));
	ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
	uint32_t s = sum16(ip + 12, 8, 0) + proto + (total - ihl);
	c = (uint16_t)~fold(sum16(l4, total - ihl, s));
	if (proto == 17 && c == 0)
		c = 0xffff;
	uint8_t *cp = l4 + (proto == 6 ? 16 : 6);
	cp[0] = (uint8_t)(c >> 8), cp[1] = (uint8_t)c;
	memset(f + 14 + total, 0, pad);          /* Ethernet padding */
	return 14 + total + pad;
}

static void test_parse_extracts_5tuple_and_offsets(void)
{
	uint8_t f[256];
	struct maglev_pkt p;
	uint32_t len = make_frame(f, 6, 8, 12, 10, 0);
	CU_ASSERT_EQUAL_FATAL(maglev_parse(f, len, &p), 0);
	CU_ASSERT_EQUAL(p.key.src_ip, htonl(0xc0a80709));
	CU_ASSERT_EQUAL(p.key.dst_ip, htonl(0x0a000001));
	CU_ASSERT_EQUAL(p.key.src_port, htons(50000));
	CU_ASSERT_EQUAL(p.key.dst_port, htons(80));
	CU_ASSERT_EQUAL(p.key.proto, 6);
	CU_ASSERT_EQUAL(p.l3_off, 14);
	CU_ASSERT_EQUAL(p.l4_off, 14 + 28);
	CU_ASSERT_EQUAL(p.l4_len, 32 + 10);
	len = make_frame(f, 17, 0, 0, 0, 18);   /* minimum frame: padded */
	CU_ASSERT_EQUAL(len, 60);
	CU_ASSERT_EQUAL_FATAL(maglev_parse(f, len, &p), 0);
	CU_ASSERT_EQUAL(p.key.proto, 17);
	CU_ASSERT_EQUAL(p.l4_len, 8);
}

struct bad_frame {
	const char *what;
	uint32_t off;        /* byte to overwrite (ignored if len_only) */
	uint8_t val;
	uint32_t len;        /* 0: keep the frame's length */
	int err;
};

static void test_parse_rejects_malformed_frames_with_exact_error(void)
{
	static const struct bad_frame cases[] = {
		{ "empty frame", 0, 0x02, 1000, -MAGLEV_ETRUNC },      /* len set to 0 below */
		{ "13 bytes", 0, 0x02, 13, -MAGLEV_ETRUNC },
		{ "VLAN 802.1Q", 12, 0x81, 0, -MAGLEV_EVLAN },
		{ "IPv6", 12, 0x86, 0, -MAGLEV_ENOTIPV4 },
		{ "ethertype 0x0806 (ARP)", 13, 0x06, 0, -MAGLEV_ENOTIPV4 },
		{ "IPv4 header cut at 33 bytes", 0, 0x02, 33, -MAGLEV_ETRUNC },
		{ "version 6 in an IPv4 frame", 14, 0x65, 0, -MAGLEV_EBADIP },
		{ "IHL 4", 14, 0x44, 0, -MAGLEV_EBADIP },
		{ "IHL 0", 14, 0x40, 0, -MAGLEV_EBADIP },
		{ "total length below IHL", 17, 19, 0, -MAGLEV_EBADIP },
		{ "total length past the frame", 17, 200, 0, -MAGLEV_ETRUNC },
		{ "IHL 15 leaves no room for TCP", 14, 0x4f, 0, -MAGLEV_EBADL4 },
		{ "more-fragments flag", 20, 0x20, 0, -MAGLEV_EFRAG },
		{ "fragment offset", 21, 0x01, 0, -MAGLEV_EFRAG },
		{ "ICMP", 23, 1, 0, -MAGLEV_EPROTO },
		{ "TCP data offset 4", 14 + 20 + 12, 0x40, 0, -MAGLEV_EBADL4 },
		{ "TCP data offset past the datagram", 14 + 20 + 12, 0xf0, 0, -MAGLEV_EBADL4 },
	};
	uint8_t f[256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t len = make_frame(f, 6, 0, 0, 20, 0);   /* 74 bytes, total 60 */
		if (cases[i].len == 1000)
			len = 0;
		else if (cases[i].len)
			len = cases[i].len;
		else
			f[cases[i].off] = cases[i].val;
		struct maglev_pkt p;
		memset(&p, 0xee, sizeof(p));
		int rc = maglev_parse(f, len, &p);
		if (rc != cases[i].err)
			printf("\n    %s: got %d (%s), want %d", cases[i].what, rc,
			       maglev_strerror(rc), cases[i].err);
		CU_ASSERT_EQUAL(rc, cases[i].err);
	}
	struct maglev_pkt p;
	CU_ASSERT_EQUAL(maglev_parse(NULL, 60, &p), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_parse(f, 60, NULL), -MAGLEV_EINVAL);
}

static void test_parse_rejects_bad_udp_length_and_short_l4(void)
{
	uint8_t f[256];
	struct maglev_pkt p;
	uint32_t len = make_frame(f, 17, 0, 0, 4, 0);       /* UDP length 12 */
	f[14 + 20 + 5] = 7;                                  /* UDP length 7 */
	CU_ASSERT_EQUAL(maglev_parse(f, len, &p), -MAGLEV_EBADL4);
	f[14 + 20 + 5] = 13;                                 /* past the datagram */
	CU_ASSERT_EQUAL(maglev_parse(f, len, &p), -MAGLEV_EBADL4);
	f[14 + 20 + 5] = 12;
	CU_ASSERT_EQUAL(maglev_parse(f, len, &p), 0);
	/* A datagram too short for its UDP/TCP header, with the frame intact. */
	len = make_frame(f, 17, 0, 0, 0, 0);
	f[17] = 27;
	CU_ASSERT_EQUAL(maglev_parse(f, len, &p), -MAGLEV_EBADL4);
	len = make_frame(f, 6, 0, 0, 0, 0);
	f[17] = 39;
	CU_ASSERT_EQUAL(maglev_parse(f, len, &p), -MAGLEV_EBADL4);
}

static void test_every_truncation_of_a_frame_is_ETRUNC(void)
{
	uint8_t f[256];
	uint32_t full = make_frame(f, 6, 4, 8, 33, 0);
	int wrong = 0;
	for (uint32_t len = 0; len < full; len++) {
		/* A heap copy of exactly len bytes, so a read past it is caught by
		 * valgrind/ASan rather than hitting the rest of f. */
		uint8_t *c = malloc(len ? len : 1);
		memcpy(c, f, len);
		struct maglev_pkt p;
		wrong += maglev_parse(c, len, &p) != -MAGLEV_ETRUNC;
		free(c);
	}
	CU_ASSERT_EQUAL(wrong, 0);
	struct maglev_pkt p;
	CU_ASSERT_EQUAL(maglev_parse(f, full, &p), 0);
}

static void test_rewrite_sets_dst_mac_and_ip_and_nothing_else(void)
{
	static const uint8_t protos[] = { 6, 17 };
	for (int pi = 0; pi < 2; pi++) {
		uint8_t f[256], orig[256];
		uint32_t len = make_frame(f, protos[pi], 4, 4, 51, 0);
		memcpy(orig, f, len);
		struct maglev_pkt p;
		CU_ASSERT_EQUAL_FATAL(maglev_parse(f, len, &p), 0);
		struct maglev_backend b = backend_named("be-%d", 0x1234);
		CU_ASSERT_EQUAL(maglev_rewrite(f, len, &p, &b), 0);
		CU_ASSERT_EQUAL(memcmp(f, b.mac, 6), 0);
		CU_ASSERT_EQUAL(memcmp(f + 14 + 16, &b.ip, 4), 0);
		uint32_t csum = p.l4_off + (protos[pi] == 6 ? 16 : 6);
		int other_changed = 0;
		for (uint32_t i = 6; i < len; i++) {
			if ((i >= 30 && i < 34) || i == 24 || i == 25 || i == csum || i == csum + 1)
				continue;
			other_changed += f[i] != orig[i];
		}
		CU_ASSERT_EQUAL(other_changed, 0);
		CU_ASSERT(ip_csum_ok(f));
		CU_ASSERT(l4_csum_ok(f));
	}
}

static void test_rewrite_keeps_checksums_valid_for_many_addresses(void)
{
	int bad = 0;
	uint8_t f[256];
	srand(7);
	for (int i = 0; i < 20000; i++) {
		uint8_t proto = i & 1 ? 6 : 17;
		uint32_t len = make_frame(f, proto, (uint32_t)(rand() % 11) * 4,
					  (uint32_t)(rand() % 11) * 4, (uint32_t)(rand() % 97), 0);
		/* Random source address too, so the checksums start anywhere. */
		for (int j = 0; j < 4; j++)
			f[26 + j] = (uint8_t)rand();
		struct maglev_pkt p;
		/* Re-checksum after changing the source (make_frame's values are stale). */
		uint8_t *ip = f + 14;
		size_t ihl = (size_t)(ip[0] & 15) * 4;
		ip[10] = ip[11] = 0;
		uint16_t c = (uint16_t)~fold(sum16(ip, ihl, 0));
		ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
		uint8_t *cp = ip + ihl + (proto == 6 ? 16 : 6);
		cp[0] = cp[1] = 0;
		size_t l4len = len - 14 - ihl;
		c = (uint16_t)~fold(sum16(ip + ihl, l4len, sum16(ip + 12, 8, 0) + proto + (uint32_t)l4len));
		if (proto == 17 && c == 0)
			c = 0xffff;
		cp[0] = (uint8_t)(c >> 8), cp[1] = (uint8_t)c;
		if (maglev_parse(f, len, &p) != 0) {
			bad++;
			continue;
		}
		struct maglev_backend b = backend_named("be-%d", rand());
		b.ip = (uint32_t)rand() ^ ((uint32_t)rand() << 16);
		if (i % 1000 == 0)
			b.ip = 0;                /* extremes of the address space */
		else if (i % 1000 == 1)
			b.ip = 0xffffffff;
		maglev_rewrite(f, len, &p, &b);
		bad += !ip_csum_ok(f) || !l4_csum_ok(f);
		if (proto == 17)
			bad += cp[0] == 0 && cp[1] == 0;   /* would read as "no checksum" */
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_rewrite_keeps_udp_zero_checksum_zero(void)
{
	uint8_t f[256];
	uint32_t len = make_frame(f, 17, 0, 0, 10, 0);
	f[14 + 20 + 6] = f[14 + 20 + 7] = 0;
	struct maglev_pkt p;
	CU_ASSERT_EQUAL_FATAL(maglev_parse(f, len, &p), 0);
	struct maglev_backend b = backend_named("be-%d", 9);
	CU_ASSERT_EQUAL(maglev_rewrite(f, len, &p, &b), 0);
	CU_ASSERT_EQUAL(f[14 + 20 + 6], 0);
	CU_ASSERT_EQUAL(f[14 + 20 + 7], 0);
	CU_ASSERT(ip_csum_ok(f));
}

static void test_rewrite_refuses_inconsistent_pkt_and_touches_nothing(void)
{
	uint8_t f[256], orig[256];
	uint32_t len = make_frame(f, 6, 0, 0, 0, 0);
	memcpy(orig, f, len);
	struct maglev_pkt p;
	struct maglev_backend b = backend_named("be-%d", 1);
	CU_ASSERT_EQUAL_FATAL(maglev_parse(f, len, &p), 0);
	CU_ASSERT_EQUAL(maglev_rewrite(f, len - 1, &p, &b), -MAGLEV_EINVAL); /* TCP header cut */
	struct maglev_pkt q = p;
	q.l4_off = 20;
	CU_ASSERT_EQUAL(maglev_rewrite(f, len, &q, &b), -MAGLEV_EINVAL);
	q = p;
	q.key.proto = 1;
	CU_ASSERT_EQUAL(maglev_rewrite(f, len, &q, &b), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_rewrite(NULL, len, &p, &b), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_rewrite(f, len, NULL, &b), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(maglev_rewrite(f, len, &p, NULL), -MAGLEV_EINVAL);
	CU_ASSERT_EQUAL(memcmp(f, orig, len), 0);
}

static void test_incremental_update_matches_full_recompute(void)
{
	uint8_t data[40];
	int bad = 0;
	srand(11);
	for (int i = 0; i < 100000; i++) {
		for (int j = 0; j < 40; j++)
			data[j] = (uint8_t)rand();
		if (i % 100 == 0)
			memset(data, i % 200 ? 0xff : 0, 40);
		data[10] = data[11] = 0;
		uint16_t before = (uint16_t)~fold(sum16(data, 40, 0));
		uint8_t old[4], new[4];
		memcpy(old, data + 16, 4);
		for (int j = 0; j < 4; j++)
			new[j] = (uint8_t)rand();
		memcpy(data + 16, new, 4);
		uint16_t inc = maglev_csum_update32(before, old, new);
		data[10] = (uint8_t)(inc >> 8), data[11] = (uint8_t)inc;
		bad += fold(sum16(data, 40, 0)) != 0xffff;
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_forward_l2_sets_both_macs_and_nothing_else(void)
{
	uint8_t f[256], orig[256];
	static const uint8_t own[6] = { 0x02, 0x1d, 0, 0, 0, 0xfe };
	uint32_t len = make_frame(f, 6, 0, 0, 40, 0);
	memcpy(orig, f, len);
	struct maglev_backend b = backend_named("be-%d", 7);

	CU_ASSERT_EQUAL(maglev_forward_l2(f, len, own, &b), 0);
	CU_ASSERT_EQUAL(memcmp(f, b.mac, 6), 0);
	CU_ASSERT_EQUAL(memcmp(f + 6, own, 6), 0);
	CU_ASSERT_EQUAL(memcmp(f + 12, orig + 12, len - 12), 0);   /* the IP packet as it came */
	CU_ASSERT_EQUAL(maglev_forward_l2(f, 13, own, &b), -MAGLEV_ETRUNC);
	CU_ASSERT_EQUAL(maglev_forward_l2(NULL, len, own, &b), -MAGLEV_EINVAL);
}

/* What a restore does: the same backends at the same ids and generations
 * give the same table, and a freed id keeps its generation. */
static void test_add_at_rebuilds_ids_generations_and_entries(void)
{
	enum { M = 251 };
	struct maglev_table *a = table_with(M, 5), *b = NULL;
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(maglev_backend_remove(a, "be-1"), 1);
	struct maglev_backend x = backend_named("x-%d", 1);
	CU_ASSERT_EQUAL(maglev_backend_add(a, &x), 1);          /* id 1 again, generation 2 */
	uint32_t gen[5];
	for (int id = 0; id < 5; id++)
		gen[id] = maglev_backend_generation(a, id);
	CU_ASSERT_EQUAL(gen[1], 2);
	CU_ASSERT_EQUAL(maglev_backend_remove(a, "be-3"), 3);   /* id 3 free, generation 1 */
	CU_ASSERT_EQUAL(maglev_backend_generation(a, 3), 0);    /* a free id matches no flow */
	CU_ASSERT_EQUAL_FATAL(maglev_table_build(a), 0);

	CU_ASSERT_EQUAL_FATAL(maglev_table_create(M, &b), 0);
	for (int id = 4; id >= 0; id--) {                       /* any order */
		const struct maglev_backend *be = maglev_backend_get(a, id);
		CU_ASSERT_EQUAL(maglev_backend_add_at(b, id, gen[id], be), id);
	}
	CU_ASSERT_EQUAL_FATAL(maglev_table_build(b), 0);
	for (int id = 0; id < 5; id++)
		CU_ASSERT_EQUAL(maglev_backend_generation(b, id), maglev_backend_generation(a, id));
	for (uint32_t i = 0; i < M; i++)
		CU_ASSERT_EQUAL(maglev_table_entry(b, i), maglev_table_entry(a, i));
	/* The freed id's next backend gets a new generation in both. */
	struct maglev_backend y = backend_named("y-%d", 3);
	CU_ASSERT_EQUAL(maglev_backend_add(a, &y), 3);
	CU_ASSERT_EQUAL(maglev_backend_add(b, &y), 3);
	CU_ASSERT_EQUAL(maglev_backend_generation(b, 3), maglev_backend_generation(a, 3));
	CU_ASSERT_EQUAL(maglev_backend_add_at(b, 3, 9, &x), -MAGLEV_EEXIST);   /* taken */
	CU_ASSERT_EQUAL(maglev_backend_add_at(b, 9, 1, &x), -MAGLEV_EEXIST);   /* name taken */
	CU_ASSERT_EQUAL(maglev_backend_add_at(b, -1, 1, NULL), -MAGLEV_EINVAL);
	maglev_table_free(a);
	maglev_table_free(b);
}

/* A table loaded from an image is checked before use: its shape, its
 * count and the ids its entries name. */
static void test_flow_table_valid_refuses_inconsistent_tables(void)
{
	struct maglev_flow_table *ft = NULL;
	struct maglev_table *t = table_with(251, 3);
	struct maglev_5tuple k = { .src_ip = 1, .dst_ip = 2, .src_port = 3, .dst_port = 4, .proto = 6 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(maglev_flow_table_create(64, 0, &ft), 0);
	CU_ASSERT(maglev_flow_table_valid(ft, 3));
	CU_ASSERT(maglev_flow_pick(ft, t, &k, 1) >= 0);
	CU_ASSERT(maglev_flow_table_valid(ft, 3));
	CU_ASSERT(!maglev_flow_table_valid(ft, 0));             /* an id past the backends */
	ft->count++;
	CU_ASSERT(!maglev_flow_table_valid(ft, 3));             /* count not the used ways */
	ft->count--;
	ft->set_mask = 2;
	CU_ASSERT(!maglev_flow_table_valid(ft, 3));             /* sets not a power of two */
	ft->set_mask = 15;
	CU_ASSERT(!maglev_flow_table_valid(ft, 3));             /* more sets than entries */
	ft->set_mask = 7;
	CU_ASSERT(maglev_flow_table_valid(ft, 3));
	CU_ASSERT(!maglev_flow_table_valid(NULL, 3));
	maglev_flow_table_destroy(ft);
	maglev_table_free(t);
}

int main(void)
{
	static const struct test_case tests[] = {
		TEST(test_create_accepts_only_prime_sizes),
		TEST(test_null_and_bad_arguments_return_EINVAL),
		TEST(test_duplicate_name_is_EEXIST_unknown_name_is_ENOENT),
		TEST(test_empty_table_build_is_ENOBACKENDS_and_lookup_ENOTBUILT),
		TEST(test_backend_change_needs_rebuild_before_lookup),
		TEST(test_offset_and_skip_come_from_two_seeded_xxh64_of_the_name),
		TEST(test_every_backend_permutation_covers_all_slots),
		TEST(test_population_leaves_no_empty_slot),
		TEST(test_balance_is_exact_floor_or_ceil_M_over_N),
		TEST(test_removing_one_of_100_backends_moves_under_2pct_of_others),
		TEST(test_table_depends_on_names_not_add_order_or_ids),
		TEST(test_lookup_uses_the_hash_high_bits_onto_the_table),
		TEST(test_lookup_and_flow_pick_cost_is_printed),
		TEST(test_flow_table_rejects_bad_arguments),
		TEST(test_established_flows_keep_backend_across_table_change),
		TEST(test_flow_on_removed_backend_moves_even_if_its_id_is_reused),
		TEST(test_full_set_evicts_least_recently_seen_flow),
		TEST(test_idle_flow_expires_after_timeout_and_its_way_is_reused),
		TEST(test_parse_extracts_5tuple_and_offsets),
		TEST(test_parse_rejects_malformed_frames_with_exact_error),
		TEST(test_parse_rejects_bad_udp_length_and_short_l4),
		TEST(test_every_truncation_of_a_frame_is_ETRUNC),
		TEST(test_rewrite_sets_dst_mac_and_ip_and_nothing_else),
		TEST(test_rewrite_keeps_checksums_valid_for_many_addresses),
		TEST(test_rewrite_keeps_udp_zero_checksum_zero),
		TEST(test_rewrite_refuses_inconsistent_pkt_and_touches_nothing),
		TEST(test_incremental_update_matches_full_recompute),
		TEST(test_forward_l2_sets_both_macs_and_nothing_else),
		TEST(test_add_at_rebuilds_ids_generations_and_entries),
		TEST(test_flow_table_valid_refuses_inconsistent_tables),
	};
	return RUN_SUITE("maglev", tests);
}
