/*
 * heapbench: what the heap's entry points cost on their hot paths, outside
 * any domain - an allocation and free of a small object, a move, an owner
 * lookup, a shared retain and release - each the median over blocks of
 * BLOCK calls, in TSC cycles per call.  Every entry point recognises its
 * pointer through the chunk map (pd_heap.c), so these are the figures that
 * registry must keep small; build this file against an older libpd to
 * compare (docs/benchmarks.md has the command lines).
 *
 *	alloc_free_32=C move=C owner=C retain_release=C   (cycles per call)
 */
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>

#include "pd.h"
#include "pd_shared.h"

enum { BLOCK = 256, SAMPLES = 4001 };

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return v[n / 2];
}

static const pd_kind kind = { .name = "bench", .destroy = NULL };
static double samples[4][SAMPLES];

int main(void)
{
	void *objs[BLOCK];
	void *shared = pd_shared_alloc(32, &kind);
	for (int i = 0; i < BLOCK; i++)
		objs[i] = pd_alloc(32, &kind);
	int rc = 0;
	for (int s = 0; s < SAMPLES; s++) {
		uint64_t t0 = __rdtsc();
		for (int i = 0; i < BLOCK; i++) {
			pd_free(objs[i]);
			objs[i] = pd_alloc(32, &kind);
		}
		uint64_t t1 = __rdtsc();
		for (int i = 0; i < BLOCK; i++)
			rc |= pd_move(objs[i], NULL);
		uint64_t t2 = __rdtsc();
		for (int i = 0; i < BLOCK; i++)
			rc |= pd_owner(objs[i], NULL) != NULL;
		uint64_t t3 = __rdtsc();
		for (int i = 0; i < BLOCK; i++) {
			pd_shared_retain(shared);
			rc |= pd_shared_release(shared);
		}
		uint64_t t4 = __rdtsc();
		samples[0][s] = (double)(t1 - t0) / BLOCK;
		samples[1][s] = (double)(t2 - t1) / BLOCK;
		samples[2][s] = (double)(t3 - t2) / BLOCK;
		samples[3][s] = (double)(t4 - t3) / BLOCK;
	}
	if (rc) {
		fprintf(stderr, "heapbench: an entry point failed\n");
		return 1;
	}
	printf("alloc_free_32=%.1f move=%.1f owner=%.1f retain_release=%.1f\n",
	       median(samples[0], SAMPLES), median(samples[1], SAMPLES),
	       median(samples[2], SAMPLES), median(samples[3], SAMPLES));
	for (int i = 0; i < BLOCK; i++)
		pd_free(objs[i]);
	pd_shared_release(shared);
	return 0;
}
