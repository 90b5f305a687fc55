/*
 * movebench: what a whole-value move costs as the value grows.  A record
 * (tests/runtime/nf.pdl) owning N children - N chunks in a vec, each with
 * its own bytes buffer, so 1 + N heap objects below the root - is moved
 * into a keeper domain and back out (take, then give: two moves through
 * generated proxies, each a check walk and a give walk over the tree).
 * Beside it, the same round trip of a packet batch through a stage, which
 * owns mbufs, not heap children, and stays O(1).  Blocks of round trips
 * are timed with the TSC, sizes interleaved, and the medians printed:
 *
 *	move_children=N objects=K round_trip_cycles=C per_object_cycles=P
 *	batch_round_trip_cycles=C
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "test_proxies.h"   /* nf.pdl.h, and a stand-in pd_batch */

enum { BLOCK = 50, SAMPLES = 20000 };

static const unsigned sizes[] = { 0, 1, 4, 16, 64, 256 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* ---- the keeper: holds what it is given, gives it back ---- */

static nf_record *kept;

static int keeper_take(void *self, nf_record *r)
{
	(void)self;
	kept = r;
	return 0;
}

static int keeper_give(void *self, nf_record **result)
{
	(void)self;
	*result = kept;
	kept = NULL;
	return 0;
}

static int keeper_check(void *self, uint64_t *result)
{
	(void)self;
	*result = 0;
	return 0;
}

static int keeper_note(void *self, const nf_labeled_u64 *v)
{
	(void)self;
	(void)v;
	return 0;
}

static const nf_keeper_ops keeper_ops = {
	.take = keeper_take, .give = keeper_give, .check = keeper_check, .note = keeper_note,
};
static nf_keeper_rref keeper;

static int keeper_init(void *arg)
{
	(void)arg;
	return nf_keeper_export(&keeper_ops, NULL, NULL, NULL, &keeper);
}

/* ---- the stage: hands the batch back ---- */

static int stage_process(void *self, pd_batch *b, pd_batch **result)
{
	(void)self;
	*result = b;
	return 0;
}

static const nf_stage_ops stage_ops = { .process = stage_process };
static nf_stage_rref stage;

static int stage_init(void *arg)
{
	(void)arg;
	return nf_stage_export(&stage_ops, NULL, NULL, NULL, &stage);
}

/* ---- the values ---- */

static nf_record *record_with(unsigned n)
{
	nf_record *r = pd_alloc(sizeof(*r), &nf_record_kind);
	if (r == NULL)
		return NULL;
	if (n == 0)
		return r;
	r->chunks.items = pd_alloc(n * sizeof(nf_chunk), NULL);
	if (r->chunks.items == NULL)
		return r;
	r->chunks.len = r->chunks.cap = n;
	for (unsigned i = 0; i < n; i++) {
		nf_chunk *c = &r->chunks.items[i];
		c->seq = i;
		c->data.data = pd_alloc(64, NULL);
		c->data.len = c->data.data ? 64 : 0;
	}
	return r;
}

static inline uint64_t tsc(void)
{
	unsigned aux;
	return __rdtscp(&aux);
}

static __attribute__((noinline)) uint64_t time_record(nf_record **r)
{
	uint64_t t = tsc();
	for (int i = 0; i < BLOCK; i++) {
		if (nf_keeper_take(keeper, r) < 0 || nf_keeper_give(keeper, r) < 0)
			return UINT64_MAX;
	}
	return tsc() - t;
}

static __attribute__((noinline)) uint64_t time_batch(pd_batch **b)
{
	uint64_t t = tsc();
	for (int i = 0; i < BLOCK; i++) {
		if (nf_stage_process(stage, b, b) < 0)
			return UINT64_MAX;
	}
	return tsc() - t;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double median_per(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return (double)v[n / 2] / BLOCK;
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		bool help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");
		fprintf(help ? stdout : stderr,
			"usage: %s\n"
			"Times moving a record that owns N children into a domain and back,\n"
			"for N in 0 1 4 16 64 256, beside a packet batch's round trip;\n"
			"prints medians in TSC cycles (no options, no DPDK).\n", argv[0]);
		if (!help)
			fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], argv[1]);
		return help ? 0 : 2;
	}
	static const pd_domain_spec keeper_spec = { .name = "keeper", .init = keeper_init };
	static const pd_domain_spec stage_spec = { .name = "stage", .init = stage_init };
	pd_domain *kd, *sd;
	if (pd_domain_create(&keeper_spec, &kd) < 0 || pd_domain_create(&stage_spec, &sd) < 0) {
		fprintf(stderr, "movebench: cannot create the domains\n");
		return 1;
	}
	nf_record *records[NSIZES];
	for (size_t k = 0; k < NSIZES; k++)
		if ((records[k] = record_with(sizes[k])) == NULL) {
			fprintf(stderr, "movebench: out of memory\n");
			return 1;
		}
	pd_batch *b = pd_alloc(sizeof(*b), NULL);
	static uint64_t samples[NSIZES + 1][SAMPLES];
	for (size_t i = 0; i < SAMPLES; i++) {
		for (size_t k = 0; k < NSIZES; k++)
			samples[k][i] = time_record(&records[k]);
		samples[NSIZES][i] = time_batch(&b);
	}
	for (size_t k = 0; k < NSIZES; k++) {
		if (records[k] == NULL || pd_owner(records[k], NULL) != NULL) {
			fprintf(stderr, "movebench: a record did not come back\n");
			return 1;
		}
		double c = median_per(samples[k], SAMPLES);
		unsigned objects = sizes[k] ? 1 + sizes[k] : 0;
		printf("move_children=%u objects=%u round_trip_cycles=%.1f per_object_cycles=%.1f\n",
		       sizes[k], objects, c, objects ? c / (2.0 * objects) : 0.0);
		pd_free(records[k]);
	}
	printf("batch_round_trip_cycles=%.1f\n", median_per(samples[NSIZES], SAMPLES));
	pd_free(b);
	pd_domain_destroy(sd);
	pd_domain_destroy(kd);
	return 0;
}
